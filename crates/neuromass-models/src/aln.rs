//! The adaptive linear-nonlinear (ALN) cascade model of a population of AdEx neurons
//! (Augustin et al. 2017; Cakan & Obermayer 2020), as in neurolib's MultiModel.
//!
//! Each population's membrane current has mean `I_mu` and standard deviation `sigma`; the
//! steady-state rate `r_ss(mu, sigma)`, mean voltage `V(mu, sigma)` and the time constant
//! `tau(mu, sigma)` of the linear filter come from a precomputed [`TransferTable`]:
//!
//! * `dI_mu/dt = (J_e s_mu_e + J_i s_mu_i + I_ext + noise - I_mu) / tau(mu, sigma)`
//! * `sigma² = Σ_k 2 J_k² s_sigma_k tau_k (C/gL) / ((1 + in_k) C/gL + tau_k) + sigma_ext²`
//! * `ds_mu_k/dt = ((1 - s_mu_k) in_k - s_mu_k) / tau_k`
//! * `ds_sigma_k/dt = ((1 - s_mu_k)² in²_k + (in²_k - 2 tau_k (in_k + 1)) s_sigma_k) / tau_k²`
//! * `dr/dt = -lambda (r - r_ss(mu, sigma))` (neurolib's fast relaxation of the rate)
//!
//! and the excitatory population adapts:
//! `dI_A/dt = (a (V - E_A) - I_A + tau_A b r_ss) / tau_A`, with `mu = I_mu - I_A / C`.
//!
//! Synaptic inputs: `in_e = K_e node_<self>_exc + (c_gl tau_se / J_ee_max) K_e_gl
//! (network_exc_exc + ext_exc_rate)`, `in_i = K_i node_<self>_inh`; their "squared"
//! counterparts use squared weights (and the squared network scale).

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use neuromass_core::{
    AnyMass, Bounds, ChannelNoise, Coupling, Error, MassBlock, NeuralMass, Node, SquareMatrix,
    parameters,
};

#[cfg(target_arch = "x86_64")]
use crate::lanes::{F64x4, F64x8, Vector};
use crate::lanes::{Lane, avx512_available, simd_available};

/// The table neurolib 0.6.2 ships (`datasets/aln/quantities_cascade.h5` in this repository).
pub const DEFAULT_TABLE_PATH: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../datasets/aln/quantities_cascade.h5"
);

/// The ALN transfer functions on a regular `(mu, sigma)` grid: steady-state rate `r_ss`,
/// mean voltage `V_mean_ss` and rate-response time constant `tau_mu_exp`, looked up by
/// bilinear interpolation and held constant beyond the grid's edges.
#[derive(Debug)]
pub struct TransferTable {
    path: PathBuf,
    mu_first: f64,
    mu_last: f64,
    mu_inv_step: f64,
    n_mu: usize,
    sigma_first: f64,
    sigma_last: f64,
    sigma_inv_step: f64,
    n_sigma: usize,
    /// `[mu][sigma]` -> (r_ss, V_mean_ss, tau_mu_exp), padded with a copy of the last
    /// row and column (`(n_mu + 1) x (n_sigma + 1)`), so the upper neighbour of any cell
    /// exists and a look-up needs no clamping.
    values: Vec<[f64; 3]>,
}

/// Bilinear interpolation between the corners `[a, b, c, d]` = `(x, y)`, `(x + 1, y)`,
/// `(x, y + 1)`, `(x + 1, y + 1)` at fractions `dx`, `dy` (one expression for every lane
/// width, so all give the same numbers).
#[inline(always)]
fn bilinear<L: Lane>([a, b, c, d]: [L; 4], dx: L, dy: L) -> L {
    let one = L::splat(1.0);
    a * (one - dx) * (one - dy) + b * dx * (one - dy) + c * (one - dx) * dy + d * dx * dy
}

impl TransferTable {
    /// Load a table file of neurolib's layout: datasets `mu_vals` (M), `sigma_vals` (S),
    /// `r_ss`, `V_mean_ss` and `tau_mu_exp` (each M x S). Errors name the file and the
    /// missing or malformed dataset.
    pub fn load(path: impl AsRef<Path>) -> Result<Self, Error> {
        let path = path.as_ref();
        let fail = |what: String| {
            Error::Invalid(format!("ALN transfer table `{}`: {what}", path.display()))
        };
        let file = hdf5::File::open(path).map_err(|e| fail(format!("cannot open: {e}")))?;
        let read = |name: &str| -> Result<(Vec<f64>, Vec<usize>), Error> {
            let ds = file
                .dataset(name)
                .map_err(|_| fail(format!("missing dataset `{name}`")))?;
            let data = ds
                .read_raw::<f64>()
                .map_err(|e| fail(format!("dataset `{name}` unreadable as float64: {e}")))?;
            Ok((data, ds.shape()))
        };
        let (mu, _) = read("mu_vals")?;
        let (sigma, _) = read("sigma_vals")?;
        let check_axis = |name: &str, v: &[f64]| {
            if v.len() < 2 || v.windows(2).any(|w| w[1] <= w[0]) || v.iter().any(|x| !x.is_finite())
            {
                Err(fail(format!(
                    "`{name}` must hold at least 2 increasing finite values"
                )))
            } else {
                Ok(())
            }
        };
        check_axis("mu_vals", &mu)?;
        check_axis("sigma_vals", &sigma)?;
        let (n_mu, n_sigma) = (mu.len(), sigma.len());
        let mut values = vec![[0.0; 3]; n_mu * n_sigma];
        for (k, name) in ["r_ss", "V_mean_ss", "tau_mu_exp"].into_iter().enumerate() {
            let (data, shape) = read(name)?;
            if shape != [n_mu, n_sigma] {
                return Err(fail(format!(
                    "dataset `{name}` has shape {shape:?}, expected [{n_mu}, {n_sigma}] (mu x sigma)"
                )));
            }
            if let Some(i) = data.iter().position(|x| !x.is_finite()) {
                return Err(fail(format!(
                    "dataset `{name}` has a non-finite entry at flat index {i}"
                )));
            }
            for (v, x) in values.iter_mut().zip(data) {
                v[k] = x;
            }
        }
        // Pad: repeat the last sigma column in every row, then the last row.
        let stride = n_sigma + 1;
        let mut padded = Vec::with_capacity((n_mu + 1) * stride);
        for row in values.chunks_exact(n_sigma) {
            padded.extend_from_slice(row);
            padded.push(row[n_sigma - 1]);
        }
        padded.extend_from_within((n_mu - 1) * stride..n_mu * stride);
        let values = padded;
        Ok(TransferTable {
            path: path.to_path_buf(),
            mu_first: mu[0],
            mu_last: mu[n_mu - 1],
            mu_inv_step: 1.0 / (mu[1] - mu[0]),
            n_mu,
            sigma_first: sigma[0],
            sigma_last: sigma[n_sigma - 1],
            sigma_inv_step: 1.0 / (sigma[1] - sigma[0]),
            n_sigma,
            values,
        })
    }

    /// The default table, loaded once per process and shared.
    pub fn shared_default() -> Result<Arc<TransferTable>, Error> {
        static DEFAULT: OnceLock<Result<Arc<TransferTable>, Error>> = OnceLock::new();
        DEFAULT
            .get_or_init(|| TransferTable::load(DEFAULT_TABLE_PATH).map(Arc::new))
            .clone()
    }

    /// The file the table was read from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The neuron the table was computed for, from the file's attributes (tables written by
    /// `neuromass aln-table`) or neurolib's `params/` group; `None` if the file records none.
    pub fn neuron(&self) -> Option<crate::aln_table::AdexNeuron> {
        let file = hdf5::File::open(&self.path).ok()?;
        crate::aln_table::table_neuron(&file)
    }

    /// Warnings for a mass with capacitance `c` (pF) and leak conductance `g_l` (nS) that
    /// differ from the neuron this table was computed for (empty if they match or the file
    /// records no neuron). The table's other parameters (EL, VT, DeltaT, Vr, Vcut, Tref) are
    /// not mass parameters: they hold as the table says.
    pub fn mismatch_warnings(&self, c: f64, g_l: f64) -> Vec<String> {
        let Some(n) = self.neuron() else {
            return Vec::new();
        };
        [("C", c, n.c, "pF"), ("gL", g_l, n.g_l, "nS")]
            .into_iter()
            .filter(|(_, mass, table, _)| (mass - table).abs() > 1e-9 * table.abs().max(1.0))
            .map(|(name, mass, table, unit)| {
                format!(
                    "ALN mass has {name} = {mass} {unit} but its transfer table `{}` was computed \
                     for {name} = {table} {unit} (taum = {} ms); recompute it with \
                     `neuromass aln-table --{name} {mass} ...`",
                    self.path.display(),
                    n.tau_m()
                )
            })
            .collect()
    }

    /// Cell index and weight along one axis, neurolib's rule: inside the grid the lower
    /// index and fractional distance; below the first value the first entry; at or beyond
    /// the last value the last entry (weight 0 on its padded neighbour). `x` is finite.
    #[inline(always)]
    fn locate(x: f64, first: f64, last: f64, inv_step: f64, n: usize) -> (usize, f64) {
        if x < first {
            (0, 0.0)
        } else if x >= last {
            (n - 1, 0.0)
        } else {
            let pos = (x - first) * inv_step;
            // SAFETY: `x` is finite with `first <= x < last`, so `pos` is finite, >= 0 and
            // at most about `n - 1`: truncating it to an integer cannot overflow. (A plain
            // `as` cast adds saturation checks on the model's critical path.)
            let lower: usize = unsafe { pos.to_int_unchecked() };
            (lower.min(n - 1), pos - lower as f64)
        }
    }

    /// `(r_ss, V_mean_ss, tau_mu_exp)` at `(mu, sigma)`; NaN if either is not finite.
    #[inline(always)]
    pub fn lookup(&self, mu: f64, sigma: f64) -> [f64; 3] {
        if !(mu.is_finite() && sigma.is_finite()) {
            return [f64::NAN; 3];
        }
        let (y, dy) = Self::locate(mu, self.mu_first, self.mu_last, self.mu_inv_step, self.n_mu);
        let (x, dx) = Self::locate(
            sigma,
            self.sigma_first,
            self.sigma_last,
            self.sigma_inv_step,
            self.n_sigma,
        );
        let stride = self.n_sigma + 1;
        // The cell and its upper neighbours in both directions (always inside the padding).
        let cell = &self.values[y * stride + x..][..stride + 2];
        let (a, b, c, d) = (&cell[0], &cell[1], &cell[stride], &cell[stride + 1]);
        std::array::from_fn(|k| bilinear([a[k], b[k], c[k], d[k]], dx, dy))
    }

    /// [`lookup`](Self::lookup) of four `(mu, sigma)` pairs at once, with the same
    /// numbers lane by lane. Only called from AVX2 code (see `lanes`).
    #[cfg(target_arch = "x86_64")]
    #[inline(always)]
    fn lookup4(&self, mu: F64x4, sigma: F64x4) -> [F64x4; 3] {
        use std::arch::x86_64::*;
        // SAFETY: AVX2 is available (the `F64x4` invariant). Gather indices are cells of
        // the padded grid times 3 plus at most `3 * (stride + 1) + 2`: inside `values`,
        // because `locate4` yields rows `< n_mu` and columns `< n_sigma` (non-finite
        // lanes read cell 0), and the padded grid has one more row and column.
        unsafe {
            let finite = _mm256_and_pd(mu.finite_mask(), sigma.finite_mask());
            let (y, dy) = Self::locate4(
                mu.0,
                finite,
                self.mu_first,
                self.mu_last,
                self.mu_inv_step,
                self.n_mu,
            );
            let (x, dx) = Self::locate4(
                sigma.0,
                finite,
                self.sigma_first,
                self.sigma_last,
                self.sigma_inv_step,
                self.n_sigma,
            );
            let stride = (self.n_sigma + 1) as i32;
            let three = _mm_set1_epi32(3);
            let cell = _mm_mullo_epi32(
                _mm_add_epi32(_mm_mullo_epi32(y, _mm_set1_epi32(stride)), x),
                three,
            );
            let base = self.values.as_ptr() as *const f64;
            let (dx, dy) = (F64x4(dx), F64x4(dy));
            let corners = [
                cell,
                _mm_add_epi32(cell, three),
                _mm_add_epi32(cell, _mm_set1_epi32(3 * stride)),
                _mm_add_epi32(cell, _mm_set1_epi32(3 * stride + 3)),
            ];
            let nan = _mm256_set1_pd(f64::NAN);
            let mut out = [F64x4::splat(0.0); 3];
            for (k, out) in out.iter_mut().enumerate() {
                let at = |c: __m128i| {
                    F64x4(_mm256_i32gather_pd::<8>(
                        base,
                        _mm_add_epi32(c, _mm_set1_epi32(k as i32)),
                    ))
                };
                let (a, b, c, d) = (
                    at(corners[0]),
                    at(corners[1]),
                    at(corners[2]),
                    at(corners[3]),
                );
                let v = bilinear([a, b, c, d], dx, dy);
                *out = F64x4(_mm256_blendv_pd(nan, v.0, finite));
            }
            out
        }
    }

    /// [`locate`](Self::locate) in four lanes: cell indices (lanes that are not `finite`
    /// get cell 0) and weights.
    #[cfg(target_arch = "x86_64")]
    #[inline(always)]
    unsafe fn locate4(
        x: std::arch::x86_64::__m256d,
        finite: std::arch::x86_64::__m256d,
        first: f64,
        last: f64,
        inv_step: f64,
        n: usize,
    ) -> (std::arch::x86_64::__m128i, std::arch::x86_64::__m256d) {
        use std::arch::x86_64::*;
        // SAFETY (caller): AVX2 is available.
        unsafe {
            let zero = _mm256_setzero_pd();
            let top = _mm256_set1_pd((n - 1) as f64);
            let pos = _mm256_mul_pd(
                _mm256_sub_pd(x, _mm256_set1_pd(first)),
                _mm256_set1_pd(inv_step),
            );
            // Like `locate`: the weight from the unclamped lower index, the index clamped.
            let floor = _mm256_round_pd::<{ _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC }>(pos);
            let lower = _mm256_min_pd(floor, top);
            let mut frac = _mm256_sub_pd(pos, floor);
            let below = _mm256_cmp_pd::<_CMP_LT_OQ>(x, _mm256_set1_pd(first));
            let above = _mm256_cmp_pd::<_CMP_GE_OQ>(x, _mm256_set1_pd(last));
            let edge = _mm256_or_pd(below, above);
            frac = _mm256_blendv_pd(frac, zero, edge);
            let mut index = _mm256_blendv_pd(lower, zero, below);
            index = _mm256_blendv_pd(index, top, above);
            // Not finite: cell 0, so the gather stays inside the table (the result is NaN).
            index = _mm256_blendv_pd(zero, index, finite);
            (_mm256_cvttpd_epi32(index), frac)
        }
    }

    /// [`lookup`](Self::lookup) of eight `(mu, sigma)` pairs at once, with the same
    /// numbers lane by lane. Only called from AVX-512F code (see `lanes`).
    #[cfg(target_arch = "x86_64")]
    #[inline(always)]
    fn lookup8(&self, mu: F64x8, sigma: F64x8) -> [F64x8; 3] {
        use std::arch::x86_64::*;
        // SAFETY: AVX-512F is available (the `F64x8` invariant). Gather indices are
        // `3 (row * stride + column)` with rows `< n_mu` and columns `< n_sigma` (non-finite
        // lanes read cell 0), and every base pointer is `values` advanced by at most
        // `3 (stride + 1) + 2` values: each read stays inside the padded grid, which has one
        // more row and column.
        unsafe {
            let finite = mu.finite_mask() & sigma.finite_mask();
            let (y, dy) = Self::locate8(
                mu.0,
                finite,
                self.mu_first,
                self.mu_last,
                self.mu_inv_step,
                self.n_mu,
            );
            let (x, dx) = Self::locate8(
                sigma.0,
                finite,
                self.sigma_first,
                self.sigma_last,
                self.sigma_inv_step,
                self.n_sigma,
            );
            let stride = self.n_sigma + 1;
            // Integers far below 2^53: exact in `f64`, so one conversion gives the offsets.
            let cell = _mm512_cvttpd_epi32(_mm512_add_pd(
                _mm512_mul_pd(y, _mm512_set1_pd((3 * stride) as f64)),
                _mm512_mul_pd(x, _mm512_set1_pd(3.0)),
            ));
            let base = self.values.as_ptr().cast::<f64>();
            let (dx, dy) = (F64x8(dx), F64x8(dy));
            // The four corners are fixed offsets from the cell: move the base, not the index.
            let corners = [0, 3, 3 * stride, 3 * stride + 3];
            let nan = _mm512_set1_pd(f64::NAN);
            let mut out = [F64x8::splat(0.0); 3];
            for (k, out) in out.iter_mut().enumerate() {
                let at = |corner: usize| {
                    F64x8(_mm512_i32gather_pd::<8>(
                        cell,
                        base.add(corners[corner] + k),
                    ))
                };
                let (a, b, c, d) = (at(0), at(1), at(2), at(3));
                let v = bilinear([a, b, c, d], dx, dy);
                *out = F64x8(_mm512_mask_blend_pd(finite, nan, v.0));
            }
            out
        }
    }

    /// [`locate`](Self::locate) in eight lanes: cell indices as `f64` (lanes that are not
    /// `finite` get cell 0) and weights.
    #[cfg(target_arch = "x86_64")]
    #[inline(always)]
    unsafe fn locate8(
        x: std::arch::x86_64::__m512d,
        finite: std::arch::x86_64::__mmask8,
        first: f64,
        last: f64,
        inv_step: f64,
        n: usize,
    ) -> (std::arch::x86_64::__m512d, std::arch::x86_64::__m512d) {
        use std::arch::x86_64::*;
        // SAFETY (caller): AVX-512F is available.
        unsafe {
            let top = _mm512_set1_pd((n - 1) as f64);
            let pos = _mm512_mul_pd(
                _mm512_sub_pd(x, _mm512_set1_pd(first)),
                _mm512_set1_pd(inv_step),
            );
            let floor = _mm512_roundscale_pd::<{ _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC }>(pos);
            let below = _mm512_cmp_pd_mask::<_CMP_LT_OQ>(x, _mm512_set1_pd(first));
            let above = _mm512_cmp_pd_mask::<_CMP_GE_OQ>(x, _mm512_set1_pd(last));
            // Inside the grid: the weight from the unclamped lower index (as `locate`); at
            // and beyond the edges weight 0.
            let frac = _mm512_maskz_sub_pd(!(below | above), pos, floor);
            // Index: clamped lower index inside, 0 below, the last row or column above, and
            // 0 for non-finite lanes (so the gathers stay inside the table).
            let index = _mm512_mask_mov_pd(_mm512_min_pd(floor, top), above, top);
            let index = _mm512_maskz_mov_pd(finite & !below, index);
            (index, frac)
        }
    }
}

/// A mass's handle on its table: loaded, or the load error (reported when the network is
/// validated, before any run).
#[derive(Debug, Clone)]
struct TableHandle(Result<Arc<TransferTable>, Error>);

impl Default for TableHandle {
    fn default() -> Self {
        TableHandle(TransferTable::shared_default())
    }
}

impl TableHandle {
    #[inline]
    fn lookup(&self, mu: f64, sigma: f64) -> [f64; 3] {
        match &self.0 {
            Ok(t) => t.lookup(mu, sigma),
            Err(_) => [f64::NAN; 3],
        }
    }
    fn check(&self) -> Result<(), Error> {
        self.0.as_ref().map(|_| ()).map_err(Clone::clone)
    }
    fn warnings(&self, c: f64, g_l: f64) -> Vec<String> {
        match &self.0 {
            Ok(t) => t.mismatch_warnings(c, g_l),
            Err(_) => Vec::new(),
        }
    }
}

parameters! {
    /// Parameters of the excitatory ALN population.
    pub struct AlnExcParams {
        /// Number of excitatory inputs per neuron.
        Ke: Bounds::NonNegative,
        /// Number of inhibitory inputs per neuron.
        Ki: Bounds::NonNegative,
        /// PSP amplitude of the global (network) input (mV).
        c_gl: Bounds::Finite,
        /// Number of incoming excitatory connections from each other area.
        Ke_gl: Bounds::NonNegative,
        /// Excitatory synaptic time constant (ms).
        tau_se: Bounds::Positive,
        /// Inhibitory synaptic time constant (ms).
        tau_si: Bounds::Positive,
        /// Standard deviation of the external input (mV/sqrt(ms)).
        sigmae_ext: Bounds::NonNegative,
        /// Maximum synaptic current EXC -> EXC (mV/ms).
        Jee_max: Bounds::Finite,
        /// Maximum synaptic current INH -> EXC (mV/ms).
        Jei_max: Bounds::Finite,
        /// Membrane capacitance (pF).
        C: Bounds::Positive,
        /// Leak conductance (nS).
        gL: Bounds::Positive,
        /// External input current (mV/ms).
        ext_exc_current: Bounds::Finite,
        /// External excitatory input rate (kHz).
        ext_exc_rate: Bounds::NonNegative,
        /// Subthreshold adaptation conductance (nS).
        a: Bounds::Finite,
        /// Spike-triggered adaptation increment (pA).
        b: Bounds::Finite,
        /// Adaptation reversal potential (mV).
        EA: Bounds::Finite,
        /// Adaptation time constant (ms).
        tauA: Bounds::Positive,
        /// Relaxation rate of the rate variable (1/ms).
        lambda: Bounds::Positive,
    }
}

parameters! {
    /// Parameters of the inhibitory ALN population.
    pub struct AlnInhParams {
        /// Number of excitatory inputs per neuron.
        Ke: Bounds::NonNegative,
        /// Number of inhibitory inputs per neuron.
        Ki: Bounds::NonNegative,
        /// PSP amplitude of the global (network) input (mV).
        c_gl: Bounds::Finite,
        /// Number of incoming excitatory connections from each other area.
        Ke_gl: Bounds::NonNegative,
        /// Excitatory synaptic time constant (ms).
        tau_se: Bounds::Positive,
        /// Inhibitory synaptic time constant (ms).
        tau_si: Bounds::Positive,
        /// Standard deviation of the external input (mV/sqrt(ms)).
        sigmai_ext: Bounds::NonNegative,
        /// Maximum synaptic current EXC -> INH (mV/ms).
        Jie_max: Bounds::Finite,
        /// Maximum synaptic current INH -> INH (mV/ms).
        Jii_max: Bounds::Finite,
        /// Membrane capacitance (pF).
        C: Bounds::Positive,
        /// Leak conductance (nS).
        gL: Bounds::Positive,
        /// External input current (mV/ms).
        ext_inh_current: Bounds::Finite,
        /// External excitatory input rate (kHz).
        ext_inh_rate: Bounds::NonNegative,
        /// Relaxation rate of the rate variable (1/ms).
        lambda: Bounds::Positive,
    }
}

macro_rules! coefficients {
    ($(#[$doc:meta] $field:ident,)*) => {
        /// What an ALN population's right-hand side reads: its parameters and constants
        /// derived from them once (see [`NeuralMass::parameters_changed`]), so a step
        /// multiplies instead of dividing. `L` is `f64` for one mass, or lanes of several
        /// masses side by side; the inhibitory population leaves the adaptation fields 0.
        #[derive(Debug, Clone, Copy, Default)]
        struct Coefficients<L> {
            $(#[$doc] $field: L,)*
        }

        impl Coefficients<f64> {
            /// Mass `lane` (`< PACK`) of `packed` set to these coefficients.
            fn pack_into(&self, packed: &mut Coefficients<Pack>, lane: usize) {
                $(packed.$field[lane / 4][lane % 4] = self.$field;)*
            }
        }

        #[cfg(target_arch = "x86_64")]
        impl Coefficients<Pack> {
            /// Masses `4 half .. 4 half + 4` of the pack as four lanes.
            #[inline(always)]
            fn load4(&self, half: usize) -> Coefficients<F64x4> {
                Coefficients { $($field: F64x4::load(&self.$field[half]),)* }
            }
            /// The pack's eight masses as eight lanes.
            #[inline(always)]
            fn load8(&self) -> Coefficients<F64x8> {
                Coefficients { $($field: F64x8::load(&self.$field),)* }
            }
        }
    };
}

coefficients! {
    /// Number of excitatory inputs per neuron.
    ke,
    /// Number of inhibitory inputs per neuron.
    ki,
    /// External excitatory input rate (kHz).
    ext_rate,
    /// Scale of network and external-rate input, `c_gl tau_se / J_e_max * Ke_gl`.
    global,
    /// Its squared-input counterpart `(c_gl tau_se / J_e_max)² Ke_gl`.
    global_sq,
    /// Excitatory synaptic time constant (ms).
    tau_se,
    /// Inhibitory synaptic time constant (ms).
    tau_si,
    /// Membrane time constant `C / gL` (ms).
    tau_m,
    /// `2 J_e² tau_se tau_m`: numerator of the excitatory variance.
    var_e,
    /// `2 J_i² tau_si tau_m`: numerator of the inhibitory variance.
    var_i,
    /// Standard deviation of the external input.
    sigma_ext,
    /// Maximum excitatory synaptic current onto this population.
    j_e,
    /// Maximum inhibitory synaptic current onto this population.
    j_i,
    /// External input current.
    ext_current,
    /// `-lambda`: the rate's relaxation.
    neg_lambda,
    /// `1 / tau_se`.
    inv_tau_se,
    /// `1 / tau_si`.
    inv_tau_si,
    /// `1 / tau_se²`.
    inv_tau_se_sq,
    /// `1 / tau_si²`.
    inv_tau_si_sq,
    /// Subthreshold adaptation conductance (excitatory only).
    a,
    /// Spike-triggered adaptation increment (excitatory only).
    b,
    /// Adaptation reversal potential (excitatory only).
    ea,
    /// `1 / tauA` (excitatory only).
    inv_tau_a,
    /// `1 / C` (excitatory only).
    inv_c,
}

/// Masses per coefficient pack: one eight-lane chunk, or two four-lane ones.
const PACK: usize = 8;

/// A coefficient of one pack: masses `0..4`, then `4..8` (contiguous, so eight lanes load
/// it at once and four lanes either half).
type Pack = [[f64; 4]; 2];

impl Coefficients<f64> {
    /// The coefficients shared by both populations.
    #[allow(clippy::too_many_arguments)]
    fn population(
        (c, g_l): (f64, f64),
        (j_e, j_i): (f64, f64),
        (tau_se, tau_si): (f64, f64),
        (c_gl, ke_gl): (f64, f64),
        (ke, ki): (f64, f64),
        (ext_current, ext_rate, sigma_ext): (f64, f64, f64),
        lambda: f64,
    ) -> Self {
        let tau_m = c / g_l;
        let global = c_gl * tau_se / j_e;
        Coefficients {
            ke,
            ki,
            ext_rate,
            global: global * ke_gl,
            global_sq: global * global * ke_gl,
            tau_se,
            tau_si,
            tau_m,
            var_e: 2.0 * j_e * j_e * tau_se * tau_m,
            var_i: 2.0 * j_i * j_i * tau_si * tau_m,
            sigma_ext,
            j_e,
            j_i,
            ext_current,
            neg_lambda: -lambda,
            inv_tau_se: 1.0 / tau_se,
            inv_tau_si: 1.0 / tau_si,
            inv_tau_se_sq: 1.0 / (tau_se * tau_se),
            inv_tau_si_sq: 1.0 / (tau_si * tau_si),
            ..Default::default()
        }
    }
}

/// `d s_sigma / dt` of one synaptic variance (see [`Coefficients::synaptic_variance_rates`]).
#[inline(always)]
fn variance_rate<L: Lane>(
    (s_mu, s_sigma): (L, L),
    (input, input_sq): (L, L),
    (tau, inv_tau_sq): (L, L),
) -> L {
    let (one, two) = (L::splat(1.0), L::splat(2.0));
    ((one - s_mu) * (one - s_mu) * input_sq + (input_sq - two * tau * (input + one)) * s_sigma)
        * inv_tau_sq
}

impl<L: Lane> Coefficients<L> {
    /// Standard deviation of the membrane current from the synaptic variances:
    /// `sqrt(Σ_k 2 J_k² s_sigma_k tau_k tau_m / ((1 + in_k) tau_m + tau_k) + sigma_ext²)`.
    #[inline(always)]
    fn current_sigma(&self, (s_sigma_e, in_e): (L, L), (s_sigma_i, in_i): (L, L)) -> L {
        let one = L::splat(1.0);
        // One division for both fractions: a/b + c/d = (a d + c b) / (b d).
        let den_e = (one + in_e) * self.tau_m + self.tau_se;
        let den_i = (one + in_i) * self.tau_m + self.tau_si;
        let (num_e, num_i) = (self.var_e * s_sigma_e, self.var_i * s_sigma_i);
        ((num_e * den_i + num_i * den_e) / (den_e * den_i) + self.sigma_ext * self.sigma_ext).sqrt()
    }

    /// `d I_mu / dt = (J_e s_mu_e + J_i s_mu_i + noise + I_ext - I_mu) / tau`.
    #[inline(always)]
    fn current_rate(&self, (s_mu_e, s_mu_i): (L, L), (noise, i_mu, tau): (L, L, L)) -> L {
        (self.j_e * s_mu_e + self.j_i * s_mu_i + noise + self.ext_current - i_mu) / tau
    }

    /// `d s_mu / dt` of both synaptic means: `((1 - s_mu) input - s_mu) / tau`.
    #[inline(always)]
    fn synaptic_mean_rates(&self, (s_mu_e, s_mu_i): (L, L), (in_e, in_i): (L, L)) -> [L; 2] {
        let one = L::splat(1.0);
        [
            ((one - s_mu_e) * in_e - s_mu_e) * self.inv_tau_se,
            ((one - s_mu_i) * in_i - s_mu_i) * self.inv_tau_si,
        ]
    }

    /// `d s_sigma / dt` of both synaptic variances:
    /// `((1 - s_mu)² input_sq + (input_sq - 2 tau (input + 1)) s_sigma) / tau²`.
    #[inline(always)]
    fn synaptic_variance_rates(
        &self,
        (s_mu_e, s_mu_i): (L, L),
        (s_sigma_e, s_sigma_i): (L, L),
        (in_e, in_e_sq): (L, L),
        (in_i, in_i_sq): (L, L),
    ) -> [L; 2] {
        [
            variance_rate(
                (s_mu_e, s_sigma_e),
                (in_e, in_e_sq),
                (self.tau_se, self.inv_tau_se_sq),
            ),
            variance_rate(
                (s_mu_i, s_sigma_i),
                (in_i, in_i_sq),
                (self.tau_si, self.inv_tau_si_sq),
            ),
        ]
    }

    /// The excitatory population's right-hand side (state and inputs in the order of
    /// [`AlnExcitatoryMass`]'s `state_names` and `inputs`).
    #[inline(always)]
    fn excitatory(
        &self,
        lookup: impl Fn(L, L) -> [L; 3],
        x: [L; 7],
        inp: [L; 6],
        noise: L,
    ) -> [L; 7] {
        let [i_mu, i_a, s_mu_e, s_mu_i, s_sigma_e, s_sigma_i, rate] = x;
        let [node_ee, node_ee_sq, node_ei, node_ei_sq, net_ee, net_ee_sq] = inp;
        let in_e = self.ke * node_ee + self.global * (net_ee + self.ext_rate);
        let in_i = self.ki * node_ei;
        let in_e_sq = self.ke * node_ee_sq + self.global_sq * (net_ee_sq + self.ext_rate);
        let in_i_sq = self.ki * node_ei_sq;
        let sigma = self.current_sigma((s_sigma_e, in_e), (s_sigma_i, in_i));
        let [r_ss, v_mean, tau] = lookup(i_mu - i_a * self.inv_c, sigma);
        let [d_mu_e, d_mu_i] = self.synaptic_mean_rates((s_mu_e, s_mu_i), (in_e, in_i));
        let [d_sigma_e, d_sigma_i] = self.synaptic_variance_rates(
            (s_mu_e, s_mu_i),
            (s_sigma_e, s_sigma_i),
            (in_e, in_e_sq),
            (in_i, in_i_sq),
        );
        [
            self.current_rate((s_mu_e, s_mu_i), (noise, i_mu, tau)),
            (self.a * (v_mean - self.ea) - i_a) * self.inv_tau_a + self.b * r_ss,
            d_mu_e,
            d_mu_i,
            d_sigma_e,
            d_sigma_i,
            self.neg_lambda * (rate - r_ss),
        ]
    }

    /// The inhibitory population's right-hand side (state and inputs in the order of
    /// [`AlnInhibitoryMass`]'s; the last state and the last two inputs are unused).
    #[inline(always)]
    fn inhibitory(
        &self,
        lookup: impl Fn(L, L) -> [L; 3],
        x: [L; 7],
        inp: [L; 6],
        noise: L,
    ) -> [L; 7] {
        let [i_mu, s_mu_e, s_mu_i, s_sigma_e, s_sigma_i, rate, _] = x;
        let [node_ie, node_ie_sq, node_ii, node_ii_sq, _, _] = inp;
        let in_e = self.ke * node_ie + self.global * self.ext_rate;
        let in_i = self.ki * node_ii;
        let in_e_sq = self.ke * node_ie_sq + self.global_sq * self.ext_rate;
        let in_i_sq = self.ki * node_ii_sq;
        let sigma = self.current_sigma((s_sigma_e, in_e), (s_sigma_i, in_i));
        let [r_ss, _, tau] = lookup(i_mu, sigma);
        let [d_mu_e, d_mu_i] = self.synaptic_mean_rates((s_mu_e, s_mu_i), (in_e, in_i));
        let [d_sigma_e, d_sigma_i] = self.synaptic_variance_rates(
            (s_mu_e, s_mu_i),
            (s_sigma_e, s_sigma_i),
            (in_e, in_e_sq),
            (in_i, in_i_sq),
        );
        [
            self.current_rate((s_mu_e, s_mu_i), (noise, i_mu, tau)),
            d_mu_e,
            d_mu_i,
            d_sigma_e,
            d_sigma_i,
            self.neg_lambda * (rate - r_ss),
            L::splat(0.0),
        ]
    }
}

/// Excitatory ALN population, with spike-frequency adaptation. State: `I_mu`, `I_A`,
/// `I_syn_mu_exc`, `I_syn_mu_inh`, `I_syn_sigma_exc`, `I_syn_sigma_inh`, `r_mean`.
#[derive(Debug, Clone)]
pub struct AlnExcitatoryMass {
    /// Parameters.
    pub params: AlnExcParams,
    table: TableHandle,
    coefficients: Coefficients<f64>,
}

impl Default for AlnExcitatoryMass {
    fn default() -> Self {
        let mut mass = AlnExcitatoryMass {
            params: AlnExcParams {
                Ke: 800.0,
                Ki: 200.0,
                c_gl: 0.4,
                Ke_gl: 250.0,
                tau_se: 2.0,
                tau_si: 5.0,
                sigmae_ext: 1.5,
                Jee_max: 2.43,
                Jei_max: -3.3,
                C: 200.0,
                gL: 10.0,
                ext_exc_current: 0.0,
                ext_exc_rate: 0.0,
                a: 15.0,
                b: 40.0,
                EA: -80.0,
                tauA: 200.0,
                lambda: 10.0,
            },
            table: TableHandle::default(),
            coefficients: Coefficients::default(),
        };
        mass.parameters_changed();
        mass
    }
}

/// Inhibitory ALN population. State: `I_mu`, `I_syn_mu_exc`, `I_syn_mu_inh`,
/// `I_syn_sigma_exc`, `I_syn_sigma_inh`, `r_mean`.
#[derive(Debug, Clone)]
pub struct AlnInhibitoryMass {
    /// Parameters.
    pub params: AlnInhParams,
    table: TableHandle,
    coefficients: Coefficients<f64>,
}

impl Default for AlnInhibitoryMass {
    fn default() -> Self {
        let mut mass = AlnInhibitoryMass {
            params: AlnInhParams {
                Ke: 800.0,
                Ki: 200.0,
                c_gl: 0.4,
                Ke_gl: 250.0,
                tau_se: 2.0,
                tau_si: 5.0,
                sigmai_ext: 1.5,
                Jie_max: 2.6,
                Jii_max: -1.64,
                C: 200.0,
                gL: 10.0,
                ext_inh_current: 0.0,
                ext_inh_rate: 0.0,
                lambda: 10.0,
            },
            table: TableHandle::default(),
            coefficients: Coefficients::default(),
        };
        mass.parameters_changed();
        mass
    }
}

macro_rules! table_setters {
    ($ty:ident) => {
        impl $ty {
            /// Use this table.
            pub fn with_table(mut self, table: Arc<TransferTable>) -> Self {
                self.table = TableHandle(Ok(table));
                self
            }
            /// Use the table in this file (same layout as neurolib's).
            pub fn with_table_file(self, path: impl AsRef<Path>) -> Result<Self, Error> {
                Ok(self.with_table(Arc::new(TransferTable::load(path)?)))
            }
        }
    };
}
table_setters!(AlnExcitatoryMass);
table_setters!(AlnInhibitoryMass);

impl NeuralMass for AlnExcitatoryMass {
    type Params = AlnExcParams;
    fn label(&self) -> &'static str {
        "ALNMassEXC"
    }
    fn mass_type(&self) -> Option<&'static str> {
        Some("EXC")
    }
    fn state_names(&self) -> &'static [&'static str] {
        &[
            "I_mu",
            "I_A",
            "I_syn_mu_exc",
            "I_syn_mu_inh",
            "I_syn_sigma_exc",
            "I_syn_sigma_inh",
            "r_mean",
        ]
    }
    fn local_output(&self) -> Option<usize> {
        Some(6)
    }
    fn inputs(&self) -> &'static [&'static str] {
        &[
            "node_exc_exc",
            "node_exc_exc_sq",
            "node_exc_inh",
            "node_exc_inh_sq",
            "network_exc_exc",
            "network_exc_exc_sq",
        ]
    }
    fn params(&self) -> &AlnExcParams {
        &self.params
    }
    fn params_mut(&mut self) -> &mut AlnExcParams {
        &mut self.params
    }
    fn default_noise(&self, _channel: usize) -> ChannelNoise {
        // neurolib's ALN EXC input: OU with mean 0.4 mV/ms, silent fluctuations.
        ChannelNoise {
            mu: 0.4,
            ..ChannelNoise::SILENT
        }
    }
    fn initial_state_range(&self) -> Vec<(f64, f64)> {
        [3.0, 200.0, 0.5, 0.5, 0.001, 0.001, 0.01]
            .iter()
            .map(|&h| (0.0, h))
            .collect()
    }
    fn check(&self) -> Result<(), Error> {
        self.table.check()
    }
    fn warnings(&self) -> Vec<String> {
        self.table.warnings(self.params.C, self.params.gL)
    }
    fn parameters_changed(&mut self) {
        let p = &self.params;
        self.coefficients = Coefficients {
            a: p.a,
            b: p.b,
            ea: p.EA,
            inv_tau_a: 1.0 / p.tauA,
            inv_c: 1.0 / p.C,
            ..Coefficients::population(
                (p.C, p.gL),
                (p.Jee_max, p.Jei_max),
                (p.tau_se, p.tau_si),
                (p.c_gl, p.Ke_gl),
                (p.Ke, p.Ki),
                (p.ext_exc_current, p.ext_exc_rate, p.sigmae_ext),
                p.lambda,
            )
        };
    }
    fn new_block(&self) -> Box<dyn MassBlock> {
        Box::new(AlnBlock::new(self.clone()))
    }
    #[inline(always)]
    fn derivatives(&self, x: &[f64], inp: &[f64], ext: &[f64], dx: &mut [f64]) {
        let d = self.coefficients.excitatory(
            |mu, sigma| self.table.lookup(mu, sigma),
            [x[0], x[1], x[2], x[3], x[4], x[5], x[6]],
            [inp[0], inp[1], inp[2], inp[3], inp[4], inp[5]],
            ext[0],
        );
        dx[..7].copy_from_slice(&d);
    }
}

impl NeuralMass for AlnInhibitoryMass {
    type Params = AlnInhParams;
    fn label(&self) -> &'static str {
        "ALNMassINH"
    }
    fn mass_type(&self) -> Option<&'static str> {
        Some("INH")
    }
    fn state_names(&self) -> &'static [&'static str] {
        &[
            "I_mu",
            "I_syn_mu_exc",
            "I_syn_mu_inh",
            "I_syn_sigma_exc",
            "I_syn_sigma_inh",
            "r_mean",
        ]
    }
    fn local_output(&self) -> Option<usize> {
        Some(5)
    }
    fn inputs(&self) -> &'static [&'static str] {
        &[
            "node_inh_exc",
            "node_inh_exc_sq",
            "node_inh_inh",
            "node_inh_inh_sq",
        ]
    }
    fn params(&self) -> &AlnInhParams {
        &self.params
    }
    fn params_mut(&mut self) -> &mut AlnInhParams {
        &mut self.params
    }
    fn default_noise(&self, _channel: usize) -> ChannelNoise {
        // neurolib's ALN INH input: OU with mean 0.3 mV/ms, silent fluctuations.
        ChannelNoise {
            mu: 0.3,
            ..ChannelNoise::SILENT
        }
    }
    fn initial_state_range(&self) -> Vec<(f64, f64)> {
        [3.0, 0.5, 0.5, 0.01, 0.01, 0.01]
            .iter()
            .map(|&h| (0.0, h))
            .collect()
    }
    fn check(&self) -> Result<(), Error> {
        self.table.check()
    }
    fn warnings(&self) -> Vec<String> {
        self.table.warnings(self.params.C, self.params.gL)
    }
    fn parameters_changed(&mut self) {
        let p = &self.params;
        self.coefficients = Coefficients::population(
            (p.C, p.gL),
            (p.Jie_max, p.Jii_max),
            (p.tau_se, p.tau_si),
            (p.c_gl, p.Ke_gl),
            (p.Ke, p.Ki),
            (p.ext_inh_current, p.ext_inh_rate, p.sigmai_ext),
            p.lambda,
        );
    }
    fn new_block(&self) -> Box<dyn MassBlock> {
        Box::new(AlnBlock::new(self.clone()))
    }
    #[inline(always)]
    fn derivatives(&self, x: &[f64], inp: &[f64], ext: &[f64], dx: &mut [f64]) {
        let d = self.coefficients.inhibitory(
            |mu, sigma| self.table.lookup(mu, sigma),
            [x[0], x[1], x[2], x[3], x[4], x[5], 0.0],
            [inp[0], inp[1], inp[2], inp[3], 0.0, 0.0],
            ext[0],
        );
        dx[..6].copy_from_slice(&d[..6]);
    }
}

/// The two ALN populations, as the vectorised block sees them.
trait AlnPopulation: NeuralMass {
    /// State variables (7 excitatory, 6 inhibitory).
    const STATE: usize;
    /// Coupling inputs (6 excitatory, 4 inhibitory).
    const INPUTS: usize;
    fn coefficients(&self) -> &Coefficients<f64>;
    fn table(&self) -> &TableHandle;
    /// The right-hand side (state and inputs padded to 7 and 6 entries).
    fn rhs<L: Lane>(
        c: &Coefficients<L>,
        lookup: impl Fn(L, L) -> [L; 3],
        x: [L; 7],
        inp: [L; 6],
        noise: L,
    ) -> [L; 7];
}

/// `AlnPopulation` for a mass with `$state` variables and `$inputs` inputs whose right-hand
/// side is `Coefficients::$rhs`.
macro_rules! aln_population {
    ($mass:ty, $state:expr, $inputs:expr, $rhs:ident) => {
        impl AlnPopulation for $mass {
            const STATE: usize = $state;
            const INPUTS: usize = $inputs;
            fn coefficients(&self) -> &Coefficients<f64> {
                &self.coefficients
            }
            fn table(&self) -> &TableHandle {
                &self.table
            }
            #[inline(always)]
            fn rhs<L: Lane>(
                c: &Coefficients<L>,
                lookup: impl Fn(L, L) -> [L; 3],
                x: [L; 7],
                inp: [L; 6],
                noise: L,
            ) -> [L; 7] {
                c.$rhs(lookup, x, inp, noise)
            }
        }
    };
}
aln_population!(AlnExcitatoryMass, 7, 6, excitatory);
aln_population!(AlnInhibitoryMass, 6, 4, inhibitory);

/// The block of one ALN population type: steps eight masses at a time with AVX-512F, four
/// with AVX2, when the CPU has it and the masses share one transfer table, the rest one by
/// one — the same equations in all cases ([`Coefficients::excitatory`],
/// [`Coefficients::inhibitory`]), so the numbers do not depend on the path.
#[derive(Debug, Clone)]
struct AlnBlock<P: AlnPopulation> {
    masses: Vec<P>,
    /// The coefficients of masses `8 p .. 8 p + 8` side by side, per pack `p`: an eight-lane
    /// chunk reads a whole pack, a four-lane chunk half of one.
    packed: Vec<Coefficients<Pack>>,
    /// The table every mass uses, if they share one (then the vector paths may run).
    shared_table: Option<Arc<TransferTable>>,
}

/// How an [`AlnBlock`] steps its masses, narrowest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum StepPath {
    /// One mass at a time.
    Scalar,
    /// Chunks of four masses (AVX2), the rest one at a time.
    Avx2,
    /// Chunks of eight masses (AVX-512F), then at most one chunk of four (AVX2), the rest
    /// one at a time.
    Avx512,
}

impl StepPath {
    /// The widest path this CPU runs (and the environment allows, see `lanes`).
    fn detect() -> StepPath {
        if avx512_available() {
            StepPath::Avx512
        } else if simd_available() {
            StepPath::Avx2
        } else {
            StepPath::Scalar
        }
    }
}

/// The lane vectors an [`AlnBlock`] steps masses with.
#[cfg(target_arch = "x86_64")]
trait AlnLanes: Vector {
    /// The coefficients of masses `start .. start + WIDTH` of `pack` (`start` a multiple
    /// of `WIDTH`, below [`PACK`]).
    fn coefficients(pack: &Coefficients<Pack>, start: usize) -> Coefficients<Self>;
    /// [`TransferTable::lookup`], lane by lane.
    fn lookup(table: &TransferTable, mu: Self, sigma: Self) -> [Self; 3];
}

#[cfg(target_arch = "x86_64")]
impl AlnLanes for F64x4 {
    #[inline(always)]
    fn coefficients(pack: &Coefficients<Pack>, start: usize) -> Coefficients<Self> {
        pack.load4(start / 4)
    }
    #[inline(always)]
    fn lookup(table: &TransferTable, mu: Self, sigma: Self) -> [Self; 3] {
        table.lookup4(mu, sigma)
    }
}

#[cfg(target_arch = "x86_64")]
impl AlnLanes for F64x8 {
    #[inline(always)]
    fn coefficients(pack: &Coefficients<Pack>, _start: usize) -> Coefficients<Self> {
        pack.load8()
    }
    #[inline(always)]
    fn lookup(table: &TransferTable, mu: Self, sigma: Self) -> [Self; 3] {
        table.lookup8(mu, sigma)
    }
}

/// Euler steps of masses `start .. end` of an [`AlnBlock<P>`], `$lanes::WIDTH` at a time:
/// `step_chunks!(P, Lanes, packed, table, (state, inputs, external), (start, end), n, dt)`,
/// the finiteness of all new values.
///
/// A macro, not a generic function, so that its closures are compiled inside the caller,
/// a function with `#[target_feature]` for `$lanes` (see `lanes`): closures of a generic
/// helper would lack the feature, and the intrinsics would not be inlined into them.
#[cfg(target_arch = "x86_64")]
macro_rules! step_chunks {
    (
        $pop:ty,
        $lanes:ty,
        $packed:expr,
        $table:expr,
        ($state:expr, $inputs:expr, $external:expr),
        ($start:expr, $end:expr),
        $n:expr,
        $dt:expr
    ) => {{
        let (packed, table): (&[Coefficients<Pack>], &TransferTable) = ($packed, $table);
        let (state, inputs, external): (&mut [f64], &[f64], &[f64]) = ($state, $inputs, $external);
        let (start, end, n, dt): (usize, usize, usize, f64) = ($start, $end, $n, $dt);
        const WIDTH: usize = <$lanes as Vector>::WIDTH;
        // One check for all accesses below: lanes `k .. k + WIDTH` of every variable,
        // input, the external channel and the coefficient pack, for `k = start,
        // start + WIDTH, ..` below `end`.
        assert!(
            start % WIDTH == 0
                && start <= end
                && (end - start) % WIDTH == 0
                && end <= n
                && end <= PACK * packed.len()
                && state.len() >= <$pop>::STATE * n
                && inputs.len() >= <$pop>::INPUTS * n
                && external.len() >= n,
            "ALN block buffers hold fewer masses than its lanes"
        );
        let (x_ptr, in_ptr, ext_ptr) = (state.as_mut_ptr(), inputs.as_ptr(), external.as_ptr());
        // SAFETY (reads and writes): `at + WIDTH <= len` of the buffer by the assertion.
        let read = |ptr: *const f64, at: usize| unsafe { <$lanes>::read(ptr.add(at)) };
        let zero = <$lanes>::splat(0.0);
        let step = <$lanes>::splat(dt);
        // The sum of the new values' finite probes: 0 if all are finite, NaN otherwise.
        let mut probe = zero;
        for k in (start..end).step_by(WIDTH) {
            let c = <$lanes>::coefficients(&packed[k / PACK], k % PACK);
            let x: [$lanes; 7] = std::array::from_fn(|v| {
                if v < <$pop>::STATE {
                    read(x_ptr, v * n + k)
                } else {
                    zero
                }
            });
            let inp: [$lanes; 6] = std::array::from_fn(|i| {
                if i < <$pop>::INPUTS {
                    read(in_ptr, i * n + k)
                } else {
                    zero
                }
            });
            let d = <$pop>::rhs(
                &c,
                |mu, sigma| <$lanes>::lookup(table, mu, sigma),
                x,
                inp,
                read(ext_ptr, k),
            );
            let mut chunk_probe = zero;
            for v in 0..<$pop>::STATE {
                let y = x[v] + step * d[v];
                // SAFETY: as `read`.
                unsafe { y.write(x_ptr.add(v * n + k)) };
                chunk_probe = chunk_probe + y.finite_probe();
            }
            probe = probe + chunk_probe;
        }
        probe.all_zero()
    }};
}

impl<P: AlnPopulation> AlnBlock<P> {
    fn new(mut first: P) -> Self {
        first.parameters_changed();
        let mut block = AlnBlock {
            masses: Vec::new(),
            packed: Vec::new(),
            shared_table: first.table().0.as_ref().ok().cloned(),
        };
        block.add(first);
        block
    }

    fn add(&mut self, mass: P) {
        let k = self.masses.len();
        if k.is_multiple_of(PACK) {
            self.packed.push(Coefficients::default());
        }
        mass.coefficients()
            .pack_into(&mut self.packed[k / PACK], k % PACK);
        let same_table = match (&self.shared_table, &mass.table().0) {
            (Some(shared), Ok(own)) => Arc::ptr_eq(shared, own),
            _ => false,
        };
        if !same_table {
            self.shared_table = None;
        }
        self.masses.push(mass);
    }

    /// One Euler step of every mass, on `widest` or the widest narrower path the CPU runs.
    fn step(
        &self,
        widest: StepPath,
        (state, inputs, external): (&mut [f64], &[f64], &[f64]),
        dt: f64,
    ) -> bool {
        let n = self.masses.len();
        let mut finite = true;
        let mut first_single = 0;
        #[cfg(target_arch = "x86_64")]
        if let Some(table) = &self.shared_table {
            let end = n / 4 * 4;
            let buffers = (&mut *state, inputs, external);
            // SAFETY (both): `detect` found the instructions of the path taken.
            match widest.min(StepPath::detect()) {
                StepPath::Scalar => {}
                StepPath::Avx2 => {
                    finite &= unsafe { Self::step_avx2(&self.packed, table, buffers, end, n, dt) };
                    first_single = end;
                }
                StepPath::Avx512 => {
                    finite &=
                        unsafe { Self::step_avx512(&self.packed, table, buffers, end, n, dt) };
                    first_single = end;
                }
            }
        }
        #[cfg(not(target_arch = "x86_64"))]
        let _ = widest;
        for k in first_single..n {
            finite &= Self::step_one(&self.masses[k], (&mut *state, inputs, external), k, n, dt);
        }
        finite
    }

    /// One Euler step of mass `k` (of `n`), alone.
    #[inline(always)]
    fn step_one(
        mass: &P,
        (state, inputs, external): (&mut [f64], &[f64], &[f64]),
        k: usize,
        n: usize,
        dt: f64,
    ) -> bool {
        let x: [f64; 7] =
            std::array::from_fn(|v| if v < P::STATE { state[v * n + k] } else { 0.0 });
        let inp: [f64; 6] = std::array::from_fn(|i| {
            if i < P::INPUTS {
                inputs[i * n + k]
            } else {
                0.0
            }
        });
        let table = mass.table();
        let d = P::rhs(
            mass.coefficients(),
            |mu, sigma| table.lookup(mu, sigma),
            x,
            inp,
            external[k],
        );
        let mut finite = true;
        for v in 0..P::STATE {
            let y = x[v] + dt * d[v];
            state[v * n + k] = y;
            finite &= y.is_finite();
        }
        finite
    }

    /// Euler steps of the first `end` masses (a multiple of 4), four at a time.
    ///
    /// # Safety
    /// The CPU supports AVX2.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    unsafe fn step_avx2(
        packed: &[Coefficients<Pack>],
        table: &TransferTable,
        buffers: (&mut [f64], &[f64], &[f64]),
        end: usize,
        n: usize,
        dt: f64,
    ) -> bool {
        // The `F64x4` invariant holds: AVX2 (caller).
        let (state, inputs, external) = buffers;
        step_chunks!(
            P,
            F64x4,
            packed,
            table,
            (state, inputs, external),
            (0, end),
            n,
            dt
        )
    }

    /// Euler steps of the first `end` masses (a multiple of 4), eight at a time and then,
    /// if four remain, four.
    ///
    /// # Safety
    /// The CPU supports AVX-512F (and so AVX2).
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512f")]
    unsafe fn step_avx512(
        packed: &[Coefficients<Pack>],
        table: &TransferTable,
        (state, inputs, external): (&mut [f64], &[f64], &[f64]),
        end: usize,
        n: usize,
        dt: f64,
    ) -> bool {
        let wide = end / 8 * 8;
        // The `F64x8` and `F64x4` invariants hold: AVX-512F (caller), which implies AVX2.
        let finite_wide = step_chunks!(
            P,
            F64x8,
            packed,
            table,
            (&mut *state, inputs, external),
            (0, wide),
            n,
            dt
        );
        let finite_rest = step_chunks!(
            P,
            F64x4,
            packed,
            table,
            (state, inputs, external),
            (wide, end),
            n,
            dt
        );
        finite_wide & finite_rest
    }
}

impl<P: AlnPopulation> MassBlock for AlnBlock<P> {
    fn len(&self) -> usize {
        self.masses.len()
    }
    fn state_len(&self) -> usize {
        P::STATE
    }
    fn input_len(&self) -> usize {
        P::INPUTS
    }
    fn external_len(&self) -> usize {
        1
    }
    fn euler_step(
        &self,
        state: &mut [f64],
        inputs: &[f64],
        external: &[f64],
        _scratch: &mut [f64],
        dt: f64,
    ) -> bool {
        self.step(StepPath::Avx512, (state, inputs, external), dt)
    }
    fn try_push(&mut self, mass: &dyn AnyMass) -> bool {
        match mass.as_any().downcast_ref::<P>() {
            Some(m) => {
                let mut m = m.clone();
                m.parameters_changed();
                self.add(m);
                true
            }
            None => false,
        }
    }
    fn set_param(&mut self, instance: usize, index: usize, value: f64) {
        let mass = &mut self.masses[instance];
        neuromass_core::Parameters::set_unchecked(mass.params_mut(), index, value);
        mass.parameters_changed();
        mass.coefficients()
            .pack_into(&mut self.packed[instance / PACK], instance % PACK);
    }
    fn param(&self, instance: usize, index: usize) -> f64 {
        neuromass_core::Parameters::get(self.masses[instance].params(), index)
    }
}

/// An ALN node: one excitatory and one inhibitory population with node-local delays.
///
/// The given local connectivity `c[to][from]` (neurolib's default `[[0.3, 0.5], [0.3, 0.5]]`)
/// is rescaled when the network is compiled to `c * tau_s(from) / |J_max(to, from)|`, so a
/// single spike evokes a PSP of `c` mV whatever the synaptic time constant.
#[derive(Debug, Clone)]
pub struct AlnNode {
    /// The excitatory population.
    pub exc: AlnExcitatoryMass,
    /// The inhibitory population.
    pub inh: AlnInhibitoryMass,
    /// Local connectivity `[to, from]` over (EXC, INH), before rescaling (mV).
    pub connectivity: [[f64; 2]; 2],
    /// Local delays (ms) `[to, from]`; neurolib's default: 4 ms from EXC, 2 ms from INH.
    pub delays: [[f64; 2]; 2],
}

impl Default for AlnNode {
    fn default() -> Self {
        AlnNode {
            exc: AlnExcitatoryMass::default(),
            inh: AlnInhibitoryMass::default(),
            connectivity: [[0.3, 0.5], [0.3, 0.5]],
            delays: [[4.0, 2.0], [4.0, 2.0]],
        }
    }
}

impl AlnNode {
    /// A default node whose masses use the table in `path`.
    pub fn with_table_file(path: impl AsRef<Path>) -> Result<Self, Error> {
        let table = Arc::new(TransferTable::load(path)?);
        let node = AlnNode::default();
        Ok(AlnNode {
            exc: node.exc.with_table(table.clone()),
            inh: node.inh.with_table(table),
            ..node
        })
    }

    /// neurolib's ALN network coupling: `r_mean_EXC` into `network_exc_exc` with the
    /// connectivity and into `network_exc_exc_sq` with squared weights.
    pub fn default_couplings() -> Vec<Coupling> {
        vec![
            Coupling::additive("r_mean_EXC", "network_exc_exc"),
            Coupling::additive("r_mean_EXC", "network_exc_exc_sq").squared(),
        ]
    }
}

/// ALN's local rescaling: `c[to][from] * tau_s<from> / |J<to><from>_max|`, with the time
/// constant from the sending mass and the maximal current from the receiving one.
pub fn aln_local_rescale(
    masses: &[Box<dyn AnyMass>],
    given: &SquareMatrix,
) -> Result<SquareMatrix, Error> {
    let letter = |m: &dyn AnyMass| -> Result<char, Error> {
        m.mass_type()
            .and_then(|t| t.chars().next())
            .map(|c| c.to_ascii_lowercase())
            .ok_or_else(|| {
                Error::Invalid(format!(
                    "ALN rescaling needs a mass type on `{}`",
                    m.label()
                ))
            })
    };
    let param = |m: &dyn AnyMass, name: &str| -> Result<f64, Error> {
        let p = m.params();
        p.index_of(name)
            .map(|i| p.get(i))
            .ok_or_else(|| Error::UnknownName {
                kind: format!("parameter of `{}` needed by ALN rescaling", m.label()),
                name: name.into(),
                expected: p
                    .specs()
                    .iter()
                    .map(|s| s.name)
                    .collect::<Vec<_>>()
                    .join(", "),
            })
    };
    let mut out = given.clone();
    for (to, m_to) in masses.iter().enumerate() {
        for (from, m_from) in masses.iter().enumerate() {
            let (t, f) = (letter(m_to.as_ref())?, letter(m_from.as_ref())?);
            let tau = param(m_from.as_ref(), &format!("tau_s{f}"))?;
            let j = param(m_to.as_ref(), &format!("J{t}{f}_max"))?;
            out.set(to, from, given.get(to, from) * tau / j.abs());
        }
    }
    Ok(out)
}

impl From<AlnNode> for Node {
    fn from(n: AlnNode) -> Node {
        let c =
            SquareMatrix::from_row_major("local_connectivity", 2, n.connectivity.as_flattened())
                .expect("2x2 array has 4 entries");
        let d = SquareMatrix::from_row_major("local_delays", 2, n.delays.as_flattened())
            .expect("2x2 array has 4 entries");
        Node::excitatory_inhibitory(
            "ALNNode",
            vec![Box::new(n.exc), Box::new(n.inh)],
            c,
            Some(d),
        )
        .expect("ALN nodes have one EXC and one INH mass with local outputs")
        .with_local_rescale(aln_local_rescale)
        .with_network_label("ALNNet")
        .with_default_couplings(AlnNode::default_couplings())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Uniform numbers in `[lo, hi)` from a fixed LCG (no dependency on a seeded RNG).
    fn uniform(seed: &mut u64, lo: f64, hi: f64) -> f64 {
        *seed = seed
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        lo + (hi - lo) * ((*seed >> 11) as f64 / (1u64 << 53) as f64)
    }

    /// Every path this CPU runs, narrowest first (only the scalar one without AVX2).
    fn paths() -> Vec<StepPath> {
        [StepPath::Scalar, StepPath::Avx2, StepPath::Avx512]
            .into_iter()
            .filter(|&p| p <= StepPath::detect())
            .collect()
    }

    /// A block of `masses`, in order.
    fn block_of<M: AlnPopulation>(masses: &[M]) -> AlnBlock<M> {
        let mut block = AlnBlock::new(masses[0].clone());
        for m in &masses[1..] {
            assert!(block.try_push(m));
        }
        block
    }

    /// Step `masses` once in one block, on every path the CPU runs, and one by one through
    /// `derivatives`; the new states must agree bit for bit, and so must the finiteness
    /// flag. `poison` sets `(variable, mass, value)` before the step.
    fn check_block<M: AlnPopulation>(masses: &[M], seed: u64, poison: &[(usize, usize, f64)]) {
        let n = masses.len();
        let block = block_of(masses);
        let (ns, ni) = (M::STATE, M::INPUTS);
        let mut rng = seed;
        let mut state: Vec<f64> = (0..ns * n).map(|_| uniform(&mut rng, 0.0, 1.0)).collect();
        // Put the currents below, above and far beyond the table's mu grid (-1 .. 7), on
        // its first and last value (the adaptation current, variable 1 of the excitatory
        // population, set to 0 so that `mu = I_mu`) and inside it, in every lane position
        // of the eight- and four-lane chunks and the masses stepped alone.
        for k in 0..n {
            let i_mu = match k % 7 {
                0 => -50.0,
                1 => 500.0,
                2 => 3.0,
                3 => -2.0,
                4 => 7.0,
                5 => -1.0,
                _ => continue,
            };
            state[k] = i_mu;
            if k % 7 >= 4 {
                state[n + k] = 0.0;
            }
        }
        for &(v, k, value) in poison {
            state[v * n + k] = value;
        }
        let inputs: Vec<f64> = (0..ni * n).map(|_| uniform(&mut rng, 0.0, 0.05)).collect();
        let external: Vec<f64> = (0..n).map(|_| uniform(&mut rng, -1.0, 1.0)).collect();
        let dt = 0.1;

        let mut expected = state.clone();
        let mut expected_finite = true;
        for (k, m) in masses.iter().enumerate() {
            let x: Vec<f64> = (0..ns).map(|v| state[v * n + k]).collect();
            let inp: Vec<f64> = (0..ni).map(|i| inputs[i * n + k]).collect();
            let mut d = vec![0.0; ns];
            m.derivatives(&x, &inp, &[external[k]], &mut d);
            for v in 0..ns {
                let y = x[v] + dt * d[v];
                expected[v * n + k] = y;
                expected_finite &= y.is_finite();
            }
        }
        for path in paths() {
            let mut stepped = state.clone();
            let finite = block.step(path, (&mut stepped, &inputs, &external), dt);
            assert_eq!(finite, expected_finite, "n = {n}, {path:?}");
            for (i, (a, b)) in stepped.iter().zip(&expected).enumerate() {
                assert!(
                    a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan()),
                    "n = {n}, {path:?}, value {i}: block {a:e}, one by one {b:e}"
                );
            }
        }
        // The block's own entry point takes the widest path.
        let mut stepped = state.clone();
        let finite = block.euler_step(&mut stepped, &inputs, &external, &mut [], dt);
        assert_eq!(finite, expected_finite, "n = {n}");
        assert!(
            stepped
                .iter()
                .zip(&expected)
                .all(|(a, b)| a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan()))
        );
    }

    fn excitatory_masses(n: usize) -> Vec<AlnExcitatoryMass> {
        (0..n)
            .map(|k| {
                let mut m = AlnExcitatoryMass::default();
                m.params.ext_exc_current = 0.3 * k as f64;
                m.params.sigmae_ext = 0.5 + 0.1 * k as f64;
                m.params.b = 5.0 * k as f64;
                m.params.tauA = 200.0 - 3.0 * k as f64;
                m.parameters_changed();
                m
            })
            .collect()
    }

    fn inhibitory_masses(n: usize) -> Vec<AlnInhibitoryMass> {
        (0..n)
            .map(|k| {
                let mut m = AlnInhibitoryMass::default();
                m.params.ext_inh_current = 0.2 * k as f64;
                m.params.tau_si = 4.0 + 0.5 * k as f64;
                m.params.sigmai_ext = 0.3 + 0.2 * k as f64;
                m.parameters_changed();
                m
            })
            .collect()
    }

    /// Block sizes that exercise eight-lane chunks, a four-lane remainder and masses
    /// stepped alone, in all combinations.
    const SIZES: [usize; 10] = [1, 3, 4, 7, 8, 11, 12, 13, 16, 21];

    #[test]
    fn vectorised_block_steps_bit_identical_to_single_masses() {
        for n in SIZES {
            check_block(&excitatory_masses(n), 7 + n as u64, &[]);
            check_block(&inhibitory_masses(n), 11 + n as u64, &[]);
        }
    }

    #[test]
    fn non_finite_lanes_report_divergence_and_leave_the_others_exact() {
        // NaN and infinite currents (mu) and synaptic variances (sigma), and a NaN rate that
        // the look-up never sees, in the first, middle and last mass: lanes of an
        // eight-lane chunk, of the four-lane remainder, or masses stepped alone.
        for n in SIZES {
            for k in [0, n / 2, n - 1] {
                for (variable, value) in [
                    (0, f64::NAN),
                    (0, f64::INFINITY),
                    (0, f64::NEG_INFINITY),
                    (4, f64::NAN),
                    (4, f64::INFINITY),
                    (5, f64::NAN),
                ] {
                    let seed = 13 + (n * k) as u64;
                    check_block(&excitatory_masses(n), seed, &[(variable, k, value)]);
                    check_block(&inhibitory_masses(n), seed, &[(variable, k, value)]);
                }
            }
        }
    }

    /// The neighbours of `x` one ulp below and above (`x` finite).
    #[cfg(target_arch = "x86_64")]
    fn ulp_neighbours(x: f64) -> [f64; 2] {
        let up = |x: f64| {
            if x == 0.0 {
                f64::from_bits(1)
            } else if x > 0.0 {
                f64::from_bits(x.to_bits() + 1)
            } else {
                f64::from_bits(x.to_bits() - 1)
            }
        };
        [-up(-x), up(x)]
    }

    /// Values along one table axis: the edges, their neighbours, grid points, points
    /// inside cells, far outside and non-finite values.
    #[cfg(target_arch = "x86_64")]
    fn axis_probes(first: f64, last: f64, inv_step: f64, n: usize) -> Vec<f64> {
        let mut v = vec![first, last, (first + last) / 2.0, 0.0, -0.0];
        v.extend(ulp_neighbours(first));
        v.extend(ulp_neighbours(last));
        for i in [1, 2, n / 2, n - 2, n - 1] {
            let grid = first + i as f64 / inv_step;
            v.push(grid);
            v.extend(ulp_neighbours(grid));
            v.push(first + (i as f64 + 0.25) / inv_step);
        }
        v.extend([
            first - 1.0,
            last + 1.0,
            -1e300,
            1e300,
            f64::MAX,
            f64::MIN,
            f64::MIN_POSITIVE,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
        ]);
        v
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    unsafe fn lookup_lanes4(t: &TransferTable, mu: &[f64], sigma: &[f64]) -> [[f64; 4]; 3] {
        // SAFETY: AVX2 (caller); four values in `mu` and `sigma` (checked).
        unsafe {
            assert!(mu.len() >= 4 && sigma.len() >= 4);
            let r = t.lookup4(F64x4::read(mu.as_ptr()), F64x4::read(sigma.as_ptr()));
            r.map(|v| {
                let mut out = [0.0; 4];
                v.write(out.as_mut_ptr());
                out
            })
        }
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512f")]
    unsafe fn lookup_lanes8(t: &TransferTable, mu: &[f64], sigma: &[f64]) -> [[f64; 8]; 3] {
        // SAFETY: AVX-512F (caller); eight values in `mu` and `sigma` (checked).
        unsafe {
            assert!(mu.len() >= 8 && sigma.len() >= 8);
            let r = t.lookup8(F64x8::read(mu.as_ptr()), F64x8::read(sigma.as_ptr()));
            r.map(|v| {
                let mut out = [0.0; 8];
                v.write(out.as_mut_ptr());
                out
            })
        }
    }

    #[test]
    #[cfg(target_arch = "x86_64")]
    fn vector_lookups_match_the_scalar_lookup_lane_by_lane() {
        let table = TransferTable::shared_default().expect("the default table");
        let t = &*table;
        let mus = axis_probes(t.mu_first, t.mu_last, t.mu_inv_step, t.n_mu);
        let sigmas = axis_probes(t.sigma_first, t.sigma_last, t.sigma_inv_step, t.n_sigma);
        // Every pair, in an order that mixes cases within one vector.
        let (mut mu, mut sigma) = (Vec::new(), Vec::new());
        for (i, &m) in mus.iter().enumerate() {
            for j in 0..sigmas.len() {
                mu.push(m);
                sigma.push(sigmas[(i + j) % sigmas.len()]);
            }
        }
        while mu.len() % 8 != 0 {
            mu.push(1.0);
            sigma.push(1.0);
        }
        let expected: Vec<[f64; 3]> = mu
            .iter()
            .zip(&sigma)
            .map(|(&m, &s)| t.lookup(m, s))
            .collect();
        // Some probes are inside the grid, some at its edges, some outside (a vacuous
        // comparison would not notice a broken look-up).
        assert!(expected.iter().filter(|e| e[0].is_nan()).count() > 100);
        assert!(expected.iter().filter(|e| e[0].is_finite()).count() > 1000);
        // `got[q][lane]` against the scalar look-up of every lane.
        let check = |width: usize, start: usize, got: [&[f64]; 3]| {
            for lane in 0..width {
                let (m, s, e) = (
                    mu[start + lane],
                    sigma[start + lane],
                    expected[start + lane],
                );
                for q in 0..3 {
                    let (a, b) = (got[q][lane], e[q]);
                    assert!(
                        a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan()),
                        "{width} lanes: mu {m:e}, sigma {s:e}, quantity {q}: {a:e}, scalar {b:e}"
                    );
                }
            }
        };
        let paths = paths();
        if paths.contains(&StepPath::Avx2) {
            for start in (0..mu.len()).step_by(4) {
                // SAFETY: AVX2 was detected.
                let got = unsafe { lookup_lanes4(t, &mu[start..], &sigma[start..]) };
                check(4, start, [&got[0], &got[1], &got[2]]);
            }
        }
        if paths.contains(&StepPath::Avx512) {
            for start in (0..mu.len()).step_by(8) {
                // SAFETY: AVX-512F was detected.
                let got = unsafe { lookup_lanes8(t, &mu[start..], &sigma[start..]) };
                check(8, start, [&got[0], &got[1], &got[2]]);
            }
        }
    }

    #[test]
    fn block_parameter_changes_reach_the_vector_lanes() {
        // 13 masses: one eight-lane chunk, one four-lane chunk and one mass alone (with
        // AVX-512; two four-lane chunks with AVX2 only).
        let n = 13;
        let masses: Vec<AlnExcitatoryMass> = (0..n).map(|_| AlnExcitatoryMass::default()).collect();
        let mut block = block_of(&masses);
        let index = neuromass_core::Parameters::index_of(&masses[0].params, "ext_exc_current")
            .expect("a parameter");
        let mut changed = block.masses.clone();
        for (k, value) in [(2, 1.75), (5, -0.5), (9, 2.5), (12, 0.25)] {
            block.set_param(k, index, value);
            assert_eq!(block.param(k, index), value);
            changed[k].params.ext_exc_current = value;
            changed[k].parameters_changed();
        }
        check_block(&changed, 3, &[]);
        // The block stepped with the changed parameters equals single masses with them.
        let ns = 7;
        for path in paths() {
            let mut state = vec![0.5; ns * n];
            block.step(path, (&mut state, &[0.01; 6 * 13], &[0.0; 13]), 0.1);
            for k in [2, 5, 9, 12] {
                let mut single = vec![0.5; ns];
                let mut d = vec![0.0; ns];
                changed[k].derivatives(&single.clone(), &[0.01; 6], &[0.0], &mut d);
                for (x, d) in single.iter_mut().zip(&d) {
                    *x += 0.1 * d;
                }
                for v in 0..ns {
                    assert_eq!(state[v * n + k].to_bits(), single[v].to_bits(), "{path:?}");
                }
            }
        }
    }
}
