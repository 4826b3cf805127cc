//! `neuromass explore`: results, thread-count independence, bad input, and never losing
//! finished work: an exploration killed with SIGKILL at several moments and resumed gives
//! the same file as an uninterrupted one.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use neuromass::explore::ExplorationResults;

fn scratch(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("neuromass-explore-{}-{tag}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

const SPEC: &str = r#"
seed = 3
[base]
duration = 300.0
dt = 0.1
sampling_dt = 1.0
record = ["q_mean_EXC"]
[[base.nodes]]
model = "wc"
count = 2
[base.params]
"*input_0.sigma" = 0.01
[base.network]
connectivity = [[0.0, 0.5], [0.5, 0.0]]
delays = [[0.0, 4.0], [4.0, 0.0]]

[space]
kind = "grid"
[[space.axes]]
path = "*EXC*.ext_drive"
values = { start = 0.0, stop = 2.0, num = 12 }
[[space.axes]]
path = "connectivity"
values = { start = 0.0, stop = 2.0, num = 10 }

[keep]
from_ms = 100.0
variables = ["q_mean_EXC"]
sampling_dt = 5.0
summaries = ["q_mean_EXC"]
"#;

fn explore(spec: &Path, out: &Path, extra: &[&str]) -> std::process::Output {
    let mut args = vec![
        "explore",
        spec.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--quiet",
    ];
    args.extend_from_slice(extra);
    Command::new(env!("CARGO_BIN_EXE_neuromass"))
        .args(&args)
        .output()
        .unwrap()
}

fn assert_same(a: &ExplorationResults, b: &ExplorationResults) {
    assert_eq!(a.paths, b.paths);
    assert_eq!(a.params, b.params);
    assert_eq!(a.status, b.status);
    assert_eq!(a.seeds, b.seeds);
    assert_eq!(
        a.results.keys().collect::<Vec<_>>(),
        b.results.keys().collect::<Vec<_>>()
    );
    for (name, (shape, data)) in &a.results {
        let (s2, d2) = &b.results[name];
        assert_eq!(shape, s2, "{name}");
        let bits = |d: &[f64]| d.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(data), bits(d2), "{name} differs");
    }
}

#[test]
fn grid_results_do_not_depend_on_threads() {
    let dir = scratch("threads");
    let spec = dir.join("spec.toml");
    std::fs::write(&spec, SPEC).unwrap();
    let (one, two) = (dir.join("one.h5"), dir.join("two.h5"));
    let o = explore(&spec, &one, &["--threads", "1"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stdout).contains("120 of 120 runs done (0 failed)"));
    assert!(explore(&spec, &two, &["--threads", "2"]).status.success());
    let (a, b) = (
        ExplorationResults::open(&one).unwrap(),
        ExplorationResults::open(&two).unwrap(),
    );
    assert_same(&a, &b);
    assert_eq!(a.params.len(), 120);
    assert_eq!(a.params[13], vec![2.0 / 11.0, 3.0 * (2.0 / 9.0)]);
    assert_eq!(a.results["q_mean_EXC"].0, vec![2, 41]); // t = 100, 105, ..., 300 ms
    assert_eq!(a.results["q_mean_EXC_mean"].0, vec![2]);
    // Without coupling or drive nothing happens; with both the nodes are active.
    assert!(a.row("q_mean_EXC_mean", 0).unwrap()[0] < a.row("q_mean_EXC_mean", 119).unwrap()[0]);
    // An existing output is never overwritten silently.
    let again = explore(&spec, &one, &[]);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("--resume"));
}

#[test]
fn killed_explorations_resume_to_the_same_file() {
    let dir = scratch("kill");
    let spec = dir.join("spec.toml");
    std::fs::write(&spec, SPEC).unwrap();
    let reference = dir.join("reference.h5");
    assert!(
        explore(&spec, &reference, &["--threads", "2"])
            .status
            .success()
    );
    let out = dir.join("killed.h5");
    // Kill at several moments (deterministic pseudo-random delays), resuming each time.
    let mut first = true;
    for delay_ms in [40u64, 170, 90, 260] {
        let mut args = vec![
            "explore",
            spec.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--quiet",
            "--threads",
            "2",
        ];
        if !first {
            args.push("--resume");
        }
        first = false;
        let mut child = Command::new(env!("CARGO_BIN_EXE_neuromass"))
            .args(&args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(delay_ms));
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
        // Whatever moment the kill hit, the file is readable.
        if out.exists() {
            let partial = ExplorationResults::open(&out).unwrap();
            assert_eq!(partial.status.len(), 120);
        }
    }
    let o = explore(&spec, &out, &["--resume", "--threads", "2"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let report = String::from_utf8_lossy(&o.stdout).to_string();
    assert!(report.contains("120 of 120 runs done"), "{report}");
    assert_same(
        &ExplorationResults::open(&out).unwrap(),
        &ExplorationResults::open(&reference).unwrap(),
    );
}

#[test]
fn shards_merge_to_the_single_process_file() {
    let dir = scratch("shards");
    let spec = dir.join("spec.toml");
    std::fs::write(&spec, SPEC).unwrap();
    let single = dir.join("single.h5");
    assert!(explore(&spec, &single, &[]).status.success());
    let shards: Vec<PathBuf> = (0..3).map(|k| dir.join(format!("shard{k}.h5"))).collect();
    for (k, s) in shards.iter().enumerate() {
        let o = explore(&spec, s, &["--shard", &format!("{k}/3")]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    let merged = dir.join("merged.h5");
    let mut args = vec!["explore".to_string(), "merge".into()];
    args.extend(shards.iter().map(|s| s.display().to_string()));
    args.extend(["--out".into(), merged.display().to_string()]);
    let o = Command::new(env!("CARGO_BIN_EXE_neuromass"))
        .args(&args)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_same(
        &ExplorationResults::open(&merged).unwrap(),
        &ExplorationResults::open(&single).unwrap(),
    );
    // A shard whose journal is gone cannot be merged, and the error says why.
    std::fs::remove_file(dir.join("shard1.h5.journal")).unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_neuromass"))
        .args(&args)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success());
    assert!(
        err.contains("shard1.h5") && err.contains("journal") && err.contains("missing"),
        "{err}"
    );
}

#[test]
fn bad_explorations_are_clear_errors() {
    let dir = scratch("bad");
    let run = |name: &str, spec: &str, extra: &[&str]| {
        let path = dir.join(format!("{name}.toml"));
        std::fs::write(&path, spec).unwrap();
        let o = explore(&path, &dir.join(format!("{name}.h5")), extra);
        assert!(!o.status.success(), "{name} should fail");
        String::from_utf8_lossy(&o.stderr).to_string()
    };
    let err = run(
        "path",
        &SPEC.replace("*EXC*.ext_drive", "*EXC*.ext_drivee"),
        &[],
    );
    assert!(
        err.contains("ext_drivee") && err.contains("ext_drive"),
        "{err}"
    );
    let err = run(
        "empty",
        &SPEC.replace("{ start = 0.0, stop = 2.0, num = 12 }", "[]"),
        &[],
    );
    assert!(err.contains("empty"), "{err}");
    // Values that are neither a list nor a range say what they may be.
    let err = run(
        "shape",
        &SPEC.replace(
            "{ start = 0.0, stop = 2.0, num = 12 }",
            "{ low = 0.0, high = 2.0 }",
        ),
        &[],
    );
    assert!(
        err.contains("a list of numbers, or a range { start, stop, num, scale }"),
        "{err}"
    );
    let seq = SPEC.replace("kind = \"grid\"", "kind = \"sequence\"");
    let err = run("sequence", &seq, &[]);
    assert!(err.contains("10 values") && err.contains("12"), "{err}");
    let err = run("shard", SPEC, &["--shard", "3/3"]);
    assert!(err.contains("shard"), "{err}");
    // Resuming against a different space is refused.
    let a = dir.join("a.toml");
    std::fs::write(&a, SPEC).unwrap();
    let out = dir.join("resume.h5");
    assert!(explore(&a, &out, &[]).status.success());
    std::fs::write(&a, SPEC.replace("num = 10", "num = 11")).unwrap();
    let o = explore(&a, &out, &["--resume"]);
    assert!(!o.status.success());
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("different space"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

#[test]
fn failed_runs_are_recorded_and_the_exploration_goes_on() {
    let dir = scratch("failed");
    let spec = dir.join("spec.toml");
    std::fs::write(
        &spec,
        r#"
[base]
duration = 50.0
dt = 0.1
[[base.nodes]]
model = "hopf"
[space]
[[space.axes]]
path = "HopfNode_0.x_ext"
values = [0.0, 1e6, 0.5]
[keep]
summaries = ["x"]
"#,
    )
    .unwrap();
    let out = dir.join("out.h5");
    let o = explore(&spec, &out, &[]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stdout).contains("3 of 3 runs done (1 failed)"));
    let r = ExplorationResults::open(&out).unwrap();
    assert_eq!(r.status, vec![1, 2, 1]);
    assert!(
        r.messages[1].contains("diverged") && r.messages[1].contains("node 0"),
        "{}",
        r.messages[1]
    );
    assert!(r.messages[0].is_empty());
    assert!(r.row("x_mean", 1).unwrap()[0].is_nan());
    assert!(r.row("x_mean", 2).unwrap()[0].is_finite());
}

#[test]
fn stimulus_parameters_and_signal_speed_are_axes() {
    let dir = scratch("stim");
    let spec = dir.join("spec.toml");
    std::fs::write(
        &spec,
        r#"
[base]
duration = 60.0
dt = 0.1
[[base.nodes]]
model = "wc"
count = 2
initial_state = { q_mean_EXC = 0.01, q_mean_INH = 0.01 }   # the same in every run
[base.network]
connectivity = [[0.0, 1.0], [1.0, 0.0]]
lengths = [[0.0, 50.0], [50.0, 0.0]]
signal_speed = 10.0
[[base.inputs]]
nodes = [0]
mass = "EXC"
input = "ext_drive"
stimulus = { type = "sum", of = [{ type = "zero" }, { type = "step", step_size = 0.0, start = 10.0 }] }
[space]
kind = "sequence"
[[space.axes]]
path = "inputs[0].stimulus.of[1].step_size"
values = [0.0, 1.5, 1.5]
[[space.axes]]
path = "signal_speed"
values = [10.0, 10.0, 2.0]
[keep]
variables = ["q_mean_EXC"]
"#,
    )
    .unwrap();
    let out = dir.join("out.h5");
    let o = explore(&spec, &out, &[]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let r = ExplorationResults::open(&out).unwrap();
    assert_eq!(r.status, vec![1, 1, 1]);
    let node = |run: usize, node: usize| {
        r.row("q_mean_EXC", run).unwrap()[node * 600..(node + 1) * 600].to_vec()
    };
    // The step amplitude reaches node 0; the signal speed changes when node 1 feels it.
    assert_ne!(node(0, 0), node(1, 0));
    // Identical until the first delayed signal arrives (50 mm at 10 m/s = 5 ms).
    assert_eq!(node(1, 0)[..50], node(2, 0)[..50]);
    assert_ne!(node(1, 1), node(2, 1));
    let err = {
        let bad = dir.join("bad.toml");
        std::fs::write(
            &bad,
            std::fs::read_to_string(&spec)
                .unwrap()
                .replace("of[1].step_size", "of[2].step_size"),
        )
        .unwrap();
        let o = explore(&bad, &dir.join("bad.h5"), &[]);
        String::from_utf8_lossy(&o.stderr).to_string()
    };
    assert!(
        err.contains("of[2].step_size") && err.contains("out of range"),
        "{err}"
    );
}

#[test]
fn fit_scores_are_stored_and_the_best_runs_listed() {
    let dir = scratch("fit");
    let spec = dir.join("spec.toml");
    std::fs::write(
        &spec,
        r#"
[base]
duration = 18000.0
dt = 0.1
sampling_dt = 100.0
record = ["q_mean_EXC"]
[[base.nodes]]
model = "wc"
count = 80
params = { "EXC.ext_drive" = 0.75, "*input_0.sigma" = 0.02 }
[base.network]
dataset = "gw"
[base.bold]
variable = "q_mean_EXC"
scale = 100.0
fit = "gw"
skip_samples = 0
fcd_window = 4   # 9 BOLD samples give 2 FCD windows
fcd_step = 4
[space]
[[space.axes]]
path = "connectivity"
values = [0.0, 2.0]
"#,
    )
    .unwrap();
    let out = dir.join("out.h5");
    let o = explore(&spec, &out, &[]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let report = String::from_utf8_lossy(&o.stdout);
    assert!(
        report.contains("best runs by mean FC fit:")
            && report.contains("connectivity = ")
            && report.contains("FCD KS = "),
        "{report}"
    );
    let r = ExplorationResults::open(&out).unwrap();
    assert_eq!(r.results["fc_fit"].0, vec![5]); // one score per gw subject
    assert_eq!(r.results["fcd_ks"].0, vec![5]);
    for run in 0..2 {
        let fit = r.row("fc_fit", run).unwrap();
        let mean = r.row("fc_fit_mean", run).unwrap()[0];
        assert!((mean - fit.iter().sum::<f64>() / 5.0).abs() < 1e-12);
        assert!(fit.iter().all(|x| (-1.0..=1.0).contains(x)));
        let ks = r.row("fcd_ks", run).unwrap();
        let mean = r.row("fcd_ks_mean", run).unwrap()[0];
        assert!((mean - ks.iter().sum::<f64>() / 5.0).abs() < 1e-12);
        // 2 windows give one FCD value: its KS distance to a subject's many values is
        // max(F, 1 - F) of that subject's FCD distribution at that value, so in [0.5, 1].
        assert!(ks.iter().all(|x| (0.5..=1.0).contains(x)), "{ks:?}");
    }
}
