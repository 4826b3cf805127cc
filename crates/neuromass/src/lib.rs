//! **neuromass**: heterogeneous whole-brain neural mass modelling.
//!
//! This facade re-exports the workspace's crates and holds the TOML model description
//! used by the `neuromass` command:
//!
//! * [`core`]: neural masses, nodes, networks, couplings, parameter paths;
//! * [`models`]: the model zoo (Wilson-Cowan, Hopf, FitzHugh-Nagumo, Wong-Wang, ...);
//! * [`network`]: the integration engine with delays;
//! * [`stimulus`]: stimuli and noise processes;
//! * [`fit`]: connectome datasets, BOLD, functional connectivity and fit scores;
//! * [`explore`]: parallel, resumable parameter explorations stored in HDF5;
//! * [`config`]: the TOML description (`neuromass run model.toml --out run.h5`).
//!
//! ```
//! use neuromass::config::RunConfig;
//!
//! let mut config = RunConfig::from_toml(r#"
//!     duration = 100.0
//!     dt = 0.1
//!     seed = 1
//!     [[nodes]]
//!     model = "hopf"
//!     params = { a = 0.1 }
//! "#)?;
//! let (output, _resolved) = config.run()?;
//! assert_eq!(output.nodes[0].names, ["x", "y"]);
//! assert_eq!(output.t.len(), 1000);
//! # Ok::<(), neuromass::config::ConfigError>(())
//! ```

pub mod aln_table_cli;
pub mod bench;
pub mod bold;
pub mod config;
pub mod exploration;
pub mod summary;

pub use neuromass_core as core;
pub use neuromass_explore as explore;
pub use neuromass_fit as fit;
pub use neuromass_models as models;
pub use neuromass_network as network;
pub use neuromass_stimulus as stimulus;
