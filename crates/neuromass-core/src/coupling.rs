//! Network coupling rules.

use std::fmt;
use std::str::FromStr;

use crate::error::Error;

/// How the delayed source values of the sending nodes combine at the receiving node `i`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CouplingKind {
    /// `sum_j w_ij * x_j(t - D_ij)`
    Additive,
    /// `sum_j w_ij * (x_j(t - D_ij) - x_i(t))`
    Diffusive,
    /// `sum_j w_ij * x_j(t - D_ij) * x_i(t)`
    Multiplicative,
}

/// Transform of the connectivity weights used by a coupling.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum WeightTransform {
    /// `w_ij = C_ij`
    #[default]
    Linear,
    /// `w_ij = C_ij^2` (ALN's variance coupling)
    Squared,
}

impl WeightTransform {
    /// Apply to a connectivity entry.
    #[inline]
    pub fn apply(self, c: f64) -> f64 {
        match self {
            WeightTransform::Linear => c,
            WeightTransform::Squared => c * c,
        }
    }
}

/// One network coupling: every node's `target` input receives the `source` variable of
/// the other nodes, weighted by the network connectivity `[to, from]` (transformed by
/// `weights`) and delayed by the network delays.
#[derive(Debug, Clone, PartialEq)]
pub struct Coupling {
    /// Node-level variable each sending node offers, e.g. `r_mean_EXC`.
    pub source: String,
    /// Input name the receiving masses consume, e.g. `network_exc_exc`.
    pub target: String,
    /// How values combine.
    pub kind: CouplingKind,
    /// Weight transform.
    pub weights: WeightTransform,
}

impl Coupling {
    /// A coupling with linear weights.
    pub fn new(source: impl Into<String>, target: impl Into<String>, kind: CouplingKind) -> Self {
        Coupling {
            source: source.into(),
            target: target.into(),
            kind,
            weights: WeightTransform::Linear,
        }
    }

    /// Additive coupling with linear weights.
    pub fn additive(source: impl Into<String>, target: impl Into<String>) -> Self {
        Coupling::new(source, target, CouplingKind::Additive)
    }

    /// Diffusive coupling with linear weights.
    pub fn diffusive(source: impl Into<String>, target: impl Into<String>) -> Self {
        Coupling::new(source, target, CouplingKind::Diffusive)
    }

    /// The same coupling with squared weights.
    pub fn squared(mut self) -> Self {
        self.weights = WeightTransform::Squared;
        self
    }
}

impl FromStr for CouplingKind {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        match s {
            "additive" => Ok(CouplingKind::Additive),
            "diffusive" => Ok(CouplingKind::Diffusive),
            "multiplicative" => Ok(CouplingKind::Multiplicative),
            _ => Err(Error::UnknownName {
                kind: "coupling kind".into(),
                name: s.into(),
                expected: "additive, diffusive, multiplicative".into(),
            }),
        }
    }
}

impl FromStr for WeightTransform {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        match s {
            "linear" => Ok(WeightTransform::Linear),
            "squared" => Ok(WeightTransform::Squared),
            _ => Err(Error::UnknownName {
                kind: "weight transform".into(),
                name: s.into(),
                expected: "linear, squared".into(),
            }),
        }
    }
}

impl fmt::Display for CouplingKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CouplingKind::Additive => "additive",
            CouplingKind::Diffusive => "diffusive",
            CouplingKind::Multiplicative => "multiplicative",
        })
    }
}

impl fmt::Display for WeightTransform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            WeightTransform::Linear => "linear",
            WeightTransform::Squared => "squared",
        })
    }
}
