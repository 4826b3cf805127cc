//! `neuromass aln-table`: compute an ALN transfer table for an AdEx neuron (see
//! [`neuromass_models::aln_table`]).

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use indicatif::{ProgressBar, ProgressStyle};
use neuromass_models::aln_table::{AdexNeuron, AlnTableSpec, TableMode, linspace};

/// Arguments of `neuromass aln-table`.
#[derive(clap::Args, Debug)]
pub struct AlnTableArgs {
    /// Membrane capacitance (pF).
    #[arg(long = "C", default_value_t = 200.0, allow_negative_numbers = true)]
    pub c: f64,
    /// Leak conductance (nS).
    #[arg(long = "gL", default_value_t = 10.0, allow_negative_numbers = true)]
    pub g_l: f64,
    /// Leak reversal potential (mV).
    #[arg(long = "EL", default_value_t = -65.0, allow_negative_numbers = true)]
    pub e_l: f64,
    /// Threshold of the exponential term (mV).
    #[arg(long = "VT", default_value_t = -50.0, allow_negative_numbers = true)]
    pub v_t: f64,
    /// Spike slope factor (mV); 0: leaky integrate-and-fire.
    #[arg(long = "DeltaT", default_value_t = 1.5, allow_negative_numbers = true)]
    pub delta_t: f64,
    /// Reset potential (mV).
    #[arg(long = "Vr", default_value_t = -70.0, allow_negative_numbers = true)]
    pub v_r: f64,
    /// Spike cut-off potential (mV).
    #[arg(long = "Vcut", default_value_t = -40.0, allow_negative_numbers = true)]
    pub v_cut: f64,
    /// Refractory period (ms).
    #[arg(long = "Tref", default_value_t = 1.5, allow_negative_numbers = true)]
    pub t_ref: f64,
    /// Input mean grid `START:STOP:N` (mV/ms), N uniformly spaced values.
    #[arg(long, default_value = "-1:7:350", allow_hyphen_values = true)]
    pub mu: String,
    /// Input standard deviation grid `START:STOP:N` (mV/√ms), N uniformly spaced values.
    #[arg(long, default_value = "0.5:5:64", allow_hyphen_values = true)]
    pub sigma: String,
    /// Output HDF5 file (the layout ALN nodes read: `table = "<file>"` in TOML).
    #[arg(long, short)]
    pub out: PathBuf,
    /// Reproduce the shipped table's numerics exactly (about a second per grid point).
    #[arg(long)]
    pub exact: bool,
    /// Worker threads (0: all cores).
    #[arg(long, default_value_t = 0)]
    pub threads: usize,
    /// No progress bar.
    #[arg(long)]
    pub quiet: bool,
}

/// Parse `START:STOP:N` into numpy's `linspace(START, STOP, N)`.
pub fn parse_grid(name: &str, text: &str) -> Result<Vec<f64>> {
    let parts: Vec<&str> = text.split(':').collect();
    let [start, stop, n] = parts.as_slice() else {
        bail!("--{name} `{text}`: expected START:STOP:N, e.g. -1:7:350");
    };
    let num = |s: &str| -> Result<f64> {
        s.trim()
            .parse::<f64>()
            .with_context(|| format!("--{name} `{text}`: `{s}` is not a number"))
    };
    let (start, stop) = (num(start)?, num(stop)?);
    let n: usize = n
        .trim()
        .parse()
        .with_context(|| format!("--{name} `{text}`: `{n}` is not a count"))?;
    if n < 2 {
        bail!("--{name} `{text}`: N must be at least 2");
    }
    if start.is_nan() || stop.is_nan() || start >= stop {
        bail!("--{name} `{text}`: START must be below STOP");
    }
    Ok(linspace(start, stop, n))
}

/// Run `neuromass aln-table`.
pub fn run(args: &AlnTableArgs) -> Result<()> {
    let neuron = AdexNeuron {
        c: args.c,
        g_l: args.g_l,
        e_l: args.e_l,
        v_t: args.v_t,
        delta_t: args.delta_t,
        v_r: args.v_r,
        v_cut: args.v_cut,
        t_ref: args.t_ref,
    };
    let mut spec = AlnTableSpec::new(neuron);
    spec.mu = parse_grid("mu", &args.mu)?;
    spec.sigma = parse_grid("sigma", &args.sigma)?;
    spec.mode = if args.exact {
        TableMode::Exact
    } else {
        TableMode::Fast
    };
    spec.validate()?;
    // Fail on an unwritable output before computing.
    std::fs::File::create(&args.out)
        .with_context(|| format!("cannot write output file `{}`", args.out.display()))?;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(args.threads)
        .build()
        .context("starting worker threads")?;
    let total = (spec.mu.len() * spec.sigma.len()) as u64;
    let bar = if args.quiet {
        ProgressBar::hidden()
    } else {
        ProgressBar::new(total)
    };
    bar.set_style(
        ProgressStyle::with_template(
            "{msg} [{elapsed_precise}] {wide_bar} {pos}/{len} points (eta {eta})",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar.set_message(format!("aln-table ({})", spec.mode.name()));
    let started = Instant::now();
    let table = pool.install(|| spec.compute(|| bar.inc(1)))?;
    bar.finish_and_clear();
    let elapsed = started.elapsed().as_secs_f64();
    table
        .write(&args.out)
        .with_context(|| format!("writing `{}`", args.out.display()))?;
    let range = |v: &[f64]| {
        v.iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &x| {
                (lo.min(x), hi.max(x))
            })
    };
    let (r_lo, r_hi) = range(&table.r_ss);
    let (t_lo, t_hi) = range(&table.tau_mu_exp);
    println!(
        "aln-table: {} x {} grid ({} mode) in {elapsed:.1} s -> {}",
        table.mu.len(),
        table.sigma.len(),
        table.mode.name(),
        args.out.display()
    );
    println!(
        "neuron:    C = {} pF, gL = {} nS (taum = {} ms), EL = {}, VT = {}, DeltaT = {}, Vr = {}, Vcut = {} mV, Tref = {} ms",
        neuron.c,
        neuron.g_l,
        neuron.tau_m(),
        neuron.e_l,
        neuron.v_t,
        neuron.delta_t,
        neuron.v_r,
        neuron.v_cut,
        neuron.t_ref
    );
    println!(
        "r_ss:      {:.3e} .. {:.4} kHz; tau_mu_exp: {t_lo:.3} .. {t_hi:.3} ms",
        r_lo, r_hi
    );
    Ok(())
}
