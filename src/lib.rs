//! # IDF, the Industriverse Diffusion Framework
//!
//! Energy-based diffusion and thermodynamic sampling on any GPU through WGSL compute shaders
//! (wgpu: Vulkan, Metal, DX12, GL), with a CPU twin of every kernel that computes the same numbers.
//!
//! ```no_run
//! use idf::{Context, EnergyModel, Field, Method, RunConfig, Simulation, TemperatureSchedule};
//! let ctx = Context::new()?;
//! let model = EnergyModel::from_params("phi4", &[])?;
//! let shape = model.shape(4, Some([64, 64]))?;
//! let mut sim = Simulation::new(&ctx, &model, &model.initial_field(shape, 7)?, 7)?;
//! let trace = sim.run(
//!     &RunConfig {
//!         method: Method::Langevin,
//!         step_size: 0.02,
//!         schedule: TemperatureSchedule::constant(1.0),
//!         burn_in: 100,
//!         steps: 400,
//!         record_every: 10,
//!         ..RunConfig::default()
//!     },
//!     &mut |_, _| {},
//! )?;
//! println!("E per chain: {:?}", trace.energies(trace.records.len() - 1));
//! # Ok::<(), idf::IdfError>(())
//! ```
//!
//! A scene, the request type of every sampling and rendering job, runs the same way:
//!
//! ```no_run
//! use idf::jobs::sample::sample;
//! let ctx = idf::Context::new()?;
//! let job = idf::Scene::default_scene().resolve(&idf::Config::default())?;
//! let report = sample(&ctx, &job, &mut |_, _| {})?;
//! println!("{}", report.to_json());
//! # Ok::<(), idf::IdfError>(())
//! ```
//!
//! The crate root re-exports what a library user needs: contexts, energies, simulations, traces,
//! schedules, estimates, laws, scenes and errors. The modules are the layers, each importing only
//! those below it (see `ARCHITECTURE.md`): [`kernels`] (the catalogue), [`cpu`] and [`gpu`] (the
//! backends, public for kernel authors: the CPU twin is the oracle), [`engine`], [`io`],
//! [`capsules`], [`jobs`] and the HTTP front end `api`.

#![warn(missing_docs)]

#[cfg(feature = "server")]
pub mod api;
mod atomic_file;
pub mod capsules;
mod context;
pub mod cpu;
pub mod engine;
mod error;
mod executor;
pub mod gpu;
pub mod io;
pub mod jobs;
pub mod kernels;
mod memory;
#[cfg(feature = "neural")]
pub mod neural;
mod particle_executor;
mod spectral_executor;

pub use crate::context::{Backend, BackendChoice, Cancel, Context};
pub use crate::engine::boltzmann::{boltzmann_weight, systematic_resample, BoltzmannWeights};
pub use crate::engine::diffusion::{
    EnergyDiffusionModel, EnergyScheduler, NoiseSchedule, ReverseMethod,
};
pub use crate::engine::energies::placement::ServiceGraph;
pub use crate::engine::energies::{
    EnergyModel, EnergySpec, GaussianMixture, Guidance, Ising, Phi4, PlacementEnergy,
    SwiftHohenberg, REGISTRY,
};
pub use crate::engine::estimates::{
    effective_sample_size, estimate, integrated_autocorrelation_time, Estimate,
};
pub use crate::engine::field::{Field, Shape};
pub use crate::engine::method::Method;
pub use crate::engine::schedule::{ScheduleKind, TemperatureSchedule};
pub use crate::engine::simulation::Simulation;
pub use crate::engine::step_rule::{RunConfig, StepRule};
pub use crate::engine::tempering::LadderState;
pub use crate::engine::trace::{ChainStats, Histogram, Observable, RunTrace};
pub use crate::engine::validation::{validate, LawOutcome, Validator, Verdict, Violation};
pub use crate::error::{IdfError, Result};
pub use crate::jobs::config::Config;
pub use crate::jobs::placement::{optimize_entropy, PlacementOptions, PlacementPolicy};
pub use crate::jobs::scene::Scene;
