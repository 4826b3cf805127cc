//! Small summaries of a run's time series (the report of `neuromass run`, the built-in
//! summaries of `neuromass explore`).
//!
//! [`dominant_frequency`] runs neurolib's Welch spectrum (`getPowerSpectrum`, as
//! [`power_spectrum`](neuromass_fit::functional::power_spectrum) computes it) through a
//! [`WelchPlan`] cached per thread: the Hann window, the FFT's twiddle factors and its work
//! buffers are made once per signal length and sampling step, not once per call.

use std::cell::RefCell;

use neuromass_fit::functional::{SpectrumOptions, WelchPlan};

/// The frequency (Hz) with the largest power in the Welch spectrum of `series` sampled every
/// `dt_ms` ms (neurolib's `getPowerSpectrum` with 2 s segments, or the whole series if
/// shorter; the 0 Hz bin is ignored), and that power. Returns `(0, 0)` for fewer than 4
/// samples or a constant series.
///
/// The plan of each `(series length, dt_ms)` is kept per thread (the last
/// [`CACHED_PLANS`] ones), so repeated calls on equally long series, as in an exploration,
/// pay for the window and twiddle factors once.
pub fn dominant_frequency(series: &[f64], dt_ms: f64) -> (f64, f64) {
    if series.len() < 4 || dt_ms.is_nan() || dt_ms <= 0.0 {
        return (0.0, 0.0);
    }
    with_plan(series.len(), dt_ms, |plan, power| {
        plan.spectrum_into(series, power);
        let mut best = (0.0, 0.0);
        for (&f, &p) in plan.frequencies().iter().zip(power.iter()).skip(1) {
            if p > best.1 {
                best = (f, p);
            }
        }
        best
    })
    .unwrap_or((0.0, 0.0))
}

/// How many [`WelchPlan`]s each thread keeps for [`dominant_frequency`].
pub const CACHED_PLANS: usize = 4;

/// A plan and its output buffer, by `(series length, dt_ms bits)`.
type Cached = ((usize, u64), WelchPlan, Vec<f64>);

thread_local! {
    static PLANS: RefCell<Vec<Cached>> = const { RefCell::new(Vec::new()) };
}

/// The spectrum settings of [`dominant_frequency`]: segments of `min(2 s, the series)`,
/// every frequency below `fs / 2`, no normalisation.
fn options(len: usize, dt_ms: f64) -> SpectrumOptions {
    SpectrumOptions {
        max_freq_hz: 500.0 / dt_ms,
        window_s: (len as f64 * dt_ms * 1e-3).min(2.0),
        normalize: false,
    }
}

/// Run `f` with this thread's plan for `(len, dt_ms)` and a power buffer, made on first
/// use; `None` if no plan exists for that length and step (see [`WelchPlan::new`]).
fn with_plan<R>(
    len: usize,
    dt_ms: f64,
    f: impl FnOnce(&mut WelchPlan, &mut [f64]) -> R,
) -> Option<R> {
    PLANS.with(|cell| {
        let mut plans = cell.borrow_mut();
        let key = (len, dt_ms.to_bits());
        let at = match plans.iter().position(|(k, _, _)| *k == key) {
            Some(at) => at,
            None => {
                let plan = WelchPlan::new(len, dt_ms, &options(len, dt_ms)).ok()?;
                let power = vec![0.0; plan.frequencies().len()];
                if plans.len() >= CACHED_PLANS {
                    plans.remove(0);
                }
                plans.push((key, plan, power));
                plans.len() - 1
            }
        };
        let (_, plan, power) = &mut plans[at];
        Some(f(plan, power))
    })
}

/// Mean of a series (0 for an empty one).
pub fn mean(series: &[f64]) -> f64 {
    if series.is_empty() {
        0.0
    } else {
        series.iter().sum::<f64>() / series.len() as f64
    }
}

/// One node's figures in the report of `neuromass run`.
#[derive(Debug, Clone, PartialEq)]
pub struct NodeReport {
    /// Node index.
    pub index: usize,
    /// Node label (e.g. `ALNNode`).
    pub label: String,
    /// The variable summarised (`r_mean_EXC` if the node has it, else its first).
    pub variable: String,
    /// Mean of the variable after the transient.
    pub mean: f64,
    /// Dominant frequency (Hz).
    pub frequency: f64,
}

impl NodeReport {
    fn shown_mean(&self) -> String {
        if self.variable.starts_with("r_mean") {
            format!("mean rate {:8.3} Hz", 1000.0 * self.mean)
        } else {
            format!("mean {} {:.4}", self.variable, self.mean)
        }
    }
}

/// The report lines: one per node for up to `max_lines` nodes; for larger networks one
/// line per run of consecutive nodes with the same label and variable, giving the mean over
/// those nodes (with its node range) and the median dominant frequency.
pub fn report_lines(nodes: &[NodeReport], max_lines: usize) -> Vec<String> {
    if nodes.len() <= max_lines {
        return nodes
            .iter()
            .map(|n| {
                format!(
                    "node {:<3} {:<14} {}, dominant frequency {:6.2} Hz",
                    n.index,
                    n.label,
                    n.shown_mean(),
                    n.frequency
                )
            })
            .collect();
    }
    let mut lines = Vec::new();
    for group in nodes.chunk_by(|a, b| a.label == b.label && a.variable == b.variable) {
        let (first, last) = (&group[0], &group[group.len() - 1]);
        let means: Vec<f64> = group.iter().map(|n| n.mean).collect();
        let (lo, hi) = means
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), &m| {
                (l.min(m), h.max(m))
            });
        let mut freqs: Vec<f64> = group.iter().map(|n| n.frequency).collect();
        freqs.sort_by(f64::total_cmp);
        let median = freqs[freqs.len() / 2];
        let mean = NodeReport {
            mean: self::mean(&means),
            ..first.clone()
        };
        let (scale, unit) = if first.variable.starts_with("r_mean") {
            (1000.0, " Hz")
        } else {
            (1.0, "")
        };
        lines.push(format!(
            "nodes {}-{} {:<10} {} ({:.3}-{:.3}{unit} over nodes), median dominant frequency {:6.2} Hz",
            first.index,
            last.index,
            first.label,
            mean.shown_mean(),
            scale * lo,
            scale * hi,
            median
        ));
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_lines_group_large_networks() {
        let node = |index: usize, label: &str, mean: f64, frequency: f64| NodeReport {
            index,
            label: label.into(),
            variable: "r_mean_EXC".into(),
            mean,
            frequency,
        };
        let small = [
            node(0, "ALNNode", 0.01, 5.0),
            node(1, "THLMnode", 0.002, 9.0),
        ];
        let lines = report_lines(&small, 12);
        assert_eq!(lines.len(), 2);
        assert!(lines[0].starts_with("node 0") && lines[0].contains("10.000 Hz"));
        let mut big: Vec<NodeReport> = (0..20)
            .map(|i| node(i, "ALNNode", 0.001 * i as f64, i as f64))
            .collect();
        big.push(node(20, "THLMnode", 0.002, 9.0));
        let lines = report_lines(&big, 12);
        assert_eq!(lines.len(), 2, "{lines:?}");
        assert!(lines[0].starts_with("nodes 0-19 ALNNode"), "{}", lines[0]);
        assert!(lines[0].contains("mean rate    9.500 Hz"), "{}", lines[0]);
        assert!(
            lines[0].contains("(0.000-19.000 Hz over nodes)"),
            "{}",
            lines[0]
        );
        assert!(
            lines[0].contains("median dominant frequency  10.00 Hz"),
            "{}",
            lines[0]
        );
        assert!(lines[1].starts_with("nodes 20-20 THLMnode"), "{}", lines[1]);
    }

    #[test]
    fn finds_a_sine() {
        // 10 Hz sine sampled at 1 ms for 2 s, plus a slower weaker one.
        let x: Vec<f64> = (0..2000)
            .map(|i| {
                let t = i as f64 * 1e-3;
                (2.0 * std::f64::consts::PI * 10.0 * t).sin()
                    + 0.3 * (2.0 * std::f64::consts::PI * 3.0 * t).sin()
            })
            .collect();
        let (f, p) = dominant_frequency(&x, 1.0);
        assert!((f - 10.0).abs() <= 0.5 + 1e-9, "{f}");
        assert!(p > 0.0);
        assert_eq!(dominant_frequency(&[1.0; 100], 1.0), (0.0, 0.0));
    }

    /// The complex FFT equals a direct DFT for lengths made of every radix (2, 3, 4, 5 and
    /// larger primes).
    /// The cached plans give neuromass-fit's (neurolib's) Welch spectrum's peak, bit for
    /// bit, for even, odd and prime segment lengths, signals shorter and longer than the 2 s
    /// segments, and repeated use of one cached plan.
    #[test]
    fn dominant_frequency_is_the_peak_of_power_spectrum() {
        use neuromass_fit::functional::power_spectrum;
        use std::f64::consts::PI;
        for (len, dt) in [
            (4000, 1.0),
            (3001, 1.0),
            (997, 1.0),
            (1500, 0.5),
            (801, 5.0),
            (41, 5.0),
            (12, 2.0),
            (4000, 0.1),
        ] {
            for seed in 0..3 {
                let x: Vec<f64> = (0..len)
                    .map(|i| {
                        let t = i as f64 * dt * 1e-3;
                        (2.0 * PI * 11.0 * t + seed as f64).sin()
                            + 0.4 * (2.0 * PI * 37.0 * t).cos()
                            + 0.05 * ((i * 7919 + seed * 31) % 101) as f64
                    })
                    .collect();
                let want = power_spectrum(&x, dt, &options(len, dt)).unwrap();
                let best = want.power[1..]
                    .iter()
                    .enumerate()
                    .fold((0, 0.0), |b, (k, &v)| if v > b.1 { (k + 1, v) } else { b });
                let (fd, pd) = dominant_frequency(&x, dt);
                assert_eq!(fd, want.f_hz[best.0], "len {len}, dt {dt}");
                assert_eq!(pd.to_bits(), best.1.to_bits(), "len {len}, dt {dt}");
            }
        }
        // Too short for a segment of 2 samples, or a bad step: no frequency.
        assert_eq!(dominant_frequency(&[0.0, 1.0, 0.0], 1.0), (0.0, 0.0));
        assert_eq!(
            dominant_frequency(&[0.0, 1.0, 0.0, 1.0], f64::INFINITY),
            (0.0, 0.0)
        );
    }
}
