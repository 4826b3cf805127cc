//! `neuromass explore`: the TOML description of an exploration over a base model, and the
//! model adapter that runs a [`RunConfig`] at each point.
//!
//! ```toml
//! model = "model.toml"          # the base model (relative to this file)
//! seed = 1                      # exploration seed (run i gets a seed from it and i)
//!
//! [space]
//! kind = "grid"                 # grid | sequence | random | latin_hypercube
//! # samples = 100               # random kinds
//! [[space.axes]]
//! path = "*EXC*.ext_exc_current"
//! values = [2.0, 2.5, 3.0]      # or { start = 2.0, stop = 3.0, num = 5 } (scale = "logspace")
//! [[space.axes]]
//! path = "connectivity"         # global coupling: scales the connectivity matrix
//! values = { start = 0.0, stop = 2.0, num = 5 }
//! # other axes: "signal_speed" (with fibre lengths), "duration", "dt", and stimulus
//! # parameters of the base model's [[inputs]], e.g. "inputs[0].stimulus.of[1].amplitude"
//!
//! [keep]
//! from_ms = 1000.0              # drop the transient
//! variables = ["r_mean_EXC"]    # time series kept per run (sub-sampled by sampling_dt)
//! sampling_dt = 10.0
//! summaries = ["r_mean_EXC"]    # mean, std, min, max, dominant frequency and its power per node
//! ```
//!
//! A base model with `[bold] fit = "gw"` scores every run against the dataset's subjects:
//! `fc_fit` (per subject) and `fc_fit_mean`, the correlation of the simulated BOLD FC with
//! each subject's empirical FC (higher is better), and — when the kept BOLD spans at least
//! two FCD windows (`fcd_window + fcd_step + 1` samples after `skip_samples`) — `fcd_ks`
//! and `fcd_ks_mean`, the Kolmogorov-Smirnov distance between the FCD distributions
//! (lower is better).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::config::{ConfigError, RunConfig};
use crate::summary::dominant_frequency;
use neuromass_explore::{Item, Model, Space};

/// An exploration description.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExploreConfig {
    /// The base model file (relative to the exploration file), unless `base` is given.
    #[serde(default)]
    pub model: Option<PathBuf>,
    /// The base model inline.
    #[serde(default)]
    pub base: Option<RunConfig>,
    /// Exploration seed.
    #[serde(default)]
    pub seed: u64,
    /// The parameter space.
    pub space: Space,
    /// What each run keeps.
    #[serde(default)]
    pub keep: KeepConfig,
}

/// What each run keeps.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct KeepConfig {
    /// Drop samples before this time (ms).
    #[serde(default)]
    pub from_ms: f64,
    /// Variables whose time series are kept (`nodes × samples` per run).
    #[serde(default)]
    pub variables: Vec<String>,
    /// Sampling interval of kept time series (ms; a multiple of the model's dt).
    #[serde(default)]
    pub sampling_dt: Option<f64>,
    /// Variables summarised per node: `<var>_mean`, `_std`, `_min`, `_max`,
    /// `_dominant_frequency` (Hz), `_dominant_power`.
    #[serde(default)]
    pub summaries: Vec<String>,
}

impl ExploreConfig {
    /// Read an exploration file (and its base model file).
    pub fn from_file(path: &Path) -> Result<(Self, RunConfig), ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Io {
            path: path.display().to_string(),
            source,
        })?;
        let config: ExploreConfig = toml::from_str(&text).map_err(|e| ConfigError::Toml {
            path: Some(path.display().to_string()),
            message: e.to_string(),
        })?;
        let base = match (&config.base, &config.model) {
            (Some(b), None) => b.clone(),
            (None, Some(m)) => {
                RunConfig::from_file(&path.parent().unwrap_or(Path::new(".")).join(m))?
            }
            _ => {
                return Err(ConfigError::Invalid(format!(
                    "`{}`: give the base model either as `model = \"file.toml\"` or as a [base] table",
                    path.display()
                )));
            }
        };
        Ok((config, base))
    }
}

/// A [`RunConfig`] run at the points of an exploration, keeping what [`KeepConfig`] says.
#[derive(Debug, Clone)]
pub struct ConfigModel {
    /// The base model.
    pub base: RunConfig,
    /// What to keep.
    pub keep: KeepConfig,
}

impl ConfigModel {
    /// The base model with the point's values applied and the run's seed.
    fn at(&self, point: &[(String, f64)], seed: u64) -> Result<RunConfig, ConfigError> {
        let mut c = self.base.clone();
        c.seed = Some(seed);
        for (path, v) in point {
            match path.as_str() {
                "connectivity" => {
                    let net = c.network.as_mut().ok_or_else(|| {
                        ConfigError::Invalid(
                            "`connectivity` is explored but the model has no [network]".into(),
                        )
                    })?;
                    if net.connectivity.is_empty() {
                        // from a dataset, filled in when the network is built
                        net.coupling = Some(net.coupling.unwrap_or(1.0) * v);
                    } else {
                        for x in net.connectivity.iter_mut().flatten() {
                            *x *= v;
                        }
                    }
                }
                "signal_speed" => {
                    let net = c
                        .network
                        .as_mut()
                        .filter(|n| n.lengths.is_some() || n.dataset.is_some())
                        .ok_or_else(|| {
                            ConfigError::Invalid(
                                "`signal_speed` is explored but the model has no network `lengths` (or `dataset`)"
                                    .into(),
                            )
                        })?;
                    net.signal_speed = Some(*v);
                }
                "duration" | "dt" | "sampling_dt" => c.apply_override(&format!("{path}={v}"))?,
                p if p.starts_with("inputs[") => set_in_description(&mut c, p, *v)?,
                _ => c.overrides.push((path.clone(), *v)),
            }
        }
        if let Some(s) = self.keep.sampling_dt {
            c.sampling_dt = Some(s);
        }
        Ok(c)
    }
}

/// Set a numeric field of the description by a path such as
/// `inputs[0].stimulus.of[1].amplitude` (stimulus parameters of `[[inputs]]`).
fn set_in_description(c: &mut RunConfig, path: &str, value: f64) -> Result<(), ConfigError> {
    let bad = |why: &str| ConfigError::Invalid(format!("explored path `{path}`: {why}"));
    let mut json = serde_json::to_value(&*c).map_err(|e| bad(&e.to_string()))?;
    let mut node = &mut json;
    for part in path.split('.') {
        let (name, indices) = match part.find('[') {
            Some(i) => (&part[..i], &part[i..]),
            None => (part, ""),
        };
        node = node
            .get_mut(name)
            .ok_or_else(|| bad(&format!("no field `{name}`")))?;
        for idx in indices.split('[').filter(|x| !x.is_empty()) {
            let k: usize = idx
                .trim_end_matches(']')
                .parse()
                .map_err(|_| bad(&format!("bad index `[{idx}`")))?;
            node = node
                .get_mut(k)
                .ok_or_else(|| bad(&format!("index {k} out of range")))?;
        }
    }
    if !node.is_number() {
        return Err(bad("not a number in the description"));
    }
    *node = serde_json::json!(value);
    *c = serde_json::from_value(json).map_err(|e| bad(&e.to_string()))?;
    Ok(())
}

impl Model for ConfigModel {
    fn describe(&self) -> serde_json::Value {
        serde_json::json!({ "model": self.base, "keep": self.keep })
    }

    fn check(&self, paths: &[String], first: &[f64]) -> Result<(), String> {
        let point: Vec<(String, f64)> = paths.iter().cloned().zip(first.iter().copied()).collect();
        let c = self.at(&point, 0).map_err(|e| e.to_string())?;
        c.build().map(|_| ()).map_err(|e| e.to_string())
    }

    fn run(&self, point: &[(String, f64)], seed: u64) -> Result<Vec<Item>, String> {
        let mut c = self.at(point, seed).map_err(|e| e.to_string())?;
        let artifacts = c.run_with(false).map_err(|e| e.to_string())?;
        let out = &artifacts.output;
        let sample_ms = c.sampling_dt.unwrap_or(c.dt);
        let first = out
            .t
            .iter()
            .position(|&t| t >= self.keep.from_ms - 1e-9)
            .unwrap_or(out.t.len());
        let series = |var: &str| -> Vec<Vec<f64>> {
            out.nodes
                .iter()
                .map(|n| {
                    n.get(var).map_or_else(
                        || vec![f64::NAN; out.t.len() - first],
                        |s| s[first..].to_vec(),
                    )
                })
                .collect()
        };
        let mut items = Vec::new();
        // A base model with `[bold] fit = ...` scores every run against the empirical FCs.
        if let Some(fit) = &artifacts.fc_fit {
            items.push(Item::scalar(
                "fc_fit_mean",
                fit.iter().sum::<f64>() / fit.len().max(1) as f64,
            ));
            items.push(Item::vector("fc_fit", fit.clone()));
        }
        // ... and by the KS distance of its FCD to each subject's (mean: neurolib's
        // per-subject `ts_kolmogorov`, averaged), when the run is long enough for it.
        if let Some(ks) = &artifacts.fcd_ks {
            items.push(Item::scalar(
                "fcd_ks_mean",
                ks.iter().sum::<f64>() / ks.len().max(1) as f64,
            ));
            items.push(Item::vector("fcd_ks", ks.clone()));
        }
        for var in &self.keep.variables {
            let rows = series(var);
            let width = rows.first().map_or(0, Vec::len);
            items.push(Item {
                name: var.clone(),
                shape: vec![rows.len(), width],
                data: rows.concat(),
            });
        }
        for var in &self.keep.summaries {
            let rows = series(var);
            let mut stats: [Vec<f64>; 6] = Default::default();
            for r in &rows {
                let n = r.len().max(1) as f64;
                let mean = r.iter().sum::<f64>() / n;
                let std = (r.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / n).sqrt();
                let (f, p) = dominant_frequency(r, sample_ms);
                let values = [
                    mean,
                    std,
                    r.iter().copied().fold(f64::INFINITY, f64::min),
                    r.iter().copied().fold(f64::NEG_INFINITY, f64::max),
                    f,
                    p,
                ];
                for (s, v) in stats.iter_mut().zip(values) {
                    s.push(v);
                }
            }
            for (suffix, data) in [
                "mean",
                "std",
                "min",
                "max",
                "dominant_frequency",
                "dominant_power",
            ]
            .iter()
            .zip(stats)
            {
                items.push(Item::vector(format!("{var}_{suffix}"), data));
            }
        }
        Ok(items)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The `connectivity` axis scales a dataset's connectome as it scales an inline matrix.
    #[test]
    fn connectivity_axis_scales_dataset_and_inline_matrices() {
        let base = RunConfig::from_toml(
            "duration = 10.0\ndt = 0.1\n[[nodes]]\nmodel = \"wc\"\ncount = 80\n\
             [network]\ndataset = \"gw\"\ncoupling = 0.5\n",
        )
        .unwrap();
        let model = ConfigModel {
            base,
            keep: KeepConfig::default(),
        };
        let point = [("connectivity".to_string(), 3.0)];
        let (net, _) = model.at(&point, 1).unwrap().build().unwrap();
        let gw = neuromass_fit::dataset::Dataset::gw().unwrap();
        for (i, j) in [(0, 1), (40, 7), (79, 78)] {
            let want = gw.cmat.get(i, j) * 1.5;
            assert!((net.connectivity().get(i, j) - want).abs() <= 1e-15 * want.abs().max(1.0));
        }

        let inline = RunConfig::from_toml(
            "duration = 10.0\ndt = 0.1\n[[nodes]]\nmodel = \"wc\"\ncount = 2\n\
             [network]\nconnectivity = [[0.0, 0.2], [0.4, 0.0]]\n",
        )
        .unwrap();
        let model = ConfigModel {
            base: inline,
            keep: KeepConfig::default(),
        };
        let (net, _) = model.at(&point, 1).unwrap().build().unwrap();
        assert!((net.connectivity().get(1, 0) - 1.2).abs() < 1e-15);
        assert!((net.connectivity().get(0, 1) - 0.6).abs() < 1e-15);
    }
}
