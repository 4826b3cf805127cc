//! Functional measures of simulated or empirical activity, as neurolib 0.6.2 computes them
//! (`neurolib.utils.functions`).
//!
//! Time series are given region by region (`ts[region][sample]`, any row type that is
//! `AsRef<[f64]>`), matrices row by row; results are `Vec<Vec<f64>>`.
//!
//! * **FC** ([`fc`]): the Pearson correlation matrix of the regions,
//!   `FC[i][j] = Σₜ (xᵢ(t) − x̄ᵢ)(xⱼ(t) − x̄ⱼ) / √(Σₜ (xᵢ − x̄ᵢ)² · Σₜ (xⱼ − x̄ⱼ)²)`,
//!   clipped to [−1, 1] like `numpy.corrcoef`.
//! * **FCD** ([`fcd`]): functional connectivity dynamics. Windows of `window` samples start
//!   at `t = 0, step, 2·step, …` while `t < T − window` (so, like neurolib, the window that
//!   would end exactly at the last sample is not used). `FCD[a][b]` is the Pearson
//!   correlation between the windowed FC matrices `a` and `b`, each flattened **whole**
//!   (both triangles and the diagonal — this is what neurolib's `fcd` does, and what the
//!   golden data confirm).
//! * **Matrix correlation** ([`matrix_correlation`]): Pearson correlation of the strict upper
//!   triangles (`k = 1`, diagonal excluded, row-major order) of two matrices.
//! * **KS distance** ([`ks_distance`], [`matrix_kolmogorov`], [`ts_kolmogorov`]): the
//!   two-sample Kolmogorov–Smirnov statistic `D = maxₓ |F₁(x) − F₂(x)|` between empirical
//!   distribution functions (scipy's `ks_2samp` statistic), applied to the strict upper
//!   triangles of two matrices, or of the FCD matrices of two time series.
//! * **Power spectrum** ([`power_spectrum`], [`mean_power_spectrum`],
//!   [`dominant_frequency`]): neurolib's `getPowerSpectrum`, i.e. Welch's method with
//!   sampling rate `fs = 1000 / dt` Hz, periodic Hann windows of `M = ⌊window_s · 1000 / dt⌋`
//!   samples (`M` = signal length if the signal is shorter), overlap `⌊M/2⌋`, each segment
//!   minus its mean, "spectrum" scaling `|Σₙ wₙ dₙ e^(−2πikn/M)|² / (Σₙ wₙ)²`, one-sided
//!   (doubled except at 0 Hz and, for even `M`, the Nyquist bin), averaged over the
//!   `⌊(n − ⌊M/2⌋) / (M − ⌊M/2⌋)⌋` segments; only frequencies `f_k = k · fs / M < max_freq`
//!   are returned. (neurolib asks scipy for the window `"hanning"`, an alias of `"hann"` that
//!   current scipy no longer knows; the window is the same.)
//!
//! # Conventions where neurolib gives NaN
//!
//! A Pearson correlation that involves a **constant** series (all values identical, so zero
//! variance) is defined here as **0**, everywhere: in FC the whole row and column of a
//! constant region are 0, its diagonal entry included (exactly neurolib's `fc`, which turns
//! numpy's NaN into 0 with `nan_to_num`); in FCD, matrix correlation and the window FCs the
//! same rule applies where neurolib would return NaN. A constant signal therefore counts as
//! "uncorrelated with everything", which is what a fitting score wants. Non-finite inputs are
//! rejected with [`FunctionalError::NonFinite`] instead of propagating NaN.

use std::cmp::Ordering;
use std::f64::consts::PI;

use thiserror::Error;

use crate::fft::RealFft;

/// neurolib's default FCD window: 30 samples (60 s of BOLD at 0.5 Hz).
pub const FCD_DEFAULT_WINDOW: usize = 30;
/// neurolib's default FCD step: 5 samples (10 s of BOLD at 0.5 Hz).
pub const FCD_DEFAULT_STEP: usize = 5;

/// Errors of the functional measures.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum FunctionalError {
    /// An input without data.
    #[error("{what} is empty")]
    Empty {
        /// Which input.
        what: &'static str,
    },
    /// Rows of different lengths.
    #[error("{what}: row {row} has {got} entries, but row 0 has {expected}")]
    Ragged {
        /// Which input.
        what: &'static str,
        /// The offending row.
        row: usize,
        /// Length of row 0.
        expected: usize,
        /// Length of the offending row.
        got: usize,
    },
    /// A matrix that is not square.
    #[error("{what} must be square, got {rows}x{cols}")]
    NotSquare {
        /// Which input.
        what: &'static str,
        /// Rows.
        rows: usize,
        /// Columns (of the first row).
        cols: usize,
    },
    /// Two inputs whose sizes must agree but do not.
    #[error("{what}: sizes differ ({a} vs {b})")]
    SizeMismatch {
        /// What is compared.
        what: &'static str,
        /// Size of the first input.
        a: usize,
        /// Size of the second input.
        b: usize,
    },
    /// Too few samples for the requested measure.
    #[error("{what} needs at least {needed} samples, got {got}")]
    TooShort {
        /// Which measure / input.
        what: &'static str,
        /// Samples needed.
        needed: usize,
        /// Samples given.
        got: usize,
    },
    /// A NaN or infinite input value.
    #[error("{what}[{row}][{col}] = {value} is not finite")]
    NonFinite {
        /// Which input.
        what: &'static str,
        /// Row of the value (0 for one-dimensional inputs).
        row: usize,
        /// Column / index of the value.
        col: usize,
        /// The value.
        value: f64,
    },
    /// An invalid scalar setting.
    #[error("`{name}` = {value} is invalid: must be {allowed}")]
    InvalidSetting {
        /// Name of the setting.
        name: &'static str,
        /// The rejected value.
        value: f64,
        /// What is allowed.
        allowed: &'static str,
    },
}

/// Result alias of this module.
pub type Result<T, E = FunctionalError> = std::result::Result<T, E>;

// ---------------------------------------------------------------------------------------------
// Input checks

/// Checks a non-empty, rectangular, finite rows × columns array; returns its number of columns.
fn check_rows<R: AsRef<[f64]>>(what: &'static str, rows: &[R]) -> Result<usize> {
    let first = rows.first().ok_or(FunctionalError::Empty { what })?;
    let len = first.as_ref().len();
    for (row, r) in rows.iter().enumerate() {
        let r = r.as_ref();
        if r.len() != len {
            return Err(FunctionalError::Ragged {
                what,
                row,
                expected: len,
                got: r.len(),
            });
        }
        check_finite(what, row, r)?;
    }
    Ok(len)
}

fn check_finite(what: &'static str, row: usize, values: &[f64]) -> Result<()> {
    match values.iter().position(|v| !v.is_finite()) {
        Some(col) => Err(FunctionalError::NonFinite {
            what,
            row,
            col,
            value: values[col],
        }),
        None => Ok(()),
    }
}

/// Checks a non-empty, square, finite matrix; returns its size.
fn check_square<R: AsRef<[f64]>>(what: &'static str, m: &[R]) -> Result<usize> {
    let cols = check_rows(what, m)?;
    if cols != m.len() {
        return Err(FunctionalError::NotSquare {
            what,
            rows: m.len(),
            cols,
        });
    }
    Ok(cols)
}

// ---------------------------------------------------------------------------------------------
// Pearson correlation

/// A series centred on its mean and scaled to unit Euclidean norm; `None` if it is constant.
///
/// The Pearson correlation of two series is the dot product of their normalised versions.
fn normalised(values: impl Iterator<Item = f64> + Clone, out: &mut Vec<f64>) -> bool {
    out.clear();
    out.extend(values);
    let Some(&first) = out.first() else {
        return false;
    };
    if out.iter().all(|&v| v == first) {
        return false;
    }
    let mean = out.iter().sum::<f64>() / out.len() as f64;
    for v in out.iter_mut() {
        *v -= mean;
    }
    let norm = out.iter().map(|v| v * v).sum::<f64>().sqrt();
    for v in out.iter_mut() {
        *v /= norm;
    }
    true
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// Correlation matrix of already normalised series (`None` = constant series → 0).
fn correlation_matrix(z: &[Option<Vec<f64>>]) -> Vec<Vec<f64>> {
    let n = z.len();
    let mut m = vec![vec![0.0; n]; n];
    for i in 0..n {
        let Some(zi) = &z[i] else { continue };
        m[i][i] = 1.0;
        for j in (i + 1)..n {
            if let Some(zj) = &z[j] {
                let r = dot(zi, zj).clamp(-1.0, 1.0);
                m[i][j] = r;
                m[j][i] = r;
            }
        }
    }
    m
}

/// Pearson correlation coefficient of two series of equal length (at least 2 samples), clipped
/// to [−1, 1]. A constant series gives 0 (see the [module docs](self)).
pub fn pearson(a: &[f64], b: &[f64]) -> Result<f64> {
    if a.len() != b.len() {
        return Err(FunctionalError::SizeMismatch {
            what: "pearson: series lengths",
            a: a.len(),
            b: b.len(),
        });
    }
    if a.len() < 2 {
        return Err(FunctionalError::TooShort {
            what: "pearson",
            needed: 2,
            got: a.len(),
        });
    }
    check_finite("pearson: a", 0, a)?;
    check_finite("pearson: b", 0, b)?;
    let (mut za, mut zb) = (Vec::new(), Vec::new());
    if normalised(a.iter().copied(), &mut za) && normalised(b.iter().copied(), &mut zb) {
        Ok(dot(&za, &zb).clamp(-1.0, 1.0))
    } else {
        Ok(0.0)
    }
}

// ---------------------------------------------------------------------------------------------
// FC and FCD

/// Functional connectivity: the N × N Pearson correlation matrix of the N regions of
/// `ts[region][sample]` (neurolib's `fc`). Needs at least 2 samples.
///
/// The diagonal is 1, except for a constant region, whose row and column (diagonal included)
/// are 0, as in neurolib.
pub fn fc<R: AsRef<[f64]>>(ts: &[R]) -> Result<Vec<Vec<f64>>> {
    let len = check_rows("fc: time series", ts)?;
    if len < 2 {
        return Err(FunctionalError::TooShort {
            what: "fc",
            needed: 2,
            got: len,
        });
    }
    Ok(fc_window(ts, 0, len))
}

/// FC of the samples `start..start + len` (inputs already checked).
fn fc_window<R: AsRef<[f64]>>(ts: &[R], start: usize, len: usize) -> Vec<Vec<f64>> {
    let z: Vec<Option<Vec<f64>>> = ts
        .iter()
        .map(|r| {
            let mut buf = Vec::with_capacity(len);
            normalised(r.as_ref()[start..start + len].iter().copied(), &mut buf).then_some(buf)
        })
        .collect();
    correlation_matrix(&z)
}

/// Functional connectivity dynamics (neurolib's `fcd`): the W × W matrix of Pearson
/// correlations between the windowed FC matrices (flattened whole) of `ts[region][sample]`.
///
/// Windows have `window` samples and start every `step` samples at `t = 0, step, …` while
/// `t < T − window`, so `W = ⌈(T − window) / step⌉`. Needs `window >= 2`, `step >= 1` and
/// `T > window`. neurolib's defaults are [`FCD_DEFAULT_WINDOW`] and [`FCD_DEFAULT_STEP`].
pub fn fcd<R: AsRef<[f64]>>(ts: &[R], window: usize, step: usize) -> Result<Vec<Vec<f64>>> {
    let len = check_rows("fcd: time series", ts)?;
    if window < 2 {
        return Err(FunctionalError::InvalidSetting {
            name: "fcd window",
            value: window as f64,
            allowed: "at least 2 samples",
        });
    }
    if step == 0 {
        return Err(FunctionalError::InvalidSetting {
            name: "fcd step",
            value: 0.0,
            allowed: "at least 1 sample",
        });
    }
    if len <= window {
        return Err(FunctionalError::TooShort {
            what: "fcd (more samples than the window)",
            needed: window + 1,
            got: len,
        });
    }
    let windows: Vec<Option<Vec<f64>>> = (0..len - window)
        .step_by(step)
        .map(|t| {
            let m = fc_window(ts, t, window);
            let mut buf = Vec::with_capacity(ts.len() * ts.len());
            normalised(m.iter().flatten().copied(), &mut buf).then_some(buf)
        })
        .collect();
    Ok(correlation_matrix(&windows))
}

/// The strict upper triangle (`k = 1`, diagonal excluded) of a square matrix, row by row —
/// numpy's `m[np.triu_indices(n, k=1)]`.
pub fn upper_triangle<R: AsRef<[f64]>>(m: &[R]) -> Result<Vec<f64>> {
    let n = check_square("upper_triangle: matrix", m)?;
    Ok(upper_triangle_unchecked(m, n))
}

fn upper_triangle_unchecked<R: AsRef<[f64]>>(m: &[R], n: usize) -> Vec<f64> {
    let mut out = Vec::with_capacity(n * n.saturating_sub(1) / 2);
    for (i, row) in m.iter().enumerate() {
        out.extend_from_slice(&row.as_ref()[i + 1..]);
    }
    out
}

/// Pearson correlation of the strict upper triangles of two square matrices of the same size
/// (neurolib's `matrix_correlation`), e.g. to score a simulated FC against an empirical one.
/// Needs at least 3 × 3 matrices (2 off-diagonal entries); a constant triangle gives 0.
pub fn matrix_correlation<R1: AsRef<[f64]>, R2: AsRef<[f64]>>(m1: &[R1], m2: &[R2]) -> Result<f64> {
    let n1 = check_square("matrix_correlation: first matrix", m1)?;
    let n2 = check_square("matrix_correlation: second matrix", m2)?;
    if n1 != n2 {
        return Err(FunctionalError::SizeMismatch {
            what: "matrix_correlation: matrix sizes",
            a: n1,
            b: n2,
        });
    }
    pearson(
        &upper_triangle_unchecked(m1, n1),
        &upper_triangle_unchecked(m2, n2),
    )
}

// ---------------------------------------------------------------------------------------------
// Kolmogorov–Smirnov distances

/// Two-sample Kolmogorov–Smirnov statistic `D = maxₓ |F_a(x) − F_b(x)|` of two samples
/// (scipy's `ks_2samp(a, b).statistic`; the p-value is not computed). Both samples must be
/// non-empty and finite. Ties are handled exactly: the empirical CDFs are compared after all
/// values equal to `x` have been counted.
pub fn ks_distance(a: &[f64], b: &[f64]) -> Result<f64> {
    if a.is_empty() {
        return Err(FunctionalError::Empty {
            what: "ks_distance: first sample",
        });
    }
    if b.is_empty() {
        return Err(FunctionalError::Empty {
            what: "ks_distance: second sample",
        });
    }
    check_finite("ks_distance: first sample", 0, a)?;
    check_finite("ks_distance: second sample", 0, b)?;
    let mut a = a.to_vec();
    let mut b = b.to_vec();
    a.sort_unstable_by(f64::total_cmp);
    b.sort_unstable_by(f64::total_cmp);
    let (na, nb) = (a.len() as f64, b.len() as f64);
    let (mut i, mut j) = (0usize, 0usize);
    let mut d: f64 = 0.0;
    while i < a.len() || j < b.len() {
        // the next distinct value of the pooled sample
        let x = match (a.get(i), b.get(j)) {
            (Some(&x), Some(&y)) => {
                if x.total_cmp(&y) == Ordering::Greater {
                    y
                } else {
                    x
                }
            }
            (Some(&x), None) => x,
            (None, Some(&y)) => y,
            (None, None) => unreachable!(),
        };
        while i < a.len() && a[i] <= x {
            i += 1;
        }
        while j < b.len() && b[j] <= x {
            j += 1;
        }
        d = d.max((i as f64 / na - j as f64 / nb).abs());
    }
    Ok(d)
}

/// KS statistic between the strict upper triangles of two square matrices, which may differ in
/// size (neurolib's `matrix_kolmogorov`; typically two FCD matrices). Matrices must be at least
/// 2 × 2.
pub fn matrix_kolmogorov<R1: AsRef<[f64]>, R2: AsRef<[f64]>>(m1: &[R1], m2: &[R2]) -> Result<f64> {
    let n1 = check_square("matrix_kolmogorov: first matrix", m1)?;
    let n2 = check_square("matrix_kolmogorov: second matrix", m2)?;
    for (what, n) in [
        ("matrix_kolmogorov: first matrix size", n1),
        ("matrix_kolmogorov: second matrix size", n2),
    ] {
        if n < 2 {
            return Err(FunctionalError::TooShort {
                what,
                needed: 2,
                got: n,
            });
        }
    }
    ks_distance(
        &upper_triangle_unchecked(m1, n1),
        &upper_triangle_unchecked(m2, n2),
    )
}

/// KS statistic between the FCD distributions of two time series (neurolib's
/// `ts_kolmogorov`): [`fcd`] of each with the same `window` and `step`, then
/// [`matrix_kolmogorov`]. Each series must give at least 2 windows.
pub fn ts_kolmogorov<R1: AsRef<[f64]>, R2: AsRef<[f64]>>(
    ts1: &[R1],
    ts2: &[R2],
    window: usize,
    step: usize,
) -> Result<f64> {
    let f1 = fcd(ts1, window, step)?;
    let f2 = fcd(ts2, window, step)?;
    matrix_kolmogorov(&f1, &f2)
}

// ---------------------------------------------------------------------------------------------
// Power spectrum

/// Settings of [`power_spectrum`]; [`Default`] gives neurolib's defaults.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SpectrumOptions {
    /// Only frequencies strictly below this (Hz) are returned (neurolib `maxfr`, default 70).
    pub max_freq_hz: f64,
    /// Length of the Welch segments in seconds (neurolib `spectrum_windowsize`, default 1).
    pub window_s: f64,
    /// Divide the power by its maximum (neurolib `normalize`, default false). An identically
    /// zero spectrum is returned unchanged.
    pub normalize: bool,
}

impl Default for SpectrumOptions {
    fn default() -> Self {
        Self {
            max_freq_hz: 70.0,
            window_s: 1.0,
            normalize: false,
        }
    }
}

/// A one-sided power spectrum.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PowerSpectrum {
    /// Frequencies in Hz, `k · fs / M` for `k = 0, 1, …`.
    pub f_hz: Vec<f64>,
    /// Power at each frequency (units of the signal squared).
    pub power: Vec<f64>,
}

impl PowerSpectrum {
    /// Frequency of the largest power (the lowest such frequency on ties); `None` for an empty
    /// spectrum.
    pub fn dominant_frequency(&self) -> Option<f64> {
        let mut best: Option<(usize, f64)> = None;
        for (k, &p) in self.power.iter().enumerate() {
            if best.is_none_or(|(_, b)| p > b) {
                best = Some((k, p));
            }
        }
        best.map(|(k, _)| self.f_hz[k])
    }
}

/// Welch's method for signals of one length and sampling step (neurolib's
/// `getPowerSpectrum`: Hann-windowed, mean-removed segments overlapping by half, one-sided
/// power averaged over segments): the segment layout, the window and an FFT plan with its
/// buffers, made once and reused for every signal of that length (e.g. every run of an
/// exploration).
#[derive(Debug, Clone)]
pub struct WelchPlan {
    /// Segment length M.
    nperseg: usize,
    /// Hop between segment starts, `M − ⌊M/2⌋`.
    hop: usize,
    /// Number of segments.
    segments: usize,
    /// Periodic Hann window of length M.
    window: Vec<f64>,
    /// `1 / (Σ w)²`.
    scale: f64,
    /// Returned frequencies (those below the cut-off).
    f_hz: Vec<f64>,
    fft: RealFft,
}

impl WelchPlan {
    /// The plan for signals of `len` samples every `dt_ms` ms, with `opts`'s segment length
    /// and frequency cut-off (`opts.normalize` is applied by the callers, not here).
    pub fn new(len: usize, dt_ms: f64, opts: &SpectrumOptions) -> Result<Self> {
        if !(dt_ms.is_finite() && dt_ms > 0.0) {
            return Err(FunctionalError::InvalidSetting {
                name: "dt_ms",
                value: dt_ms,
                allowed: "finite and > 0",
            });
        }
        if !(opts.window_s.is_finite() && opts.window_s > 0.0) {
            return Err(FunctionalError::InvalidSetting {
                name: "window_s",
                value: opts.window_s,
                allowed: "finite and > 0",
            });
        }
        if opts.max_freq_hz.is_nan() {
            return Err(FunctionalError::InvalidSetting {
                name: "max_freq_hz",
                value: opts.max_freq_hz,
                allowed: "a number",
            });
        }
        let fs = 1000.0 / dt_ms;
        // Python's int(): truncation toward zero
        let requested = (opts.window_s * 1000.0 / dt_ms).trunc();
        if requested < 2.0 {
            return Err(FunctionalError::InvalidSetting {
                name: "window_s",
                value: opts.window_s,
                allowed: "long enough for at least 2 samples per segment (window_s * 1000 / dt >= 2)",
            });
        }
        let nperseg = if requested >= len as f64 {
            len
        } else {
            requested as usize
        };
        if nperseg < 2 {
            return Err(FunctionalError::TooShort {
                what: "power_spectrum: signal",
                needed: 2,
                got: len,
            });
        }
        let noverlap = nperseg / 2;
        let hop = nperseg - noverlap;
        let segments = (len - noverlap) / hop;
        let window: Vec<f64> = (0..nperseg)
            .map(|k| 0.5 - 0.5 * (2.0 * PI * k as f64 / nperseg as f64).cos())
            .collect();
        let wsum: f64 = window.iter().sum();
        // numpy rfftfreq(M, 1/fs): k * (1 / (M * (1/fs)))
        let df = 1.0 / (nperseg as f64 * (1.0 / fs));
        let f_hz: Vec<f64> = (0..=nperseg / 2)
            .map(|k| k as f64 * df)
            .take_while(|&f| f < opts.max_freq_hz)
            .collect();
        Ok(Self {
            nperseg,
            hop,
            segments,
            window,
            scale: 1.0 / (wsum * wsum),
            f_hz,
            fft: RealFft::new(nperseg),
        })
    }

    /// The frequencies (Hz) of the spectrum.
    pub fn frequencies(&self) -> &[f64] {
        &self.f_hz
    }

    /// Write the (unnormalised) segment-averaged spectrum of `x` (the plan's length) into
    /// `out` (one value per frequency).
    pub fn spectrum_into(&mut self, x: &[f64], out: &mut [f64]) {
        let m = self.nperseg;
        let even = m.is_multiple_of(2);
        out.fill(0.0);
        for s in 0..self.segments {
            let seg = &x[s * self.hop..s * self.hop + m];
            let mean = seg.iter().sum::<f64>() / m as f64;
            for ((c, &v), &w) in self.fft.input().iter_mut().zip(seg).zip(&self.window) {
                *c = w * (v - mean);
            }
            let scale = self.scale;
            self.fft.power(out.len(), |k, p| {
                let mut p = p * scale;
                if k > 0 && !(even && k == m / 2) {
                    p *= 2.0;
                }
                out[k] += p;
            });
        }
        let count = self.segments as f64;
        for o in out.iter_mut() {
            *o /= count;
        }
    }
}

fn normalise_power(power: &mut [f64]) {
    let max = power.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if max > 0.0 {
        for p in power.iter_mut() {
            *p /= max;
        }
    }
}

/// Power spectrum of one signal sampled every `dt_ms` (neurolib's `getPowerSpectrum`; Welch's
/// method, see the [module docs](self)). The signal must be finite with at least 2 samples.
///
/// Cost: one real FFT of the segment length per segment (see [`WelchPlan`] to reuse the plan
/// for many signals of one length).
pub fn power_spectrum(signal: &[f64], dt_ms: f64, opts: &SpectrumOptions) -> Result<PowerSpectrum> {
    check_rows("power_spectrum: signal", &[signal])?;
    let mut welch = WelchPlan::new(signal.len(), dt_ms, opts)?;
    let mut power = vec![0.0; welch.f_hz.len()];
    welch.spectrum_into(signal, &mut power);
    if opts.normalize {
        normalise_power(&mut power);
    }
    Ok(PowerSpectrum {
        f_hz: welch.f_hz,
        power,
    })
}

/// Mean of the power spectra of several signals of equal length (neurolib's
/// `getMeanPowerSpectrum`); with `opts.normalize` the mean is normalised to a maximum of 1.
pub fn mean_power_spectrum<R: AsRef<[f64]>>(
    signals: &[R],
    dt_ms: f64,
    opts: &SpectrumOptions,
) -> Result<PowerSpectrum> {
    let len = check_rows("mean_power_spectrum: signals", signals)?;
    let mut welch = WelchPlan::new(len, dt_ms, opts)?;
    let mut total = vec![0.0; welch.f_hz.len()];
    let mut one = vec![0.0; welch.f_hz.len()];
    for s in signals {
        welch.spectrum_into(s.as_ref(), &mut one);
        for (t, p) in total.iter_mut().zip(&one) {
            *t += p;
        }
    }
    let count = signals.len() as f64;
    for t in total.iter_mut() {
        *t /= count;
    }
    if opts.normalize {
        normalise_power(&mut total);
    }
    Ok(PowerSpectrum {
        f_hz: welch.f_hz,
        power: total,
    })
}

/// Frequency (Hz) of the largest power in [`power_spectrum`]`(signal, dt_ms, opts)` — the
/// lowest such frequency on ties. Fails if no frequency lies below `opts.max_freq_hz`.
pub fn dominant_frequency(signal: &[f64], dt_ms: f64, opts: &SpectrumOptions) -> Result<f64> {
    power_spectrum(signal, dt_ms, opts)?
        .dominant_frequency()
        .ok_or(FunctionalError::InvalidSetting {
            name: "max_freq_hz",
            value: opts.max_freq_hz,
            allowed: "above 0 Hz so that the spectrum is not empty",
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ks_with_ties() {
        // scipy.stats.ks_2samp([1, 2, 2, 3], [2, 2, 4]).statistic == 1/3 (at x = 3)
        let d = ks_distance(&[1.0, 2.0, 2.0, 3.0], &[2.0, 2.0, 4.0]).unwrap();
        assert!((d - 1.0 / 3.0).abs() < 1e-15);
    }
}
