//! The engine: isolation of uncoupled nodes, chunked runs, heterogeneous networks against
//! an independent Euler integration, sampling and variable selection, and error paths.

use neuromass_core::{
    Coupling, CouplingKind, Error, Network, NeuralMass, Node, SampledInput, SquareMatrix,
};
use neuromass_models::{
    FitzHughNagumoMass, FitzHughNagumoNode, HopfMass, HopfNode, WcExcitatoryMass, WcInhibitoryMass,
    WilsonCowanNode,
};
use neuromass_network::{RunOutput, SimError, Simulation, SimulationOptions};
use proptest::prelude::*;

// ---------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------

/// A zoo node with random parameters in ranges where explicit Euler at dt <= 0.1 is stable.
#[derive(Debug, Clone)]
enum Spec {
    Wc {
        a: f64,
        mu: f64,
        tau_e: f64,
        tau_i: f64,
        drive: f64,
        init: [f64; 2],
    },
    Hopf {
        a: f64,
        w: f64,
        x_ext: f64,
        init: [f64; 2],
    },
    Fhn {
        x_ext: f64,
        tau: f64,
        init: [f64; 2],
    },
}

fn wc_spec() -> impl Strategy<Value = Spec> {
    (
        1.0f64..2.0,
        2.0f64..4.0,
        1.5f64..5.0,
        2.0f64..8.0,
        0.0f64..1.5,
        [0.0f64..0.3, 0.0f64..0.3],
    )
        .prop_map(|(a, mu, tau_e, tau_i, drive, init)| Spec::Wc {
            a,
            mu,
            tau_e,
            tau_i,
            drive,
            init,
        })
}

fn osc_spec() -> impl Strategy<Value = Spec> {
    prop_oneof![
        (
            -0.5f64..0.5,
            0.05f64..0.5,
            -0.5f64..0.5,
            [-1.0f64..1.0, -1.0f64..1.0]
        )
            .prop_map(|(a, w, x_ext, init)| Spec::Hopf { a, w, x_ext, init }),
        (0.0f64..1.2, 10.0f64..30.0, [-1.0f64..1.0, -1.0f64..1.0])
            .prop_map(|(x_ext, tau, init)| Spec::Fhn { x_ext, tau, init }),
    ]
}

fn any_spec() -> impl Strategy<Value = Spec> {
    prop_oneof![wc_spec(), osc_spec()]
}

fn build(spec: &Spec) -> Node {
    let (mut node, init): (Node, [f64; 2]) = match *spec {
        Spec::Wc {
            a,
            mu,
            tau_e,
            tau_i,
            drive,
            init,
        } => {
            let mut wc = WilsonCowanNode::default();
            wc.exc.params.a = a;
            wc.exc.params.mu = mu;
            wc.exc.params.tau = tau_e;
            wc.exc.params.ext_drive = drive;
            wc.inh.params.a = a;
            wc.inh.params.tau = tau_i;
            (wc.into(), init)
        }
        Spec::Hopf { a, w, x_ext, init } => {
            let mut h = HopfNode::default();
            h.mass.params.a = a;
            h.mass.params.w = w;
            h.mass.params.x_ext = x_ext;
            (h.into(), init)
        }
        Spec::Fhn { x_ext, tau, init } => {
            let mut f = FitzHughNagumoNode::default();
            f.mass.params.x_ext = x_ext;
            f.mass.params.tau = tau;
            (f.into(), init)
        }
    };
    node.set_initial_state(init.to_vec()).unwrap();
    node
}

fn matrix(rows: &[&[f64]]) -> SquareMatrix {
    let rows: Vec<Vec<f64>> = rows.iter().map(|r| r.to_vec()).collect();
    SquareMatrix::from_rows("m", &rows, None).unwrap()
}

fn opts(dt: f64) -> SimulationOptions {
    SimulationOptions {
        dt,
        ..Default::default()
    }
}

fn bits(x: &[f64]) -> Vec<u64> {
    x.iter().map(|v| v.to_bits()).collect()
}

/// Bit-level equality of two outputs (so that -0.0 != 0.0 and NaN == NaN).
fn assert_bit_identical(a: &RunOutput, b: &RunOutput) {
    assert_eq!(bits(&a.t), bits(&b.t), "sample times differ");
    assert_eq!(a.nodes.len(), b.nodes.len());
    for (i, (x, y)) in a.nodes.iter().zip(&b.nodes).enumerate() {
        assert_eq!(x.label, y.label);
        assert_eq!(x.names, y.names);
        for (k, (s, r)) in x.data.iter().zip(&y.data).enumerate() {
            assert_eq!(bits(s), bits(r), "node {i} variable {} differs", x.names[k]);
        }
    }
}

fn wc_pair() -> Network {
    let nodes: Vec<Node> = vec![
        WilsonCowanNode::default().into(),
        WilsonCowanNode::default().into(),
    ];
    let mut net = Network::new(
        nodes,
        matrix(&[&[0.0, 0.6], &[0.4, 0.0]]),
        matrix(&[&[0.0, 7.3], &[13.45, 0.0]]),
    )
    .unwrap();
    net.set_param("*EXC*.ext_drive", 0.9).unwrap();
    net
}

// ---------------------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------------------

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Without connectivity every node of a network evolves exactly as it does alone,
    /// whatever the network delays and the mix of models.
    #[test]
    fn uncoupled_network_equals_isolated_nodes(
        specs in prop::collection::vec(any_spec(), 1..7),
        delay_seed in prop::collection::vec(0.0f64..10.0, 36),
        dt in prop_oneof![Just(0.1), Just(0.05), 0.01f64..0.1],
        steps in 50u64..600,
        seed in any::<u64>(),
    ) {
        let n = specs.len();
        let nodes: Vec<Node> = specs.iter().map(build).collect();
        let mut delays = SquareMatrix::zeros(n);
        for i in 0..n {
            for j in 0..n {
                delays.set(i, j, delay_seed[i * 6 + j]);
            }
        }
        let net = Network::new(nodes.clone(), SquareMatrix::zeros(n), delays).unwrap();
        let options = SimulationOptions { dt, seed, ..Default::default() };
        let together = Simulation::new(&net, &options).unwrap().run_steps(steps).unwrap();
        prop_assert_eq!(together.t.len() as u64, steps);
        for (i, node) in nodes.into_iter().enumerate() {
            let alone = Simulation::new(&Network::single(node), &options)
                .unwrap()
                .run_steps(steps)
                .unwrap();
            prop_assert_eq!(bits(&alone.t), bits(&together.t));
            let (a, b) = (&alone.nodes[0], &together.nodes[i]);
            prop_assert_eq!(&a.names, &b.names);
            for (x, y) in a.data.iter().zip(&b.data) {
                prop_assert!(x.iter().all(|v| v.is_finite()));
                prop_assert_eq!(bits(x), bits(y), "node {} ({:?}) differs", i, specs[i]);
            }
        }
    }

    /// Running in chunks (by steps or by duration, with a checkpoint restored into a fresh
    /// simulation half-way) gives bit-identical output to one long run, with delays,
    /// sampling, external input signals and every coupling kind.
    #[test]
    fn chunked_runs_equal_one_long_run(
        oscillators in any::<bool>(),
        specs_wc in prop::collection::vec(wc_spec(), 2..5),
        specs_osc in prop::collection::vec(osc_spec(), 2..5),
        weights in prop::collection::vec(prop_oneof![Just(0.0), 0.0f64..0.4], 16),
        delays in prop::collection::vec(0.0f64..4.0, 16),
        local_delay in 0.0f64..2.0,
        alt_couplings in any::<bool>(),
        dt in prop_oneof![Just(0.1), Just(0.05)],
        every in 1u64..6,
        total in 50u64..500,
        chunks in prop::collection::vec(1u64..120, 1..12),
        by_duration in any::<bool>(),
        restore_at in 0usize..12,
        input_node in 0usize..4,
        input_channel in 0usize..2,
        input in prop::collection::vec(-0.2f64..0.2, 500),
    ) {
        let specs = if oscillators { &specs_osc } else { &specs_wc };
        let n = specs.len();
        let mut nodes: Vec<Node> = specs.iter().map(build).collect();
        if !oscillators {
            nodes[0].set_local_delays(matrix(&[&[0.0, local_delay], &[local_delay / 2.0, 0.0]])).unwrap();
        }
        let mut c = SquareMatrix::zeros(n);
        let mut d = SquareMatrix::zeros(n);
        for i in 0..n {
            for j in 0..n {
                // Multiplicative coupling of the oscillators needs weak weights to stay stable.
                let scale = if oscillators && alt_couplings { 0.25 } else { 1.0 };
                c.set(i, j, scale * weights[i * 4 + j]);
                d.set(i, j, delays[i * 4 + j]);
            }
        }
        let mut net = Network::new(nodes, c, d).unwrap();
        if alt_couplings {
            net = net.with_couplings(if oscillators {
                vec![
                    Coupling::new("x", "network_x", CouplingKind::Multiplicative),
                    Coupling::additive("y", "network_y").squared(),
                ]
            } else {
                vec![
                    Coupling::diffusive("q_mean_EXC", "network_exc_exc"),
                    Coupling::additive("q_mean_INH", "network_inh_exc").squared(),
                ]
            }).unwrap();
        }
        let options = SimulationOptions {
            dt,
            sampling_dt: Some(every as f64 * dt),
            variables: None,
            seed: 3,
        };
        let input_node = input_node % n;
        let input_channel = if oscillators { input_channel } else { 0 };
        let signal = SampledInput::new(input[..total as usize].to_vec());
        let fresh = || {
            let mut sim = Simulation::new(&net, &options).unwrap();
            sim.attach_input(input_node, 0, input_channel, Box::new(signal.clone())).unwrap();
            sim
        };

        let mut long = fresh();
        // Should a random model diverge, the chunked run must fail identically.
        let expected = long.run_steps(total).map_err(|e| format!("{e:?}"));
        if let Ok(e) = &expected {
            prop_assert_eq!(e.t.len() as u64, total / every);
        }

        let mut sim = fresh();
        let mut got: Option<RunOutput> = None;
        let mut done = 0;
        for (k, &size) in chunks.iter().cycle().enumerate() {
            if done == total {
                break;
            }
            if k == restore_at {
                let saved = sim.checkpoint();
                sim = fresh();
                sim.restore(&saved).unwrap();
            }
            let size = size.min(total - done);
            let part = if by_duration && k % 2 == 1 {
                sim.run(size as f64 * dt)
            } else {
                sim.run_steps(size)
            };
            let part = match (part, &expected) {
                (Ok(p), _) => p,
                (Err(e), Err(x)) => {
                    prop_assert_eq!(&format!("{e:?}"), x);
                    return Ok(());
                }
                (Err(e), Ok(_)) => panic!("chunked run failed, long run did not: {e}"),
            };
            done += size;
            prop_assert_eq!(sim.steps_done(), done);
            match got.as_mut() {
                None => got = Some(part),
                Some(g) => g.extend(part),
            }
        }
        let got = got.unwrap();
        let Ok(expected) = expected else {
            panic!("long run failed, chunked run did not: {}", expected.unwrap_err());
        };
        prop_assert_eq!(bits(&got.t), bits(&expected.t));
        for (x, y) in got.nodes.iter().zip(&expected.nodes) {
            prop_assert_eq!(&x.names, &y.names);
            for (s, r) in x.data.iter().zip(&y.data) {
                prop_assert_eq!(bits(s), bits(r));
            }
        }
        // The input actually reached the model: without it the trajectories differ.
        if input.iter().take(total as usize).any(|&v| v != 0.0) {
            let plain = Simulation::new(&net, &options).unwrap().run_steps(total).unwrap();
            prop_assert!(plain != expected || total < every);
        }
    }
}

// ---------------------------------------------------------------------------------------
// A heterogeneous network against an independent Euler integration
// ---------------------------------------------------------------------------------------

/// Round half to even without `round_ties_even`, for delays in steps.
fn steps_of(d: f64, dt: f64) -> usize {
    let q = d / dt;
    let f = q.floor();
    let frac = q - f;
    let f = f as usize;
    if frac > 0.5 || (frac == 0.5 && f % 2 == 1) {
        f + 1
    } else {
        f
    }
}

#[test]
fn heterogeneous_network_matches_reference_euler() {
    // node 0: Hopf (x, y); node 1: FitzHugh-Nagumo (x, y); node 2: Wilson-Cowan.
    // x couples diffusively between the oscillators and additively into the WC node's
    // excitatory network input; the WC node sends nothing.
    let c = [[0.0, 0.3, 0.0], [0.4, 0.0, 0.0], [0.5, 0.2, 0.0]];
    let d = [[0.0, 1.25, 0.0], [0.75, 0.0, 0.0], [2.0, 0.35, 0.0]];
    let dt = 0.1;
    let steps = 1500usize;
    let hopf = HopfMass::default();
    let fhn = FitzHughNagumoMass::default();
    let wc = WilsonCowanNode::default();
    let (exc, inh): (WcExcitatoryMass, WcInhibitoryMass) = (wc.exc.clone(), wc.inh.clone());
    let init = [0.3, -0.2, 0.1, 0.05, 0.02, 0.04];

    let mut nodes: Vec<Node> = vec![
        HopfNode::default().into(),
        FitzHughNagumoNode::default().into(),
        wc.clone().into(),
    ];
    for (k, node) in nodes.iter_mut().enumerate() {
        node.set_initial_state(init[2 * k..2 * k + 2].to_vec())
            .unwrap();
    }
    let net = Network::new(
        nodes,
        matrix(&[&c[0], &c[1], &c[2]]),
        matrix(&[&d[0], &d[1], &d[2]]),
    )
    .unwrap()
    .with_couplings(vec![
        Coupling::diffusive("x", "network_x"),
        Coupling::additive("x", "network_exc_exc"),
    ])
    .unwrap();
    let wc_drive: Vec<f64> = (0..steps).map(|k| 0.3 * (k as f64 * 0.05).sin()).collect();
    let hopf_y: Vec<f64> = (0..steps).map(|k| 0.05 * (k as f64 * 0.03).cos()).collect();
    let mut sim = Simulation::new(&net, &opts(dt)).unwrap();
    sim.attach_input(2, 0, 0, Box::new(SampledInput::new(wc_drive.clone())))
        .unwrap();
    sim.attach_input(0, 0, 1, Box::new(SampledInput::new(hopf_y.clone())))
        .unwrap();
    let out = sim.run_steps(steps as u64).unwrap();

    // Reference: full state history, history before t = 0 is the initial state.
    let mut hist: Vec<[f64; 6]> = vec![init];
    let lag = |i: usize, j: usize| steps_of(d[i][j], dt);
    for s in 0..steps {
        let now = hist[s];
        let past = |lag: usize| hist[s.saturating_sub(lag)];
        let (hx, fx) = (now[0], now[2]);
        let net_hopf = c[0][1] * (past(lag(0, 1))[2] - hx);
        let net_fhn = c[1][0] * (past(lag(1, 0))[0] - fx);
        let net_wc = c[2][0] * past(lag(2, 0))[0] + c[2][1] * past(lag(2, 1))[2];
        let (qe, qi) = (now[4], now[5]);
        let lc = wc.connectivity;
        let mut ds = [0.0; 6];
        hopf.derivatives(
            &now[0..2],
            &[net_hopf, 0.0],
            &[0.0, hopf_y[s]],
            &mut ds[0..2],
        );
        fhn.derivatives(&now[2..4], &[net_fhn, 0.0], &[0.0, 0.0], &mut ds[2..4]);
        exc.derivatives(
            &now[4..5],
            &[lc[0][0] * qe, lc[0][1] * qi, net_wc],
            &[wc_drive[s]],
            &mut ds[4..5],
        );
        inh.derivatives(
            &now[5..6],
            &[lc[1][0] * qe, lc[1][1] * qi, 0.0],
            &[0.0],
            &mut ds[5..6],
        );
        let mut next = now;
        for (x, v) in next.iter_mut().zip(ds) {
            *x += dt * v;
        }
        hist.push(next);
    }

    let names = [["x", "y"], ["x", "y"], ["q_mean_EXC", "q_mean_INH"]];
    let mut max_err = 0.0f64;
    for (node, vars) in names.iter().enumerate() {
        assert_eq!(out.nodes[node].names, vars);
        for (v, name) in vars.iter().enumerate() {
            let series = out.nodes[node].get(name).unwrap();
            assert_eq!(series.len(), steps);
            for (k, &value) in series.iter().enumerate() {
                let reference = hist[k + 1][2 * node + v];
                max_err = max_err.max((value - reference).abs());
                assert!(
                    (value - reference).abs() <= 1e-12 * (1.0 + reference.abs()),
                    "node {node} {name} at step {}: {value} vs reference {reference}",
                    k + 1
                );
            }
        }
    }
    // The reference includes the couplings; make sure they are not negligible.
    assert!(max_err < 1e-9);
    let uncoupled = Network::new(
        net.nodes().to_vec(),
        SquareMatrix::zeros(3),
        SquareMatrix::zeros(3),
    )
    .unwrap();
    let mut sim = Simulation::new(&uncoupled, &opts(dt)).unwrap();
    sim.attach_input(2, 0, 0, Box::new(SampledInput::new(wc_drive)))
        .unwrap();
    sim.attach_input(0, 0, 1, Box::new(SampledInput::new(hopf_y)))
        .unwrap();
    let alone = sim.run_steps(steps as u64).unwrap();
    for node in 0..3 {
        let diff = alone.nodes[node].data[0]
            .iter()
            .zip(&out.nodes[node].data[0])
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f64::max);
        assert!(
            diff > 1e-3,
            "node {node}: coupling changed nothing ({diff})"
        );
    }
}

#[test]
fn heterogeneous_default_couplings_need_the_source_everywhere_it_is_sent() {
    let nodes: Vec<Node> = vec![
        HopfNode::default().into(),
        FitzHughNagumoNode::default().into(),
        WilsonCowanNode::default().into(),
    ];
    // The default couplings are the union of WC's q_mean_EXC ones and the oscillators' x.
    // The Hopf node sends to the FHN node but has no q_mean_EXC.
    let c = matrix(&[&[0.0, 0.0, 0.0], &[0.3, 0.0, 0.0], &[0.0, 0.0, 0.0]]);
    let net = Network::new(nodes.clone(), c.clone(), SquareMatrix::zeros(3)).unwrap();
    match Simulation::new(&net, &opts(0.1)) {
        Err(SimError::Model(Error::UnknownCouplingSource {
            variable,
            node,
            model,
            ..
        })) => {
            assert_eq!(variable, "q_mean_EXC");
            assert_eq!(node, 0);
            assert_eq!(model, "HopfNode");
        }
        other => panic!("expected UnknownCouplingSource, got {other:?}"),
    }
    // With x only, the oscillators may couple; the WC node may not send x.
    let ok = Network::new(nodes.clone(), c, SquareMatrix::zeros(3))
        .unwrap()
        .with_couplings(vec![Coupling::diffusive("x", "network_x")])
        .unwrap();
    let out = Simulation::new(&ok, &opts(0.1)).unwrap().run(50.0).unwrap();
    assert_eq!(out.nodes[2].names, ["q_mean_EXC", "q_mean_INH"]);
    let wc_sends = matrix(&[&[0.0, 0.0, 0.2], &[0.3, 0.0, 0.0], &[0.0, 0.0, 0.0]]);
    let err = Network::new(nodes.clone(), wc_sends, SquareMatrix::zeros(3))
        .unwrap()
        .with_couplings(vec![Coupling::diffusive("x", "network_x")])
        .unwrap_err();
    assert!(
        matches!(&err, Error::UnknownCouplingSource { variable, node: 2, .. } if variable == "x"),
        "{err:?}"
    );

    // A diffusive coupling into a node that lacks the source variable itself cannot be
    // evaluated (x_i(t) is missing), even if that node sends nothing.
    let into_wc = Network::new(
        nodes,
        matrix(&[&[0.0, 0.0, 0.0], &[0.0, 0.0, 0.0], &[0.3, 0.0, 0.0]]),
        SquareMatrix::zeros(3),
    )
    .unwrap()
    .with_couplings(vec![Coupling::diffusive("x", "network_exc_exc")])
    .unwrap();
    match Simulation::new(&into_wc, &opts(0.1)) {
        Err(SimError::Model(Error::Invalid(msg))) => {
            assert!(
                msg.contains("network_exc_exc") && msg.contains("WCnode"),
                "{msg}"
            )
        }
        other => panic!("expected Invalid, got {other:?}"),
    }
}

// ---------------------------------------------------------------------------------------
// Sampling and variable selection
// ---------------------------------------------------------------------------------------

#[test]
fn every_step_is_kept_by_default() {
    let mut sim = Simulation::new(&wc_pair(), &opts(0.1)).unwrap();
    let out = sim.run(10.0).unwrap();
    assert_eq!(out.dt, 0.1);
    assert_eq!(out.t.len(), 100);
    for (k, &t) in out.t.iter().enumerate() {
        assert_eq!(t, (k + 1) as f64 * 0.1);
    }
    assert_eq!(sim.steps_done(), 100);
    assert!((sim.time() - 10.0).abs() < 1e-12);
    // The last sample is the current state.
    for node in 0..2 {
        let last: Vec<f64> = out.nodes[node].data.iter().map(|s| s[99]).collect();
        assert_eq!(sim.node_state(node).unwrap(), last);
        assert_eq!(
            sim.node_variables(node).unwrap(),
            ["q_mean_EXC", "q_mean_INH"]
        );
        assert_eq!(out.nodes[node].label, "WCnode");
    }
    assert!(sim.node_state(2).is_none());
    // duration is rounded to whole steps.
    assert_eq!(sim.run(0.26).unwrap().t.len(), 3);
    assert_eq!(sim.run(0.1).unwrap().t.len(), 1);
}

#[test]
fn sampling_dt_keeps_every_kth_state() {
    let net = wc_pair();
    let full = Simulation::new(&net, &opts(0.1))
        .unwrap()
        .run(20.0)
        .unwrap();
    for (sampling_dt, k) in [(0.5, 5usize), (0.3, 3), (1.0, 10), (0.1, 1), (20.0, 200)] {
        let options = SimulationOptions {
            dt: 0.1,
            sampling_dt: Some(sampling_dt),
            ..Default::default()
        };
        let mut sim = Simulation::new(&net, &options).unwrap();
        let out = sim.run(10.0).unwrap();
        let later = sim.run(10.0).unwrap();
        let n = 100 / k;
        assert_eq!(out.t.len(), n, "sampling_dt {sampling_dt}");
        assert_eq!(later.t.len(), 200 / k - n, "sampling_dt {sampling_dt}");
        for (i, &t) in out.t.iter().chain(&later.t).enumerate() {
            assert_eq!(t, ((i + 1) * k) as f64 * 0.1);
            assert!((t - (i + 1) as f64 * sampling_dt).abs() < 1e-9);
        }
        for node in 0..2 {
            for v in 0..2 {
                let kept: Vec<f64> = out.nodes[node].data[v]
                    .iter()
                    .chain(&later.nodes[node].data[v])
                    .copied()
                    .collect();
                let expected: Vec<f64> = full.nodes[node].data[v]
                    .iter()
                    .skip(k - 1)
                    .step_by(k)
                    .copied()
                    .collect();
                assert_eq!(bits(&kept), bits(&expected), "sampling_dt {sampling_dt}");
            }
        }
    }
}

#[test]
fn chunks_not_aligned_to_the_sampling_interval() {
    let net = wc_pair();
    let options = SimulationOptions {
        dt: 0.1,
        sampling_dt: Some(1.0),
        ..Default::default()
    };
    let mut sim = Simulation::new(&net, &options).unwrap();
    let sizes = [3u64, 7, 9, 1, 15, 4, 10, 1];
    let counts: Vec<usize> = sizes
        .iter()
        .map(|&s| sim.run_steps(s).unwrap().t.len())
        .collect();
    // Samples at steps 10, 20, 30, 40, 50: after 3, 10, 19, 20, 35, 39, 49, 50 steps.
    assert_eq!(counts, [0, 1, 0, 1, 1, 0, 1, 1]);
    // An empty run is fine and keeps nothing.
    let empty = sim.run_steps(0).unwrap();
    assert!(empty.t.is_empty());
    assert!(empty.nodes.iter().all(|n| n.data.iter().all(Vec::is_empty)));
}

#[test]
fn variables_selects_recorded_series() {
    let net = wc_pair();
    let full = Simulation::new(&net, &opts(0.1)).unwrap().run(5.0).unwrap();
    let options = SimulationOptions {
        variables: Some(vec!["q_mean_INH".into()]),
        ..opts(0.1)
    };
    let out = Simulation::new(&net, &options).unwrap().run(5.0).unwrap();
    for node in 0..2 {
        assert_eq!(out.nodes[node].names, ["q_mean_INH"]);
        assert_eq!(out.nodes[node].data.len(), 1);
        assert_eq!(
            out.nodes[node].get("q_mean_INH"),
            full.nodes[node].get("q_mean_INH")
        );
        assert!(out.nodes[node].get("q_mean_EXC").is_none());
    }
    assert_eq!(bits(&out.t), bits(&full.t));

    // Heterogeneous: each node keeps the requested variables it has.
    let nodes: Vec<Node> = vec![
        WilsonCowanNode::default().into(),
        HopfNode::default().into(),
    ];
    let mixed = Network::new(nodes, SquareMatrix::zeros(2), SquareMatrix::zeros(2)).unwrap();
    let options = SimulationOptions {
        variables: Some(vec!["x".into(), "q_mean_EXC".into()]),
        ..opts(0.1)
    };
    let out = Simulation::new(&mixed, &options).unwrap().run(1.0).unwrap();
    assert_eq!(out.nodes[0].names, ["q_mean_EXC"]);
    assert_eq!(out.nodes[1].names, ["x"]);
    assert_eq!(out.nodes[1].label, "HopfNode");
    assert_eq!(out.nodes[1].data[0].len(), 10);
    // An empty selection records nothing but still reports times.
    let options = SimulationOptions {
        variables: Some(Vec::new()),
        ..opts(0.1)
    };
    let out = Simulation::new(&mixed, &options).unwrap().run(1.0).unwrap();
    assert_eq!(out.t.len(), 10);
    assert!(out.nodes.iter().all(|n| n.names.is_empty()));
}

#[test]
fn seeded_initial_states_are_reproducible() {
    let net = wc_pair();
    let run = |seed| {
        let options = SimulationOptions { seed, ..opts(0.1) };
        let sim = Simulation::new(&net, &options).unwrap();
        assert_eq!(sim.seed(), seed);
        (sim.node_state(0).unwrap(), sim.node_state(1).unwrap())
    };
    let (a0, a1) = run(7);
    assert_eq!((a0.clone(), a1.clone()), run(7));
    assert_ne!((a0.clone(), a1.clone()), run(8));
    // Each node draws its own state, in WC's initial range [0, 0.05).
    assert_ne!(a0, a1);
    assert!(a0.iter().chain(&a1).all(|&v| (0.0..0.05).contains(&v)));
}

// ---------------------------------------------------------------------------------------
// Error paths
// ---------------------------------------------------------------------------------------

fn invalid_value_name(err: SimError) -> String {
    match err {
        SimError::Model(Error::InvalidValue { name, .. }) => name,
        other => panic!("expected InvalidValue, got {other:?}"),
    }
}

#[test]
fn invalid_dt_and_sampling_dt_are_rejected() {
    let net = wc_pair();
    for dt in [0.0, -0.1, f64::NAN, f64::INFINITY, -0.0] {
        let err = Simulation::new(&net, &opts(dt)).unwrap_err();
        assert!(err.to_string().contains("dt"), "{err}");
        assert_eq!(invalid_value_name(err), "dt");
    }
    for s in [0.25, 0.05, 0.0, -1.0, f64::NAN, f64::INFINITY, 0.15000001] {
        let options = SimulationOptions {
            sampling_dt: Some(s),
            ..opts(0.1)
        };
        let err = Simulation::new(&net, &options).unwrap_err();
        assert_eq!(invalid_value_name(err), "sampling_dt", "sampling_dt {s}");
    }
}

#[test]
fn invalid_duration_is_rejected() {
    let mut sim = Simulation::new(&wc_pair(), &opts(0.1)).unwrap();
    for duration in [0.05, 0.0, -10.0, f64::NAN, f64::INFINITY] {
        let err = sim.run(duration).unwrap_err();
        assert_eq!(invalid_value_name(err), "duration", "duration {duration}");
    }
    assert_eq!(sim.steps_done(), 0);
}

#[test]
fn unknown_variable_to_record_is_rejected() {
    let options = SimulationOptions {
        variables: Some(vec!["q_mean_EXC".into(), "S_EXC".into()]),
        ..opts(0.1)
    };
    match Simulation::new(&wc_pair(), &options) {
        Err(SimError::Model(Error::UnknownName {
            kind,
            name,
            expected,
        })) => {
            assert_eq!(kind, "variable to record");
            assert_eq!(name, "S_EXC");
            assert_eq!(expected, "q_mean_EXC, q_mean_INH");
        }
        other => panic!("expected UnknownName, got {other:?}"),
    }
}

#[test]
fn invalid_parameters_are_rejected_before_a_run() {
    let mut wc = WilsonCowanNode::default();
    wc.inh.params.tau = -1.0; // not validated by the struct literal
    let net = Network::single(wc.into());
    match Simulation::new(&net, &opts(0.1)) {
        Err(SimError::Model(Error::ParameterOutOfRange { path, .. })) => {
            assert_eq!(path, "WCnode_0.WCmassINH_1.tau")
        }
        other => panic!("expected ParameterOutOfRange, got {other:?}"),
    }
}

#[test]
fn input_signal_too_short() {
    let mut sim = Simulation::new(&wc_pair(), &opts(0.1)).unwrap();
    sim.attach_input(1, 1, 0, Box::new(SampledInput::new(vec![0.01; 100])))
        .unwrap();
    let check = |err: SimError, needed: u64| match err {
        SimError::InputTooShort {
            node,
            mass,
            input,
            available,
            needed: n,
        } => {
            assert_eq!((node, mass, input.as_str()), (1, 1, "input_0"));
            assert_eq!(available, 100);
            assert_eq!(n, needed);
        }
        other => panic!("expected InputTooShort, got {other:?}"),
    };
    check(sim.run_steps(101).unwrap_err(), 101);
    assert_eq!(sim.steps_done(), 0, "a rejected run must not advance");
    assert_eq!(sim.run_steps(60).unwrap().t.len(), 60);
    check(sim.run_steps(41).unwrap_err(), 101);
    check(sim.run(5.0).unwrap_err(), 110);
    assert_eq!(sim.steps_done(), 60);
    // Exactly as many samples as steps is enough.
    assert_eq!(sim.run(4.0).unwrap().t.len(), 40);
    check(sim.run_steps(1).unwrap_err(), 101);
}

#[test]
fn attach_input_checks_indices_and_replaces() {
    let nodes: Vec<Node> = vec![
        WilsonCowanNode::default().into(),
        HopfNode::default().into(),
    ];
    let net = Network::new(nodes, SquareMatrix::zeros(2), SquareMatrix::zeros(2)).unwrap();
    let mut sim = Simulation::new(&net, &opts(0.1)).unwrap();
    let sig = || Box::new(SampledInput::new(vec![1.0; 50]));
    for (node, mass, channel) in [(2, 0, 0), (0, 2, 0), (1, 1, 0), (0, 0, 1), (1, 0, 2)] {
        match sim.attach_input(node, mass, channel, sig()) {
            Err(SimError::Model(Error::Invalid(msg))) => {
                assert!(msg.contains("out of range"), "{msg}")
            }
            other => panic!("({node}, {mass}, {channel}): expected Invalid, got {other:?}"),
        }
    }
    // Both channels of a Hopf mass and both WC masses' channel exist.
    for (node, mass, channel) in [(0, 0, 0), (0, 1, 0), (1, 0, 0), (1, 0, 1)] {
        sim.attach_input(node, mass, channel, sig()).unwrap();
    }

    // Attaching to the same channel again replaces the signal.
    let run_with = |values: Vec<Vec<f64>>| {
        let mut sim = Simulation::new(&net, &opts(0.1)).unwrap();
        for v in values {
            sim.attach_input(1, 0, 1, Box::new(SampledInput::new(v)))
                .unwrap();
        }
        sim.run_steps(50).unwrap()
    };
    let replaced = run_with(vec![vec![5.0; 10], vec![0.5; 50]]);
    let only_second = run_with(vec![vec![0.5; 50]]);
    let none = run_with(Vec::new());
    assert_bit_identical(&replaced, &only_second);
    assert_ne!(replaced.nodes[1].data, none.nodes[1].data);
    // The WC node (not coupled) is unaffected by the Hopf node's input.
    assert_eq!(replaced.nodes[0].data, none.nodes[0].data);
}

/// Steps until a single Hopf node with `params` first has a non-finite state, by a plain
/// Euler loop; returns (steps, index of the first non-finite variable).
fn reference_divergence(mass: &HopfMass, init: [f64; 2], dt: f64) -> (u64, usize) {
    let mut s = init;
    for step in 1..10_000u64 {
        let mut ds = [0.0; 2];
        mass.derivatives(&s, &[0.0, 0.0], &[0.0, 0.0], &mut ds);
        s[0] += dt * ds[0];
        s[1] += dt * ds[1];
        if let Some(v) = s.iter().position(|x| !x.is_finite()) {
            return (step, v);
        }
    }
    panic!("reference did not diverge")
}

#[test]
fn diverging_hopf_reports_variable_node_and_time() {
    let mut hopf = HopfNode::default();
    hopf.mass.params.x_ext = 1e6;
    let init = [0.1, 0.2];
    let dt = 0.1;
    let (steps, var) = reference_divergence(&hopf.mass, init, dt);
    assert!(steps > 2);
    let mut hopf_node: Node = hopf.into();
    hopf_node.set_initial_state(init.to_vec()).unwrap();
    // A healthy WC node first, so the diverging node is not node 0.
    let net = Network::new(
        vec![WilsonCowanNode::default().into(), hopf_node],
        SquareMatrix::zeros(2),
        SquareMatrix::zeros(2),
    )
    .unwrap();

    let mut sim = Simulation::new(&net, &opts(dt)).unwrap();
    // Up to the step before, the output is finite.
    let before = sim.run_steps(steps - 1).unwrap();
    assert!(
        before
            .nodes
            .iter()
            .flat_map(|n| n.data.iter().flatten())
            .all(|v| v.is_finite())
    );
    let err = sim.run(100.0).unwrap_err();
    match &err {
        SimError::Diverged {
            node,
            model,
            variable,
            value,
            time_ms,
        } => {
            assert_eq!(*node, 1);
            assert_eq!(model, "HopfNode");
            assert_eq!(variable, ["x", "y"][var]);
            assert!(!value.is_finite());
            assert!(
                (time_ms - steps as f64 * dt).abs() < 1e-9,
                "diverged at {time_ms} ms, reference {}",
                steps as f64 * dt
            );
        }
        other => panic!("expected Diverged, got {other:?}"),
    }
    let msg = err.to_string();
    assert!(
        msg.contains("HopfNode") && msg.contains("diverged"),
        "{msg}"
    );

    // In one go the run fails too, returning no output at all.
    let mut sim = Simulation::new(&net, &opts(dt)).unwrap();
    assert!(matches!(
        sim.run(100.0),
        Err(SimError::Diverged { node: 1, .. })
    ));
}

#[test]
fn fitzhugh_nagumo_with_huge_dt_diverges() {
    let net = Network::single(FitzHughNagumoNode::default().into());
    let mut sim = Simulation::new(&net, &opts(100.0)).unwrap();
    match sim.run(100_000.0) {
        Err(SimError::Diverged {
            node,
            model,
            variable,
            value,
            time_ms,
        }) => {
            assert_eq!(node, 0);
            assert_eq!(model, "FHNnode");
            assert!(variable == "x" || variable == "y");
            assert!(!value.is_finite());
            assert!(time_ms > 0.0 && time_ms < 100_000.0);
            assert_eq!(time_ms % 100.0, 0.0);
        }
        other => panic!("expected Diverged, got {other:?}"),
    }
}

#[test]
fn a_delay_too_long_for_the_history_is_a_clear_error() {
    let nodes: Vec<Node> = (0..2).map(|_| WilsonCowanNode::default().into()).collect();
    let c = SquareMatrix::from_rows("c", &[vec![0.0, 1.0], vec![1.0, 0.0]], None).unwrap();
    // 1e12 ms at dt 0.1 ms: a history of 1e13 steps cannot be laid out.
    let d = SquareMatrix::from_rows("d", &[vec![0.0, 1e12], vec![1e12, 0.0]], None).unwrap();
    let net = Network::new(nodes, c, d).unwrap();
    let err = Simulation::new(&net, &SimulationOptions::default()).unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("delay history") && msg.contains("longest delay"),
        "{msg}"
    );
    // The real delay, not the 32-bit lag it saturated to.
    assert!(msg.contains("1000000000000.000 ms"), "{msg}");
}

#[test]
fn a_run_too_long_for_memory_is_a_clear_error() {
    let node: Node = WilsonCowanNode::default().into();
    let net = Network::new(vec![node], SquareMatrix::zeros(1), SquareMatrix::zeros(1)).unwrap();
    let mut sim = Simulation::new(&net, &SimulationOptions::default()).unwrap();
    // Every step kept: 2^62 samples of each variable cannot be allocated.
    let err = sim.run_steps(1 << 62).unwrap_err();
    assert!(
        matches!(err, SimError::OutputTooLarge { samples, series: 2, .. } if samples == 1 << 62),
        "{err}"
    );
    assert!(err.to_string().contains("sampling_dt"), "{err}");
    // Nothing ran: the simulation continues as if the call had not been made.
    assert_eq!(sim.steps_done(), 0);
    assert!(sim.run_steps(10).is_ok());
}
