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
    AnyMass, Bounds, ChannelNoise, Coupling, Error, NeuralMass, Node, SquareMatrix, parameters,
};

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
        let mut out = [0.0; 3];
        for k in 0..3 {
            out[k] = a[k] * (1.0 - dx) * (1.0 - dy)
                + b[k] * dx * (1.0 - dy)
                + c[k] * (1.0 - dx) * dy
                + d[k] * dx * dy;
        }
        out
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

/// Constants of one ALN population derived from its parameters once (see
/// [`NeuralMass::parameters_changed`]), so a step multiplies instead of dividing.
#[derive(Debug, Clone, Copy, Default)]
struct Derived {
    /// Membrane time constant `C / gL` (ms).
    tau_m: f64,
    /// `2 J_e² tau_se tau_m` and `2 J_i² tau_si tau_m`: numerators of the variances.
    var_e: f64,
    var_i: f64,
    /// Scale of network and external-rate input, `c_gl tau_se / J_e_max * Ke_gl`, and its
    /// squared-input counterpart `(c_gl tau_se / J_e_max)² Ke_gl`.
    global: f64,
    global_sq: f64,
    /// Reciprocals of the synaptic time constants and their squares, of `C` and `tauA`.
    inv_tau_se: f64,
    inv_tau_si: f64,
    inv_tau_se_sq: f64,
    inv_tau_si_sq: f64,
    inv_c: f64,
    inv_tau_a: f64,
}

impl Derived {
    #[allow(clippy::too_many_arguments)]
    fn new(
        c: f64,
        g_l: f64,
        j_e: f64,
        j_i: f64,
        tau_se: f64,
        tau_si: f64,
        c_gl: f64,
        ke_gl: f64,
    ) -> Self {
        let tau_m = c / g_l;
        let global = c_gl * tau_se / j_e;
        Derived {
            tau_m,
            var_e: 2.0 * j_e * j_e * tau_se * tau_m,
            var_i: 2.0 * j_i * j_i * tau_si * tau_m,
            global: global * ke_gl,
            global_sq: global * global * ke_gl,
            inv_tau_se: 1.0 / tau_se,
            inv_tau_si: 1.0 / tau_si,
            inv_tau_se_sq: 1.0 / (tau_se * tau_se),
            inv_tau_si_sq: 1.0 / (tau_si * tau_si),
            inv_c: 1.0 / c,
            inv_tau_a: 0.0,
        }
    }

    /// Standard deviation of the membrane current from the synaptic variances:
    /// `sqrt(Σ_k 2 J_k² s_sigma_k tau_k tau_m / ((1 + in_k) tau_m + tau_k) + sigma_ext²)`.
    #[inline(always)]
    fn current_sigma(
        &self,
        (s_sigma_e, in_e, tau_se): (f64, f64, f64),
        (s_sigma_i, in_i, tau_si): (f64, f64, f64),
        ext_sigma: f64,
    ) -> f64 {
        // One division for both fractions: a/b + c/d = (a d + c b) / (b d).
        let den_e = (1.0 + in_e) * self.tau_m + tau_se;
        let den_i = (1.0 + in_i) * self.tau_m + tau_si;
        let (num_e, num_i) = (self.var_e * s_sigma_e, self.var_i * s_sigma_i);
        ((num_e * den_i + num_i * den_e) / (den_e * den_i) + ext_sigma * ext_sigma).sqrt()
    }
}

/// `d s_mu / dt` of a synaptic mean: `((1 - s_mu) input - s_mu) / tau`.
#[inline(always)]
fn synaptic_mean_rate(s_mu: f64, input: f64, inv_tau: f64) -> f64 {
    ((1.0 - s_mu) * input - s_mu) * inv_tau
}

/// `d s_sigma / dt` of a synaptic variance:
/// `((1 - s_mu)² input_sq + (input_sq - 2 tau (input + 1)) s_sigma) / tau²`.
#[inline(always)]
fn synaptic_variance_rate(
    s_mu: f64,
    s_sigma: f64,
    (input, input_sq): (f64, f64),
    tau: f64,
    inv_tau_sq: f64,
) -> f64 {
    ((1.0 - s_mu) * (1.0 - s_mu) * input_sq + (input_sq - 2.0 * tau * (input + 1.0)) * s_sigma)
        * inv_tau_sq
}

/// Excitatory ALN population, with spike-frequency adaptation. State: `I_mu`, `I_A`,
/// `I_syn_mu_exc`, `I_syn_mu_inh`, `I_syn_sigma_exc`, `I_syn_sigma_inh`, `r_mean`.
#[derive(Debug, Clone)]
pub struct AlnExcitatoryMass {
    /// Parameters.
    pub params: AlnExcParams,
    table: TableHandle,
    derived: Derived,
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
            derived: Derived::default(),
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
    derived: Derived,
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
            derived: Derived::default(),
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
        self.derived = Derived {
            inv_tau_a: 1.0 / p.tauA,
            ..Derived::new(
                p.C, p.gL, p.Jee_max, p.Jei_max, p.tau_se, p.tau_si, p.c_gl, p.Ke_gl,
            )
        };
    }
    #[inline(always)]
    fn derivatives(&self, x: &[f64], inp: &[f64], ext: &[f64], dx: &mut [f64]) {
        let (p, d) = (&self.params, &self.derived);
        let (i_mu, i_a, s_mu_e, s_mu_i, s_sigma_e, s_sigma_i, rate) =
            (x[0], x[1], x[2], x[3], x[4], x[5], x[6]);
        let [node_ee, node_ee_sq, node_ei, node_ei_sq, net_ee, net_ee_sq] =
            [inp[0], inp[1], inp[2], inp[3], inp[4], inp[5]];
        let in_e = p.Ke * node_ee + d.global * (net_ee + p.ext_exc_rate);
        let in_i = p.Ki * node_ei;
        let in_e_sq = p.Ke * node_ee_sq + d.global_sq * (net_ee_sq + p.ext_exc_rate);
        let in_i_sq = p.Ki * node_ei_sq;
        let sigma = d.current_sigma(
            (s_sigma_e, in_e, p.tau_se),
            (s_sigma_i, in_i, p.tau_si),
            p.sigmae_ext,
        );
        let [r_ss, v_mean, tau] = self.table.lookup(i_mu - i_a * d.inv_c, sigma);
        dx[0] = (p.Jee_max * s_mu_e + p.Jei_max * s_mu_i + ext[0] + p.ext_exc_current - i_mu) / tau;
        dx[1] = (p.a * (v_mean - p.EA) - i_a) * d.inv_tau_a + p.b * r_ss;
        dx[2] = synaptic_mean_rate(s_mu_e, in_e, d.inv_tau_se);
        dx[3] = synaptic_mean_rate(s_mu_i, in_i, d.inv_tau_si);
        dx[4] = synaptic_variance_rate(
            s_mu_e,
            s_sigma_e,
            (in_e, in_e_sq),
            p.tau_se,
            d.inv_tau_se_sq,
        );
        dx[5] = synaptic_variance_rate(
            s_mu_i,
            s_sigma_i,
            (in_i, in_i_sq),
            p.tau_si,
            d.inv_tau_si_sq,
        );
        dx[6] = -p.lambda * (rate - r_ss);
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
        self.derived = Derived::new(
            p.C, p.gL, p.Jie_max, p.Jii_max, p.tau_se, p.tau_si, p.c_gl, p.Ke_gl,
        );
    }
    #[inline(always)]
    fn derivatives(&self, x: &[f64], inp: &[f64], ext: &[f64], dx: &mut [f64]) {
        let (p, d) = (&self.params, &self.derived);
        let (i_mu, s_mu_e, s_mu_i, s_sigma_e, s_sigma_i, rate) =
            (x[0], x[1], x[2], x[3], x[4], x[5]);
        let [node_ie, node_ie_sq, node_ii, node_ii_sq] = [inp[0], inp[1], inp[2], inp[3]];
        let in_e = p.Ke * node_ie + d.global * p.ext_inh_rate;
        let in_i = p.Ki * node_ii;
        let in_e_sq = p.Ke * node_ie_sq + d.global_sq * p.ext_inh_rate;
        let in_i_sq = p.Ki * node_ii_sq;
        let sigma = d.current_sigma(
            (s_sigma_e, in_e, p.tau_se),
            (s_sigma_i, in_i, p.tau_si),
            p.sigmai_ext,
        );
        let [r_ss, _, tau] = self.table.lookup(i_mu, sigma);
        dx[0] = (p.Jie_max * s_mu_e + p.Jii_max * s_mu_i + ext[0] + p.ext_inh_current - i_mu) / tau;
        dx[1] = synaptic_mean_rate(s_mu_e, in_e, d.inv_tau_se);
        dx[2] = synaptic_mean_rate(s_mu_i, in_i, d.inv_tau_si);
        dx[3] = synaptic_variance_rate(
            s_mu_e,
            s_sigma_e,
            (in_e, in_e_sq),
            p.tau_se,
            d.inv_tau_se_sq,
        );
        dx[4] = synaptic_variance_rate(
            s_mu_i,
            s_sigma_i,
            (in_i, in_i_sq),
            p.tau_si,
            d.inv_tau_si_sq,
        );
        dx[5] = -p.lambda * (rate - r_ss);
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
