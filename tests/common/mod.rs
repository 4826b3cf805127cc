//! Shared helpers of the golden tests: read neurolib 0.6.2 reference trajectories (thinned
//! copies in `tests/data/golden/`, see its README) and rebuild their models.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use hdf5::types::VarLenUnicode;
use neuromass::core::{Network, Node, SquareMatrix};
use neuromass::models;
use serde_json::Value;

/// A reference case: its configuration and thinned trajectories.
pub struct Golden {
    pub name: String,
    pub config: Value,
    pub thin: usize,
    pub t: Vec<f64>,
    /// Per node: (variable name, samples).
    pub nodes: Vec<Vec<(String, Vec<f64>)>>,
    /// Recorded input channels (N+1 samples, neurolib's column convention).
    pub inputs: Vec<Vec<f64>>,
}

pub fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/data/golden")
}

pub fn load(name: &str) -> Golden {
    let path = data_dir().join(format!("{name}.h5"));
    let file = hdf5::File::open(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let config: VarLenUnicode = file.attr("config").unwrap().read_scalar().unwrap();
    let config: Value = serde_json::from_str(config.as_str()).unwrap();
    let thin: i64 = file.attr("thinned_every").unwrap().read_scalar().unwrap();
    let t = file.dataset("t").unwrap().read_raw::<f64>().unwrap();
    let mut nodes = Vec::new();
    for (i, node) in config["nodes"].as_array().unwrap().iter().enumerate() {
        let vars = node["state_variables"].as_array().unwrap();
        nodes.push(
            vars.iter()
                .map(|v| {
                    let v = v.as_str().unwrap().to_string();
                    let data = file
                        .dataset(&format!("node_{i}/{v}"))
                        .unwrap()
                        .read_raw::<f64>()
                        .unwrap();
                    (v, data)
                })
                .collect(),
        );
    }
    let mut inputs = Vec::new();
    if file.link_exists("inputs") {
        let mut c = 0;
        while file.link_exists(&format!("inputs/channel_{c}")) {
            inputs.push(
                file.dataset(&format!("inputs/channel_{c}"))
                    .unwrap()
                    .read_raw::<f64>()
                    .unwrap(),
            );
            c += 1;
        }
    }
    Golden {
        name: name.into(),
        config,
        thin: thin as usize,
        t,
        nodes,
        inputs,
    }
}

pub fn matrix(v: &Value) -> Vec<Vec<f64>> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|r| {
            r.as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_f64().unwrap())
                .collect()
        })
        .collect()
}

/// Our model key for neurolib's node class name.
pub fn model_key(node_type: &str) -> &'static str {
    match node_type {
        "WilsonCowanNode" => "wc",
        "HopfNode" => "hopf",
        "FitzHughNagumoNode" => "fhn",
        "WongWangNode" => "ww",
        "ReducedWongWangNode" => "rww",
        "ALNNode" => "aln",
        "ThalamicNode" => "thalamus",
        other => panic!("unknown node type {other}"),
    }
}

/// Rebuild the case's model through the Rust API.
pub fn build_network(g: &Golden) -> Network {
    let mut nodes = Vec::new();
    for nc in g.config["nodes"].as_array().unwrap() {
        let mut node: Node = models::node_by_name(model_key(nc["type"].as_str().unwrap())).unwrap();
        for (j, mc) in nc["masses"].as_array().unwrap().iter().enumerate() {
            let label = mc["label"].as_str().unwrap();
            for (k, v) in mc["params_full"].as_object().unwrap() {
                if let Some(v) = v.as_f64() {
                    node.set_param(&format!("{label}_{j}.{k}"), v).unwrap();
                }
            }
        }
        if let Some(lc) = nc
            .get("local_connectivity_to_from_given")
            .filter(|v| !v.is_null())
        {
            node.set_local_connectivity(
                SquareMatrix::from_rows("local_connectivity", &matrix(lc), None).unwrap(),
            )
            .unwrap();
        }
        if let Some(ld) = nc.get("local_delays_ms_to_from").filter(|v| !v.is_null()) {
            node.set_local_delays(
                SquareMatrix::from_rows("local_delays", &matrix(ld), None).unwrap(),
            )
            .unwrap();
        }
        let init: Vec<f64> = nc["state_variables"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| nc["initial_state"][v.as_str().unwrap()].as_f64().unwrap())
            .collect();
        node.set_initial_state(init).unwrap();
        // The references replace every input channel by ZeroInput (ALN's default OU input has
        // a non-zero mean).
        node.set_param("*input_*.mu", 0.0).unwrap();
        nodes.push(node);
    }
    match g.config.get("network").filter(|v| !v.is_null()) {
        None => Network::single(nodes.pop().unwrap()),
        Some(net) => {
            let c = SquareMatrix::from_rows(
                "connectivity",
                &matrix(&net["connectivity_to_from"]),
                None,
            )
            .unwrap();
            let d = SquareMatrix::from_rows("delays", &matrix(&net["delays_ms_to_from"]), None)
                .unwrap();
            Network::new(nodes, c, d).unwrap()
        }
    }
}

/// Per-step input samples in our convention (the step starting at `k * dt` uses sample
/// `k`), from neurolib's recorded columns (step `i` = 1..N used column `i`).
pub fn our_input(neurolib_columns: &[f64]) -> Vec<f64> {
    neurolib_columns[1..].to_vec()
}

/// Worst max|ours - ref| / max|ref| over all variables, with the variable's name.
pub fn worst_error(g: &Golden, ours: &[Vec<(String, Vec<f64>)>]) -> (f64, String) {
    let mut worst = (0.0f64, String::new());
    for (i, (gn, on)) in g.nodes.iter().zip(ours).enumerate() {
        for ((name, r), (oname, o)) in gn.iter().zip(on) {
            assert_eq!(name, oname, "{}: variable order", g.name);
            assert_eq!(r.len(), o.len(), "{}: node_{i}/{name} sample count", g.name);
            let scale = r.iter().fold(0.0f64, |m, x| m.max(x.abs()));
            let err = r
                .iter()
                .zip(o)
                .fold(0.0f64, |m, (a, b)| m.max((a - b).abs()));
            let rel = if scale > 0.0 { err / scale } else { err };
            assert!(rel.is_finite(), "{}: node_{i}/{name} not finite", g.name);
            if rel > worst.0 || worst.1.is_empty() {
                worst = (rel, format!("node_{i}/{name}"));
            }
        }
    }
    worst
}
