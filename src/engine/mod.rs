//! The engine: fields, energies (one host file each), integrators and schedules,
//! [`Simulation`](simulation::Simulation) and its traces, estimators, diffusion, samplers built
//! on simulations, and the energy laws. It imports the backends through [`crate::executor`]
//! and [`crate::context`], and nothing from capsules, jobs or front ends.
//!
//! Inside, imports run one way: `field` and `method` ← `energies` ← `schedule`, `step_rule`,
//! `trace`, `tempering` ← `fusion_plan` ← `simulation` ← `diffusion`, `boltzmann`, samplers,
//! `validation`, `gradient_check`.

pub mod ace;
pub mod boltzmann;
pub mod diffusion;
pub mod energies;
pub mod entropy;
pub mod estimates;
pub mod field;
pub mod fusion_plan;
pub mod gradient_check;
pub mod method;
pub mod particles;
pub mod plasma;
pub mod population_annealing;
pub mod schedule;
pub mod simulation;
pub mod spectral;
pub mod step_rule;
pub mod tempering;
pub mod trace;
pub mod validation;
