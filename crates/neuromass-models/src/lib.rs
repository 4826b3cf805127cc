//! The **neuromass** model zoo: neural masses and nodes with neurolib 0.6.2's MultiModel
//! equations, parameter names and defaults.
//!
//! | model key | node | masses | default network coupling |
//! |---|---|---|---|
//! | `wc` | [`WilsonCowanNode`] | [`WcExcitatoryMass`], [`WcInhibitoryMass`] | `q_mean_EXC` → `network_exc_exc`, `network_inh_exc` (additive) |
//! | `hopf` | [`HopfNode`] | [`HopfMass`] | `x` → `network_x` (diffusive) |
//! | `fhn` | [`FitzHughNagumoNode`] | [`FitzHughNagumoMass`] | `x` → `network_x` (diffusive) |
//! | `ww` | [`WongWangNode`] | [`WwExcitatoryMass`], [`WwInhibitoryMass`] | `S_EXC` → `network_exc_exc`, `network_inh_exc` (additive) |
//! | `rww` | [`ReducedWongWangNode`] | [`ReducedWongWangMass`] | `S` → `network_S` (additive) |
//! | `aln` | [`AlnNode`] | [`AlnExcitatoryMass`], [`AlnInhibitoryMass`] | `r_mean_EXC` → `network_exc_exc` (additive) and `network_exc_exc_sq` (squared weights) |
//! | `thalamus` | [`ThalamicNode`] | [`TcrMass`], [`TrnMass`] | `r_mean_EXC` → `network_exc_exc` (TCR), `network_inh_exc` (TRN), additive |
//!
//! ```
//! use neuromass_core::{Network, Node};
//! use neuromass_models::{WilsonCowanNode, node_by_name};
//!
//! let mut wc = WilsonCowanNode::default();
//! wc.exc.params.ext_drive = 0.8;
//! let node: Node = wc.into();
//! assert_eq!(node.state_names(), ["q_mean_EXC", "q_mean_INH"]);
//! let net = Network::single(node_by_name("hopf")?);
//! assert_eq!(net.get_param("HopfNode_0.HopfMass_0.a")?, 0.25);
//! # Ok::<(), neuromass_core::Error>(())
//! ```

mod aln;
pub mod aln_table;
mod fitzhugh_nagumo;
mod hopf;
mod lanes;
mod thalamus;
mod wilson_cowan;
mod wong_wang;

pub use aln::{
    AlnExcParams, AlnExcitatoryMass, AlnInhParams, AlnInhibitoryMass, AlnNode, DEFAULT_TABLE_PATH,
    TransferTable, aln_local_rescale,
};
pub use aln_table::{AdexNeuron, AlnTable, AlnTableSpec, TableMode};
pub use fitzhugh_nagumo::{FitzHughNagumoMass, FitzHughNagumoNode, FitzHughNagumoParams};
pub use hopf::{HopfMass, HopfNode, HopfParams};
pub use thalamus::{TcrMass, TcrParams, ThalamicNode, TrnMass, TrnParams};
pub use wilson_cowan::{WcExcitatoryMass, WcInhibitoryMass, WilsonCowanNode, WilsonCowanParams};
pub use wong_wang::{
    ReducedWongWangMass, ReducedWongWangNode, ReducedWongWangParams, WongWangExcParams,
    WongWangInhParams, WongWangNode, WwExcitatoryMass, WwInhibitoryMass,
};

use neuromass_core::{AnyMass, Coupling, Error, Node, SquareMatrix};

/// The model keys [`node_by_name`] accepts.
pub const MODEL_NAMES: &[&str] = &["wc", "hopf", "fhn", "ww", "rww", "aln", "thalamus"];

/// A zoo node with default parameters, by model key (see [`MODEL_NAMES`]).
pub fn node_by_name(model: &str) -> Result<Node, Error> {
    Ok(match model {
        "wc" => WilsonCowanNode::default().into(),
        "hopf" => HopfNode::default().into(),
        "fhn" => FitzHughNagumoNode::default().into(),
        "ww" => WongWangNode::default().into(),
        "rww" => ReducedWongWangNode::default().into(),
        "aln" => AlnNode::default().into(),
        "thalamus" => ThalamicNode::default().into(),
        _ => {
            return Err(Error::UnknownName {
                kind: "model".into(),
                name: model.into(),
                expected: MODEL_NAMES.join(", "),
            });
        }
    })
}

/// An EXC/INH node of two masses with a 2x2 local connectivity and no local delays.
pub(crate) fn exc_inh_node(
    label: &str,
    network_label: &str,
    masses: Vec<Box<dyn AnyMass>>,
    connectivity: [[f64; 2]; 2],
    couplings: Vec<Coupling>,
) -> Node {
    let c = SquareMatrix::from_row_major("local_connectivity", 2, connectivity.as_flattened())
        .expect("2x2 array has 4 entries");
    Node::excitatory_inhibitory(label, masses, c, None)
        .expect("zoo EXC/INH nodes have one EXC and one INH mass with local outputs")
        .with_network_label(network_label)
        .with_default_couplings(couplings)
}

/// A node of one mass.
pub(crate) fn single_mass_node(
    label: &str,
    network_label: &str,
    mass: Box<dyn AnyMass>,
    couplings: Vec<Coupling>,
) -> Node {
    Node::new(label, vec![mass])
        .expect("a single mass forms a valid node")
        .with_network_label(network_label)
        .with_default_couplings(couplings)
}
