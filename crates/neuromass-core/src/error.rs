//! The error type shared by the model-building API.

use thiserror::Error;

/// Everything that can be wrong with a model description.
///
/// Every variant names the offending parameter, matrix entry or variable and says what
/// is allowed, so that a user can fix the input without reading the source.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum Error {
    /// A parameter value outside its allowed range (or not finite).
    #[error("parameter `{path}` = {value} is invalid: must be {allowed}")]
    ParameterOutOfRange {
        /// Full path of the parameter.
        path: String,
        /// The rejected value.
        value: f64,
        /// Human-readable allowed range.
        allowed: String,
    },
    /// A parameter path (or glob) that matches nothing.
    #[error("unknown parameter `{path}`{}", did_you_mean(.suggestions))]
    UnknownParameter {
        /// The path or pattern that was given.
        path: String,
        /// The closest existing paths.
        suggestions: Vec<String>,
    },
    /// A matrix with the wrong shape.
    #[error(
        "`{name}` must be a {expected}x{expected} matrix indexed [to, from], got {rows}x{cols}"
    )]
    MatrixShape {
        /// Which matrix.
        name: String,
        /// Expected number of rows and columns.
        expected: usize,
        /// Rows given.
        rows: usize,
        /// Columns given (of the first offending row).
        cols: usize,
    },
    /// A matrix entry that is not allowed (negative or NaN delay, NaN weight, ...).
    #[error("`{name}`[{row}][{col}] = {value} is invalid: must be {allowed}")]
    MatrixEntry {
        /// Which matrix.
        name: String,
        /// Row (`to`).
        row: usize,
        /// Column (`from`).
        col: usize,
        /// The rejected value.
        value: f64,
        /// What is allowed.
        allowed: String,
    },
    /// A scalar setting (dt, duration, signal speed, ...) outside its allowed range.
    #[error("`{name}` = {value} is invalid: must be {allowed}")]
    InvalidValue {
        /// Name of the setting.
        name: String,
        /// The rejected value.
        value: f64,
        /// What is allowed.
        allowed: String,
    },
    /// A coupling reads a variable that the sending node does not have.
    #[error(
        "coupling source variable `{variable}` does not exist in node {node} ({model}); it offers: {available}"
    )]
    UnknownCouplingSource {
        /// The variable name.
        variable: String,
        /// Index of the node that lacks it.
        node: usize,
        /// Label of that node's model.
        model: String,
        /// Variables the node has.
        available: String,
    },
    /// A coupling feeds an input that no mass in the network consumes.
    #[error(
        "coupling target input `{input}` is consumed by no mass in the network; known inputs: {available}"
    )]
    UnknownCouplingTarget {
        /// The input name.
        input: String,
        /// Inputs consumed by some mass.
        available: String,
    },
    /// A named entity (model, variable, mass type, ...) that does not exist.
    #[error("unknown {kind} `{name}`; expected one of: {expected}")]
    UnknownName {
        /// What kind of thing was looked up.
        kind: String,
        /// The name given.
        name: String,
        /// The valid names.
        expected: String,
    },
    /// A structural problem in a node or network description.
    #[error("{0}")]
    Invalid(String),
}

fn did_you_mean(suggestions: &[String]) -> String {
    if suggestions.is_empty() {
        String::new()
    } else {
        format!("; closest existing paths: {}", suggestions.join(", "))
    }
}

/// Result alias for [`Error`](enum@Error).
pub type Result<T, E = Error> = std::result::Result<T, E>;
