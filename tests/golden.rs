//! Numerical agreement with neurolib 0.6.2 (numba backend) on its golden trajectories,
//! through the Rust API: every variable, max |ours - reference| / max |reference| <= 1e-9.

mod common;

use common::*;
use neuromass::network::{SampledInput, Simulation, SimulationOptions};

const TOLERANCE: f64 = 1e-9;

fn check_case(name: &str) {
    let g = load(name);
    let net = build_network(&g);
    let dt = g.config["dt_ms"].as_f64().unwrap();
    let duration = g.config["duration_ms"].as_f64().unwrap();
    let opts = SimulationOptions {
        dt,
        sampling_dt: Some(dt * g.thin as f64),
        ..Default::default()
    };
    let mut sim = Simulation::new(&net, &opts).unwrap();
    for (c, column) in g.inputs.iter().enumerate() {
        // Channel c of a single node: neurolib numbers channels mass by mass.
        sim.attach_input(0, c, 0, Box::new(SampledInput::new(our_input(column))))
            .unwrap();
    }
    let out = sim.run(duration).unwrap();
    assert_eq!(out.t.len(), g.t.len(), "{name}: sample count");
    for (a, b) in out.t.iter().zip(&g.t) {
        assert!((a - b).abs() < 1e-9, "{name}: time {a} vs {b}");
    }
    let ours: Vec<Vec<(String, Vec<f64>)>> = out
        .nodes
        .iter()
        .map(|n| {
            n.names
                .iter()
                .cloned()
                .zip(n.data.iter().cloned())
                .collect()
        })
        .collect();
    let (err, var) = worst_error(&g, &ours);
    println!("{name}: worst relative error {err:.3e} ({var})");
    assert!(
        err <= TOLERANCE,
        "{name}: {var} differs by {err:.3e} (relative to its scale)"
    );
}

#[test]
fn wc_node() {
    check_case("wc_node");
}
#[test]
fn hopf_node() {
    check_case("hopf_node");
}
#[test]
fn fhn_node() {
    check_case("fhn_node");
}
#[test]
fn ww_node() {
    check_case("ww_node");
}
#[test]
fn rww_node() {
    check_case("rww_node");
}
#[test]
fn wc_node_stimulus() {
    check_case("wc_node_stimulus");
}
#[test]
fn net_wc_4() {
    check_case("net_wc_4");
}
#[test]
fn net_hopf_4() {
    check_case("net_hopf_4");
}
#[test]
fn net_fhn_3() {
    check_case("net_fhn_3");
}
#[test]
fn net_rww_3() {
    check_case("net_rww_3");
}

/// The same cases through `neuromass run` on a TOML description written from the case's
/// configuration (with the HDF5 output read back).
mod via_cli {
    use super::*;
    use std::fmt::Write;
    use std::process::Command;

    fn f(x: f64) -> String {
        format!("{x:?}")
    }

    fn rows(m: &[Vec<f64>]) -> String {
        let r: Vec<String> = m
            .iter()
            .map(|r| {
                format!(
                    "[{}]",
                    r.iter().map(|x| f(*x)).collect::<Vec<_>>().join(", ")
                )
            })
            .collect();
        format!("[{}]", r.join(", "))
    }

    /// A TOML description of the case, as a user would write it.
    fn toml_for(g: &Golden) -> String {
        let c = &g.config;
        let dt = c["dt_ms"].as_f64().unwrap();
        let mut s = String::new();
        writeln!(s, "duration = {}", f(c["duration_ms"].as_f64().unwrap())).unwrap();
        writeln!(s, "dt = {}", f(dt)).unwrap();
        writeln!(s, "sampling_dt = {}", f(dt * g.thin as f64)).unwrap();
        let nodes = c["nodes"].as_array().unwrap();
        for nc in nodes {
            writeln!(
                s,
                "\n[[nodes]]\nmodel = \"{}\"",
                model_key(nc["type"].as_str().unwrap())
            )
            .unwrap();
            let mut params = Vec::new();
            for (j, mc) in nc["masses"].as_array().unwrap().iter().enumerate() {
                let label = mc["label"].as_str().unwrap();
                for (k, v) in mc["params_differing_from_defaults"].as_object().unwrap() {
                    if let Some(v) = v.as_f64() {
                        // Mass type where there is one (EXC.tau), else the full mass key.
                        let key = match mc["mass_type"].as_str() {
                            Some(t) => format!("{t}.{k}"),
                            None => format!("{label}_{j}.{k}"),
                        };
                        params.push(format!("\"{key}\" = {}", f(v)));
                    }
                }
            }
            writeln!(s, "params = {{ {} }}", params.join(", ")).unwrap();
            if let Some(lc) = nc
                .get("local_connectivity_to_from_given")
                .filter(|v| !v.is_null())
            {
                writeln!(s, "local_connectivity = {}", rows(&matrix(lc))).unwrap();
            }
            if let Some(ld) = nc.get("local_delays_ms_to_from").filter(|v| !v.is_null()) {
                writeln!(s, "local_delays = {}", rows(&matrix(ld))).unwrap();
            }
            let init: Vec<String> = nc["initial_state"]
                .as_object()
                .unwrap()
                .iter()
                .map(|(k, v)| format!("{k} = {}", f(v.as_f64().unwrap())))
                .collect();
            writeln!(s, "initial_state = {{ {} }}", init.join(", ")).unwrap();
        }
        if let Some(net) = c.get("network").filter(|v| !v.is_null()) {
            writeln!(s, "\n[network]").unwrap();
            writeln!(
                s,
                "connectivity = {}",
                rows(&matrix(&net["connectivity_to_from"]))
            )
            .unwrap();
            writeln!(s, "delays = {}", rows(&matrix(&net["delays_ms_to_from"]))).unwrap();
            // Diffusive models get their coupling spelled out; the others use the defaults.
            for (target, kind) in net["coupling"].as_object().unwrap() {
                let kind = kind.as_str().unwrap();
                if kind == "diffusive" {
                    let source = target.strip_prefix("network_").unwrap();
                    writeln!(
                        s,
                        "\n[[network.couplings]]\ntarget = \"{target}\"\nsource = \"{source}\"\nkind = \"diffusive\"\nweights = \"linear\""
                    )
                    .unwrap();
                }
            }
        }
        // The references replace every input channel by ZeroInput.
        writeln!(s, "\n[params]\n\"*input_*.mu\" = 0.0").unwrap();
        for (ch, column) in g.inputs.iter().enumerate() {
            let mass = nodes[0]["masses"][ch]["mass_type"].as_str().unwrap();
            let values: Vec<String> = our_input(column).iter().map(|x| f(*x)).collect();
            writeln!(
                s,
                "\n[[inputs]]\nnodes = [0]\nmass = \"{mass}\"\ninput = \"input_0\"\nstimulus = {{ type = \"samples\", values = [{}] }}",
                values.join(", ")
            )
            .unwrap();
        }
        s
    }

    fn check_case_cli(name: &str) {
        let g = load(name);
        let dir =
            std::env::temp_dir().join(format!("neuromass-golden-{}-{name}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let (model, out) = (dir.join("model.toml"), dir.join("run.h5"));
        std::fs::write(&model, toml_for(&g)).unwrap();
        let status = Command::new(env!("CARGO_BIN_EXE_neuromass"))
            .args([
                "run",
                model.to_str().unwrap(),
                "--out",
                out.to_str().unwrap(),
            ])
            .output()
            .unwrap();
        assert!(
            status.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&status.stderr)
        );
        let file = hdf5::File::open(&out).unwrap();
        let t = file.dataset("t").unwrap().read_raw::<f64>().unwrap();
        assert_eq!(t.len(), g.t.len());
        let ours: Vec<Vec<(String, Vec<f64>)>> = g
            .nodes
            .iter()
            .enumerate()
            .map(|(i, vars)| {
                vars.iter()
                    .map(|(v, _)| {
                        (
                            v.clone(),
                            file.dataset(&format!("node_{i}/{v}"))
                                .unwrap()
                                .read_raw::<f64>()
                                .unwrap(),
                        )
                    })
                    .collect()
            })
            .collect();
        let config: hdf5::types::VarLenUnicode =
            file.attr("config").unwrap().read_scalar().unwrap();
        let config: serde_json::Value = serde_json::from_str(config.as_str()).unwrap();
        if let Some(steps) = g.config["network"].get("delays_steps_to_from") {
            assert_eq!(
                &config["network"]["delays_steps_to_from"], steps,
                "{name}: delay steps"
            );
        }
        let (err, var) = worst_error(&g, &ours);
        println!("{name} (cli): worst relative error {err:.3e} ({var})");
        assert!(
            err <= TOLERANCE,
            "{name} via CLI: {var} differs by {err:.3e}"
        );
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn all_public_cases() {
        for name in [
            "wc_node",
            "hopf_node",
            "fhn_node",
            "ww_node",
            "rww_node",
            "wc_node_stimulus",
            "net_wc_4",
            "net_hopf_4",
            "net_fhn_3",
            "net_rww_3",
            "aln_node",
            "net_aln_3",
            "thalamic_node",
            "thalamic_node_glk",
            "net_thalamocortical_2",
        ] {
            check_case_cli(name);
        }
    }
}

#[test]
fn thalamic_node() {
    check_case("thalamic_node");
}
#[test]
fn thalamic_node_glk() {
    check_case("thalamic_node_glk");
}
#[test]
fn aln_node() {
    check_case("aln_node");
}
#[test]
fn net_aln_3() {
    check_case("net_aln_3");
}
#[test]
fn net_thalamocortical_2() {
    check_case("net_thalamocortical_2");
}
