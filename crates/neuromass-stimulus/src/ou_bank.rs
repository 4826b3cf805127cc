//! [`OuBank`]: Ornstein-Uhlenbeck processes advanced in lockstep, vectorised across
//! channels.

use crate::random::{
    NORMAL_DOMAIN, NoiseStream, OuProcess, OuState, Ziggurat, philox4x32_10, ziggurat_tables,
};

/// Channels per group (one 256-bit vector of `f64`).
const LANES: usize = 4;
/// No block of normals is cached.
const NO_BLOCK: u64 = u64::MAX;

/// Four channels, one per lane. Padding lanes (past the last channel) are silent.
#[derive(Debug, Clone, Copy)]
#[repr(C, align(32))]
struct Group {
    /// Current values `x_step`.
    x: [f64; LANES],
    mu: [f64; LANES],
    tau: [f64; LANES],
    /// `sigma * sqrt(dt)` for the bank's cached `dt`.
    scale: [f64; LANES],
    /// All ones for lanes that draw (`sigma != 0`), zero for silent and padding lanes.
    noisy: [u64; LANES],
    /// Key words 0 and 1 of each lane's stream (in the low 32 bits).
    key0: [u64; LANES],
    key1: [u64; LANES],
    /// The odd normal (`2 * block + 1`) of the cached block of each lane.
    pending: [f64; LANES],
    sigma: [f64; LANES],
}

const PADDING: Group = Group {
    x: [0.0; LANES],
    mu: [0.0; LANES],
    tau: [1.0; LANES],
    scale: [0.0; LANES],
    noisy: [0; LANES],
    key0: [0; LANES],
    key1: [0; LANES],
    pending: [0.0; LANES],
    sigma: [0.0; LANES],
};

impl Group {
    fn key(&self, lane: usize) -> u64 {
        (self.key1[lane] << 32) | self.key0[lane]
    }
}

/// Step and cached block of one channel, when the channels are not all at the same step.
#[derive(Debug, Clone, Copy)]
struct LaneStep {
    step: u64,
    pending_block: u64,
}

/// Ornstein-Uhlenbeck processes advanced in lockstep, vectorised across channels.
///
/// A bank holds many [`OuProcess`]es (e.g. the noise of every mass input channel of a
/// network) and advances them all by one Euler step at a time. The values are bit for bit
/// those of calling [`OuProcess::next`] on every process: same streams, same ziggurat, same
/// update `x + dt * ((mu - x) / tau) + sigma * sqrt(dt) * z` with the same rounding, and
/// silent channels (`sigma == 0`) draw nothing, as there. The bank is faster because it
/// stores the channels four by four (structure of arrays) and, on x86-64 CPUs with AVX2
/// (detected once, at construction), computes the Philox blocks, the ziggurat's fast path
/// and the update of four channels with vector instructions; elsewhere it runs the same
/// arithmetic channel by channel.
///
/// Channel `k` is the `k`-th process pushed. The fast path needs every channel at the same
/// step, which is the case when the processes are created together and advanced by the
/// bank, or restored from states of one step; a bank whose channels were put at different
/// steps (by [`OuBank::push`] or [`OuBank::set_state`]) stays exact but advances channel
/// by channel until they are at one step again.
///
/// ```
/// use neuromass_stimulus::{OuBank, OuProcess, stream_key};
///
/// let processes: Vec<OuProcess> = (0..6)
///     .map(|c| OuProcess::new(0.1, 0.2, 5.0, stream_key(1, &[c])))
///     .collect::<Result<_, _>>()?;
/// let mut bank = OuBank::new(&processes);
/// let mut values = vec![0.0; bank.len()];
/// let mut single = processes;
/// for _ in 0..100 {
///     bank.next_all(0.1, &mut values);
///     for (v, p) in values.iter().zip(&mut single) {
///         assert_eq!(*v, p.next(0.1));
///     }
/// }
/// // Checkpoints: per-channel states, as for `OuProcess`.
/// let saved = bank.state(3);
/// bank.set_state(3, saved);
/// assert_eq!(bank.state(3), single[3].state());
/// # Ok::<(), neuromass_core::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct OuBank {
    groups: Vec<Group>,
    len: usize,
    /// The common step when `lanes` is `None`.
    step: u64,
    /// The block whose odd normals `Group::pending` holds, when `lanes` is `None`.
    pending_block: u64,
    /// Per-channel steps when the channels are not all at the same step.
    lanes: Option<Vec<LaneStep>>,
    /// `lanes` may have become aligned again (checked lazily at the next step).
    recheck: bool,
    /// Bits of the `dt` that `Group::scale` belongs to.
    dt_bits: Option<u64>,
    /// Use the AVX2 kernel (detected once at construction).
    simd: bool,
}

impl Default for OuBank {
    fn default() -> Self {
        OuBank {
            groups: Vec::new(),
            len: 0,
            step: 0,
            pending_block: NO_BLOCK,
            lanes: None,
            recheck: false,
            dt_bits: None,
            simd: simd_available(),
        }
    }
}

fn simd_available() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        crate::random::has_avx2()
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

impl FromIterator<OuProcess> for OuBank {
    fn from_iter<I: IntoIterator<Item = OuProcess>>(iter: I) -> Self {
        let mut bank = OuBank::default();
        for p in iter {
            bank.push(&p);
        }
        bank
    }
}

impl OuBank {
    /// A bank of the given processes, channel `k` = `processes[k]`, each continuing from
    /// its current state.
    pub fn new(processes: &[OuProcess]) -> Self {
        let mut bank = OuBank::default();
        for p in processes {
            bank.push(p);
        }
        bank
    }

    /// Append a process (continuing from its current state) as channel [`OuBank::len`].
    pub fn push(&mut self, process: &OuProcess) {
        let k = self.len;
        if k.is_multiple_of(LANES) {
            self.groups.push(PADDING);
        }
        let (g, l) = (&mut self.groups[k / LANES], k % LANES);
        let key = process.key();
        g.mu[l] = process.mu();
        g.tau[l] = process.tau();
        g.sigma[l] = process.sigma();
        g.noisy[l] = if process.sigma() == 0.0 { 0 } else { u64::MAX };
        g.key0[l] = key & 0xffff_ffff;
        g.key1[l] = key >> 32;
        self.len += 1;
        self.dt_bits = None;
        let state = process.state();
        if k == 0 {
            self.step = state.step;
        }
        // The new channel has nothing cached.
        self.pending_block = NO_BLOCK;
        if let Some(lanes) = &mut self.lanes {
            lanes.push(LaneStep {
                step: state.step,
                pending_block: NO_BLOCK,
            });
        }
        self.set_state(k, state);
    }

    /// Number of channels.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the bank has no channels.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The value of channel `k` at its current step.
    ///
    /// # Panics
    /// If `k >= self.len()`.
    pub fn value(&self, k: usize) -> f64 {
        assert!(
            k < self.len,
            "channel {k} out of range for a bank of {}",
            self.len
        );
        self.groups[k / LANES].x[k % LANES]
    }

    /// The state of channel `k` (for checkpoints), as [`OuProcess::state`].
    ///
    /// # Panics
    /// If `k >= self.len()`.
    pub fn state(&self, k: usize) -> OuState {
        let value = self.value(k);
        let step = match &self.lanes {
            None => self.step,
            Some(lanes) => lanes[k].step,
        };
        OuState { value, step }
    }

    /// Restore channel `k` to a state saved by [`OuBank::state`] or
    /// [`OuProcess::state`], as [`OuProcess::set_state`]. Restoring every channel to the
    /// same step keeps the bank on its fast path.
    ///
    /// # Panics
    /// If `k >= self.len()`.
    pub fn set_state(&mut self, k: usize, state: OuState) {
        assert!(
            k < self.len,
            "channel {k} out of range for a bank of {}",
            self.len
        );
        self.groups[k / LANES].x[k % LANES] = state.value;
        match &mut self.lanes {
            None if state.step == self.step => {}
            None if self.len == 1 => self.step = state.step,
            None => {
                let mut lanes = vec![
                    LaneStep {
                        step: self.step,
                        pending_block: self.pending_block,
                    };
                    self.len
                ];
                lanes[k].step = state.step;
                self.lanes = Some(lanes);
            }
            Some(lanes) => {
                lanes[k].step = state.step;
                self.recheck = true;
            }
        }
    }

    /// Write every channel's value at the current step to `values` (`values[k]` for
    /// channel `k`), then advance all channels one Euler step of `dt` ms: the values of
    /// [`OuProcess::next`] on each channel.
    ///
    /// # Panics
    /// If `values.len() != self.len()`.
    pub fn next_all(&mut self, dt: f64, values: &mut [f64]) {
        assert_eq!(
            values.len(),
            self.len,
            "`values` must have one entry per channel"
        );
        self.next_with(dt, |k, v| values[k] = v);
    }

    /// Call `out(k, value)` with every channel's value at the current step, in channel
    /// order, then advance all channels one Euler step of `dt` ms (see
    /// [`OuBank::next_all`]).
    #[inline]
    pub fn next_with(&mut self, dt: f64, mut out: impl FnMut(usize, f64)) {
        let full = self.len / LANES;
        for (i, g) in self.groups[..full].iter().enumerate() {
            for (l, &x) in g.x.iter().enumerate() {
                out(i * LANES + l, x);
            }
        }
        if let Some(g) = self.groups.get(full) {
            for (l, &x) in g.x[..self.len % LANES].iter().enumerate() {
                out(full * LANES + l, x);
            }
        }
        self.advance(dt);
    }

    /// Advance all channels one Euler step of `dt` ms without reading the values.
    pub fn advance(&mut self, dt: f64) {
        if self.dt_bits != Some(dt.to_bits()) {
            let sqrt_dt = dt.sqrt();
            for g in &mut self.groups {
                for l in 0..LANES {
                    g.scale[l] = g.sigma[l] * sqrt_dt;
                }
            }
            self.dt_bits = Some(dt.to_bits());
        }
        if self.recheck {
            self.recheck = false;
            self.try_align();
        }
        let tables = ziggurat_tables();
        match &mut self.lanes {
            None => {
                let block = self.step >> 1;
                let draw = self.step & 1 == 0 || self.pending_block != block;
                if self.simd {
                    // SAFETY: `simd` is only set when the CPU supports AVX2 (and never
                    // off x86-64).
                    #[cfg(target_arch = "x86_64")]
                    unsafe {
                        avx2::advance(&mut self.groups, dt, self.step, draw, tables)
                    };
                } else {
                    let pending_block = if draw { NO_BLOCK } else { block };
                    for g in &mut self.groups {
                        for l in 0..LANES {
                            let mut cached = pending_block;
                            scalar_lane(g, l, self.step, &mut cached, dt, tables);
                        }
                    }
                }
                self.pending_block = block;
                self.step += 1;
            }
            Some(lanes) => {
                for (k, lane) in lanes.iter_mut().enumerate() {
                    let g = &mut self.groups[k / LANES];
                    scalar_lane(g, k % LANES, lane.step, &mut lane.pending_block, dt, tables);
                    lane.step += 1;
                }
            }
        }
    }

    /// Back to one common step if every channel is at the same step.
    fn try_align(&mut self) {
        let Some(lanes) = &self.lanes else { return };
        let Some(first) = lanes.first().copied() else {
            self.lanes = None;
            return;
        };
        if lanes.iter().all(|l| l.step == first.step) {
            self.step = first.step;
            self.pending_block = if lanes.iter().all(|l| l.pending_block == first.pending_block) {
                first.pending_block
            } else {
                NO_BLOCK
            };
            self.lanes = None;
        }
    }

    /// Use the AVX2 kernel (if `on` and available) or the portable path.
    #[cfg(test)]
    fn set_simd(&mut self, on: bool) {
        self.simd = on && simd_available();
    }
}

/// One Euler step of lane `l` of `g` at `step`, scalar; `pending_block` is the block whose
/// odd normal `g.pending[l]` holds (updated).
#[inline]
fn scalar_lane(
    g: &mut Group,
    l: usize,
    step: u64,
    pending_block: &mut u64,
    dt: f64,
    tables: &Ziggurat,
) {
    let x = g.x[l];
    let kick = if g.noisy[l] == 0 {
        0.0
    } else {
        let block = step >> 1;
        let z = if step & 1 == 1 && *pending_block == block {
            g.pending[l]
        } else {
            let key = g.key(l);
            let w = philox4x32_10(
                [block as u32, (block >> 32) as u32, NORMAL_DOMAIN, 0],
                [key as u32, (key >> 32) as u32],
            );
            let stream = NoiseStream::new(key);
            let z1 = stream.ziggurat(tables, block, 1, w[2], w[3]);
            g.pending[l] = z1;
            *pending_block = block;
            if step & 1 == 1 {
                z1
            } else {
                stream.ziggurat(tables, block, 0, w[0], w[1])
            }
        };
        g.scale[l] * z
    };
    g.x[l] = x + dt * ((g.mu[l] - x) / g.tau[l]) + kick;
}

/// The AVX2 kernel: Philox, ziggurat fast path and update of four channels at once.
#[cfg(target_arch = "x86_64")]
mod avx2 {
    use super::{Group, LANES};
    use crate::random::{NoiseStream, Ziggurat, avx2::normal_block_rounds};
    use std::arch::x86_64::*;

    /// The ziggurat's fast path on four lanes: from Philox words `$a`, `$b` (low 32 bits of
    /// each lane), `(z, a, inside)`: the candidate normals, `$a` masked to 32 bits and the
    /// bit mask of the lanes inside their layer's rectangle (whose `z` is the draw). A
    /// macro so that it is always inlined into the `avx2` function.
    macro_rules! ziggurat_fast {
        ($tables:expr, $a:expr, $b:expr) => {{
            let low = _mm256_set1_epi64x(0xffff_ffff);
            let magic = _mm256_set1_epi64x(0x4330_0000_0000_0000);
            let two52 = _mm256_set1_pd(4_503_599_627_370_496.0);
            let a = _mm256_and_si256($a, low);
            // 2^52 + n as a float, minus 2^52: exactly n (< 2^32).
            let fa = _mm256_sub_pd(_mm256_castsi256_pd(_mm256_or_si256(a, magic)), two52);
            let fb = _mm256_sub_pd(
                _mm256_castsi256_pd(_mm256_or_si256(
                    _mm256_srli_epi64::<11>(_mm256_and_si256($b, low)),
                    magic,
                )),
                two52,
            );
            // bits = a * 2^21 + (b >> 11), and `Ziggurat::split`'s u = bits * 2^-52 - 1:
            // the sum of the two exact products is exact (< 2), so only the subtraction
            // rounds, as in the scalar code.
            let t = _mm256_add_pd(
                _mm256_mul_pd(fa, _mm256_set1_pd(1.0 / (1u64 << 31) as f64)),
                _mm256_mul_pd(fb, _mm256_set1_pd(1.0 / (1u64 << 52) as f64)),
            );
            let u = _mm256_sub_pd(t, _mm256_set1_pd(1.0));
            let layer = _mm256_and_si256(a, _mm256_set1_epi64x(0x7f));
            let tables: &Ziggurat = $tables;
            // SAFETY: layers are < 128, inside both tables (128 and 129 entries).
            let (ratio, edge) = unsafe {
                (
                    _mm256_i64gather_pd::<8>(tables.ratio.as_ptr(), layer),
                    _mm256_i64gather_pd::<8>(tables.x.as_ptr(), layer),
                )
            };
            let abs_u = _mm256_andnot_pd(_mm256_set1_pd(-0.0), u);
            let inside = _mm256_movemask_pd(_mm256_cmp_pd::<_CMP_LT_OQ>(abs_u, ratio));
            (_mm256_mul_pd(u, edge), a, inside)
        }};
    }

    /// One step of every channel of `groups` at `step`; `draw`: compute the block of
    /// normals of `step` (otherwise the odd normals cached in `pending` are used).
    ///
    /// # Safety
    /// The CPU must support AVX2.
    #[target_feature(enable = "avx2")]
    pub(super) unsafe fn advance(
        groups: &mut [Group],
        dt: f64,
        step: u64,
        draw: bool,
        tables: &Ziggurat,
    ) {
        let block = step >> 1;
        let odd = step & 1 == 1;
        let dtv = _mm256_set1_pd(dt);
        for g in groups.iter_mut() {
            // SAFETY (all loads and stores below): `Group` is `repr(C)` with 32-byte
            // arrays of four 8-byte lanes, so every pointer covers exactly 32 valid bytes.
            let noisy = unsafe { _mm256_loadu_pd(g.noisy.as_ptr().cast()) };
            let z = if draw {
                let (k0, k1) = unsafe {
                    (
                        _mm256_loadu_si256(g.key0.as_ptr().cast()),
                        _mm256_loadu_si256(g.key1.as_ptr().cast()),
                    )
                };
                let w = normal_block_rounds(block, k0, k1);
                let noisy_bits = _mm256_movemask_pd(noisy);
                let (mut z1, a, inside) = ziggurat_fast!(tables, w[2], w[3]);
                if noisy_bits & !inside != 0 {
                    z1 = slow_lanes(g, tables, block, 1, z1, a, w[3], noisy_bits & !inside);
                }
                unsafe { _mm256_storeu_pd(g.pending.as_mut_ptr(), z1) };
                if odd {
                    z1
                } else {
                    let (mut z0, a, inside) = ziggurat_fast!(tables, w[0], w[1]);
                    if noisy_bits & !inside != 0 {
                        z0 = slow_lanes(g, tables, block, 0, z0, a, w[1], noisy_bits & !inside);
                    }
                    z0
                }
            } else {
                unsafe { _mm256_loadu_pd(g.pending.as_ptr()) }
            };
            let (x, mu, tau, scale) = unsafe {
                (
                    _mm256_loadu_pd(g.x.as_ptr()),
                    _mm256_loadu_pd(g.mu.as_ptr()),
                    _mm256_loadu_pd(g.tau.as_ptr()),
                    _mm256_loadu_pd(g.scale.as_ptr()),
                )
            };
            // x + dt * ((mu - x) / tau) + kick, rounded step by step as the scalar code;
            // silent lanes add exactly +0.0 as `OuProcess::next` does.
            let drift = _mm256_mul_pd(dtv, _mm256_div_pd(_mm256_sub_pd(mu, x), tau));
            let kick = _mm256_and_pd(_mm256_mul_pd(scale, z), noisy);
            let next = _mm256_add_pd(_mm256_add_pd(x, drift), kick);
            unsafe { _mm256_storeu_pd(g.x.as_mut_ptr(), next) };
        }
    }

    /// `z` with the lanes in the bit mask `slow` replaced by the scalar ziggurat on the
    /// lane's Philox words `a`, `b` (the rare draws outside their layer's rectangle).
    #[cold]
    #[inline(never)]
    #[allow(clippy::too_many_arguments)]
    #[target_feature(enable = "avx2")]
    fn slow_lanes(
        g: &Group,
        tables: &Ziggurat,
        block: u64,
        half: u32,
        z: __m256d,
        a: __m256i,
        b: __m256i,
        slow: i32,
    ) -> __m256d {
        let mut zs = [0.0; LANES];
        let (mut wa, mut wb) = ([0u64; LANES], [0u64; LANES]);
        // SAFETY: each array holds 32 bytes, the size of an unaligned store.
        unsafe {
            _mm256_storeu_pd(zs.as_mut_ptr(), z);
            _mm256_storeu_si256(wa.as_mut_ptr().cast(), a);
            _mm256_storeu_si256(wb.as_mut_ptr().cast(), b);
        }
        for l in 0..LANES {
            if slow & (1 << l) != 0 {
                zs[l] = NoiseStream::new(g.key(l)).ziggurat(
                    tables,
                    block,
                    half,
                    wa[l] as u32,
                    wb[l] as u32,
                );
            }
        }
        // SAFETY: `zs` holds 32 bytes.
        unsafe { _mm256_loadu_pd(zs.as_ptr()) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::random::{philox4x32_10_x4, stream_key};
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn philox_x4_is_four_scalar_blocks(
            counters in prop::array::uniform4(prop::array::uniform4(any::<u32>())),
            keys in prop::array::uniform4(prop::array::uniform2(any::<u32>())),
        ) {
            let expected: [[u32; 4]; 4] =
                std::array::from_fn(|j| philox4x32_10(counters[j], keys[j]));
            prop_assert_eq!(philox4x32_10_x4(counters, keys), expected);
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// Any number of channels, silent ones mixed in, any start step, any dt: the bank
        /// (both kernels) gives the bits of the processes.
        #[test]
        fn bank_equals_processes_on_random_banks(
            seed in any::<u64>(),
            sigmas in prop::collection::vec(prop_oneof![Just(0.0), 0.01..2.0f64], 1..19),
            start in prop_oneof![0..4u64, any::<u64>().prop_map(|s| s >> 2)],
            value in -2.0..2.0f64,
            dt in 0.001..1.0f64,
            steps in 1..200usize,
        ) {
            for simd in both_paths() {
                let mut single = processes(seed, &sigmas);
                for p in &mut single {
                    p.set_state(OuState { value, step: start });
                }
                let mut bank = OuBank::new(&single);
                bank.set_simd(simd);
                assert_lockstep(&mut bank, &mut single, dt, steps);
            }
        }
    }

    /// Processes with the given sigmas (0 = silent), varied mu and tau.
    fn processes(seed: u64, sigmas: &[f64]) -> Vec<OuProcess> {
        sigmas
            .iter()
            .enumerate()
            .map(|(c, &sigma)| {
                let c = c as u64;
                let mu = 0.3 * (c % 5) as f64 - 0.6;
                let tau = 1.0 + (c % 7) as f64;
                OuProcess::new(mu, sigma, tau, stream_key(seed, &[c])).unwrap()
            })
            .collect()
    }

    /// Steps `bank` and `single` together for `steps` steps, asserting equal bits.
    fn assert_lockstep(bank: &mut OuBank, single: &mut [OuProcess], dt: f64, steps: usize) {
        let mut values = vec![0.0; bank.len()];
        for s in 0..steps {
            bank.next_all(dt, &mut values);
            for (k, p) in single.iter_mut().enumerate() {
                let v = p.next(dt);
                assert_eq!(values[k].to_bits(), v.to_bits(), "channel {k}, step {s}");
            }
        }
        for (k, p) in single.iter().enumerate() {
            assert_eq!(bank.state(k), p.state(), "channel {k}");
        }
    }

    fn both_paths() -> [bool; 2] {
        [true, false]
    }

    #[test]
    fn bank_equals_processes_for_many_steps() {
        for simd in both_paths() {
            for n in [1, 3, 4, 5, 8, 13] {
                let sigmas: Vec<f64> = (0..n)
                    .map(|c| {
                        if c % 3 == 1 {
                            0.0
                        } else {
                            0.05 + 0.1 * c as f64
                        }
                    })
                    .collect();
                let mut single = processes(n as u64, &sigmas);
                let mut bank = OuBank::new(&single);
                bank.set_simd(simd);
                assert_lockstep(&mut bank, &mut single, 0.1, 3000);
                // A different dt from here on.
                assert_lockstep(&mut bank, &mut single, 0.05, 101);
            }
        }
    }

    /// 20 000 steps of 8 channels draw ~ 160 000 normals: the ziggurat's slow path (about
    /// 2.8 % of draws, tail included) is taken many times in every lane.
    #[test]
    fn bank_equals_processes_through_slow_draws() {
        let mut single = processes(77, &[0.3; 8]);
        let mut bank = OuBank::new(&single);
        assert_lockstep(&mut bank, &mut single, 0.2, 20_000);
    }

    #[test]
    fn odd_starts_checkpoints_and_misaligned_channels() {
        for simd in both_paths() {
            let sigmas = [0.2, 0.0, 0.4, 0.1, 0.3, 0.0, 0.25];
            let mut single = processes(5, &sigmas);
            // Start at an odd step: nothing cached for the first draw.
            for p in &mut single {
                p.set_state(OuState {
                    value: 0.5,
                    step: 11,
                });
            }
            let mut bank: OuBank = single.iter().cloned().collect();
            bank.set_simd(simd);
            assert_lockstep(&mut bank, &mut single, 0.1, 25);
            // Restore a checkpoint taken by the bank (at an odd step).
            let saved: Vec<OuState> = (0..bank.len()).map(|k| bank.state(k)).collect();
            let reference = single.clone();
            assert_lockstep(&mut bank, &mut single, 0.1, 10);
            for (k, s) in saved.iter().enumerate() {
                bank.set_state(k, *s);
            }
            let mut single = reference;
            assert_lockstep(&mut bank, &mut single, 0.1, 30);
            // Channels at different steps.
            for (k, p) in single.iter_mut().enumerate() {
                let s = OuState {
                    value: -0.1 * k as f64,
                    step: 1000 + 3 * k as u64,
                };
                p.set_state(s);
                bank.set_state(k, s);
            }
            assert!(bank.lanes.is_some());
            assert_lockstep(&mut bank, &mut single, 0.1, 40);
            // Aligned again (at an even step, then an odd one).
            for step in [2000, 3001] {
                for (k, p) in single.iter_mut().enumerate() {
                    let s = OuState {
                        value: 0.01 * k as f64,
                        step,
                    };
                    p.set_state(s);
                    bank.set_state(k, s);
                }
                assert_lockstep(&mut bank, &mut single, 0.1, 1);
                assert!(bank.lanes.is_none());
                assert_lockstep(&mut bank, &mut single, 0.1, 20);
            }
        }
    }

    #[test]
    fn push_at_other_steps_and_empty_bank() {
        let mut bank = OuBank::default();
        assert!(bank.is_empty());
        bank.advance(0.1);
        bank.next_with(0.1, |_, _| panic!("no channels"));
        let mut single = processes(9, &[0.2, 0.3, 0.0, 0.1, 0.2]);
        single[3].next(0.1);
        for _ in 0..3 {
            single[4].next(0.1);
        }
        for p in &single {
            bank.push(p);
        }
        assert_eq!(bank.len(), 5);
        assert_eq!(bank.state(4), single[4].state());
        assert_lockstep(&mut bank, &mut single, 0.1, 50);
    }

    /// A silent channel adds exactly +0.0, so a step whose drift is `-0.0` gives `+0.0`
    /// as in `OuProcess::next` (`0 * z` would be -0.0 for z < 0, and keep the -0.0).
    #[test]
    fn silent_channels_keep_signed_zero_rules() {
        for simd in both_paths() {
            let mut single: Vec<OuProcess> = (0..4)
                .map(|c| {
                    // (mu - x) / tau underflows to -0.0 for the silent channel.
                    let (mu, sigma) = if c == 2 { (-5e-324, 0.0) } else { (0.0, 0.1) };
                    OuProcess::new(mu, sigma, 5.0, c).unwrap()
                })
                .collect();
            for p in &mut single {
                p.set_state(OuState {
                    value: -0.0,
                    step: 0,
                });
            }
            let mut bank = OuBank::new(&single);
            bank.set_simd(simd);
            assert_lockstep(&mut bank, &mut single, 0.1, 3);
            assert_eq!(bank.value(2).to_bits(), 0.0f64.to_bits());
        }
    }
}
