//! `idf train --denoiser` and the sampling of its checkpoints: a conditional ε-prediction
//! network (`neural`) learnt from an Energy Atlas dataset, each map a point of D = C·H·W
//! coordinates and the dataset's conditions its conditioning vector; checkpoints every K steps
//! that continue bit for bit ([`checkpoint`]); DDPM or DDIM samples of maps at given
//! conditions ([`sample_checkpoint`]); and forecasters of trajectories ([`forecast`],
//! `idf train --forecast`), their forecasts checked against the laws of the data's dynamics
//! ([`forecast_laws`]).

pub mod checkpoint;
pub mod forecast;
pub mod forecast_laws;
pub mod quality;

use std::path::Path;
use std::time::Instant;

use serde::Serialize;

use crate::engine::diffusion::EnergyScheduler;
use crate::engine::energies::EnergyModel;
use crate::engine::field::{Field, Shape};
use crate::error::{IdfError, Result};
use crate::io::atlas::Atlas;
use crate::jobs::config::Config;
use crate::jobs::render::curves::{chart, Series};
use crate::jobs::render::frame::RgbFrame;
use crate::memory;
use crate::neural::{
    DenoiserShape, DenoiserTraining, EnergyGuidance, GuidingEnergy, NetworkKind, NeuralSampler,
    PointDataset, Sampling, TrainingOptions,
};

use checkpoint::{constant_value, resolve_conditions, DenoiserCheckpoint, Task};

/// Every map and condition of `atlas` as points of C·H·W coordinates. Errors: a dataset too
/// large for memory (naming it), non-finite values (naming the sample).
pub fn point_dataset(atlas: &Atlas) -> Result<PointDataset> {
    let [c, h, w] = atlas.map_shape();
    let indices: Vec<usize> = (0..atlas.len()).collect();
    // read_maps reserves N·C·H·W floats fallibly: too large a dataset is an OutOfMemory error.
    let samples = atlas.read_maps(&indices)?;
    let mut conditions = memory::reserved(atlas.conditions().len(), "conditions")?;
    conditions.extend_from_slice(atlas.conditions());
    Ok(PointDataset {
        samples,
        dim: c * h * w,
        conditions,
        condition_count: atlas.condition_names().len(),
    })
}

/// Whether record `index` is held out of training by a validation split that keeps back every
/// `every`-th record (the last of each `every`; 0: none).
pub fn held_out_for_validation(index: usize, every: usize) -> bool {
    every > 0 && index % every == every - 1
}

/// `data` without the points a validation split of `every` holds out.
fn without_held_out(data: PointDataset, every: usize) -> PointDataset {
    if every == 0 {
        return data;
    }
    let (d, c) = (data.dim, data.condition_count);
    let kept: Vec<usize> = (0..data.len())
        .filter(|&i| !held_out_for_validation(i, every))
        .collect();
    PointDataset {
        samples: kept
            .iter()
            .flat_map(|&i| data.samples[i * d..(i + 1) * d].iter().copied())
            .collect(),
        conditions: kept
            .iter()
            .flat_map(|&i| data.conditions[i * c..(i + 1) * c].iter().copied())
            .collect(),
        ..data
    }
}

/// How a run begins: fresh, or from a checkpoint.
pub enum DenoiserStart {
    /// A new network of these sizes, trained with these options.
    Fresh {
        /// What it learns.
        task: Task,
        /// The network and its hidden sizes (its D, map and conditions come from the data).
        shape: DenoiserShape,
        /// The run's options; `steps` is its end.
        options: TrainingOptions,
        /// The configuration it runs under (its noise schedule and timesteps are used).
        config: Box<Config>,
        /// Hold every `validation_every`-th map out of training, for the validation loss (0:
        /// none; a denoiser's only, at least 2).
        validation_every: usize,
    },
    /// A saved run, continued to `steps`.
    Resume {
        /// The checkpoint.
        checkpoint: Box<DenoiserCheckpoint>,
        /// The new end (the checkpoint's own to continue as if never stopped).
        steps: usize,
    },
}

/// Where checkpoints go: every `every` steps (0: only at the end), handed to `save`.
pub struct DenoiserCheckpoints<'a> {
    /// Steps between checkpoints (0: only the final one).
    pub every: usize,
    /// Writes one.
    pub save: &'a mut dyn FnMut(&DenoiserCheckpoint) -> Result<()>,
}

/// What a run gives back.
#[derive(Clone, Debug, Serialize)]
pub struct DenoiserReport {
    /// The batch loss (mean squared ε error) of every step, from the first step of the run.
    pub losses: Vec<f32>,
    /// Steps taken in all (including a resumed checkpoint's).
    pub steps: usize,
    /// Steps taken by this call.
    pub steps_this_run: usize,
    /// The mean loss of the last tenth of the steps.
    pub final_loss: f64,
    /// Wall time of this call (ms).
    pub wall_ms: f64,
    /// Training time per step in this call (ms).
    pub ms_per_step: f64,
    /// Samples in the dataset.
    pub samples: usize,
    /// The network's sizes: D, conditions, width, depth, embedding.
    pub network: [usize; 5],
}

impl DenoiserReport {
    /// The loss curve as a picture.
    pub fn chart(&self) -> RgbFrame {
        let loss = Series {
            title: "loss (mean squared error of the predicted noise)".into(),
            values: self.losses.iter().map(|&v| v as f64).collect(),
            estimate: None,
        };
        chart(&[loss], self.steps - self.steps / 10)
    }
}

/// What a task learns from a dataset: the points, the names of the conditions after any map
/// values, and each such condition's range.
struct TaskData {
    data: PointDataset,
    names: Vec<String>,
    ranges: Vec<[f32; 2]>,
}

fn task_data(atlas: &Atlas, task: Task) -> Result<TaskData> {
    let (data, names, skip) = match task {
        Task::Denoise => (point_dataset(atlas)?, atlas.condition_names().to_vec(), 0),
        Task::Forecast { lead } => {
            let (data, pairs) = forecast::forecast_dataset(atlas, lead)?;
            let skip = data.dim;
            (data, pairs.condition_names, skip)
        }
    };
    let width = data.condition_count;
    let ranges = (skip..width)
        .map(|j| {
            let column = data.conditions.iter().skip(j).step_by(width);
            let low = column.clone().copied().fold(f32::INFINITY, f32::min);
            [low, column.copied().fold(f32::NEG_INFINITY, f32::max)]
        })
        .collect();
    Ok(TaskData {
        data,
        names,
        ranges,
    })
}

fn check_atlas(atlas: &Atlas, names: &[String], checkpoint: &DenoiserCheckpoint) -> Result<()> {
    let fits = atlas.map_shape() == checkpoint.map_shape
        && names == checkpoint.condition_names.as_slice()
        && atlas.len() == checkpoint.samples;
    if fits {
        return Ok(());
    }
    Err(IdfError::Dataset {
        path: atlas.path().to_path_buf(),
        dataset: "maps".into(),
        message: format!(
            "{} maps of {:?} with conditions [{}]; the checkpoint trained on {} maps of {:?} \
             with conditions [{}]",
            atlas.len(),
            atlas.map_shape(),
            names.join(", "),
            checkpoint.samples,
            checkpoint.map_shape,
            checkpoint.condition_names.join(", ")
        ),
    })
}

/// Trains (or continues) a denoiser or forecaster on `atlas`, saving checkpoints;
/// `progress(done, total, loss)` after each step. Errors: a checkpoint whose data differ from
/// `atlas`, a forecaster's dataset without trajectories, bad sizes or options (named), a loss
/// that is not finite, a failed save.
pub fn train_denoiser_resumable(
    atlas: &Atlas,
    start: DenoiserStart,
    checkpoints: &mut DenoiserCheckpoints,
    progress: &mut dyn FnMut(u64, u64, f32),
) -> Result<(DenoiserReport, DenoiserCheckpoint)> {
    let (task, validation_every) = match &start {
        DenoiserStart::Fresh {
            task,
            validation_every,
            ..
        } => (*task, *validation_every),
        DenoiserStart::Resume { checkpoint, .. } => (checkpoint.task, checkpoint.validation_every),
    };
    match (task, validation_every) {
        (_, 0) => {}
        (Task::Forecast { .. }, _) => return Err(IdfError::invalid(
            "validation_every",
            "a forecaster is scored on held-out trajectories (--eval), not a split of its pairs",
        )),
        (Task::Denoise, 1) => {
            return Err(IdfError::invalid(
                "validation_every",
                "1 would hold out every map and train on none",
            ))
        }
        (Task::Denoise, _) => {}
    }
    let TaskData {
        data,
        names,
        ranges,
    } = task_data(atlas, task)?;
    // every ≥ 2 never holds out the first map: something is always left to train on.
    let data = without_held_out(data, validation_every);
    let (mut run, config) = match start {
        DenoiserStart::Fresh {
            shape,
            options,
            config,
            ..
        } => {
            let schedule =
                EnergyScheduler::new(config.noise_schedule(), config.diffusion.timesteps)?;
            let shape = DenoiserShape {
                map: atlas.map_shape(),
                ..shape
            };
            (
                DenoiserTraining::start(&data, shape, &schedule, &options)?,
                *config,
            )
        }
        DenoiserStart::Resume { checkpoint, steps } => {
            check_atlas(atlas, &names, &checkpoint)?;
            let checkpoint = *checkpoint;
            let config = checkpoint.config.clone();
            (DenoiserTraining::resume(checkpoint.state, steps)?, config)
        }
    };
    let snapshot = |run: &DenoiserTraining| -> Result<DenoiserCheckpoint> {
        Ok(DenoiserCheckpoint {
            state: run.state()?,
            task,
            config: config.clone(),
            data: atlas.path().to_path_buf(),
            map_shape: atlas.map_shape(),
            condition_names: names.clone(),
            condition_range: ranges.clone(),
            data_model: atlas.provenance().get("model").cloned(),
            samples: atlas.len(),
            validation_every,
        })
    };
    let begin = Instant::now();
    let first = run.next_step();
    let end = run.options().steps;
    while run.next_step() < end {
        let loss = run.step(&data)?;
        let done = run.next_step();
        if checkpoints.every > 0 && done % checkpoints.every == 0 && done < end {
            (checkpoints.save)(&snapshot(&run)?)?;
        }
        progress(done as u64, end as u64, loss);
    }
    let last = snapshot(&run)?;
    (checkpoints.save)(&last)?;
    let wall_ms = begin.elapsed().as_secs_f64() * 1e3;
    let losses = run.losses().to_vec();
    let tail = &losses[losses.len() - (losses.len() / 10).max(1)..];
    let s = last.state.shape;
    let taken = end - first;
    Ok((
        DenoiserReport {
            final_loss: tail.iter().map(|&v| v as f64).sum::<f64>() / tail.len() as f64,
            steps: end,
            steps_this_run: taken,
            wall_ms,
            ms_per_step: wall_ms / taken.max(1) as f64,
            samples: atlas.len(),
            network: [s.dim, s.conditions, s.width, s.depth, s.embedding],
            losses,
        },
        last,
    ))
}

/// What [`sample_checkpoint`] draws.
#[derive(Clone, Copy, Debug)]
pub struct CheckpointDraw<'a> {
    /// DDPM or DDIM.
    pub sampler: NeuralSampler,
    /// Maps to draw (at least 1).
    pub chains: usize,
    /// Values of the checkpoint's conditions (`NAME`, value): each that varies in the data
    /// needs one (one that never varied defaults to its value); none at all samples
    /// unconditionally, which needs a network trained with condition dropout.
    pub conditions: &'a [(String, f32)],
    /// The classifier-free guidance weight (0: none).
    pub guidance: f32,
    /// The weight of the data's energy ([`EnergyGuidance`]; 0: none).
    pub energy_guidance: f32,
    /// The noise's seed.
    pub seed: u32,
}

/// Draws maps from a denoiser checkpoint as `draw` says: `[chains, C, H, W]`. Errors (named):
/// unknown or missing condition names, unconditional sampling of a network never trained
/// without its conditions, zero chains, bad DDIM steps or guidance.
pub fn sample_checkpoint(
    checkpoint: &DenoiserCheckpoint,
    draw: &CheckpointDraw,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<Field> {
    let CheckpointDraw {
        sampler,
        chains,
        conditions,
        guidance,
        energy_guidance,
        seed,
    } = *draw;
    if let Task::Forecast { .. } = checkpoint.task {
        return Err(IdfError::invalid(
            "checkpoint",
            "a forecaster draws next states of a given map: POST /predict of `idf serve \
             --checkpoint` runs it",
        ));
    }
    let names = &checkpoint.condition_names;
    let ranges = &checkpoint.condition_range;
    let varying: Vec<&str> = names
        .iter()
        .zip(ranges)
        .filter(|(_, r)| constant_value(r).is_none())
        .map(|(n, _)| n.as_str())
        .collect();
    let condition = if conditions.is_empty() && !varying.is_empty() {
        if checkpoint.state.options.condition_dropout == 0.0 {
            return Err(IdfError::invalid(
                "condition",
                format!(
                    "the network was trained with its conditions always given: name a value \
                     for {}, or train with --condition-dropout for unconditional samples",
                    varying.join(", ")
                ),
            ));
        }
        None
    } else {
        let values = resolve_conditions(names, ranges, conditions, "condition")?;
        (!values.is_empty()).then_some(values)
    };
    if chains == 0 {
        return Err(IdfError::invalid("chains", "expected at least 1"));
    }
    let [c, h, w] = checkpoint.map_shape;
    let shape = Shape::new(chains, c, h, w)?;
    let denoiser = checkpoint.state.denoiser()?;
    let rows = condition.as_ref().map(|c| c.repeat(chains));
    let tilt = match energy_guidance {
        0.0 => None,
        _ => Some(data_energy(checkpoint, condition.as_deref())?),
    };
    let energy = tilt.as_ref().map(|(model, temperature)| EnergyGuidance {
        weight: energy_guidance,
        energy: GuidingEnergy::Model {
            model,
            temperature: *temperature,
            map: checkpoint.map_shape,
        },
    });
    let how = Sampling {
        guidance,
        energy: energy.as_ref(),
        ..Sampling::new(sampler, seed)
    };
    let values = denoiser.sample_rows(chains, rows.as_deref(), &how, progress)?;
    Field::from_vec(shape, values)
}

/// The energy of the checkpoint's data at `condition` (its model, from the dataset's
/// provenance, with the condition's parameters) and the condition's temperature (1 if it has
/// none). Errors: data that name no model, parameters the model refuses.
fn data_energy(
    checkpoint: &DenoiserCheckpoint,
    condition: Option<&[f32]>,
) -> Result<(EnergyModel, f32)> {
    let bad = |message: String| IdfError::invalid("energy_guidance", message);
    let Some(name) = &checkpoint.data_model else {
        return Err(bad(
            "the checkpoint's dataset names no model in its provenance: whose energy?".into(),
        ));
    };
    let values = condition.unwrap_or_default();
    let pairs: Vec<(&String, f32)> = checkpoint
        .condition_names
        .iter()
        .zip(values.iter().copied())
        .collect();
    let params: Vec<(String, String)> = pairs
        .iter()
        .filter(|(n, _)| n.as_str() != "temperature")
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect();
    let model = EnergyModel::from_params(name, &params)
        .map_err(|e| bad(format!("the data's model {name}: {e}")))?;
    // A model of spins or a temperature that is not positive is refused by the draw
    // (EnergyGuidance::check).
    let temperature = pairs
        .iter()
        .find(|(n, _)| n.as_str() == "temperature")
        .map_or(1.0, |(_, v)| *v);
    Ok((model, temperature))
}

/// One line that says what a checkpoint holds (for the CLI).
pub fn describe(path: &Path, checkpoint: &DenoiserCheckpoint) -> String {
    let s = &checkpoint.state;
    let network = match s.shape.network {
        NetworkKind::Mlp => format!("MLP of width {}, depth {}", s.shape.width, s.shape.depth),
        NetworkKind::UNet => format!("U-Net of {} channels", s.shape.channels),
    };
    format!(
        "{}: denoiser of {} coordinates ({:?} maps), {} conditions [{}], {network}, {} of {} steps, {} {} timesteps",
        path.display(),
        s.shape.dim,
        checkpoint.map_shape,
        s.shape.conditions,
        checkpoint.condition_names.join(", "),
        s.next_step,
        s.options.steps,
        s.schedule.timesteps(),
        checkpoint::schedule_name(s.schedule.kind())
    )
}
