//! The node: neural masses coupled by a local connectivity matrix with optional delays.

use std::collections::HashMap;

use crate::coupling::{Coupling, WeightTransform};
use crate::error::{Error, Result};
use crate::mass::AnyMass;
use crate::matrix::SquareMatrix;
use crate::params::Bounds;
use crate::paths::{PathPattern, closest};
use crate::rng::SplitMix64;

/// One node-local coupling term: input `input` of mass `target` receives
/// `sum_j w(C[target, j]) * out_j(t - D[target, j])` over the source masses `j`, where
/// `out_j` is mass `j`'s [local output](crate::NeuralMass::local_output) and `C`, `D` are the
/// node's local connectivity and delays.
#[derive(Debug, Clone, PartialEq)]
pub struct LocalCoupling {
    /// Index of the receiving mass.
    pub target: usize,
    /// The receiving mass's input name, e.g. `node_exc_inh`.
    pub input: String,
    /// Indices of the sending masses.
    pub sources: Vec<usize>,
    /// Weight transform applied to the connectivity entries.
    pub weights: WeightTransform,
}

/// Turns a node's given local connectivity into the effective one from its masses'
/// parameters (e.g. ALN's `C * tau_s(from) / |J_max(to, from)|`).
pub type LocalRescale = fn(&[Box<dyn AnyMass>], &SquareMatrix) -> Result<SquareMatrix>;

/// A network node: one or more masses, their local connectivity `[to, from]` and local
/// delays (ms), an optional initial state, and the network couplings it uses by default.
///
/// Build one from a model (`WilsonCowanNode::default().into()`) or from your own masses
/// with [`Node::new`] / [`Node::excitatory_inhibitory`].
#[derive(Debug, Clone)]
pub struct Node {
    label: String,
    network_label: String,
    masses: Vec<Box<dyn AnyMass>>,
    state_names: Vec<String>,
    connectivity: SquareMatrix,
    delays: SquareMatrix,
    local_couplings: Vec<LocalCoupling>,
    local_rescale: Option<LocalRescale>,
    /// Noise per mass and external channel.
    noise: Vec<Vec<ChannelNoise>>,
    initial_state: Option<Vec<f64>>,
    default_couplings: Vec<Coupling>,
    /// `(seed, index)` of the node's random streams, if not the network's.
    random_stream: Option<(u64, u64)>,
}

impl Node {
    /// A node of masses without local coupling (e.g. a single Hopf oscillator).
    ///
    /// `label` is the node's label in parameter paths (`HopfNode` gives `HopfNode_0.…`).
    pub fn new(label: impl Into<String>, masses: Vec<Box<dyn AnyMass>>) -> Result<Self> {
        let label = label.into();
        if masses.is_empty() {
            return Err(Error::Invalid(format!("node `{label}` has no masses")));
        }
        if masses.len() > 1 {
            let mut types: Vec<&str> = Vec::new();
            for m in &masses {
                let Some(t) = m.mass_type() else {
                    return Err(Error::Invalid(format!(
                        "node `{label}`: mass `{}` needs a mass type (e.g. EXC/INH) in a multi-mass node",
                        m.label()
                    )));
                };
                if types.contains(&t) {
                    return Err(Error::Invalid(format!(
                        "node `{label}`: mass type `{t}` appears twice"
                    )));
                }
                types.push(t);
            }
        }
        let names = || masses.iter().flat_map(|m| m.state_names().iter());
        let mut sorted: Vec<&str> = names().copied().collect();
        sorted.sort_unstable();
        sorted.dedup();
        let state_names: Vec<String> = if sorted.len() == names().count() {
            names().map(|s| s.to_string()).collect()
        } else {
            // neurolib's rule: make names unique by appending the mass type.
            masses
                .iter()
                .flat_map(|m| {
                    let t = m.mass_type().unwrap_or("");
                    m.state_names().iter().map(move |s| {
                        let mut name = String::with_capacity(s.len() + 1 + t.len());
                        name.push_str(s);
                        name.push('_');
                        name.push_str(t);
                        name
                    })
                })
                .collect()
        };
        let n = masses.len();
        let noise = masses
            .iter()
            .map(|m| {
                (0..m.external_channels())
                    .map(|c| m.default_noise(c))
                    .collect()
            })
            .collect();
        Ok(Node {
            network_label: "Network".into(),
            label,
            masses,
            state_names,
            connectivity: SquareMatrix::zeros(n),
            delays: SquareMatrix::zeros(n),
            local_couplings: Vec::new(),
            local_rescale: None,
            noise,
            initial_state: None,
            default_couplings: Vec::new(),
            random_stream: None,
        })
    }

    /// A node whose masses are coupled by type, as neurolib's excitatory/inhibitory nodes
    /// (only the structure is checked here; values are validated before a run):
    /// an input named `node_<to>_<from>` (or `node_<to>_<from>_sq` for squared weights) of a
    /// mass of type `<TO>` receives the local outputs of the masses of type `<FROM>`, weighted
    /// by `connectivity[to, from]` and delayed by `delays[to, from]` ms.
    pub fn excitatory_inhibitory(
        label: impl Into<String>,
        masses: Vec<Box<dyn AnyMass>>,
        connectivity: SquareMatrix,
        delays: Option<SquareMatrix>,
    ) -> Result<Self> {
        let mut node = Node::new(label, masses)?;
        for m in &node.masses {
            if m.local_output().is_none() {
                return Err(Error::Invalid(format!(
                    "node `{}`: mass `{}` offers no local output variable",
                    node.label,
                    m.label()
                )));
            }
        }
        let types: Vec<String> = node
            .masses
            .iter()
            .map(|m| m.mass_type().unwrap_or("").to_ascii_lowercase())
            .collect();
        let mut rules = Vec::new();
        for (t, m) in node.masses.iter().enumerate() {
            for input in m.inputs() {
                let Some(rest) = input.strip_prefix("node_") else {
                    continue;
                };
                let (rest, weights) = match rest.strip_suffix("_sq") {
                    Some(r) => (r, WeightTransform::Squared),
                    None => (rest, WeightTransform::Linear),
                };
                let Some((to_type, from_type)) = rest.split_once('_') else {
                    continue;
                };
                if to_type != types[t] {
                    continue;
                }
                let sources: Vec<usize> = (0..types.len())
                    .filter(|&j| types[j] == from_type)
                    .collect();
                if !sources.is_empty() {
                    rules.push(LocalCoupling {
                        target: t,
                        input: input.to_string(),
                        sources,
                        weights,
                    });
                }
            }
        }
        node.check_local_shape("local_connectivity", &connectivity)?;
        node.connectivity = connectivity;
        if let Some(d) = delays {
            node.check_local_shape("local_delays", &d)?;
            node.delays = d;
        }
        node.local_couplings = rules;
        Ok(node)
    }

    /// Label used in parameter paths, e.g. `WCnode`.
    pub fn label(&self) -> &str {
        &self.label
    }

    /// Label a network of such nodes carries in neurolib (e.g. `WCnet`).
    pub fn network_label(&self) -> &str {
        &self.network_label
    }

    /// Set the label a network of such nodes carries.
    pub fn with_network_label(mut self, label: impl Into<String>) -> Self {
        self.network_label = label.into();
        self
    }

    /// Set the network couplings a network of such nodes uses unless told otherwise.
    pub fn with_default_couplings(mut self, couplings: Vec<Coupling>) -> Self {
        self.default_couplings = couplings;
        self
    }

    /// Add an explicit local coupling rule.
    pub fn with_local_coupling(mut self, rule: LocalCoupling) -> Result<Self> {
        let n = self.masses.len();
        if rule.target >= n || rule.sources.iter().any(|&s| s >= n) {
            return Err(Error::Invalid(format!(
                "local coupling `{}` refers to a mass index >= {n}",
                rule.input
            )));
        }
        if !self.masses[rule.target]
            .inputs()
            .contains(&rule.input.as_str())
        {
            return Err(Error::UnknownName {
                kind: format!("input of mass `{}`", self.masses[rule.target].label()),
                name: rule.input.clone(),
                expected: self.masses[rule.target].inputs().join(", "),
            });
        }
        if let Some(&s) = rule
            .sources
            .iter()
            .find(|&&s| self.masses[s].local_output().is_none())
        {
            return Err(Error::Invalid(format!(
                "mass `{}` offers no local output variable",
                self.masses[s].label()
            )));
        }
        self.local_couplings.push(rule);
        Ok(self)
    }

    /// The network couplings this node's model uses by default.
    pub fn default_couplings(&self) -> &[Coupling] {
        &self.default_couplings
    }

    /// The masses.
    pub fn masses(&self) -> &[Box<dyn AnyMass>] {
        &self.masses
    }

    /// Node-level state variable names (e.g. `q_mean_EXC`), in state-vector order.
    pub fn state_names(&self) -> &[String] {
        &self.state_names
    }

    /// Index of a node-level state variable.
    pub fn state_index(&self, name: &str) -> Option<usize> {
        self.state_names.iter().position(|s| s == name)
    }

    /// Number of state variables.
    pub fn state_len(&self) -> usize {
        self.state_names.len()
    }

    /// Offset of mass `m`'s first variable in the node's state vector.
    pub fn mass_offset(&self, m: usize) -> usize {
        self.masses[..m].iter().map(|x| x.state_names().len()).sum()
    }

    /// All coupling inputs consumed by this node's masses.
    pub fn inputs(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.masses.iter().flat_map(|m| m.inputs().iter().copied())
    }

    /// Local connectivity `[to, from]` as given.
    pub fn local_connectivity(&self) -> &SquareMatrix {
        &self.connectivity
    }

    /// Rescale the given local connectivity into the effective one when the network is
    /// compiled (from the masses' current parameters).
    pub fn with_local_rescale(mut self, rescale: LocalRescale) -> Self {
        self.local_rescale = Some(rescale);
        self
    }

    /// The local connectivity the engine uses: the given one, rescaled if the node's model
    /// says so.
    pub fn effective_local_connectivity(&self) -> Result<SquareMatrix> {
        match self.local_rescale {
            Some(f) => f(&self.masses, &self.connectivity),
            None => Ok(self.connectivity.clone()),
        }
    }

    /// Local delays in ms `[to, from]`.
    pub fn local_delays(&self) -> &SquareMatrix {
        &self.delays
    }

    /// The local coupling rules.
    pub fn local_couplings(&self) -> &[LocalCoupling] {
        &self.local_couplings
    }

    /// Replace the local connectivity `[to, from]` (one row and column per mass;
    /// entries must be finite, checked here and again before a run).
    pub fn set_local_connectivity(&mut self, c: SquareMatrix) -> Result<()> {
        self.check_local_shape("local_connectivity", &c)?;
        c.check_finite("local_connectivity")?;
        self.connectivity = c;
        Ok(())
    }

    /// Replace the local delays (ms, `[to, from]`; finite and `>= 0`).
    pub fn set_local_delays(&mut self, d: SquareMatrix) -> Result<()> {
        self.check_local_shape("local_delays", &d)?;
        d.check_non_negative("local_delays")?;
        self.delays = d;
        Ok(())
    }

    fn check_local_shape(&self, name: &str, m: &SquareMatrix) -> Result<()> {
        let n = self.masses.len();
        if m.n() != n {
            return Err(Error::MatrixShape {
                name: name.into(),
                expected: n,
                rows: m.n(),
                cols: m.n(),
            });
        }
        Ok(())
    }

    /// Draw this node's random initial state and noise as node `index` of a simulation
    /// seeded with `seed` would, wherever it sits in the network. Lets several independent
    /// runs be integrated side by side as one network with bit-identical results.
    pub fn set_random_stream(&mut self, seed: u64, index: u64) {
        self.random_stream = Some((seed, index));
    }

    /// The `(seed, index)` set by [`set_random_stream`](Self::set_random_stream).
    pub fn random_stream(&self) -> Option<(u64, u64)> {
        self.random_stream
    }

    /// The explicit initial state, if one was set.
    pub fn initial_state(&self) -> Option<&[f64]> {
        self.initial_state.as_deref()
    }

    /// Set the whole initial state (state-vector order).
    pub fn set_initial_state(&mut self, state: Vec<f64>) -> Result<()> {
        if state.len() != self.state_len() {
            return Err(Error::Invalid(format!(
                "initial state of `{}` needs {} values ({}), got {}",
                self.label,
                self.state_len(),
                self.state_names.join(", "),
                state.len()
            )));
        }
        if let Some((i, v)) = state.iter().enumerate().find(|(_, v)| !v.is_finite()) {
            return Err(Error::InvalidValue {
                name: format!("initial_state.{}", self.state_names[i]),
                value: *v,
                allowed: "a finite number".into(),
            });
        }
        self.initial_state = Some(state);
        Ok(())
    }

    /// Set some initial values by variable name; the others keep their current value
    /// (the explicit one, or the one drawn from `seed`).
    pub fn set_initial_values(&mut self, values: &HashMap<String, f64>, seed: u64) -> Result<()> {
        let mut state = self
            .initial_state
            .clone()
            .unwrap_or_else(|| self.random_initial_state(seed));
        for (name, &v) in values {
            let i = self.state_index(name).ok_or_else(|| Error::UnknownName {
                kind: format!("state variable of `{}`", self.label),
                name: name.clone(),
                expected: self.state_names.join(", "),
            })?;
            state[i] = v;
        }
        self.set_initial_state(state)
    }

    /// Initial state drawn uniformly from each mass's initial-state ranges with a generator
    /// seeded by `seed` (the engine derives it from the run seed and node index).
    pub fn random_initial_state(&self, seed: u64) -> Vec<f64> {
        let mut rng = SplitMix64::new(seed);
        self.masses
            .iter()
            .flat_map(|m| m.initial_state_range())
            .map(|(lo, hi)| lo + (hi - lo) * rng.next_f64())
            .collect()
    }

    /// The initial state to use: the explicit one or one drawn from `seed`.
    pub fn resolved_initial_state(&self, seed: u64) -> Vec<f64> {
        self.initial_state
            .clone()
            .unwrap_or_else(|| self.random_initial_state(seed))
    }

    /// Largest local delay (ms).
    pub fn max_delay(&self) -> f64 {
        self.delays.max()
    }

    /// Every parameter of the node with its node-relative path: mass parameters as
    /// `<mass label>_<j>.<name>` and input-channel noise as `<mass label>_<j>.input_<c>.<mu|sigma|tau>`.
    pub fn param_refs(&self) -> Vec<(String, ParamRef)> {
        let mut out = Vec::new();
        for (j, m) in self.masses.iter().enumerate() {
            for (index, s) in m.params().specs().iter().enumerate() {
                out.push((
                    format!("{}_{j}.{}", m.label(), s.name),
                    ParamRef::Mass { mass: j, index },
                ));
            }
            for channel in 0..m.external_channels() {
                for field in NoiseField::ALL {
                    out.push((
                        format!("{}_{j}.input_{channel}.{}", m.label(), field.name()),
                        ParamRef::Noise {
                            mass: j,
                            channel,
                            field,
                        },
                    ));
                }
            }
        }
        out
    }

    /// Parameter paths relative to the node with their values (see [`Node::param_refs`]).
    pub fn params(&self) -> Vec<(String, f64)> {
        self.param_refs()
            .into_iter()
            .map(|(p, r)| (p, self.param(r)))
            .collect()
    }

    /// Resolve a node-relative path. Accepts `<mass label>_<j>.<name>`, `<MASS TYPE>.<name>`
    /// (e.g. `EXC.tau`) and, for single-mass nodes, the bare `<name>`; `<name>` may also be
    /// `input_<c>.<mu|sigma|tau>` (the channel's Ornstein-Uhlenbeck noise).
    pub fn resolve_param(&self, path: &str) -> Option<ParamRef> {
        for (j, m) in self.masses.iter().enumerate() {
            let key = format!("{}_{j}", m.label());
            let rest = path
                .strip_prefix(key.as_str())
                .and_then(|r| r.strip_prefix('.'))
                .or_else(|| {
                    m.mass_type()
                        .and_then(|t| path.strip_prefix(t)?.strip_prefix('.'))
                })
                .or(if self.masses.len() == 1 {
                    Some(path)
                } else {
                    None
                });
            let Some(rest) = rest else { continue };
            if let Some(index) = m.params().index_of(rest) {
                return Some(ParamRef::Mass { mass: j, index });
            }
            if let Some((input, field)) = rest.split_once('.')
                && let Some(channel) = input
                    .strip_prefix("input_")
                    .and_then(|c| c.parse::<usize>().ok())
                && channel < m.external_channels()
                && let Some(field) = NoiseField::from_name(field)
            {
                return Some(ParamRef::Noise {
                    mass: j,
                    channel,
                    field,
                });
            }
        }
        None
    }

    /// The value of a parameter.
    pub fn param(&self, r: ParamRef) -> f64 {
        match r {
            ParamRef::Mass { mass, index } => self.masses[mass].params().get(index),
            ParamRef::Noise {
                mass,
                channel,
                field,
            } => field.get(&self.noise[mass][channel]),
        }
    }

    /// The allowed values of a parameter.
    pub fn param_bounds(&self, r: ParamRef) -> Bounds {
        match r {
            ParamRef::Mass { mass, index } => self.masses[mass].params().specs()[index].bounds,
            ParamRef::Noise { field, .. } => field.bounds(),
        }
    }

    /// Set a parameter, validated; `path` names it in errors.
    pub fn set_param_ref(&mut self, r: ParamRef, value: f64, path: &str) -> Result<()> {
        let bounds = self.param_bounds(r);
        if !bounds.contains(value) {
            return Err(Error::ParameterOutOfRange {
                path: path.to_string(),
                value,
                allowed: bounds.describe(),
            });
        }
        match r {
            ParamRef::Mass { mass, index } => {
                self.masses[mass].params_mut().set_unchecked(index, value)
            }
            ParamRef::Noise {
                mass,
                channel,
                field,
            } => field.set(&mut self.noise[mass][channel], value),
        }
        Ok(())
    }

    /// The Ornstein-Uhlenbeck noise on external channel `channel` of mass `mass`.
    pub fn noise(&self, mass: usize, channel: usize) -> ChannelNoise {
        self.noise[mass][channel]
    }

    /// Set parameters by node-relative path or glob (see [`Node::resolve_param`] and
    /// [`PathPattern`]); returns how many were set. Nothing changes unless every match
    /// accepts the value. A pattern that matches nothing is an error naming the closest paths.
    pub fn set_param(&mut self, pattern: &str, value: f64) -> Result<usize> {
        let pat = PathPattern::parse(pattern);
        let hits: Vec<(String, ParamRef)> = if pat.is_exact() {
            let r = self
                .resolve_param(pattern)
                .ok_or_else(|| self.unknown(pattern))?;
            vec![(pattern.to_string(), r)]
        } else {
            self.param_refs()
                .into_iter()
                .filter(|(p, _)| pat.matches(p))
                .collect()
        };
        if hits.is_empty() {
            return Err(self.unknown(pattern));
        }
        apply_all(self, &hits, value)
    }

    fn unknown(&self, pattern: &str) -> Error {
        let paths: Vec<String> = self.param_refs().into_iter().map(|(p, _)| p).collect();
        let q = PathPattern::parse(pattern);
        Error::UnknownParameter {
            path: pattern.to_string(),
            suggestions: closest(q.glob(), paths.iter().map(String::as_str)),
        }
    }
}

/// Set `value` on every `(path, ref)` of `node`, checking all before changing any.
pub(crate) fn apply_all(node: &mut Node, hits: &[(String, ParamRef)], value: f64) -> Result<usize> {
    for (path, r) in hits {
        let bounds = node.param_bounds(*r);
        if !bounds.contains(value) {
            return Err(Error::ParameterOutOfRange {
                path: path.clone(),
                value,
                allowed: bounds.describe(),
            });
        }
    }
    for (path, r) in hits {
        node.set_param_ref(*r, value, path)?;
    }
    Ok(hits.len())
}

/// A parameter of a node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamRef {
    /// Parameter `index` of mass `mass`.
    Mass {
        /// Mass index in the node.
        mass: usize,
        /// Parameter index in the mass's [`Parameters::specs`](crate::Parameters::specs).
        index: usize,
    },
    /// A field of the noise on external channel `channel` of mass `mass`.
    Noise {
        /// Mass index in the node.
        mass: usize,
        /// External channel of the mass.
        channel: usize,
        /// Which field.
        field: NoiseField,
    },
}

/// Ornstein-Uhlenbeck noise on one external input channel (neurolib's `input_<c>`):
/// `x_{k+1} = x_k + dt (mu - x_k) / tau + sigma sqrt(dt) xi_k`, `x_0 = U[0, 1) mu`.
/// With `mu = sigma = 0` (the default of most masses) the channel is silent.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ChannelNoise {
    /// Mean.
    pub mu: f64,
    /// Strength (per sqrt(ms)).
    pub sigma: f64,
    /// Correlation time (ms).
    pub tau: f64,
}

impl ChannelNoise {
    /// Silent noise with neurolib's default time constant (5 ms).
    pub const SILENT: ChannelNoise = ChannelNoise {
        mu: 0.0,
        sigma: 0.0,
        tau: 5.0,
    };

    /// Whether the channel produces anything.
    pub fn is_silent(&self) -> bool {
        self.mu == 0.0 && self.sigma == 0.0
    }
}

/// A field of [`ChannelNoise`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoiseField {
    /// `mu`
    Mu,
    /// `sigma`
    Sigma,
    /// `tau`
    Tau,
}

impl NoiseField {
    /// All fields, in path order.
    pub const ALL: [NoiseField; 3] = [NoiseField::Mu, NoiseField::Sigma, NoiseField::Tau];

    /// The name in parameter paths.
    pub fn name(self) -> &'static str {
        match self {
            NoiseField::Mu => "mu",
            NoiseField::Sigma => "sigma",
            NoiseField::Tau => "tau",
        }
    }

    fn from_name(name: &str) -> Option<Self> {
        NoiseField::ALL.into_iter().find(|f| f.name() == name)
    }

    /// Allowed values.
    pub fn bounds(self) -> Bounds {
        match self {
            NoiseField::Mu => Bounds::Finite,
            NoiseField::Sigma => Bounds::NonNegative,
            NoiseField::Tau => Bounds::Positive,
        }
    }

    fn get(self, n: &ChannelNoise) -> f64 {
        match self {
            NoiseField::Mu => n.mu,
            NoiseField::Sigma => n.sigma,
            NoiseField::Tau => n.tau,
        }
    }

    fn set(self, n: &mut ChannelNoise, v: f64) {
        match self {
            NoiseField::Mu => n.mu = v,
            NoiseField::Sigma => n.sigma = v,
            NoiseField::Tau => n.tau = v,
        }
    }
}

/// Validate every mass's parameters and the local matrices (used before a run).
pub(crate) fn validate_node(node: &Node, index: usize) -> Result<()> {
    // Checks run without names first; only a failing one is repeated with its full name
    // for the message (building names for every node costs more than checking them).
    let named = |what: &str| format!("{}_{index}.{what}", node.label);
    if node.connectivity.check_finite("").is_err() {
        node.connectivity
            .check_finite(&named("local_connectivity"))?;
    }
    if node.delays.check_non_negative("").is_err() {
        node.delays.check_non_negative(&named("local_delays"))?;
    }
    for (j, m) in node.masses.iter().enumerate() {
        if m.params().validate("").is_err() {
            m.params()
                .validate(&named(&format!("{}_{j}.", m.label())))?;
        }
        m.check()?;
    }
    let effective = node.effective_local_connectivity()?;
    if effective.check_finite("").is_err() {
        effective.check_finite(&named("local_connectivity (effective)"))?;
    }
    Ok(())
}
