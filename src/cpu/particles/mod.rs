//! The CPU twins of the particle kernels (`shaders/particles/`, same file names): cell lists,
//! Verlet neighbour lists, Lennard-Jones forces and the integrators' stages, over the buffer
//! layouts of `kernels::particles`.

pub mod buffers;
pub mod cell_list;
pub mod integrate;
pub mod lj_forces;
pub mod lj_forces_half;
pub mod neighbor_list;
