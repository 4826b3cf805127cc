//! The append-only journal of finished runs: the source of truth that makes an
//! exploration survive `kill -9`.
//!
//! Every finished run is appended as one length-prefixed, checksummed record, handed to the
//! operating system (one `write`) before the next; a record cut short by a kill fails its length or checksum and is
//! ignored, so on resume exactly the runs whose records are complete count as done.
//!
//! Layout: `b"NMJ1"`, `u32` header length, header (JSON: space, seeds, model hash), then
//! records `u32 len | u64 run | u8 status | payload | u64 fnv1a(run..payload)`. Payload of
//! a finished run: `u32 items`, each `u16 name len | name | u8 ndim | u64 dims.. | f64 data..`;
//! of a failed run: `u32 len | message`. Little endian.

use std::fs::{File, OpenOptions};
use std::io::{BufReader, Read, Write};
use std::path::{Path, PathBuf};

use crate::error::{ExploreError, Result};

/// One named result array of a run.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    /// Name (a dataset under `/results`).
    pub name: String,
    /// Shape of one run's array (empty for a scalar).
    pub shape: Vec<usize>,
    /// Row-major data, `shape.iter().product()` values.
    pub data: Vec<f64>,
}

impl Item {
    /// A named scalar.
    pub fn scalar(name: impl Into<String>, value: f64) -> Self {
        Item {
            name: name.into(),
            shape: Vec::new(),
            data: vec![value],
        }
    }

    /// A named 1-D array.
    pub fn vector(name: impl Into<String>, data: Vec<f64>) -> Self {
        Item {
            name: name.into(),
            shape: vec![data.len()],
            data,
        }
    }
}

/// What became of a run.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Finished, with its results.
    Done(Vec<Item>),
    /// Failed (diverged, invalid point, ...), with the message.
    Failed(String),
}

const MAGIC: &[u8; 4] = b"NMJ1";

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

fn io_err(path: &Path, e: impl std::fmt::Display) -> ExploreError {
    ExploreError::Io {
        path: path.display().to_string(),
        message: e.to_string(),
    }
}

/// Encode a run's record body (`run | status | payload`).
fn encode(run: u64, outcome: &Outcome) -> Vec<u8> {
    let mut b = Vec::new();
    b.extend_from_slice(&run.to_le_bytes());
    match outcome {
        Outcome::Done(items) => {
            b.push(1);
            b.extend_from_slice(&(items.len() as u32).to_le_bytes());
            for it in items {
                b.extend_from_slice(&(it.name.len() as u16).to_le_bytes());
                b.extend_from_slice(it.name.as_bytes());
                b.push(it.shape.len() as u8);
                for &d in &it.shape {
                    b.extend_from_slice(&(d as u64).to_le_bytes());
                }
                for &x in &it.data {
                    b.extend_from_slice(&x.to_le_bytes());
                }
            }
        }
        Outcome::Failed(msg) => {
            b.push(2);
            b.extend_from_slice(&(msg.len() as u32).to_le_bytes());
            b.extend_from_slice(msg.as_bytes());
        }
    }
    b
}

struct Cursor<'a>(&'a [u8]);

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if self.0.len() < n {
            return None;
        }
        let (a, b) = self.0.split_at(n);
        self.0 = b;
        Some(a)
    }
    fn u8(&mut self) -> Option<u8> {
        self.take(1).map(|b| b[0])
    }
    fn u16(&mut self) -> Option<u16> {
        self.take(2).map(|b| u16::from_le_bytes([b[0], b[1]]))
    }
    fn u32(&mut self) -> Option<u32> {
        self.take(4)
            .and_then(|b| b.try_into().ok())
            .map(u32::from_le_bytes)
    }
    fn u64(&mut self) -> Option<u64> {
        self.take(8)
            .and_then(|b| b.try_into().ok())
            .map(u64::from_le_bytes)
    }
}

fn decode(body: &[u8]) -> Option<(u64, Outcome)> {
    let mut c = Cursor(body);
    let run = c.u64()?;
    let outcome = match c.u8()? {
        1 => {
            let n = c.u32()? as usize;
            let mut items = Vec::with_capacity(n);
            for _ in 0..n {
                let len = c.u16()? as usize;
                let name = String::from_utf8(c.take(len)?.to_vec()).ok()?;
                let ndim = c.u8()? as usize;
                let shape: Vec<usize> = (0..ndim)
                    .map(|_| c.u64().map(|d| d as usize))
                    .collect::<Option<_>>()?;
                let count: usize = shape.iter().product();
                let data = (0..count)
                    .map(|_| c.u64().map(f64::from_bits))
                    .collect::<Option<_>>()?;
                items.push(Item { name, shape, data });
            }
            Outcome::Done(items)
        }
        2 => {
            let len = c.u32()? as usize;
            Outcome::Failed(String::from_utf8_lossy(c.take(len)?).into_owned())
        }
        _ => return None,
    };
    c.0.is_empty().then_some((run, outcome))
}

/// Appends records to a journal file.
pub struct JournalWriter {
    file: File,
    path: PathBuf,
}

impl JournalWriter {
    /// Start a new journal with `header`, replacing any file at `path` (removed first, so
    /// the old file's blocks are not truncated in place). Nothing is forced to disk: the
    /// records survive the process being killed as soon as they are written; call
    /// [`sync`](Self::sync) to survive a crash of the machine too.
    pub fn create(path: &Path, header: &str) -> Result<Self> {
        match std::fs::remove_file(path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(io_err(path, e)),
            _ => {}
        }
        let mut file = File::create(path).map_err(|e| io_err(path, e))?;
        let mut b = MAGIC.to_vec();
        b.extend_from_slice(&(header.len() as u32).to_le_bytes());
        b.extend_from_slice(header.as_bytes());
        file.write_all(&b).map_err(|e| io_err(path, e))?;
        Ok(JournalWriter {
            file,
            path: path.to_path_buf(),
        })
    }

    /// Continue an existing journal whose complete records end at byte `valid_len`
    /// (a cut-off record after it is discarded).
    pub fn append(path: &Path, valid_len: u64) -> Result<Self> {
        let file = OpenOptions::new()
            .write(true)
            .open(path)
            .map_err(|e| io_err(path, e))?;
        file.set_len(valid_len).map_err(|e| io_err(path, e))?;
        let mut w = JournalWriter {
            file,
            path: path.to_path_buf(),
        };
        use std::io::Seek;
        w.file
            .seek(std::io::SeekFrom::End(0))
            .map_err(|e| io_err(path, e))?;
        Ok(w)
    }

    /// Append one run's record and flush it to the operating system.
    pub fn write(&mut self, run: u64, outcome: &Outcome) -> Result<()> {
        let body = encode(run, outcome);
        let mut rec = Vec::with_capacity(body.len() + 12);
        rec.extend_from_slice(&(body.len() as u32).to_le_bytes());
        rec.extend_from_slice(&body);
        rec.extend_from_slice(&fnv1a(&body).to_le_bytes());
        self.file.write_all(&rec).map_err(|e| io_err(&self.path, e))
    }

    /// Force written records to disk.
    pub fn sync(&mut self) -> Result<()> {
        self.file.sync_data().map_err(|e| io_err(&self.path, e))
    }

    /// A second handle on the journal file, e.g. to force it to disk on another thread
    /// (`File::sync_data`) while this one goes on.
    pub fn sync_handle(&self) -> Result<File> {
        self.file.try_clone().map_err(|e| io_err(&self.path, e))
    }
}

/// Where each complete record of a journal lies, found by one streaming pass (memory:
/// one entry per record, never the results themselves).
pub struct JournalIndex {
    /// The header text.
    pub header: String,
    /// `(run, byte offset of the body, body length, status)` per complete record, in file
    /// order; status 1 = done, 2 = failed.
    pub entries: Vec<(u64, u64, u32, u8)>,
    /// Bytes up to the end of the last complete record.
    pub valid_len: u64,
}

fn read_exact_or_none(r: &mut impl Read, buf: &mut [u8]) -> Option<()> {
    r.read_exact(buf).ok()
}

/// Index a journal, ignoring a record cut short at the end.
pub fn scan_journal(path: &Path) -> Result<JournalIndex> {
    let mut r = BufReader::new(File::open(path).map_err(|e| io_err(path, e))?);
    let mut word = [0u8; 4];
    if read_exact_or_none(&mut r, &mut word).is_none() || &word != MAGIC {
        return Err(io_err(path, "not a neuromass exploration journal"));
    }
    read_exact_or_none(&mut r, &mut word).ok_or_else(|| io_err(path, "truncated header"))?;
    let mut header = vec![0u8; u32::from_le_bytes(word) as usize];
    read_exact_or_none(&mut r, &mut header).ok_or_else(|| io_err(path, "truncated header"))?;
    let header = String::from_utf8(header).map_err(|e| io_err(path, e))?;
    let mut offset = 8 + header.len() as u64;
    let mut entries = Vec::new();
    let mut body = Vec::new();
    let mut sum = [0u8; 8];
    loop {
        if read_exact_or_none(&mut r, &mut word).is_none() {
            break;
        }
        let len = u32::from_le_bytes(word);
        body.resize(len as usize, 0);
        if read_exact_or_none(&mut r, &mut body).is_none()
            || read_exact_or_none(&mut r, &mut sum).is_none()
        {
            break;
        }
        if u64::from_le_bytes(sum) != fnv1a(&body) || body.len() < 9 {
            break;
        }
        let run = u64::from_le_bytes(body[..8].try_into().unwrap_or_default());
        entries.push((run, offset + 4, len, body[8]));
        offset += 4 + u64::from(len) + 8;
    }
    Ok(JournalIndex {
        header,
        entries,
        valid_len: offset,
    })
}

/// Whether `path` is missing or holds only the start of a journal's header: what a kill
/// leaves before the exploration recorded anything (so there is nothing to resume).
pub fn unstarted(path: &Path) -> bool {
    let Ok(bytes) = std::fs::read(path) else {
        return !path.exists();
    };
    if bytes.len() < MAGIC.len() {
        return bytes[..] == MAGIC[..bytes.len()];
    }
    if &bytes[..4] != MAGIC {
        return false;
    }
    match bytes.get(4..8) {
        None => true,
        Some(word) => {
            let len = u32::from_le_bytes(word.try_into().unwrap_or_default()) as usize;
            bytes.len() < 8 + len
        }
    }
}

/// Reads record bodies of a journal by their index entries.
pub struct RecordReader {
    file: File,
    path: PathBuf,
    buf: Vec<u8>,
}

impl RecordReader {
    /// Open a journal for random access.
    pub fn open(path: &Path) -> Result<Self> {
        Ok(RecordReader {
            file: File::open(path).map_err(|e| io_err(path, e))?,
            path: path.to_path_buf(),
            buf: Vec::new(),
        })
    }

    /// The record at `offset` (of length `len`), decoded.
    pub fn read(&mut self, offset: u64, len: u32) -> Result<(u64, Outcome)> {
        use std::io::{Seek, SeekFrom};
        self.buf.resize(len as usize, 0);
        self.file
            .seek(SeekFrom::Start(offset))
            .and_then(|_| self.file.read_exact(&mut self.buf))
            .map_err(|e| io_err(&self.path, e))?;
        decode(&self.buf)
            .ok_or_else(|| io_err(&self.path, format!("corrupt record at byte {offset}")))
    }
}

/// A journal read back whole: its header, complete records in file order, and the byte
/// length they occupy (for tests and small journals; [`scan_journal`] streams).
pub struct JournalContents {
    /// The header text.
    pub header: String,
    /// `(run, outcome)` of every complete record.
    pub records: Vec<(u64, Outcome)>,
    /// Bytes up to the end of the last complete record.
    pub valid_len: u64,
}

/// Read a whole journal, ignoring a record cut short at the end.
pub fn read_journal(path: &Path) -> Result<JournalContents> {
    let index = scan_journal(path)?;
    let mut reader = RecordReader::open(path)?;
    let records = index
        .entries
        .iter()
        .map(|&(_, off, len, _)| reader.read(off, len))
        .collect::<Result<_>>()?;
    Ok(JournalContents {
        header: index.header,
        records,
        valid_len: index.valid_len,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_truncation() {
        let dir = std::env::temp_dir().join(format!("nmj-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("j.bin");
        let mut w = JournalWriter::create(&p, "{\"x\":1}").unwrap();
        let a = Outcome::Done(vec![
            Item::scalar("m", 1.5),
            Item {
                name: "v".into(),
                shape: vec![2, 2],
                data: vec![1.0, 2.0, 3.0, f64::NAN],
            },
        ]);
        w.write(3, &a).unwrap();
        w.write(1, &Outcome::Failed("diverged".into())).unwrap();
        drop(w);
        let full = std::fs::read(&p).unwrap();
        let j = read_journal(&p).unwrap();
        assert_eq!(j.header, "{\"x\":1}");
        assert_eq!(j.records.len(), 2);
        assert_eq!(j.records[1], (1, Outcome::Failed("diverged".into())));
        assert_eq!(j.valid_len, full.len() as u64);
        // Every truncation keeps exactly the complete records.
        for cut in 0..15 {
            std::fs::write(&p, &full[..cut]).unwrap();
            assert!(read_journal(&p).is_err(), "a cut header is an error");
            assert!(unstarted(&p), "a cut header: nothing recorded");
        }
        std::fs::write(&p, &full[..15]).unwrap();
        assert!(!unstarted(&p));
        std::fs::write(&p, b"NMJ2").unwrap();
        assert!(!unstarted(&p), "not a journal");
        std::fs::remove_file(&p).unwrap();
        assert!(unstarted(&p));
        for cut in 15..full.len() {
            std::fs::write(&p, &full[..cut]).unwrap();
            let j = read_journal(&p).unwrap();
            let first_end = 4 + 4 + 7 + 4 + encode(3, &a).len() + 8;
            assert_eq!(
                j.records.len(),
                usize::from(cut >= first_end) + usize::from(cut == full.len())
            );
        }
    }
}
