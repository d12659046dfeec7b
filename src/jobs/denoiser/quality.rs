//! Sample quality of a denoiser against ground truth: at each condition of a held-out Energy
//! Atlas dataset (made by MCMC, `idf dataset synth`), the network's maps at that condition and
//! the dataset's maps are compared by energy per site (under the dataset's model with the
//! condition's parameters) and by |m|, the absolute mean of a map, each as a mean with its
//! standard error and the z-score of their difference. [`generalisation_gap`] compares the
//! network's denoising loss on held-out maps with that on maps it trained on, and
//! [`validation_gap`] does so on the maps a run held out of its own dataset: a network that
//! memorises its training maps draws blends of them, too smooth where the data are rough.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::context::Context;
use crate::engine::energies::EnergyModel;
use crate::engine::estimates::mean_and_stderr;
use crate::engine::field::{Field, Shape};
use crate::engine::simulation::Simulation;
use crate::error::{IdfError, Result};
use crate::io::atlas::Atlas;
use crate::jobs::denoiser::checkpoint::DenoiserCheckpoint;
use crate::jobs::denoiser::{held_out_for_validation, sample_checkpoint, CheckpointDraw};
use crate::neural::{denoising_losses, NeuralSampler};

/// A mean and its standard error (samples taken as independent: the network's are, and
/// `idf dataset synth` spaces its records by twice the autocorrelation time).
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct MeanError {
    /// The mean.
    pub mean: f64,
    /// Its standard error.
    pub stderr: f64,
}

impl MeanError {
    fn of(values: &[f64]) -> MeanError {
        let (mean, stderr) = mean_and_stderr(values);
        MeanError { mean, stderr }
    }

    /// (self − other) / √(se² + se'²).
    fn z(&self, other: &MeanError) -> f64 {
        (self.mean - other.mean) / self.stderr.hypot(other.stderr)
    }
}

/// One held-out condition's comparison.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct QualityPoint {
    /// The condition, by name.
    pub conditions: BTreeMap<String, f32>,
    /// Maps generated, and maps of the dataset at that condition.
    pub samples: [usize; 2],
    /// Energy per site of the generated maps.
    pub energy_per_site: MeanError,
    /// Energy per site of the dataset's maps.
    pub energy_per_site_data: MeanError,
    /// The z-score of the difference.
    pub energy_z: f64,
    /// |m| of the generated maps.
    pub abs_magnetisation: MeanError,
    /// |m| of the dataset's maps.
    pub abs_magnetisation_data: MeanError,
    /// The z-score of the difference.
    pub abs_magnetisation_z: f64,
}

/// Energy per site and |m| of each map of `field` under `model`.
fn observables(ctx: &Context, model: &EnergyModel, field: &Field) -> Result<(Vec<f64>, Vec<f64>)> {
    let shape = field.shape();
    let sites = (shape.channels * shape.height * shape.width) as f64;
    let energies = Simulation::new(ctx, model, field, 0)?.energies()?;
    let abs_m = (0..shape.chains)
        .map(|c| (field.chain(c).iter().map(|&v| v as f64).sum::<f64>() / sites).abs())
        .collect();
    Ok((energies.iter().map(|e| e / sites).collect(), abs_m))
}

/// Compares `samples` maps of the network at each distinct condition of `held_out` with the
/// dataset's maps there (ancestral DDPM over all timesteps, seeded per condition); `progress(done, total)`
/// per condition. Errors: a dataset of another map shape or other conditions, one without the
/// `model` of its provenance, a condition that is not a parameter of that model (other than
/// `temperature`), fewer than 2 `samples` (no standard error).
pub fn evaluate_samples(
    ctx: &Context,
    checkpoint: &DenoiserCheckpoint,
    held_out: &Atlas,
    samples: usize,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<Vec<QualityPoint>> {
    let bad = |message: String| IdfError::Dataset {
        path: held_out.path().to_path_buf(),
        dataset: "conditions".into(),
        message,
    };
    if samples < 2 {
        return Err(IdfError::invalid(
            "samples",
            format!("expected at least 2 maps per condition (a standard error needs two), got {samples}"),
        ));
    }
    let names = held_out.condition_names();
    if held_out.map_shape() != checkpoint.map_shape || names != checkpoint.condition_names {
        return Err(bad(format!(
            "maps of {:?} with conditions [{}]; the network's are {:?} with [{}]",
            held_out.map_shape(),
            names.join(", "),
            checkpoint.map_shape,
            checkpoint.condition_names.join(", ")
        )));
    }
    let Some(model_name) = held_out.provenance().get("model") else {
        return Err(bad("no `model` in its provenance: whose energy?".into()));
    };
    let k = names.len();
    let mut points: BTreeMap<Vec<u32>, Vec<usize>> = BTreeMap::new();
    for (i, row) in held_out.conditions().chunks_exact(k).enumerate() {
        points
            .entry(row.iter().map(|v| v.to_bits()).collect())
            .or_default()
            .push(i);
    }
    let [c, h, w] = held_out.map_shape();
    let mut out = Vec::with_capacity(points.len());
    for (done, (key, records)) in points.iter().enumerate() {
        let values: Vec<f32> = key.iter().map(|&b| f32::from_bits(b)).collect();
        let conditions: Vec<(String, f32)> = names.iter().cloned().zip(values).collect();
        let params: Vec<(String, String)> = conditions
            .iter()
            .filter(|(n, _)| n != "temperature")
            .map(|(n, v)| (n.clone(), v.to_string()))
            .collect();
        let model = EnergyModel::from_params(model_name, &params)
            .map_err(|e| bad(format!("model {model_name}: {e}")))?;
        let draw = CheckpointDraw {
            sampler: NeuralSampler::Ddpm,
            chains: samples,
            conditions: &conditions,
            guidance: 0.0,
            energy_guidance: 0.0,
            seed: done as u32,
        };
        let generated = sample_checkpoint(checkpoint, &draw, &mut |_, _| {})?;
        let data = Field::from_vec(
            Shape::new(records.len(), c, h, w)?,
            held_out.read_maps(records)?,
        )?;
        let (e_gen, m_gen) = observables(ctx, &model, &generated)?;
        let (e_data, m_data) = observables(ctx, &model, &data)?;
        let (e, e_ref) = (MeanError::of(&e_gen), MeanError::of(&e_data));
        let (m, m_ref) = (MeanError::of(&m_gen), MeanError::of(&m_data));
        out.push(QualityPoint {
            conditions: conditions.into_iter().collect(),
            samples: [samples, records.len()],
            energy_per_site: e,
            energy_per_site_data: e_ref,
            energy_z: e.z(&e_ref),
            abs_magnetisation: m,
            abs_magnetisation_data: m_ref,
            abs_magnetisation_z: m.z(&m_ref),
        });
        progress(done as u64 + 1, points.len() as u64);
    }
    Ok(out)
}

/// The denoising loss of a network on held-out maps against that on its training maps.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct GeneralisationGap {
    /// Maps scored on each side.
    pub maps: usize,
    /// Draws of (t, ε) per map.
    pub draws: usize,
    /// The mean loss per map on training maps.
    pub training_loss: MeanError,
    /// The mean loss per map on held-out maps.
    pub held_out_loss: MeanError,
    /// Held-out minus training loss, map by map with the same draws.
    pub gap: MeanError,
    /// gap / its standard error: above about 3, the network fits its training maps more
    /// closely than new ones.
    pub gap_z: f64,
}

/// Draws of (t, ε) per map in [`generalisation_gap`].
pub const GAP_DRAWS: usize = 8;

/// Maps scored on each side of a gap unless fewer exist.
pub const GAP_MAPS: usize = 512;

/// `count` of `indices`, spread evenly over them.
fn spread(indices: &[usize], count: usize) -> Vec<usize> {
    (0..count)
        .map(|i| indices[i * indices.len() / count])
        .collect()
}

/// Checks that `atlas` holds maps of the network's shape and conditions, naming the file.
fn check_fits(checkpoint: &DenoiserCheckpoint, atlas: &Atlas) -> Result<()> {
    if atlas.map_shape() == checkpoint.map_shape
        && atlas.condition_names() == checkpoint.condition_names.as_slice()
    {
        return Ok(());
    }
    Err(IdfError::Dataset {
        path: atlas.path().to_path_buf(),
        dataset: "maps".into(),
        message: format!(
            "maps of {:?} with conditions [{}]; the network's are {:?} with [{}]",
            atlas.map_shape(),
            atlas.condition_names().join(", "),
            checkpoint.map_shape,
            checkpoint.condition_names.join(", ")
        ),
    })
}

/// The records of `atlas` the network trained on: all but those its validation split held out.
fn trained_on(checkpoint: &DenoiserCheckpoint, atlas: &Atlas) -> Vec<usize> {
    (0..atlas.len())
        .filter(|&i| !held_out_for_validation(i, checkpoint.validation_every))
        .collect()
}

/// Scores `checkpoint`'s network on up to `maps` maps of `training` (the data it trained on,
/// less any maps its validation split held out) and as many of `held_out`, spread evenly over
/// each, with [`GAP_DRAWS`] draws of (t, ε) per map, the i-th map of each side with the same
/// draws ([`denoising_losses`]). Errors: datasets of other map shapes or conditions than the
/// network's (naming the file), a file that cannot be read.
pub fn generalisation_gap(
    checkpoint: &DenoiserCheckpoint,
    training: &Atlas,
    held_out: &Atlas,
    maps: usize,
) -> Result<GeneralisationGap> {
    check_fits(checkpoint, training)?;
    check_fits(checkpoint, held_out)?;
    let all: Vec<usize> = (0..held_out.len()).collect();
    loss_gap(
        checkpoint,
        (training, &trained_on(checkpoint, training)),
        (held_out, &all),
        maps,
    )
}

/// [`generalisation_gap`] on the maps of `atlas` that `checkpoint`'s validation split held out
/// of training (`idf train --validation-fraction`) against those it trained on; `None` for a
/// run without one. Errors: as [`generalisation_gap`].
pub fn validation_gap(
    checkpoint: &DenoiserCheckpoint,
    atlas: &Atlas,
    maps: usize,
) -> Result<Option<GeneralisationGap>> {
    let every = checkpoint.validation_every;
    if every == 0 {
        return Ok(None);
    }
    check_fits(checkpoint, atlas)?;
    let held: Vec<usize> = (0..atlas.len())
        .filter(|&i| held_out_for_validation(i, every))
        .collect();
    loss_gap(
        checkpoint,
        (atlas, &trained_on(checkpoint, atlas)),
        (atlas, &held),
        maps,
    )
    .map(Some)
}

/// The gap between up to `maps` of the `training` records and as many `held_out` records.
fn loss_gap(
    checkpoint: &DenoiserCheckpoint,
    training: (&Atlas, &[usize]),
    held_out: (&Atlas, &[usize]),
    maps: usize,
) -> Result<GeneralisationGap> {
    let count = maps.min(training.1.len()).min(held_out.1.len());
    if count < 2 {
        return Err(IdfError::invalid(
            "maps",
            format!("{count} maps a side leave no standard error; at least 2 are needed"),
        ));
    }
    let denoiser = checkpoint.state.denoiser()?;
    let k = checkpoint.condition_names.len();
    let losses = |(atlas, records): (&Atlas, &[usize])| -> Result<Vec<f64>> {
        let indices = spread(records, count);
        let rows: Vec<f32> = indices
            .iter()
            .flat_map(|&i| atlas.conditions()[i * k..(i + 1) * k].iter().copied())
            .collect();
        let points = atlas.read_maps(&indices)?;
        denoising_losses(
            &denoiser,
            &points,
            (k > 0).then_some(&rows[..]),
            GAP_DRAWS,
            0,
        )
    };
    let (train, held) = (losses(training)?, losses(held_out)?);
    let differences: Vec<f64> = held.iter().zip(&train).map(|(h, t)| h - t).collect();
    let gap = MeanError::of(&differences);
    Ok(GeneralisationGap {
        maps: count,
        draws: GAP_DRAWS,
        training_loss: MeanError::of(&train),
        held_out_loss: MeanError::of(&held),
        gap,
        // Identical sides (a dataset held out against itself) differ by exactly nothing.
        gap_z: if gap.stderr > 0.0 {
            gap.mean / gap.stderr
        } else {
            0.0
        },
    })
}
