//! External input signals that drive a mass's input channels (noise, stimuli).

use std::fmt::Debug;

/// A signal feeding one external input channel, sampled once per Euler step.
///
/// The step from `t = step * dt` to `t + dt` adds `sample(step, dt)` where the mass's
/// equations add their external input. Implementations must be deterministic functions of
/// their own state and `step`, so that continued runs equal one long run.
pub trait InputSignal: Debug + Send + Sync {
    /// The value for the Euler step starting at step index `step` (time `step * dt` ms).
    fn sample(&mut self, step: u64, dt: f64) -> f64;
    /// How many steps the signal covers from step 0 (`None` = unbounded).
    fn steps_available(&self) -> Option<u64> {
        None
    }
    /// Clone into a box.
    fn clone_box(&self) -> Box<dyn InputSignal>;
    /// The signal's internal state (e.g. an Ornstein-Uhlenbeck value), for checkpoints.
    fn state(&self) -> Vec<f64> {
        Vec::new()
    }
    /// Restore a state returned by [`state`](Self::state).
    fn set_state(&mut self, state: &[f64]) {
        let _ = state;
    }
}

impl Clone for Box<dyn InputSignal> {
    fn clone(&self) -> Self {
        self.clone_box()
    }
}

/// A signal given as one sample per Euler step (sample `k` drives the step starting at
/// `k * dt`).
#[derive(Debug, Clone, PartialEq)]
pub struct SampledInput {
    values: Vec<f64>,
}

impl SampledInput {
    /// A signal from per-step samples.
    pub fn new(values: Vec<f64>) -> Self {
        SampledInput { values }
    }

    /// The samples.
    pub fn values(&self) -> &[f64] {
        &self.values
    }
}

impl InputSignal for SampledInput {
    #[inline]
    fn sample(&mut self, step: u64, _dt: f64) -> f64 {
        self.values.get(step as usize).copied().unwrap_or(0.0)
    }
    fn steps_available(&self) -> Option<u64> {
        Some(self.values.len() as u64)
    }
    fn clone_box(&self) -> Box<dyn InputSignal> {
        Box::new(self.clone())
    }
}
