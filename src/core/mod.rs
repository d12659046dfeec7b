//! The engine: fields, energies, integrators and diffusion, and estimators over their traces.

pub mod custom_energy;
pub mod diffusion;
pub mod diffusion_dynamics;
pub mod energy_field;
pub mod entropy_metrics;
pub mod estimates;
pub mod executor;
pub mod field;
pub mod graph;
