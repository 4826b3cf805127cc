//! Square matrices indexed `[to, from]` (connectivity, delays, fibre lengths).

use crate::error::{Error, Result};

/// A dense square matrix, row-major, indexed `[to, from]`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SquareMatrix {
    n: usize,
    data: Vec<f64>,
}

impl SquareMatrix {
    /// An `n x n` matrix of zeros.
    pub fn zeros(n: usize) -> Self {
        SquareMatrix {
            n,
            data: vec![0.0; n * n],
        }
    }

    /// Build from rows, checking that they form an `expected x expected` matrix
    /// (any size if `expected` is `None`). `name` is used in errors.
    pub fn from_rows(name: &str, rows: &[Vec<f64>], expected: Option<usize>) -> Result<Self> {
        let n = expected.unwrap_or(rows.len());
        if rows.len() != n {
            return Err(Error::MatrixShape {
                name: name.into(),
                expected: n,
                rows: rows.len(),
                cols: rows.first().map_or(0, Vec::len),
            });
        }
        let mut data = Vec::with_capacity(n * n);
        for row in rows {
            if row.len() != n {
                return Err(Error::MatrixShape {
                    name: name.into(),
                    expected: n,
                    rows: rows.len(),
                    cols: row.len(),
                });
            }
            data.extend_from_slice(row);
        }
        Ok(SquareMatrix { n, data })
    }

    /// Build from a row-major slice of length `n * n`.
    pub fn from_row_major(name: &str, n: usize, data: &[f64]) -> Result<Self> {
        if data.len() != n * n {
            return Err(Error::Invalid(format!(
                "`{name}` must have {n}x{n} = {} entries, got {}",
                n * n,
                data.len()
            )));
        }
        Ok(SquareMatrix {
            n,
            data: data.to_vec(),
        })
    }

    /// Number of rows (= columns).
    pub fn n(&self) -> usize {
        self.n
    }

    /// Entry `[to, from]`.
    #[inline]
    pub fn get(&self, to: usize, from: usize) -> f64 {
        self.data[to * self.n + from]
    }

    /// Set entry `[to, from]`.
    pub fn set(&mut self, to: usize, from: usize, value: f64) {
        self.data[to * self.n + from] = value;
    }

    /// Row-major entries.
    pub fn as_slice(&self) -> &[f64] {
        &self.data
    }

    /// Rows as nested vectors.
    pub fn to_rows(&self) -> Vec<Vec<f64>> {
        self.data
            .chunks(self.n.max(1))
            .map(<[f64]>::to_vec)
            .take(self.n)
            .collect()
    }

    /// Largest entry (0 for an empty matrix).
    pub fn max(&self) -> f64 {
        self.data.iter().copied().fold(0.0, f64::max)
    }

    /// Elementwise map.
    pub fn map(&self, f: impl Fn(f64) -> f64) -> Self {
        SquareMatrix {
            n: self.n,
            data: self.data.iter().map(|&x| f(x)).collect(),
        }
    }

    /// Check every entry is finite (weights: any sign allowed).
    pub fn check_finite(&self, name: &str) -> Result<()> {
        self.check(name, "a finite number", |v| v.abs() < f64::INFINITY)
    }

    /// Check every entry is finite and `>= 0` (delays, lengths).
    pub fn check_non_negative(&self, name: &str) -> Result<()> {
        self.check(name, "finite and >= 0", |v| {
            (0.0..f64::INFINITY).contains(&v)
        })
    }

    fn check(&self, name: &str, allowed: &str, ok: impl Fn(f64) -> bool) -> Result<()> {
        // One branch-free pass (it vectorises); the offending entry is looked up only on
        // failure.
        if self.data.iter().fold(true, |all, &v| all & ok(v)) {
            return Ok(());
        }
        for (i, &v) in self.data.iter().enumerate() {
            if !ok(v) {
                return Err(Error::MatrixEntry {
                    name: name.into(),
                    row: i / self.n,
                    col: i % self.n,
                    value: v,
                    allowed: allowed.into(),
                });
            }
        }
        Ok(())
    }
}

/// Convert a delay in ms to integer Euler steps: `|d| / dt` in float64, rounded half to
/// even (numpy's `around`), which is how neurolib 0.6.2 discretises delays.
///
/// ```
/// use neuromass_core::delay_steps;
/// assert_eq!(delay_steps(0.25, 0.1), 2); // 2.5 -> 2 (ties to even)
/// assert_eq!(delay_steps(0.55, 0.1), 6); // 5.5 -> 6
/// assert_eq!(delay_steps(0.15, 0.1), 1); // 1.4999999999999998 -> 1
/// ```
pub fn delay_steps(delay_ms: f64, dt: f64) -> usize {
    let x = delay_ms.abs() / dt;
    // Below 2^52, adding and subtracting 2^52 rounds to an integer, ties to even (the
    // default rounding mode): the same as `round_ties_even`, without a library call
    // (networks of a million delays compute this a million times).
    const TWO_52: f64 = 4_503_599_627_370_496.0;
    if x < TWO_52 {
        ((x + TWO_52) - TWO_52) as usize
    } else {
        x.round_ties_even() as usize
    }
}
