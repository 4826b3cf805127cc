//! Integration on several threads: the numbers of one thread, bit for bit, for any thread
//! count, in chunks and across checkpoints; divergence is reported as on one thread.

use neuromass_core::{Network, Node, SquareMatrix};
use neuromass_models::{AlnNode, HopfNode, WilsonCowanNode};
use neuromass_network::{
    RunOutput, SimError, Simulation, SimulationOptions, StepObserver, Stimulus, Target,
};

/// Deterministic pseudo-random numbers in `[0, 1)`.
fn uniform(state: &mut u64) -> f64 {
    *state = state
        .wrapping_mul(6_364_136_223_846_793_005)
        .wrapping_add(1_442_695_040_888_963_407);
    (*state >> 11) as f64 / (1u64 << 53) as f64
}

/// `nodes` coupled by random weights (some zero) and delays up to 12 ms.
fn random_network(nodes: Vec<Node>, scale: f64, seed: u64) -> Network {
    random_network_delays(nodes, scale, seed, 0.0)
}

/// As [`random_network`], delays from `shortest` to `shortest + 12` ms.
fn random_network_delays(nodes: Vec<Node>, scale: f64, seed: u64, shortest: f64) -> Network {
    let n = nodes.len();
    let (mut c, mut d) = (SquareMatrix::zeros(n), SquareMatrix::zeros(n));
    let mut rng = seed;
    for i in 0..n {
        for j in 0..n {
            let w = uniform(&mut rng);
            if i != j && w > 0.2 {
                c.set(i, j, scale * w);
                d.set(i, j, shortest + 12.0 * uniform(&mut rng));
            }
        }
    }
    Network::new(nodes, c, d).unwrap()
}

fn noisy_aln_nodes(n: usize) -> Vec<Node> {
    (0..n)
        .map(|k| {
            let mut node = AlnNode::default();
            node.exc.params.ext_exc_current = 0.2 * (k % 9) as f64;
            let mut node: Node = node.into();
            node.set_param("*input_0.sigma", 0.05).unwrap();
            node
        })
        .collect()
}

fn noisy_aln_network(n: usize) -> Network {
    random_network(noisy_aln_nodes(n), 0.1, 3)
}

fn noisy_hopf_network(n: usize) -> Network {
    let nodes = (0..n)
        .map(|_| {
            let mut node: Node = HopfNode::default().into();
            node.set_param("*input_*.sigma", 0.02).unwrap();
            node
        })
        .collect();
    random_network(nodes, 0.3, 5)
}

fn options() -> SimulationOptions {
    SimulationOptions {
        dt: 0.1,
        sampling_dt: Some(0.5),
        variables: None,
        seed: 42,
    }
}

fn assert_identical(a: &RunOutput, b: &RunOutput, what: &str) {
    assert_eq!(a.t, b.t, "{what}: sample times");
    assert_eq!(a.nodes.len(), b.nodes.len());
    for (k, (x, y)) in a.nodes.iter().zip(&b.nodes).enumerate() {
        assert_eq!(x.names, y.names, "{what}: node {k}");
        for (v, (p, q)) in x.data.iter().zip(&y.data).enumerate() {
            assert_eq!(p.len(), q.len(), "{what}: node {k} variable {v}");
            for (s, (u, w)) in p.iter().zip(q).enumerate() {
                assert!(
                    u.to_bits() == w.to_bits(),
                    "{what}: node {k} variable {v} sample {s}: {u:e} vs {w:e}"
                );
            }
        }
    }
}

/// `n` default Hopf nodes.
fn hopf_nodes(n: usize) -> Vec<Node> {
    (0..n).map(|_| HopfNode::default().into()).collect()
}

/// `nodes` with a Hopf node driven to infinity inserted at `at`.
fn with_diverging_hopf(mut nodes: Vec<Node>, at: usize) -> Vec<Node> {
    let mut hopf = HopfNode::default();
    hopf.mass.params.x_ext = 1e6;
    nodes.insert(at, hopf.into());
    nodes
}

/// The node and time of a run's divergence (panics if it did not diverge).
fn diverged(run: Result<RunOutput, SimError>) -> (usize, f64) {
    match run {
        Err(SimError::Diverged { node, time_ms, .. }) => (node, time_ms),
        other => panic!("expected a divergence, got {other:?}"),
    }
}

/// `first` followed by `rest` (a run continued in a second chunk).
fn joined(mut first: RunOutput, rest: &RunOutput) -> RunOutput {
    first.t.extend(&rest.t);
    for (node, more) in first.nodes.iter_mut().zip(&rest.nodes) {
        for (series, extra) in node.data.iter_mut().zip(&more.data) {
            series.extend(extra);
        }
    }
    first
}

#[test]
fn any_thread_count_gives_the_one_thread_numbers() {
    // 20 nodes: dense enough for the couplings evaluated source by source.
    for net in [
        noisy_aln_network(9),
        noisy_aln_network(20),
        noisy_hopf_network(6),
    ] {
        let mut one = Simulation::new(&net, &options()).unwrap();
        let reference = one.run(200.0).unwrap();
        assert!(reference.nodes[0].data[0].iter().all(|v| v.is_finite()));
        for threads in [2, 3, 5, 64] {
            let mut sim = Simulation::with_threads(&net, &options(), threads).unwrap();
            let out = sim.run(200.0).unwrap();
            assert_identical(&reference, &out, &format!("{threads} threads"));
        }
    }
}

#[test]
fn threaded_runs_continue_in_chunks_and_from_checkpoints() {
    let net = random_network(noisy_aln_nodes(18), 0.03, 3);
    let mut one = Simulation::new(&net, &options()).unwrap();
    let whole = one.run(150.0).unwrap();

    let mut sim = Simulation::with_threads(&net, &options(), 2).unwrap();
    let first = sim.run(60.0).unwrap();
    let checkpoint = sim.checkpoint();
    let second = sim.run(90.0).unwrap();
    assert_identical(&whole, &joined(first, &second), "two chunks on 2 threads");

    // A one-thread simulation restored from the threaded checkpoint goes on identically.
    let mut restored = Simulation::new(&net, &options()).unwrap();
    restored.restore(&checkpoint).unwrap();
    assert_identical(
        &second,
        &restored.run(90.0).unwrap(),
        "restored on 1 thread",
    );
}

#[test]
fn threaded_runs_report_divergence_like_one_thread() {
    let wc = || WilsonCowanNode::default().into();
    let nodes = with_diverging_hopf(vec![wc(), wc()], 2);
    let net = Network::new(nodes, SquareMatrix::zeros(3), SquareMatrix::zeros(3)).unwrap();
    let one = Simulation::new(&net, &options()).unwrap().run(100.0);
    let two = Simulation::with_threads(&net, &options(), 2)
        .unwrap()
        .run(100.0);
    let (one, two) = (diverged(one), diverged(two));
    assert_eq!(one, two);
    assert_eq!(one.0, 2);
}

#[test]
fn zero_threads_is_an_error() {
    let net = noisy_hopf_network(2);
    let err = Simulation::with_threads(&net, &options(), 0).unwrap_err();
    assert!(err.to_string().contains("threads"), "{err}");
}

#[test]
fn threads_meeting_every_few_steps_give_the_one_thread_numbers() {
    // Delays of at least 1.5 ms between nodes: the threads meet every 16 steps or more.
    let net = random_network_delays(noisy_aln_nodes(20), 0.03, 9, 1.5);
    let mut one = Simulation::new(&net, &options()).unwrap();
    let reference = one.run(120.0).unwrap();
    for threads in [2, 3, 4] {
        let mut sim = Simulation::with_threads(&net, &options(), threads).unwrap();
        // Chunks that end between meetings.
        let first = sim.run(33.3).unwrap();
        let checkpoint = sim.checkpoint();
        let rest = sim.run(86.7).unwrap();
        let out = joined(first, &rest);
        assert_identical(&reference, &out, &format!("{threads} threads, two chunks"));
        let mut restored = Simulation::new(&net, &options()).unwrap();
        restored.restore(&checkpoint).unwrap();
        assert_identical(&rest, &restored.run(86.7).unwrap(), "restored on 1 thread");
    }
}

#[test]
fn clusters_joined_by_short_delays_share_a_thread() {
    // Even and odd nodes: short delays (at most one step) within each parity, 1.5 ms or more
    // between them. Contiguous halves would meet every step; the parities every 16 steps.
    let n = 20;
    let (mut c, mut d) = (SquareMatrix::zeros(n), SquareMatrix::zeros(n));
    let mut rng = 11;
    for i in 0..n {
        for j in (0..n).filter(|&j| j != i) {
            c.set(i, j, 0.03 * uniform(&mut rng));
            let delay = if i % 2 == j % 2 {
                0.1 * uniform(&mut rng)
            } else {
                1.5 + 10.0 * uniform(&mut rng)
            };
            d.set(i, j, delay);
        }
    }
    let net = Network::new(noisy_aln_nodes(n), c, d).unwrap();
    let mut one = Simulation::new(&net, &options()).unwrap();
    assert_eq!(one.thread_groups().len(), 1);
    assert_eq!(one.steps_between_meetings(), 1);
    let reference = one.run(120.0).unwrap();
    let evens: Vec<usize> = (0..n).step_by(2).collect();
    let odds: Vec<usize> = (1..n).step_by(2).collect();

    let mut two = Simulation::with_threads(&net, &options(), 2).unwrap();
    assert_eq!(two.thread_groups(), vec![&evens[..], &odds[..]]);
    assert!(two.steps_between_meetings() >= 16);
    // Chunks that end between meetings, a checkpoint restored on one thread, and one
    // from one thread restored on two.
    let first = two.run(33.3).unwrap();
    let checkpoint = two.checkpoint();
    let rest = two.run(86.7).unwrap();
    let out = joined(first, &rest);
    assert_identical(&reference, &out, "2 threads on the parities, two chunks");
    let mut restored = Simulation::new(&net, &options()).unwrap();
    restored.restore(&checkpoint).unwrap();
    assert_identical(&rest, &restored.run(86.7).unwrap(), "restored on 1 thread");
    let mut on_one = Simulation::new(&net, &options()).unwrap();
    on_one.run(33.3).unwrap();
    let mut restored = Simulation::with_threads(&net, &options(), 2).unwrap();
    restored.restore(&on_one.checkpoint()).unwrap();
    assert_eq!(restored.checkpoint(), on_one.checkpoint());
    assert_identical(&rest, &restored.run(86.7).unwrap(), "restored on 2 threads");

    // More threads than clusters: contiguous groups again.
    let three = Simulation::with_threads(&net, &options(), 3).unwrap();
    let groups = three.thread_groups();
    assert_eq!(groups.len(), 3);
    assert!(
        groups
            .iter()
            .all(|g| g.windows(2).all(|w| w[1] == w[0] + 1))
    );
    assert_identical(
        &reference,
        &Simulation::with_threads(&net, &options(), 3)
            .unwrap()
            .run(120.0)
            .unwrap(),
        "3 threads",
    );
}

#[test]
fn divergence_in_a_clustered_split_is_reported_like_one_thread() {
    // Nodes 0 and 2 share a thread (short delay), 1 and 3 the other; node 3 diverges.
    let nodes = with_diverging_hopf(hopf_nodes(3), 3);
    let mut c = SquareMatrix::zeros(4);
    let mut d = SquareMatrix::zeros(4);
    for (i, j, delay) in [
        (0, 2, 0.0),
        (2, 0, 0.0),
        (1, 3, 0.0),
        (3, 1, 0.0),
        (1, 0, 5.0),
    ] {
        c.set(i, j, 0.01);
        d.set(i, j, delay);
    }
    let net = Network::new(nodes, c, d).unwrap();
    let one = Simulation::new(&net, &options()).unwrap().run(100.0);
    let mut sim = Simulation::with_threads(&net, &options(), 2).unwrap();
    assert_eq!(sim.thread_groups(), vec![&[0, 2][..], &[1, 3][..]]);
    let (one, two) = (diverged(one), diverged(sim.run(100.0)));
    assert_eq!(one, two);
    assert_eq!(one.0, 3);
}

/// Every `(t, values)` an observer was handed.
#[derive(Default)]
struct Recorder(Vec<(f64, Vec<f64>)>);

impl StepObserver for Recorder {
    fn observe(&mut self, t_ms: f64, values: &[f64]) {
        self.0.push((t_ms, values.to_vec()));
    }
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

/// What the observer `id` of `sim` recorded.
fn recorded(sim: &Simulation, id: usize) -> &[(f64, Vec<f64>)] {
    &sim.observer(id)
        .and_then(|o| o.as_any().downcast_ref::<Recorder>())
        .expect("a recorder")
        .0
}

#[test]
fn observers_see_every_step_on_any_thread_count() {
    // Two observers of different variables, in chunks that end between meetings, on a
    // network that meets every step and one that meets every 16 steps or more.
    for net in [
        noisy_aln_network(20),
        random_network_delays(noisy_aln_nodes(20), 0.03, 9, 1.5),
    ] {
        let observe = |threads: usize| {
            let mut sim = Simulation::with_threads(&net, &options(), threads).unwrap();
            let rates = sim
                .add_observer("r_mean_EXC", 1000.0, Box::new(Recorder::default()))
                .unwrap();
            let currents = sim
                .add_observer("I_A_EXC", 1.0, Box::new(Recorder::default()))
                .unwrap();
            let first = sim.run(33.3).unwrap();
            let out = joined(first, &sim.run(16.7).unwrap());
            let seen = (
                recorded(&sim, rates).to_vec(),
                recorded(&sim, currents).to_vec(),
            );
            (out, seen)
        };
        let (reference, seen) = observe(1);
        assert_eq!(seen.0.len(), 500);
        assert_eq!(seen.0[0].0, 0.1);
        assert_eq!(seen.0[0].1.len(), 20);
        assert_eq!(
            seen.0[499].1[7],
            1000.0 * reference.nodes[7].get("r_mean_EXC").unwrap()[99]
        );
        for threads in [2, 3] {
            let (out, other) = observe(threads);
            assert_identical(&reference, &out, &format!("{threads} threads, observed"));
            assert!(
                seen == other,
                "{threads} threads: the observers saw other values"
            );
        }
    }
}

#[test]
fn observers_stop_before_a_divergence_on_any_thread_count() {
    let nodes = with_diverging_hopf(hopf_nodes(3), 2);
    let net = Network::new(nodes, SquareMatrix::zeros(4), SquareMatrix::zeros(4)).unwrap();
    let observe = |threads: usize| {
        let mut sim = Simulation::with_threads(&net, &options(), threads).unwrap();
        let id = sim
            .add_observer("x", 1.0, Box::new(Recorder::default()))
            .unwrap();
        let err = diverged(sim.run(100.0));
        (err, recorded(&sim, id).to_vec())
    };
    let (err, seen) = observe(1);
    assert!(!seen.is_empty());
    assert!(seen.iter().all(|(_, v)| v.iter().all(|x| x.is_finite())));
    // The last observed step is the one before the divergence.
    assert!((seen.last().unwrap().0 + 0.1 - err.1).abs() < 1e-9);
    for threads in [2, 4] {
        let (other_err, other) = observe(threads);
        assert_eq!(err, other_err);
        assert!(
            seen == other,
            "{threads} threads: the observers saw other values"
        );
    }
}

#[test]
fn stimuli_drive_threaded_runs_as_one_thread() {
    // Noise added to every EXC input, a sine on three nodes' `ext_exc_current` parameter
    // and a pulse on one INH input, over two chunks; on a network that meets every step.
    let net = noisy_aln_network(20);
    let drive = |threads: usize| -> RunOutput {
        let mut sim = Simulation::with_threads(&net, &options(), threads).unwrap();
        let noise = Stimulus::ornstein_uhlenbeck(20, 0.1, 0.2, 5.0).unwrap();
        let added = sim
            .drive(&noise, &Target::new("input_0").mass("EXC"), 100.0)
            .unwrap();
        assert_eq!(added, 20);
        let sine = Stimulus::sinusoidal(3, 0.3, 20.0).unwrap();
        let target = Target::new("ext_exc_current")
            .nodes([3, 12, 17])
            .mass("EXC");
        assert_eq!(sim.drive(&sine, &target, 100.0).unwrap(), 3);
        let pulse = Stimulus::step(1, 0.5).unwrap().start(20.0).unwrap();
        let target = Target::new("input_0").nodes([19]).mass("INH");
        assert_eq!(sim.drive(&pulse, &target, 100.0).unwrap(), 1);
        let first = sim.run(60.0).unwrap();
        joined(first, &sim.run(40.0).unwrap())
    };
    let reference = drive(1);
    let quiet = Simulation::new(&net, &options())
        .unwrap()
        .run(100.0)
        .unwrap();
    assert_ne!(
        reference.nodes[12].data, quiet.nodes[12].data,
        "the stimuli change the run"
    );
    for threads in [2, 3] {
        assert_identical(
            &reference,
            &drive(threads),
            &format!("{threads} threads, driven"),
        );
    }
}
