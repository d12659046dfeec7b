//! `idf train`: fit an energy's parameters to an Energy Atlas dataset by maximum likelihood
//! (persistent contrastive divergence; for Ising also pseudo-likelihood), with standard errors,
//! saving checkpoints (`diffusion_checkpoints/MODEL-STEP.ckpt`) that `--resume` continues
//! exactly and `idf sample --checkpoint` samples; with `--denoiser`, learn a conditional
//! denoising network instead (`denoiser.rs`).

use std::path::PathBuf;

use anyhow::Result;
use clap::Args;
use serde_json::json;

use idf::io::atlas::Atlas;
use idf::jobs::config::Config;
use idf::jobs::train::TrainState;
use idf::jobs::train::{ising_pseudo_likelihood, train_resumable, Checkpoints, TrainSpec};

/// Where checkpoints go unless `--out` names the final one.
const CHECKPOINT_DIR: &str = "diffusion_checkpoints";

/// The flags of `idf train`.
#[derive(Args)]
pub struct TrainArgs {
    #[arg(long, help = super::models_help(), required_unless_present_any = ["resume", "denoiser", "forecast"])]
    model: Option<String>,
    /// Learn a conditional denoising network (ε-prediction, an MLP with FiLM; sizes from
    /// Diffusion.denoiserWidth and denoiserDepth) instead of an energy's parameters; the
    /// dataset's conditions are its conditioning vector.
    #[arg(long, conflicts_with_all = ["model", "params", "fixed", "bounds", "select", "chains"])]
    denoiser: bool,
    /// Learn a forecaster: a conditional denoiser of a trajectory's increment --lead recorded
    /// times ahead given its current map (the dataset needs a `time` condition, as
    /// `idf dataset synth --model heat_flow` records); POST /predict of `idf serve
    /// --checkpoint` runs it.
    #[arg(long, conflicts_with_all = ["model", "params", "fixed", "bounds", "select", "chains", "denoiser"])]
    forecast: bool,
    /// With --forecast: recorded times per lead.
    #[arg(long, requires = "forecast", default_value_t = 1)]
    lead: usize,
    /// With --denoiser: compare 256 maps generated at each condition of this held-out dataset
    /// with its maps (energy per site and |m|, means ± standard errors, z-scores), and the
    /// network's denoising loss on its maps with that on the training maps (the generalisation
    /// gap, a warning when it memorises); with
    /// --forecast: score the forecaster on its trajectories (RMSE and CRPS against persistence
    /// and, for heat flow, the physics rollout). Into the metrics file and printed.
    #[arg(long, value_name = "FILE")]
    eval: Option<PathBuf>,
    /// With --denoiser --eval: maps generated at each held-out condition (at least 2; the
    /// standard errors of the comparison shrink as 1/√N; default 256).
    #[arg(long, value_name = "N")]
    eval_samples: Option<usize>,
    /// With --denoiser: hold every round(1/F)-th map of the dataset out of training (0 < F ≤
    /// 0.5) and compare the network's denoising loss on them with that on its training maps at
    /// the end (the generalisation gap, `validation` in the metrics; a warning when it
    /// memorises). For data with no independent held-out set.
    #[arg(long, value_name = "F")]
    validation_fraction: Option<f64>,
    /// With --denoiser or --forecast: the fraction of samples trained without their conditions
    /// (0 to <1), which unconditional sampling and classifier-free guidance need.
    #[arg(long, default_value_t = 0.0)]
    condition_dropout: f32,
    /// With --denoiser or --forecast: draw the training timesteps as t/T = u^P, u uniform (1:
    /// uniform; 0.5: density ∝ t, the high-noise steps more often, whose errors the sampler
    /// amplifies), 0.1 to 10.
    #[arg(long, default_value_t = 1.0, value_name = "P")]
    timestep_power: f32,
    /// The dataset: an Energy Atlas .h5 file or a directory of .npy maps with conditions.csv
    /// (with --resume: default the checkpoint's).
    #[arg(long, required_unless_present = "resume")]
    data: Option<PathBuf>,
    /// Continue the fit a checkpoint saved, exactly (its settings; --steps sets a new end).
    #[arg(long, value_name = "CKPT")]
    resume: Option<PathBuf>,
    /// The final checkpoint (default: diffusion_checkpoints/MODEL-STEPS.ckpt).
    #[arg(long, value_name = "CKPT")]
    out: Option<PathBuf>,
    /// Save diffusion_checkpoints/MODEL-STEP.ckpt every K updates (0: only the final one).
    #[arg(long, default_value_t = 500)]
    checkpoint_every: u64,
    /// Starting value of a parameter, KEY=VALUE (repeatable; default: the model's defaults).
    #[arg(long = "param", value_name = "KEY=VALUE")]
    params: Vec<String>,
    /// Hold a parameter at its starting value (repeatable).
    #[arg(long = "fix", value_name = "NAME")]
    fixed: Vec<String>,
    /// Keep a parameter in an interval, NAME=MIN:MAX (an empty end is unbounded; repeatable).
    #[arg(long = "bound", value_name = "NAME=MIN:MAX")]
    bounds: Vec<String>,
    /// Fit only the records whose condition NAME holds VALUE, e.g. temperature=2.5 for one
    /// point of a grid (repeatable; with --resume, the checkpoint's).
    #[arg(long = "select", value_name = "NAME=VALUE", conflicts_with = "resume")]
    select: Vec<String>,
    /// Updates (default 2000; with --resume, the checkpoint's end).
    #[arg(long)]
    steps: Option<u64>,
    /// Data samples per update (default: Diffusion.batchSize).
    #[arg(long)]
    batch_size: Option<usize>,
    /// Persistent chains (default: Diffusion.batchSize).
    #[arg(long)]
    chains: Option<usize>,
    /// Sampler steps of the persistent chains between updates.
    #[arg(long, default_value_t = 1)]
    sampler_steps: u64,
    /// Adam's step size (default: Diffusion.learningRate).
    #[arg(long)]
    learning_rate: Option<f64>,
    /// Seed of the minibatch order and the chains.
    #[arg(long, default_value_t = 0)]
    seed: u32,
    /// auto, gpu or cpu (default: IDF_BACKEND, else auto).
    #[arg(long)]
    backend: Option<String>,
    /// idf.yaml whose Diffusion section gives the defaults (with --resume: the checkpoint's).
    #[arg(long, conflicts_with = "resume")]
    config: Option<PathBuf>,
    /// Where the curves, the fitted parameters and their errors are written as JSON.
    #[arg(long, default_value = "metrics/training.json")]
    metrics: PathBuf,
    /// Where the curves are drawn as PNG, the loss and each parameter with its estimate
    /// (default: beside --metrics, as .png).
    #[arg(long)]
    plot: Option<PathBuf>,
    /// Print one JSON object.
    #[arg(long)]
    json: bool,
}

#[cfg(feature = "neural")]
fn train_denoiser(args: TrainArgs) -> Result<()> {
    super::denoiser::train(super::denoiser::DenoiserTrainArgs {
        data: args.data,
        resume: args.resume,
        out: args.out,
        checkpoint_every: args.checkpoint_every,
        steps: args.steps,
        batch_size: args.batch_size,
        learning_rate: args.learning_rate,
        condition_dropout: args.condition_dropout,
        timestep_power: args.timestep_power,
        forecast: args.forecast.then_some(args.lead),
        eval: args.eval,
        eval_samples: args.eval_samples,
        validation_fraction: args.validation_fraction,
        seed: args.seed,
        config: args.config,
        metrics: args.metrics,
        plot: args.plot,
        json: args.json,
        backend: args.backend,
    })
}

#[cfg(not(feature = "neural"))]
fn train_denoiser(_: TrainArgs) -> Result<()> {
    anyhow::bail!("--denoiser: this idf was built without the `neural` feature")
}

/// Runs `idf train`.
pub fn run(args: TrainArgs) -> Result<()> {
    if let Some(plot) = &args.plot {
        let what = "the loss curve is drawn as PNG";
        idf::io::check_extension(plot, "plot", what, &["png"])?;
    }
    if args.denoiser || args.forecast {
        return train_denoiser(args);
    }
    let denoiser_flags = args.condition_dropout != 0.0
        || args.timestep_power != 1.0
        || args.eval.is_some()
        || args.eval_samples.is_some()
        || args.validation_fraction.is_some();
    if denoiser_flags {
        anyhow::bail!(
            "--condition-dropout, --timestep-power, --eval, --eval-samples and --validation-fraction apply to --denoiser and --forecast"
        );
    }
    let config = match &args.config {
        Some(path) => Config::load(path)?,
        None => Config::default(),
    };
    let resume = args.resume.as_deref().map(TrainState::read).transpose()?;
    let (spec, data) = match &resume {
        Some(state) => {
            let named = |m: &str| if m.ends_with(".wgsl") { "custom" } else { m }.to_string();
            if let Some(model) = args
                .model
                .as_deref()
                .filter(|m| named(m) != state.spec.model.name())
            {
                anyhow::bail!(
                    "--resume: the checkpoint fits {}, not {model}",
                    state.spec.model.name()
                );
            }
            let spec = TrainSpec {
                steps: args.steps.unwrap_or(state.spec.steps),
                ..state.spec.clone()
            };
            (spec, args.data.clone().unwrap_or(state.data.clone()))
        }
        None => {
            let params = args
                .params
                .iter()
                .map(|p| super::parse_param(p))
                .collect::<Result<Vec<_>>>()?;
            let name = args
                .model
                .as_deref()
                .expect("clap requires --model without --resume");
            let spec = TrainSpec {
                model: idf::EnergyModel::from_params(name, &params)?,
                fixed: args.fixed.clone(),
                bounds: args
                    .bounds
                    .iter()
                    .map(|b| b.parse())
                    .collect::<idf::Result<Vec<_>>>()?,
                select: args
                    .select
                    .iter()
                    .map(|c| c.parse())
                    .collect::<idf::Result<Vec<_>>>()?,
                steps: args.steps.unwrap_or(2000),
                batch_size: args.batch_size.unwrap_or(config.diffusion.batch_size),
                chains: args.chains.unwrap_or(config.diffusion.batch_size),
                sampler_steps: args.sampler_steps,
                learning_rate: args.learning_rate.unwrap_or(config.diffusion.learning_rate),
                seed: args.seed,
            };
            (
                spec,
                args.data
                    .clone()
                    .expect("clap requires --data without --resume"),
            )
        }
    };
    let atlas = Atlas::open(&data)?;
    atlas.verify_maps()?;
    let model_name = spec.model.name();
    let out = args.out.clone().unwrap_or_else(|| {
        PathBuf::from(CHECKPOINT_DIR).join(format!("{model_name}-{}.ckpt", spec.steps))
    });
    let mut save = |state: &TrainState| -> idf::Result<()> {
        let path = if state.next_step == spec.steps {
            out.clone()
        } else {
            PathBuf::from(CHECKPOINT_DIR).join(format!("{model_name}-{}.ckpt", state.next_step))
        };
        state.write(&path)
    };
    let mut checkpoints = Checkpoints {
        every: args.checkpoint_every,
        save: Some(&mut save),
    };
    let ctx = super::context(args.backend.as_deref())?;
    let bar = super::progress::bar(spec.steps, "updates", "fitting");
    let names: Vec<String> = spec.model.params().into_iter().map(|p| p.name).collect();
    let (report, _) = train_resumable(
        &ctx,
        &config,
        &atlas,
        &spec,
        resume,
        &mut checkpoints,
        &mut |done, total, last| {
            bar.set_length(total);
            bar.set_position(done);
            // The loss and the parameters as they move.
            if let Some(record) = last {
                let params: Vec<String> = names
                    .iter()
                    .zip(&record.params)
                    .map(|(n, v)| format!("{n} {v:.4}"))
                    .collect();
                bar.set_message(format!(
                    "fitting · loss {:.3e} · {}",
                    record.loss,
                    params.join(" ")
                ));
            }
        },
    )?;
    bar.finish_and_clear();
    let pseudo = match model_name {
        "ising" => Some(ising_pseudo_likelihood(&atlas, &spec.select)?),
        _ => None,
    };
    let params_json = |params: &[idf::jobs::train::FittedParam]| {
        serde_json::Value::Object(
            params
                .iter()
                .map(|p| {
                    let v = json!({
                        "mean": p.mean,
                        "stderr": p.stderr,
                        "stderr_data": p.stderr_data,
                        "stderr_optimizer": p.stderr_optimizer,
                        "fixed": p.fixed,
                    });
                    (p.name.clone(), v)
                })
                .collect(),
        )
    };
    let plot = args
        .plot
        .clone()
        .unwrap_or_else(|| args.metrics.with_extension("png"));
    let summary = json!({
        "model": model_name,
        "data": data,
        "select": spec.select.iter().map(ToString::to_string).collect::<Vec<_>>(),
        "params": params_json(&report.params),
        "pseudo_likelihood": pseudo.as_ref().map(|p| params_json(p)),
        "warnings": report.warnings,
        "loss": report.loss,
        "steps": report.steps,
        "samples": report.samples,
        "temperature": report.temperature,
        "wall_ms": report.wall_ms,
        "backend": report.backend,
        "metrics": args.metrics,
        "plot": plot,
        "checkpoint": out,
    });
    let mut metrics = summary.clone();
    metrics["curve"] = serde_json::to_value(&report.curve)?;
    idf::io::write_atomic(
        &args.metrics,
        serde_json::to_string_pretty(&metrics)?.as_bytes(),
    )?;
    idf::jobs::render::encode::write_png(&plot, &report.chart())?;
    for w in &report.warnings {
        eprintln!("warning: {w}");
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&summary)?);
    } else {
        for p in &report.params {
            let note = if p.fixed { " (fixed)" } else { "" };
            println!("{:<8} {:>10.5} ± {:.5}{note}", p.name, p.mean, p.stderr);
        }
        if let Some(pl) = &pseudo {
            for p in pl {
                println!(
                    "{:<8} {:>10.5} ± {:.5} (pseudo-likelihood)",
                    p.name, p.mean, p.stderr
                );
            }
        }
        eprintln!(
            "{} updates on {} in {:.1} s; curves in {} and {}, checkpoint {}",
            report.steps,
            report.backend,
            report.wall_ms / 1e3,
            args.metrics.display(),
            plot.display(),
            out.display()
        );
    }
    Ok(())
}
