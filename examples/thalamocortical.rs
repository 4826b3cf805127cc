//! An ALN cortex coupled to a thalamic (TCR/TRN) node: neurolib's thalamocortical motif,
//! built natively, run, summarised and written to HDF5.
//!
//! Run with `cargo run --release --example thalamocortical [-- out.h5]`.

use neuromass::core::{Coupling, Network, Node, SquareMatrix};
use neuromass::models::{AlnNode, ThalamicNode};
use neuromass::network::{Simulation, SimulationOptions};
use neuromass::summary::dominant_frequency;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out_path = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "thalamocortical.h5".into());

    // Cortex: three ALN nodes with neurolib example-4's parameters.
    let mut cortex = AlnNode::default();
    cortex.exc.params.ext_exc_current = 3.4;
    cortex.exc.params.a = 0.0;
    cortex.exc.params.b = 15.0;
    cortex.exc.params.tauA = 1000.0;
    cortex.inh.params.ext_inh_current = 3.5;
    let mut thalamus = ThalamicNode::default();
    thalamus.tcr.params.g_LK = 0.032;
    thalamus.trn.params.g_LK = 0.032;

    let mut nodes: Vec<Node> = (0..3).map(|_| cortex.clone().into()).collect();
    nodes.push(thalamus.into());
    // [to, from]: cortico-cortical 0.1, cortex -> thalamus 1.2 / 3 each, thalamus -> cortex 0.15.
    let c = |to: usize, from: usize| match (to, from) {
        (t, f) if t == f => 0.0,
        (3, _) => 0.4,
        (_, 3) => 0.15,
        _ => 0.1,
    };
    let d = |to: usize, from: usize| {
        if to == from {
            0.0
        } else if to == 3 || from == 3 {
            13.0
        } else {
            6.0
        }
    };
    let connectivity = SquareMatrix::from_rows(
        "connectivity",
        &(0..4)
            .map(|i| (0..4).map(|j| c(i, j)).collect())
            .collect::<Vec<_>>(),
        None,
    )?;
    let delays = SquareMatrix::from_rows(
        "delays",
        &(0..4)
            .map(|i| (0..4).map(|j| d(i, j)).collect())
            .collect::<Vec<_>>(),
        None,
    )?;

    let net = Network::new(nodes, connectivity, delays)?
        .couple(Coupling::additive("r_mean_EXC", "network_exc_exc"))? // ALN EXC and TCR
        .couple(Coupling::additive("r_mean_EXC", "network_exc_exc_sq").squared())? // ALN EXC only
        .couple(Coupling::additive("r_mean_EXC", "network_inh_exc"))?; // TRN only

    let options = SimulationOptions {
        dt: 0.1,
        sampling_dt: Some(1.0),
        variables: None,
        seed: 7,
    };
    let mut sim = Simulation::new(&net, &options)?;
    let out = sim.run(5000.0)?;

    for (i, node) in out.nodes.iter().enumerate() {
        let r = node.get("r_mean_EXC").ok_or("r_mean_EXC missing")?;
        let tail = &r[1000..]; // drop the first second
        let mean_hz = 1000.0 * tail.iter().sum::<f64>() / tail.len() as f64;
        let (f, _) = dominant_frequency(tail, 1.0);
        println!(
            "node {i} {:<12} mean r_mean_EXC {mean_hz:7.2} Hz, dominant frequency {f:5.2} Hz",
            node.label
        );
    }
    out.write_hdf5(std::path::Path::new(&out_path), None)?;
    println!("wrote {out_path}");
    Ok(())
}
