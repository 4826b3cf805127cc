//! The `neuromass` command.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use neuromass::config::{DEFAULT_MODEL_TOML, RunConfig};
use neuromass::summary;

#[derive(Parser)]
#[command(
    name = "neuromass",
    version,
    about = "Heterogeneous whole-brain neural mass modelling"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Integrate a node or network described in TOML and write the trajectories to HDF5.
    Run {
        /// The model description (TOML); omitted: the built-in example, 80 ALN nodes on the
        /// gw connectome with BOLD and its fit to the empirical data.
        model: Option<PathBuf>,
        /// Output HDF5 file.
        #[arg(long, short, default_value = "run.h5")]
        out: PathBuf,
        /// Override a setting or parameter: `PATH=VALUE` (repeatable). PATH is `duration`,
        /// `dt`, `sampling_dt`, `seed`, or a parameter path / glob such as
        /// `WCnode_0.WCmassEXC_0.tau` or `*EXC*.ext_drive`.
        #[arg(long = "set", value_name = "PATH=VALUE")]
        set: Vec<String>,
        /// Threads integrating the network (0: all cores); the numbers do not depend on it.
        #[arg(long, default_value_t = 1)]
        threads: usize,
    },
    /// Run a parameter exploration described in TOML; results go to one HDF5 file.
    Explore(ExploreArgs),
    /// Time the workloads of the performance table (issue 7) on this machine and print
    /// them beside neurolib 0.6.2's figures and the targets.
    Bench(BenchArgs),
    /// Compute an ALN transfer table (r_ss, V_mean_ss, tau_mu_exp, tau_sigma_exp on a
    /// mu x sigma grid) for an AdEx neuron and write it to HDF5.
    AlnTable(neuromass::aln_table_cli::AlnTableArgs),
}

#[derive(clap::Args)]
#[command(args_conflicts_with_subcommands = true)]
struct ExploreArgs {
    #[command(subcommand)]
    command: Option<ExploreCommand>,
    /// The exploration description (TOML).
    spec: Option<PathBuf>,
    /// Output HDF5 file (its journal is kept next to it as `<out>.journal`).
    #[arg(long, short, default_value = "exploration.h5")]
    out: PathBuf,
    /// Worker threads (0: all cores).
    #[arg(long, default_value_t = 0)]
    threads: usize,
    /// Continue an interrupted exploration: only unfinished runs are computed.
    #[arg(long, conflicts_with = "force")]
    resume: bool,
    /// Replace an existing output.
    #[arg(long)]
    force: bool,
    /// Run only the K-th of N slices of the space, e.g. `--shard $SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT`.
    #[arg(long, value_name = "K/N")]
    shard: Option<String>,
    /// No progress line.
    #[arg(long)]
    quiet: bool,
}

#[derive(Subcommand)]
enum ExploreCommand {
    /// Merge shard outputs into one file identical to a single-process run.
    Merge {
        /// The shard outputs.
        shards: Vec<PathBuf>,
        /// The merged output.
        #[arg(long, short)]
        out: PathBuf,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Run {
            model,
            out,
            set,
            threads,
        } => run(model, out, set, threads),
        Command::Explore(args) => explore(args),
        Command::Bench(args) => bench(args),
        Command::AlnTable(args) => neuromass::aln_table_cli::run(&args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(model: Option<PathBuf>, out: PathBuf, set: Vec<String>, threads: usize) -> Result<()> {
    let threads = match threads {
        0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
        n => n,
    };
    let (mut config, source) = match &model {
        Some(path) => (RunConfig::from_file(path)?, path.display().to_string()),
        None => (
            RunConfig::from_toml(DEFAULT_MODEL_TOML)?,
            format!(
                "built-in example ({}: 80 ALN nodes on the gw connectome, BOLD fit)",
                neuromass::config::DEFAULT_MODEL_FILE
            ),
        ),
    };
    for s in &set {
        config.apply_override(s)?;
    }
    // Fail on an unwritable output before spending time on the run.
    std::fs::File::create(&out)
        .with_context(|| format!("cannot write output file `{}`", out.display()))?;
    // Advice about the model (e.g. an ALN table made for other neuron parameters) first.
    for warning in config.build()?.0.warnings() {
        eprintln!("warning: {warning}");
    }
    let started = Instant::now();
    let artifacts = config.run_on(threads)?;
    let elapsed = started.elapsed();
    let (output, resolved) = (&artifacts.output, &artifacts.resolved);
    output
        .write_hdf5(&out, Some(&serde_json::to_string(resolved)?))
        .with_context(|| format!("writing `{}`", out.display()))?;
    if let Some((t, bold)) = &artifacts.bold {
        write_bold(&out, t, bold)
            .with_context(|| format!("writing BOLD to `{}`", out.display()))?;
    }
    let steps = resolved["steps"].as_u64().unwrap_or(0);
    println!("model:    {source}");
    println!(
        "run:      {} nodes, {} ms at dt = {} ms ({steps} steps) in {:.3} s{}, seed {}",
        output.nodes.len(),
        config.duration,
        config.dt,
        elapsed.as_secs_f64(),
        if threads > 1 {
            format!(" on {threads} threads")
        } else {
            String::new()
        },
        config.seed.unwrap_or(0)
    );
    let skip = output.t.len() / 10; // leave out the initial transient
    let sample_ms = config.sampling_dt.unwrap_or(config.dt);
    let mut reports = Vec::new();
    for (i, node) in output.nodes.iter().enumerate() {
        let (name, series) = match node.get("r_mean_EXC") {
            Some(r) => ("r_mean_EXC", r),
            None => match node.names.first().zip(node.data.first()) {
                Some((n, d)) => (n.as_str(), d.as_slice()),
                None => continue,
            },
        };
        let tail = &series[skip..];
        reports.push(summary::NodeReport {
            index: i,
            label: node.label.clone(),
            variable: name.to_string(),
            mean: summary::mean(tail),
            frequency: summary::dominant_frequency(tail, sample_ms).0,
        });
    }
    for line in summary::report_lines(&reports, 12) {
        println!("{line}");
    }
    if let Some(fit) = &artifacts.fc_fit {
        let mean = fit.iter().sum::<f64>() / fit.len().max(1) as f64;
        let each: Vec<String> = fit.iter().map(|r| format!("{r:.3}")).collect();
        println!(
            "BOLD FC fit: mean r = {mean:.3} over {} subjects ({})",
            fit.len(),
            each.join(", ")
        );
    }
    if let Some(ks) = &artifacts.fcd_ks {
        let mean = ks.iter().sum::<f64>() / ks.len().max(1) as f64;
        let each: Vec<String> = ks.iter().map(|d| format!("{d:.3}")).collect();
        println!(
            "BOLD FCD KS distance: mean {mean:.3} over {} subjects ({})",
            ks.len(),
            each.join(", ")
        );
    } else if let Some(note) = &artifacts.fcd_ks_note {
        println!("BOLD FCD KS distance: not computed ({note})");
    }
    println!(
        "output:   {} ({} samples per variable)",
        out.display(),
        output.t.len()
    );
    Ok(())
}

fn explore(args: ExploreArgs) -> Result<()> {
    use neuromass::exploration::{ConfigModel, ExploreConfig};
    use neuromass::explore::{Exploration, Mode, merge};
    if let Some(ExploreCommand::Merge { shards, out }) = args.command {
        merge(&shards, &out)?;
        println!("merged {} shard(s) into {}", shards.len(), out.display());
        return Ok(());
    }
    let spec = args
        .spec
        .context("give the exploration description: neuromass explore <spec.toml>")?;
    let (config, base) = ExploreConfig::from_file(&spec)?;
    let mut exploration = Exploration::new(config.space.clone())
        .seed(config.seed)
        .threads(args.threads)
        .quiet(args.quiet);
    if let Some(shard) = &args.shard {
        let (k, n) = shard
            .split_once('/')
            .and_then(|(k, n)| Some((k.trim().parse().ok()?, n.trim().parse().ok()?)))
            .context("--shard must be K/N with 0 <= K < N, e.g. 3/16")?;
        exploration = exploration.shard(k, n);
    }
    let mode = if args.resume {
        Mode::Resume
    } else if args.force {
        Mode::Force
    } else {
        Mode::New
    };
    let model = ConfigModel {
        base,
        keep: config.keep.clone(),
    };
    let report = exploration.run(&model, &args.out, mode)?;
    let secs = report.elapsed.as_secs_f64();
    println!(
        "{} of {} runs done ({} failed); {} computed now in {:.3} s ({:.1} runs/s); results: {}",
        report.done,
        report.total,
        report.failed,
        report.computed,
        secs,
        report.computed as f64 / secs.max(1e-9),
        args.out.display()
    );
    // With fit scores (a base model with `[bold] fit`), list the best runs.
    if model.base.bold.as_ref().is_none_or(|b| b.fit.is_none()) {
        return Ok(());
    }
    let results = neuromass::explore::ExplorationResults::open(&args.out)?;
    let fcd_ks = results.results.get("fcd_ks_mean").map(|(_, v)| v);
    if let Some((_, scores)) = results.results.get("fc_fit_mean") {
        let mut order: Vec<usize> = (0..scores.len())
            .filter(|&i| scores[i].is_finite())
            .collect();
        order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]));
        println!("best runs by mean FC fit:");
        for &i in order.iter().take(5) {
            let point: Vec<String> = results
                .paths
                .iter()
                .zip(&results.params[i])
                .map(|(p, v)| format!("{p} = {v}"))
                .collect();
            let ks = fcd_ks.map_or(String::new(), |k| format!(", FCD KS = {:.3}", k[i]));
            println!(
                "  run {i:>5}: r = {:.3}{ks}  ({})",
                scores[i],
                point.join(", ")
            );
        }
    }
    Ok(())
}

/// Add `/bold/t_ms` and `/bold/bold` (regions × samples) to a run's HDF5 file.
fn write_bold(path: &std::path::Path, t: &[f64], bold: &[Vec<f64>]) -> Result<()> {
    let file = hdf5::File::append(path)?;
    let g = file.create_group("bold")?;
    g.new_dataset_builder().with_data(t).create("t_ms")?;
    let cols = bold.first().map_or(0, Vec::len);
    let flat: Vec<f64> = bold.concat();
    g.new_dataset::<f64>()
        .shape([bold.len(), cols])
        .create("bold")?
        .write_raw(&flat)?;
    Ok(())
}

#[derive(clap::Args)]
struct BenchArgs {
    /// Short runs (a smoke test; rough figures, memory row over 1 s instead of 60 s).
    #[arg(long)]
    quick: bool,
    /// Only these rows (repeatable or comma-separated): aln, aln-2t, build, memory,
    /// explore, thalamo.
    #[arg(long, value_delimiter = ',')]
    only: Vec<String>,
    /// Print the results as JSON instead of the table.
    #[arg(long)]
    json: bool,
    /// Internal: run the memory workload for this many ms and print the peak RSS.
    #[arg(long, hide = true, value_name = "MS")]
    memory_child: Option<f64>,
}

fn bench(args: BenchArgs) -> Result<()> {
    use neuromass::bench::{self, BenchOptions, Row};
    if let Some(ms) = args.memory_child {
        let kb = bench::memory_workload(ms)?;
        println!("{}{kb}", bench::MEMORY_CHILD_PREFIX);
        return Ok(());
    }
    let only = args
        .only
        .iter()
        .map(|s| s.parse::<Row>())
        .collect::<Result<Vec<_>, _>>()?;
    let options = BenchOptions {
        quick: args.quick,
        only,
        child_exe: std::env::current_exe().ok(),
    };
    if !args.json {
        eprintln!("timing the workloads (shared machines give noisy figures) ...");
    }
    let report = bench::run(&options)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report.to_json())?);
    } else {
        print!("{}", report.table());
    }
    Ok(())
}
