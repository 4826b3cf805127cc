//! The ALN transfer table: loading errors name the file and dataset; lookups interpolate
//! bilinearly inside the grid and hold the edge values outside it.

use std::path::PathBuf;

use neuromass_core::{Network, Node};
use neuromass_models::{AlnNode, DEFAULT_TABLE_PATH, TransferTable};

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("neuromass-aln-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

/// A small table: mu in {0, 1, 2}, sigma in {1, 2}; r_ss = mu + 10 sigma, V = -mu, tau = 1 + sigma.
fn write_table(path: &PathBuf, skip: Option<&str>, r_shape: (usize, usize)) {
    let f = hdf5::File::create(path).unwrap();
    let mu = [0.0, 1.0, 2.0];
    let sigma = [1.0, 2.0];
    let grid = |g: &dyn Fn(f64, f64) -> f64| -> Vec<f64> {
        mu.iter()
            .flat_map(|&m| sigma.iter().map(move |&s| g(m, s)))
            .collect()
    };
    let datasets: Vec<(&str, Vec<f64>, (usize, usize))> = vec![
        ("mu_vals", mu.to_vec(), (3, 0)),
        ("sigma_vals", sigma.to_vec(), (2, 0)),
        ("r_ss", grid(&|m, s| m + 10.0 * s), r_shape),
        ("V_mean_ss", grid(&|m, _| -m), (3, 2)),
        ("tau_mu_exp", grid(&|_, s| 1.0 + s), (3, 2)),
    ];
    for (name, data, shape) in datasets {
        if Some(name) == skip {
            continue;
        }
        if shape.1 == 0 {
            f.new_dataset_builder()
                .with_data(&data)
                .create(name)
                .unwrap();
        } else {
            let data = if shape.0 * shape.1 == data.len() {
                data
            } else {
                vec![0.0; shape.0 * shape.1]
            };
            f.new_dataset::<f64>()
                .shape([shape.0, shape.1])
                .create(name)
                .unwrap()
                .write_raw(&data)
                .unwrap();
        }
    }
}

#[test]
fn missing_file_is_named() {
    let err = TransferTable::load("/no/such/table.h5")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("/no/such/table.h5") && err.contains("cannot open"),
        "{err}"
    );
    let err = AlnNode::with_table_file("/no/such/table.h5")
        .unwrap_err()
        .to_string();
    assert!(err.contains("/no/such/table.h5"), "{err}");
}

#[test]
fn missing_and_malformed_datasets_are_named() {
    let path = scratch("no_tau.h5");
    write_table(&path, Some("tau_mu_exp"), (3, 2));
    let err = TransferTable::load(&path).unwrap_err().to_string();
    assert!(
        err.contains("no_tau.h5") && err.contains("missing dataset `tau_mu_exp`"),
        "{err}"
    );

    let path = scratch("bad_shape.h5");
    write_table(&path, None, (2, 3));
    let err = TransferTable::load(&path).unwrap_err().to_string();
    assert!(err.contains("`r_ss`") && err.contains("[3, 2]"), "{err}");
}

#[test]
fn lookups_interpolate_and_clamp() {
    let path = scratch("small.h5");
    write_table(&path, None, (3, 2));
    let t = TransferTable::load(&path).unwrap();
    let close = |a: [f64; 3], b: [f64; 3]| a.iter().zip(&b).all(|(x, y)| (x - y).abs() < 1e-12);
    // Inside: bilinear (exact for these bilinear functions).
    assert!(close(t.lookup(0.5, 1.25), [0.5 + 12.5, -0.5, 2.25]));
    assert!(close(t.lookup(1.75, 1.0), [1.75 + 10.0, -1.75, 2.0]));
    // Outside: held at the edges, per axis.
    assert!(close(t.lookup(-5.0, 1.5), [15.0, 0.0, 2.5]));
    assert!(close(t.lookup(9.0, 1.5), [17.0, -2.0, 2.5]));
    assert!(close(t.lookup(1.0, 0.1), [11.0, -1.0, 2.0]));
    assert!(close(t.lookup(1.0, 7.0), [21.0, -1.0, 3.0]));
    assert!(close(t.lookup(2.0, 2.0), [22.0, -2.0, 3.0]));
    assert!(close(t.lookup(-1.0, 9.0), [20.0, 0.0, 3.0]));
    assert!(t.lookup(f64::NAN, 1.0)[0].is_nan());
}

#[test]
fn a_custom_table_drives_the_node() {
    let path = scratch("custom.h5");
    write_table(&path, None, (3, 2));
    let node: Node = AlnNode::with_table_file(&path).unwrap().into();
    let mut net = Network::single(node);
    net.validate().unwrap();
    net.set_param("*ext_exc_current", 0.5).unwrap();
    // The default table is the one shipped in the repository.
    assert!(
        TransferTable::shared_default()
            .unwrap()
            .path()
            .ends_with("quantities_cascade.h5")
    );
    assert!(std::path::Path::new(DEFAULT_TABLE_PATH).exists());
}
