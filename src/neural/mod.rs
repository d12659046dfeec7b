//! Learned denoisers: a conditional ε-prediction network ([`PointDenoiser`], an MLP, or
//! [`MapDenoiser`], a U-Net with periodic padding for maps; a sinusoidal timestep embedding and
//! FiLM conditioning, preconditioned by the data's per-coordinate statistics; burn on the device
//! of an IDF context, [`device`]), trained by denoising score matching on IDF's noise schedules
//! ([`train_denoiser`], or step by step with exact resume, [`DenoiserTraining`]), and DDPM or
//! DDIM sampling with its ε, optionally with classifier-free guidance ([`Denoiser::sample`]) or
//! energy guidance ([`EnergyGuidance`]), and its loss on given points ([`denoising_losses`], the
//! generalisation gap); a denoiser conditioned on the current map is a forecaster
//! ([`forecast::predict_next_state`]).
//!
//! Sources: Ho, Jain & Abbeel, *Denoising Diffusion Probabilistic Models* (2020) for
//! ε-prediction and the sampler; Song, Meng & Ermon, *Denoising Diffusion Implicit Models*
//! (2021); Nichol & Dhariwal (2021) for the cosine schedule; Perez et al., *FiLM* (2018); Ho &
//! Salimans, *Classifier-Free Diffusion Guidance* (2022); Karras et al. (2022) for the
//! preconditioning.

pub mod denoising_loss;
pub mod device;
#[cfg(feature = "neural-gpu")]
mod device_fields;
pub mod embedding;
pub mod energy_guidance;
pub mod forecast;
pub mod network;
pub mod sampling;
pub mod training;

pub use denoising_loss::denoising_losses;
pub use device::{device, device_for, device_name, fields_stay_on_gpu, use_context};
pub use energy_guidance::{EnergyGuidance, GuidingEnergy};
pub use network::{
    DataStatistics, DenoiserShape, MapDenoiser, Network, NetworkKind, PointDenoiser,
};
pub use sampling::{Denoiser, NeuralSampler, Sampling};
pub use training::{
    train_denoiser, DenoiserState, DenoiserTraining, PointDataset, TrainedDenoiser, TrainingOptions,
};

/// The random streams of the denoiser (IDF's pcg4d keys; the engine's streams are below 8, and
/// sampling's, 9, is the kernel's: `kernels::denoiser_reverse_step::STREAM_SAMPLING`).
pub(crate) const STREAM_TRAINING: u32 = 8;
pub(crate) const STREAM_DENOISING_LOSS: u32 = 10;
