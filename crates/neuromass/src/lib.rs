//! facade
pub use neuromass_core as core;
pub use neuromass_models as models;
pub use neuromass_network as network;
