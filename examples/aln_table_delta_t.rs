//! A new ALN transfer table for a neuron with a sharper or softer spike onset (ΔT), and what
//! it does to the dynamics of the same ALN node.
//!
//! Computes the cascade quantities for the shipped neuron with ΔT = 3 mV instead of 1.5 mV
//! (fast mode, the shipped 350 x 64 grid, about a minute on two cores), writes the table,
//! and runs one ALN node under a few external drives with neurolib's shipped table and with
//! the new one.
//!
//! Run with `cargo run --release --example aln_table_delta_t [-- DELTA_T [table.h5 [--reuse]]]`
//! (`--reuse`: take an existing table file instead of computing it).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use neuromass::core::{Network, Node};
use neuromass::models::aln_table::{AdexNeuron, AlnTableSpec};
use neuromass::models::{AlnNode, DEFAULT_TABLE_PATH};
use neuromass::network::{Simulation, SimulationOptions};
use neuromass::summary::dominant_frequency;

/// Mean rate (Hz) and dominant frequency (Hz) of `r_mean_EXC` after a 1 s transient.
fn run(node: &AlnNode) -> Result<(f64, f64, f64), Box<dyn std::error::Error>> {
    let net = Network::single(Node::from(node.clone()));
    let options = SimulationOptions {
        dt: 0.1,
        sampling_dt: Some(1.0),
        variables: None,
        seed: 11,
    };
    let out = Simulation::new(&net, &options)?.run(4000.0)?;
    let r = out.nodes[0].get("r_mean_EXC").ok_or("r_mean_EXC missing")?;
    let tail = &r[1000..];
    let mean = 1000.0 * tail.iter().sum::<f64>() / tail.len() as f64;
    let (lo, hi) = tail
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &x| {
            (a.min(x), b.max(x))
        });
    Ok((mean, dominant_frequency(tail, 1.0).0, 1000.0 * (hi - lo)))
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let delta_t: f64 = match args.next() {
        Some(s) => s.parse()?,
        None => 3.0,
    };
    let path = args.next().unwrap_or_else(|| "aln_table_delta_t.h5".into());
    let reuse = args.next().as_deref() == Some("--reuse");

    let neuron = AdexNeuron {
        delta_t,
        ..AdexNeuron::default()
    };
    let delta_t = if reuse && std::path::Path::new(&path).exists() {
        // Label the results with the neuron the file records, not the argument.
        match neuromass::models::TransferTable::load(&path)?.neuron() {
            Some(n) => {
                println!(
                    "reusing the ALN table {path} (DeltaT = {} mV; shipped: 1.5 mV)",
                    n.delta_t
                );
                n.delta_t
            }
            None => {
                println!(
                    "reusing the ALN table {path} (records no neuron; assuming DeltaT = {delta_t} mV)"
                );
                delta_t
            }
        }
    } else {
        println!("computing the ALN table for DeltaT = {delta_t} mV (shipped: 1.5 mV) ...");
        compute(&AlnTableSpec::new(neuron), &path)?;
        delta_t
    };
    report(&path, delta_t)
}

/// Compute the table with a coarse progress report and write it.
fn compute(spec: &AlnTableSpec, path: &str) -> Result<(), Box<dyn std::error::Error>> {
    let total = spec.mu.len() * spec.sigma.len();
    let done = AtomicUsize::new(0);
    let started = Instant::now();
    let table = spec.compute(|| {
        let n = done.fetch_add(1, Ordering::Relaxed) + 1;
        if n.is_multiple_of(total / 10) {
            eprintln!("  {}%", 100 * n / total);
        }
    })?;
    table.write(path)?;
    println!(
        "{} x {} table in {:.1} s -> {path}",
        table.mu.len(),
        table.sigma.len(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Compare the transfer functions and the node's dynamics with both tables.
fn report(path: &str, delta_t: f64) -> Result<(), Box<dyn std::error::Error>> {
    // The transfer functions themselves at a few inputs.
    let shipped = neuromass::models::TransferTable::load(DEFAULT_TABLE_PATH)?;
    let new = neuromass::models::TransferTable::load(path)?;
    println!("\n  mu    sigma | r_ss (Hz) shipped -> new | tau_mu (ms) shipped -> new");
    for (mu, sigma) in [(0.5, 1.5), (1.5, 1.5), (1.5, 3.0), (3.0, 2.0)] {
        let [r0, _, t0] = shipped.lookup(mu, sigma);
        let [r1, _, t1] = new.lookup(mu, sigma);
        println!(
            "  {mu:4.1}  {sigma:4.1}  | {:8.2} -> {:8.2}        | {t0:6.2} -> {t1:6.2}",
            1000.0 * r0,
            1000.0 * r1
        );
    }

    // The same node, both tables.
    println!(
        "\n  drive (mV/ms) | table          | mean rate (Hz) | peak-to-peak (Hz) | dominant f (Hz)"
    );
    for drive in [2.5, 3.0, 3.4, 4.0] {
        // neurolib's thalamocortical cortex node (weak, slow adaptation).
        let mut node = AlnNode::default();
        node.exc.params.ext_exc_current = drive;
        node.exc.params.a = 0.0;
        node.exc.params.b = 15.0;
        node.exc.params.tauA = 1000.0;
        node.inh.params.ext_inh_current = 3.5;
        let with_new = AlnNode {
            exc: node.exc.clone().with_table_file(path)?,
            inh: node.inh.clone().with_table_file(path)?,
            ..node.clone()
        };
        for (name, n) in [("shipped (1.5)", &node), ("new", &with_new)] {
            let (mean, f, p2p) = run(n)?;
            let label = if name == "new" {
                format!("DeltaT = {delta_t}")
            } else {
                "DeltaT = 1.5".to_string()
            };
            println!("  {drive:13.1} | {label:<14} | {mean:14.2} | {p2p:17.2} | {f:15.2}");
        }
    }
    Ok(())
}
