//! CPU twins of `shaders/shared/`: random numbers and lattice indexing.

pub mod lattice;
pub mod rng;
