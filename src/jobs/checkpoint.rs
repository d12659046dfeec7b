//! Training checkpoints (`diffusion_checkpoints/NAME-STEP.ckpt`): an HDF5 file with everything
//! a fit needs to continue exactly where it stopped: the parameters, Adam's moments, the
//! persistent chains and the step counter that keys their random numbers, the minibatch cursor,
//! the running averages behind the estimate and its errors, the curves so far, the fit's
//! settings and the resolved `idf.yaml` (as YAML, attribute `config`): a [`TrainState`] (defined with the fit, in `train.rs`) as a file. Written through a
//! temporary name, so a checkpoint on disk is always complete.

use std::path::{Path, PathBuf};

use hdf5_metno as hdf5;

use crate::engine::energies::custom::CustomEnergy;
use crate::engine::energies::EnergyModel;
use crate::error::{IdfError, Result};
use crate::io::hdf5::{get_field, open, put_field, write_text_attr, write_with, Items};
use crate::jobs::config::Config;
use crate::jobs::train::{ConditionValue, ParamBound, TrainRecord, TrainSpec, TrainState};

/// The `format` attribute of a checkpoint.
pub const FORMAT: &str = "idf-train-checkpoint";
/// The `format` attribute of a denoiser checkpoint (`idf train --denoiser`; written and read by
/// `jobs::denoiser::checkpoint` when the `neural` feature is on).
pub const DENOISER_FORMAT: &str = "idf-denoiser-checkpoint";
/// The version this build writes and reads (3 added the records' selection, `select`).
pub const FORMAT_VERSION: u64 = 3;

/// The `format` attribute of an IDF checkpoint file: [`FORMAT`] for a fitted energy,
/// [`DENOISER_FORMAT`] for a denoiser. Errors: the file cannot be opened, or has no `format`
/// (naming the file).
pub fn checkpoint_format(path: &Path) -> Result<String> {
    let file = open(path)?;
    let found = Items::new(&file, path);
    found
        .text("format")
        .map_err(|_| found.error("no `format` attribute: not an IDF checkpoint".into()))
}

impl TrainState {
    /// Writes the checkpoint to `path` atomically.
    pub fn write(&self, path: &Path) -> Result<()> {
        let k = self.theta.len();
        let config = serde_yaml::to_string(&self.config)
            .map_err(|e| IdfError::invalid("config", e.to_string()))?;
        write_with(path, |f| {
            write_text_attr(f, "format", FORMAT)?;
            f.new_attr::<u64>()
                .create("format_version")?
                .write_scalar(&FORMAT_VERSION)?;
            write_text_attr(f, "idf_version", env!("CARGO_PKG_VERSION"))?;
            write_text_attr(f, "model", self.spec.model.name())?;
            if let EnergyModel::Custom(custom) = &self.spec.model {
                write_text_attr(f, "wgsl", custom.source())?;
            }
            let names: Vec<String> = self
                .spec
                .model
                .params()
                .into_iter()
                .map(|p| p.name)
                .collect();
            write_text_attr(f, "param_names", &names.join(","))?;
            write_text_attr(f, "fixed", &self.spec.fixed.join(","))?;
            let bounds: Vec<String> = self.spec.bounds.iter().map(|b| b.to_string()).collect();
            write_text_attr(f, "bounds", &bounds.join(","))?;
            let select: Vec<String> = self.spec.select.iter().map(|c| c.to_string()).collect();
            write_text_attr(f, "select", &select.join(","))?;
            write_text_attr(f, "config", &config)?;
            write_text_attr(f, "data", &self.data.to_string_lossy())?;
            for (name, value) in [
                ("samples", self.samples as u64),
                ("steps", self.spec.steps),
                ("batch_size", self.spec.batch_size as u64),
                ("chains", self.spec.chains as u64),
                ("sampler_steps", self.spec.sampler_steps),
                ("seed", self.spec.seed as u64),
                ("next_step", self.next_step),
                ("sampler_step", self.sampler_step),
                ("cursor_epoch", self.cursor.0),
                ("cursor_position", self.cursor.1 as u64),
            ] {
                f.new_attr::<u64>().create(name)?.write_scalar(&value)?;
            }
            f.new_attr::<f64>()
                .create("learning_rate")?
                .write_scalar(&self.spec.learning_rate)?;
            for (name, values) in [
                ("theta", &self.theta),
                ("adam_m", &self.adam_m),
                ("adam_v", &self.adam_v),
                ("fitted", &self.fitted()),
            ] {
                f.new_dataset::<f64>()
                    .shape(values.len())
                    .create(name)?
                    .write_raw(values)?;
            }
            let moments: Vec<f64> = self.moments.iter().flatten().copied().collect();
            f.new_dataset::<f64>()
                .shape([self.moments.len(), 1 + k + k * k])
                .create("moments")?
                .write_raw(&moments)?;
            let steps: Vec<u64> = self.curve.iter().map(|r| r.step).collect();
            let losses: Vec<f64> = self.curve.iter().map(|r| r.loss).collect();
            let params: Vec<f64> = self.curve.iter().flat_map(|r| r.params.clone()).collect();
            let curve = f.create_group("curve")?;
            curve
                .new_dataset::<u64>()
                .shape(steps.len())
                .create("step")?
                .write_raw(&steps)?;
            curve
                .new_dataset::<f64>()
                .shape(losses.len())
                .create("loss")?
                .write_raw(&losses)?;
            curve
                .new_dataset::<f64>()
                .shape([self.curve.len(), k])
                .create("params")?
                .write_raw(&params)?;
            put_field(&f.create_group("chains")?, &self.chains)
        })
    }

    /// Reads a checkpoint. Errors name the file: not a checkpoint, another format version, a
    /// model the registry does not know, missing or inconsistent datasets.
    pub fn read(path: &Path) -> Result<TrainState> {
        let file = open(path)?;
        let found = Items::new(&file, path);
        let bad = |message: String| found.error(message);
        let h5 = |e: hdf5::Error| bad(format!("HDF5: {e}"));
        let text = |name: &str| found.text(name);
        let format = text("format")
            .map_err(|_| bad("no `format` attribute: not an IDF training checkpoint".into()))?;
        if format == DENOISER_FORMAT {
            return Err(bad(
                "this is a denoiser checkpoint of `idf train --denoiser`, not a fitted energy: \
                 continue it with `idf train --denoiser --resume`"
                    .into(),
            ));
        }
        if format != FORMAT {
            return Err(bad("not an IDF training checkpoint".into()));
        }
        let int = |name: &str| found.scalar::<u64>(name);
        let version = int("format_version")?;
        if version != FORMAT_VERSION {
            return Err(bad(format!(
                "checkpoint format version {version}; this IDF reads version {FORMAT_VERSION}"
            )));
        }
        let real = |name: &str| found.scalar::<f64>(name);
        let vector = |name: &str| found.values::<f64>(name);
        let model_name = text("model")?;
        let names = text("param_names")?;
        let theta = vector("theta")?;
        let mut model = match model_name.as_str() {
            "custom" => {
                let source = text("wgsl")?;
                EnergyModel::Custom(
                    CustomEnergy::parse(&source)
                        .map_err(|d| bad(format!("its WGSL energy no longer validates: {d}")))?,
                )
            }
            name => EnergyModel::from_params(name, &[])?,
        };
        let own: Vec<String> = model.params().into_iter().map(|p| p.name).collect();
        if own.join(",") != names || theta.len() != own.len() {
            return Err(bad(format!(
                "its parameters ({names}) are not those of {model_name} in this IDF ({})",
                own.join(",")
            )));
        }
        for (name, value) in own.iter().zip(&theta) {
            model.set_value(name, *value as f32)?;
        }
        let k = theta.len();
        let moments = vector("moments")?;
        let width = 1 + k + k * k;
        let curve = file.group("curve").map_err(h5)?;
        let steps = curve
            .dataset("step")
            .and_then(|d| d.read_raw::<u64>())
            .map_err(h5)?;
        let losses = curve
            .dataset("loss")
            .and_then(|d| d.read_raw::<f64>())
            .map_err(h5)?;
        let params = curve
            .dataset("params")
            .and_then(|d| d.read_raw::<f64>())
            .map_err(h5)?;
        if losses.len() != steps.len()
            || params.len() != steps.len() * k
            || moments.len() != steps.len() * width
        {
            return Err(bad(
                "its curves or chain statistics do not match its parameters".into(),
            ));
        }
        let fixed = text("fixed")?;
        // A comma-separated attribute of items that parse.
        fn items<T: std::str::FromStr<Err = IdfError>>(text: &str) -> Result<Vec<T>> {
            text.split(',')
                .filter(|s| !s.is_empty())
                .map(str::parse)
                .collect()
        }
        let bounds: Vec<ParamBound> =
            items(&text("bounds")?).map_err(|e| bad(format!("its `bounds` attribute: {e}")))?;
        let select: Vec<ConditionValue> =
            items(&text("select")?).map_err(|e| bad(format!("its `select` attribute: {e}")))?;
        let config = Config::parse(&text("config")?, path)?;
        Ok(TrainState {
            config,
            spec: TrainSpec {
                model,
                fixed: fixed
                    .split(',')
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .collect(),
                bounds,
                select,
                steps: int("steps")?,
                batch_size: int("batch_size")? as usize,
                chains: int("chains")? as usize,
                sampler_steps: int("sampler_steps")?,
                learning_rate: real("learning_rate")?,
                seed: int("seed")? as u32,
            },
            data: PathBuf::from(text("data")?),
            samples: int("samples")? as usize,
            theta,
            adam_m: vector("adam_m")?,
            adam_v: vector("adam_v")?,
            next_step: int("next_step")?,
            moments: moments.chunks(width).map(<[f64]>::to_vec).collect(),
            curve: steps
                .iter()
                .zip(&losses)
                .zip(params.chunks(k.max(1)))
                .map(|((step, loss), p)| TrainRecord {
                    step: *step,
                    loss: *loss,
                    params: p.to_vec(),
                })
                .collect(),
            chains: get_field(&file.group("chains").map_err(h5)?, path)?,
            sampler_step: int("sampler_step")?,
            cursor: (int("cursor_epoch")?, int("cursor_position")? as usize),
        })
    }
}
