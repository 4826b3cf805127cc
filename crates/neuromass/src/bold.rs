//! BOLD inside a run: a [`StepObserver`] that feeds a node variable (a firing rate) to the
//! Balloon-Windkessel monitor of `neuromass-fit` step by step, so a long run never holds
//! its full-rate activity, and the FC fit of the result against empirical data.

use std::any::Any;

use neuromass_fit::bold::BoldMonitor;
use neuromass_fit::functional::{fc, matrix_correlation};
use neuromass_network::StepObserver;

/// Collects BOLD samples (every 2 s of simulated time) while a simulation runs.
#[derive(Debug, Clone)]
pub struct BoldRecorder {
    monitor: BoldMonitor,
    /// Sample times (ms).
    pub t_ms: Vec<f64>,
    /// One row per region, one column per sample.
    pub bold: Vec<Vec<f64>>,
    /// The first error the monitor reported, if any.
    pub error: Option<String>,
}

impl BoldRecorder {
    /// A recorder for `regions` nodes at the model's `dt_ms`.
    pub fn new(regions: usize, dt_ms: f64) -> Result<Self, String> {
        Ok(BoldRecorder {
            monitor: BoldMonitor::new(regions, dt_ms).map_err(|e| e.to_string())?,
            t_ms: Vec::new(),
            bold: vec![Vec::new(); regions],
            error: None,
        })
    }
}

impl StepObserver for BoldRecorder {
    fn observe(&mut self, _t_ms: f64, rates_hz: &[f64]) {
        match self.monitor.push(rates_hz) {
            Ok(Some(sample)) => {
                self.t_ms.push(sample.t_ms);
                for (row, &b) in self.bold.iter_mut().zip(sample.bold) {
                    row.push(b);
                }
            }
            Ok(None) => {}
            Err(e) => {
                if self.error.is_none() {
                    self.error = Some(e.to_string());
                }
            }
        }
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// Pearson correlation of the upper triangles of the simulated BOLD's FC with each
/// empirical FC (regions × regions); `Err` if the BOLD is too short or sizes differ.
pub fn fc_fit(bold: &[Vec<f64>], empirical: &[Vec<Vec<f64>>]) -> Result<Vec<f64>, String> {
    let sim = fc(bold).map_err(|e| e.to_string())?;
    empirical
        .iter()
        .map(|e| matrix_correlation(&sim, e).map_err(|e| e.to_string()))
        .collect()
}
