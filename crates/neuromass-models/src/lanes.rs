//! Arithmetic on one value (`f64`) or four values at once (`F64x4`, AVX2), so a model's
//! equations are written once, generically, and give bit-identical numbers either way:
//! every lane operation is the IEEE operation of the scalar code (no fused multiply-add).

use std::ops::{Add, Div, Mul, Sub};

/// A number type the models' equations are generic over: `f64`, or four `f64` lanes.
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

#[cfg(target_arch = "x86_64")]
pub(crate) use avx::F64x4;

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
}
