//! ALN transfer tables from first principles (`aln_table`): agreement with neurolib's shipped
//! table (`datasets/aln/quantities_cascade.h5`) in exact and fast mode, the file layout the
//! ALN masses read, invariants and input errors.

use neuromass_models::aln_table::{
    AdexNeuron, AlnTableSpec, Numerics, TableMode, cascade_point, linspace, table_neuron,
};
use neuromass_models::{DEFAULT_TABLE_PATH, TransferTable};
use proptest::prelude::*;

struct Shipped {
    mu: Vec<f64>,
    sigma: Vec<f64>,
    r_ss: Vec<f64>,
    v_mean: Vec<f64>,
    tau_mu: Vec<f64>,
    tau_sigma: Vec<f64>,
    freqs: Vec<f64>,
}

fn shipped() -> Shipped {
    let f = hdf5::File::open(DEFAULT_TABLE_PATH).unwrap();
    let rd = |n: &str| f.dataset(n).unwrap().read_raw::<f64>().unwrap();
    Shipped {
        mu: rd("mu_vals"),
        sigma: rd("sigma_vals"),
        r_ss: rd("r_ss"),
        v_mean: rd("V_mean_ss"),
        tau_mu: rd("tau_mu_exp"),
        tau_sigma: rd("tau_sigma_exp"),
        freqs: rd("freq_vals"),
    }
}

/// Compare computed points with the shipped table: r_ss to 1e-12 relative, V_mean_ss to
/// 1e-10 mV, both taus within one 0.01 ms step.
fn check_points(mode: TableMode, points: &[(usize, usize)]) {
    let s = shipped();
    let (neuron, numerics) = (AdexNeuron::default(), Numerics::default());
    for &(i, j) in points {
        let k = i * s.sigma.len() + j;
        let p = cascade_point(&neuron, &numerics, mode, s.mu[i], s.sigma[j]).unwrap();
        let at = format!(
            "{mode:?} at mu[{i}] = {}, sigma[{j}] = {}",
            s.mu[i], s.sigma[j]
        );
        assert!(
            (p.r_ss / s.r_ss[k] - 1.0).abs() < 1e-12,
            "{at}: r_ss {} vs {}",
            p.r_ss,
            s.r_ss[k]
        );
        assert!(
            (p.v_mean_ss - s.v_mean[k]).abs() < 1e-10,
            "{at}: V_mean_ss {} vs {}",
            p.v_mean_ss,
            s.v_mean[k]
        );
        assert!(
            (p.tau_mu_exp - s.tau_mu[k]).abs() < 0.0100001,
            "{at}: tau_mu_exp {} vs {}",
            p.tau_mu_exp,
            s.tau_mu[k]
        );
        assert!(
            (p.tau_sigma_exp - s.tau_sigma[k]).abs() < 0.0100001,
            "{at}: tau_sigma_exp {} vs {}",
            p.tau_sigma_exp,
            s.tau_sigma[k]
        );
    }
}

#[test]
fn grids_are_numpy_identical_to_the_shipped_ones() {
    let s = shipped();
    assert_eq!(s.mu, linspace(-1.0, 7.0, 350));
    assert_eq!(s.sigma, linspace(0.5, 5.0, 64));
    assert_eq!(s.freqs, Numerics::default().frequencies_khz());
}

#[test]
fn exact_mode_reproduces_the_shipped_table() {
    // Corners, a very low rate (~1e-130 kHz), the regular-firing corner and the middle.
    check_points(
        TableMode::Exact,
        &[(0, 0), (0, 63), (349, 0), (349, 63), (120, 20), (200, 40)],
    );
}

#[test]
fn fast_mode_matches_the_shipped_table() {
    let points: Vec<(usize, usize)> = (0..350)
        .step_by(23)
        .flat_map(|i| (0..64).step_by(9).map(move |j| (i, j)))
        .collect();
    check_points(TableMode::Fast, &points);
}

#[test]
fn fast_mode_small_taus_at_sharp_resonances_stay_within_five_percent() {
    // High mu, low sigma (and one high-sigma point): tau_mu is only 0.17-0.2 ms and the
    // response has sharp resonances, so neighbouring 0.01 ms candidates fit almost equally
    // well. The interpolated response alone lands one step (5.3-5.8 %) off here; the
    // interpolation-error check must send these points to the full frequency sweep.
    let s = shipped();
    let (neuron, numerics) = (AdexNeuron::default(), Numerics::default());
    for (i, j) in [(313, 1), (318, 0), (345, 51)] {
        let k = i * s.sigma.len() + j;
        let p = cascade_point(&neuron, &numerics, TableMode::Fast, s.mu[i], s.sigma[j]).unwrap();
        let rel = (p.tau_mu_exp / s.tau_mu[k] - 1.0).abs();
        assert!(
            rel <= 0.05,
            "mu[{i}], sigma[{j}]: tau_mu_exp {} vs shipped {} ({:.1} %)",
            p.tau_mu_exp,
            s.tau_mu[k],
            100.0 * rel
        );
    }
}

#[test]
fn written_tables_load_as_aln_tables_with_their_neuron() {
    let path = std::env::temp_dir().join(format!("aln_table_gen_{}.h5", std::process::id()));
    let neuron = AdexNeuron {
        delta_t: 2.0,
        c: 250.0,
        ..AdexNeuron::default()
    };
    let spec = AlnTableSpec::new(neuron)
        .with_mu(0.5, 2.5, 3)
        .unwrap()
        .with_sigma(1.0, 3.0, 2)
        .unwrap();
    let calls = std::sync::atomic::AtomicUsize::new(0);
    let table = spec
        .compute(|| {
            calls.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        })
        .unwrap();
    assert_eq!(calls.into_inner(), 6);
    table.write(&path).unwrap();
    let loaded = TransferTable::load(&path).unwrap();
    for (i, &mu) in table.mu.iter().enumerate() {
        for (j, &sigma) in table.sigma.iter().enumerate() {
            let p = table.at(i, j);
            assert_eq!(
                loaded.lookup(mu, sigma),
                [p.r_ss, p.v_mean_ss, p.tau_mu_exp]
            );
        }
    }
    assert_eq!(loaded.neuron(), Some(neuron));
    assert!(loaded.mismatch_warnings(250.0, 10.0).is_empty());
    let w = loaded.mismatch_warnings(200.0, 10.0);
    assert_eq!(w.len(), 1, "{w:?}");
    assert!(
        w[0].contains("C = 200 pF") && w[0].contains("C = 250 pF"),
        "{w:?}"
    );
    let file = hdf5::File::open(&path).unwrap();
    assert_eq!(table_neuron(&file), Some(neuron));
    let tau_sigma = file.dataset("tau_sigma_exp").unwrap();
    assert_eq!(tau_sigma.shape(), [3, 2]);
    drop(file);
    std::fs::remove_file(&path).ok();
    // neurolib's own file records its neuron in `params/`.
    let file = hdf5::File::open(DEFAULT_TABLE_PATH).unwrap();
    assert_eq!(table_neuron(&file), Some(AdexNeuron::default()));
}

#[test]
fn leaky_integrate_and_fire_works() {
    let lif = AdexNeuron {
        delta_t: 0.0,
        ..AdexNeuron::default()
    };
    let p = cascade_point(&lif, &Numerics::default(), TableMode::Fast, 2.0, 2.0).unwrap();
    let eif = cascade_point(
        &AdexNeuron::default(),
        &Numerics::default(),
        TableMode::Fast,
        2.0,
        2.0,
    )
    .unwrap();
    assert!(p.r_ss > 0.0 && p.r_ss < eif.r_ss, "{p:?} vs {eif:?}");
    assert!(p.tau_mu_exp > 0.0 && p.v_mean_ss < -40.0);
}

fn err_of(spec: &AlnTableSpec) -> String {
    spec.compute(|| {}).unwrap_err().to_string()
}

#[test]
fn bad_input_is_rejected_with_the_parameter_named() {
    let base = AlnTableSpec::new(AdexNeuron::default())
        .with_mu(0.0, 1.0, 2)
        .unwrap()
        .with_sigma(1.0, 2.0, 2)
        .unwrap();
    let with = |f: &dyn Fn(&mut AdexNeuron)| {
        let mut s = base.clone();
        f(&mut s.neuron);
        err_of(&s)
    };
    let e = with(&|n| n.v_r = -40.0);
    assert!(e.contains("`Vr`") && e.contains("below Vcut"), "{e}");
    let e = with(&|n| n.c = 0.0);
    assert!(e.contains("`C`") && e.contains("> 0"), "{e}");
    let e = with(&|n| n.g_l = -1.0);
    assert!(e.contains("`gL`") && e.contains("> 0"), "{e}");
    let e = with(&|n| n.t_ref = f64::NAN);
    assert!(e.contains("`Tref`") && e.contains("finite"), "{e}");

    let e = base
        .clone()
        .with_sigma(-1.0, 2.0, 4)
        .unwrap_err()
        .to_string();
    assert!(e.contains("`sigma`") && e.contains("> 0"), "{e}");
    let mut s = base.clone();
    s.sigma = vec![0.0, 1.0];
    let e = err_of(&s);
    assert!(e.contains("`sigma`") && e.contains("> 0"), "{e}");
    let mut s = base.clone();
    s.mu = vec![0.0, 1.0, 3.0];
    let e = err_of(&s);
    assert!(e.contains("`mu`") && e.contains("not uniform"), "{e}");
    let mut s = base.clone();
    s.mu = vec![1.0];
    let e = err_of(&s);
    assert!(e.contains("`mu`") && e.contains("at least 2"), "{e}");
    let e = cascade_point(
        &AdexNeuron::default(),
        &Numerics::default(),
        TableMode::Fast,
        1.0,
        0.0,
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("`sigma`"), "{e}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(12))]

    /// More input drive, more firing; the mean voltage stays between reset-ish values and
    /// the cut-off; filters are positive.
    #[test]
    fn rate_increases_with_mu(mu in -0.5f64..4.0, dmu in 0.05f64..1.0, sigma in 0.8f64..4.5) {
        let (n, num) = (AdexNeuron::default(), Numerics::default());
        let a = cascade_point(&n, &num, TableMode::Fast, mu, sigma).unwrap();
        let b = cascade_point(&n, &num, TableMode::Fast, mu + dmu, sigma).unwrap();
        prop_assert!(b.r_ss > a.r_ss, "{a:?} {b:?}");
        prop_assert!(a.r_ss > 0.0 && b.r_ss < 1.0 / n.t_ref);
        prop_assert!(a.v_mean_ss > -100.0 && a.v_mean_ss < n.v_cut);
        prop_assert!(a.tau_mu_exp > 0.0 && b.tau_mu_exp > 0.0);
    }
}
