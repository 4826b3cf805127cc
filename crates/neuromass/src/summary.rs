//! Small summaries of a run's time series (the report of `neuromass run`, the built-in
//! summaries of `neuromass explore`).
//!
//! [`dominant_frequency`] runs neurolib's Welch spectrum (`getPowerSpectrum`, as
//! [`power_spectrum`](neuromass_fit::functional::power_spectrum) computes it) through a
//! [`WelchPlan`] cached per thread: the Hann window, the FFT's twiddle factors and its work
//! buffers are made once per signal length and sampling step, not once per call, and each
//! real segment is transformed as a complex FFT of half its length.

use std::cell::RefCell;
use std::f64::consts::PI;

/// The frequency (Hz) with the largest power in the Welch spectrum of `series` sampled every
/// `dt_ms` ms (neurolib's `getPowerSpectrum` with 2 s segments, or the whole series if
/// shorter; the 0 Hz bin is ignored), and that power. Returns `(0, 0)` for fewer than 4
/// samples or a constant series.
///
/// The plan of each `(series length, dt_ms)` is kept per thread (the last
/// [`CACHED_PLANS`] ones), so repeated calls on equally long series, as in an exploration,
/// pay for the window and twiddle factors once.
pub fn dominant_frequency(series: &[f64], dt_ms: f64) -> (f64, f64) {
    if series.len() < 4 || dt_ms.is_nan() || dt_ms <= 0.0 {
        return (0.0, 0.0);
    }
    with_plan(series.len(), dt_ms, |plan| plan.dominant(series)).unwrap_or((0.0, 0.0))
}

/// How many [`WelchPlan`]s each thread keeps for [`dominant_frequency`].
pub const CACHED_PLANS: usize = 4;

thread_local! {
    static PLANS: RefCell<Vec<((usize, u64), WelchPlan)>> = const { RefCell::new(Vec::new()) };
}

/// Run `f` with this thread's plan for `(len, dt_ms)`, made on first use; `None` if no plan
/// exists for that length and step (see [`WelchPlan::new`]).
fn with_plan<R>(len: usize, dt_ms: f64, f: impl FnOnce(&mut WelchPlan) -> R) -> Option<R> {
    PLANS.with(|cell| {
        let mut plans = cell.borrow_mut();
        let key = (len, dt_ms.to_bits());
        let at = match plans.iter().position(|(k, _)| *k == key) {
            Some(at) => at,
            None => {
                let plan = WelchPlan::new(len, dt_ms)?;
                if plans.len() >= CACHED_PLANS {
                    plans.remove(0);
                }
                plans.push((key, plan));
                plans.len() - 1
            }
        };
        Some(f(&mut plans[at].1))
    })
}

/// Welch's method as [`dominant_frequency`] applies it (neurolib's `getPowerSpectrum` with
/// segments of `min(2 s, the series)`, frequencies below `fs / 2`), for one series length and
/// sampling step: the segment layout, the periodic Hann window, the FFT plan and its buffers.
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
    /// Frequency step `fs / M` (Hz).
    df: f64,
    /// Number of returned frequencies (those below `fs / 2`).
    bins: usize,
    fft: RealFft,
    power: Vec<f64>,
}

impl WelchPlan {
    /// The plan for series of `len` samples every `dt_ms` ms; `None` when a segment would
    /// be shorter than 2 samples or `dt_ms` is not a positive finite number.
    pub fn new(len: usize, dt_ms: f64) -> Option<Self> {
        if !(dt_ms.is_finite() && dt_ms > 0.0) {
            return None;
        }
        let seconds = len as f64 * dt_ms * 1e-3;
        let window_s = seconds.min(2.0);
        let max_freq_hz = 500.0 / dt_ms;
        // The layout of `neuromass_fit::functional::power_spectrum` (neurolib's).
        let fs = 1000.0 / dt_ms;
        let requested = (window_s * 1000.0 / dt_ms).trunc();
        if requested.is_nan() || requested < 2.0 {
            return None;
        }
        let nperseg = if requested >= len as f64 {
            len
        } else {
            requested as usize
        };
        if nperseg < 2 {
            return None;
        }
        let noverlap = nperseg / 2;
        let hop = nperseg - noverlap;
        let segments = (len - noverlap) / hop;
        let window: Vec<f64> = (0..nperseg)
            .map(|k| 0.5 - 0.5 * (2.0 * PI * k as f64 / nperseg as f64).cos())
            .collect();
        let wsum: f64 = window.iter().sum();
        let df = 1.0 / (nperseg as f64 * (1.0 / fs));
        let bins = (0..=nperseg / 2)
            .take_while(|&k| (k as f64 * df) < max_freq_hz)
            .count();
        Some(Self {
            nperseg,
            hop,
            segments,
            window,
            scale: 1.0 / (wsum * wsum),
            df,
            bins,
            fft: RealFft::new(nperseg),
            power: vec![0.0; bins],
        })
    }

    /// The segment-averaged one-sided power spectrum of `x` (which must have the plan's
    /// length): `(frequencies in Hz, power)`, as
    /// [`power_spectrum`](neuromass_fit::functional::power_spectrum) returns them.
    pub fn spectrum(&mut self, x: &[f64]) -> (Vec<f64>, Vec<f64>) {
        self.accumulate(x);
        let f = (0..self.bins).map(|k| k as f64 * self.df).collect();
        (f, self.power.clone())
    }

    /// The frequency above 0 Hz with the largest power (the lowest on ties) and that power;
    /// `(0, 0)` when no power is positive.
    pub fn dominant(&mut self, x: &[f64]) -> (f64, f64) {
        self.accumulate(x);
        let mut best = (0.0, 0.0);
        for (k, &p) in self.power.iter().enumerate().skip(1) {
            if p > best.1 {
                best = (k as f64 * self.df, p);
            }
        }
        best
    }

    fn accumulate(&mut self, x: &[f64]) {
        let m = self.nperseg;
        let even = m % 2 == 0;
        self.power.fill(0.0);
        for s in 0..self.segments {
            let seg = &x[s * self.hop..s * self.hop + m];
            let mean = seg.iter().sum::<f64>() / m as f64;
            let input = self.fft.input();
            for ((c, &v), &w) in input.iter_mut().zip(seg).zip(&self.window) {
                *c = w * (v - mean);
            }
            let scale = self.scale;
            let bins = self.bins;
            let power = &mut self.power;
            self.fft.power(bins, |k, p| {
                let mut p = p * scale;
                if k > 0 && !(even && k == m / 2) {
                    p *= 2.0;
                }
                power[k] += p;
            });
        }
        let count = self.segments as f64;
        for p in self.power.iter_mut() {
            *p /= count;
        }
    }
}

// ---------------------------------------------------------------------------------------------
// FFT: a mixed-radix Stockham (self-sorting) complex FFT with precomputed twiddles, and a real
// FFT of even length M as a complex FFT of length M/2.

#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct C {
    re: f64,
    im: f64,
}

impl C {
    #[inline(always)]
    const fn new(re: f64, im: f64) -> Self {
        Self { re, im }
    }
    /// `e^(−2πi·j/n)`.
    fn root(j: usize, n: usize) -> Self {
        let a = -2.0 * PI * (j % n) as f64 / n as f64;
        Self::new(a.cos(), a.sin())
    }
    #[inline(always)]
    fn add(self, o: Self) -> Self {
        Self::new(self.re + o.re, self.im + o.im)
    }
    #[inline(always)]
    fn sub(self, o: Self) -> Self {
        Self::new(self.re - o.re, self.im - o.im)
    }
    #[inline(always)]
    fn mul(self, o: Self) -> Self {
        Self::new(
            self.re * o.re - self.im * o.im,
            self.re * o.im + self.im * o.re,
        )
    }
    #[inline(always)]
    fn scale(self, k: f64) -> Self {
        Self::new(self.re * k, self.im * k)
    }
    /// `−i · self`.
    #[inline(always)]
    fn mul_neg_i(self) -> Self {
        Self::new(self.im, -self.re)
    }
    #[inline(always)]
    fn conj(self) -> Self {
        Self::new(self.re, -self.im)
    }
    #[inline(always)]
    fn norm_sqr(self) -> f64 {
        self.re * self.re + self.im * self.im
    }
}

/// One radix-`p` pass of the Stockham FFT: `m` butterflies of `s` interleaved sequences.
#[derive(Debug, Clone)]
struct Stage {
    p: usize,
    m: usize,
    s: usize,
    /// `W_n^(j·k)` at `j·(p−1) + k − 1` for `j < m`, `1 ≤ k < p` (`n = p·m` at this pass).
    twiddles: Vec<C>,
    /// `W_p^j`, `j < p` (generic radices only).
    roots: Vec<C>,
}

/// Forward complex DFT `X_k = Σ_n x_n e^(−2πikn/N)` of one length.
#[derive(Debug, Clone)]
struct Fft {
    n: usize,
    stages: Vec<Stage>,
}

impl Fft {
    fn new(n: usize) -> Self {
        let mut factors = Vec::new();
        let mut rest = n;
        while rest % 4 == 0 {
            factors.push(4);
            rest /= 4;
        }
        let mut p = 2;
        while rest > 1 {
            if p * p > rest {
                factors.push(rest);
                break;
            }
            while rest % p == 0 {
                factors.push(p);
                rest /= p;
            }
            p += if p == 2 { 1 } else { 2 };
        }
        let mut stages = Vec::with_capacity(factors.len());
        let (mut len, mut s) = (n, 1);
        for p in factors {
            let m = len / p;
            let mut twiddles = Vec::with_capacity(m * (p - 1));
            for j in 0..m {
                for k in 1..p {
                    twiddles.push(C::root(j * k, len));
                }
            }
            let roots = if p > 5 {
                (0..p).map(|j| C::root(j, p)).collect()
            } else {
                Vec::new()
            };
            stages.push(Stage {
                p,
                m,
                s,
                twiddles,
                roots,
            });
            len = m;
            s *= p;
        }
        Self { n, stages }
    }

    /// Transforms `a` in place, using `b` (same length) as work space.
    fn transform(&self, a: &mut [C], b: &mut [C], scratch: &mut Vec<C>) {
        debug_assert!(a.len() == self.n && b.len() == self.n);
        let mut in_a = true;
        for st in &self.stages {
            if in_a {
                pass(st, a, b, scratch);
            } else {
                pass(st, b, a, scratch);
            }
            in_a = !in_a;
        }
        if !in_a {
            a.copy_from_slice(b);
        }
    }
}

/// One Stockham pass from `x` to `y`:
/// `y[q + s(pj + k)] = W_n^(jk) · Σ_r x[q + s(j + rm)] · W_p^(rk)`.
///
/// For each `j`, input `r` is the run `x[s(j + rm)..][..s]` and output `k` the run
/// `y[s(pj + k)..][..s]`, so the inner loops walk zipped slices without bounds checks.
fn pass(st: &Stage, x: &[C], y: &mut [C], scratch: &mut Vec<C>) {
    let Stage { p, m, s, .. } = *st;
    let sm = s * m;
    // The p input runs of butterfly group j.
    let inputs = |j: usize, r: usize| &x[r * sm + s * j..r * sm + s * j + s];
    match p {
        2 => {
            for (j, (out, &w1)) in y.chunks_exact_mut(2 * s).zip(&st.twiddles).enumerate() {
                let (y0, y1) = out.split_at_mut(s);
                for (((y0, y1), &a0), &a1) in
                    y0.iter_mut().zip(y1).zip(inputs(j, 0)).zip(inputs(j, 1))
                {
                    *y0 = a0.add(a1);
                    *y1 = a0.sub(a1).mul(w1);
                }
            }
        }
        3 => {
            let h = (2.0 * PI / 3.0).sin();
            for (j, (out, w)) in y
                .chunks_exact_mut(3 * s)
                .zip(st.twiddles.chunks_exact(2))
                .enumerate()
            {
                let (y0, rest) = out.split_at_mut(s);
                let (y1, y2) = rest.split_at_mut(s);
                let (x0, x1, x2) = (inputs(j, 0), inputs(j, 1), inputs(j, 2));
                for q in 0..s
                    .min(x0.len())
                    .min(x1.len())
                    .min(x2.len())
                    .min(y0.len())
                    .min(y1.len())
                    .min(y2.len())
                {
                    let (a0, a1, a2) = (x0[q], x1[q], x2[q]);
                    let t = a1.add(a2);
                    let m1 = a0.sub(t.scale(0.5));
                    let d = a1.sub(a2).mul_neg_i().scale(h);
                    y0[q] = a0.add(t);
                    y1[q] = m1.add(d).mul(w[0]);
                    y2[q] = m1.sub(d).mul(w[1]);
                }
            }
        }
        4 => {
            for (j, (out, w)) in y
                .chunks_exact_mut(4 * s)
                .zip(st.twiddles.chunks_exact(3))
                .enumerate()
            {
                let (y0, rest) = out.split_at_mut(s);
                let (y1, rest) = rest.split_at_mut(s);
                let (y2, y3) = rest.split_at_mut(s);
                let (x0, x1, x2, x3) = (inputs(j, 0), inputs(j, 1), inputs(j, 2), inputs(j, 3));
                let n = s
                    .min(x0.len())
                    .min(x1.len())
                    .min(x2.len())
                    .min(x3.len())
                    .min(y0.len())
                    .min(y1.len())
                    .min(y2.len())
                    .min(y3.len());
                for q in 0..n {
                    let (a0, a1, a2, a3) = (x0[q], x1[q], x2[q], x3[q]);
                    let t0 = a0.add(a2);
                    let t1 = a0.sub(a2);
                    let t2 = a1.add(a3);
                    let t3 = a1.sub(a3).mul_neg_i();
                    y0[q] = t0.add(t2);
                    y1[q] = t1.add(t3).mul(w[0]);
                    y2[q] = t0.sub(t2).mul(w[1]);
                    y3[q] = t1.sub(t3).mul(w[2]);
                }
            }
        }
        5 => {
            let (c1, c2) = ((2.0 * PI / 5.0).cos(), (4.0 * PI / 5.0).cos());
            let (s1, s2) = ((2.0 * PI / 5.0).sin(), (4.0 * PI / 5.0).sin());
            for (j, (out, w)) in y
                .chunks_exact_mut(5 * s)
                .zip(st.twiddles.chunks_exact(4))
                .enumerate()
            {
                let (y0, rest) = out.split_at_mut(s);
                let (y1, rest) = rest.split_at_mut(s);
                let (y2, rest) = rest.split_at_mut(s);
                let (y3, y4) = rest.split_at_mut(s);
                let (x0, x1, x2, x3, x4) = (
                    inputs(j, 0),
                    inputs(j, 1),
                    inputs(j, 2),
                    inputs(j, 3),
                    inputs(j, 4),
                );
                let n = s
                    .min(x0.len())
                    .min(x1.len())
                    .min(x2.len())
                    .min(x3.len())
                    .min(x4.len())
                    .min(y0.len())
                    .min(y1.len())
                    .min(y2.len())
                    .min(y3.len())
                    .min(y4.len());
                for q in 0..n {
                    let (a0, a1, a2, a3, a4) = (x0[q], x1[q], x2[q], x3[q], x4[q]);
                    let t1 = a1.add(a4);
                    let t2 = a2.add(a3);
                    let t3 = a1.sub(a4);
                    let t4 = a2.sub(a3);
                    let m1 = a0.add(t1.scale(c1)).add(t2.scale(c2));
                    let m2 = a0.add(t1.scale(c2)).add(t2.scale(c1));
                    let n1 = t3.scale(s1).add(t4.scale(s2)).mul_neg_i();
                    let n2 = t3.scale(s2).sub(t4.scale(s1)).mul_neg_i();
                    y0[q] = a0.add(t1).add(t2);
                    y1[q] = m1.add(n1).mul(w[0]);
                    y2[q] = m2.add(n2).mul(w[1]);
                    y3[q] = m2.sub(n2).mul(w[2]);
                    y4[q] = m1.sub(n1).mul(w[3]);
                }
            }
        }
        _ => {
            scratch.resize(p, C::default());
            for (j, (out, w)) in y
                .chunks_exact_mut(p * s)
                .zip(st.twiddles.chunks_exact(p - 1))
                .enumerate()
            {
                for q in 0..s {
                    for (r, a) in scratch.iter_mut().enumerate() {
                        *a = inputs(j, r)[q];
                    }
                    for k in 0..p {
                        let mut acc = scratch[0];
                        for (r, &a) in scratch.iter().enumerate().skip(1) {
                            acc = acc.add(a.mul(st.roots[(r * k) % p]));
                        }
                        out[s * k + q] = if k == 0 { acc } else { acc.mul(w[k - 1]) };
                    }
                }
            }
        }
    }
}

/// The DFT of a real sequence of length M: for even M, a complex FFT of the M/2 pairs
/// `x₂ₙ + i·x₂ₙ₊₁` untangled with `W_M^k`; for odd M, a complex FFT of length M.
#[derive(Debug, Clone)]
struct RealFft {
    m: usize,
    /// The real input.
    input: Vec<f64>,
    fft: Fft,
    a: Vec<C>,
    b: Vec<C>,
    scratch: Vec<C>,
    /// The untangling factors `W_M^k`, `k ≤ M/2` (even M only).
    post: Vec<C>,
}

impl RealFft {
    fn new(m: usize) -> Self {
        let half = m % 2 == 0;
        let len = if half { m / 2 } else { m };
        Self {
            m,
            input: vec![0.0; m],
            fft: Fft::new(len),
            a: vec![C::default(); len],
            b: vec![C::default(); len],
            scratch: Vec::new(),
            post: if half {
                (0..=m / 2).map(|k| C::root(k, m)).collect()
            } else {
                Vec::new()
            },
        }
    }

    /// The input buffer (length M) to fill before [`power`](Self::power).
    fn input(&mut self) -> &mut [f64] {
        &mut self.input
    }

    /// Transform the input and call `f(k, |X_k|²)` for `k < bins` (`bins ≤ M/2 + 1`).
    fn power(&mut self, bins: usize, mut f: impl FnMut(usize, f64)) {
        if self.m % 2 == 0 {
            let l = self.m / 2;
            for (c, pair) in self.a.iter_mut().zip(self.input.chunks_exact(2)) {
                *c = C::new(pair[0], pair[1]);
            }
            self.fft
                .transform(&mut self.a, &mut self.b, &mut self.scratch);
            let bins = bins.min(l + 1);
            // X_k from Z_k and conj(Z_(L−k)) (Z_L = Z_0).
            let untangle = |k: usize, zk: C, zc: C| {
                let even = zk.add(zc).scale(0.5);
                let odd = zk.sub(zc).scale(0.5).mul_neg_i();
                even.add(self.post[k].mul(odd)).norm_sqr()
            };
            let z0 = self.a[0];
            if bins > 0 {
                f(0, untangle(0, z0, z0.conj()));
            }
            for (k, (&zk, &zr)) in self.a[1..]
                .iter()
                .zip(self.a[1..].iter().rev())
                .enumerate()
                .take(bins.saturating_sub(1).min(l - 1))
            {
                f(k + 1, untangle(k + 1, zk, zr.conj()));
            }
            if bins == l + 1 {
                f(l, untangle(l, z0, z0.conj()));
            }
        } else {
            for (c, &v) in self.a.iter_mut().zip(&self.input) {
                *c = C::new(v, 0.0);
            }
            self.fft
                .transform(&mut self.a, &mut self.b, &mut self.scratch);
            for k in 0..bins.min(self.m) {
                f(k, self.a[k].norm_sqr());
            }
        }
    }
}

/// Mean of a series (0 for an empty one).
pub fn mean(series: &[f64]) -> f64 {
    if series.is_empty() {
        0.0
    } else {
        series.iter().sum::<f64>() / series.len() as f64
    }
}

/// One node's figures in the report of `neuromass run`.
#[derive(Debug, Clone, PartialEq)]
pub struct NodeReport {
    /// Node index.
    pub index: usize,
    /// Node label (e.g. `ALNNode`).
    pub label: String,
    /// The variable summarised (`r_mean_EXC` if the node has it, else its first).
    pub variable: String,
    /// Mean of the variable after the transient.
    pub mean: f64,
    /// Dominant frequency (Hz).
    pub frequency: f64,
}

impl NodeReport {
    fn shown_mean(&self) -> String {
        if self.variable.starts_with("r_mean") {
            format!("mean rate {:8.3} Hz", 1000.0 * self.mean)
        } else {
            format!("mean {} {:.4}", self.variable, self.mean)
        }
    }
}

/// The report lines: one per node for up to `max_lines` nodes; for larger networks one
/// line per run of consecutive nodes with the same label and variable, giving the mean over
/// those nodes (with its node range) and the median dominant frequency.
pub fn report_lines(nodes: &[NodeReport], max_lines: usize) -> Vec<String> {
    if nodes.len() <= max_lines {
        return nodes
            .iter()
            .map(|n| {
                format!(
                    "node {:<3} {:<14} {}, dominant frequency {:6.2} Hz",
                    n.index,
                    n.label,
                    n.shown_mean(),
                    n.frequency
                )
            })
            .collect();
    }
    let mut lines = Vec::new();
    for group in nodes.chunk_by(|a, b| a.label == b.label && a.variable == b.variable) {
        let (first, last) = (&group[0], &group[group.len() - 1]);
        let means: Vec<f64> = group.iter().map(|n| n.mean).collect();
        let (lo, hi) = means
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), &m| {
                (l.min(m), h.max(m))
            });
        let mut freqs: Vec<f64> = group.iter().map(|n| n.frequency).collect();
        freqs.sort_by(f64::total_cmp);
        let median = freqs[freqs.len() / 2];
        let mean = NodeReport {
            mean: self::mean(&means),
            ..first.clone()
        };
        let (scale, unit) = if first.variable.starts_with("r_mean") {
            (1000.0, " Hz")
        } else {
            (1.0, "")
        };
        lines.push(format!(
            "nodes {}-{} {:<10} {} ({:.3}-{:.3}{unit} over nodes), median dominant frequency {:6.2} Hz",
            first.index,
            last.index,
            first.label,
            mean.shown_mean(),
            scale * lo,
            scale * hi,
            median
        ));
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_lines_group_large_networks() {
        let node = |index: usize, label: &str, mean: f64, frequency: f64| NodeReport {
            index,
            label: label.into(),
            variable: "r_mean_EXC".into(),
            mean,
            frequency,
        };
        let small = [
            node(0, "ALNNode", 0.01, 5.0),
            node(1, "THLMnode", 0.002, 9.0),
        ];
        let lines = report_lines(&small, 12);
        assert_eq!(lines.len(), 2);
        assert!(lines[0].starts_with("node 0") && lines[0].contains("10.000 Hz"));
        let mut big: Vec<NodeReport> = (0..20)
            .map(|i| node(i, "ALNNode", 0.001 * i as f64, i as f64))
            .collect();
        big.push(node(20, "THLMnode", 0.002, 9.0));
        let lines = report_lines(&big, 12);
        assert_eq!(lines.len(), 2, "{lines:?}");
        assert!(lines[0].starts_with("nodes 0-19 ALNNode"), "{}", lines[0]);
        assert!(lines[0].contains("mean rate    9.500 Hz"), "{}", lines[0]);
        assert!(
            lines[0].contains("(0.000-19.000 Hz over nodes)"),
            "{}",
            lines[0]
        );
        assert!(
            lines[0].contains("median dominant frequency  10.00 Hz"),
            "{}",
            lines[0]
        );
        assert!(lines[1].starts_with("nodes 20-20 THLMnode"), "{}", lines[1]);
    }

    #[test]
    fn finds_a_sine() {
        // 10 Hz sine sampled at 1 ms for 2 s, plus a slower weaker one.
        let x: Vec<f64> = (0..2000)
            .map(|i| {
                let t = i as f64 * 1e-3;
                (2.0 * std::f64::consts::PI * 10.0 * t).sin()
                    + 0.3 * (2.0 * std::f64::consts::PI * 3.0 * t).sin()
            })
            .collect();
        let (f, p) = dominant_frequency(&x, 1.0);
        assert!((f - 10.0).abs() <= 0.5 + 1e-9, "{f}");
        assert!(p > 0.0);
        assert_eq!(dominant_frequency(&[1.0; 100], 1.0), (0.0, 0.0));
    }

    /// The complex FFT equals a direct DFT for lengths made of every radix (2, 3, 4, 5 and
    /// larger primes).
    #[test]
    fn fft_matches_direct_dft() {
        for n in [
            1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 16, 20, 25, 30, 49, 64, 97, 100, 250, 1000,
        ] {
            let fft = Fft::new(n);
            let x: Vec<C> = (0..n)
                .map(|j| C::new((j as f64 * 0.37).sin() + 0.1 * j as f64, (j as f64).cos()))
                .collect();
            let (mut a, mut b, mut scratch) = (x.clone(), vec![C::default(); n], Vec::new());
            fft.transform(&mut a, &mut b, &mut scratch);
            let mut big = 1.0f64;
            let want: Vec<C> = (0..n)
                .map(|k| {
                    let mut acc = C::default();
                    for (j, &v) in x.iter().enumerate() {
                        acc = acc.add(v.mul(C::root(j * k, n)));
                    }
                    big = big.max(acc.re.abs()).max(acc.im.abs());
                    acc
                })
                .collect();
            for (k, (got, want)) in a.iter().zip(&want).enumerate() {
                assert!(
                    (got.re - want.re).abs() < 1e-12 * big
                        && (got.im - want.im).abs() < 1e-12 * big,
                    "n = {n}, k = {k}: {got:?} vs {want:?}"
                );
            }
        }
    }

    /// The cached plan gives neuromass-fit's (neurolib's) Welch spectrum: the same
    /// frequencies and powers to rounding, for even, odd and prime segment lengths, signals
    /// shorter and longer than the 2 s segments, and repeated use of one plan.
    #[test]
    fn welch_plan_matches_power_spectrum() {
        use neuromass_fit::functional::{SpectrumOptions, power_spectrum};
        for (len, dt) in [
            (4000, 1.0),
            (3001, 1.0),
            (997, 1.0),
            (1500, 0.5),
            (801, 5.0),
            (41, 5.0),
            (12, 2.0),
            (4000, 0.1),
        ] {
            let mut plan = WelchPlan::new(len, dt).unwrap();
            for seed in 0..3 {
                let x: Vec<f64> = (0..len)
                    .map(|i| {
                        let t = i as f64 * dt * 1e-3;
                        (2.0 * PI * 11.0 * t + seed as f64).sin()
                            + 0.4 * (2.0 * PI * 37.0 * t).cos()
                            + 0.05 * ((i * 7919 + seed * 31) % 101) as f64
                    })
                    .collect();
                let seconds = len as f64 * dt * 1e-3;
                let opts = SpectrumOptions {
                    max_freq_hz: 500.0 / dt,
                    window_s: seconds.min(2.0),
                    normalize: false,
                };
                let want = power_spectrum(&x, dt, &opts).unwrap();
                let (f, p) = plan.spectrum(&x);
                assert_eq!(f, want.f_hz, "len {len}, dt {dt}");
                let big = want.power.iter().copied().fold(0.0, f64::max);
                for (k, (a, b)) in p.iter().zip(&want.power).enumerate() {
                    assert!(
                        (a - b).abs() <= 1e-12 * big,
                        "len {len}, dt {dt}, bin {k}: {a} vs {b}"
                    );
                }
                let (fd, pd) = dominant_frequency(&x, dt);
                let best = want.power[1..]
                    .iter()
                    .enumerate()
                    .fold((0, 0.0), |b, (k, &v)| if v > b.1 { (k + 1, v) } else { b });
                assert_eq!(fd, want.f_hz[best.0], "len {len}, dt {dt}");
                assert!((pd - best.1).abs() <= 1e-12 * big);
            }
        }
        // Too short for a segment of 2 samples: no plan, no frequency.
        assert!(WelchPlan::new(1, 1.0).is_none());
        assert!(WelchPlan::new(100, f64::INFINITY).is_none());
        assert_eq!(dominant_frequency(&[0.0, 1.0, 0.0], 1.0), (0.0, 0.0));
    }
}
