//! Signals attached to parameters and input channels.

use neuromass_core::{Network, Node};
use neuromass_models::{HopfNode, WilsonCowanNode};
use neuromass_network::{SampledInput, Simulation, SimulationOptions};

fn wc(ext_drive: f64) -> Network {
    let mut node = WilsonCowanNode::default();
    node.exc.params.ext_drive = ext_drive;
    Network::single(node.into())
}

#[test]
fn parameter_drive_adds_to_the_parameter() {
    let opts = SimulationOptions {
        dt: 0.1,
        seed: 3,
        ..Default::default()
    };
    let expected = Simulation::new(&wc(0.75), &opts)
        .unwrap()
        .run(50.0)
        .unwrap();
    let mut driven = Simulation::new(&wc(0.25), &opts).unwrap();
    driven
        .attach(
            0,
            0,
            "ext_drive",
            Box::new(SampledInput::new(vec![0.5; 500])),
        )
        .unwrap();
    assert_eq!(driven.run(50.0).unwrap(), expected);
}

#[test]
fn replacing_a_parameter_drive_restores_the_base_value() {
    let opts = SimulationOptions {
        dt: 0.1,
        seed: 3,
        ..Default::default()
    };
    let expected = Simulation::new(&wc(0.25), &opts)
        .unwrap()
        .run(50.0)
        .unwrap();
    let mut sim = Simulation::new(&wc(0.25), &opts).unwrap();
    sim.attach(
        0,
        0,
        "ext_drive",
        Box::new(SampledInput::new(vec![1.0; 500])),
    )
    .unwrap();
    sim.attach(
        0,
        0,
        "ext_drive",
        Box::new(SampledInput::new(vec![0.0; 500])),
    )
    .unwrap();
    assert_eq!(sim.run(50.0).unwrap(), expected);
}

#[test]
fn unknown_inputs_are_named() {
    let mut sim = Simulation::new(
        &Network::single(HopfNode::default().into()),
        &SimulationOptions::default(),
    )
    .unwrap();
    let err = sim
        .attach(0, 0, "ext_current", Box::new(SampledInput::new(vec![0.0])))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("ext_current") && err.contains("input_0, input_1") && err.contains("x_ext"),
        "{err}"
    );
    let err = sim
        .attach(0, 0, "input_2", Box::new(SampledInput::new(vec![0.0])))
        .unwrap_err()
        .to_string();
    assert!(err.contains("input channel 2"), "{err}");
    let node: Node = WilsonCowanNode::default().into();
    assert_eq!(node.masses().len(), 2);
}
