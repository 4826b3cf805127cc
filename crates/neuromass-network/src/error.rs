//! Errors of the engine.

use thiserror::Error;

/// What can go wrong when building or running a simulation.
#[derive(Debug, Error)]
pub enum SimError {
    /// The model description is invalid.
    #[error(transparent)]
    Model(#[from] neuromass_core::Error),
    /// A state variable became NaN or infinite.
    #[error(
        "the run diverged: `{variable}` of node {node} ({model}) became {value} at t = {time_ms} ms; reduce dt or check parameters"
    )]
    Diverged {
        /// Node index.
        node: usize,
        /// Node label.
        model: String,
        /// Variable name.
        variable: String,
        /// The non-finite value.
        value: f64,
        /// Time of the offending sample (ms).
        time_ms: f64,
    },
    /// An input signal does not cover the requested run.
    #[error(
        "the signal on `{input}` of node {node} mass {mass} covers {available} steps, the run needs {needed}"
    )]
    InputTooShort {
        /// Node index.
        node: usize,
        /// Mass index within the node.
        mass: usize,
        /// The driven input (`input_<c>` or a parameter name).
        input: String,
        /// Steps the signal provides.
        available: u64,
        /// Steps the run needs.
        needed: u64,
    },
    /// The samples a run would keep cannot be allocated.
    #[error(
        "the run would keep {samples} samples of each of {series} recorded variables ({gib:.1} GiB), more than can be allocated; record fewer variables, increase sampling_dt or run in shorter chunks"
    )]
    OutputTooLarge {
        /// Samples per recorded variable.
        samples: u64,
        /// Recorded variables over all nodes.
        series: usize,
        /// Their size, with the time axis (GiB).
        gib: f64,
    },
    /// Reading or writing an HDF5 file failed.
    #[error("HDF5 error on `{path}`: {message}")]
    Hdf5 {
        /// The file.
        path: String,
        /// What failed.
        message: String,
    },
}

/// Result alias for [`SimError`].
pub type Result<T, E = SimError> = std::result::Result<T, E>;

pub(crate) fn invalid(name: &str, value: f64, allowed: &str) -> SimError {
    SimError::Model(neuromass_core::Error::InvalidValue {
        name: name.into(),
        value,
        allowed: allowed.into(),
    })
}
