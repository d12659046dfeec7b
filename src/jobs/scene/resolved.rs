//! [`ResolvedScene`]: a scene with every default filled in (what a job runs), and the [`Look`]
//! of its render.

use super::StartPoint;
use crate::engine::diffusion::EnergyScheduler;
use crate::engine::energies::EnergyModel;
use crate::engine::field::{Field, Shape};
use crate::engine::method::Method;
use crate::engine::step_rule::RunConfig;
use crate::error::Result;
use crate::kernels::{ColorRange, Colormap};

/// How the frames of a render look.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Look {
    /// Frames to render.
    pub frames: u64,
    /// Simulation steps between frames.
    pub steps_per_frame: u64,
    /// Frames per second of the video.
    pub fps: u32,
    /// Colormap.
    pub colormap: Colormap,
    /// Colour range.
    pub range: ColorRange,
    /// Whether the energy/entropy overlay is drawn.
    pub overlay: bool,
    /// Pixels per lattice site.
    pub scale: u32,
}

/// A scene with every default filled in: what a job runs.
#[derive(Clone, Debug)]
pub struct ResolvedScene {
    /// The title.
    pub title: String,
    /// The energy.
    pub model: EnergyModel,
    /// The field's shape, `[chains, 1, height, width]` (points and graphs: `[chains, 1, 1, D]`).
    pub shape: Shape,
    /// A starting field of that shape; `None`: the model's own at the seed (see
    /// [`ResolvedScene::initial_field`]).
    pub initial: Option<Field>,
    /// Where the run continues (a resumed scene); step 0 for a new run.
    pub start: StartPoint,
    /// The integrator.
    pub method: Method,
    /// The run: step size, temperature schedule, burn-in, steps and records. For DDPM and DDIM,
    /// `steps` is the number of reverse steps.
    pub run: RunConfig,
    /// The noise schedule of DDPM and DDIM (`Diffusion.timesteps`, `noiseSchedule`).
    pub scheduler: EnergyScheduler,
    /// The seed.
    pub seed: u32,
    /// How a render of it looks.
    pub look: Look,
}

impl ResolvedScene {
    /// The starting field: the one given, or the model's own (small noise, random spins, N(0, I)
    /// points) drawn from the seed; an error if its memory cannot be allocated.
    pub fn initial_field(&self) -> Result<Field> {
        match &self.initial {
            Some(field) => Ok(field.clone()),
            None => self.model.initial_field(self.shape, self.seed),
        }
    }

    /// The target temperature.
    pub fn temperature(&self) -> f32 {
        self.run.schedule.end
    }
}
