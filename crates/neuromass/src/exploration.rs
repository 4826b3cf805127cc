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
use neuromass_core::{Network, SquareMatrix};
use neuromass_explore::{Item, Model, RunResult, Space};
use neuromass_network::{NodeOutput, Simulation, SimulationOptions};

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
        let text = std::fs::read_to_string(path).map_err(|cause| ConfigError::Io {
            path: path.display().to_string(),
            cause,
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

/// neurolib's reference exploration, as shipped in `datasets/examples/aln_grid.toml`: one
/// ALN node, a 4 × 4 grid over its EXC and INH external currents, 5 s per run, summaries of
/// `r_mean_EXC` (the workload of the exploration benchmarks).
pub fn reference_exploration() -> Result<(ConfigModel, Space), ConfigError> {
    let text = include_str!("../../../datasets/examples/aln_grid.toml");
    let config: ExploreConfig = toml::from_str(text).map_err(|e| ConfigError::Toml {
        path: Some("datasets/examples/aln_grid.toml".into()),
        message: e.to_string(),
    })?;
    let base = config
        .base
        .ok_or_else(|| ConfigError::Invalid("aln_grid.toml has an inline [base]".into()))?;
    Ok((
        ConfigModel {
            base,
            keep: config.keep,
        },
        config.space,
    ))
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
        Ok(self.items(
            &c,
            &artifacts.output.t,
            &artifacts.output.nodes,
            artifacts.fc_fit.as_ref(),
            artifacts.fcd_ks.as_ref(),
        ))
    }

    fn batch_size(&self) -> usize {
        if self.side_by_side_possible() {
            SIDE_BY_SIDE_RUNS
        } else {
            1
        }
    }

    fn run_batch(&self, runs: &[(Vec<(String, f64)>, u64)]) -> Vec<RunResult> {
        self.run_side_by_side(runs).unwrap_or_else(|| {
            runs.iter()
                .map(|(point, seed)| self.run(point, *seed))
                .collect()
        })
    }
}

/// Runs integrated side by side in one simulation (see [`ConfigModel::run_side_by_side`]).
const SIDE_BY_SIDE_RUNS: usize = 8;
/// Largest number of nodes, over all runs, integrated side by side.
const SIDE_BY_SIDE_NODES: usize = 64;

impl ConfigModel {
    /// Whether runs of this model may be integrated side by side: no stimulus inputs
    /// and no BOLD (both are attached per run).
    fn side_by_side_possible(&self) -> bool {
        let nodes: usize = self.base.nodes.iter().map(|n| n.count.unwrap_or(1)).sum();
        self.base.inputs.is_empty() && self.base.bold.is_none() && 2 * nodes <= SIDE_BY_SIDE_NODES
    }

    /// Integrate small runs side by side as one network of disconnected copies (block-
    /// diagonal connectivity, each copy's nodes drawing the random streams of their own run),
    /// so the engine's per-step overhead is shared and the CPU overlaps their work. Every
    /// number equals the run's own [`run`](Model::run). `None` when the runs cannot be
    /// joined (different step or duration, too many nodes, a build error) or the joint run
    /// fails: the caller then runs them one by one, which also names any failure.
    fn run_side_by_side(&self, runs: &[(Vec<(String, f64)>, u64)]) -> Option<Vec<RunResult>> {
        if runs.len() < 2 || !self.side_by_side_possible() {
            return None;
        }
        let mut parts = Vec::with_capacity(runs.len());
        for (point, seed) in runs {
            let mut c = self.at(point, *seed).ok()?;
            c.resolve_seed();
            let (net, opts) = c.build().ok()?;
            parts.push((c, net, opts));
        }
        let (first_config, first_net, first_opts) = &parts[0];
        let couplings = first_net.couplings();
        let total: usize = parts.iter().map(|(_, n, _)| n.nodes().len()).sum();
        let same = |(c, n, o): &(RunConfig, Network, SimulationOptions)| {
            c.duration == first_config.duration
                && SimulationOptions {
                    seed: 0,
                    ..o.clone()
                } == SimulationOptions {
                    seed: 0,
                    ..first_opts.clone()
                }
                && n.couplings() == couplings
        };
        if total > SIDE_BY_SIDE_NODES || !parts.iter().all(same) {
            return None;
        }
        let mut nodes = Vec::with_capacity(total);
        let (mut cmat, mut dmat) = (SquareMatrix::zeros(total), SquareMatrix::zeros(total));
        let mut offset = 0;
        for (_, net, opts) in &parts {
            let n = net.nodes().len();
            for (i, node) in net.nodes().iter().enumerate() {
                let mut node = node.clone();
                node.set_random_stream(opts.seed, i as u64);
                nodes.push(node);
                for j in 0..n {
                    cmat.set(offset + i, offset + j, net.connectivity().get(i, j));
                    dmat.set(offset + i, offset + j, net.delays().get(i, j));
                }
            }
            offset += n;
        }
        let mut joint = Network::new(nodes, cmat, dmat).ok()?;
        for c in couplings {
            joint = joint.couple(c).ok()?;
        }
        let mut sim = Simulation::new(&joint, first_opts).ok()?;
        let out = sim.run(first_config.duration).ok()?;
        let mut offset = 0;
        let mut results = Vec::with_capacity(parts.len());
        for (c, net, _) in &parts {
            let n = net.nodes().len();
            let own = &out.nodes[offset..offset + n];
            results.push(Ok(self.items(c, &out.t, own, None, None)));
            offset += n;
        }
        Some(results)
    }

    /// The named results of one run (sample times `t`, the run's `nodes`): fit scores,
    /// kept variables and summaries.
    fn items(
        &self,
        c: &RunConfig,
        t: &[f64],
        nodes: &[NodeOutput],
        fc_fit: Option<&Vec<f64>>,
        fcd_ks: Option<&Vec<f64>>,
    ) -> Vec<Item> {
        let sample_ms = c.sampling_dt.unwrap_or(c.dt);
        let first = t
            .iter()
            .position(|&t| t >= self.keep.from_ms - 1e-9)
            .unwrap_or(t.len());
        // Each node's kept samples of `var` (`None`: the node does not record it).
        let series = |var: &str| -> Vec<Option<&[f64]>> {
            nodes
                .iter()
                .map(|n| n.get(var).map(|s| &s[first..]))
                .collect()
        };
        let width = t.len() - first;
        let mut items = Vec::new();
        // A base model with `[bold] fit = ...` scores every run against the empirical FCs.
        if let Some(fit) = fc_fit {
            items.push(Item::scalar(
                "fc_fit_mean",
                fit.iter().sum::<f64>() / fit.len().max(1) as f64,
            ));
            items.push(Item::vector("fc_fit", fit.clone()));
        }
        // ... and by the KS distance of its FCD to each subject's (mean: neurolib's
        // per-subject `ts_kolmogorov`, averaged), when the run is long enough for it.
        if let Some(ks) = fcd_ks {
            items.push(Item::scalar(
                "fcd_ks_mean",
                ks.iter().sum::<f64>() / ks.len().max(1) as f64,
            ));
            items.push(Item::vector("fcd_ks", ks.clone()));
        }
        for var in &self.keep.variables {
            let rows = series(var);
            let mut data = Vec::with_capacity(rows.len() * width);
            for r in &rows {
                match r {
                    Some(r) => data.extend_from_slice(r),
                    None => data.resize(data.len() + width, f64::NAN),
                }
            }
            items.push(Item {
                name: var.clone(),
                shape: vec![rows.len(), width],
                data,
            });
        }
        let missing = vec![f64::NAN; width];
        for var in &self.keep.summaries {
            let rows = series(var);
            let mut stats: [Vec<f64>; 6] = Default::default();
            for r in &rows {
                let r = r.unwrap_or(&missing);
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
        items
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs integrated side by side give exactly the numbers of runs made one by one,
    /// with noise on, and a diverging run in the batch fails alone with its own message.
    #[test]
    fn side_by_side_runs_equal_single_runs() {
        let base = RunConfig::from_toml(
            r#"
            duration = 300.0
            dt = 0.1
            sampling_dt = 1.0
            record = ["r_mean_EXC"]
            [[nodes]]
            model = "aln"
            params = { "*input_0.sigma" = 0.05 }
            "#,
        )
        .unwrap();
        let keep = KeepConfig {
            from_ms: 100.0,
            variables: vec!["r_mean_EXC".into()],
            summaries: vec!["r_mean_EXC".into()],
            ..Default::default()
        };
        let model = ConfigModel { base, keep };
        assert_eq!(model.batch_size(), SIDE_BY_SIDE_RUNS);
        let path = "ALNNode_0.ALNMassEXC_0.ext_exc_current".to_string();
        let runs: Vec<(Vec<(String, f64)>, u64)> = [(0.5, 11), (2.0, 12), (3.0, 13)]
            .iter()
            .map(|&(v, seed)| (vec![(path.clone(), v)], seed))
            .collect();
        let joint = model
            .run_side_by_side(&runs)
            .expect("these runs can be joined");
        let bits = |items: &[Item]| -> Vec<(String, Vec<u64>)> {
            items
                .iter()
                .map(|i| (i.name.clone(), i.data.iter().map(|x| x.to_bits()).collect()))
                .collect()
        };
        for ((point, seed), batched) in runs.iter().zip(&joint) {
            let single = model.run(point, *seed).unwrap();
            assert_eq!(bits(batched.as_ref().unwrap()), bits(&single), "{point:?}");
        }
        // A run that diverges makes the joint run fail: each run then stands alone.
        let mut with_bad = runs.clone();
        with_bad.push((vec![(path.clone(), 1e9)], 14));
        assert!(model.run_side_by_side(&with_bad).is_none());
        let outcomes = model.run_batch(&with_bad);
        assert!(outcomes[..3].iter().all(Result::is_ok));
        let err = outcomes[3].as_ref().unwrap_err();
        assert!(err.contains("diverged"), "{err}");
    }

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
