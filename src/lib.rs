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
//! let mut sim = Simulation::new(&ctx, &model, &model.initial_field(shape, 7), 7)?;
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
//! See `ARCHITECTURE.md` for the layers and where to add an energy, an integrator or a capsule.

#[cfg(feature = "server")]
pub mod api;
pub mod baseline;
pub mod capsules;
pub mod config;
pub mod context;
pub mod core;
pub mod cpu;
pub mod deploy;
pub mod elf;
pub mod error;
pub mod gpu;
pub mod io;
pub mod kernels;
pub mod optimize;
pub mod render;
pub mod sample;
pub mod sampler;
pub mod scene;
pub mod validation;

pub use crate::config::Config;
pub use crate::context::{Backend, BackendChoice, Context};
pub use crate::core::diffusion::{
    EnergyDiffusionModel, EnergyScheduler, NoiseSchedule, ReverseMethod,
};
pub use crate::core::diffusion_dynamics::{
    Histogram, LadderState, Method, Observable, RunConfig, RunTrace, ScheduleKind, Simulation,
    StepRule, TemperatureSchedule,
};
pub use crate::core::energy_field::{EnergyKind, EnergyModel, GaussianMixture, Ising, Phi4};
pub use crate::core::entropy_metrics::{
    effective_sample_size, integrated_autocorrelation_time, ChainStats,
};
pub use crate::core::estimates::{batch_means, Estimate};
pub use crate::core::field::{Field, Shape};
pub use crate::error::{IdfError, Result};
pub use crate::sampler::boltzmann::{boltzmann_weight, systematic_resample, BoltzmannWeights};
pub use crate::scene::Scene;
pub use crate::validation::{validate, LawOutcome, Validator, Verdict, Violation};
