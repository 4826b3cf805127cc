//! Statistics of the noise processes against the exact values of the discretised
//! processes and against neurolib 0.6.2's stored statistics (`stochastic/*` in
//! `tests/data/stimuli/stimuli.h5`).
//!
//! Like the reference we use 200 seeds x 4 channels = 800 realisations of 500 ms at
//! dt = 0.1 ms. Tolerances are 5 standard errors (SE) computed from the number of samples
//! and the process's autocorrelation, for an AR(1) process with `phi = 1 - dt / tau`,
//! stationary variance `v`, and `N` = realisations x samples in the stationary window:
//!
//! * mean: `SE^2 = v / N * (1 + phi) / (1 - phi)`;
//! * variance: `SE^2 = 2 v^2 / N * (1 + phi^2) / (1 - phi^2)`;
//! * autocorrelation at lag h (Bartlett): `SE^2 = [(1 + phi^2)(1 - phi^(2h)) / (1 - phi^2)
//!   - 2 h phi^(2h)] / N`;
//! * ensemble mean and variance at time step k over R = 800 realisations:
//!   `SE = sqrt(Var_k / R)` and `Var_k * sqrt(2 / (R - 1))`.
//!
//! Against the exact value we allow 5 SE; against neurolib's estimate (an independent
//! sample of the same size) 5 * sqrt(2) SE. Our streams are counter-based, so these tests
//! are deterministic; with 5 SE a correct generator would fail a single comparison with
//! probability < 1e-6 (< 0.3% for the worst of the 5000 correlated per-time comparisons).

use std::path::Path;

use hdf5::types::VarLenUnicode;
use neuromass_stimulus::{NoiseStream, Stimulus, stream_key};
use serde_json::Value;

const SEEDS: u64 = 200;
const CHANNELS: usize = 4;
const DURATION: f64 = 500.0;
const DT: f64 = 0.1;
const K: f64 = 5.0;

fn group(name: &str) -> hdf5::Group {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/data/stimuli/stimuli.h5");
    hdf5::File::open(&path).unwrap().group(name).unwrap()
}

fn json_attr(g: &hdf5::Group, name: &str) -> Value {
    let s: VarLenUnicode = g.attr(name).unwrap().read_scalar().unwrap();
    serde_json::from_str(s.as_str()).unwrap()
}

fn floats(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

/// `SEEDS * CHANNELS` realisations of `steps` samples, `sample(first..first + steps)`.
fn realisations(stim: &Stimulus, first: u64, steps: usize) -> Vec<Vec<f64>> {
    let mut out = Vec::new();
    for seed in 0..SEEDS {
        for mut sig in stim.sampler(DURATION, DT, seed).unwrap() {
            out.push(
                (0..steps as u64)
                    .map(|k| sig.sample(first + k, DT))
                    .collect(),
            );
        }
    }
    out
}

/// Grand mean, variance and autocorrelations of the samples `from..` of every
/// realisation, with neurolib's estimator: mean over realisations and time of
/// `(x_t - m)(x_{t+lag} - m)` divided by `mean((x_t - m)^2)`.
fn stationary(xs: &[Vec<f64>], from: usize, lags: &[usize]) -> (f64, f64, Vec<f64>, usize) {
    let n: usize = xs.iter().map(|x| x.len() - from).sum();
    let m = xs.iter().flat_map(|x| &x[from..]).sum::<f64>() / n as f64;
    let var = xs
        .iter()
        .flat_map(|x| &x[from..])
        .map(|v| (v - m) * (v - m))
        .sum::<f64>()
        / n as f64;
    let acf = lags
        .iter()
        .map(|&h| {
            let mut s = 0.0;
            let mut c = 0usize;
            for x in xs {
                for t in from..x.len() - h {
                    s += (x[t] - m) * (x[t + h] - m);
                    c += 1;
                }
            }
            s / c as f64 / var
        })
        .collect();
    (m, var, acf, n)
}

fn check(what: &str, ours: f64, target: f64, se: f64, k: f64) {
    let z = (ours - target).abs() / se;
    println!("{what}: ours {ours:.6} vs {target:.6} ({z:.2} SE, SE {se:.2e}, limit {k:.2} SE)");
    assert!(z <= k, "{what}: {ours} vs {target} is {z:.2} SE > {k:.2}");
}

fn check_ou(name: &str) {
    let g = group(&format!("stochastic/{name}"));
    let kw = json_attr(&g, "constructor_kwargs");
    let (mu, sigma, tau) = (
        kw["mu"].as_f64().unwrap(),
        kw["sigma"].as_f64().unwrap(),
        kw["tau"].as_f64().unwrap(),
    );
    let lags: Vec<usize> = floats(&json_attr(&g, "lags_steps"))
        .iter()
        .map(|&l| l as usize)
        .collect();
    let theory = json_attr(&g, "theory_euler_ar1");
    let phi = 1.0 - DT / tau;
    let v = sigma * sigma * DT / (1.0 - phi * phi);
    assert!((theory["phi"].as_f64().unwrap() - phi).abs() < 1e-12);
    assert!((theory["var"].as_f64().unwrap() - v).abs() < 1e-12);

    // Samples 0..5000: sample k is x_k, which neurolib stores in column k.
    let stim = Stimulus::ornstein_uhlenbeck(CHANNELS, mu, sigma, tau).unwrap();
    let xs = realisations(&stim, 0, 5000);
    let r = xs.len() as f64;

    // Ensemble mean and variance at every time vs exact and vs neurolib.
    let ref_mean = g
        .dataset("ensemble_mean")
        .unwrap()
        .read_raw::<f64>()
        .unwrap();
    let ref_var = g
        .dataset("ensemble_var")
        .unwrap()
        .read_raw::<f64>()
        .unwrap();
    let (mut worst_exact, mut worst_ref) = (0.0f64, 0.0f64);
    for k in 0..5000 {
        let col: Vec<f64> = xs.iter().map(|x| x[k]).collect();
        let m = col.iter().sum::<f64>() / r;
        let var = col.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / r;
        let p2 = phi.powi(2 * k as i32);
        let exact_mean = mu + (0.5 * mu - mu) * phi.powi(k as i32);
        let exact_var = p2 * mu * mu / 12.0 + sigma * sigma * DT * (1.0 - p2) / (1.0 - phi * phi);
        if exact_var == 0.0 {
            assert_eq!((m, var), (0.0, 0.0), "{name}: step {k}");
            assert_eq!((ref_mean[k], ref_var[k]), (0.0, 0.0));
            continue;
        }
        let se_m = (exact_var / r).sqrt();
        let se_v = exact_var * (2.0 / (r - 1.0)).sqrt();
        worst_exact = worst_exact
            .max((m - exact_mean).abs() / se_m)
            .max((var - exact_var).abs() / se_v);
        worst_ref = worst_ref
            .max((m - ref_mean[k]).abs() / se_m)
            .max((var - ref_var[k]).abs() / se_v);
    }
    println!(
        "{name}: ensemble mean/var over time: worst {worst_exact:.2} SE from exact, \
         {worst_ref:.2} SE from neurolib"
    );
    assert!(worst_exact <= K);
    assert!(worst_ref <= K * 2f64.sqrt());

    // Stationary window: neurolib labels column k with t = (k + 1) dt; t > 10 tau.
    let from = (0..5000)
        .find(|&k| (k + 1) as f64 * DT > 10.0 * tau)
        .unwrap();
    let (m, var, acf, n) = stationary(&xs, from, &lags);
    let n = n as f64;
    let se_mean = (v / n * (1.0 + phi) / (1.0 - phi)).sqrt();
    let se_var = v * (2.0 / n * (1.0 + phi * phi) / (1.0 - phi * phi)).sqrt();
    check(&format!("{name} mean vs exact"), m, mu, se_mean, K);
    let ref_m = json_attr(&g, "stationary_mean").as_f64().unwrap();
    check(
        &format!("{name} mean vs neurolib"),
        m,
        ref_m,
        se_mean,
        K * 2f64.sqrt(),
    );
    check(&format!("{name} var vs exact"), var, v, se_var, K);
    let ref_v = json_attr(&g, "stationary_var").as_f64().unwrap();
    check(
        &format!("{name} var vs neurolib"),
        var,
        ref_v,
        se_var,
        K * 2f64.sqrt(),
    );
    let ref_acf = floats(&json_attr(&g, "stationary_autocorr"));
    let exact_acf = floats(&theory["autocorr"]);
    assert!(
        lags.contains(&((tau / DT).round() as usize)),
        "lag = tau is tested"
    );
    for (i, &h) in lags.iter().enumerate() {
        let p2h = phi.powi(2 * h as i32);
        let se = (((1.0 + phi * phi) * (1.0 - p2h) / (1.0 - phi * phi) - 2.0 * h as f64 * p2h) / n)
            .sqrt();
        assert!((exact_acf[i] - phi.powi(h as i32)).abs() < 1e-12);
        check(
            &format!("{name} acf lag {h} vs exact"),
            acf[i],
            exact_acf[i],
            se,
            K,
        );
        check(
            &format!("{name} acf lag {h} vs neurolib"),
            acf[i],
            ref_acf[i],
            se,
            K * 2f64.sqrt(),
        );
    }
}

#[test]
fn ou_0_statistics() {
    check_ou("ou_0");
}

#[test]
fn ou_1_statistics() {
    check_ou("ou_1");
}

#[test]
fn wiener_statistics() {
    let g = group("stochastic/wiener");
    let lags: Vec<usize> = floats(&json_attr(&g, "lags_steps"))
        .iter()
        .map(|&l| l as usize)
        .collect();
    // as_array columns 0..5000 are samples 1..=5000.
    let xs = realisations(&Stimulus::wiener(CHANNELS).unwrap(), 1, 5000);
    let (m, var, acf, n) = stationary(&xs, 0, &lags);
    let n = n as f64;
    let se_mean = (DT / n).sqrt();
    let se_var = DT * (2.0 / n).sqrt();
    let se_acf = 1.0 / n.sqrt();
    let k2 = K * 2f64.sqrt();
    check("wiener mean vs exact", m, 0.0, se_mean, K);
    check(
        "wiener mean vs neurolib",
        m,
        json_attr(&g, "mean").as_f64().unwrap(),
        se_mean,
        k2,
    );
    check("wiener var vs exact", var, DT, se_var, K);
    check(
        "wiener var vs neurolib",
        var,
        json_attr(&g, "var").as_f64().unwrap(),
        se_var,
        k2,
    );
    let ref_acf = floats(&json_attr(&g, "autocorr"));
    for (i, &h) in lags.iter().enumerate() {
        check(
            &format!("wiener acf lag {h} vs exact"),
            acf[i],
            0.0,
            se_acf,
            K,
        );
        check(
            &format!("wiener acf lag {h} vs neurolib"),
            acf[i],
            ref_acf[i],
            se_acf,
            k2,
        );
    }
}

/// Channels, seeds and the noise processes of a composite draw independent streams.
#[test]
fn noise_streams_are_independent() {
    let steps = 200_000u64;
    let n = steps as f64;
    let corr = |a: &[f64], b: &[f64]| {
        let ma = a.iter().sum::<f64>() / n;
        let mb = b.iter().sum::<f64>() / n;
        let cov = a
            .iter()
            .zip(b)
            .map(|(x, y)| (x - ma) * (y - mb))
            .sum::<f64>();
        let va = a.iter().map(|x| (x - ma).powi(2)).sum::<f64>();
        let vb = b.iter().map(|y| (y - mb).powi(2)).sum::<f64>();
        cov / (va * vb).sqrt()
    };
    let draw = |stim: &Stimulus, seed: u64| -> Vec<Vec<f64>> {
        stim.sampler(steps as f64 * DT, DT, seed)
            .unwrap()
            .into_iter()
            .map(|mut s| (0..steps).map(|k| s.sample(k, DT)).collect())
            .collect()
    };
    let w = Stimulus::wiener(2).unwrap();
    let a = draw(&w, 1);
    let b = draw(&w, 2);
    check(
        "corr(channel 0, channel 1)",
        corr(&a[0], &a[1]),
        0.0,
        1.0 / n.sqrt(),
        K,
    );
    check(
        "corr(seed 1, seed 2)",
        corr(&a[0], &b[0]),
        0.0,
        1.0 / n.sqrt(),
        K,
    );
    // Two Wiener processes in one sum: variance 2 dt if independent (4 dt if identical).
    let s = draw(&(&w + &w), 1);
    let var = s[0].iter().map(|x| x * x).sum::<f64>() / n;
    check("var(W + W)", var, 2.0 * DT, 2.0 * DT * (2.0 / n).sqrt(), K);
    // The first noise process of a composite draws from `stream_key(seed, &[c])` like the
    // plain stimulus, the second from `stream_key(seed, &[c, 1])`.
    for c in 0..2 {
        let second = DT.sqrt() * NoiseStream::new(stream_key(1, &[c as u64, 1])).normal(10);
        assert_eq!(s[c][10], a[c][10] + second);
    }
    let with_sine = draw(&(&w + &Stimulus::sinusoidal(2, 1.0, 10.0).unwrap()), 1);
    let t = 10.0 * DT;
    let expected = a[0][10] + (std::f64::consts::TAU * t * 0.01).sin();
    assert!((with_sine[0][10] - expected).abs() < 1e-12);
}
