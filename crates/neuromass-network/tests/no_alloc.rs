//! A step allocates nothing: the only allocations of a run are its output buffers, made
//! before the loop, so their number does not depend on the number of steps.
//!
//! A counting global allocator counts the allocations of the current thread only (other
//! tests of this binary may run in parallel threads).

use neuromass_core::{Coupling, Network, Node, SampledInput, SquareMatrix, rng::SplitMix64};
use neuromass_models::{HopfNode, WilsonCowanNode};
use neuromass_network::{Simulation, SimulationOptions};

#[path = "../../../tests/support/counting_alloc.rs"]
mod counting_alloc;
use counting_alloc::count;

#[test]
fn the_counter_counts() {
    let (v, n) = count(|| vec![1u8; 100]);
    assert_eq!(n, 1);
    let (_, n) = count(|| {
        let mut w: Vec<u64> = Vec::new();
        for i in 0..1000 {
            w.push(i); // reallocations count too
        }
        w
    });
    assert!(n > 5, "{n}");
    let (_, n) = count(|| v.iter().map(|&x| u64::from(x)).sum::<u64>());
    assert_eq!(n, 0);
}

/// 80 Wilson-Cowan nodes, sparse random connectivity, delays up to 20 ms, local delays on
/// some nodes, plus two Hopf nodes (a second mass block with two input channels).
fn network() -> Network {
    let n = 80;
    let mut rng = SplitMix64::new(42);
    let mut nodes: Vec<Node> = Vec::with_capacity(n + 2);
    for i in 0..n {
        let mut node: Node = WilsonCowanNode::default().into();
        if i % 7 == 0 {
            let d = SquareMatrix::from_rows("d", &[vec![0.0, 1.3], vec![0.7, 0.0]], None).unwrap();
            node.set_local_delays(d).unwrap();
        }
        nodes.push(node);
    }
    nodes.push(HopfNode::default().into());
    nodes.push(HopfNode::default().into());
    let total = n + 2;
    let mut c = SquareMatrix::zeros(total);
    let mut d = SquareMatrix::zeros(total);
    for i in 0..n {
        for j in 0..n {
            if i != j && rng.next_f64() < 0.3 {
                c.set(i, j, 0.1 * rng.next_f64());
                d.set(i, j, 20.0 * rng.next_f64());
            }
        }
    }
    // The WC nodes couple additively into the excitatory and diffusively into the
    // inhibitory masses; the Hopf nodes (no q_mean_EXC) stay uncoupled.
    let mut net = Network::new(nodes, c, d)
        .unwrap()
        .with_couplings(vec![
            Coupling::additive("q_mean_EXC", "network_exc_exc"),
            Coupling::diffusive("q_mean_EXC", "network_inh_exc"),
        ])
        .unwrap();
    net.set_param("*EXC*.ext_drive", 0.8).unwrap();
    net
}

fn simulation(options: &SimulationOptions) -> Simulation {
    let mut sim = Simulation::new(&network(), options).unwrap();
    let drive: Vec<f64> = (0..20_000).map(|k| 0.1 * (k as f64 * 0.01).sin()).collect();
    sim.attach_input(3, 0, 0, Box::new(SampledInput::new(drive.clone())))
        .unwrap();
    sim.attach_input(81, 0, 1, Box::new(SampledInput::new(drive)))
        .unwrap();
    sim
}

#[test]
fn allocations_do_not_depend_on_the_number_of_steps() {
    let mut sim = simulation(&SimulationOptions::default());
    // Warm up past the longest delay so the ring buffer has wrapped.
    sim.run_steps(300).unwrap();
    let (short, few) = count(|| sim.run_steps(10).unwrap());
    let (long, many) = count(|| sim.run_steps(5000).unwrap());
    assert_eq!(short.t.len(), 10);
    assert_eq!(long.t.len(), 5000);
    assert!(
        long.nodes
            .iter()
            .flat_map(|n| n.data.iter().flatten())
            .all(|v| v.is_finite())
    );
    assert!(few > 0, "the output buffers are allocated");
    assert_eq!(
        few, many,
        "run_steps(10) made {few} allocations, run_steps(5000) made {many}"
    );
}

#[test]
fn allocations_do_not_depend_on_steps_with_sampling_and_selection() {
    let options = SimulationOptions {
        sampling_dt: Some(1.0),
        variables: Some(vec!["q_mean_EXC".into(), "x".into()]),
        ..Default::default()
    };
    let mut sim = simulation(&options);
    sim.run_steps(303).unwrap();
    // Chunks not aligned to the sampling interval: the output capacity must still be right.
    let (short, few) = count(|| sim.run_steps(13).unwrap());
    let (long, many) = count(|| sim.run_steps(4999).unwrap());
    // Steps 304..=316 keep step 310; steps 317..=5315 keep 320, 330, ..., 5310.
    assert_eq!(short.t.len(), 1);
    assert_eq!(long.t.len(), 500);
    assert_eq!(long.nodes[0].names, ["q_mean_EXC"]);
    assert_eq!(long.nodes[81].names, ["x"]);
    assert_eq!(few, many, "{few} vs {many} allocations");
}
