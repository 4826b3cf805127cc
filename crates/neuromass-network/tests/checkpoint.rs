//! A checkpoint restored into a freshly built simulation continues bit-identically.

use neuromass_core::{Network, Node, SquareMatrix};
use neuromass_models::{HopfNode, WilsonCowanNode};
use neuromass_network::{Simulation, SimulationOptions};

fn network() -> Network {
    let nodes: Vec<Node> = vec![
        WilsonCowanNode::default().into(),
        WilsonCowanNode::default().into(),
    ];
    let c = SquareMatrix::from_rows("c", &[vec![0.0, 0.6], vec![0.4, 0.0]], None).unwrap();
    let d = SquareMatrix::from_rows("d", &[vec![0.0, 7.3], vec![13.45, 0.0]], None).unwrap();
    let mut net = Network::new(nodes, c, d).unwrap();
    net.set_param("*EXC*.ext_drive", 0.9).unwrap();
    net
}

#[test]
fn checkpoint_restore_continues_exactly() {
    let net = network();
    let opts = SimulationOptions {
        dt: 0.1,
        seed: 5,
        ..Default::default()
    };
    let mut long = Simulation::new(&net, &opts).unwrap();
    long.run(30.0).unwrap();
    let expected = long.run(40.0).unwrap();

    let mut first = Simulation::new(&net, &opts).unwrap();
    first.run(30.0).unwrap();
    let saved = first.checkpoint();
    drop(first);
    let mut resumed = Simulation::new(&net, &opts).unwrap();
    resumed.restore(&saved).unwrap();
    let got = resumed.run(40.0).unwrap();
    assert_eq!(got, expected);
    assert_eq!(resumed.steps_done(), 700);
}

#[test]
fn checkpoint_of_another_network_is_rejected() {
    let opts = SimulationOptions::default();
    let saved = Simulation::new(&network(), &opts).unwrap().checkpoint();
    let mut other = Simulation::new(&Network::single(HopfNode::default().into()), &opts).unwrap();
    let err = other.restore(&saved).unwrap_err().to_string();
    assert!(err.contains("checkpoint does not fit"), "{err}");
}
