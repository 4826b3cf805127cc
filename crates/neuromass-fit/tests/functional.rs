//! Functional measures against neurolib 0.6.2's `utils.functions` (golden data in
//! `tests/data/fit/functions.h5`, made by `tools/copy_fit_reference.py`).

use std::path::PathBuf;

use hdf5::types::VarLenUnicode;
use neuromass_fit::functional::{
    FunctionalError, PowerSpectrum, SpectrumOptions, dominant_frequency, fc, fcd, ks_distance,
    matrix_correlation, matrix_kolmogorov, mean_power_spectrum, pearson, power_spectrum,
    ts_kolmogorov, upper_triangle,
};

const TOL: f64 = 1e-12;

fn file() -> hdf5::File {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/data/fit/functions.h5");
    hdf5::File::open(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn read_rows(ds: &hdf5::Dataset) -> Vec<Vec<f64>> {
    let shape = ds.shape();
    let flat = ds.read_raw::<f64>().unwrap();
    match shape.len() {
        1 => vec![flat],
        2 => flat.chunks(shape[1]).map(<[f64]>::to_vec).collect(),
        _ => panic!("unexpected rank {shape:?}"),
    }
}

fn attr_f64(g: &hdf5::Group, name: &str) -> f64 {
    g.attr(name).unwrap().read_scalar::<f64>().unwrap()
}

/// max |a − b| over all entries.
fn max_abs_diff(a: &[Vec<f64>], b: &[Vec<f64>]) -> f64 {
    assert_eq!(a.len(), b.len(), "rows");
    a.iter()
        .zip(b)
        .flat_map(|(x, y)| {
            assert_eq!(x.len(), y.len(), "columns");
            x.iter().zip(y).map(|(p, q)| (p - q).abs())
        })
        .fold(0.0, f64::max)
}

#[test]
fn fc_fcd_and_distances_match_neurolib() {
    let f = file();
    let g = f.group("functions").unwrap();
    let ts = read_rows(&g.dataset("ts").unwrap());
    let ts2 = read_rows(&g.dataset("ts2").unwrap());

    let fc1 = fc(&ts).unwrap();
    let e_fc = max_abs_diff(&fc1, &read_rows(&g.dataset("fc").unwrap()));
    let fcd1 = fcd(&ts, 30, 5).unwrap();
    assert_eq!(fcd1.len(), 54);
    let e_fcd = max_abs_diff(&fcd1, &read_rows(&g.dataset("fcd_w30_s5").unwrap()));

    let fc2 = fc(&ts2).unwrap();
    let mc = matrix_correlation(&fc1, &fc2).unwrap();
    let e_mc = (mc - attr_f64(&g, "matrix_correlation_fc_fc2")).abs();
    let ks_ts = ts_kolmogorov(&ts, &ts2, 30, 5).unwrap();
    let e_ks_ts = (ks_ts - attr_f64(&g, "ts_kolmogorov_ts_ts2")).abs();
    let ks_m = matrix_kolmogorov(&fc1, &fc2).unwrap();
    let e_ks_m = (ks_m - attr_f64(&g, "matrix_kolmogorov_fc_fc2")).abs();

    eprintln!(
        "functions: fc {e_fc:.2e}, fcd {e_fcd:.2e}, matrix_correlation {e_mc:.2e}, \
         ts_kolmogorov {e_ks_ts:.2e}, matrix_kolmogorov {e_ks_m:.2e} (max abs error; all values in [-1, 1])"
    );
    for (what, e) in [
        ("fc", e_fc),
        ("fcd", e_fcd),
        ("matrix_correlation", e_mc),
        ("ts_kolmogorov", e_ks_ts),
        ("matrix_kolmogorov", e_ks_m),
    ] {
        assert!(e <= TOL, "{what}: {e:e}");
    }
}

/// The signal of a power-spectrum case (possibly a prefix of another case's signal).
fn case_signal(ps: &hdf5::Group, case: &hdf5::Group) -> Vec<Vec<f64>> {
    if let Ok(ds) = case.dataset("signal") {
        return read_rows(&ds);
    }
    let from: VarLenUnicode = case.attr("signal_from").unwrap().read_scalar().unwrap();
    let len = case
        .attr("signal_len")
        .unwrap()
        .read_scalar::<i64>()
        .unwrap() as usize;
    read_rows(&ps.group(from.as_str()).unwrap().dataset("signal").unwrap())
        .into_iter()
        .map(|mut r| {
            r.truncate(len);
            r
        })
        .collect()
}

#[test]
fn power_spectra_match_neurolib() {
    let f = file();
    let ps = f.group("power_spectrum").unwrap();
    let cases = ps.member_names().unwrap();
    assert_eq!(cases.len(), 5);
    for name in cases {
        let case = ps.group(&name).unwrap();
        let signal = case_signal(&ps, &case);
        let dt = attr_f64(&case, "dt_ms");
        let opts = SpectrumOptions {
            max_freq_hz: attr_f64(&case, "maxfr_hz"),
            window_s: attr_f64(&case, "spectrum_windowsize_s"),
            normalize: case
                .attr("normalize")
                .unwrap()
                .read_scalar::<bool>()
                .unwrap(),
        };
        let mean = case
            .attr("mean_over_rows")
            .unwrap()
            .read_scalar::<bool>()
            .unwrap();
        let ours: PowerSpectrum = if mean {
            mean_power_spectrum(&signal, dt, &opts).unwrap()
        } else {
            assert_eq!(signal.len(), 1);
            power_spectrum(&signal[0], dt, &opts).unwrap()
        };
        let want_f = case.dataset("f_hz").unwrap().read_raw::<f64>().unwrap();
        let want_p = case.dataset("power").unwrap().read_raw::<f64>().unwrap();
        assert_eq!(
            ours.f_hz.len(),
            want_f.len(),
            "{name}: number of frequencies"
        );
        let e_f = ours
            .f_hz
            .iter()
            .zip(&want_f)
            .map(|(a, b)| (a - b).abs() / b.abs().max(1.0))
            .fold(0.0, f64::max);
        let p_max = want_p.iter().copied().fold(0.0, f64::max);
        let e_p = ours
            .power
            .iter()
            .zip(&want_p)
            .map(|(a, b)| (a - b).abs() / p_max)
            .fold(0.0, f64::max);
        let e_rel = ours
            .power
            .iter()
            .zip(&want_p)
            .map(|(a, b)| (a - b).abs() / b.abs())
            .fold(0.0, f64::max);
        let dom = ours.dominant_frequency().unwrap();
        let want_dom = attr_f64(&case, "dominant_frequency_hz");
        eprintln!(
            "power_spectrum {name}: {} bins, freq rel err {e_f:.2e}, max|dP|/max P {e_p:.2e} (per bin {e_rel:.2e}), dominant {dom} Hz",
            want_f.len()
        );
        assert!(e_f <= TOL, "{name}: frequencies {e_f:e}");
        assert!(e_p <= TOL, "{name}: power {e_p:e}");
        assert_eq!(dom, want_dom, "{name}: dominant frequency");
        if !mean {
            assert_eq!(dominant_frequency(&signal[0], dt, &opts).unwrap(), want_dom);
        }
    }
}

#[test]
fn constant_signals_give_zero_correlations() {
    // region 1 constant: its row and column are 0, diagonal included (neurolib's fc)
    let ts = vec![
        vec![1.0, 2.0, 4.0, 3.0],
        vec![0.7; 4],
        vec![2.0, 4.0, 8.0, 6.0],
    ];
    let m = fc(&ts).unwrap();
    assert_eq!(m[0], [1.0, 0.0, 1.0]);
    assert_eq!(m[1], [0.0, 0.0, 0.0]);
    assert_eq!(m[2], [1.0, 0.0, 1.0]);
    // a constant value that does not average exactly (0.1 * 3 / 3 != 0.1) is still constant
    assert_eq!(pearson(&[0.1; 3], &[1.0, 2.0, 3.0]).unwrap(), 0.0);
    // an all-constant recording: every window FC is all 0, so every FCD entry is 0 (neurolib: NaN)
    let flat = vec![vec![3.0; 40]; 3];
    let d = fcd(&flat, 10, 5).unwrap();
    assert_eq!(d.len(), 6);
    assert!(d.iter().flatten().all(|&v| v == 0.0));
    // matrix correlation with a constant triangle is 0
    let zero = vec![vec![0.0; 3]; 3];
    assert_eq!(matrix_correlation(&m, &zero).unwrap(), 0.0);
}

#[test]
fn fcd_window_layout_is_neurolibs() {
    // T = 40, window 10, step 5: starts 0, 5, ..., 25 (30 = T - window is excluded)
    let ts: Vec<Vec<f64>> = (0..3)
        .map(|j| {
            (0..40)
                .map(|t| ((t * (j + 2)) as f64 * 0.37).sin())
                .collect()
        })
        .collect();
    let d = fcd(&ts, 10, 5).unwrap();
    assert_eq!(d.len(), 6);
    for (a, row) in d.iter().enumerate() {
        assert_eq!(row.len(), 6);
        assert_eq!(row[a], 1.0);
        for (b, &v) in row.iter().enumerate() {
            assert_eq!(v, d[b][a]);
            assert!((-1.0..=1.0).contains(&v));
        }
    }
    // step 1 on 11 samples with window 10: exactly one window
    let short: Vec<Vec<f64>> = ts.iter().map(|r| r[..11].to_vec()).collect();
    assert_eq!(fcd(&short, 10, 1).unwrap(), [[1.0]]);
}

#[test]
fn ks_distance_basics() {
    assert_eq!(ks_distance(&[1.0, 2.0], &[1.0, 2.0]).unwrap(), 0.0);
    assert_eq!(ks_distance(&[1.0, 2.0], &[3.0, 4.0, 5.0]).unwrap(), 1.0);
    assert_eq!(ks_distance(&[3.0, 1.0], &[2.0]).unwrap(), 0.5);
    let m = vec![
        vec![9.0, 1.0, 2.0],
        vec![1.0, 9.0, 3.0],
        vec![2.0, 3.0, 9.0],
    ];
    assert_eq!(upper_triangle(&m).unwrap(), [1.0, 2.0, 3.0]);
    // different sizes are fine for the KS distance
    let m2 = vec![vec![0.0, 1.0], vec![1.0, 0.0]];
    assert!((matrix_kolmogorov(&m, &m2).unwrap() - 2.0 / 3.0).abs() < 1e-15);
}

#[test]
fn bad_input_is_rejected() {
    use FunctionalError as E;
    let empty: Vec<Vec<f64>> = Vec::new();
    assert!(matches!(fc(&empty), Err(E::Empty { .. })));
    assert!(matches!(
        fc(&[vec![1.0, 2.0], vec![1.0]]),
        Err(E::Ragged { row: 1, .. })
    ));
    assert!(matches!(
        fc(&[vec![1.0], vec![2.0]]),
        Err(E::TooShort { .. })
    ));
    assert!(matches!(
        fc(&[vec![1.0, f64::NAN]]),
        Err(E::NonFinite { row: 0, col: 1, .. })
    ));
    let ts = vec![vec![1.0, 2.0, 0.0, 5.0]; 2];
    assert!(matches!(fcd(&ts, 4, 1), Err(E::TooShort { .. })));
    assert!(matches!(fcd(&ts, 2, 0), Err(E::InvalidSetting { .. })));
    assert!(matches!(fcd(&ts, 1, 1), Err(E::InvalidSetting { .. })));
    let sq = vec![vec![0.0; 3]; 3];
    let rect = vec![vec![0.0; 3]; 2];
    assert!(matches!(
        matrix_correlation(&sq, &rect),
        Err(E::NotSquare { .. })
    ));
    assert!(matches!(
        matrix_correlation(&sq, &vec![vec![0.0; 4]; 4]),
        Err(E::SizeMismatch { .. })
    ));
    assert!(matches!(
        matrix_kolmogorov(&sq, &[[1.0]]),
        Err(E::TooShort { .. })
    ));
    assert!(matches!(ks_distance(&[], &[1.0]), Err(E::Empty { .. })));
    assert!(matches!(
        ks_distance(&[1.0], &[f64::INFINITY]),
        Err(E::NonFinite { .. })
    ));
    assert!(matches!(
        pearson(&[1.0, 2.0], &[1.0]),
        Err(E::SizeMismatch { .. })
    ));
    let x = vec![0.5; 100];
    let opts = SpectrumOptions::default();
    assert!(matches!(
        power_spectrum(&x, 0.0, &opts),
        Err(E::InvalidSetting { .. })
    ));
    assert!(matches!(
        power_spectrum(&x[..1], 1.0, &opts),
        Err(E::TooShort { .. })
    ));
    let no_bins = SpectrumOptions {
        max_freq_hz: 0.0,
        ..opts
    };
    assert!(power_spectrum(&x, 1.0, &no_bins).unwrap().power.is_empty());
    assert!(matches!(
        dominant_frequency(&x, 1.0, &no_bins),
        Err(E::InvalidSetting { .. })
    ));
    // a constant signal has zero power everywhere; normalising leaves it at zero
    let norm = SpectrumOptions {
        normalize: true,
        ..opts
    };
    assert!(
        power_spectrum(&x, 1.0, &norm)
            .unwrap()
            .power
            .iter()
            .all(|&p| p == 0.0)
    );
}
