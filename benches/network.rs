//! Throughput of the Euler engine on Wilson-Cowan networks.
//!
//! Each network has random connectivity in `[0, 1) / N` (zero diagonal) and random delays
//! uniform in `[0, 20]` ms from a fixed seed. One iteration integrates 1 s at `dt = 0.1` ms
//! (10 000 steps) from a freshly built simulation, keeping only `q_mean_EXC` every 1 ms.
//! Throughput is in node-steps, so criterion's elements/s is node-steps per second.
//! Building the simulation (`Simulation::new`) is benchmarked separately.
//!
//! Run with `cargo bench --bench network`.

use std::hint::black_box;
use std::time::Duration;

use criterion::{BatchSize, BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use neuromass::core::rng::SplitMix64;
use neuromass::core::{Network, Node, SquareMatrix};
use neuromass::models::WilsonCowanNode;
use neuromass::network::{Simulation, SimulationOptions};

/// Integration step (ms).
const DT: f64 = 0.1;
/// Simulated time per iteration (ms).
const DURATION: f64 = 1000.0;
/// Euler steps per iteration.
const N_STEPS: u64 = 10_000;
/// Largest network delay (ms).
const MAX_DELAY: f64 = 20.0;
/// Seed of the connectivity, the delays and the initial states.
const SEED: u64 = 42;
/// Network sizes to integrate.
const SIZES: [usize; 2] = [4, 80];
/// Size whose build is benchmarked.
const BUILD_SIZE: usize = 80;

/// A Wilson-Cowan network of `n` default nodes with seeded random weights and delays.
fn wc_network(n: usize) -> Network {
    let mut rng = SplitMix64::new(SEED ^ n as u64);
    let mut c = SquareMatrix::zeros(n);
    let mut d = SquareMatrix::zeros(n);
    for i in 0..n {
        for j in 0..n {
            if i != j {
                c.set(i, j, rng.next_f64() / n as f64);
                d.set(i, j, rng.next_f64() * MAX_DELAY);
            }
        }
    }
    let nodes: Vec<Node> = (0..n).map(|_| WilsonCowanNode::default().into()).collect();
    Network::new(nodes, c, d).expect("a valid Wilson-Cowan network")
}

fn options() -> SimulationOptions {
    SimulationOptions {
        dt: DT,
        sampling_dt: Some(1.0),
        variables: Some(vec!["q_mean_EXC".into()]),
        seed: SEED,
    }
}

fn simulate(c: &mut Criterion) {
    let opts = options();
    let mut group = c.benchmark_group("wc_simulate_1s");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5));
    for n in SIZES {
        let net = wc_network(n);
        group.throughput(Throughput::Elements(n as u64 * N_STEPS));
        group.bench_with_input(BenchmarkId::from_parameter(n), &net, |b, net| {
            b.iter_batched(
                || Simulation::new(net, &opts).expect("the simulation builds"),
                |mut sim| {
                    let out = sim.run(black_box(DURATION)).expect("the simulation runs");
                    debug_assert_eq!(out.t.len() as u64, N_STEPS / 10);
                    (sim, out)
                },
                BatchSize::LargeInput,
            );
        });
    }
    group.finish();
}

fn build(c: &mut Criterion) {
    let opts = options();
    let net = wc_network(BUILD_SIZE);
    let mut group = c.benchmark_group("wc_build");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    group.bench_with_input(BenchmarkId::from_parameter(BUILD_SIZE), &net, |b, net| {
        b.iter(|| Simulation::new(black_box(net), &opts).expect("the simulation builds"));
    });
    group.finish();
}

criterion_group!(benches, simulate, build);
criterion_main!(benches);
