//! CPU twins of `shaders/shared/`: random numbers, lattice indexing, multi-spin words and
//! workgroup sums.

pub mod lattice;
pub mod packed_spins;
pub mod reduce;
pub mod rng;
