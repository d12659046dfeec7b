//! The seam between the particle engine and the two backends: one interface over a particle
//! run's buffers, so that the same stages run on the GPU kernels (`shaders/particles/`) or on
//! their CPU twins (`cpu/particles/`), whichever the [`Context`] has.

use crate::context::Context;
use crate::cpu::particles::buffers::CpuParticles;
use crate::error::Result;
use crate::gpu::particles::{GpuParticles, ParticleKernel};
use crate::kernels::particles::ParticleParams;

/// A stage of an integrator step.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Stage {
    /// B: a kick of this fraction of dt.
    Kick(f32),
    /// A: a drift of this fraction of dt.
    Drift(f32),
    /// O: the Ornstein–Uhlenbeck velocity update.
    Thermostat,
    /// An overdamped Langevin step.
    Brownian,
    /// Forces from the current lists; with `energies` also each particle's energy and virial
    /// (the GPU kernel always computes them; the CPU skips them when not asked).
    Forces {
        /// Whether the energies and virials are wanted.
        energies: bool,
    },
}

/// The buffers of one particle run on its backend.
pub enum ParticleExecutor {
    /// CPU twins.
    Cpu(Box<CpuParticles>),
    /// wgpu.
    Gpu(Box<GpuParticles>),
}

impl ParticleExecutor {
    /// Allocates and uploads on the context's backend.
    pub fn new(
        ctx: &Context,
        p: &ParticleParams,
        position: Vec<[f32; 4]>,
        velocity: Vec<[f32; 4]>,
        pair_table: Vec<[f32; 4]>,
    ) -> Result<Self> {
        Ok(match ctx.gpu_context() {
            Some(gpu) => ParticleExecutor::Gpu(Box::new(GpuParticles::new(
                gpu.clone(),
                p,
                &position,
                &velocity,
                &pair_table,
            )?)),
            None => ParticleExecutor::Cpu(Box::new(CpuParticles::new(
                p, position, velocity, pair_table,
            )?)),
        })
    }

    /// Sizes the neighbour and cell lists for `p`.
    pub fn resize_lists(&mut self, p: &ParticleParams) -> Result<()> {
        match self {
            ParticleExecutor::Cpu(c) => c.resize_lists(p),
            ParticleExecutor::Gpu(g) => g.resize_lists(p),
        }
    }

    /// Sets each chain's bath temperature as a multiple of the parameters' temperature (one
    /// value per chain).
    pub fn set_temperature_scale(&mut self, scale: &[f32]) -> Result<()> {
        match self {
            ParticleExecutor::Cpu(c) => {
                c.set_temperature_scale(scale);
                Ok(())
            }
            ParticleExecutor::Gpu(g) => g.set_temperature_scale(scale),
        }
    }

    /// Whether a force stage without energies leaves them unset (the CPU's; the GPU kernel
    /// always computes them).
    pub fn skips_energies(&self) -> bool {
        matches!(self, ParticleExecutor::Cpu(_))
    }

    /// Rebuilds the cell and neighbour lists; returns the longest list.
    pub fn rebuild(&mut self, p: &ParticleParams) -> Result<u32> {
        match self {
            ParticleExecutor::Cpu(c) => Ok(c.rebuild(p)),
            ParticleExecutor::Gpu(g) => g.rebuild(p),
        }
    }

    /// The largest squared displacement from the anchors.
    pub fn max_displacement2(&self, p: &ParticleParams) -> Result<f32> {
        match self {
            ParticleExecutor::Cpu(c) => Ok(c.max_displacement2(p)),
            ParticleExecutor::Gpu(g) => g.max_displacement2(p),
        }
    }

    /// Runs `stages` in order.
    pub fn stages(&mut self, p: &ParticleParams, stages: &[Stage]) -> Result<()> {
        match self {
            ParticleExecutor::Cpu(c) => {
                for stage in stages {
                    match *stage {
                        Stage::Kick(f) => c.kick(p, f),
                        Stage::Drift(f) => c.drift(p, f),
                        Stage::Thermostat => c.thermostat(p),
                        Stage::Brownian => c.brownian(p),
                        Stage::Forces { energies } => c.forces(p, energies),
                    }
                }
                Ok(())
            }
            ParticleExecutor::Gpu(g) => {
                let list: Vec<(ParticleKernel, f32)> = stages
                    .iter()
                    .map(|s| match *s {
                        Stage::Kick(f) => (ParticleKernel::Kick, f),
                        Stage::Drift(f) => (ParticleKernel::Drift, f),
                        Stage::Thermostat => (ParticleKernel::Thermostat, 0.0),
                        Stage::Brownian => (ParticleKernel::Brownian, 0.0),
                        Stage::Forces { .. } => (ParticleKernel::LjForces, 0.0),
                    })
                    .collect();
                g.stages(p, &list)
            }
        }
    }

    /// Positions.
    pub fn position(&self) -> Result<Vec<[f32; 4]>> {
        match self {
            ParticleExecutor::Cpu(c) => Ok(c.position.clone()),
            ParticleExecutor::Gpu(g) => g.position(),
        }
    }

    /// Velocities.
    pub fn velocity(&self) -> Result<Vec<[f32; 4]>> {
        match self {
            ParticleExecutor::Cpu(c) => Ok(c.velocity.clone()),
            ParticleExecutor::Gpu(g) => g.velocity(),
        }
    }

    /// Forces with each particle's half of its pair energies in `w`.
    pub fn force(&self) -> Result<Vec<[f32; 4]>> {
        match self {
            ParticleExecutor::Cpu(c) => Ok(c.force.clone()),
            ParticleExecutor::Gpu(g) => g.force(),
        }
    }

    /// Per-particle virials.
    pub fn virial(&self) -> Result<Vec<f32>> {
        match self {
            ParticleExecutor::Cpu(c) => Ok(c.virial.clone()),
            ParticleExecutor::Gpu(g) => g.virial(),
        }
    }

    /// Replaces the positions.
    pub fn set_position(&mut self, position: &[[f32; 4]]) -> Result<()> {
        match self {
            ParticleExecutor::Cpu(c) => {
                c.position.copy_from_slice(position);
                Ok(())
            }
            ParticleExecutor::Gpu(g) => g.set_position(position),
        }
    }

    /// Replaces the velocities.
    pub fn set_velocity(&mut self, velocity: &[[f32; 4]]) -> Result<()> {
        match self {
            ParticleExecutor::Cpu(c) => {
                c.velocity.copy_from_slice(velocity);
                Ok(())
            }
            ParticleExecutor::Gpu(g) => g.set_velocity(velocity),
        }
    }
}
