//! Arithmetic on one value (`f64`), four values at once (`F64x4`, AVX2) or eight
//! (`F64x8`, AVX-512F), so a model's equations are written once, generically, and give
//! bit-identical numbers either way: every lane operation is the IEEE operation of the
//! scalar code (no fused multiply-add).
//!
//! The CPU is detected once per process. Environment variables force narrower paths (for
//! comparisons and for machines where a wide path is slower): `NEUROMASS_NO_SIMD` (any
//! value) disables both vector widths, `NEUROMASS_NO_AVX512` only the eight-lane one.

use std::ops::{Add, Div, Mul, Sub};

/// A number type the models' equations are generic over: `f64`, or four or eight `f64` lanes.
pub(crate) trait Lane:
    Copy + Add<Output = Self> + Sub<Output = Self> + Mul<Output = Self> + Div<Output = Self>
{
    /// The same value in every lane.
    fn splat(v: f64) -> Self;
    /// Square root, lane by lane.
    fn sqrt(self) -> Self;
}

impl Lane for f64 {
    #[inline(always)]
    fn splat(v: f64) -> Self {
        v
    }
    #[inline(always)]
    fn sqrt(self) -> Self {
        f64::sqrt(self)
    }
}

/// Whether this CPU runs the four-lane kernels (checked once per process).
pub(crate) fn simd_available() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        use std::sync::OnceLock;
        static AVX2: OnceLock<bool> = OnceLock::new();
        *AVX2.get_or_init(|| {
            std::env::var_os("NEUROMASS_NO_SIMD").is_none() && is_x86_feature_detected!("avx2")
        })
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// Whether this CPU runs the eight-lane kernels (checked once per process): AVX-512F on
/// top of [`simd_available`], unless `NEUROMASS_NO_AVX512` is set.
pub(crate) fn avx512_available() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        use std::sync::OnceLock;
        static AVX512: OnceLock<bool> = OnceLock::new();
        *AVX512.get_or_init(|| {
            simd_available()
                && std::env::var_os("NEUROMASS_NO_AVX512").is_none()
                && is_x86_feature_detected!("avx512f")
        })
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

#[cfg(target_arch = "x86_64")]
pub(crate) use avx::F64x4;
#[cfg(target_arch = "x86_64")]
pub(crate) use avx512::F64x8;

/// A vector of `WIDTH` lanes that blocks read from and write to their
/// structure-of-arrays buffers.
#[cfg(target_arch = "x86_64")]
pub(crate) trait Vector: Lane {
    /// Lanes per vector.
    const WIDTH: usize;
    /// The `WIDTH` values from `ptr` on.
    ///
    /// # Safety
    /// `WIDTH` values are readable at `ptr`.
    unsafe fn read(ptr: *const f64) -> Self;
    /// Store the lanes at `ptr ..`.
    ///
    /// # Safety
    /// `WIDTH` values are writable at `ptr`.
    unsafe fn write(self, ptr: *mut f64);
    /// Whether every lane is `0.0` (either sign; NaN is not).
    fn all_zero(self) -> bool;
    /// `0` exactly in the lanes whose value is finite, NaN in the others: a sum of probes
    /// is [`all_zero`](Self::all_zero) if and only if every value probed is finite (two lane
    /// operations per value).
    #[inline(always)]
    #[allow(clippy::eq_op)] // `x - x` is the point: 0 for finite `x`, NaN for inf and NaN.
    fn finite_probe(self) -> Self {
        self - self
    }
}

#[cfg(target_arch = "x86_64")]
mod avx {
    //! Four `f64` lanes in an AVX register.
    //!
    //! Invariant: an `F64x4` only exists inside code that runs after [`simd_available`]
    //! returned true (functions compiled with `#[target_feature(enable = "avx2")]`), so
    //! the intrinsics below never execute on a CPU without AVX2.
    //!
    //! [`simd_available`]: super::simd_available

    use std::arch::x86_64::*;
    use std::ops::{Add, Div, Mul, Sub};

    use super::Lane;

    /// Four `f64` lanes.
    #[derive(Debug, Clone, Copy)]
    #[repr(transparent)]
    pub(crate) struct F64x4(pub(crate) __m256d);

    macro_rules! binary {
        ($trait:ident, $method:ident, $intrinsic:ident) => {
            impl $trait for F64x4 {
                type Output = F64x4;
                #[inline(always)]
                fn $method(self, other: F64x4) -> F64x4 {
                    // SAFETY: AVX2 is available wherever an `F64x4` exists (module invariant).
                    F64x4(unsafe { $intrinsic(self.0, other.0) })
                }
            }
        };
    }
    binary!(Add, add, _mm256_add_pd);
    binary!(Sub, sub, _mm256_sub_pd);
    binary!(Mul, mul, _mm256_mul_pd);
    binary!(Div, div, _mm256_div_pd);

    impl Lane for F64x4 {
        #[inline(always)]
        fn splat(v: f64) -> Self {
            // SAFETY: module invariant.
            F64x4(unsafe { _mm256_set1_pd(v) })
        }
        #[inline(always)]
        fn sqrt(self) -> Self {
            // SAFETY: module invariant.
            F64x4(unsafe { _mm256_sqrt_pd(self.0) })
        }
    }

    impl F64x4 {
        /// The four values `v`.
        #[inline(always)]
        pub(crate) fn load(v: &[f64; 4]) -> Self {
            // SAFETY: module invariant; `v` holds four readable values.
            F64x4(unsafe { _mm256_loadu_pd(v.as_ptr()) })
        }
        /// All bits set in the lanes whose value is finite.
        #[inline(always)]
        pub(crate) fn finite_mask(self) -> __m256d {
            // SAFETY: module invariant.
            unsafe {
                let abs = _mm256_andnot_pd(_mm256_set1_pd(-0.0), self.0);
                _mm256_cmp_pd::<_CMP_LT_OQ>(abs, _mm256_set1_pd(f64::INFINITY))
            }
        }
    }

    impl super::Vector for F64x4 {
        const WIDTH: usize = 4;
        #[inline(always)]
        unsafe fn read(ptr: *const f64) -> Self {
            // SAFETY: module invariant; the caller guarantees four readable values.
            F64x4(unsafe { _mm256_loadu_pd(ptr) })
        }
        #[inline(always)]
        unsafe fn write(self, ptr: *mut f64) {
            // SAFETY: module invariant; the caller guarantees four writable values.
            unsafe { _mm256_storeu_pd(ptr, self.0) }
        }
        #[inline(always)]
        fn all_zero(self) -> bool {
            // SAFETY: module invariant.
            unsafe {
                let zero = _mm256_cmp_pd::<_CMP_EQ_OQ>(self.0, _mm256_setzero_pd());
                _mm256_movemask_pd(zero) == 0b1111
            }
        }
    }
}

// AVX-512 intrinsics are stable since Rust 1.89 (the workspace's `rust-version`).
#[cfg(target_arch = "x86_64")]
mod avx512 {
    //! Eight `f64` lanes in an AVX-512 register.
    //!
    //! Invariant: an `F64x8` only exists inside code that runs after [`avx512_available`]
    //! returned true (functions compiled with `#[target_feature(enable = "avx512f")]`), so
    //! the intrinsics below never execute on a CPU without AVX-512F.
    //!
    //! [`avx512_available`]: super::avx512_available

    use std::arch::x86_64::*;
    use std::ops::{Add, Div, Mul, Sub};

    use super::Lane;

    /// Eight `f64` lanes.
    #[derive(Debug, Clone, Copy)]
    #[repr(transparent)]
    pub(crate) struct F64x8(pub(crate) __m512d);

    macro_rules! binary {
        ($trait:ident, $method:ident, $intrinsic:ident) => {
            impl $trait for F64x8 {
                type Output = F64x8;
                #[inline(always)]
                fn $method(self, other: F64x8) -> F64x8 {
                    // SAFETY: AVX-512F is available wherever an `F64x8` exists (module
                    // invariant).
                    F64x8(unsafe { $intrinsic(self.0, other.0) })
                }
            }
        };
    }
    binary!(Add, add, _mm512_add_pd);
    binary!(Sub, sub, _mm512_sub_pd);
    binary!(Mul, mul, _mm512_mul_pd);
    binary!(Div, div, _mm512_div_pd);

    impl Lane for F64x8 {
        #[inline(always)]
        fn splat(v: f64) -> Self {
            // SAFETY: module invariant.
            F64x8(unsafe { _mm512_set1_pd(v) })
        }
        #[inline(always)]
        fn sqrt(self) -> Self {
            // SAFETY: module invariant.
            F64x8(unsafe { _mm512_sqrt_pd(self.0) })
        }
    }

    impl F64x8 {
        /// The eight values `v`, `v[0]` in the low four lanes.
        #[inline(always)]
        pub(crate) fn load(v: &[[f64; 4]; 2]) -> Self {
            // SAFETY: module invariant; `v` holds eight contiguous readable values.
            F64x8(unsafe { _mm512_loadu_pd(v.as_ptr().cast::<f64>()) })
        }
        /// One bit per lane, set if the lane's value is finite.
        #[inline(always)]
        pub(crate) fn finite_mask(self) -> __mmask8 {
            // SAFETY: module invariant.
            unsafe {
                _mm512_cmp_pd_mask::<_CMP_LT_OQ>(
                    _mm512_abs_pd(self.0),
                    _mm512_set1_pd(f64::INFINITY),
                )
            }
        }
    }

    impl super::Vector for F64x8 {
        const WIDTH: usize = 8;
        #[inline(always)]
        unsafe fn read(ptr: *const f64) -> Self {
            // SAFETY: module invariant; the caller guarantees eight readable values.
            F64x8(unsafe { _mm512_loadu_pd(ptr) })
        }
        #[inline(always)]
        unsafe fn write(self, ptr: *mut f64) {
            // SAFETY: module invariant; the caller guarantees eight writable values.
            unsafe { _mm512_storeu_pd(ptr, self.0) }
        }
        #[inline(always)]
        fn all_zero(self) -> bool {
            // SAFETY: module invariant.
            unsafe { _mm512_cmp_pd_mask::<_CMP_EQ_OQ>(self.0, _mm512_setzero_pd()) == 0xff }
        }
    }
}
