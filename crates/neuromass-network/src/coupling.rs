//! Coupling compiled for the step loop.
//!
//! Every coupling input of every mass is a sparse row `sum_t w_t f(x_src_t(t - lag_t))`.
//! Rows are compiled in two stages:
//!
//! 1. identical rows (same kind, receiving variable and terms) are evaluated once and
//!    added to every input they feed;
//! 2. rows reading the same delayed values (same sources and lags) but with different
//!    weights — ALN's mean and squared-weight network couplings, a node's EXC and INH
//!    masses listening to the same rate — share one *gather*: each delayed value is read
//!    from the history once and multiplied into one accumulator per weight column.
//!
//! Each column sums its terms in a fixed order (four interleaved partial sums, then the
//! remainder), so the result does not depend on how rows were grouped or on threads.

use std::collections::HashMap;

use neuromass_core::CouplingKind;

/// One pass over a set of delayed values, feeding one or more weight columns.
#[derive(Debug, Clone)]
struct Gather {
    kind: CouplingKind,
    /// State index of the receiving variable's own value (diffusive / multiplicative).
    own: usize,
    /// Terms `[start, end)` (history offsets).
    terms: (usize, usize),
    /// Number of weight columns.
    columns: usize,
    /// Writes `[start, end)` of the columns' sums into the inputs.
    writes: (usize, usize),
    /// First weight, laid out `[term][column]`.
    weights: usize,
}

/// Put column `column`'s sum into `input`: assigned by the first column feeding that
/// input, added by the others.
#[derive(Debug, Clone, Copy)]
struct Write {
    input: usize,
    column: usize,
    assign: bool,
    /// The column's weight when its gather has a single term (then no sum is needed).
    weight: f64,
}

/// The compiled coupling of a network: gathers over the delay history.
#[derive(Debug, Clone, Default)]
pub(crate) struct CouplingPlan {
    gathers: Vec<Gather>,
    /// Per term: source state index and lag in steps (to lay out the history).
    term_state: Vec<u32>,
    term_lag: Vec<u32>,
    /// Per term: offset of its delayed value from the newest history row (set by
    /// [`set_offsets`](Self::set_offsets)); 32 bits keep the per-step stream small.
    term_offset: Vec<u32>,
    weights: Vec<f64>,
    /// Where each column's sum goes, gather by gather.
    writes: Vec<Write>,
    /// One accumulator per column of the widest gather.
    scratch: Vec<f64>,
}

impl CouplingPlan {
    /// Source state index and lag (steps) of every term, in plan order.
    pub(crate) fn terms(&self) -> impl Iterator<Item = (usize, usize)> + '_ {
        self.term_state
            .iter()
            .zip(&self.term_lag)
            .map(|(&s, &l)| (s as usize, l as usize))
    }

    /// The longest lag (steps) of any term; 0 without terms.
    pub(crate) fn max_lag(&self) -> usize {
        self.term_lag.iter().copied().max().unwrap_or(0) as usize
    }

    /// Set each term's history offset from its source and lag; the caller guarantees
    /// offsets below `u32::MAX` (the history it lays out is smaller than that).
    pub(crate) fn set_offsets(&mut self, offset: impl Fn(usize, usize) -> usize) {
        self.term_offset = self
            .term_state
            .iter()
            .zip(&self.term_lag)
            .map(|(&s, &l)| offset(s as usize, l as usize) as u32)
            .collect();
    }

    /// Overwrite every fed input with the coupling computed from `history` (offsets count
    /// from its start) and the current `state`. Inputs nothing feeds are left untouched:
    /// they keep the zero they were created with.
    #[inline]
    pub(crate) fn apply(&mut self, history: &[f64], state: &[f64], inputs: &mut [f64]) {
        for g in &self.gathers {
            let writes = &self.writes[g.writes.0..g.writes.1];
            if g.terms.1 - g.terms.0 == 1 {
                // One delayed value (e.g. a node-local coupling): each write is its weight
                // times that value, as the one-term sum would be.
                let h = history[self.term_offset[g.terms.0] as usize];
                let v = match g.kind {
                    CouplingKind::Additive => h,
                    CouplingKind::Diffusive => h - state[g.own],
                    CouplingKind::Multiplicative => h * state[g.own],
                };
                for w in writes {
                    let a = w.weight * v;
                    if w.assign {
                        inputs[w.input] = a;
                    } else {
                        inputs[w.input] += a;
                    }
                }
                continue;
            }
            let offsets = &self.term_offset[g.terms.0..g.terms.1];
            let weights = &self.weights[g.weights..g.weights + offsets.len() * g.columns];
            let acc = &mut self.scratch[..g.columns];
            match g.kind {
                CouplingKind::Additive => accumulate(offsets, weights, history, acc, |h| h),
                CouplingKind::Diffusive => {
                    let own = state[g.own];
                    accumulate(offsets, weights, history, acc, |h| h - own)
                }
                CouplingKind::Multiplicative => {
                    let own = state[g.own];
                    accumulate(offsets, weights, history, acc, |h| h * own)
                }
            }
            for w in writes {
                let a = acc[w.column];
                if w.assign {
                    inputs[w.input] = a;
                } else {
                    inputs[w.input] += a;
                }
            }
        }
    }
}

/// `acc[c] = sum_t weights[t][c] * f(history[offsets[t]])`, with the loop unrolled over
/// the columns of the common narrow gathers (1 to 4 columns).
#[inline(always)]
fn accumulate(
    offsets: &[u32],
    weights: &[f64],
    history: &[f64],
    acc: &mut [f64],
    f: impl Fn(f64) -> f64,
) {
    match acc.len() {
        1 => acc.copy_from_slice(&accumulate_fixed::<1>(offsets, weights, history, f)),
        2 => acc.copy_from_slice(&accumulate_fixed::<2>(offsets, weights, history, f)),
        3 => acc.copy_from_slice(&accumulate_fixed::<3>(offsets, weights, history, f)),
        4 => acc.copy_from_slice(&accumulate_fixed::<4>(offsets, weights, history, f)),
        k => {
            acc.fill(0.0);
            for (&o, w) in offsets.iter().zip(weights.chunks_exact(k)) {
                let h = f(history[o as usize]);
                for (a, &w) in acc.iter_mut().zip(w) {
                    *a += w * h;
                }
            }
        }
    }
}

/// Columns summed over four interleaved partial sums (terms `t ≡ 0, 1, 2, 3 mod 4`), added
/// as `(s0 + s1) + (s2 + s3)` and then the remaining terms in order: four independent
/// addition chains instead of one, so long rows (network couplings) are not bound by the
/// latency of one addition per term. The order is fixed, so results are reproducible.
#[inline(always)]
fn accumulate_fixed<const K: usize>(
    offsets: &[u32],
    weights: &[f64],
    history: &[f64],
    f: impl Fn(f64) -> f64,
) -> [f64; K] {
    let mut partial = [[0.0; K]; 4];
    let quads = offsets.len() / 4;
    for (o, w) in offsets
        .chunks_exact(4)
        .zip(weights.chunks_exact(4 * K))
        .take(quads)
    {
        for (lane, sums) in partial.iter_mut().enumerate() {
            let h = f(history[o[lane] as usize]);
            for c in 0..K {
                sums[c] += w[lane * K + c] * h;
            }
        }
    }
    let mut acc = [0.0; K];
    for c in 0..K {
        acc[c] = (partial[0][c] + partial[1][c]) + (partial[2][c] + partial[3][c]);
    }
    for (&o, w) in offsets[4 * quads..]
        .iter()
        .zip(weights[4 * quads * K..].chunks_exact(K))
    {
        let h = f(history[o as usize]);
        for c in 0..K {
            acc[c] += w[c] * h;
        }
    }
    acc
}

/// One term of a row: source state index, lag in steps, weight.
#[derive(Debug, Clone, Copy)]
struct Term {
    src: u32,
    lag: u32,
    w: f64,
}

/// Terms of a row.
type Terms = Vec<Term>;

/// A distinct row: kind, own index, terms, and the inputs it feeds.
struct Row {
    kind: CouplingKind,
    own: usize,
    terms: Terms,
    feeds: Vec<usize>,
}

impl Row {
    /// Whether `other` reads the same delayed values (kind, own, sources and lags).
    fn same_reads(&self, other: &Row) -> bool {
        self.kind == other.kind
            && self.own == other.own
            && self.terms.len() == other.terms.len()
            && self
                .terms
                .iter()
                .zip(&other.terms)
                .all(|(a, b)| a.src == b.src && a.lag == b.lag)
    }

    /// Whether `other` is the same row (same reads and bit-identical weights).
    fn same_row(&self, other: &Row) -> bool {
        self.same_reads(other)
            && self
                .terms
                .iter()
                .zip(&other.terms)
                .all(|(a, b)| a.w.to_bits() == b.w.to_bits())
    }

    /// Fingerprint of the reads (`weights = false`) or of the whole row: a hash of the
    /// kind, own index, length and up to 16 evenly spread terms. Equal rows have equal
    /// fingerprints; rows that share one are compared in full.
    fn fingerprint(&self, weights: bool) -> u64 {
        const K: u64 = 0x517c_c1b7_2722_0a95;
        let mix = |h: u64, x: u64| (h.rotate_left(5) ^ x).wrapping_mul(K);
        let n = self.terms.len();
        let mut h = mix(mix(mix(0, self.kind as u64), self.own as u64), n as u64);
        for t in self.terms.iter().step_by(n.div_ceil(16).max(1)) {
            h = mix(h, ((t.src as u64) << 32) | t.lag as u64);
            if weights {
                h = mix(h, t.w.to_bits());
            }
        }
        h
    }
}

/// Collects coupling rows and compiles them into a [`CouplingPlan`].
#[derive(Default)]
pub(crate) struct CouplingBuilder {
    rows: Vec<Row>,
    /// Row fingerprint -> rows with that fingerprint.
    seen: HashMap<u64, Vec<usize>>,
}

impl CouplingBuilder {
    /// Add `input += sum_t w_t f(x_src_t(t - lag_t))`; rows without terms are dropped.
    pub(crate) fn push(
        &mut self,
        input: usize,
        kind: CouplingKind,
        own: usize,
        terms: impl Iterator<Item = (usize, f64, usize)>,
    ) {
        let mut row_terms: Terms = Vec::with_capacity(terms.size_hint().1.unwrap_or(0));
        // Saturated lags make the engine's size check fail with a clear error; it also
        // checks that state indices fit in 32 bits.
        row_terms.extend(terms.map(|(src, w, lag)| Term {
            src: src as u32,
            lag: lag.min(u32::MAX as usize) as u32,
            w,
        }));
        let terms = row_terms;
        if terms.is_empty() {
            return;
        }
        let own = if kind == CouplingKind::Additive {
            0
        } else {
            own
        };
        let row = Row {
            kind,
            own,
            terms,
            feeds: vec![input],
        };
        let candidates = self.seen.entry(row.fingerprint(true)).or_default();
        if let Some(&r) = candidates.iter().find(|&&r| self.rows[r].same_row(&row)) {
            self.rows[r].feeds.push(input);
            return;
        }
        candidates.push(self.rows.len());
        self.rows.push(row);
    }

    /// Group rows reading the same delayed values into gathers; `n_inputs` is the number
    /// of coupling inputs in the network.
    pub(crate) fn finish(self, n_inputs: usize) -> CouplingPlan {
        let mut groups: Vec<Vec<Row>> = Vec::new();
        let mut index: HashMap<u64, Vec<usize>> = HashMap::new();
        for row in self.rows {
            let candidates = index.entry(row.fingerprint(false)).or_default();
            match candidates.iter().find(|&&g| groups[g][0].same_reads(&row)) {
                Some(&g) => groups[g].push(row),
                None => {
                    candidates.push(groups.len());
                    groups.push(vec![row]);
                }
            }
        }
        let mut plan = CouplingPlan::default();
        let n_terms: usize = groups.iter().map(|g| g[0].terms.len()).sum();
        plan.term_state.reserve(n_terms);
        plan.term_lag.reserve(n_terms);
        let mut fed = vec![false; n_inputs];
        for rows in groups {
            let first = &rows[0];
            let (term_start, write_start, weight_start) =
                (plan.term_state.len(), plan.writes.len(), plan.weights.len());
            plan.term_state.extend(first.terms.iter().map(|t| t.src));
            plan.term_lag.extend(first.terms.iter().map(|t| t.lag));
            let k = rows.len();
            plan.weights
                .resize(weight_start + first.terms.len() * k, 0.0);
            for (column, row) in rows.iter().enumerate() {
                let weights = plan.weights[weight_start + column..].iter_mut().step_by(k);
                for (w, t) in weights.zip(&row.terms) {
                    *w = t.w;
                }
            }
            for (column, row) in rows.iter().enumerate() {
                // Inputs fed here for the first time are assigned, the others added to.
                for &input in &row.feeds {
                    plan.writes.push(Write {
                        input,
                        column,
                        assign: !fed[input],
                        weight: row.terms[0].w,
                    });
                    fed[input] = true;
                }
            }
            plan.gathers.push(Gather {
                kind: first.kind,
                own: first.own,
                terms: (term_start, plan.term_state.len()),
                columns: rows.len(),
                writes: (write_start, plan.writes.len()),
                weights: weight_start,
            });
            plan.scratch.resize(plan.scratch.len().max(rows.len()), 0.0);
        }
        plan
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A row feeding `input`: its kind and (source slot, weight) terms, all at lag 0.
    type TestRow = (usize, CouplingKind, Vec<(usize, f64)>);

    /// The plan of `rows`, each term reading history slot `src` of a single row.
    fn plan(rows: &[TestRow], n_inputs: usize) -> CouplingPlan {
        let mut b = CouplingBuilder::default();
        for (input, kind, terms) in rows {
            b.push(*input, *kind, 0, terms.iter().map(|&(s, w)| (s, w, 0)));
        }
        let mut p = b.finish(n_inputs);
        p.set_offsets(|src, _| src);
        p
    }

    #[test]
    fn grouped_and_repeated_rows_sum_like_separate_rows() {
        use CouplingKind::Additive;
        let history = [2.0, 3.0, 5.0];
        let rows = vec![
            // Identical rows into the same input (evaluated once, counted twice).
            (0, Additive, vec![(0, 1.0), (1, 10.0)]),
            (0, Additive, vec![(0, 1.0), (1, 10.0)]),
            // Same delayed values, different weights: one gather, two columns.
            (1, Additive, vec![(0, 0.5), (1, 0.25)]),
            (2, Additive, vec![(0, 4.0), (1, -1.0)]),
            // Another gather adding into input 1 again.
            (1, Additive, vec![(2, 2.0)]),
        ];
        let mut p = plan(&rows, 4);
        assert_eq!(
            p.gathers.len(),
            2,
            "rows over the same terms share a gather"
        );
        let mut inputs = [0.0, 0.0, 0.0, 7.0];
        for _ in 0..2 {
            // Applying twice gives the same result: fed inputs are overwritten, not accumulated.
            p.apply(&history, &[], &mut inputs);
            assert_eq!(inputs[0], 2.0 * (2.0 + 30.0));
            assert_eq!(inputs[1], 1.0 + 0.75 + 10.0);
            assert_eq!(inputs[2], 8.0 - 3.0);
            assert_eq!(inputs[3], 7.0, "an input nothing feeds is never written");
        }
    }

    #[test]
    fn diffusive_and_multiplicative_use_the_receivers_value() {
        let history = [2.0, 3.0];
        let state = [10.0];
        let mut b = CouplingBuilder::default();
        b.push(
            0,
            CouplingKind::Diffusive,
            0,
            [(0, 1.0, 0), (1, 2.0, 0)].into_iter(),
        );
        b.push(
            1,
            CouplingKind::Multiplicative,
            0,
            [(0, 1.0, 0), (1, 2.0, 0)].into_iter(),
        );
        let mut p = b.finish(2);
        p.set_offsets(|src, _| src);
        let mut inputs = [0.0; 2];
        p.apply(&history, &state, &mut inputs);
        assert_eq!(inputs[0], (2.0 - 10.0) + 2.0 * (3.0 - 10.0));
        assert_eq!(inputs[1], 2.0 * 10.0 + 2.0 * (3.0 * 10.0));
    }
}
