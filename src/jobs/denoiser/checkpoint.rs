//! Denoiser checkpoints (`diffusion_checkpoints/denoiser-STEP.ckpt`): an HDF5 file (format
//! `idf-denoiser-checkpoint`) with everything a run needs to continue exactly: the network's
//! sizes, the training options, the noise schedule, the data's per-coordinate mean and variance
//! (`data_mean`, `data_variance`, [D] f32), the losses so far (`losses`, f32), and the weights,
//! their moving average and Adam's state as burn records (`model`, `ema`, `optimizer`: u8
//! datasets holding burnpack bytes, burn's own format, written and read by burn); plus the
//! dataset's map shape, condition names and ranges (`condition_range`, [K, 2] f32), its path and
//! the resolved `idf.yaml`, and its `task` (`denoise`, or `forecast` with its `lead`). Written
//! through a temporary name, so a checkpoint on disk is always complete. A part-1 checkpoint (a
//! fitted energy) is refused with an error that says what it is, and the part-1 reader refuses
//! this one the same way.

use std::path::{Path, PathBuf};

use crate::engine::diffusion::{EnergyScheduler, NoiseSchedule};
use crate::error::{IdfError, Result};
use crate::io::hdf5::{open, write_text_attr, write_with, Items};
use crate::jobs::checkpoint::{DENOISER_FORMAT, FORMAT as ENERGY_FORMAT};
use crate::jobs::config::Config;
use crate::neural::{DataStatistics, DenoiserShape, DenoiserState, TrainingOptions};

/// The version this build writes and reads.
pub const FORMAT_VERSION: u64 = 1;

/// The one value of a condition whose range in the data is a single value up to f32 rounding
/// (a relative spread under 10⁻⁵: lead times computed as differences of recorded times vary in
/// their last bits), its midpoint; `None` for a condition that varies.
pub fn constant_value(range: &[f32; 2]) -> Option<f32> {
    let [low, high] = *range;
    (high - low <= 1e-5 * low.abs().max(high.abs())).then_some(0.5 * (low + high))
}

/// The values of conditions `names` (with their `ranges` in the training data) from `given`
/// (name, value), in order: a condition that never varied ([`constant_value`]) defaults to its
/// value; one that varied needs a value. Errors name `param`: an unknown name, a missing
/// value.
pub fn resolve_conditions(
    names: &[String],
    ranges: &[[f32; 2]],
    given: &[(String, f32)],
    param: &str,
) -> Result<Vec<f32>> {
    if let Some((name, _)) = given.iter().find(|(n, _)| !names.contains(n)) {
        let known = if names.is_empty() {
            "none".to_string()
        } else {
            names.join(", ")
        };
        return Err(IdfError::invalid(
            param,
            format!("`{name}` is not a condition of this network (it has: {known})"),
        ));
    }
    names
        .iter()
        .zip(ranges)
        .map(
            |(name, range)| match given.iter().find(|(n, _)| n == name) {
                Some((_, v)) => Ok(*v),
                None => constant_value(range).ok_or_else(|| {
                    IdfError::invalid(
                        param,
                        format!(
                            "no value for `{name}`, which varies in the training data ({} to {})",
                            range[0], range[1]
                        ),
                    )
                }),
            },
        )
        .collect()
}

/// What a network learns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Task {
    /// The data's maps given their conditions (attribute `task` = `denoise`).
    Denoise,
    /// The increment of a trajectory `lead` recorded times ahead given its current map and
    /// conditions (`task` = `forecast`, attribute `lead`): a forecaster.
    Forecast {
        /// Recorded times ahead.
        lead: usize,
    },
}

/// A denoiser run as saved: its state and where its data came from.
#[derive(Clone, Debug)]
pub struct DenoiserCheckpoint {
    /// The training state (weights, optimiser, statistics, options, schedule, losses).
    pub state: DenoiserState,
    /// What it learns.
    pub task: Task,
    /// The resolved configuration of the run.
    pub config: Config,
    /// The dataset it trains on.
    pub data: PathBuf,
    /// The dataset's map shape [C, H, W] (C·H·W = the network's D).
    pub map_shape: [usize; 3],
    /// The names of the conditions the network takes (in order; a forecaster takes its current
    /// map's C·H·W values before them).
    pub condition_names: Vec<String>,
    /// The smallest and largest value of each condition in the dataset (a condition that
    /// never varies needs no value when sampling).
    pub condition_range: Vec<[f32; 2]>,
    /// Samples in the dataset.
    pub samples: usize,
    /// Every `validation_every`-th map of the dataset was held out of training, for the
    /// validation loss (`idf train --validation-fraction`; 0: none; attribute
    /// `validation_every`, absent from older files, which held none out).
    pub validation_every: usize,
    /// The model whose energy the dataset samples (its provenance's `model`; attribute
    /// `data_model`), for energy guidance.
    pub data_model: Option<String>,
}

/// The `Diffusion.noiseSchedule` name of a schedule family.
pub fn schedule_name(kind: NoiseSchedule) -> &'static str {
    match kind {
        NoiseSchedule::Cosine => "cosine",
        NoiseSchedule::Linear => "linear",
    }
}

impl DenoiserCheckpoint {
    /// Writes the checkpoint to `path` atomically.
    pub fn write(&self, path: &Path) -> Result<()> {
        let config = serde_yaml::to_string(&self.config)
            .map_err(|e| IdfError::invalid("config", e.to_string()))?;
        let s = &self.state;
        write_with(path, |f| {
            write_text_attr(f, "format", DENOISER_FORMAT)?;
            write_text_attr(f, "idf_version", env!("CARGO_PKG_VERSION"))?;
            write_text_attr(f, "weights_format", "burnpack (burn 0.22)")?;
            write_text_attr(f, "network", s.shape.network.name())?;
            let lead = match self.task {
                Task::Denoise => {
                    write_text_attr(f, "task", "denoise")?;
                    None
                }
                Task::Forecast { lead } => {
                    write_text_attr(f, "task", "forecast")?;
                    Some(lead as u64)
                }
            };
            if let Some(lead) = lead {
                f.new_attr::<u64>().create("lead")?.write_scalar(&lead)?;
            }
            write_text_attr(f, "noise_schedule", schedule_name(s.schedule.kind()))?;
            write_text_attr(f, "conditions", &self.condition_names.join(","))?;
            write_text_attr(f, "config", &config)?;
            write_text_attr(f, "data", &self.data.to_string_lossy())?;
            if let Some(model) = &self.data_model {
                write_text_attr(f, "data_model", model)?;
            }
            let o = &s.options;
            for (name, value) in [
                ("format_version", FORMAT_VERSION),
                ("timesteps", s.schedule.timesteps() as u64),
                ("dim", s.shape.dim as u64),
                ("condition_count", s.shape.conditions as u64),
                ("width", s.shape.width as u64),
                ("depth", s.shape.depth as u64),
                ("embedding", s.shape.embedding as u64),
                ("channels", s.shape.channels as u64),
                ("steps", o.steps as u64),
                ("batch_size", o.batch_size as u64),
                ("seed", o.seed as u64),
                ("next_step", s.next_step as u64),
                ("samples", self.samples as u64),
                ("validation_every", self.validation_every as u64),
            ] {
                f.new_attr::<u64>().create(name)?.write_scalar(&value)?;
            }
            f.new_attr::<u64>()
                .shape(3)
                .create("map_shape")?
                .write_raw(&self.map_shape.map(|v| v as u64))?;
            f.new_attr::<f64>()
                .create("learning_rate")?
                .write_scalar(&o.learning_rate)?;
            for (name, value) in [
                ("clip_norm", o.clip_norm),
                ("ema_decay", o.ema_decay),
                ("condition_dropout", o.condition_dropout),
                ("timestep_power", o.timestep_power),
            ] {
                f.new_attr::<f32>().create(name)?.write_scalar(&value)?;
            }
            for (name, values) in [
                ("data_mean", &s.statistics.mean),
                ("data_variance", &s.statistics.variance),
                ("losses", &s.losses),
            ] {
                f.new_dataset::<f32>()
                    .shape(values.len())
                    .create(name)?
                    .write_raw(values)?;
            }
            let range: Vec<f32> = self.condition_range.iter().flatten().copied().collect();
            f.new_dataset::<f32>()
                .shape([self.condition_range.len(), 2])
                .create("condition_range")?
                .write_raw(&range)?;
            for (name, bytes) in [
                ("model", &s.model),
                ("ema", &s.ema),
                ("optimizer", &s.optimizer),
            ] {
                f.new_dataset::<u8>()
                    .shape(bytes.len())
                    .create(name)?
                    .write_raw(bytes)?;
            }
            Ok(())
        })
    }

    /// Reads a checkpoint. Errors name the file: not a checkpoint, a part-1 (fitted energy)
    /// checkpoint, another format version, missing or inconsistent attributes and datasets.
    pub fn read(path: &Path) -> Result<DenoiserCheckpoint> {
        let file = open(path)?;
        let items = Items::new(&file, path);
        let bad = |message: String| items.error(message);
        let text = |name: &str| items.text(name);
        let format = text("format")
            .map_err(|_| bad("no `format` attribute: not an IDF checkpoint".into()))?;
        if format == ENERGY_FORMAT {
            return Err(bad(
                "this is an energy checkpoint of `idf train --model` (fitted parameters), not a \
                 denoiser: sample it with `idf sample --checkpoint`, continue it with \
                 `idf train --resume` without --denoiser"
                    .into(),
            ));
        }
        if format != DENOISER_FORMAT {
            return Err(bad(format!(
                "format `{format}` is not an IDF denoiser checkpoint"
            )));
        }
        let int = |name: &str| items.scalar::<u64>(name);
        let version = int("format_version")?;
        if version != FORMAT_VERSION {
            return Err(bad(format!(
                "denoiser checkpoint format version {version}; this IDF reads version {FORMAT_VERSION}"
            )));
        }
        let small = |name: &str| items.scalar::<f32>(name);
        let floats = |name: &str| items.values::<f32>(name);
        let bytes = |name: &str| items.values::<u8>(name);
        let map_shape: Vec<u64> = items.attr_values("map_shape")?;
        let [c, h, w] = map_shape[..] else {
            return Err(bad(format!(
                "`map_shape` has {} values, not 3",
                map_shape.len()
            )));
        };
        let map_shape = [c as usize, h as usize, w as usize];
        let shape = DenoiserShape {
            dim: int("dim")? as usize,
            conditions: int("condition_count")? as usize,
            width: int("width")? as usize,
            depth: int("depth")? as usize,
            embedding: int("embedding")? as usize,
            network: text("network")?
                .parse()
                .map_err(|e| bad(format!("its network: {e}")))?,
            map: map_shape,
            channels: int("channels")? as usize,
        };
        if map_shape.iter().product::<usize>() != shape.dim {
            return Err(bad(format!(
                "its maps {map_shape:?} do not have the network's {} coordinates",
                shape.dim
            )));
        }
        shape
            .check()
            .map_err(|e| bad(format!("its network: {e}")))?;
        let names = text("conditions")?;
        let condition_names: Vec<String> = names
            .split(',')
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect();
        let task = match text("task")?.as_str() {
            "denoise" => Task::Denoise,
            "forecast" => Task::Forecast {
                lead: int("lead")? as usize,
            },
            other => return Err(bad(format!("task `{other}` is not denoise or forecast"))),
        };
        let map_inputs = match task {
            Task::Denoise => 0,
            Task::Forecast { .. } => shape.dim,
        };
        if condition_names.len() + map_inputs != shape.conditions {
            return Err(bad(format!(
                "{} condition names (and {map_inputs} map values) for a network of {} conditions",
                condition_names.len(),
                shape.conditions
            )));
        }
        let range = floats("condition_range")?;
        if range.len() != 2 * condition_names.len() {
            return Err(bad(format!(
                "`condition_range` holds {} values for {} conditions",
                range.len(),
                condition_names.len()
            )));
        }
        let statistics = DataStatistics {
            mean: floats("data_mean")?,
            variance: floats("data_variance")?,
        };
        if statistics.mean.len() != shape.dim || statistics.variance.len() != shape.dim {
            return Err(bad(format!(
                "`data_mean` and `data_variance` must hold {} values",
                shape.dim
            )));
        }
        let kind: NoiseSchedule = text("noise_schedule")?
            .parse()
            .map_err(|e| bad(format!("{e}")))?;
        let schedule = EnergyScheduler::new(kind, int("timesteps")? as usize)
            .map_err(|e| bad(format!("its schedule: {e}")))?;
        let losses = floats("losses")?;
        let next_step = int("next_step")? as usize;
        if losses.len() != next_step {
            return Err(bad(format!(
                "{} losses for {next_step} steps taken",
                losses.len()
            )));
        }
        let learning_rate = items.scalar::<f64>("learning_rate")?;
        let options = TrainingOptions {
            steps: int("steps")? as usize,
            batch_size: int("batch_size")? as usize,
            learning_rate,
            clip_norm: small("clip_norm")?,
            ema_decay: small("ema_decay")?,
            condition_dropout: small("condition_dropout")?,
            // Checkpoints from before the option drew t uniformly.
            timestep_power: if items.has_attr("timestep_power") {
                small("timestep_power")?
            } else {
                1.0
            },
            seed: int("seed")? as u32,
        };
        options
            .check()
            .map_err(|e| bad(format!("its options: {e}")))?;
        Ok(DenoiserCheckpoint {
            task,
            state: DenoiserState {
                shape,
                statistics,
                options,
                schedule,
                model: bytes("model")?,
                ema: bytes("ema")?,
                optimizer: bytes("optimizer")?,
                next_step,
                losses,
            },
            config: Config::parse(&text("config")?, path)?,
            data: PathBuf::from(text("data")?),
            map_shape,
            condition_names,
            condition_range: range.chunks(2).map(|r| [r[0], r[1]]).collect(),
            samples: int("samples")? as usize,
            validation_every: if items.has_attr("validation_every") {
                int("validation_every")? as usize
            } else {
                0
            },
            data_model: text("data_model").ok(),
        })
    }
}
