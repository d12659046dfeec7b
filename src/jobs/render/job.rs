//! The run a render makes of a scene: one chain of a lattice energy, from step 0 (or where a
//! resumed scene left off), observed at every frame, for `frames × steps_per_frame` steps.

use crate::engine::energies::EnergyModel;
use crate::error::{IdfError, Result};
use crate::jobs::config::Config;
use crate::jobs::scene::{ResolvedScene, Scene};

/// Resolves `scene` for rendering: its look, and its run recast as one chain observed at every
/// frame. Energies without a lattice (points, graphs) have no picture and are refused.
pub fn render_job(scene: &Scene) -> Result<ResolvedScene> {
    let name = scene.model.as_deref().unwrap_or("phi4");
    // A user's WGSL energy (by value or by file) is a lattice field.
    let lattice = match &scene.energy {
        Some(model) => model.state().is_lattice(),
        None if name.ends_with(".wgsl") => true,
        None => EnergyModel::spec_named(name)?.state.is_lattice(),
    };
    if !lattice {
        let why = format!(
            "{name} has no lattice, so no picture; render one of {}",
            EnergyModel::named()
                .filter(|s| s.state.is_lattice())
                .map(|s| s.name)
                .collect::<Vec<_>>()
                .join(", ")
        );
        return Err(match &scene.source {
            Some(path) => IdfError::Config {
                path: path.clone(),
                message: format!("model: {why}"),
            },
            None => IdfError::invalid("model", why),
        });
    }
    let mut scene = scene.clone();
    scene.chains = Some(1);
    let mut job = scene.resolve(&Config::default())?;
    job.run.burn_in = 0;
    job.run.record_every = job.look.steps_per_frame;
    let length = job
        .look
        .frames
        .checked_mul(job.look.steps_per_frame)
        .ok_or_else(|| {
            IdfError::invalid(
                "frames",
                format!(
                    "{} frames of {} steps overflow a step count",
                    job.look.frames, job.look.steps_per_frame
                ),
            )
        })?;
    // The temperature schedule spans the scene's `steps` when it names them (and holds the
    // final temperature after), the render's length otherwise.
    if scene.steps.is_none() {
        job.run.steps = length;
    }
    job.run.check(&job.model, job.shape)?;
    Ok(job)
}
