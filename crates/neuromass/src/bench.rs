//! The workloads of issue 7 ("be the fastest neural-mass engine on a CPU"), timed on the
//! machine at hand: what `neuromass bench` prints.
//!
//! Each [`Row`] is one line of the issue's table, with neurolib 0.6.2's figure (a constant
//! quoted from the issue, measured on a 2-core machine), the target, the figure measured
//! here and whether it meets the target:
//!
//! | row | workload | measured |
//! |---|---|---|
//! | `aln` | 80 ALN nodes on the gw connectome (delays from fibre lengths at 20 m/s), dt 0.1 ms, OU noise on both masses' input channels (sigma 0.05), `r_mean_EXC` kept at 1 ms, one thread | ns per node-step of `Simulation::run` |
//! | `aln-2t` | the same simulation integrated by two threads (`Simulation::with_threads`) | one-thread time / two-thread time |
//! | `build` | 1 000 ALN nodes, dense random connectivity and delays | ms from nodes + matrices to a simulation ready to step (`Network::new` + `Simulation::new`) |
//! | `memory` | 80 ALN nodes (as `aln`) × 60 s keeping `r_mean_EXC` at 1 ms | peak RSS (`VmHWM`) of a fresh child process |
//! | `explore` | one ALN node, 5 s, 4 × 4 grid over the external currents, summaries stored in HDF5, two threads | runs per second |
//! | `thalamo` | neurolib's thalamocortical motif (ALN node + thalamic node, 13 ms delays), 10 s | µs per network step |
//!
//! Each figure is the best of a few repetitions (the least disturbed by other work on the
//! machine; the notes give the median too); on a shared machine they are still noisy. The
//! two-thread rows (`aln-2t`, `explore`) alternate with one thread and with two independent
//! one-thread runs at once, so their notes also give the machine's ceiling for two threads
//! and the share of it the two threads reach.
//!
//! ```no_run
//! use neuromass::bench::{BenchOptions, run};
//!
//! let report = run(&BenchOptions { quick: true, ..Default::default() })?;
//! println!("{}", report.table());
//! # Ok::<(), neuromass::bench::BenchError>(())
//! ```

use std::path::PathBuf;
use std::str::FromStr;
use std::time::{Duration, Instant};

use serde::Serialize;
use serde_json::json;

use neuromass_core::rng::SplitMix64;
use neuromass_core::{Coupling, Network, Node, SquareMatrix};
use neuromass_explore::{Exploration, Mode};
use neuromass_models::{AlnNode, ThalamicNode};
use neuromass_network::{SimError, Simulation, SimulationOptions};

use crate::config::{ConfigError, RunConfig};

/// Errors of running the benchmark workloads.
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    /// A workload's model description did not resolve.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// A workload's network is invalid.
    #[error(transparent)]
    Model(#[from] neuromass_core::Error),
    /// A simulation failed.
    #[error(transparent)]
    Sim(#[from] SimError),
    /// The exploration workload failed.
    #[error(transparent)]
    Explore(#[from] neuromass_explore::ExploreError),
    /// A scratch file, `/proc` or the memory child process failed.
    #[error("{0}")]
    Io(String),
    /// An unknown row name (`--only`).
    #[error("unknown benchmark row `{0}`; rows: aln, aln-2t, build, memory, explore, thalamo")]
    UnknownRow(String),
}

/// One workload of the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Row {
    /// 80 ALN nodes on gw with OU noise, one thread: ns per node-step.
    Aln,
    /// The same on two threads: speed-up over one thread.
    Aln2Threads,
    /// Building a 1 000-node ALN network: ms.
    Build,
    /// 80 ALN nodes × 60 s keeping `r_mean_EXC` at 1 ms: peak MB.
    Memory,
    /// 4 × 4 single-node ALN exploration with HDF5 on two threads: runs/s.
    Explore,
    /// Thalamocortical motif, 10 s: µs per network step.
    Thalamo,
}

impl Row {
    /// Every row, in table order.
    pub const ALL: [Row; 6] = [
        Row::Aln,
        Row::Aln2Threads,
        Row::Build,
        Row::Memory,
        Row::Explore,
        Row::Thalamo,
    ];

    /// The short name used by `--only` and in the JSON output.
    pub fn key(self) -> &'static str {
        match self {
            Row::Aln => "aln",
            Row::Aln2Threads => "aln-2t",
            Row::Build => "build",
            Row::Memory => "memory",
            Row::Explore => "explore",
            Row::Thalamo => "thalamo",
        }
    }

    /// The workload, as the issue words it.
    pub fn workload(self) -> &'static str {
        match self {
            Row::Aln => "ALN 80 nodes gw, dt 0.1 ms, OU noise, 1 thread",
            Row::Aln2Threads => "the same on 2 threads",
            Row::Build => "build a 1 000-node network before the first step",
            Row::Memory => "80 nodes x 60 s, r_mean_EXC kept at 1 ms",
            Row::Explore => "1 ALN node, 5 s, 4x4 grid, 2 threads, HDF5",
            Row::Thalamo => "thalamocortical motif (ALN + thalamus), 10 s",
        }
    }

    /// neurolib 0.6.2's figure, quoted from the issue (its 2-core machine).
    pub fn neurolib(self) -> &'static str {
        match self {
            Row::Aln => "~290 ns/node-step (ALNModel); 1200-1600 (MultiModel)",
            Row::Aln2Threads => "- (single-threaded)",
            Row::Build => "MultiModel: 10 s (2 nodes) .. >900 s (32)",
            Row::Memory => "4.0 GB",
            Row::Explore => "0.8 runs/s cold, 9.5 warm; bare loop ~150",
            Row::Thalamo => "3.3 us/step (MultiModel, ~9 s compile)",
        }
    }

    /// The target, in words.
    pub fn target(self) -> &'static str {
        match self {
            Row::Aln => "<= 100 ns/node-step",
            Row::Aln2Threads => ">= 1.8 x one thread",
            Row::Build => "<= 50 ms",
            Row::Memory => "<= 100 MB",
            Row::Explore => ">= 600 runs/s",
            Row::Thalamo => "<= 0.5 us/step",
        }
    }

    /// The unit of the measured value.
    pub fn unit(self) -> &'static str {
        match self {
            Row::Aln => "ns/node-step",
            Row::Aln2Threads => "x",
            Row::Build => "ms",
            Row::Memory => "MB",
            Row::Explore => "runs/s",
            Row::Thalamo => "us/step",
        }
    }

    /// Whether `value` meets the target.
    pub fn passes(self, value: f64) -> bool {
        match self {
            Row::Aln => value <= 100.0,
            Row::Aln2Threads => value >= 1.8,
            Row::Build => value <= 50.0,
            Row::Memory => value <= 100.0,
            Row::Explore => value >= 600.0,
            Row::Thalamo => value <= 0.5,
        }
    }
}

impl FromStr for Row {
    type Err = BenchError;

    fn from_str(s: &str) -> Result<Self, BenchError> {
        Row::ALL
            .into_iter()
            .find(|r| r.key().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| BenchError::UnknownRow(s.to_string()))
    }
}

/// What to run.
#[derive(Debug, Clone, Default)]
pub struct BenchOptions {
    /// Short durations and single repetitions (a smoke test; figures are rougher and the
    /// memory row simulates 1 s instead of 60 s).
    pub quick: bool,
    /// Only these rows (all when empty).
    pub only: Vec<Row>,
    /// The `neuromass` executable, to measure peak memory in a fresh child process
    /// (`<exe> bench --memory-child <ms>`); `None`: measured in this process, which
    /// includes whatever this process held before.
    pub child_exe: Option<PathBuf>,
}

/// One measured row.
#[derive(Debug, Clone, Serialize)]
pub struct RowResult {
    /// The row.
    pub row: Row,
    /// The measured value in [`Row::unit`] (NaN if it could not be measured).
    pub value: f64,
    /// Whether it meets the target.
    pub pass: bool,
    /// What exactly was measured.
    pub note: String,
}

/// The machine the figures come from.
#[derive(Debug, Clone, Serialize)]
pub struct Machine {
    /// CPU model (`model name` in `/proc/cpuinfo`).
    pub cpu: String,
    /// Logical CPUs available to this process.
    pub cores: usize,
    /// The 1-minute load average when the benchmark started (`/proc/loadavg`); above
    /// `cores`, other work competes for the CPUs and the figures are pessimistic.
    pub load_average: Option<f64>,
}

impl Machine {
    /// This machine.
    pub fn detect() -> Self {
        let cpu = std::fs::read_to_string("/proc/cpuinfo")
            .ok()
            .and_then(|s| {
                s.lines()
                    .find(|l| l.starts_with("model name"))
                    .and_then(|l| l.split_once(':'))
                    .map(|(_, v)| v.trim().to_string())
            })
            .unwrap_or_else(|| "unknown CPU".into());
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let load_average = std::fs::read_to_string("/proc/loadavg")
            .ok()
            .and_then(|s| s.split_whitespace().next()?.parse().ok());
        Machine {
            cpu,
            cores,
            load_average,
        }
    }
}

/// Every measured row plus the machine.
#[derive(Debug, Clone, Serialize)]
pub struct BenchReport {
    /// The machine.
    pub machine: Machine,
    /// Whether `--quick` durations were used.
    pub quick: bool,
    /// The rows, in table order.
    pub rows: Vec<RowResult>,
}

impl BenchReport {
    /// The table as plain text (Markdown-compatible).
    pub fn table(&self) -> String {
        let mut s = format!(
            "machine: {}, {} logical CPU(s), load average {} at start{}\n\n",
            self.machine.cpu,
            self.machine.cores,
            self.machine
                .load_average
                .map_or("unknown".into(), |l| format!("{l:.2}")),
            if self.quick {
                "; --quick: short runs, rough figures"
            } else {
                ""
            }
        );
        s.push_str("| workload | neurolib 0.6.2 | target | measured here | pass |\n");
        s.push_str("|---|---|---|---|---|\n");
        for r in &self.rows {
            let value = if r.value.is_finite() {
                format!("{} {}", fmt_value(r.value), r.row.unit())
            } else {
                "n/a".into()
            };
            s.push_str(&format!(
                "| {} | {} | {} | {} | {} |\n",
                r.row.workload(),
                r.row.neurolib(),
                r.row.target(),
                value,
                if r.pass { "pass" } else { "FAIL" }
            ));
        }
        s.push_str("\nWhat was measured:\n");
        for r in &self.rows {
            s.push_str(&format!("  {:<8} {}\n", r.row.key(), r.note));
        }
        s
    }

    /// The report as JSON (`neuromass bench --json`), read by `benches/neurolib_compare.py`.
    pub fn to_json(&self) -> serde_json::Value {
        let rows: Vec<serde_json::Value> = self
            .rows
            .iter()
            .map(|r| {
                json!({
                    "row": r.row.key(),
                    "workload": r.row.workload(),
                    "neurolib": r.row.neurolib(),
                    "target": r.row.target(),
                    "unit": r.row.unit(),
                    "value": if r.value.is_finite() { json!(r.value) } else { serde_json::Value::Null },
                    "pass": r.pass,
                    "note": r.note,
                })
            })
            .collect();
        json!({ "machine": self.machine, "quick": self.quick, "rows": rows })
    }
}

fn fmt_value(v: f64) -> String {
    if v >= 100.0 {
        format!("{v:.0}")
    } else if v >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.3}")
    }
}

/// Run the selected rows.
pub fn run(options: &BenchOptions) -> Result<BenchReport, BenchError> {
    let rows: Vec<Row> = Row::ALL
        .into_iter()
        .filter(|r| options.only.is_empty() || options.only.contains(r))
        .collect();
    let machine = Machine::detect();
    let mut results = Vec::new();
    for row in rows {
        let (value, note) = match row {
            Row::Aln => aln_one_thread(options.quick)?,
            Row::Aln2Threads => aln_two_threads(options.quick)?,
            Row::Build => build_time(options.quick)?,
            Row::Memory => peak_memory(options)?,
            Row::Explore => exploration(options.quick)?,
            Row::Thalamo => thalamocortical_step(options.quick)?,
        };
        results.push(RowResult {
            row,
            value,
            pass: value.is_finite() && row.passes(value),
            note,
        });
    }
    Ok(BenchReport {
        machine,
        quick: options.quick,
        rows: results,
    })
}

/// Integration step of every workload (ms).
const DT: f64 = 0.1;
/// Noise on the ALN masses' input channels (`*input_0.sigma`).
const ALN_SIGMA: f64 = 0.05;
/// Seed of every workload.
const SEED: u64 = 42;

/// The 80-node ALN network on the gw connectome, simulating `duration_ms`.
pub fn aln_gw_config(duration_ms: f64) -> Result<RunConfig, BenchError> {
    let mut c = RunConfig::from_toml(&format!(
        r#"
        duration = {duration_ms:?}
        dt = {DT:?}
        seed = {SEED}
        sampling_dt = 1.0
        record = ["r_mean_EXC"]
        [[nodes]]
        model = "aln"
        count = 80
        params = {{ "*input_0.sigma" = {ALN_SIGMA:?} }}
        [network]
        dataset = "gw"
        "#
    ))?;
    c.resolve_seed();
    Ok(c)
}

fn steps(duration_ms: f64) -> u64 {
    (duration_ms / DT).round() as u64
}

/// The smallest value (the run least disturbed by other work on the machine); NaN if none.
fn fastest(v: &[f64]) -> f64 {
    v.iter().copied().reduce(f64::min).unwrap_or(f64::NAN)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    match v.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => v[n / 2],
        n => 0.5 * (v[n / 2 - 1] + v[n / 2]),
    }
}

/// Time `duration_ms` of a built simulation (the run only).
fn time_run(
    network: &Network,
    options: &SimulationOptions,
    duration_ms: f64,
) -> Result<Duration, BenchError> {
    let mut sim = Simulation::new(network, options)?;
    let t = Instant::now();
    let out = sim.run(duration_ms)?;
    let elapsed = t.elapsed();
    std::hint::black_box(out);
    Ok(elapsed)
}

fn aln_one_thread(quick: bool) -> Result<(f64, String), BenchError> {
    let (duration, reps) = if quick { (100.0, 1) } else { (2000.0, 5) };
    let (network, options) = aln_gw_config(duration)?.build()?;
    let n = network.nodes().len() as f64;
    let mut per = Vec::new();
    for _ in 0..reps {
        let t = time_run(&network, &options, duration)?;
        per.push(t.as_secs_f64() * 1e9 / (n * steps(duration) as f64));
    }
    let (ns, typical) = (fastest(&per), median(per));
    Ok((
        ns,
        format!(
            "Simulation::run of 80 ALN nodes on gw (delays from lengths at 20 m/s), sigma {ALN_SIGMA} OU on both masses, {} s simulated, best of {reps} (median {typical:.1}), build excluded",
            duration / 1000.0
        ),
    ))
}

/// Two threads against one: rounds of a one-thread run, a two-thread run and two
/// independent one-thread runs at once (the machine's ceiling), so all three see the same
/// machine (a shared host's cores slow down and recover within ~100 ms).
fn aln_two_threads(quick: bool) -> Result<(f64, String), BenchError> {
    let (duration, rounds) = if quick { (100.0, 1) } else { (2000.0, 7) };
    let (network, options) = aln_gw_config(duration)?.build()?;
    let per_node_step = 1e9 / (network.nodes().len() as f64 * steps(duration) as f64);
    let (mut one, mut two, mut both) = (Vec::new(), Vec::new(), Vec::new());
    let mut groups = String::new();
    for _ in 0..rounds {
        one.push(time_run(&network, &options, duration)?.as_secs_f64() * per_node_step);
        let mut sim = Simulation::with_threads(&network, &options, 2)?;
        if groups.is_empty() {
            let sizes: Vec<String> = sim
                .thread_groups()
                .iter()
                .map(|g| g.len().to_string())
                .collect();
            groups = format!(
                "{} nodes, meeting every {} steps",
                sizes.join(" + "),
                sim.steps_between_meetings()
            );
        }
        let t = Instant::now();
        let out = sim.run(duration)?;
        two.push(t.elapsed().as_secs_f64() * per_node_step);
        std::hint::black_box(out);
        let t = Instant::now();
        std::thread::scope(|scope| {
            let other = scope.spawn(|| time_run(&network, &options, duration));
            let mine = time_run(&network, &options, duration);
            other
                .join()
                .unwrap_or_else(|e| std::panic::resume_unwind(e))
                .and(mine)
        })?;
        // Two runs' worth of node-steps.
        both.push(t.elapsed().as_secs_f64() * per_node_step / 2.0);
    }
    let paired: Vec<f64> = one.iter().zip(&two).map(|(a, b)| a / b).collect();
    let (one_ns, two_ns, both_ns) = (fastest(&one), fastest(&two), fastest(&both));
    Ok((
        one_ns / two_ns,
        format!(
            "the `aln` simulation integrated by 2 threads (Simulation::with_threads; {groups}; same numbers as one thread), in {rounds} rounds of one thread / two threads / two independent one-thread runs at once: best {two_ns:.1} ns/node-step vs {one_ns:.1} on one thread (median of the rounds' ratios {:.2} x); two independent runs reach {:.2} x on this machine (its ceiling; two threads get {:.0} % of it)",
            median(paired),
            one_ns / both_ns,
            100.0 * both_ns / two_ns
        ),
    ))
}

/// Size of the network of the build row.
const BUILD_NODES: usize = 1000;

fn build_time(quick: bool) -> Result<(f64, String), BenchError> {
    let reps = if quick { 1 } else { 5 };
    let mut rng = SplitMix64::new(SEED);
    let n = BUILD_NODES;
    let mut c = SquareMatrix::zeros(n);
    let mut d = SquareMatrix::zeros(n);
    for i in 0..n {
        for j in 0..n {
            if i != j {
                c.set(i, j, rng.next_f64() / n as f64);
                d.set(i, j, rng.next_f64() * 20.0);
            }
        }
    }
    let options = SimulationOptions {
        dt: DT,
        sampling_dt: Some(1.0),
        variables: Some(vec!["r_mean_EXC".into()]),
        seed: SEED,
    };
    // Load the shared transfer table once, outside the timing (a one-off per process).
    let mut warm = Simulation::new(&Network::single(AlnNode::default().into()), &options)?;
    warm.run_steps(1)?;
    let (mut per, mut nodes_ms, mut network_ms, mut sim_ms) = (vec![], vec![], vec![], vec![]);
    for _ in 0..reps {
        let (c, d) = (c.clone(), d.clone());
        let t0 = Instant::now();
        let nodes: Vec<Node> = (0..n).map(|_| AlnNode::default().into()).collect();
        let t1 = Instant::now();
        let network = Network::new(nodes, c, d)?;
        let t2 = Instant::now();
        let sim = Simulation::new(&network, &options)?;
        let t3 = Instant::now();
        let ms = |a: Instant, b: Instant| (b - a).as_secs_f64() * 1e3;
        per.push(ms(t0, t3));
        nodes_ms.push(ms(t0, t1));
        network_ms.push(ms(t1, t2));
        sim_ms.push(ms(t2, t3));
        std::hint::black_box(sim);
    }
    let best = fastest(&per);
    let b = per.iter().position(|&t| t == best).unwrap_or(0);
    Ok((
        best,
        format!(
            "{n} default ALN nodes, dense random connectivity and delays (0-20 ms): nodes {:.1} ms + Network::new {:.1} ms + Simulation::new {:.1} ms, best of {reps} (median {:.1} ms; transfer table loaded once before)",
            nodes_ms[b],
            network_ms[b],
            sim_ms[b],
            median(per)
        ),
    ))
}

/// Simulated time of the memory row (ms).
const MEMORY_DURATION: f64 = 60_000.0;
/// Simulated time of the memory row with `--quick` (ms).
const MEMORY_DURATION_QUICK: f64 = 1_000.0;

/// The memory workload, in this process: run the 80-node gw network for `duration_ms`
/// keeping `r_mean_EXC` at 1 ms, and return this process's peak resident set (`VmHWM`,
/// kB) afterwards. `neuromass bench --memory-child <ms>` calls it in a fresh process.
pub fn memory_workload(duration_ms: f64) -> Result<u64, BenchError> {
    let (network, options) = aln_gw_config(duration_ms)?.build()?;
    let mut sim = Simulation::new(&network, &options)?;
    let out = sim.run(duration_ms)?;
    std::hint::black_box(&out);
    peak_rss_kb()
}

/// This process's peak resident set size (`VmHWM` of `/proc/self/status`, kB).
pub fn peak_rss_kb() -> Result<u64, BenchError> {
    let status = std::fs::read_to_string("/proc/self/status")
        .map_err(|e| BenchError::Io(format!("cannot read /proc/self/status: {e}")))?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .ok_or_else(|| BenchError::Io("no VmHWM in /proc/self/status".into()))
}

/// The line `neuromass bench --memory-child` prints, parsed by the parent.
pub const MEMORY_CHILD_PREFIX: &str = "peak_rss_kb=";

fn peak_memory(options: &BenchOptions) -> Result<(f64, String), BenchError> {
    let duration = if options.quick {
        MEMORY_DURATION_QUICK
    } else {
        MEMORY_DURATION
    };
    let (kb, how) = match &options.child_exe {
        Some(exe) => {
            let out = std::process::Command::new(exe)
                .args(["bench", "--memory-child", &format!("{duration}")])
                .output()
                .map_err(|e| BenchError::Io(format!("cannot start `{}`: {e}", exe.display())))?;
            let stdout = String::from_utf8_lossy(&out.stdout);
            let kb = stdout
                .lines()
                .find_map(|l| l.trim().strip_prefix(MEMORY_CHILD_PREFIX))
                .and_then(|v| v.trim().parse::<u64>().ok())
                .ok_or_else(|| {
                    BenchError::Io(format!(
                        "the memory child process failed ({}): {}",
                        out.status,
                        String::from_utf8_lossy(&out.stderr).trim()
                    ))
                })?;
            (
                kb,
                "peak RSS (VmHWM) of a fresh child process, whole process",
            )
        }
        None => (
            memory_workload(duration)?,
            "peak RSS (VmHWM) of this process (includes what it held before)",
        ),
    };
    let mb = kb as f64 * 1024.0 / 1e6;
    Ok((
        mb,
        format!(
            "{how}: 80 ALN nodes on gw (as `aln`), {} s simulated, r_mean_EXC kept every 1 ms in memory ({:.1} MB of samples)",
            duration / 1000.0,
            80.0 * duration * 8.0 / 1e6
        ),
    ))
}

fn exploration(quick: bool) -> Result<(f64, String), BenchError> {
    let reps = if quick { 1 } else { 5 };
    let (model, space) = crate::exploration::reference_exploration()?;
    let dir = std::env::temp_dir().join(format!("neuromass-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)
        .map_err(|e| BenchError::Io(format!("cannot create `{}`: {e}", dir.display())))?;
    let (out, other_out) = (dir.join("explore.h5"), dir.join("explore-2.h5"));
    // One exploration on `threads` worker threads, written to `out`: runs computed and
    // runs per second.
    let explore = |threads: usize, out: &std::path::Path| -> Result<(usize, f64), BenchError> {
        let report = Exploration::new(space.clone())
            .threads(threads)
            .quiet(true)
            .run(&model, out, Mode::Force)?;
        Ok((
            report.computed,
            report.computed as f64 / report.elapsed.as_secs_f64(),
        ))
    };
    let rate =
        |threads: usize, out: &std::path::Path| Ok::<_, BenchError>(explore(threads, out)?.1);
    // Runs per second of two one-thread explorations at once (each its own file): what
    // this machine's two cores give work that shares nothing, the ceiling of two threads.
    let independent = || -> Result<f64, BenchError> {
        let t = Instant::now();
        let (a, b) = std::thread::scope(|scope| {
            let other = scope.spawn(|| explore(1, &other_out));
            let mine = explore(1, &out);
            (
                mine,
                other
                    .join()
                    .unwrap_or_else(|e| std::panic::resume_unwind(e)),
            )
        });
        Ok((a?.0 + b?.0) as f64 / t.elapsed().as_secs_f64())
    };
    // One warm-up run (transfer table, HDF5 library), then rounds of one thread, two, and
    // two independent one-thread explorations (all see the same machine); none with `quick`.
    let rounds = || -> Result<[Vec<f64>; 3], BenchError> {
        if !quick {
            rate(2, &out)?;
        }
        let [mut one, mut two, mut both] = [Vec::new(), Vec::new(), Vec::new()];
        for _ in 0..reps {
            one.push(rate(1, &out)?);
            two.push(rate(2, &out)?);
            both.push(independent()?);
        }
        Ok([one, two, both])
    };
    let result = rounds();
    let _ = std::fs::remove_dir_all(&dir);
    let [one, two, both] = result?;
    let most = |v: &[f64]| v.iter().copied().reduce(f64::max).unwrap_or(f64::NAN);
    let (best_one, best) = (most(&one), most(&two));
    let paired: Vec<f64> = two.iter().zip(&one).map(|(b, a)| b / a).collect();
    Ok((
        best,
        format!(
            "neurolib's reference exploration: 16 runs of one ALN node, 5 s each, r_mean_EXC summaries + journal written to HDF5, 2 worker threads, wall time of Exploration::run, best of {reps} (median {:.0} runs/s){}; in alternation with one thread and with two independent one-thread explorations at once: one thread best {best_one:.0} runs/s, two threads {:.2} x one (median of the rounds' ratios {:.2} x); two independent explorations reach {:.2} x on this machine (its ceiling; two threads get {:.0} % of it)",
            median(two),
            if quick { "" } else { " (after one warm-up)" },
            best / best_one,
            median(paired),
            most(&both) / best_one,
            100.0 * best / most(&both)
        ),
    ))
}

/// neurolib's thalamocortical motif: one ALN node (the example's parameters) and one
/// thalamic node, 13 ms delays, coupled through `r_mean_EXC`.
pub fn thalamocortical_network() -> Result<Network, BenchError> {
    let mut aln = AlnNode::default();
    aln.exc.params.ext_exc_current = 3.4;
    aln.exc.params.a = 0.0;
    aln.exc.params.b = 15.0;
    aln.exc.params.tauA = 1000.0;
    aln.inh.params.ext_inh_current = 3.5;
    let c = SquareMatrix::from_rows("c", &[vec![0.0, 0.15], vec![1.2, 0.0]], None)?;
    let d = SquareMatrix::from_rows("d", &[vec![0.0, 13.0], vec![13.0, 0.0]], None)?;
    let net = Network::new(vec![aln.into(), ThalamicNode::default().into()], c, d)?
        .couple(Coupling::additive("r_mean_EXC", "network_exc_exc"))?
        .couple(Coupling::additive("r_mean_EXC", "network_exc_exc_sq").squared())?
        .couple(Coupling::additive("r_mean_EXC", "network_inh_exc"))?;
    Ok(net)
}

fn thalamocortical_step(quick: bool) -> Result<(f64, String), BenchError> {
    let (duration, reps) = if quick { (1000.0, 1) } else { (10_000.0, 5) };
    let network = thalamocortical_network()?;
    let options = SimulationOptions {
        dt: DT,
        sampling_dt: Some(1.0),
        variables: Some(vec!["r_mean_EXC".into()]),
        seed: SEED,
    };
    let mut per = Vec::new();
    for _ in 0..reps {
        let t = time_run(&network, &options, duration)?;
        per.push(t.as_secs_f64() * 1e6 / steps(duration) as f64);
    }
    Ok((
        fastest(&per),
        format!(
            "ALN node + thalamic node, 13 ms delays, {} s simulated at dt 0.1 ms keeping r_mean_EXC at 1 ms, best of {reps} (median {:.3} us/step), build excluded",
            duration / 1000.0,
            median(per)
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_parse_by_key_and_reject_unknown_names() {
        for row in Row::ALL {
            assert_eq!(row.key().parse::<Row>().unwrap(), row);
        }
        let err = "fastest".parse::<Row>().unwrap_err().to_string();
        assert!(err.contains("fastest") && err.contains("aln-2t"), "{err}");
    }

    #[test]
    fn targets_follow_the_issue() {
        assert!(Row::Aln.passes(100.0) && !Row::Aln.passes(100.1));
        assert!(Row::Aln2Threads.passes(1.8) && !Row::Aln2Threads.passes(1.79));
        assert!(Row::Build.passes(50.0) && !Row::Build.passes(51.0));
        assert!(Row::Memory.passes(99.0) && !Row::Memory.passes(101.0));
        assert!(Row::Explore.passes(600.0) && !Row::Explore.passes(599.0));
        assert!(Row::Thalamo.passes(0.5) && !Row::Thalamo.passes(0.51));
    }

    #[test]
    fn median_of_odd_and_even_counts() {
        assert_eq!(median(vec![3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(vec![4.0, 1.0, 2.0, 3.0]), 2.5);
        assert!(median(vec![]).is_nan());
        assert_eq!(fastest(&[3.0, 1.0, 2.0]), 1.0);
        assert!(fastest(&[]).is_nan());
    }
}
