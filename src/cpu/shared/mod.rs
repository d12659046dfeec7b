//! CPU twins of `shaders/shared/`: random numbers, lattice indexing and
//! workgroup sums.

pub mod lattice;
pub mod reduce;
pub mod rng;
