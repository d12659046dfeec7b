//! Domain capsules: each turns a domain's inputs into energies and runs, and the results into the
//! domain's outputs. See ARCHITECTURE.md for how to add one.

pub mod creative;
pub mod enterprise;
