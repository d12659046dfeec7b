//! Samplers and optimizers built on the engine: Boltzmann weighting and resampling, replica
//! exchange with adaptive temperatures (`ACEAgent`), and population annealing.

pub mod ace;
pub mod annealing;
pub mod boltzmann;
