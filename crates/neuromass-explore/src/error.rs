//! Errors of explorations.

use thiserror::Error;

/// What can go wrong in an exploration.
#[derive(Debug, Error)]
pub enum ExploreError {
    /// The parameter space is invalid.
    #[error("invalid parameter space: {0}")]
    Space(String),
    /// The model rejected a point (e.g. a path that matches no parameter).
    #[error(transparent)]
    Model(#[from] neuromass_core::Error),
    /// The output file exists and neither resume nor force was asked for, or does not
    /// belong to this exploration.
    #[error("{0}")]
    Output(String),
    /// Reading or writing files failed.
    #[error("I/O error on `{path}`: {message}")]
    Io {
        /// The file.
        path: String,
        /// What failed.
        message: String,
    },
}

/// Result alias for [`ExploreError`].
pub type Result<T, E = ExploreError> = std::result::Result<T, E>;
