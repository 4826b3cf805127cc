//! Agreement with neurolib 0.6.2's `utils.stimulus` on its stored outputs
//! (`tests/data/stimuli/stimuli.h5`, see its README).
//!
//! Every deterministic and composite array must match to an **absolute** error of 1e-12
//! (all values are of order 1; the measured worst error is printed), through `as_array`
//! and through the per-step sampler; the length table must match exactly.

use std::path::{Path, PathBuf};

use hdf5::types::VarLenUnicode;
use neuromass_stimulus::{ExpType, Stimulus};
use serde_json::Value;

const TOLERANCE: f64 = 1e-12;

fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/data")
}

fn open() -> hdf5::File {
    let path = data_dir().join("stimuli/stimuli.h5");
    hdf5::File::open(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn str_attr(obj: &hdf5::Location, name: &str) -> String {
    let s: VarLenUnicode = obj.attr(name).unwrap().read_scalar().unwrap();
    s.as_str().to_string()
}

fn f64_attr(obj: &hdf5::Location, name: &str) -> f64 {
    obj.attr(name).unwrap().read_scalar::<f64>().unwrap()
}

/// (n, T) array of a dataset.
fn read_array(ds: &hdf5::Dataset) -> Vec<Vec<f64>> {
    let shape = ds.shape();
    let flat = ds.read_raw::<f64>().unwrap();
    flat.chunks(shape[1]).map(<[f64]>::to_vec).collect()
}

/// A leaf from neurolib's class name and constructor kwargs.
fn from_kwargs(class: &str, kw: &Value) -> Stimulus {
    let f = |k: &str| kw[k].as_f64().unwrap_or_else(|| panic!("{class}: no {k}"));
    let n = kw["n"].as_u64().unwrap() as usize;
    let mut s = match class {
        "ZeroInput" => Stimulus::zero(n),
        "StepInput" => Stimulus::step(n, f("step_size")),
        "SinusoidalInput" => Stimulus::sinusoidal(n, f("amplitude"), f("frequency")),
        "SquareInput" => Stimulus::square(n, f("amplitude"), f("frequency")),
        "LinearRampInput" => Stimulus::linear_ramp(n, f("inp_max"), f("ramp_length")),
        "ExponentialInput" => {
            let t = match kw["exp_type"].as_str().unwrap_or("rise") {
                "rise" => ExpType::Rise,
                "decay" => ExpType::Decay,
                other => panic!("exp_type {other}"),
            };
            Stimulus::exponential(n, f("inp_max"), kw["exp_coef"].as_f64().unwrap_or(30.0), t)
        }
        "RectifiedInput" => Stimulus::rectified(n, f("amplitude")),
        other => panic!("unknown class {other}"),
    }
    .unwrap();
    if kw["dc_bias"].as_bool() == Some(true) {
        s = s.dc_bias(true).unwrap();
    }
    if let Some(v) = kw["start"].as_f64() {
        s = s.start(v).unwrap();
    }
    if let Some(v) = kw["end"].as_f64() {
        s = s.end(v).unwrap();
    }
    s
}

/// The composites, rebuilt from their `expression` attributes.
fn composite(name: &str) -> Stimulus {
    let step = || {
        Stimulus::step(2, 1.0)
            .unwrap()
            .start(20.0)
            .unwrap()
            .end(80.0)
            .unwrap()
    };
    let sine = || Stimulus::sinusoidal(2, 0.5, 15.0).unwrap();
    let ramp = || Stimulus::linear_ramp(2, 2.0, 150.0).unwrap();
    match name {
        "concat_of_sum" => (sine() + ramp()) & step(),
        "concat_op_step_sine_zero" => step() & sine() & Stimulus::zero(2).unwrap(),
        "concat_ratios" => Stimulus::concat(
            vec![
                sine(),
                Stimulus::zero(2).unwrap(),
                Stimulus::exponential(2, 1.0, 5.0, ExpType::Decay).unwrap(),
            ],
            vec![1.0, 2.0, 0.5],
        )
        .unwrap(),
        "sum_step_sine_ramp" => {
            Stimulus::step(2, 1.0)
                .unwrap()
                .start(100.0)
                .unwrap()
                .end(300.0)
                .unwrap()
                + sine()
                + ramp()
        }
        other => panic!("composite {other} is not rebuilt by this test; add it"),
    }
}

/// Our parameter names and values for neurolib's `get_params()` dict.
fn expected_params(p: &Value, prefix: &str, out: &mut Vec<(String, f64)>) {
    let obj = p.as_object().unwrap();
    if obj.contains_key("input_0") {
        let mut i = 0;
        while let Some(part) = obj.get(&format!("input_{i}")) {
            expected_params(part, &format!("{prefix}{i}."), out);
            i += 1;
        }
        return;
    }
    for (k, v) in obj {
        let value = match (k.as_str(), v) {
            ("type" | "n" | "seed" | "exp_type", _) => continue,
            ("start", Value::Null) => 0.0,
            ("end", Value::Null) => f64::INFINITY,
            (_, Value::Bool(b)) => f64::from(u8::from(*b)),
            (_, v) => v.as_f64().unwrap(),
        };
        out.push((format!("{prefix}{k}"), value));
    }
}

/// Compare as_array and the sampler with a reference array; returns the worst error.
fn check(name: &str, stim: &Stimulus, reference: &[Vec<f64>], duration: f64, dt: f64) -> f64 {
    let ours = stim.as_array(duration, dt, 0).unwrap();
    assert_eq!(ours.len(), reference.len(), "{name}: channels");
    let mut worst = 0.0f64;
    for (o, r) in ours.iter().zip(reference) {
        assert_eq!(o.len(), r.len(), "{name}: samples");
        for (a, b) in o.iter().zip(r) {
            worst = worst.max((a - b).abs());
        }
    }
    let mut signals = stim.sampler(duration, dt, 0).unwrap();
    for (sig, r) in signals.iter_mut().zip(reference) {
        for (k, b) in r.iter().enumerate() {
            let a = sig.sample(k as u64 + 1, dt);
            worst = worst.max((a - b).abs());
        }
    }
    println!("{name}: worst absolute error {worst:.3e}");
    assert!(worst <= TOLERANCE, "{name}: error {worst:.3e}");
    worst
}

#[test]
fn deterministic_arrays_match_neurolib() {
    let file = open();
    let group = file.group("deterministic").unwrap();
    let names = group.member_names().unwrap();
    assert_eq!(names.len(), 13);
    let mut worst = 0.0f64;
    for name in names {
        let ds = group.dataset(&name).unwrap();
        let class = str_attr(&ds, "class");
        let kwargs: Value = serde_json::from_str(&str_attr(&ds, "constructor_kwargs")).unwrap();
        let stim = from_kwargs(&class, &kwargs);
        let (duration, dt) = (f64_attr(&ds, "duration_ms"), f64_attr(&ds, "dt_ms"));
        worst = worst.max(check(&name, &stim, &read_array(&ds), duration, dt));

        // Parameter names and values are neurolib's get_params keys.
        let gp: Value = serde_json::from_str(&str_attr(&ds, "neurolib_get_params")).unwrap();
        let mut expected = Vec::new();
        expected_params(&gp, "", &mut expected);
        let mut ours = stim.params();
        if let Some(ratios) = stim.length_ratios() {
            // neurolib's get_params does not list a concatenation's ratios.
            ours.retain(|(p, _)| !p.starts_with("length_ratios"));
            assert_eq!(ratios, [0.5, 2.5, 0.5, 1.5, 1.0]);
        }
        expected.sort_by(|a, b| a.0.cmp(&b.0));
        ours.sort_by(|a, b| a.0.cmp(&b.0));
        assert_eq!(ours, expected, "{name}: parameters");
    }
    println!("deterministic: worst absolute error {worst:.3e}");
}

#[test]
fn composite_arrays_match_neurolib() {
    let file = open();
    let group = file.group("composite").unwrap();
    let names = group.member_names().unwrap();
    assert_eq!(names.len(), 4);
    let mut worst = 0.0f64;
    for name in names {
        let ds = group.dataset(&name).unwrap();
        let stim = composite(&name);
        let (duration, dt) = (f64_attr(&ds, "duration_ms"), f64_attr(&ds, "dt_ms"));
        worst = worst.max(check(&name, &stim, &read_array(&ds), duration, dt));
        let gp: Value = serde_json::from_str(&str_attr(&ds, "neurolib_get_params")).unwrap();
        let mut expected = Vec::new();
        expected_params(&gp, "", &mut expected);
        let mut ours = stim.params();
        ours.retain(|(p, _)| !p.starts_with("length_ratios"));
        expected.sort_by(|a, b| a.0.cmp(&b.0));
        ours.sort_by(|a, b| a.0.cmp(&b.0));
        assert_eq!(ours, expected, "{name}: parameters");
        if ds.attr("length_ratios").is_ok() {
            let r: Value = serde_json::from_str(&str_attr(&ds, "length_ratios")).unwrap();
            let r: Vec<f64> = r
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_f64().unwrap())
                .collect();
            assert_eq!(stim.length_ratios().unwrap(), r, "{name}: length ratios");
        }
    }
    println!("composite: worst absolute error {worst:.3e}");
}

#[test]
fn length_table_matches_neurolib() {
    let file = open();
    let ds = file.group("lengths").unwrap();
    let table: Value = serde_json::from_str(&str_attr(&ds, "table")).unwrap();
    let rows = table.as_array().unwrap();
    assert_eq!(rows.len(), 10);
    for row in rows {
        let d = row["duration_ms"].as_f64().unwrap();
        let dt = row["dt_ms"].as_f64().unwrap();
        let get = |k: &str| row[k].as_u64().unwrap() as usize;
        let step = Stimulus::step(1, 1.0).unwrap();
        assert_eq!(
            step.array_len(d, dt).unwrap(),
            get("as_array_length"),
            "{d}/{dt}"
        );
        assert_eq!(
            step.as_array(d, dt, 0).unwrap()[0].len(),
            get("as_array_length")
        );
        let concat = &step & &step;
        assert_eq!(concat.array_len(d, dt).unwrap(), get("concatenated_length"));
        assert_eq!(
            concat.as_array(d, dt, 0).unwrap()[0].len(),
            get("concatenated_length")
        );
        let signals = step.sampler(d, dt, 0).unwrap();
        assert_eq!(
            signals[0].steps_available(),
            Some(get("round_duration_over_dt") as u64),
            "{d}/{dt}"
        );
        let half = step.clone().start(d / 2.0).unwrap();
        let x = half.as_array(d, dt, 0).unwrap();
        let first = x[0].iter().position(|&v| v != 0.0).unwrap();
        assert_eq!(first, get("step_first_nonzero_column"), "{d}/{dt}");
        // The sampler switches on at the same sample: step = column + 1.
        let mut sig = half.sampler(d, dt, 0).unwrap().remove(0);
        assert_eq!(sig.sample(first as u64, dt), 0.0);
        assert_eq!(sig.sample(first as u64 + 1, dt), 1.0);
    }
}

/// The input that neurolib's Euler loop consumed in the `wc_node_stimulus` trajectory
/// (`tests/data/golden`, N + 1 = 5001 values; Euler step i = 1..N used value i, labelled
/// t = (i + 1) * dt) is exactly our sampler shifted by one: value j = `sample(j + 1)`.
/// So the Euler step that starts at `k * dt` consumed `sample(k + 2)`, i.e. neurolib feeds
/// the stimulus two dt ahead of the state it is combined with.
#[test]
fn wc_node_stimulus_input_is_the_sampler_two_steps_ahead() {
    let path = data_dir().join("golden/wc_node_stimulus.h5");
    let file = hdf5::File::open(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let consumed = file
        .dataset("inputs/channel_0")
        .unwrap()
        .read_raw::<f64>()
        .unwrap();
    assert_eq!(consumed.len(), 5001);
    let stim = Stimulus::step(1, 1.0)
        .unwrap()
        .start(100.0)
        .unwrap()
        .end(300.0)
        .unwrap()
        + Stimulus::sinusoidal(1, 0.4, 20.0)
            .unwrap()
            .start(50.0)
            .unwrap();
    let mut sig = stim.sampler(500.0, 0.1, 0).unwrap().remove(0);
    let mut worst = 0.0f64;
    for (j, v) in consumed.iter().enumerate() {
        worst = worst.max((sig.sample(j as u64 + 1, 0.1) - v).abs());
    }
    println!("wc_node_stimulus input: worst absolute error {worst:.3e}");
    assert!(worst <= TOLERANCE);
}
