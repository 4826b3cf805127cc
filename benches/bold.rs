//! Overhead of BOLD as a monitor inside a run, and the time to load the embedded gw dataset.
//!
//! * `aln_gw_80_1s/plain` and `aln_gw_80_1s/bold`: the built-in default model (80 ALN nodes
//!   on the gw connectome, OU noise, dt = 0.1 ms) integrated for 1 s of simulated time from a
//!   freshly built simulation (building is outside the timed part), without and with the
//!   Balloon-Windkessel monitor observing `r_mean_EXC` after every step. The difference of
//!   the two is the monitor's overhead (target: < 10 %).
//! * `gw_dataset_load`: `Dataset::gw()`, reading `datasets/gw/gw.h5` (Cmat, Dmat, FCs, the
//!   subjects' BOLD, labels; target: < 100 ms).
//!
//! Run with `cargo bench --bench bold`.

use std::hint::black_box;
use std::time::Duration;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use neuromass::bold::BoldRecorder;
use neuromass::config::{DEFAULT_MODEL_TOML, RunConfig};
use neuromass::fit::dataset::Dataset;
use neuromass::network::Simulation;

/// Simulated time per iteration (ms).
const DURATION: f64 = 1000.0;

fn bench_bold_overhead(c: &mut Criterion) {
    let mut config = RunConfig::from_toml(DEFAULT_MODEL_TOML).expect("the default model parses");
    config.seed = Some(1);
    let bold = config
        .bold
        .take()
        .expect("the default model simulates BOLD");
    let (network, options) = config.build().expect("the default model builds");
    let n = network.nodes().len();
    let mut group = c.benchmark_group(format!("aln_gw_{n}_1s"));
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(20));
    for with_bold in [false, true] {
        let name = if with_bold { "bold" } else { "plain" };
        group.bench_function(name, |b| {
            b.iter_batched(
                || {
                    let mut sim = Simulation::new(&network, &options).expect("builds");
                    if with_bold {
                        let rec = BoldRecorder::new(n, options.dt).expect("valid monitor");
                        sim.add_observer(&bold.variable, bold.scale, Box::new(rec))
                            .expect("every node has the variable");
                    }
                    sim
                },
                |mut sim| black_box(sim.run(DURATION).expect("the run stays finite")),
                BatchSize::PerIteration,
            )
        });
    }
    group.finish();
}

fn bench_dataset_load(c: &mut Criterion) {
    c.bench_function("gw_dataset_load", |b| {
        b.iter(|| black_box(Dataset::gw().expect("the embedded dataset loads")))
    });
}

criterion_group!(benches, bench_bold_overhead, bench_dataset_load);
criterion_main!(benches);
