//! Numerical agreement with neurolib 0.6.2 (numba backend) on its golden trajectories,
//! through the Rust API: every variable, max |ours - reference| / max |reference| <= 1e-9.

mod common;

use common::*;
use neuromass::network::{SampledInput, Simulation, SimulationOptions};

const TOLERANCE: f64 = 1e-9;

fn check_case(name: &str) {
    let g = load(name);
    let net = build_network(&g);
    let dt = g.config["dt_ms"].as_f64().unwrap();
    let duration = g.config["duration_ms"].as_f64().unwrap();
    let opts = SimulationOptions { dt, sampling_dt: Some(dt * g.thin as f64), ..Default::default() };
    let mut sim = Simulation::new(&net, &opts).unwrap();
    for (c, column) in g.inputs.iter().enumerate() {
        // Channel c of a single node: neurolib numbers channels mass by mass.
        sim.attach_input(0, c, 0, Box::new(SampledInput::new(our_input(column)))).unwrap();
    }
    let out = sim.run(duration).unwrap();
    assert_eq!(out.t.len(), g.t.len(), "{name}: sample count");
    for (a, b) in out.t.iter().zip(&g.t) {
        assert!((a - b).abs() < 1e-9, "{name}: time {a} vs {b}");
    }
    let ours: Vec<Vec<(String, Vec<f64>)>> =
        out.nodes.iter().map(|n| n.names.iter().cloned().zip(n.data.iter().cloned()).collect()).collect();
    let (err, var) = worst_error(&g, &ours);
    println!("{name}: worst relative error {err:.3e} ({var})");
    assert!(err <= TOLERANCE, "{name}: {var} differs by {err:.3e} (relative to its scale)");
}

#[test]
fn wc_node() {
    check_case("wc_node");
}
#[test]
fn hopf_node() {
    check_case("hopf_node");
}
#[test]
fn fhn_node() {
    check_case("fhn_node");
}
#[test]
fn ww_node() {
    check_case("ww_node");
}
#[test]
fn rww_node() {
    check_case("rww_node");
}
#[test]
fn wc_node_stimulus() {
    check_case("wc_node_stimulus");
}
#[test]
fn net_wc_4() {
    check_case("net_wc_4");
}
#[test]
fn net_hopf_4() {
    check_case("net_hopf_4");
}
#[test]
fn net_fhn_3() {
    check_case("net_fhn_3");
}
#[test]
fn net_rww_3() {
    check_case("net_rww_3");
}
