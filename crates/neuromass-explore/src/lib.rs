//! Parameter explorations for **neuromass** models.
//!
//! This crate will run parameter spaces (grids, sequences, random samples) over any
//! parameter paths of a network in parallel with rayon, stream each run's results and
//! summaries to one HDF5 file as runs finish, resume a killed exploration where it stopped,
//! and score runs against empirical data (FC, FCD).
//!
//! Nothing is implemented yet.
