//! Small summaries of a run's time series (used by `neuromass run`'s report).

/// The frequency (Hz) with the largest periodogram power of `series` sampled every
/// `dt_ms` ms (mean removed), and that power. Returns `(0, 0)` for fewer than 4 samples or
/// a constant series.
pub fn dominant_frequency(series: &[f64], dt_ms: f64) -> (f64, f64) {
    let n = series.len();
    if n < 4 || dt_ms.is_nan() || dt_ms <= 0.0 {
        return (0.0, 0.0);
    }
    let mean = series.iter().sum::<f64>() / n as f64;
    let mut best = (0.0, 0.0);
    // Goertzel's recurrence for every DFT bin k = 1..n/2.
    for k in 1..=n / 2 {
        let w = 2.0 * std::f64::consts::PI * k as f64 / n as f64;
        let coeff = 2.0 * w.cos();
        let (mut s1, mut s2) = (0.0, 0.0);
        for &x in series {
            let s0 = (x - mean) + coeff * s1 - s2;
            s2 = s1;
            s1 = s0;
        }
        let power = (s1 * s1 + s2 * s2 - coeff * s1 * s2) / n as f64;
        if power > best.1 {
            best = (k as f64 / (n as f64 * dt_ms * 1e-3), power);
        }
    }
    best
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
        assert!((f - 10.0).abs() < 0.5 + 1e-9, "{f}");
        assert!(p > 0.0);
        assert_eq!(dominant_frequency(&[1.0; 100], 1.0), (0.0, 0.0));
    }
}
