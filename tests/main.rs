//! The integration tests of the `idf` crate, in one binary (one link of wgpu and FFmpeg instead
//! of one per file). Each module tests one area; `common` holds the shared helpers, among them
//! `on_both!`, which runs a test on the CPU twin and on the GPU.

#[macro_use]
mod common;

mod adapter;
mod agreement;
#[cfg(feature = "server")]
mod api;
mod batching;
mod cli;
mod config;
mod custom_energy;
mod datasets;
#[cfg(feature = "neural")]
mod denoiser_checkpoints;
#[cfg(feature = "neural")]
mod denoiser_gmm;
mod denoiser_reverse_step;
mod deploy;
mod diffusion;
mod divergence;
mod elf;
mod energies;
mod enterprise;
mod estimates;
#[cfg(feature = "neural")]
mod forecast;
mod fused;
mod gradients;
mod graphs;
mod hdf5_io;
mod heat_flow;
mod hmc;
mod ising;
mod kafka;
mod metrics;
mod molecular_io;
mod multispin;
#[cfg(feature = "neural")]
mod neural_device;
mod openfoam;
mod optimizer;
mod particle_tempering;
mod particles;
mod placement;
mod plasma;
mod render;
mod rng;
mod samplers;
mod schedules;
mod shaders;
mod spectral;
mod tempering;
mod train;
