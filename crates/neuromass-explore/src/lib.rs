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
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, sync_channel};
use std::time::{Duration, Instant};

use rayon::prelude::*;

pub use error::{ExploreError, Result};
pub use journal::{Item, Outcome};
pub use space::{Axis, Space, SpaceKind, Values};
pub use store::{ExplorationResults, FileBuilder, Header};

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
    /// the failure message. A run that panics is recorded as failed with the panic's
    /// message (the exploration goes on).
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
    /// and seed), running only what is not finished. An exploration killed before it
    /// recorded anything (no output, no journal or only part of its header) starts over.
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
    ///
    /// The model is checked before any file is touched. Then the runs start at once on the
    /// worker threads, while one writer thread owns the files: it starts the journal (with
    /// `Mode::Force`, after removing the old output), starts the final file, appends each
    /// finished run to the journal as it arrives, writes the output from the journal 0.1 s
    /// after the start and every 2 s after that (less often if that takes long), each time
    /// atomically (a temporary file renamed over it), and after the last run writes the rows
    /// into the final file and renames it over the output. So the output, whenever it
    /// exists, is a complete, readable file; an exploration killed in its first 0.1 s leaves
    /// at most the journal, from which `--resume` continues (or starts over if nothing was
    /// recorded).
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
        let start = match mode {
            Mode::New if out.exists() || journal.exists() => {
                return Err(ExploreError::Output(format!(
                    "`{}` already exists; use --resume to continue it or --force to replace it",
                    out.display()
                )));
            }
            Mode::New | Mode::Force => Start::Fresh,
            // Killed before the journal had its header: nothing was recorded, start over.
            Mode::Resume if !out.exists() && journal::unstarted(&journal) => Start::Fresh,
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
                Start::Resume(old.valid_len)
            }
        };
        if let Start::Fresh = start
            && let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty())
            && !dir.is_dir()
        {
            return Err(ExploreError::Output(format!(
                "cannot write `{}`: the directory `{}` does not exist",
                out.display(),
                dir.display()
            )));
        }
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
        let threads = pool.current_num_threads().max(1);
        let batches = batch_ranges(todo.len(), model.batch_size(), threads);
        let largest = batches.iter().map(|r| r.len()).max().unwrap_or(1);
        let (tx, rx) = sync_channel::<(usize, Outcome)>(2 * threads * largest);
        // Set by the writer when it fails: workers then stop taking batches.
        let stop = AtomicBool::new(false);
        let files = Files {
            out,
            journal: &journal,
            header: &header,
            header_json: &header_json,
            start,
        };
        let written = std::thread::scope(|scope| {
            let stop = &stop;
            let writer = scope.spawn(|| {
                let written = files.write(rx, &bar, failed);
                if written.is_err() {
                    stop.store(true, Ordering::Relaxed);
                }
                written
            });
            let header = &header;
            let todo = &todo;
            pool.install(|| {
                batches.into_par_iter().for_each_with(tx, |tx, range| {
                    if stop.load(Ordering::Relaxed) {
                        return;
                    }
                    let runs = &todo[range];
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
                    for (&run, result) in runs.iter().zip(run_batch_guarded(model, &batch)) {
                        let outcome = match result {
                            Ok(items) => Outcome::Done(items),
                            Err(message) => Outcome::Failed(message),
                        };
                        // The receiver only goes away on a write error, which is reported.
                        let _ = tx.send((run, outcome));
                    }
                });
            });
            writer.join().unwrap_or_else(|_| {
                Err(ExploreError::Output(
                    "the exploration's writer thread panicked".into(),
                ))
            })
        });
        bar.finish_and_clear();
        let (computed, failed) = written?;
        Ok(Report {
            total,
            done: already + computed,
            failed,
            computed,
            elapsed: started.elapsed(),
        })
    }
}

/// [`Model::run_batch`], with a run that panics recorded as failed (the exploration goes
/// on): when a batch panics, its runs are run one by one, so only the runs that panic
/// themselves fail, with the panic's message.
fn run_batch_guarded(model: &impl Model, batch: &[(Vec<(String, f64)>, u64)]) -> Vec<RunResult> {
    use std::panic::{AssertUnwindSafe, catch_unwind};
    let panicked = |payload: Box<dyn std::any::Any + Send>| -> String {
        let what = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "(no message)".into());
        format!("the run panicked: {what}")
    };
    // Unwind safety: the runs share only `&Model`. The built-in models build everything a
    // run touches from its point; a user's model with shared state (behind locks) sees a
    // poisoned lock in its later runs, which then fail too, each with its message.
    match catch_unwind(AssertUnwindSafe(|| model.run_batch(batch))) {
        Ok(results) => results,
        Err(_) if batch.len() > 1 => batch
            .iter()
            .map(|(point, seed)| {
                catch_unwind(AssertUnwindSafe(|| model.run(point, *seed)))
                    .unwrap_or_else(|payload| Err(panicked(payload)))
            })
            .collect(),
        Err(payload) => vec![Err(panicked(payload))],
    }
}

/// How an exploration splits `runs` runs among `threads` threads: contiguous index ranges
/// of at most `size` runs (the model's [`batch_size`](Model::batch_size)), as many as a
/// multiple of `threads` when there are enough runs, their lengths differing by at most
/// one, so that every thread gets the same work. (Results never depend on the batches.)
///
/// ```
/// // 16 runs, batches of up to 8, on 2 threads: 2 × 8; on 3 threads: 5 + 5 + 6.
/// assert_eq!(neuromass_explore::batch_ranges(16, 8, 2), vec![0..8, 8..16]);
/// assert_eq!(neuromass_explore::batch_ranges(16, 8, 3), vec![0..5, 5..10, 10..16]);
/// // 20 runs on 2 threads: 4 × 5, not 8 + 8 + 4.
/// assert_eq!(neuromass_explore::batch_ranges(20, 8, 2), vec![0..5, 5..10, 10..15, 15..20]);
/// ```
pub fn batch_ranges(runs: usize, size: usize, threads: usize) -> Vec<std::ops::Range<usize>> {
    if runs == 0 {
        return Vec::new();
    }
    let size = size.max(1);
    let threads = threads.max(1);
    let count = runs.div_ceil(size).div_ceil(threads) * threads;
    let count = count.min(runs);
    (0..count)
        .map(|b| b * runs / count..(b + 1) * runs / count)
        .collect()
}

/// How the journal starts: anew, or continuing a journal whose complete records end at the
/// given byte.
#[derive(Debug, Clone, Copy)]
enum Start {
    Fresh,
    Resume(u64),
}

/// The files of one exploration, owned by its writer thread.
struct Files<'a> {
    out: &'a Path,
    journal: &'a Path,
    header: &'a Header,
    header_json: &'a str,
    start: Start,
}

/// When the output is first written (unless the exploration is over before).
const FIRST_SNAPSHOT: Duration = Duration::from_millis(100);
/// Refresh the output this often, or less often when a refresh takes more than a tenth of
/// this interval (so refreshing takes at most ~10 % of the writer's time).
const SNAPSHOT_EVERY: Duration = Duration::from_secs(2);

impl Files<'_> {
    /// The writer thread: start the journal and the output, journal every outcome from
    /// `rx`, refresh the output now and then, and write the final file. Returns the runs
    /// computed and the runs failed (`failed` before plus those of this call).
    fn write(
        &self,
        rx: Receiver<(usize, Outcome)>,
        bar: &indicatif::ProgressBar,
        mut failed: usize,
    ) -> Result<(usize, usize)> {
        let mut writer = match self.start {
            Start::Fresh => {
                remove_if_present(self.out)?;
                JournalWriter::create(self.journal, self.header_json)?
            }
            Start::Resume(valid_len) => JournalWriter::append(self.journal, valid_len)?,
        };
        // The output is (re)built from the journal, atomically, at the first snapshot and
        // every SNAPSHOT_EVERY after it; the final file is prepared while the runs integrate.
        let mut next_snapshot = Instant::now() + FIRST_SNAPSHOT;
        let part = self.out.with_extension("h5.part");
        let mut file = FileBuilder::create(&part, self.header)?;
        let mut computed = 0;
        // Whether the journal has records the output lacks (at first: there is no output).
        let mut fresh = true;
        loop {
            // Wake up for the next snapshot only if there is something new to write.
            let received = if fresh {
                rx.recv_timeout(next_snapshot.saturating_duration_since(Instant::now()))
            } else {
                rx.recv().map_err(|_| RecvTimeoutError::Disconnected)
            };
            match received {
                Ok((run, outcome)) => {
                    writer.write(run as u64, &outcome)?;
                    computed += 1;
                    fresh = true;
                    match &outcome {
                        Outcome::Done(items) => file.prepare(run, items)?,
                        Outcome::Failed(_) => failed += 1,
                    }
                    bar.inc(1);
                    if failed > 0 {
                        bar.set_message(format!("({failed} failed)"));
                    }
                }
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => break,
            }
            if fresh && Instant::now() >= next_snapshot {
                let built = Instant::now();
                writer.sync()?;
                store::build_hdf5(self.out, self.journal)?;
                fresh = false;
                next_snapshot = Instant::now() + SNAPSHOT_EVERY.max(10 * built.elapsed());
            }
        }
        // The journal goes to disk while the final file is written.
        let sync = writer.sync_handle()?;
        std::thread::scope(|scope| {
            let synced = scope.spawn(move || {
                sync.sync_data().map_err(|e| ExploreError::Io {
                    path: self.journal.display().to_string(),
                    message: e.to_string(),
                })
            });
            let index = scan_journal(self.journal)?;
            file.finish(&index, self.journal, self.out)?;
            synced.join().unwrap_or_else(|_| {
                Err(ExploreError::Output("syncing the journal panicked".into()))
            })
        })?;
        Ok((computed, failed))
    }
}

/// Remove `path` if it exists.
fn remove_if_present(path: &Path) -> Result<()> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(ExploreError::Io {
            path: path.display().to_string(),
            message: e.to_string(),
        }),
        _ => Ok(()),
    }
}

/// Merge shard outputs (their journals) into one output, identical to a single-process run.
pub fn merge(shards: &[PathBuf], out: &Path) -> Result<()> {
    let mut header: Option<String> = None;
    let journal = journal_path(out);
    let mut indexes = Vec::new();
    for s in shards {
        let path = journal_path(s);
        if !path.exists() {
            return Err(ExploreError::Output(format!(
                "cannot merge `{}`: its journal `{}` is missing (merge reads the journal each shard keeps next to its output)",
                s.display(),
                path.display()
            )));
        }
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    fn scratch(tag: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("nm-explore-{}-{tag}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    /// Results that depend on the point and the seed, a 2-D array, and a failure at one point.
    struct Toy;
    impl Model for Toy {
        fn describe(&self) -> serde_json::Value {
            serde_json::json!({"model": "toy"})
        }
        fn check(&self, _paths: &[String], _first: &[f64]) -> std::result::Result<(), String> {
            Ok(())
        }
        fn run(&self, point: &[(String, f64)], seed: u64) -> RunResult {
            let (a, b) = (point[0].1, point[1].1);
            if a == 2.0 && b == 1.0 {
                return Err(format!("diverged at a = {a}"));
            }
            let noise = (seed % 1000) as f64 * 1e-3;
            Ok(vec![
                Item::scalar("y", a * a + b + noise),
                Item {
                    name: "m".into(),
                    shape: vec![2, 3],
                    data: (0..6).map(|i| a * i as f64 - b + noise).collect(),
                },
                Item {
                    name: "none".into(),
                    shape: vec![2, 0],
                    data: Vec::new(),
                },
            ])
        }
        fn batch_size(&self) -> usize {
            3
        }
    }

    fn space() -> Space {
        Space::grid(vec![
            ("a", vec![0.0, 1.0, 2.0, 3.0]),
            ("b", vec![0.0, 1.0, 2.0]),
        ])
    }

    fn assert_same(a: &ExplorationResults, b: &ExplorationResults) {
        assert_eq!(a.params, b.params);
        assert_eq!(a.status, b.status);
        assert_eq!(a.messages, b.messages);
        assert_eq!(a.seeds, b.seeds);
        let bits = |r: &ExplorationResults| -> Vec<(String, Vec<usize>, Vec<u64>)> {
            r.results
                .iter()
                .map(|(k, (s, d))| {
                    (
                        k.clone(),
                        s.clone(),
                        d.iter().map(|x| x.to_bits()).collect(),
                    )
                })
                .collect()
        };
        assert_eq!(bits(a), bits(b));
    }

    /// A model whose run panics at one point (in a batch and alone).
    struct Panicky;
    impl Model for Panicky {
        fn describe(&self) -> serde_json::Value {
            serde_json::json!({"model": "panicky"})
        }
        fn check(&self, _paths: &[String], _first: &[f64]) -> std::result::Result<(), String> {
            Ok(())
        }
        fn run(&self, point: &[(String, f64)], _seed: u64) -> RunResult {
            let (a, b) = (point[0].1, point[1].1);
            if a == 1.0 && b == 2.0 {
                panic!("no model for a = {a}, b = {b}");
            }
            Ok(vec![Item::scalar("y", a + 10.0 * b)])
        }
        fn batch_size(&self) -> usize {
            4
        }
    }

    /// A run that panics is recorded as failed with the panic's message; the other runs of
    /// its batch and of the exploration are done, whatever the thread count.
    #[test]
    fn a_panicking_run_is_recorded_as_failed_and_the_exploration_goes_on() {
        let dir = scratch("panic");
        for threads in [1, 2] {
            let out = dir.join(format!("panic{threads}.h5"));
            let report = Exploration::new(space())
                .threads(threads)
                .quiet(true)
                .run(&Panicky, &out, Mode::Force)
                .unwrap();
            assert_eq!((report.done, report.failed), (12, 1));
            let r = ExplorationResults::open(&out).unwrap();
            for (run, point) in r.params.iter().enumerate() {
                let (a, b) = (point[0], point[1]);
                if (a, b) == (1.0, 2.0) {
                    assert_eq!(r.status[run], 2);
                    assert!(
                        r.messages[run].contains("panicked: no model for a = 1, b = 2"),
                        "{}",
                        r.messages[run]
                    );
                } else {
                    assert_eq!(r.status[run], 1);
                    assert_eq!(r.row("y", run), Some(&[a + 10.0 * b][..]));
                }
            }
        }
    }

    /// A journal cut at any byte (what `kill -9` leaves) resumes to the file of an
    /// uninterrupted exploration, computing only the runs without a complete record.
    #[test]
    fn resuming_a_journal_cut_anywhere_gives_the_uninterrupted_file() {
        let dir = scratch("cut");
        let full = dir.join("full.h5");
        let exploration = Exploration::new(space()).seed(7).threads(2).quiet(true);
        let report = exploration.run(&Toy, &full, Mode::Force).unwrap();
        assert_eq!((report.done, report.failed, report.computed), (12, 1, 12));
        let reference = ExplorationResults::open(&full).unwrap();
        assert_eq!(reference.results["none"], (vec![2, 0], Vec::new()));
        assert_eq!(reference.results["m"].0, vec![2, 3]);
        assert_eq!(
            reference.row("y", 4),
            Some(&[1.0 + 1.0 + 1e-3 * (reference.seeds[4] % 1000) as f64][..])
        );
        assert_eq!(reference.status.iter().filter(|&&s| s == 2).count(), 1);
        assert!(reference.messages.iter().any(|m| m.contains("diverged")));
        assert!(reference.messages.iter().filter(|m| m.is_empty()).count() == 11);
        let bytes = std::fs::read(journal_path(&full)).unwrap();
        let index = scan_journal(&journal_path(&full)).unwrap();
        let header_end = index.entries[0].1 as usize - 4;
        let mut cuts: Vec<usize> = index
            .entries
            .iter()
            .flat_map(|&(_, off, len, _)| {
                let start = off as usize - 4;
                [start, start + 7, off as usize + len as usize + 8]
            })
            .collect();
        cuts.push(header_end);
        for cut in cuts {
            let out = dir.join(format!("cut{cut}.h5"));
            std::fs::write(journal_path(&out), &bytes[..cut]).unwrap();
            let complete = scan_journal(&journal_path(&out)).unwrap().entries.len();
            let report = exploration.run(&Toy, &out, Mode::Resume).unwrap();
            assert_eq!(report.computed, 12 - complete, "cut at byte {cut}");
            assert_eq!(report.done, 12);
            assert_same(&ExplorationResults::open(&out).unwrap(), &reference);
        }
        // Killed before the journal had its header (or before it existed): nothing was
        // recorded, so `--resume` starts over.
        for cut in [None, Some(0), Some(3), Some(6), Some(header_end - 1)] {
            let out = dir.join(format!("early{cut:?}.h5").replace(['(', ')'], ""));
            if let Some(cut) = cut {
                std::fs::write(journal_path(&out), &bytes[..cut]).unwrap();
            }
            let report = exploration.run(&Toy, &out, Mode::Resume).unwrap();
            assert_eq!(report.computed, 12, "cut at {cut:?}");
            assert_same(&ExplorationResults::open(&out).unwrap(), &reference);
        }
        // An output without its journal cannot be resumed.
        let orphan = dir.join("orphan.h5");
        std::fs::copy(&full, &orphan).unwrap();
        let err = exploration.run(&Toy, &orphan, Mode::Resume).unwrap_err();
        assert!(err.to_string().contains("has no journal"), "{err}");
        // One thread, other batches: the same file.
        let one = dir.join("one.h5");
        Exploration::new(space())
            .seed(7)
            .threads(1)
            .quiet(true)
            .run(&Toy, &one, Mode::New)
            .unwrap();
        assert_same(&ExplorationResults::open(&one).unwrap(), &reference);
        // `New` never replaces an output.
        let again = Exploration::new(space())
            .seed(7)
            .quiet(true)
            .run(&Toy, &one, Mode::New);
        assert!(matches!(again, Err(ExploreError::Output(m)) if m.contains("--force")));
    }

    /// Runs that wait until the output exists: the output appears (complete and readable,
    /// with the runs finished so far) while the exploration is still running.
    #[test]
    fn the_output_appears_while_runs_go_on() {
        struct Waiting<'a> {
            out: &'a Path,
            seen: &'a AtomicUsize,
        }
        impl Model for Waiting<'_> {
            fn describe(&self) -> serde_json::Value {
                serde_json::json!({"model": "waiting"})
            }
            fn check(&self, _: &[String], _: &[f64]) -> std::result::Result<(), String> {
                Ok(())
            }
            fn run(&self, point: &[(String, f64)], _seed: u64) -> RunResult {
                if point[0].1 > 0.0 {
                    // Not a timing assumption: wait (up to a minute) for the snapshot.
                    let until = Instant::now() + Duration::from_secs(60);
                    while !self.out.exists() && Instant::now() < until {
                        std::thread::sleep(Duration::from_millis(5));
                    }
                    if self.out.exists() && self.seen.load(Ordering::SeqCst) == 0 {
                        let partial =
                            ExplorationResults::open(self.out).map_err(|e| e.to_string())?;
                        assert_eq!(partial.status.len(), 3);
                        assert_eq!(partial.status[0], 1, "the first run is in the snapshot");
                        assert_eq!(partial.status[1..], [0, 0]);
                        self.seen.fetch_add(1, Ordering::SeqCst);
                    }
                }
                Ok(vec![Item::scalar("x", point[0].1)])
            }
        }
        let dir = scratch("snapshot");
        let out = dir.join("out.h5");
        let seen = AtomicUsize::new(0);
        let model = Waiting {
            out: &out,
            seen: &seen,
        };
        let space = Space::grid(vec![("x", vec![0.0, 1.0, 2.0])]);
        let report = Exploration::new(space)
            .threads(1)
            .quiet(true)
            .run(&model, &out, Mode::Force)
            .unwrap();
        assert_eq!(report.done, 3);
        assert_eq!(
            seen.load(Ordering::SeqCst),
            1,
            "the snapshot was seen mid-run"
        );
        let r = ExplorationResults::open(&out).unwrap();
        assert_eq!(r.status, vec![1, 1, 1]);
        assert_eq!(r.results["x"].1, vec![0.0, 1.0, 2.0]);
    }

    /// A result whose shape changes between runs stops the exploration with a clear error
    /// (found by the writer as the runs come in).
    #[test]
    fn a_result_changing_shape_is_an_error() {
        struct Ragged;
        impl Model for Ragged {
            fn describe(&self) -> serde_json::Value {
                serde_json::json!({"model": "ragged"})
            }
            fn check(&self, _: &[String], _: &[f64]) -> std::result::Result<(), String> {
                Ok(())
            }
            fn run(&self, point: &[(String, f64)], _seed: u64) -> RunResult {
                Ok(vec![Item::vector("v", vec![0.0; 1 + point[0].1 as usize])])
            }
        }
        let dir = scratch("ragged");
        let space = Space::grid(vec![("n", vec![1.0, 1.0, 2.0])]);
        let err = Exploration::new(space)
            .threads(1)
            .quiet(true)
            .run(&Ragged, &dir.join("out.h5"), Mode::Force)
            .unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.contains("`v` has shape [3]") && msg.contains("[2] before"),
            "{msg}"
        );
    }
}
