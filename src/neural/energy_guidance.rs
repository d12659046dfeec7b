//! Energy guidance of a denoiser's draw: the score of the noised data tilted by an energy's,
//! `∇ log p_t(x) + w ᾱ_t (−∇E(x)/T)`, i.e. `ε̂ + w ᾱ_t √(1 − ᾱ_t) ∇E(x)/T`. At t → 0 this is
//! the score of `p(x) e^{−w E(x)/T}`: the model's distribution leaning towards low energy with
//! weight w (the weight ᾱ_t switches the tilt off where the noise dominates). An approximation
//! along the path, like classifier guidance (Dhariwal & Nichol, *Diffusion Models Beat GANs on
//! Image Synthesis*, 2021), exact only at t → 0.
//!
//! The gradient of an IDF model is IDF's own kernel (`Simulation::energy_gradient`): on the
//! CPU, or, when the denoiser shares IDF's GPU, on the GPU from the values' buffer into the
//! reverse step's, never read back.

#[cfg(feature = "neural-gpu")]
use std::sync::Arc;

use crate::context::Context;
use crate::engine::energies::{EnergyModel, StateKind};
use crate::engine::field::{Field, Shape};
use crate::engine::simulation::Simulation;
use crate::error::{IdfError, Result};
#[cfg(feature = "neural-gpu")]
use crate::gpu::GpuContext;

/// Energy guidance ([the module's doc](self)): a weight and the energy.
pub struct EnergyGuidance<'a> {
    /// w ≥ 0.
    pub weight: f32,
    /// The energy whose gradient tilts the draws.
    pub energy: GuidingEnergy<'a>,
}

/// The energy of [`EnergyGuidance`].
pub enum GuidingEnergy<'a> {
    /// An IDF model of maps `[C, H, W]` (the points' D = C·H·W coordinates) at temperature
    /// `temperature` (> 0): ∇E by IDF's kernels, on the denoiser's GPU when it shares IDF's
    /// (the draw's values then never leave the GPU), else on the CPU.
    Model {
        /// The energy E (a continuous field's).
        model: &'a EnergyModel,
        /// T.
        temperature: f32,
        /// The maps' `[C, H, W]`.
        map: [usize; 3],
    },
    /// ∇E/T of `N × D` points on the host, `N × D` values; the draw's steps then run on the
    /// host too.
    Host(&'a dyn Fn(&[f32]) -> Result<Vec<f32>>),
}

impl EnergyGuidance<'_> {
    /// Errors (naming `energy_guidance`): a negative or non-finite weight or temperature, a
    /// model whose states are not a continuous field, maps whose size is not `dim`.
    pub(crate) fn check(&self, dim: usize) -> Result<()> {
        let bad = |message: String| Err(IdfError::invalid("energy_guidance", message));
        if !(self.weight.is_finite() && self.weight >= 0.0) {
            return bad(format!("{} must be a finite number ≥ 0", self.weight));
        }
        if let GuidingEnergy::Model {
            model,
            temperature,
            map,
        } = self.energy
        {
            if model.state() != StateKind::Field {
                return bad(format!(
                    "{}'s states are not a continuous field: its energy has no gradient",
                    model.name()
                ));
            }
            if !(temperature.is_finite() && temperature > 0.0) {
                return bad(format!("temperature {temperature} is not positive"));
            }
            if map.iter().product::<usize>() != dim {
                return bad(format!(
                    "maps of {map:?} for a denoiser of {dim} coordinates"
                ));
            }
        }
        Ok(())
    }

    /// Whether the gradient can be computed where the values are, on IDF's GPU.
    #[cfg(feature = "neural-gpu")]
    pub(crate) fn runs_on_gpu(&self) -> bool {
        matches!(self.energy, GuidingEnergy::Model { .. })
    }

    /// The coefficient of the gradient that [`GuidanceGradients`] computes, in ε̂'s units, at
    /// noise level `alpha_bar`: `w ᾱ √(1 − ᾱ)`, over T for a model (whose gradient is ∇E).
    pub(crate) fn scale(&self, alpha_bar: f64) -> f64 {
        let per_temperature = match self.energy {
            GuidingEnergy::Model { temperature, .. } => 1.0 / temperature as f64,
            GuidingEnergy::Host(_) => 1.0,
        };
        self.weight as f64 * alpha_bar * (1.0 - alpha_bar).sqrt() * per_temperature
    }
}

/// The gradients of one draw's guidance: for a model, a simulation per chunk size (on the CPU,
/// or on the GPU of the device path), made at a chunk's first step and reused.
pub(crate) struct GuidanceGradients<'a> {
    guidance: &'a EnergyGuidance<'a>,
    simulations: Vec<Simulation>,
}

impl<'a> GuidanceGradients<'a> {
    pub(crate) fn new(guidance: &'a EnergyGuidance<'a>) -> Self {
        GuidanceGradients {
            guidance,
            simulations: Vec::new(),
        }
    }

    /// The simulation of `points` maps of `model` on `ctx`, made on first use.
    fn simulation(
        &mut self,
        ctx: &Context,
        model: &EnergyModel,
        [c, h, w]: [usize; 3],
        points: usize,
    ) -> Result<&mut Simulation> {
        let shape = Shape::new(points, c, h, w)?;
        let found = self.simulations.iter().position(|s| s.shape() == shape);
        let index = match found {
            Some(index) => index,
            None => {
                let zeros = Field::from_vec(shape, vec![0.0; shape.len()])?;
                self.simulations
                    .push(Simulation::new(ctx, model, &zeros, 0)?);
                self.simulations.len() - 1
            }
        };
        Ok(&mut self.simulations[index])
    }

    /// The gradient at the `N × D` points `x` on the host (∇E for a model, whose 1/T is in
    /// [`EnergyGuidance::scale`]; the closure's ∇E/T otherwise). Errors: a gradient of the wrong
    /// length or not finite (naming the timestep `t`).
    pub(crate) fn on_host(&mut self, x: &[f32], points: usize, t: usize) -> Result<Vec<f32>> {
        let gradient = match self.guidance.energy {
            GuidingEnergy::Host(gradient) => gradient(x)?,
            GuidingEnergy::Model { model, map, .. } => {
                let sim = self.simulation(&Context::cpu(), model, map, points)?;
                sim.set_field(&Field::from_vec(sim.shape(), x.to_vec())?)?;
                sim.energy_gradient(1.0)?.data().to_vec()
            }
        };
        if gradient.len() != x.len() || gradient.iter().any(|g| !g.is_finite()) {
            return Err(not_finite(&format!("at timestep {t}")));
        }
        Ok(gradient)
    }

    /// A model's ∇E at the first `points` maps of `x` into `into`, both buffers on `gpu`,
    /// without leaving it. Errors: a host closure's guidance, which runs on the host; the
    /// simulation's.
    #[cfg(feature = "neural-gpu")]
    pub(crate) fn on_gpu(
        &mut self,
        gpu: &Arc<GpuContext>,
        x: &wgpu::Buffer,
        points: usize,
        into: &wgpu::Buffer,
    ) -> Result<()> {
        let GuidingEnergy::Model { model, map, .. } = self.guidance.energy else {
            return Err(IdfError::invalid(
                "energy_guidance",
                "a gradient given as a host function is computed on the host",
            ));
        };
        let sim = self.simulation(&Context::on_gpu(gpu.clone()), model, map, points)?;
        let bytes = sim.shape().len() as u64 * 4;
        sim.copy_field_from_gpu(x)?;
        let gradient = sim.energy_gradient_on_gpu(1.0)?;
        gpu.copy_buffer((gradient, 0), (into, 0), bytes)
    }
}

/// The error of a guided draw that is no longer finite (`when`: at which step, if known).
pub(crate) fn not_finite(when: &str) -> IdfError {
    IdfError::invalid(
        "energy_guidance",
        format!("the energy's gradient is not finite {when}: lower the weight"),
    )
}
