//! A neural mass that is not in the zoo, defined entirely here and coupled to ALN nodes.
//!
//! The "leaky rate" population integrates its network input with time constant `tau`:
//! `tau dr/dt = -r + gain * relu(network_exc_exc + drive) + noise`. It offers its rate as
//! `r_mean_EXC`, the variable ALN nodes couple through, so one coupling list serves both.
//!
//! Run with `cargo run --release --example custom_mass`.

use neuromass::core::{Bounds, Coupling, Network, NeuralMass, Node, SquareMatrix, parameters};
use neuromass::models::AlnNode;
use neuromass::network::{Simulation, SimulationOptions};

parameters! {
    /// Parameters of the leaky rate population.
    pub struct LeakyRateParams {
        /// Time constant (ms).
        tau: Bounds::Positive,
        /// Gain from input to rate (kHz per unit input).
        gain: Bounds::NonNegative,
        /// Constant drive.
        drive: Bounds::Finite,
    }
}

/// A linear-threshold rate population.
#[derive(Debug, Clone)]
struct LeakyRateMass {
    params: LeakyRateParams,
}

impl NeuralMass for LeakyRateMass {
    type Params = LeakyRateParams;
    fn label(&self) -> &'static str {
        "LeakyRateMass"
    }
    fn state_names(&self) -> &'static [&'static str] {
        &["r_mean_EXC"]
    }
    fn inputs(&self) -> &'static [&'static str] {
        &["network_exc_exc"]
    }
    fn params(&self) -> &LeakyRateParams {
        &self.params
    }
    fn params_mut(&mut self) -> &mut LeakyRateParams {
        &mut self.params
    }
    fn initial_state_range(&self) -> Vec<(f64, f64)> {
        vec![(0.0, 0.01)]
    }
    fn derivatives(&self, x: &[f64], input: &[f64], external: &[f64], dx: &mut [f64]) {
        let p = &self.params;
        let drive = (input[0] + p.drive).max(0.0);
        dx[0] = (-x[0] + p.gain * drive + external[0]) / p.tau;
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let leaky = LeakyRateMass {
        params: LeakyRateParams {
            tau: 20.0,
            gain: 0.5,
            drive: 0.01,
        },
    };
    let mut cortex = AlnNode::default();
    cortex.exc.params.ext_exc_current = 4.2;
    cortex.inh.params.ext_inh_current = 1.8;
    let nodes: Vec<Node> = vec![
        cortex.clone().into(),
        cortex.into(),
        Node::new("LeakyRateNode", vec![Box::new(leaky)])?,
    ];
    let connectivity = SquareMatrix::from_rows(
        "connectivity",
        &[
            vec![0.0, 0.3, 0.5],
            vec![0.3, 0.0, 0.5],
            vec![1.0, 1.0, 0.0],
        ],
        None,
    )?;
    let delays = SquareMatrix::from_rows(
        "delays",
        &[
            vec![0.0, 8.0, 5.0],
            vec![8.0, 0.0, 5.0],
            vec![5.0, 5.0, 0.0],
        ],
        None,
    )?;
    let mut net = Network::new(nodes, connectivity, delays)?
        .couple(Coupling::additive("r_mean_EXC", "network_exc_exc"))?
        .couple(Coupling::additive("r_mean_EXC", "network_exc_exc_sq").squared())?;
    net.set_param("LeakyRateNode_2.LeakyRateMass_0.tau", 15.0)?;

    let options = SimulationOptions {
        dt: 0.1,
        sampling_dt: Some(1.0),
        variables: Some(vec!["r_mean_EXC".into()]),
        seed: 1,
    };
    let mut sim = Simulation::new(&net, &options)?;
    let out = sim.run(2000.0)?;
    for (i, node) in out.nodes.iter().enumerate() {
        let r = node.get("r_mean_EXC").ok_or("r_mean_EXC not recorded")?;
        let tail = &r[r.len() / 2..];
        let mean_hz = 1000.0 * tail.iter().sum::<f64>() / tail.len() as f64;
        println!(
            "node {i} ({:<13}) mean rate over the last second: {mean_hz:7.2} Hz",
            node.label
        );
    }
    Ok(())
}
