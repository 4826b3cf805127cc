//! The BOLD monitor against neurolib 0.6.2's `BOLDModel` (golden data in
//! `tests/data/fit/bold.h5`, made by `tools/copy_fit_reference.py`).
//!
//! Input: 60 s of firing rates of 4 regions stored at 1 ms; neurolib ran `BOLDModel(N=4,
//! dt=0.1)` on them with every column repeated 10 times. `bold_single_run` is one run,
//! `bold_chunked` three 20 s chunks with the state carried over.

use std::path::PathBuf;

use neuromass_fit::bold::{BoldError, BoldMonitor, BoldState, bold_from_rates};

const DT: f64 = 0.1;
const REPEAT: usize = 10;
/// Required agreement: max |ours − neurolib| / max |neurolib| per region.
const TOL: f64 = 1e-10;

#[path = "../../../tests/support/counting_alloc.rs"]
mod counting_alloc;
use counting_alloc::count;

// ------------------------------------------------------------------------------------------
// golden data

fn data_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/data/fit/bold.h5")
}

/// Reads a 2-D dataset as rows.
fn read_rows(file: &hdf5::File, name: &str) -> Vec<Vec<f64>> {
    let ds = file.dataset(name).unwrap();
    let shape = ds.shape();
    assert_eq!(shape.len(), 2, "{name}");
    let flat = ds.read_raw::<f64>().unwrap();
    flat.chunks(shape[1]).map(<[f64]>::to_vec).collect()
}

/// Reads the rates stored losslessly as 3-times-differenced float64 bit patterns (see
/// `tools/copy_fit_reference.py`): three wrapping prefix sums per row give the bits back.
fn read_rates_d3(file: &hdf5::File, name: &str) -> Vec<Vec<f64>> {
    let ds = file.dataset(name).unwrap();
    let shape = ds.shape();
    assert_eq!(shape.len(), 2, "{name}");
    let flat = ds.read_raw::<u64>().unwrap();
    flat.chunks(shape[1])
        .map(|row| {
            let mut bits = row.to_vec();
            for _ in 0..3 {
                let mut acc = 0u64;
                for b in bits.iter_mut() {
                    acc = acc.wrapping_add(*b);
                    *b = acc;
                }
            }
            bits.into_iter().map(f64::from_bits).collect()
        })
        .collect()
}

struct Golden {
    /// 4 × 60000 rates at 1 ms.
    rates_1ms: Vec<Vec<f64>>,
    single_bold: Vec<Vec<f64>>,
    single_t: Vec<f64>,
    chunked_bold: Vec<Vec<f64>>,
    chunked_t: Vec<f64>,
}

fn golden() -> Golden {
    let path = data_path();
    let file = hdf5::File::open(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let t = |name: &str| file.dataset(name).unwrap().read_raw::<f64>().unwrap();
    Golden {
        rates_1ms: read_rates_d3(&file, "bold_single_run/rates_hz_1ms_d3"),
        single_bold: read_rows(&file, "bold_single_run/bold"),
        single_t: t("bold_single_run/t_bold_ms"),
        chunked_bold: read_rows(&file, "bold_chunked/bold"),
        chunked_t: t("bold_chunked/t_bold_ms"),
    }
}

/// The model input at dt = 0.1 ms: every 1 ms column repeated 10 times.
fn rates_dt01(rates_1ms: &[Vec<f64>]) -> Vec<Vec<f64>> {
    rates_1ms
        .iter()
        .map(|row| {
            row.iter()
                .flat_map(|&r| std::iter::repeat_n(r, REPEAT))
                .collect()
        })
        .collect()
}

/// Worst error over regions: (max |a − b| / max |b| per region, max relative error per sample
/// over the samples after the first, which sits at ~1e-10 and is pure cancellation).
fn errors(ours: &[Vec<f64>], reference: &[Vec<f64>]) -> (f64, f64) {
    assert_eq!(ours.len(), reference.len());
    let mut worst_range = 0.0f64;
    let mut worst_sample = 0.0f64;
    for (a, b) in ours.iter().zip(reference) {
        assert_eq!(a.len(), b.len(), "number of BOLD samples");
        let scale = b.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        let max_diff = a
            .iter()
            .zip(b)
            .fold(0.0f64, |m, (x, y)| m.max((x - y).abs()));
        worst_range = worst_range.max(max_diff / scale);
        for (x, y) in a.iter().zip(b).skip(1) {
            worst_sample = worst_sample.max((x - y).abs() / y.abs());
        }
    }
    (worst_range, worst_sample)
}

fn assert_times(ours: &[f64], reference: &[f64]) {
    assert_eq!(ours.len(), reference.len(), "number of BOLD samples");
    for (a, b) in ours.iter().zip(reference) {
        assert!((a - b).abs() <= 1e-9 * b.abs().max(1.0), "t {a} vs {b}");
    }
}

#[test]
fn single_run_matches_neurolib() {
    let g = golden();
    let rates = rates_dt01(&g.rates_1ms);
    let (t, bold) = bold_from_rates(&rates, DT).unwrap();
    assert_times(&t, &g.single_t);
    let (range, sample) = errors(&bold, &g.single_bold);
    eprintln!(
        "bold_single_run: max|diff|/max|ref| = {range:.3e}, max per-sample relative (samples 2..) = {sample:.3e}, first sample (~1e-10) relative {:.3e}",
        (0..4)
            .map(|j| ((bold[j][0] - g.single_bold[j][0]) / g.single_bold[j][0]).abs())
            .fold(0.0, f64::max)
    );
    assert!(range <= TOL, "single run: {range:e}");
    assert!(sample <= TOL, "single run (per sample): {sample:e}");
}

#[test]
fn streaming_push_matches_neurolib_without_allocating() {
    let g = golden();
    let n = g.rates_1ms.len();
    let mut monitor = BoldMonitor::new(n, DT).unwrap();
    assert_eq!(monitor.sampling_steps(), 20000);
    let samples = g.single_t.len();
    let mut t = Vec::with_capacity(samples);
    // (vec![v; n] would clone `v` without its capacity)
    let mut bold: Vec<Vec<f64>> = (0..n).map(|_| Vec::with_capacity(samples)).collect();
    let mut column = vec![0.0; n];
    let ((), allocations) = count(|| {
        for k in 0..g.rates_1ms[0].len() {
            for (c, row) in column.iter_mut().zip(&g.rates_1ms) {
                *c = row[k];
            }
            for _ in 0..REPEAT {
                if let Some(s) = monitor.push(&column).unwrap() {
                    assert_eq!(s.t_ms, s.step as f64 * DT);
                    t.push(s.t_ms);
                    for (series, &b) in bold.iter_mut().zip(s.bold) {
                        series.push(b);
                    }
                }
            }
        }
    });
    assert_eq!(allocations, 0, "push allocated");
    assert_eq!(monitor.steps(), 600_000);
    assert_times(&t, &g.single_t);
    let (range, sample) = errors(&bold, &g.single_bold);
    assert!(range <= TOL && sample <= TOL, "{range:e} {sample:e}");
}

#[test]
fn chunked_run_matches_neurolib() {
    let g = golden();
    let rates = rates_dt01(&g.rates_1ms);
    let chunk = 200_000;
    let part = |c: usize| -> Vec<Vec<f64>> {
        rates
            .iter()
            .map(|r| r[c * chunk..(c + 1) * chunk].to_vec())
            .collect()
    };
    // chunk 1 on a fresh monitor, chunk 2 on a new monitor restored from the saved state,
    // chunk 3 on a clone
    let mut first = BoldMonitor::new(4, DT).unwrap();
    let a = first.run(&part(0)).unwrap();
    let saved: BoldState = first.state();
    assert_eq!(saved.steps, chunk as u64);
    let mut second = BoldMonitor::new(4, DT).unwrap();
    second.set_state(&saved).unwrap();
    let b = second.run(&part(1)).unwrap();
    let mut third = second.clone();
    let c = third.run(&part(2)).unwrap();

    let mut t = a.t_ms.clone();
    t.extend(&b.t_ms);
    t.extend(&c.t_ms);
    let bold: Vec<Vec<f64>> = (0..4)
        .map(|j| [a.bold[j].as_slice(), &b.bold[j], &c.bold[j]].concat())
        .collect();
    assert_times(&t, &g.chunked_t);
    let (range, sample) = errors(&bold, &g.chunked_bold);
    eprintln!("bold_chunked: max|diff|/max|ref| = {range:.3e}, per sample = {sample:.3e}");
    assert!(range <= TOL && sample <= TOL, "{range:e} {sample:e}");

    // and chunking changes nothing at all
    let (_, single) = bold_from_rates(&rates, DT).unwrap();
    assert_eq!(bold, single);
}

#[test]
fn state_round_trip_and_reset() {
    let mut m = BoldMonitor::new(3, 1.0).unwrap();
    assert_eq!(m.state(), BoldState::initial(3));
    for k in 0..2500 {
        m.push(&[k as f64 * 0.01, 3.0, 0.0]).unwrap();
    }
    let s = m.state();
    let mut copy = BoldMonitor::new(3, 1.0).unwrap();
    copy.set_state(&s).unwrap();
    for k in 0..3000 {
        let r = [2.0, (k as f64).sin(), 1.0];
        let a = m
            .push(&r)
            .unwrap()
            .map(|s| (s.step, s.t_ms, s.bold.to_vec()));
        let b = copy
            .push(&r)
            .unwrap()
            .map(|s| (s.step, s.t_ms, s.bold.to_vec()));
        assert_eq!(a, b);
    }
    // at dt = 1 ms samples fall on steps 1, 2001, 4001, ...
    let mut fresh = BoldMonitor::new(1, 1.0).unwrap();
    let steps: Vec<u64> = (0..4002)
        .filter_map(|_| fresh.push(&[1.0]).unwrap().map(|s| s.step))
        .collect();
    assert_eq!(steps, [1, 2001, 4001]);
    fresh.reset();
    assert_eq!(fresh.state(), BoldState::initial(1));
    assert_eq!(fresh.push(&[1.0]).unwrap(), None);
    assert!(fresh.push(&[1.0]).unwrap().is_some());
}

#[test]
fn constant_input_at_rest_gives_zero_bold() {
    // X = 0, F = Q = V = 1 is a fixed point for zero input.
    let mut m = BoldMonitor::new(2, 0.5).unwrap();
    let mut s = m.state();
    s.x = vec![0.0; 2];
    m.set_state(&s).unwrap();
    for _ in 0..10_000 {
        if let Some(sample) = m.push(&[0.0, 0.0]).unwrap() {
            assert_eq!(sample.bold, [0.0, 0.0]);
        }
    }
}

#[test]
fn bad_input_is_rejected() {
    // shorter than one BOLD sampling interval (2000 ms)
    let short = vec![vec![1.0; 19_999]; 2];
    let err = bold_from_rates(&short, DT).unwrap_err();
    assert_eq!(
        err,
        BoldError::TooShort {
            got: 19_999,
            needed: 20_000,
            dt_ms: DT
        }
    );
    assert!(err.to_string().contains("20000 steps"), "{err}");
    assert!(bold_from_rates(&vec![vec![1.0; 20_000]; 2], DT).is_ok());
    // ragged, empty, wrong region count, bad dt
    let ragged = vec![vec![1.0; 30_000], vec![1.0; 29_999]];
    assert!(matches!(
        bold_from_rates(&ragged, DT),
        Err(BoldError::RaggedRates { row: 1, .. })
    ));
    assert_eq!(bold_from_rates(&[], DT), Err(BoldError::NoRegions));
    assert_eq!(BoldMonitor::new(0, DT).unwrap_err(), BoldError::NoRegions);
    let mut m = BoldMonitor::new(3, DT).unwrap();
    assert!(matches!(
        m.push(&[1.0, 2.0]),
        Err(BoldError::RegionCount {
            expected: 3,
            got: 2,
            ..
        })
    ));
    assert!(matches!(
        m.run(&vec![vec![1.0; 5]; 4]),
        Err(BoldError::RegionCount { .. })
    ));
    assert!(matches!(
        m.set_state(&BoldState::initial(2)),
        Err(BoldError::RegionCount { .. })
    ));
    for dt in [0.0, -0.1, f64::NAN, f64::INFINITY, 4000.0] {
        assert!(matches!(
            BoldMonitor::new(1, dt),
            Err(BoldError::InvalidDt { .. })
        ));
    }
}
