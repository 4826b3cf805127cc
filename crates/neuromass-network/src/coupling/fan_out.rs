//! Dense network couplings evaluated source by source ("fan-out").
//!
//! A dense network coupling reads, every step, one delayed value per (target, source)
//! pair. Read target by target, consecutive reads land in different sources' history,
//! so the whole history passes through the cache every step. Here the targets are taken
//! four at a time (the lanes of a vector) and the sources in blocks of [`BLOCK`]: each
//! block's delayed values (one cache line per history row when the block's slots are
//! consecutive) stay in the L1 cache while all targets read them, and each target's sum
//! still runs over the sources in order (`((0 + w_0 h_0) + w_1 h_1) + ...`, one weight
//! column at a time), whatever the blocking, the lanes or the CPU.
//!
//! A family's weight columns are transforms of one connectivity entry (ALN's mean coupling
//! weighs by `C_ij`, its variance coupling by `C_ij^2`), so only the entry is stored and
//! the kernel squares it where a column needs it: one weight stream for both couplings.
//! Columns with the same transform share one sum.
//!
//! Layouts, with `S` sources, targets padded to whole quads: offsets (lags before
//! [`FanOut::set_offsets`]) and connectivity entries `[quad][source][lane]`: the entries of
//! one target are contiguous enough to be written row by row when the plan is built, and
//! one block of sources of one quad is a short contiguous run when it is read.

use super::{HistoryView, Write, store};
use neuromass_core::WeightTransform;

/// Sources whose history is read by all targets before the next block's.
const BLOCK: usize = 8;

/// The sums a fan-out computes per target: over `C_ij h_j` and/or over `C_ij^2 h_j`, in
/// that order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sums {
    Linear,
    Squared,
    Both,
}

impl Sums {
    fn count(self) -> usize {
        match self {
            Sums::Both => 2,
            _ => 1,
        }
    }

    /// The sum a column of transform `t` reads.
    fn of(self, t: WeightTransform) -> usize {
        match (self, t) {
            (Sums::Both, WeightTransform::Squared) => 1,
            _ => 0,
        }
    }
}

/// One dense coupling family of a part, evaluated source by source.
#[derive(Debug, Clone)]
pub(super) struct FanOut {
    /// Each weight column's transform (at most [`MAX_COLUMNS`] columns).
    transforms: Vec<WeightTransform>,
    sums: Sums,
    /// Target quads (targets `4 q .. 4 q + 4`).
    quads: usize,
    /// State index of each source, `u32::MAX` where the node lacks the variable.
    source_state: Vec<u32>,
    /// Per source: its shortest lag over non-zero weights (`u32::MAX`: never read).
    min_lag: Vec<u32>,
    /// The longest lag over non-zero weights.
    max_lag: u32,
    /// `[quad][source][lane]`: lags in steps, history offsets after `set_offsets`.
    offsets: Vec<u32>,
    offsets_set: bool,
    /// `[quad][source][lane]`: the connectivity entries (0 where nothing is read).
    weights: Vec<f64>,
    /// Per target, in order: the writes of its sums (`Write::column`: the sum's index).
    writes: Vec<Write>,
    write_ends: Vec<u32>,
    /// `[quad][sum][lane]` sums of the step.
    acc: Vec<f64>,
}

/// The most weight columns a fan-out serves (more fall back to per-target gathers).
pub(crate) const MAX_COLUMNS: usize = 4;

impl FanOut {
    /// An empty fan-out over `sources` (state index per source node, `u32::MAX` for
    /// none) for `targets` targets and weight columns of transforms `transforms` (one to
    /// [`MAX_COLUMNS`]).
    pub(super) fn new(sources: &[u32], targets: usize, transforms: &[WeightTransform]) -> Self {
        assert!((1..=MAX_COLUMNS).contains(&transforms.len()));
        let quads = targets.div_ceil(4);
        let n = sources.len();
        let has = |t| transforms.contains(&t);
        let sums = match (has(WeightTransform::Linear), has(WeightTransform::Squared)) {
            (true, true) => Sums::Both,
            (false, true) => Sums::Squared,
            _ => Sums::Linear,
        };
        FanOut {
            transforms: transforms.to_vec(),
            sums,
            quads,
            source_state: sources.to_vec(),
            min_lag: vec![u32::MAX; n],
            max_lag: 0,
            offsets: vec![0; quads * n * 4],
            offsets_set: false,
            weights: vec![0.0; quads * n * 4],
            writes: Vec::new(),
            write_ends: Vec::with_capacity(quads * 4),
            acc: vec![0.0; quads * sums.count() * 4],
        }
    }

    /// Set target `target`'s row (targets in increasing order, each at most once; targets
    /// skipped read nothing): `columns[c]` is the inputs column `c` feeds and its weight
    /// transform (those given to [`new`](Self::new)), source `j` weighted by
    /// `transform(connectivity[j])` at lag `lag(j)` steps. Columns whose weights are all
    /// zero feed nothing.
    pub(super) fn set_target(
        &mut self,
        target: usize,
        columns: &[(Vec<usize>, WeightTransform)],
        connectivity: &[f64],
        lag: impl Fn(usize) -> usize,
    ) {
        debug_assert!(
            columns
                .iter()
                .map(|c| c.1)
                .eq(self.transforms.iter().copied())
                && target >= self.write_ends.len()
        );
        // Targets skipped so far read nothing.
        self.write_ends.resize(target, self.writes.len() as u32);
        let (q, lane, n) = (target / 4, target % 4, self.source_state.len());
        let mut used = [false; MAX_COLUMNS];
        let offsets = &mut self.offsets[q * n * 4..(q + 1) * n * 4];
        let weights = &mut self.weights[q * n * 4..(q + 1) * n * 4];
        for (j, &c) in connectivity.iter().enumerate().take(n) {
            if c == 0.0 || self.source_state[j] == u32::MAX {
                continue;
            }
            let mut any = false;
            for (col, (_, transform)) in columns.iter().enumerate() {
                // (A squared weight may underflow to 0 while the entry is not: the kernel
                // squares it to the same 0.)
                let w = transform.apply(c);
                used[col] |= w != 0.0;
                any |= w != 0.0;
            }
            if any {
                weights[j * 4 + lane] = c;
                let l = lag(j).min(u32::MAX as usize - 1) as u32;
                offsets[j * 4 + lane] = l;
                self.min_lag[j] = self.min_lag[j].min(l);
                self.max_lag = self.max_lag.max(l);
            }
        }
        for (col, (feeds, transform)) in columns.iter().enumerate() {
            if used[col] {
                let sum = self.sums.of(*transform);
                self.writes.extend(feeds.iter().map(|&input| Write {
                    input,
                    column: sum,
                    assign: false,
                    weight: 0.0,
                }));
            }
        }
        self.write_ends.push(self.writes.len() as u32);
    }

    /// Whether no target reads anything.
    pub(super) fn is_empty(&self) -> bool {
        self.writes.is_empty()
    }

    /// Mark the writes' `assign` flags in evaluation order (`fed`: inputs fed before).
    pub(super) fn resolve_writes(&mut self, fed: &mut [bool]) {
        for w in &mut self.writes {
            w.assign = !fed[w.input];
            fed[w.input] = true;
        }
    }

    /// Each source read and its shortest lag.
    pub(super) fn terms(&self) -> impl Iterator<Item = (usize, usize)> + '_ {
        self.source_state
            .iter()
            .zip(&self.min_lag)
            .filter(|&(_, &l)| l != u32::MAX)
            .map(|(&s, &l)| (s as usize, l as usize))
    }

    /// The longest lag read.
    pub(super) fn max_lag(&self) -> usize {
        self.max_lag as usize
    }

    /// Turn lags into history offsets (once); returns the largest offset. Entries of
    /// zero weight read the newest value of a source that is read (their product is 0).
    pub(super) fn set_offsets(&mut self, offset: &impl Fn(usize, usize) -> usize) -> usize {
        assert!(!self.offsets_set, "fan-out offsets are set once");
        self.offsets_set = true;
        let n = self.source_state.len();
        let Some(any) = (0..n).find(|&j| self.min_lag[j] != u32::MAX) else {
            return 0;
        };
        // Offsets of a source read nowhere point at a read source (weights there are 0).
        let src = |j: usize| {
            let j = if self.min_lag[j] == u32::MAX { any } else { j };
            self.source_state[j] as usize
        };
        let sources: Vec<usize> = (0..n).map(src).collect();
        let mut max = 0;
        for quad in self.offsets.chunks_exact_mut(n * 4) {
            for (entries, &s) in quad.chunks_exact_mut(4).zip(&sources) {
                for o in entries {
                    let v = offset(s, *o as usize);
                    max = max.max(v);
                    *o = v as u32;
                }
            }
        }
        max
    }

    /// Add the step's sums into `inputs` (each target's columns through its writes).
    ///
    /// # Safety
    ///
    /// With `SIMD`: the CPU supports AVX2 and every offset is below `history.len` and fits
    /// in an `i32`. None otherwise.
    #[inline(always)]
    pub(super) unsafe fn apply<const SIMD: bool>(
        &mut self,
        history: HistoryView<'_>,
        inputs: &mut [f64],
    ) {
        // SAFETY: forwarded from this function's contract.
        unsafe {
            match self.sums {
                Sums::Linear => self.accumulate::<SIMD, true, false>(history),
                Sums::Squared => self.accumulate::<SIMD, false, true>(history),
                Sums::Both => self.accumulate::<SIMD, true, true>(history),
            }
        }
        let k = self.sums.count();
        let mut start = 0;
        for (target, &end) in self.write_ends.iter().enumerate() {
            let (q, lane) = (target / 4, target % 4);
            for w in &self.writes[start..end as usize] {
                store(inputs, w, self.acc[(q * k + w.column) * 4 + lane]);
            }
            start = end as usize;
        }
    }

    /// The sums of all targets into `acc`: with `LIN`, sum 0 over `C_ij h_j`; with `SQ`,
    /// the next over `C_ij^2 h_j`.
    ///
    /// # Safety
    ///
    /// As for [`apply`](Self::apply).
    #[inline(always)]
    unsafe fn accumulate<const SIMD: bool, const LIN: bool, const SQ: bool>(
        &mut self,
        history: HistoryView<'_>,
    ) {
        let (n, k) = (self.source_state.len(), self.sums.count());
        debug_assert!(k == usize::from(LIN) + usize::from(SQ));
        self.acc.fill(0.0);
        #[cfg(target_arch = "x86_64")]
        if SIMD {
            // SAFETY: forwarded from this function's contract.
            unsafe { avx2::accumulate::<LIN, SQ>(self, history, n) };
            return;
        }
        let sq = usize::from(LIN);
        for first in (0..n).step_by(BLOCK) {
            let block = first..(first + BLOCK).min(n);
            for q in 0..self.quads {
                let acc = &mut self.acc[q * k * 4..(q + 1) * k * 4];
                for j in block.clone() {
                    let o = &self.offsets[(q * n + j) * 4..(q * n + j) * 4 + 4];
                    let c = &self.weights[(q * n + j) * 4..(q * n + j) * 4 + 4];
                    for lane in 0..4 {
                        let h = history.get(o[lane] as usize);
                        if LIN {
                            acc[lane] += c[lane] * h;
                        }
                        if SQ {
                            acc[sq * 4 + lane] += c[lane] * c[lane] * h;
                        }
                    }
                }
            }
        }
    }
}

/// The AVX2 kernel: lane `l` holds target `4 q + l`, so each lane is the scalar sum.
#[cfg(target_arch = "x86_64")]
mod avx2 {
    use std::arch::x86_64::{
        __m256d, _mm_loadu_si128, _mm256_add_pd, _mm256_i32gather_pd, _mm256_loadu_pd,
        _mm256_mul_pd, _mm256_setzero_pd, _mm256_storeu_pd,
    };

    use super::{BLOCK, FanOut, HistoryView};

    /// Quads summed side by side: each quad's sums are a chain of dependent additions (one
    /// per source, in order), so several quads in flight keep the adder busy.
    const WIDTH: usize = 4;

    /// [`FanOut::accumulate`] four targets at a time, [`WIDTH`] quads side by side.
    ///
    /// # Safety
    ///
    /// The CPU supports AVX2; every offset is below `history.len` and fits in an `i32`.
    #[target_feature(enable = "avx2")]
    #[inline]
    pub(super) unsafe fn accumulate<const LIN: bool, const SQ: bool>(
        f: &mut FanOut,
        history: HistoryView<'_>,
        n: usize,
    ) {
        let k = usize::from(LIN) + usize::from(SQ);
        assert!(
            f.offsets.len() >= f.quads * n * 4
                && f.weights.len() >= f.quads * n * 4
                && f.acc.len() >= f.quads * k * 4
        );
        let quads = f.quads;
        // SAFETY: AVX2 and the offsets are in bounds (contract); `quads` quads from `first`
        // stay inside the buffers (asserted above).
        unsafe {
            for first in (0..n).step_by(BLOCK) {
                let end = (first + BLOCK).min(n);
                let mut q = 0;
                while q + WIDTH <= quads {
                    quads_side_by_side::<LIN, SQ, WIDTH>(f, history, n, q, first..end);
                    q += WIDTH;
                }
                while q < quads {
                    quads_side_by_side::<LIN, SQ, 1>(f, history, n, q, first..end);
                    q += 1;
                }
            }
        }
    }

    /// Add sources `sources` into the sums of quads `q .. q + W`, each quad's lanes summing
    /// the sources in order.
    ///
    /// # Safety
    ///
    /// As for [`accumulate`]; quads `q .. q + W` and `sources` are in range.
    #[target_feature(enable = "avx2")]
    #[inline]
    unsafe fn quads_side_by_side<const LIN: bool, const SQ: bool, const W: usize>(
        f: &mut FanOut,
        history: HistoryView<'_>,
        n: usize,
        q: usize,
        sources: std::ops::Range<usize>,
    ) {
        let k = usize::from(LIN) + usize::from(SQ);
        let sq = usize::from(LIN);
        let (offsets, weights, acc) = (f.offsets.as_ptr(), f.weights.as_ptr(), f.acc.as_mut_ptr());
        // SAFETY: AVX2 (contract); quad `q + w < quads`, sources `< n` and sums `< k` keep
        // every pointer inside the buffers (checked by the caller); offsets are in bounds.
        unsafe {
            let mut a: [[__m256d; 2]; W] = [[_mm256_setzero_pd(); 2]; W];
            for (w, a) in a.iter_mut().enumerate() {
                let sums = acc.add((q + w) * k * 4);
                for (c, a) in a.iter_mut().enumerate().take(k) {
                    *a = _mm256_loadu_pd(sums.add(c * 4));
                }
            }
            for j in sources {
                for (w, a) in a.iter_mut().enumerate() {
                    let e = (q + w) * n + j;
                    let idx = _mm_loadu_si128(offsets.add(e * 4).cast());
                    let h = _mm256_i32gather_pd::<8>(history.ptr, idx);
                    let c = _mm256_loadu_pd(weights.add(e * 4));
                    if LIN {
                        a[0] = _mm256_add_pd(a[0], _mm256_mul_pd(c, h));
                    }
                    if SQ {
                        let cc = _mm256_mul_pd(c, c);
                        a[sq] = _mm256_add_pd(a[sq], _mm256_mul_pd(cc, h));
                    }
                }
            }
            for (w, a) in a.iter().enumerate() {
                let sums = acc.add((q + w) * k * 4);
                for (c, a) in a.iter().enumerate().take(k) {
                    _mm256_storeu_pd(sums.add(c * 4), *a);
                }
            }
        }
    }
}
