//! Samplers built on the engine: Boltzmann weighting and importance resampling of chains.

pub mod boltzmann;
