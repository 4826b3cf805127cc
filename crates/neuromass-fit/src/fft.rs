//! The FFT behind the Welch spectra of [`functional`](crate::functional): a mixed-radix
//! Stockham (self-sorting) complex FFT with precomputed twiddles, and a real FFT of even
//! length M as a complex FFT of length M/2 (no external dependency).

use std::f64::consts::PI;

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
        while rest.is_multiple_of(4) {
            factors.push(4);
            rest /= 4;
        }
        let mut p = 2;
        while rest > 1 {
            if p * p > rest {
                factors.push(rest);
                break;
            }
            while rest.is_multiple_of(p) {
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
pub(crate) struct RealFft {
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
    pub(crate) fn new(m: usize) -> Self {
        let half = m.is_multiple_of(2);
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
    pub(crate) fn input(&mut self) -> &mut [f64] {
        &mut self.input
    }

    /// Transform the input and call `f(k, |X_k|²)` for `k < bins` (`bins ≤ M/2 + 1`).
    pub(crate) fn power(&mut self, bins: usize, mut f: impl FnMut(usize, f64)) {
        if self.m.is_multiple_of(2) {
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
