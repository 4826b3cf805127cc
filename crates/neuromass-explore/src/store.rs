//! The exploration's HDF5 file, built from the journal, and its reader.
//!
//! Layout (readable with h5py / pandas, no neuromass needed):
//!
//! | path | content |
//! |---|---|
//! | `/params/<k>` | float64 `(runs,)`: values of the `k`-th explored path; its attribute `path` holds the path |
//! | `/status` | int8 `(runs,)`: 0 not run (yet), 1 done, 2 failed |
//! | `/message` | variable-length UTF-8 strings `(runs,)`: the failure message, empty otherwise (only failed runs' elements are written; the others read as empty strings) |
//! | `/seed` | uint64 `(runs,)`: each run's seed |
//! | `/results/<name>` | float64 `(runs, …)`: one row per run, NaN where a run did not produce it; chunked (~64 KiB), gzip + shuffle (contiguous and uncompressed when the whole dataset is at most 16 KiB) |
//! | attributes of `/` | `paths` (JSON list), `space` (JSON), `base` (JSON description of the base model), `seed`, `hash`, `format` |

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use hdf5::types::VarLenUnicode;
use ndarray::{ArrayD, IxDyn};

use crate::error::{ExploreError, Result};
use crate::journal::{Item, JournalIndex, Outcome, RecordReader, scan_journal};

fn h5(path: &Path) -> impl Fn(hdf5::Error) -> ExploreError + '_ {
    move |e| ExploreError::Io {
        path: path.display().to_string(),
        message: e.to_string(),
    }
}

/// What the HDF5 file records about the exploration (also the journal's header).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Header {
    /// Explored paths (column order).
    pub paths: Vec<String>,
    /// Values per run.
    pub points: Vec<Vec<f64>>,
    /// Seed per run.
    pub seeds: Vec<u64>,
    /// The space as JSON.
    pub space: serde_json::Value,
    /// The base model as JSON.
    pub base: serde_json::Value,
    /// Exploration seed.
    pub seed: u64,
    /// Hash of space, base model and seed: a resume must match it.
    pub hash: String,
}

fn str_attr(g: &hdf5::Location, name: &str, value: &str, path: &Path) -> Result<()> {
    let v: VarLenUnicode = value.parse().map_err(|e| ExploreError::Io {
        path: path.display().to_string(),
        message: format!("attribute {name}: {e}"),
    })?;
    g.new_attr::<VarLenUnicode>()
        .shape(())
        .create(name)
        .map_err(h5(path))?
        .write_scalar(&v)
        .map_err(h5(path))
}

/// Write the HDF5 file for `header` and the journal's records to `out` (atomically: a
/// temporary file renamed over `out`). Memory stays bounded by one run's results.
pub fn build_hdf5(out: &Path, journal: &Path) -> Result<()> {
    let index = scan_journal(journal)?;
    let header: Header = serde_json::from_str(&index.header).map_err(|e| ExploreError::Io {
        path: journal.display().to_string(),
        message: e.to_string(),
    })?;
    let tmp = out.with_extension("h5.tmp");
    FileBuilder::create(&tmp, &header)?.finish(&index, journal, out)
}

/// An exploration's HDF5 file under construction in a temporary file: the parameter table,
/// seeds and attributes are written when it is created, each result dataset when
/// [`prepare`](Self::prepare) first sees its name, and the rows, statuses and messages (from
/// the journal, in run order) by [`finish`](Self::finish), which renames it over the output.
///
/// The exploration runner creates the final file while the runs integrate, so that only
/// the rows and the close are left once the last run is in.
pub struct FileBuilder {
    file: hdf5::File,
    tmp: PathBuf,
    n: usize,
    results: hdf5::Group,
    status: hdf5::Dataset,
    message: hdf5::Dataset,
    blocks: BTreeMap<String, Block>,
}

impl FileBuilder {
    /// Start the file for `header` at `tmp` (replacing any file there).
    pub fn create(tmp: &Path, header: &Header) -> Result<Self> {
        let n = header.points.len();
        let file = hdf5::File::create(tmp).map_err(h5(tmp))?;
        let params = file.create_group("params").map_err(h5(tmp))?;
        for (k, p) in header.paths.iter().enumerate() {
            let col: Vec<f64> = header.points.iter().map(|r| r[k]).collect();
            let ds = params
                .new_dataset_builder()
                .with_data(&col)
                .create(format!("{k}").as_str())
                .map_err(h5(tmp))?;
            str_attr(&ds, "path", p, tmp)?;
        }
        file.new_dataset_builder()
            .with_data(&header.seeds)
            .create("seed")
            .map_err(h5(tmp))?;
        let status = file
            .new_dataset::<i8>()
            .shape([n])
            .create("status")
            .map_err(h5(tmp))?;
        // Written only when a run failed: unwritten elements read as empty strings (a
        // variable-length write costs a 1 MiB conversion buffer in HDF5).
        let message = file
            .new_dataset::<VarLenUnicode>()
            .shape([n])
            .create("message")
            .map_err(h5(tmp))?;
        let results = file.create_group("results").map_err(h5(tmp))?;
        str_attr(
            &file,
            "paths",
            &serde_json::to_string(&header.paths).unwrap_or_default(),
            tmp,
        )?;
        str_attr(&file, "space", &header.space.to_string(), tmp)?;
        str_attr(&file, "base", &header.base.to_string(), tmp)?;
        str_attr(&file, "hash", &header.hash, tmp)?;
        str_attr(&file, "format", "neuromass-exploration-1", tmp)?;
        file.new_attr::<u64>()
            .shape(())
            .create("seed")
            .map_err(h5(tmp))?
            .write_scalar(&header.seed)
            .map_err(h5(tmp))?;
        Ok(FileBuilder {
            file,
            tmp: tmp.to_path_buf(),
            n,
            results,
            status,
            message,
            blocks: BTreeMap::new(),
        })
    }

    /// Create the datasets of the results in `items` that the file does not have yet; a
    /// result whose shape differs from its dataset's is an error (run `run`).
    pub fn prepare(&mut self, run: usize, items: &[Item]) -> Result<()> {
        for it in items {
            match self.blocks.get(&it.name) {
                Some(block) if block.shape != it.shape => {
                    return Err(ExploreError::Output(format!(
                        "result `{}` has shape {:?} in run {run} but {:?} before",
                        it.name, it.shape, block.shape
                    )));
                }
                Some(_) => {}
                None => {
                    let block =
                        Block::create(&self.results, &it.name, &it.shape, self.n, &self.tmp)?;
                    self.blocks.insert(it.name.clone(), block);
                }
            }
        }
        Ok(())
    }

    /// Write the rows of the journal's runs (the last record of each run wins; rows in run
    /// order, one record in memory at a time), the statuses and messages, close the file
    /// and rename it over `out`.
    pub fn finish(mut self, index: &JournalIndex, journal: &Path, out: &Path) -> Result<()> {
        let n = self.n;
        let mut status = vec![0i8; n];
        let mut messages: Vec<(usize, String)> = Vec::new();
        let mut last: BTreeMap<u64, (u64, u32)> = BTreeMap::new();
        for &(run, offset, len, _) in &index.entries {
            last.insert(run, (offset, len));
        }
        let mut reader = RecordReader::open(journal)?;
        for (&run, &(offset, len)) in &last {
            let run = run as usize;
            if run >= n {
                continue;
            }
            let (_, outcome) = reader.read(offset, len)?;
            match outcome {
                Outcome::Failed(msg) => {
                    status[run] = 2;
                    messages.push((run, msg));
                }
                Outcome::Done(items) => {
                    status[run] = 1;
                    self.prepare(run, &items)?;
                    for it in &items {
                        if let Some(block) = self.blocks.get_mut(&it.name) {
                            block.put(run, &it.data, &self.tmp)?;
                        }
                    }
                }
            }
        }
        let tmp = self.tmp.clone();
        for block in self.blocks.values_mut() {
            block.flush(&tmp)?;
        }
        self.status.write_raw(&status).map_err(h5(&tmp))?;
        if !messages.is_empty() {
            let mut all = vec![VarLenUnicode::default(); n];
            for (run, msg) in messages {
                all[run] = msg.parse().unwrap_or_default();
            }
            self.message.write_raw(&all).map_err(h5(&tmp))?;
        }
        let FileBuilder {
            file,
            results,
            status,
            message,
            blocks,
            ..
        } = self;
        drop((results, status, message, blocks));
        file.close().map_err(h5(&tmp))?;
        std::fs::rename(&tmp, out).map_err(|e| ExploreError::Io {
            path: out.display().to_string(),
            message: e.to_string(),
        })
    }
}

/// Values (f64) per chunk of a chunked result dataset (64 KiB).
const CHUNK_VALUES: usize = 8192;
/// Result datasets of at most this many values (16 KiB) are stored contiguous, uncompressed.
const SMALL_RESULT: usize = 2048;

/// One result dataset being filled in run order, a block of rows (one HDF5 chunk, about
/// 64 KiB) at a time, so each chunk is compressed once.
struct Block {
    ds: hdf5::Dataset,
    shape: Vec<usize>,
    width: usize,
    rows: usize,
    n: usize,
    start: usize,
    buf: Vec<f64>,
    dirty: bool,
}

impl Block {
    fn create(
        group: &hdf5::Group,
        name: &str,
        shape: &[usize],
        n: usize,
        path: &Path,
    ) -> Result<Self> {
        let width = shape.iter().product::<usize>().max(1);
        let mut full = vec![n];
        full.extend(shape);
        let builder = group.new_dataset::<f64>().shape(full).fill_value(f64::NAN);
        // Small results are one contiguous block: compressing a few hundred bytes costs
        // more (zlib's state is ~256 KiB) than it saves.
        let (rows, builder) = if n * width <= SMALL_RESULT {
            (n.max(1), builder)
        } else {
            let rows = (CHUNK_VALUES / width).clamp(1, n.max(1));
            let chunk: Vec<usize> = std::iter::once(rows)
                .chain(shape.iter().map(|&d| d.max(1)))
                .collect();
            (rows, builder.chunk(chunk).shuffle().deflate(4))
        };
        let ds = builder.create(name).map_err(h5(path))?;
        Ok(Block {
            ds,
            shape: shape.to_vec(),
            width,
            rows,
            n,
            start: 0,
            buf: vec![f64::NAN; rows * width],
            dirty: false,
        })
    }

    /// Put run `run`'s row (runs arrive in increasing order).
    fn put(&mut self, run: usize, data: &[f64], path: &Path) -> Result<()> {
        let start = run / self.rows * self.rows;
        if start != self.start {
            self.flush(path)?;
            self.start = start;
        }
        let at = (run - start) * self.width;
        self.buf[at..at + data.len()].copy_from_slice(data);
        self.dirty = true;
        Ok(())
    }

    fn flush(&mut self, path: &Path) -> Result<()> {
        if !self.dirty {
            return Ok(());
        }
        let end = (self.start + self.rows).min(self.n);
        if self.shape.contains(&0) {
            // Nothing to write in a result with an empty dimension.
            self.dirty = false;
            return Ok(());
        }
        if self.start == 0 && end == self.n {
            // The whole dataset at once (small results): no selection needed.
            self.ds
                .write_raw(&self.buf[..self.n * self.width])
                .map_err(h5(path))?;
            self.buf.fill(f64::NAN);
            self.dirty = false;
            return Ok(());
        }
        let mut shape = vec![end - self.start];
        shape.extend(&self.shape);
        let arr = ArrayD::from_shape_vec(
            IxDyn(&shape),
            self.buf[..(end - self.start) * self.width].to_vec(),
        )
        .map_err(|e| ExploreError::Output(format!("result block: {e}")))?;
        let sel: Vec<hdf5::SliceOrIndex> =
            std::iter::once(hdf5::SliceOrIndex::from(self.start..end))
                .chain(self.shape.iter().map(|_| hdf5::SliceOrIndex::from(..)))
                .collect();
        self.ds
            .write_slice(&arr, hdf5::Hyperslab::from(sel))
            .map_err(h5(path))?;
        self.buf.fill(f64::NAN);
        self.dirty = false;
        Ok(())
    }
}

/// An exploration's results, read back from its HDF5 file.
#[derive(Debug, Clone)]
pub struct ExplorationResults {
    /// Explored paths.
    pub paths: Vec<String>,
    /// Parameter table: one row per run, columns as `paths`.
    pub params: Vec<Vec<f64>>,
    /// 0 not run, 1 done, 2 failed.
    pub status: Vec<i8>,
    /// Failure messages.
    pub messages: Vec<String>,
    /// Seeds.
    pub seeds: Vec<u64>,
    /// Result name → (shape per run, row-major data of all runs).
    pub results: BTreeMap<String, (Vec<usize>, Vec<f64>)>,
}

impl ExplorationResults {
    /// Read an exploration file.
    pub fn open(path: &Path) -> Result<Self> {
        let e = h5(path);
        let file = hdf5::File::open(path).map_err(&e)?;
        let paths_json: VarLenUnicode =
            file.attr("paths").map_err(&e)?.read_scalar().map_err(&e)?;
        let paths: Vec<String> =
            serde_json::from_str(paths_json.as_str()).map_err(|err| ExploreError::Io {
                path: path.display().to_string(),
                message: err.to_string(),
            })?;
        let status: Vec<i8> = file.dataset("status").map_err(&e)?.read_raw().map_err(&e)?;
        let n = status.len();
        let mut params = vec![Vec::with_capacity(paths.len()); n];
        for k in 0..paths.len() {
            let col: Vec<f64> = file
                .dataset(&format!("params/{k}"))
                .map_err(&e)?
                .read_raw()
                .map_err(&e)?;
            for (row, v) in params.iter_mut().zip(col) {
                row.push(v);
            }
        }
        let messages: Vec<VarLenUnicode> = file
            .dataset("message")
            .map_err(&e)?
            .read_raw()
            .map_err(&e)?;
        let seeds: Vec<u64> = file.dataset("seed").map_err(&e)?.read_raw().map_err(&e)?;
        let mut results = BTreeMap::new();
        for ds in file.group("results").map_err(&e)?.datasets().map_err(&e)? {
            let name = ds.name().rsplit('/').next().unwrap_or_default().to_string();
            let shape = ds.shape()[1..].to_vec();
            results.insert(name, (shape, ds.read_raw::<f64>().map_err(&e)?));
        }
        Ok(ExplorationResults {
            paths,
            params,
            status,
            messages: messages.iter().map(|m| m.as_str().to_string()).collect(),
            seeds,
            results,
        })
    }

    /// The values of result `name` for run `run` (a row), if present.
    pub fn row(&self, name: &str, run: usize) -> Option<&[f64]> {
        let (shape, data) = self.results.get(name)?;
        let width: usize = shape.iter().product();
        data.get(run * width..(run + 1) * width)
    }
}
