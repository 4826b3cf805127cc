//! Coupling compiled for the step loop.
//!
//! Every coupling input of every mass is a sparse row `sum_t w_t f(x_src_t(t - lag_t))`.
//! Rows are compiled in two stages:
//!
//! 1. identical rows (same kind, receiving variable and terms) are evaluated once and
//!    added to every input they feed;
//! 2. rows reading the same delayed values (same sources and lags) but with different
//!    weights — ALN's mean and squared-weight network couplings, a node's EXC and INH
//!    masses listening to the same rate — share one *gather*: each delayed value is read
//!    from the history once and multiplied into one accumulator per weight column.
//!
//! Each column sums its terms in a fixed order — four interleaved partial sums, then the
//! remainder; term by term for the rare gathers of more than four columns — so the result
//! does not depend on threads or on the CPU. On x86_64 CPUs with AVX2 (detected once, when
//! the plan is built) the four partial sums are the lanes of one vector per column: one
//! 4-lane gather instruction reads four delayed values, with separate multiplications and
//! additions (no fused multiply-add), bit-identical to the portable scalar kernel. Setting
//! `NEUROMASS_SCALAR_COUPLING` (to anything) while a simulation is built forces the scalar
//! kernel.
//!
//! Two special forms serve the common cases: one-term node-local couplings of four
//! identical masses run as one 4-lane read ([`SingleQuad`]), and a dense additive network
//! coupling (a connectome with at least half its entries non-zero, 16 nodes or more) is
//! evaluated source by source, four targets per vector, each target summing its sources in
//! order (module [`fan_out`]): each source's delayed values are read by all targets while they are
//! in the cache.

use std::collections::HashMap;

use neuromass_core::{CouplingKind, WeightTransform};

mod fan_out;
use fan_out::FanOut;
pub(crate) use fan_out::MAX_COLUMNS as FAN_OUT_COLUMNS;

/// One pass over a set of delayed values, feeding one or more weight columns.
#[derive(Debug, Clone)]
struct Gather {
    kind: CouplingKind,
    /// State index of the receiving variable's own value (diffusive / multiplicative).
    own: usize,
    /// Terms `[start, end)` (history offsets).
    terms: (usize, usize),
    /// Number of weight columns.
    columns: usize,
    /// Writes `[start, end)` of the columns' sums into the inputs.
    writes: (usize, usize),
    /// First weight. With at most [`MAX_FIXED`] columns, the weights of each quad of terms
    /// come column by column (`[quad][column][lane]`), then the remaining terms'
    /// `[term][column]`; wider gathers are laid out `[term][column]`.
    weights: usize,
}

/// Put column `column`'s sum into `input`: assigned by the first column feeding that
/// input, added by the others.
#[derive(Debug, Clone, Copy)]
struct Write {
    input: usize,
    column: usize,
    assign: bool,
    /// The column's weight when its gather has a single term (then no sum is needed).
    weight: f64,
}

/// A gather of one delayed value into additive inputs (e.g. a node-local coupling),
/// stored compactly: its term and the end of its writes in `single_writes`.
#[derive(Debug, Clone, Copy)]
struct Single {
    term: u32,
    writes_end: u32,
}

/// Four one-term additive gathers whose writes follow one pattern shifted by one input per
/// lane (the same input of four consecutive masses of a block, e.g. a node-local coupling
/// of four identical nodes): one 4-lane read, then one multiplication and one store per
/// input. Its four terms are consecutive, from `term`; its writes end at `writes_end` in
/// `quad_writes`.
#[derive(Debug, Clone, Copy)]
struct SingleQuad {
    term: u32,
    writes_end: u32,
}

/// Inputs `input .. input + 4` a [`SingleQuad`] assigns: lane `l` gets `weights[l]` times
/// its delayed value.
#[derive(Debug, Clone, Copy)]
struct QuadWrite {
    input: u32,
    weights: [f64; 4],
}

/// One input a [`Single`] writes: `weight * value`, added if `add`, assigned otherwise.
#[derive(Debug, Clone, Copy)]
struct SingleWrite {
    input: u32,
    add: bool,
    weight: f64,
}

/// The widest gather summed over four interleaved partial sums; wider ones (rare) sum
/// their terms in plain order.
const MAX_FIXED: usize = 4;

/// Environment variable that, when set (to anything) while a plan is built, makes the plan
/// use the portable scalar kernel instead of AVX2 (for comparisons: the results are the
/// same bit for bit).
#[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
const SCALAR_ENV: &str = "NEUROMASS_SCALAR_COUPLING";

/// The compiled coupling of a network: gathers over the delay history.
#[derive(Debug, Clone, Default)]
pub(crate) struct CouplingPlan {
    /// One-term additive gathers four at a time, evaluated first (only when no input is
    /// fed by two one-term gathers, so their order does not matter).
    quads: Vec<SingleQuad>,
    quad_writes: Vec<QuadWrite>,
    /// The other one-term additive gathers, evaluated next.
    singles: Vec<Single>,
    single_writes: Vec<SingleWrite>,
    gathers: Vec<Gather>,
    /// Per term: source state index and lag in steps (to lay out the history).
    term_state: Vec<u32>,
    term_lag: Vec<u32>,
    /// Per term: offset of its delayed value from the newest history row (set by
    /// [`set_offsets`](Self::set_offsets)); 32 bits keep the per-step stream small.
    term_offset: Vec<u32>,
    weights: Vec<f64>,
    /// Where each column's sum goes, gather by gather.
    writes: Vec<Write>,
    /// Dense network couplings, evaluated source by source after the gathers.
    fan_outs: Vec<FanOut>,
    /// One accumulator per column of the widest gather wider than [`MAX_FIXED`].
    scratch: Vec<f64>,
    /// The CPU has AVX2 (checked once, when the plan is built) and the scalar kernel is
    /// not forced.
    avx2: bool,
    /// `avx2`, and every term offset fits the signed 32-bit indices of the vector gather.
    simd: bool,
    /// One more than the largest term offset: the shortest history the vector kernel may
    /// read (it reads without bounds checks).
    min_history: usize,
    /// The largest offset of the dense couplings.
    fan_out_max_offset: Option<u32>,
}

impl CouplingPlan {
    /// Source state index and lag (steps) of every term, in plan order.
    /// (For the dense couplings, each source once with its shortest lag: enough to lay out
    /// the history and find the shortest delay between threads.)
    pub(crate) fn terms(&self) -> impl Iterator<Item = (usize, usize)> + '_ {
        self.term_state
            .iter()
            .zip(&self.term_lag)
            .map(|(&s, &l)| (s as usize, l as usize))
            .chain(self.fan_outs.iter().flat_map(FanOut::terms))
    }

    /// The longest lag (steps) of any term; 0 without terms.
    pub(crate) fn max_lag(&self) -> usize {
        let gathers = self.term_lag.iter().copied().max().unwrap_or(0) as usize;
        self.fan_outs
            .iter()
            .map(FanOut::max_lag)
            .fold(gathers, usize::max)
    }

    /// Set each term's history offset from its source and lag; the caller guarantees
    /// offsets below `u32::MAX` (the history it lays out is smaller than that).
    pub(crate) fn set_offsets(&mut self, offset: impl Fn(usize, usize) -> usize) {
        self.term_offset = self
            .term_state
            .iter()
            .zip(&self.term_lag)
            .map(|(&s, &l)| offset(s as usize, l as usize) as u32)
            .collect();
        self.fan_out_max_offset = self
            .fan_outs
            .iter_mut()
            .map(|f| f.set_offsets(&offset))
            .max()
            .map(|m| m as u32);
        self.update_simd();
    }

    /// Turn one-term gathers (`(read, [(input, weight)])`, none fed yet) into
    /// [`SingleQuad`]s where four write one pattern shifted by one input per lane; returns
    /// which went into a quad and marks their inputs in `fed`. Only when no input is fed
    /// twice: then every write assigns and the order of evaluation does not matter.
    fn quad_singles(
        &mut self,
        singles: &[(Read, Vec<(usize, f64)>)],
        fed: &mut [bool],
    ) -> Vec<bool> {
        let mut quadded = vec![false; singles.len()];
        let inputs = |s: usize, shift: usize| -> Vec<usize> {
            singles[s]
                .1
                .iter()
                .map(|&(input, _)| input + shift)
                .collect()
        };
        let mut seen = vec![false; fed.len()];
        let once = singles
            .iter()
            .flat_map(|(_, writes)| writes)
            .all(|&(input, _)| !std::mem::replace(&mut seen[input], true));
        if !once || singles.len() < 4 {
            return quadded;
        }
        let by_inputs: HashMap<Vec<usize>, usize> =
            (0..singles.len()).map(|s| (inputs(s, 0), s)).collect();
        for a in 0..singles.len() {
            let lane = |l: usize| by_inputs.get(&inputs(a, l)).copied();
            let (Some(b), Some(c), Some(d)) = (lane(1), lane(2), lane(3)) else {
                continue;
            };
            let quad = [a, b, c, d];
            if quad.iter().any(|&s| quadded[s])
                || singles[a].1.iter().any(|&(i, _)| i + 3 > u32::MAX as usize)
            {
                continue;
            }
            let term = self.term_state.len() as u32;
            for &s in &quad {
                quadded[s] = true;
                self.term_state.push(singles[s].0.src);
                self.term_lag.push(singles[s].0.lag);
            }
            for (w, &(input, _)) in singles[a].1.iter().enumerate() {
                self.quad_writes.push(QuadWrite {
                    input: input as u32,
                    weights: quad.map(|s| singles[s].1[w].1),
                });
                fed[input..input + 4].fill(true);
            }
            self.quads.push(SingleQuad {
                term,
                writes_end: self.quad_writes.len() as u32,
            });
        }
        quadded
    }

    /// Recompute `min_history` and `simd` from the term offsets.
    fn update_simd(&mut self) {
        let max = self
            .term_offset
            .iter()
            .copied()
            .chain(self.fan_out_max_offset)
            .max();
        self.min_history = max.map_or(0, |m| m as usize + 1);
        self.simd = self.avx2 && max.is_none_or(|m| i32::try_from(m).is_ok());
    }

    /// Use the AVX2 kernel if `enabled` and the CPU and offsets allow it, the scalar
    /// kernel otherwise.
    #[cfg(test)]
    fn use_simd(&mut self, enabled: bool) {
        self.avx2 = enabled && avx2_detected();
        self.update_simd();
    }

    /// Overwrite every fed input with the coupling computed from `history` (offsets count
    /// from its start) and the current `state`. Inputs nothing feeds are left untouched:
    /// they keep the zero they were created with.
    #[inline]
    pub(crate) fn apply(&mut self, history: HistoryView<'_>, state: &[f64], inputs: &mut [f64]) {
        #[cfg(target_arch = "x86_64")]
        if self.simd && history.len >= self.min_history {
            // SAFETY: `simd` is only set when the CPU has AVX2 and every term offset fits
            // in an `i32`; every offset is below `min_history <= history.len`.
            unsafe { self.apply_avx2(history, state, inputs) };
            return;
        }
        // SAFETY: without `SIMD` the kernels only index with bounds checks.
        unsafe { self.apply_with::<false>(history, state, inputs) }
    }

    /// [`apply`](Self::apply) with the AVX2 kernel, compiled for AVX2 as a whole so the
    /// kernel inlines into the loop over the gathers.
    ///
    /// # Safety
    ///
    /// The CPU supports AVX2, and every term offset is below `history.len` and fits in
    /// an `i32`.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    unsafe fn apply_avx2(&mut self, history: HistoryView<'_>, state: &[f64], inputs: &mut [f64]) {
        // SAFETY: forwarded from this function's contract.
        unsafe { self.apply_with::<true>(history, state, inputs) }
    }

    /// The step's coupling, summed by the AVX2 kernel if `SIMD`, by the scalar one
    /// otherwise (same results).
    ///
    /// # Safety
    ///
    /// With `SIMD`, as for [`apply_avx2`](Self::apply_avx2); none otherwise.
    #[inline(always)]
    unsafe fn apply_with<const SIMD: bool>(
        &mut self,
        history: HistoryView<'_>,
        state: &[f64],
        inputs: &mut [f64],
    ) {
        let mut start = 0;
        for quad in &self.quads {
            let (term, end) = (quad.term as usize, quad.writes_end as usize);
            let writes = &self.quad_writes[start..end];
            let offsets = &self.term_offset[term..term + 4];
            #[cfg(target_arch = "x86_64")]
            if SIMD {
                // SAFETY: forwarded from this function's contract (`offsets` are plan terms).
                unsafe { avx2::single_quad(offsets, history, writes, inputs) };
                start = end;
                continue;
            }
            let h: [f64; 4] = std::array::from_fn(|l| history.get(offsets[l] as usize));
            for w in writes {
                let input = w.input as usize;
                for (l, x) in inputs[input..input + 4].iter_mut().enumerate() {
                    *x = w.weights[l] * h[l];
                }
            }
            start = end;
        }
        let mut start = 0;
        for single in &self.singles {
            let h = history.get(self.term_offset[single.term as usize] as usize);
            let end = single.writes_end as usize;
            for w in &self.single_writes[start..end] {
                let (input, a) = (w.input as usize, w.weight * h);
                if w.add {
                    inputs[input] += a;
                } else {
                    inputs[input] = a;
                }
            }
            start = end;
        }
        for g in &self.gathers {
            let writes = &self.writes[g.writes.0..g.writes.1];
            if g.terms.1 - g.terms.0 == 1 {
                // One delayed value (e.g. a node-local coupling): each write is its weight
                // times that value, as the one-term sum would be.
                let h = history.get(self.term_offset[g.terms.0] as usize);
                let v = match g.kind {
                    CouplingKind::Additive => h,
                    CouplingKind::Diffusive => h - state[g.own],
                    CouplingKind::Multiplicative => h * state[g.own],
                };
                for w in writes {
                    store(inputs, w, w.weight * v);
                }
                continue;
            }
            let offsets = &self.term_offset[g.terms.0..g.terms.1];
            let reads = Reads {
                offsets,
                weights: &self.weights[g.weights..g.weights + offsets.len() * g.columns],
                history,
                own: match g.kind {
                    CouplingKind::Additive => 0.0,
                    _ => state[g.own],
                },
            };
            let scratch = &mut self.scratch;
            // SAFETY: forwarded from this function's contract (`reads` holds plan terms).
            unsafe {
                match g.kind {
                    CouplingKind::Additive => {
                        gather::<SIMD, ADDITIVE>(&reads, g.columns, writes, inputs, scratch)
                    }
                    CouplingKind::Diffusive => {
                        gather::<SIMD, DIFFUSIVE>(&reads, g.columns, writes, inputs, scratch)
                    }
                    CouplingKind::Multiplicative => {
                        gather::<SIMD, MULTIPLICATIVE>(&reads, g.columns, writes, inputs, scratch)
                    }
                }
            }
        }
        for f in &mut self.fan_outs {
            // SAFETY: forwarded from this function's contract (fan-out offsets count in
            // `min_history` and the `i32` check).
            unsafe { f.apply::<SIMD>(history, inputs) };
        }
    }
}

/// Whether the CPU running this process has AVX2 (and the scalar kernel is not forced
/// with [`SCALAR_ENV`]).
fn avx2_detected() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::is_x86_feature_detected!("avx2") && std::env::var_os(SCALAR_ENV).is_none()
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// The map `f` applied to each delayed value `h` (`own` is the receiver's value).
const ADDITIVE: u8 = 0;
/// `f(h) = h - own`.
const DIFFUSIVE: u8 = 1;
/// `f(h) = h * own`.
const MULTIPLICATIVE: u8 = 2;

/// `f(h)` for coupling kind `MAP`.
#[inline(always)]
fn map<const MAP: u8>(h: f64, own: f64) -> f64 {
    match MAP {
        DIFFUSIVE => h - own,
        MULTIPLICATIVE => h * own,
        _ => h,
    }
}

/// What a gather reads: term offsets, weights, the history and the receiver's own value.
struct Reads<'a> {
    offsets: &'a [u32],
    weights: &'a [f64],
    history: HistoryView<'a>,
    own: f64,
}

impl<'a> Reads<'a> {
    /// Offsets, weights, history and own value.
    #[inline(always)]
    fn parts(&self) -> (&'a [u32], &'a [f64], HistoryView<'a>, f64) {
        (self.offsets, self.weights, self.history, self.own)
    }
}

/// Read access to the delay history: bounds-checked reads through a raw pointer (the vector
/// kernels gather from it).
#[derive(Debug, Clone, Copy)]
pub(crate) struct HistoryView<'a> {
    ptr: *const f64,
    len: usize,
    _history: std::marker::PhantomData<&'a [f64]>,
}

impl<'a> HistoryView<'a> {
    /// A view of `history`.
    pub(crate) fn new(history: &'a [f64]) -> Self {
        HistoryView {
            ptr: history.as_ptr(),
            len: history.len(),
            _history: std::marker::PhantomData,
        }
    }

    /// The value at `offset` (panics beyond the end).
    #[inline(always)]
    pub(crate) fn get(self, offset: usize) -> f64 {
        assert!(offset < self.len, "history offset out of range");
        // SAFETY: in bounds (checked); the constructor's contract excludes concurrent
        // writes to what is read.
        unsafe { self.ptr.add(offset).read() }
    }
}

/// Put `a` into the input `w` writes.
#[inline(always)]
fn store(inputs: &mut [f64], w: &Write, a: f64) {
    if w.assign {
        inputs[w.input] = a;
    } else {
        inputs[w.input] += a;
    }
}

/// Sum a gather of at least two terms and `columns` weight columns, and write the sums.
///
/// # Safety
///
/// With `SIMD`, as for [`CouplingPlan::apply_avx2`]; none otherwise.
#[inline(always)]
unsafe fn gather<const SIMD: bool, const MAP: u8>(
    reads: &Reads,
    columns: usize,
    writes: &[Write],
    inputs: &mut [f64],
    scratch: &mut [f64],
) {
    // SAFETY: forwarded from this function's contract.
    unsafe {
        match columns {
            1 => write_sums(writes, inputs, &sums::<SIMD, 1, MAP>(reads)),
            2 => write_sums(writes, inputs, &sums::<SIMD, 2, MAP>(reads)),
            3 => write_sums(writes, inputs, &sums::<SIMD, 3, MAP>(reads)),
            4 => write_sums(writes, inputs, &sums::<SIMD, 4, MAP>(reads)),
            k => {
                let acc = &mut scratch[..k];
                accumulate_wide::<MAP>(reads, acc);
                write_sums(writes, inputs, acc);
            }
        }
    }
}

/// Put the columns' sums into the inputs.
#[inline(always)]
fn write_sums(writes: &[Write], inputs: &mut [f64], sums: &[f64]) {
    for w in writes {
        store(inputs, w, sums[w.column]);
    }
}

/// The `K` column sums of a gather (`K <= MAX_FIXED`), by the AVX2 kernel if `SIMD` and
/// there is at least one quad of terms.
///
/// # Safety
///
/// With `SIMD`, as for [`CouplingPlan::apply_avx2`]; none otherwise.
#[inline(always)]
unsafe fn sums<const SIMD: bool, const K: usize, const MAP: u8>(reads: &Reads) -> [f64; K] {
    #[cfg(target_arch = "x86_64")]
    if SIMD && reads.offsets.len() >= 4 {
        // SAFETY: forwarded from this function's contract.
        return unsafe { avx2::sums::<K, MAP>(reads) };
    }
    accumulate_fixed::<K, MAP>(reads)
}

/// Column sums `sum_t weights[t][c] * f(history[offsets[t]])` over four interleaved
/// partial sums (terms `t ≡ 0, 1, 2, 3 mod 4`), added as `(s0 + s1) + (s2 + s3)` and then
/// the remaining terms in order: four independent addition chains instead of one, so long
/// rows (network couplings) are not bound by the latency of one addition per term. The
/// order is fixed, so results are reproducible; [`avx2::sums`] follows it lane by lane.
#[inline(always)]
fn accumulate_fixed<const K: usize, const MAP: u8>(reads: &Reads) -> [f64; K] {
    let (offsets, weights, history, own) = reads.parts();
    let mut partial = [[0.0; K]; 4];
    let quads = offsets.len() / 4;
    for (o, w) in offsets.chunks_exact(4).zip(weights.chunks_exact(4 * K)) {
        for (lane, sums) in partial.iter_mut().enumerate() {
            let h = map::<MAP>(history.get(o[lane] as usize), own);
            for c in 0..K {
                sums[c] += w[c * 4 + lane] * h;
            }
        }
    }
    let mut acc = [0.0; K];
    for c in 0..K {
        acc[c] = (partial[0][c] + partial[1][c]) + (partial[2][c] + partial[3][c]);
    }
    add_remainder::<K, MAP>(reads, quads, &mut acc);
    acc
}

/// Add the terms after the last whole quad (`quads` quads), term by term, to `acc`.
#[inline(always)]
fn add_remainder<const K: usize, const MAP: u8>(reads: &Reads, quads: usize, acc: &mut [f64; K]) {
    for (&o, w) in reads.offsets[4 * quads..]
        .iter()
        .zip(reads.weights[4 * quads * K..].chunks_exact(K))
    {
        let h = map::<MAP>(reads.history.get(o as usize), reads.own);
        for c in 0..K {
            acc[c] += w[c] * h;
        }
    }
}

/// Column sums of a gather wider than [`MAX_FIXED`] columns, term by term in order.
#[inline(always)]
fn accumulate_wide<const MAP: u8>(reads: &Reads, acc: &mut [f64]) {
    acc.fill(0.0);
    for (&o, w) in reads
        .offsets
        .iter()
        .zip(reads.weights.chunks_exact(acc.len()))
    {
        let h = map::<MAP>(reads.history.get(o as usize), reads.own);
        for (a, &w) in acc.iter_mut().zip(w) {
            *a += w * h;
        }
    }
}

/// The AVX2 kernel: lane `l` of column `c`'s accumulator is the scalar kernel's partial
/// sum `l` of that column, so with separate multiplications and additions (no fused
/// multiply-add) every sum is bit-identical to [`accumulate_fixed`]'s.
#[cfg(target_arch = "x86_64")]
mod avx2 {
    use std::arch::x86_64::{
        __m256d, _mm_add_sd, _mm_cvtsd_f64, _mm_hadd_pd, _mm_loadu_si128, _mm_unpackhi_pd,
        _mm256_add_pd, _mm256_castpd256_pd128, _mm256_extractf128_pd, _mm256_i32gather_pd,
        _mm256_loadu_pd, _mm256_mul_pd, _mm256_set1_pd, _mm256_setzero_pd, _mm256_storeu_pd,
        _mm256_sub_pd,
    };

    use super::{DIFFUSIVE, HistoryView, MULTIPLICATIVE, QuadWrite, Reads};

    /// A [`SingleQuad`](super::SingleQuad): its four delayed values in one gather, each
    /// write one multiplication and one 4-lane store (the scalar kernel's products).
    ///
    /// # Safety
    ///
    /// The CPU supports AVX2; the four `offsets` are below `history.len` and fit in an
    /// `i32`.
    #[target_feature(enable = "avx2")]
    #[inline]
    pub(super) unsafe fn single_quad(
        offsets: &[u32],
        history: HistoryView<'_>,
        writes: &[QuadWrite],
        inputs: &mut [f64],
    ) {
        assert!(offsets.len() == 4);
        // SAFETY: AVX2 is available and the offsets are in bounds (contract); the index load
        // reads the 4 `u32` asserted above; each store writes `input .. input + 4`, checked.
        unsafe {
            let idx = _mm_loadu_si128(offsets.as_ptr().cast());
            let h = _mm256_i32gather_pd::<8>(history.ptr, idx);
            for w in writes {
                let to = &mut inputs[w.input as usize..w.input as usize + 4];
                let v = _mm256_mul_pd(_mm256_loadu_pd(w.weights.as_ptr()), h);
                _mm256_storeu_pd(to.as_mut_ptr(), v);
            }
        }
    }

    /// [`accumulate_fixed`](super::accumulate_fixed) with one 4-lane gather per quad of
    /// terms.
    ///
    /// # Safety
    ///
    /// The CPU supports AVX2; every offset is below `reads.history.len` and fits in an
    /// `i32`; `reads.weights` holds `K` weights per offset, laid out as in
    /// [`Gather`](super::Gather).
    #[target_feature(enable = "avx2")]
    #[inline]
    pub(super) unsafe fn sums<const K: usize, const MAP: u8>(reads: &Reads) -> [f64; K] {
        let (offsets, weights, history, own) = reads.parts();
        let quads = offsets.len() / 4;
        debug_assert!(weights.len() >= offsets.len() * K);
        // SAFETY: AVX2 is available (contract). The index loads read 4 `u32` of a 4-term
        // chunk and the weight loads 4 `f64` of a `4 K` chunk (`c < K`); the gather reads
        // `history` at offsets below its length, which as non-negative `i32`s it
        // sign-extends to themselves.
        unsafe {
            let own_v = _mm256_set1_pd(own);
            let mut acc: [__m256d; K] = [_mm256_setzero_pd(); K];
            for (o, w) in offsets.chunks_exact(4).zip(weights.chunks_exact(4 * K)) {
                let idx = _mm_loadu_si128(o.as_ptr().cast());
                let h = _mm256_i32gather_pd::<8>(history.ptr, idx);
                let h = match MAP {
                    DIFFUSIVE => _mm256_sub_pd(h, own_v),
                    MULTIPLICATIVE => _mm256_mul_pd(h, own_v),
                    _ => h,
                };
                for (c, a) in acc.iter_mut().enumerate() {
                    let w = _mm256_loadu_pd(w.as_ptr().add(4 * c));
                    *a = _mm256_add_pd(*a, _mm256_mul_pd(w, h));
                }
            }
            let mut out = [0.0; K];
            for (o, a) in out.iter_mut().zip(acc) {
                // [s0 + s1, s2 + s3], then their sum.
                let s = _mm_hadd_pd(_mm256_castpd256_pd128(a), _mm256_extractf128_pd::<1>(a));
                *o = _mm_cvtsd_f64(_mm_add_sd(s, _mm_unpackhi_pd(s, s)));
            }
            super::add_remainder::<K, MAP>(reads, quads, &mut out);
            out
        }
    }
}

/// A delayed value a gather reads: source state index and lag in steps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Read {
    src: u32,
    lag: u32,
}

impl Read {
    /// Lags saturate at `u32::MAX` (the engine's history size check then fails with a
    /// clear error); the engine checks that state indices fit in 32 bits.
    fn new(src: usize, lag: usize) -> Self {
        Read {
            src: src as u32,
            lag: lag.min(u32::MAX as usize) as u32,
        }
    }
}

/// One weight column of a [`Group`]: a weight per read, and the inputs its sum feeds.
struct Column {
    weights: Vec<f64>,
    feeds: Vec<usize>,
}

/// Rows reading the same delayed values (kind, own index, reads), one column per distinct
/// weight vector: compiled into one gather.
struct Group {
    kind: CouplingKind,
    own: usize,
    reads: Vec<Read>,
    columns: Vec<Column>,
}

impl Group {
    /// Whether `other` reads the same delayed values.
    fn same_reads(&self, other: &Group) -> bool {
        self.kind == other.kind && self.own == other.own && self.reads == other.reads
    }

    /// Fingerprint of the reads: a hash of the kind, own index, length and up to 16 evenly
    /// spread reads. Groups with equal reads have equal fingerprints; groups that share one
    /// are compared in full.
    fn fingerprint(&self) -> u64 {
        const K: u64 = 0x517c_c1b7_2722_0a95;
        let mix = |h: u64, x: u64| (h.rotate_left(5) ^ x).wrapping_mul(K);
        let n = self.reads.len();
        let mut h = mix(mix(mix(0, self.kind as u64), self.own as u64), n as u64);
        for r in self.reads.iter().step_by(n.div_ceil(16).max(1)) {
            h = mix(h, ((r.src as u64) << 32) | r.lag as u64);
        }
        h
    }
}

/// Bit-identical weight vectors (so that `-0.0` and `0.0`, or two NaNs, are told apart
/// exactly as the sums would tell them).
fn same_weights(a: &[f64], b: &[f64]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits())
}

/// Write column `column` (of `k`) of a gather's weights, `weight(c)` for each kept
/// connectivity `c`, into `weights` laid out as described at `Gather::weights` (`quads`
/// quads of terms column by column, then the remaining terms `[term][column]`).
fn lay_out(
    weights: &mut [f64],
    kept: &[f64],
    column: usize,
    k: usize,
    quads: usize,
    weight: impl Fn(f64) -> f64,
) {
    let (quad_weights, rest) = weights.split_at_mut(4 * quads * k);
    for (to, from) in quad_weights
        .chunks_exact_mut(4 * k)
        .zip(kept.chunks_exact(4))
    {
        for (w, &c) in to[4 * column..4 * column + 4].iter_mut().zip(from) {
            *w = weight(c);
        }
    }
    for (to, &c) in rest.chunks_exact_mut(k).zip(&kept[4 * quads..]) {
        to[column] = weight(c);
    }
}

/// Collects coupling rows and compiles them into a [`CouplingPlan`].
#[derive(Default)]
pub(crate) struct CouplingBuilder {
    /// Groups in the order their reads were first seen.
    groups: Vec<Group>,
    /// Reads fingerprint -> groups with that fingerprint.
    index: HashMap<u64, Vec<usize>>,
    /// Gathers added by [`push_columns`](Self::push_columns), already in the plan's
    /// layout (a network's rows are large: they are written once, where they will stay).
    direct: Direct,
    /// Connectivity of the terms [`push_columns`](Self::push_columns) keeps (reused).
    kept: Vec<f64>,
    /// Dense couplings (see [`begin_fan_out`](Self::begin_fan_out)).
    fan_outs: Vec<FanOut>,
}

/// Gathers in the plan's layout: terms, weights, gathers and their writes, the writes'
/// `assign` flags resolved by [`CouplingBuilder::finish`].
#[derive(Default)]
struct Direct {
    term_state: Vec<u32>,
    term_lag: Vec<u32>,
    weights: Vec<f64>,
    gathers: Vec<Gather>,
    writes: Vec<Write>,
}

impl CouplingBuilder {
    /// Add `input += sum_t w_t f(x_src_t(t - lag_t))` from `(src, w, lag)` terms; rows
    /// without terms are dropped.
    pub(crate) fn push(
        &mut self,
        input: usize,
        kind: CouplingKind,
        own: usize,
        terms: impl Iterator<Item = (usize, f64, usize)>,
    ) {
        let n = terms.size_hint().1.unwrap_or(0);
        let (mut reads, mut weights) = (Vec::with_capacity(n), Vec::with_capacity(n));
        for (src, w, lag) in terms {
            reads.push(Read::new(src, lag));
            weights.push(w);
        }
        if reads.is_empty() {
            return;
        }
        self.insert(Group {
            kind,
            own: if kind == CouplingKind::Additive {
                0
            } else {
                own
            },
            reads,
            columns: vec![Column {
                weights,
                feeds: vec![input],
            }],
        });
    }

    /// Add one row per column over the same delayed values in one pass: `columns[c]` is
    /// the inputs column `c` feeds and its weight transform. Source `j` is read from state
    /// index `sources[j]` (`u32::MAX`: none) at lag `lag(j)` (steps), with connectivity
    /// `connectivity[j]`, column `c` weighting it by `transform(connectivity[j])`. Terms
    /// whose weights are all zero (or without a source) are skipped, columns whose weights
    /// are all zero dropped (as [`push`](Self::push) would do row by row); a weight that is
    /// zero in one column only (a squared weight that underflows) stays, as a term adding
    /// zero. The gather is evaluated after those of [`push`](Self::push), in the order of
    /// these calls, and is not merged with other rows.
    pub(crate) fn push_columns(
        &mut self,
        kind: CouplingKind,
        own: usize,
        columns: Vec<(Vec<usize>, WeightTransform)>,
        connectivity: &[f64],
        sources: &[u32],
        lag: impl Fn(usize) -> usize,
    ) {
        // A term stays if some column weights it: linear weights are non-zero wherever the
        // connectivity is, squared ones unless the square underflows.
        let linear = columns.iter().any(|(_, t)| *t == WeightTransform::Linear);
        let d = &mut self.direct;
        let term_start = d.term_state.len();
        self.kept.clear();
        for (j, (&c, &src)) in connectivity.iter().zip(sources).enumerate() {
            if c != 0.0 && src != u32::MAX && (linear || c * c != 0.0) {
                d.term_state.push(src);
                d.term_lag.push(lag(j).min(u32::MAX as usize) as u32);
                self.kept.push(c);
            }
        }
        let kept = &self.kept;
        let columns: Vec<(Vec<usize>, WeightTransform)> = columns
            .into_iter()
            .filter(|(_, t)| kept.iter().any(|&c| t.apply(c) != 0.0))
            .collect();
        let (n, k) = (kept.len(), columns.len());
        if n <= 1 || k == 0 {
            // Nothing to read, or one term: the compact form `push` gives one-term rows.
            let read = (n == 1).then(|| Read {
                src: d.term_state[term_start],
                lag: d.term_lag[term_start],
            });
            d.term_state.truncate(term_start);
            d.term_lag.truncate(term_start);
            if let (Some(read), Some(&c), true) = (read, kept.first(), k > 0) {
                let columns = columns
                    .into_iter()
                    .map(|(feeds, t)| Column {
                        weights: vec![t.apply(c)],
                        feeds,
                    })
                    .collect();
                self.insert(Group {
                    kind,
                    own: if kind == CouplingKind::Additive {
                        0
                    } else {
                        own
                    },
                    reads: vec![read],
                    columns,
                });
            }
            return;
        }
        // Weights in the layout described at `Gather::weights`, column by column.
        let weight_start = d.weights.len();
        d.weights.resize(weight_start + n * k, 0.0);
        let quads = if k <= MAX_FIXED { n / 4 } else { 0 };
        let weights = &mut d.weights[weight_start..];
        for (column, (_, t)) in columns.iter().enumerate() {
            match t {
                WeightTransform::Linear => lay_out(weights, kept, column, k, quads, |c| c),
                WeightTransform::Squared => lay_out(weights, kept, column, k, quads, |c| c * c),
            }
        }
        let write_start = d.writes.len();
        for (column, (feeds, t)) in columns.iter().enumerate() {
            for &input in feeds {
                d.writes.push(Write {
                    input,
                    column,
                    assign: false,
                    weight: t.apply(kept[0]),
                });
            }
        }
        d.gathers.push(Gather {
            kind,
            own: if kind == CouplingKind::Additive {
                0
            } else {
                own
            },
            terms: (term_start, d.term_state.len()),
            columns: k,
            writes: (write_start, d.writes.len()),
            weights: weight_start,
        });
    }

    /// Start a dense coupling evaluated source by source, for `targets` targets reading
    /// `sources` (state index per source, `u32::MAX` for none) with weight columns of
    /// transforms `columns` (one to [`FAN_OUT_COLUMNS`]); additive. Returns its index for
    /// [`set_fan_out_target`](Self::set_fan_out_target). It is evaluated after everything
    /// else, its targets in order.
    pub(crate) fn begin_fan_out(
        &mut self,
        sources: &[u32],
        targets: usize,
        columns: &[WeightTransform],
    ) -> usize {
        self.fan_outs.push(FanOut::new(sources, targets, columns));
        self.fan_outs.len() - 1
    }

    /// Set target `target` of fan-out `fan_out` (targets in order, each once): as
    /// [`push_columns`](Self::push_columns) for one row.
    pub(crate) fn set_fan_out_target(
        &mut self,
        fan_out: usize,
        target: usize,
        columns: &[(Vec<usize>, WeightTransform)],
        connectivity: &[f64],
        lag: impl Fn(usize) -> usize,
    ) {
        self.fan_outs[fan_out].set_target(target, columns, connectivity, lag);
    }

    /// Reserve room for `terms` more terms and `weights` more weights of
    /// [`push_columns`](Self::push_columns) (an upper bound costs only address space).
    pub(crate) fn reserve_direct(&mut self, terms: usize, weights: usize) {
        let d = &mut self.direct;
        d.term_state.reserve(terms);
        d.term_lag.reserve(terms);
        d.weights.reserve(weights);
    }

    /// Merge `group` into the group with the same reads (a column with bit-identical
    /// weights gains its feeds, other columns are appended), or keep it as a new group.
    fn insert(&mut self, group: Group) {
        let candidates = self.index.entry(group.fingerprint()).or_default();
        let Some(&g) = candidates
            .iter()
            .find(|&&g| self.groups[g].same_reads(&group))
        else {
            candidates.push(self.groups.len());
            self.groups.push(group);
            return;
        };
        let columns = &mut self.groups[g].columns;
        for column in group.columns {
            match columns
                .iter_mut()
                .find(|c| same_weights(&c.weights, &column.weights))
            {
                Some(same) => same.feeds.extend(column.feeds),
                None => columns.push(column),
            }
        }
    }

    /// Compile the groups into gathers; `n_inputs` is the number of coupling inputs in the
    /// network.
    pub(crate) fn finish(self, n_inputs: usize) -> CouplingPlan {
        // The direct gathers' terms and weights stay where they are; the groups' follow.
        let direct = self.direct;
        let mut plan = CouplingPlan {
            term_state: direct.term_state,
            term_lag: direct.term_lag,
            weights: direct.weights,
            ..CouplingPlan::default()
        };
        let n_terms: usize = self.groups.iter().map(|g| g.reads.len()).sum();
        plan.term_state.reserve(n_terms);
        plan.term_lag.reserve(n_terms);
        let mut fed = vec![false; n_inputs];
        // One-term additive gathers first, in their compact form; the others after them.
        let (singles, groups): (Vec<_>, Vec<_>) = self.groups.into_iter().partition(|g| {
            g.reads.len() == 1 && g.kind == CouplingKind::Additive && n_inputs <= u32::MAX as usize
        });
        // Each one-term gather: its read and its writes (input, weight).
        let singles: Vec<(Read, Vec<(usize, f64)>)> = singles
            .into_iter()
            .map(|g| {
                let writes = g
                    .columns
                    .iter()
                    .flat_map(|c| c.feeds.iter().map(|&input| (input, c.weights[0])))
                    .collect();
                (g.reads[0], writes)
            })
            .collect();
        let quadded = plan.quad_singles(&singles, &mut fed);
        for ((read, writes), _) in singles.iter().zip(quadded).filter(|(_, q)| !q) {
            plan.term_state.push(read.src);
            plan.term_lag.push(read.lag);
            for &(input, weight) in writes {
                plan.single_writes.push(SingleWrite {
                    input: input as u32,
                    add: fed[input],
                    weight,
                });
                fed[input] = true;
            }
            plan.singles.push(Single {
                term: (plan.term_state.len() - 1) as u32,
                writes_end: plan.single_writes.len() as u32,
            });
        }
        for group in groups {
            let (term_start, write_start, weight_start) =
                (plan.term_state.len(), plan.writes.len(), plan.weights.len());
            plan.term_state.extend(group.reads.iter().map(|r| r.src));
            plan.term_lag.extend(group.reads.iter().map(|r| r.lag));
            // Weights in the layout described at `Gather::weights`.
            let (n, k) = (group.reads.len(), group.columns.len());
            let quads = if k <= MAX_FIXED { n / 4 } else { 0 };
            plan.weights.reserve(n * k);
            for q in 0..quads {
                for column in &group.columns {
                    plan.weights
                        .extend_from_slice(&column.weights[4 * q..4 * q + 4]);
                }
            }
            for t in 4 * quads..n {
                plan.weights
                    .extend(group.columns.iter().map(|column| column.weights[t]));
            }
            for (c, column) in group.columns.iter().enumerate() {
                // Inputs fed here for the first time are assigned, the others added to.
                for &input in &column.feeds {
                    plan.writes.push(Write {
                        input,
                        column: c,
                        assign: !fed[input],
                        weight: column.weights[0],
                    });
                    fed[input] = true;
                }
            }
            plan.gathers.push(Gather {
                kind: group.kind,
                own: group.own,
                terms: (term_start, plan.term_state.len()),
                columns: k,
                writes: (write_start, plan.writes.len()),
                weights: weight_start,
            });
            if k > MAX_FIXED {
                plan.scratch.resize(plan.scratch.len().max(k), 0.0);
            }
        }
        // The direct gathers last, in the order they were added.
        for mut gather in direct.gathers {
            let start = plan.writes.len();
            for w in &direct.writes[gather.writes.0..gather.writes.1] {
                plan.writes.push(Write {
                    assign: !fed[w.input],
                    ..*w
                });
                fed[w.input] = true;
            }
            gather.writes = (start, plan.writes.len());
            if gather.columns > MAX_FIXED {
                plan.scratch
                    .resize(plan.scratch.len().max(gather.columns), 0.0);
            }
            plan.gathers.push(gather);
        }
        // The dense couplings after everything else.
        for mut f in self.fan_outs {
            if !f.is_empty() {
                f.resolve_writes(&mut fed);
                plan.fan_outs.push(f);
            }
        }
        plan.avx2 = avx2_detected();
        plan
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A row feeding `input`: its kind and (source slot, weight) terms, all at lag 0.
    type TestRow = (usize, CouplingKind, Vec<(usize, f64)>);

    /// The plan of `rows`, each term reading history slot `src` of a single row.
    fn plan(rows: &[TestRow], n_inputs: usize) -> CouplingPlan {
        let mut b = CouplingBuilder::default();
        for (input, kind, terms) in rows {
            b.push(*input, *kind, 0, terms.iter().map(|&(s, w)| (s, w, 0)));
        }
        let mut p = b.finish(n_inputs);
        p.set_offsets(|src, _| src);
        p
    }

    #[test]
    fn grouped_and_repeated_rows_sum_like_separate_rows() {
        use CouplingKind::Additive;
        let history = [2.0, 3.0, 5.0];
        let rows = vec![
            // Identical rows into the same input (evaluated once, counted twice).
            (0, Additive, vec![(0, 1.0), (1, 10.0)]),
            (0, Additive, vec![(0, 1.0), (1, 10.0)]),
            // Same delayed values, different weights: one gather, two columns.
            (1, Additive, vec![(0, 0.5), (1, 0.25)]),
            (2, Additive, vec![(0, 4.0), (1, -1.0)]),
            // Another gather adding into input 1 again.
            (1, Additive, vec![(2, 2.0)]),
        ];
        let mut p = plan(&rows, 4);
        assert_eq!(
            (p.gathers.len(), p.singles.len()),
            (1, 1),
            "rows over the same terms share a gather; one-term rows are singles"
        );
        let mut inputs = [0.0, 0.0, 0.0, 7.0];
        for _ in 0..2 {
            // Applying twice gives the same result: fed inputs are overwritten, not accumulated.
            p.apply(HistoryView::new(&history), &[], &mut inputs);
            assert_eq!(inputs[0], 2.0 * (2.0 + 30.0));
            assert_eq!(inputs[1], 1.0 + 0.75 + 10.0);
            assert_eq!(inputs[2], 8.0 - 3.0);
            assert_eq!(inputs[3], 7.0, "an input nothing feeds is never written");
        }
    }

    /// Inputs after applying the plan of `build` over `history` (term offset = source).
    fn applied(build: impl FnOnce(&mut CouplingBuilder), history: &[f64], n: usize) -> Vec<f64> {
        let mut b = CouplingBuilder::default();
        build(&mut b);
        let mut p = b.finish(n);
        p.set_offsets(|src, _| src);
        let mut inputs = vec![f64::NAN; n];
        p.apply(HistoryView::new(history), &[], &mut inputs);
        inputs
    }

    #[test]
    fn columns_in_one_pass_equal_rows_pushed_one_by_one() {
        use WeightTransform::{Linear, Squared};
        let mut rng = 11u64;
        for n in [0, 1, 2, 5, 13, 40] {
            let history: Vec<f64> = (0..n).map(|_| value(&mut rng)).collect();
            // Some zero weights, some sources missing (`u32::MAX`).
            let c: Vec<f64> = (0..n)
                .map(|j| if j % 3 == 1 { 0.0 } else { value(&mut rng) })
                .collect();
            let sources: Vec<u32> = (0..n as u32)
                .map(|j| if j % 7 == 5 { u32::MAX } else { j })
                .collect();
            let terms = |t: WeightTransform| {
                let c = c.clone();
                let sources = sources.clone();
                (0..n).filter_map(move |j| {
                    let w = t.apply(c[j]);
                    (w != 0.0 && sources[j] != u32::MAX).then_some((sources[j] as usize, w, 0))
                })
            };
            let rows = applied(
                |b| {
                    b.push(0, CouplingKind::Additive, 0, terms(Linear));
                    b.push(1, CouplingKind::Additive, 0, terms(Squared));
                    b.push(2, CouplingKind::Additive, 0, terms(Linear));
                },
                &history,
                4,
            );
            let columns = applied(
                |b| {
                    b.push_columns(
                        CouplingKind::Additive,
                        0,
                        vec![(vec![0, 2], Linear), (vec![1], Squared)],
                        &c,
                        &sources,
                        |_| 0,
                    )
                },
                &history,
                4,
            );
            for (k, (a, b)) in rows.iter().zip(&columns).enumerate() {
                assert_eq!(a.to_bits(), b.to_bits(), "n = {n}, input {k}: {a} vs {b}");
            }
            assert!(columns[3].is_nan(), "input 3 is fed by nothing");
        }
    }

    #[test]
    fn one_term_rows_of_identical_masses_run_four_at_a_time_with_the_same_numbers() {
        // Nine "nodes" of a block of 9 masses: node k reads history slots 2k and 2k + 1
        // and writes inputs 9 i + k (input i of mass k, structure of arrays).
        let mut rng = 3u64;
        let history: Vec<f64> = (0..18).map(|_| value(&mut rng)).collect();
        let weights: Vec<f64> = (0..36).map(|_| value(&mut rng)).collect();
        let rows: Vec<TestRow> = (0..9)
            .flat_map(|k| {
                let w = &weights[4 * k..4 * k + 4];
                [
                    (k, CouplingKind::Additive, vec![(2 * k, w[0])]),
                    (9 + k, CouplingKind::Additive, vec![(2 * k, w[1])]),
                    (18 + k, CouplingKind::Additive, vec![(2 * k + 1, w[2])]),
                    (27 + k, CouplingKind::Additive, vec![(2 * k + 1, w[3])]),
                ]
            })
            .collect();
        let expected: Vec<f64> = (0..36)
            .map(|input| {
                let (i, k) = (input / 9, input % 9);
                weights[4 * k + i] * history[2 * k + i / 2]
            })
            .collect();
        for simd in [false, true] {
            let mut p = plan(&rows, 36);
            p.use_simd(simd);
            assert_eq!(
                (p.quads.len(), p.singles.len()),
                (4, 2),
                "nodes 0-7 in two quads per read, node 8 alone"
            );
            let mut inputs = vec![f64::NAN; 36];
            p.apply(HistoryView::new(&history), &[], &mut inputs);
            for (k, (a, b)) in inputs.iter().zip(&expected).enumerate() {
                assert_eq!(a.to_bits(), b.to_bits(), "simd {simd}, input {k}");
            }
        }
        // An input fed twice: no quads (the order of the sums matters), same numbers.
        let mut twice = rows.clone();
        twice.push((0, CouplingKind::Additive, vec![(5, 2.0)]));
        let mut p = plan(&twice, 36);
        assert!(p.quads.is_empty());
        let mut inputs = vec![f64::NAN; 36];
        p.apply(HistoryView::new(&history), &[], &mut inputs);
        assert_eq!(inputs[0], expected[0] + 2.0 * history[5]);
        assert_eq!(&inputs[1..], &expected[1..]);
    }

    #[test]
    fn dense_couplings_sum_each_target_over_its_sources_in_order() {
        use WeightTransform::{Linear, Squared};
        let mut rng = 5u64;
        // 21 sources (source 4 lacks the variable), 23 targets (target 6 reads nothing,
        // target 7 is skipped; six quads, the last one partial: the vector kernel sums
        // four quads side by side, then one at a time), lags 0..5, the value `lag` steps
        // back of source `j` at history offset `10 j + 5 - lag`.
        let (n, targets) = (21, 23);
        let sources: Vec<u32> = (0..n as u32)
            .map(|j| if j == 4 { u32::MAX } else { j })
            .collect();
        let history: Vec<f64> = (0..10 * n).map(|_| value(&mut rng)).collect();
        let rows: Vec<Vec<f64>> = (0..targets)
            .map(|t| {
                (0..n)
                    .map(|j| match (t, j % 5) {
                        (6, _) | (_, 2) => 0.0,
                        _ => value(&mut rng),
                    })
                    .collect()
            })
            .collect();
        let lag = |t: usize, j: usize| (t * 7 + j * 3) % 6;
        // Every mix of transforms: one sum each, both, and columns sharing a sum.
        let mixes: [&[WeightTransform]; 5] = [
            &[Linear],
            &[Squared],
            &[Linear, Squared],
            &[Squared, Linear],
            &[Linear, Squared, Linear, Squared],
        ];
        for (mix, simd) in mixes.iter().flat_map(|m| [(m, false), (m, true)]) {
            let k = mix.len();
            let mut b = CouplingBuilder::default();
            let f = b.begin_fan_out(&sources, targets, mix);
            for t in (0..targets).filter(|&t| t != 7) {
                let columns: Vec<(Vec<usize>, WeightTransform)> = mix
                    .iter()
                    .enumerate()
                    .map(|(c, &w)| (vec![k * t + c], w))
                    .collect();
                b.set_fan_out_target(f, t, &columns, &rows[t], |j| lag(t, j));
            }
            let mut p = b.finish(k * targets);
            p.set_offsets(|src, lag| 10 * src + 5 - lag);
            p.use_simd(simd);
            assert_eq!(p.max_lag(), 5);
            let mut inputs = vec![f64::NAN; k * targets];
            p.apply(HistoryView::new(&history), &[], &mut inputs);
            for t in 0..targets {
                for (c, w) in mix.iter().enumerate() {
                    let mut sum = 0.0;
                    for j in (0..n).filter(|&j| sources[j] != u32::MAX) {
                        sum += w.apply(rows[t][j]) * history[10 * j + 5 - lag(t, j)];
                    }
                    let got = inputs[k * t + c];
                    if t == 6 || t == 7 {
                        assert!(got.is_nan(), "target {t} reads nothing and feeds nothing");
                    } else {
                        assert_eq!(
                            got.to_bits(),
                            sum.to_bits(),
                            "{mix:?}, simd {simd}, target {t}, column {c}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn a_squared_weight_that_underflows_adds_zero() {
        use WeightTransform::{Linear, Squared};
        // 1e-200^2 underflows to 0: the term stays for the linear column only.
        let (c, history) = ([1e-200, 2.0, 3.0], [5.0, 7.0, 11.0]);
        let inputs = applied(
            |b| {
                b.push_columns(
                    CouplingKind::Additive,
                    0,
                    vec![(vec![0], Linear), (vec![1], Squared)],
                    &c,
                    &[0, 1, 2],
                    |_| 0,
                )
            },
            &history,
            2,
        );
        assert_eq!(
            inputs,
            [
                1e-200 * 5.0 + 2.0 * 7.0 + 3.0 * 11.0,
                4.0 * 7.0 + 9.0 * 11.0
            ]
        );
        // Only squared columns: the underflowing term is dropped, a column of zeros too.
        let inputs = applied(
            |b| {
                b.push_columns(
                    CouplingKind::Additive,
                    0,
                    vec![(vec![0], Squared)],
                    &[1e-200, 1e-300],
                    &[0, 1],
                    |_| 0,
                )
            },
            &history,
            1,
        );
        assert!(inputs[0].is_nan(), "a column of zero weights feeds nothing");
    }

    #[test]
    fn diffusive_and_multiplicative_use_the_receivers_value() {
        let history = [2.0, 3.0];
        let state = [10.0];
        let mut b = CouplingBuilder::default();
        b.push(
            0,
            CouplingKind::Diffusive,
            0,
            [(0, 1.0, 0), (1, 2.0, 0)].into_iter(),
        );
        b.push(
            1,
            CouplingKind::Multiplicative,
            0,
            [(0, 1.0, 0), (1, 2.0, 0)].into_iter(),
        );
        let mut p = b.finish(2);
        p.set_offsets(|src, _| src);
        let mut inputs = [0.0; 2];
        p.apply(HistoryView::new(&history), &state, &mut inputs);
        assert_eq!(inputs[0], (2.0 - 10.0) + 2.0 * (3.0 - 10.0));
        assert_eq!(inputs[1], 2.0 * 10.0 + 2.0 * (3.0 * 10.0));
    }
    /// A random group of rows reading the same delayed values with different weights.
    #[derive(Debug, Clone)]
    struct Group {
        kind: CouplingKind,
        own: usize,
        /// Per term: source slot and lag.
        reads: Vec<(usize, usize)>,
        /// Per row: one weight per term.
        rows: Vec<Vec<f64>>,
    }

    const SOURCES: usize = 50;
    const LAGS: usize = 10;

    /// History offset of a source slot at a lag.
    fn offset(src: usize, lag: usize) -> usize {
        lag * SOURCES + src
    }

    /// A float of magnitude about `2^-30 .. 2^30`, so that summation order shows in
    /// the rounding; sometimes a signed zero.
    fn value(rng: &mut u64) -> f64 {
        *rng = rng
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let r = *rng >> 11;
        match r % 23 {
            0 => 0.0,
            1 => -0.0,
            _ => {
                let x = (r >> 8) as f64 / (1u64 << 45) as f64 - 0.5;
                x * 2f64.powi((r % 61) as i32 - 30)
            }
        }
    }

    fn groups() -> impl Strategy<Value = (Vec<Group>, u64)> {
        let group = (1usize..=40, 1usize..=5, 0usize..3, 0usize..8, any::<u64>()).prop_map(
            |(n, k, kind, own, seed)| {
                let mut rng = seed;
                let mut next = |m: usize| {
                    rng = rng
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    (rng >> 33) as usize % m
                };
                let reads = (0..n).map(|_| (next(SOURCES), next(LAGS))).collect();
                let rows = (0..k)
                    .map(|_| (0..n).map(|_| value(&mut rng)).collect())
                    .collect();
                let kind = [
                    CouplingKind::Additive,
                    CouplingKind::Diffusive,
                    CouplingKind::Multiplicative,
                ][kind];
                Group {
                    kind,
                    own,
                    reads,
                    rows,
                }
            },
        );
        (prop::collection::vec(group, 1..5), any::<u64>())
    }

    /// The documented order, evaluated directly: a single term is `w f(h)`; a gather of
    /// at most four columns sums four interleaved partial sums, `(s0 + s1) + (s2 + s3)`,
    /// then the remaining terms; a wider gather sums its terms in order.
    fn reference(g: &Group, weights: &[f64], columns: usize, history: &[f64], own: f64) -> f64 {
        let f = |t: usize| {
            let (src, lag) = g.reads[t];
            let h = history[offset(src, lag)];
            match g.kind {
                CouplingKind::Additive => h,
                CouplingKind::Diffusive => h - own,
                CouplingKind::Multiplicative => h * own,
            }
        };
        let n = weights.len();
        if n == 1 {
            return weights[0] * f(0);
        }
        let terms = weights.iter().enumerate();
        if columns > MAX_FIXED {
            return terms.fold(0.0, |acc, (t, w)| acc + w * f(t));
        }
        let quads = n / 4 * 4;
        let mut partial = [0.0; 4];
        for (t, w) in terms.clone().take(quads) {
            partial[t % 4] += w * f(t);
        }
        let acc = (partial[0] + partial[1]) + (partial[2] + partial[3]);
        terms.skip(quads).fold(acc, |acc, (t, w)| acc + w * f(t))
    }

    use proptest::prelude::*;

    proptest! {
        /// AVX2 and scalar kernels give bit-identical sums, equal to the documented order.
        #[test]
        fn simd_and_scalar_sums_are_bit_identical((groups, seed) in groups()) {
            let mut b = CouplingBuilder::default();
            let mut input = 0;
            for g in &groups {
                for row in &g.rows {
                    let terms = g.reads.iter().zip(row).map(|(&(s, l), &w)| (s, w, l));
                    b.push(input, g.kind, g.own, terms);
                    input += 1;
                }
            }
            let mut scalar = b.finish(input);
            scalar.set_offsets(offset);
            let mut simd = scalar.clone();
            scalar.use_simd(false);
            simd.use_simd(true);
            prop_assert!(!scalar.simd);
            let mut rng = seed;
            let history: Vec<f64> = (0..SOURCES * LAGS).map(|_| value(&mut rng)).collect();
            let state: Vec<f64> = (0..8).map(|_| value(&mut rng)).collect();
            let (mut a, mut b) = (vec![f64::NAN; input], vec![f64::NAN; input]);
            scalar.apply(HistoryView::new(&history), &state, &mut a);
            simd.apply(HistoryView::new(&history), &state, &mut b);
            let mut input = 0;
            for g in &groups {
                let distinct = g
                    .rows
                    .iter()
                    .enumerate()
                    .filter(|&(i, r)| {
                        g.rows[..i].iter().all(|q| {
                            q.iter().zip(r).any(|(x, y)| x.to_bits() != y.to_bits())
                        })
                    })
                    .count();
                for row in &g.rows {
                    let expected = reference(g, row, distinct, &history, state[g.own]);
                    prop_assert_eq!(a[input].to_bits(), expected.to_bits(), "scalar, input {}", input);
                    prop_assert_eq!(b[input].to_bits(), expected.to_bits(), "simd, input {}", input);
                    input += 1;
                }
            }
        }
    }

    #[test]
    fn the_vector_kernel_is_used_where_available_and_offsets_fit() {
        let mut b = CouplingBuilder::default();
        b.push(0, CouplingKind::Additive, 0, (0..8).map(|s| (s, 1.0, 0)));
        let mut p = b.finish(1);
        p.set_offsets(|src, _| src);
        #[cfg(target_arch = "x86_64")]
        assert_eq!(
            p.simd,
            std::is_x86_feature_detected!("avx2") && std::env::var_os(SCALAR_ENV).is_none()
        );
        // Offsets beyond the vector gather's signed 32-bit indices: scalar kernel.
        p.set_offsets(|src, _| i32::MAX as usize + src);
        assert!(!p.simd);
        assert_eq!(p.min_history, i32::MAX as usize + 8);
    }

    #[test]
    #[should_panic(expected = "history offset out of range")]
    fn a_history_too_short_for_the_offsets_panics_instead_of_reading_past_it() {
        let mut b = CouplingBuilder::default();
        b.push(0, CouplingKind::Additive, 0, (0..8).map(|s| (s, 1.0, 0)));
        let mut p = b.finish(1);
        p.set_offsets(|src, _| src);
        p.apply(HistoryView::new(&[1.0; 7]), &[], &mut [0.0]);
    }
}
