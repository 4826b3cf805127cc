//! Parameter explorations of **neuromass** models: grids, sequences and random samples
//! over any parameter paths, run in parallel with rayon, streamed to an append-only
//! journal as runs finish (so a killed exploration resumes where it stopped) and stored in
//! one HDF5 file with a documented layout (see [`store`]).
//!
//! A run's seed is derived from (exploration seed, run index), so results do not depend on
//! the thread count or the order runs finish; the HDF5 file is rebuilt from the journal in
//! run order, so a resumed exploration's file equals an uninterrupted one's.
//!
//! ```
//! use neuromass_explore::{Exploration, Item, Mode, Model, Space};
//!
//! /// A toy model: the result is a function of the point and the seed.
//! struct Quadratic;
//! impl Model for Quadratic {
//!     fn describe(&self) -> serde_json::Value { serde_json::json!({"model": "quadratic"}) }
//!     fn check(&self, _paths: &[String], _first: &[f64]) -> Result<(), String> { Ok(()) }
//!     fn run(&self, point: &[(String, f64)], _seed: u64) -> Result<Vec<Item>, String> {
//!         Ok(vec![Item::scalar("y", point[0].1 * point[0].1 + point[1].1)])
//!     }
//! }
//!
//! let dir = std::env::temp_dir().join(format!("explore-doc-{}", std::process::id()));
//! std::fs::create_dir_all(&dir)?;
//! let out = dir.join("grid.h5");
//! let space = Space::grid(vec![("a", vec![1.0, 2.0, 3.0]), ("b", vec![0.0, 10.0])]);
//! let report = Exploration::new(space).threads(2).quiet(true).run(&Quadratic, &out, Mode::Force)?;
//! assert_eq!(report.done, 6);
//! let results = neuromass_explore::ExplorationResults::open(&out)?;
//! assert_eq!(results.row("y", 5), Some(&[19.0][..]));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod error;
pub mod journal;
mod space;
pub mod store;

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::mpsc::sync_channel;
use std::time::{Duration, Instant};

use rayon::prelude::*;

pub use error::{ExploreError, Result};
pub use journal::{Item, Outcome};
pub use space::{Axis, Space, SpaceKind, Values};
pub use store::{ExplorationResults, Header};

use journal::{JournalWriter, RecordReader, scan_journal};
use neuromass_stimulus::random::stream_key;

/// Something an exploration can run at a point of a parameter space.
pub trait Model: Sync {
    /// The base model as JSON (stored in the file; part of the resume hash).
    fn describe(&self) -> serde_json::Value;
    /// Check, before any run, that the explored paths exist (e.g. by building the model at
    /// the first point); the message names the bad path.
    fn check(&self, paths: &[String], first: &[f64]) -> std::result::Result<(), String>;
    /// Run at `point` (`(path, value)` pairs) with `seed`; the named results to keep, or
    /// the failure message.
    fn run(&self, point: &[(String, f64)], seed: u64) -> std::result::Result<Vec<Item>, String>;
    /// How many runs [`run_batch`](Self::run_batch) would like at once (e.g. to integrate
    /// small models side by side); 1 by default.
    fn batch_size(&self) -> usize {
        1
    }
    /// Run several `(point, seed)`s; the outcomes in order. Each outcome must equal what
    /// [`run`](Self::run) gives for that point and seed, so results never depend on how
    /// runs were batched. By default, one after the other.
    fn run_batch(&self, runs: &[(Vec<(String, f64)>, u64)]) -> Vec<RunResult> {
        runs.iter()
            .map(|(point, seed)| self.run(point, *seed))
            .collect()
    }
}

/// The outcome of one run: the named results to keep, or the failure message.
pub type RunResult = std::result::Result<Vec<Item>, String>;

/// What to do with an existing output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Fail if the output (or its journal) exists.
    New,
    /// Continue the exploration recorded in the output's journal (same space, base model
    /// and seed), running only what is not finished.
    Resume,
    /// Replace any existing output.
    Force,
}

/// An exploration: a space, a seed, how many threads, which shard.
#[derive(Debug, Clone)]
pub struct Exploration {
    space: Space,
    seed: u64,
    threads: usize,
    shard: Option<(usize, usize)>,
    quiet: bool,
}

/// How an exploration went.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// Runs in the space.
    pub total: usize,
    /// Runs finished (now or before a resume).
    pub done: usize,
    /// Runs failed.
    pub failed: usize,
    /// Runs computed by this call.
    pub computed: usize,
    /// Wall time of this call.
    pub elapsed: Duration,
}

/// The journal next to an output file.
pub fn journal_path(out: &Path) -> PathBuf {
    let mut p = out.as_os_str().to_owned();
    p.push(".journal");
    PathBuf::from(p)
}

fn hash_of(text: &str) -> String {
    let h = text.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    format!("{h:016x}")
}

impl Exploration {
    /// An exploration of `space` with seed 0, all cores, no shard.
    pub fn new(space: Space) -> Self {
        Exploration {
            space,
            seed: 0,
            threads: 0,
            shard: None,
            quiet: false,
        }
    }

    /// The exploration seed (run `i` gets a seed derived from it and `i`).
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Worker threads (0: all cores).
    pub fn threads(mut self, threads: usize) -> Self {
        self.threads = threads;
        self
    }

    /// Run only shard `k` of `n` (runs with index ≡ k mod n).
    pub fn shard(mut self, k: usize, n: usize) -> Self {
        self.shard = Some((k, n));
        self
    }

    /// No progress line.
    pub fn quiet(mut self, quiet: bool) -> Self {
        self.quiet = quiet;
        self
    }

    /// The header (paths, points, seeds, hash) this exploration writes for `model`.
    pub fn header(&self, model: &impl Model) -> Result<Header> {
        let points = self.space.points()?;
        let seeds = (0..points.len() as u64)
            .map(|i| stream_key(self.seed, &[i]))
            .collect();
        let space =
            serde_json::to_value(&self.space).map_err(|e| ExploreError::Space(e.to_string()))?;
        let base = model.describe();
        let hash = hash_of(&format!("{space}|{base}|{}", self.seed));
        Ok(Header {
            paths: self.space.paths(),
            points,
            seeds,
            space,
            base,
            seed: self.seed,
            hash,
        })
    }

    /// Run the exploration into `out` (HDF5) with its journal `out.journal`.
    pub fn run(&self, model: &impl Model, out: &Path, mode: Mode) -> Result<Report> {
        let started = Instant::now();
        if let Some((k, n)) = self.shard
            && (n == 0 || k >= n)
        {
            return Err(ExploreError::Space(format!(
                "shard {k}/{n}: need 0 <= k < n"
            )));
        }
        let header = self.header(model)?;
        let total = header.points.len();
        model
            .check(&header.paths, &header.points[0])
            .map_err(ExploreError::Space)?;
        let journal = journal_path(out);
        let header_json =
            serde_json::to_string(&header).map_err(|e| ExploreError::Space(e.to_string()))?;
        let mut finished = vec![false; total];
        let mut failed = 0;
        let mut writer = match mode {
            Mode::New if out.exists() || journal.exists() => {
                return Err(ExploreError::Output(format!(
                    "`{}` already exists; use --resume to continue it or --force to replace it",
                    out.display()
                )));
            }
            Mode::New | Mode::Force => {
                let _ = std::fs::remove_file(out);
                JournalWriter::create(&journal, &header_json)?
            }
            Mode::Resume => {
                if !journal.exists() {
                    return Err(ExploreError::Output(format!(
                        "cannot resume: `{}` has no journal `{}`",
                        out.display(),
                        journal.display()
                    )));
                }
                let old = scan_journal(&journal)?;
                let old_header: Header = serde_json::from_str(&old.header)
                    .map_err(|e| ExploreError::Output(e.to_string()))?;
                if old_header.hash != header.hash {
                    return Err(ExploreError::Output(format!(
                        "cannot resume `{}`: it was made from a different space, base model or seed (hash {} vs {})",
                        out.display(),
                        old_header.hash,
                        header.hash
                    )));
                }
                for &(run, _, _, status) in &old.entries {
                    if let Some(f) = finished.get_mut(run as usize)
                        && !*f
                    {
                        *f = true;
                        failed += usize::from(status == 2);
                    }
                }
                JournalWriter::append(&journal, old.valid_len)?
            }
        };
        // The output exists (and is readable) from the start; it is rebuilt atomically.
        writer.sync()?;
        store::build_hdf5(out, &journal)?;
        let todo: Vec<usize> = (0..total)
            .filter(|&i| !finished[i])
            .filter(|&i| self.shard.is_none_or(|(k, n)| i % n == k))
            .collect();
        let already = finished.iter().filter(|&&f| f).count();
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(self.threads)
            .build()
            .map_err(|e| ExploreError::Space(format!("thread pool: {e}")))?;
        let show = !self.quiet && std::io::stderr().is_terminal();
        let bar = if show {
            let bar = indicatif::ProgressBar::new(todo.len() as u64);
            bar.set_style(
                indicatif::ProgressStyle::with_template(
                    "{bar:40} {pos}/{len} runs {msg} [{elapsed_precise}, {per_sec}, ETA {eta}]",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            bar
        } else {
            indicatif::ProgressBar::hidden()
        };
        // Batches small enough that every thread gets work (results do not depend on them).
        let threads = pool.current_num_threads().max(1);
        let batch = model
            .batch_size()
            .clamp(1, todo.len().div_ceil(threads).max(1));
        let (tx, rx) = sync_channel::<(usize, Outcome)>(2 * threads * batch);
        let mut computed = 0;
        let mut last_snapshot = Instant::now();
        let result: Result<()> = std::thread::scope(|scope| {
            let header = &header;
            let todo = &todo;
            scope.spawn(move || {
                pool.install(|| {
                    todo.par_chunks(batch).for_each_with(tx, |tx, runs| {
                        let batch: Vec<(Vec<(String, f64)>, u64)> = runs
                            .iter()
                            .map(|&run| {
                                let point = header
                                    .paths
                                    .iter()
                                    .cloned()
                                    .zip(header.points[run].iter().copied())
                                    .collect();
                                (point, header.seeds[run])
                            })
                            .collect();
                        for (&run, result) in runs.iter().zip(model.run_batch(&batch)) {
                            let outcome = match result {
                                Ok(items) => Outcome::Done(items),
                                Err(message) => Outcome::Failed(message),
                            };
                            // The receiver only goes away on a write error, which is reported.
                            let _ = tx.send((run, outcome));
                        }
                    });
                });
            });
            for (run, outcome) in rx {
                writer.write(run as u64, &outcome)?;
                computed += 1;
                failed += usize::from(matches!(outcome, Outcome::Failed(_)));
                if last_snapshot.elapsed() > Duration::from_secs(2) {
                    writer.sync()?;
                    store::build_hdf5(out, &journal)?;
                    last_snapshot = Instant::now();
                }
                bar.inc(1);
                if failed > 0 {
                    bar.set_message(format!("({failed} failed)"));
                }
            }
            Ok(())
        });
        bar.finish_and_clear();
        result?;
        writer.sync()?;
        store::build_hdf5(out, &journal)?;
        Ok(Report {
            total,
            done: already + computed,
            failed,
            computed,
            elapsed: started.elapsed(),
        })
    }
}

/// Merge shard outputs (their journals) into one output, identical to a single-process run.
pub fn merge(shards: &[PathBuf], out: &Path) -> Result<()> {
    let mut header: Option<String> = None;
    let journal = journal_path(out);
    let mut indexes = Vec::new();
    for s in shards {
        let path = journal_path(s);
        let index = scan_journal(&path)?;
        let h: Header =
            serde_json::from_str(&index.header).map_err(|e| ExploreError::Output(e.to_string()))?;
        match &header {
            None => header = Some(index.header.clone()),
            Some(first) => {
                let f: Header =
                    serde_json::from_str(first).map_err(|e| ExploreError::Output(e.to_string()))?;
                if f.hash != h.hash {
                    return Err(ExploreError::Output(format!(
                        "`{}` belongs to a different exploration (hash {} vs {})",
                        s.display(),
                        h.hash,
                        f.hash
                    )));
                }
            }
        }
        indexes.push((path, index));
    }
    let header = header.ok_or_else(|| ExploreError::Output("no shard files given".into()))?;
    // Records are copied one at a time, in run order.
    let mut order: Vec<(u64, usize, u64, u32)> = Vec::new();
    for (k, (_, index)) in indexes.iter().enumerate() {
        order.extend(
            index
                .entries
                .iter()
                .map(|&(run, off, len, _)| (run, k, off, len)),
        );
    }
    order.sort_by_key(|&(run, k, off, _)| (run, k, off));
    let mut readers: Vec<RecordReader> = indexes
        .iter()
        .map(|(p, _)| RecordReader::open(p))
        .collect::<Result<_>>()?;
    let mut w = JournalWriter::create(&journal, &header)?;
    for (_, k, off, len) in order {
        let (run, outcome) = readers[k].read(off, len)?;
        w.write(run, &outcome)?;
    }
    w.sync()?;
    store::build_hdf5(out, &journal)
}
