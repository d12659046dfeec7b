//! `idf train --denoiser` (learn a conditional ε-prediction network from an Energy Atlas
//! dataset, with checkpoints every K steps that `--resume` continues bit for bit) and
//! `idf sample --checkpoint DENOISER.ckpt` (DDPM or DDIM maps at given conditions).

use std::path::{Path, PathBuf};

use anyhow::{bail, Result};
use serde_json::json;

use idf::io::atlas::Atlas;
use idf::jobs::config::Config;
use idf::jobs::denoiser::checkpoint::{DenoiserCheckpoint, Task};
use idf::jobs::denoiser::forecast::{evaluate_checkpoint, Forecaster};
use idf::jobs::denoiser::quality::{
    evaluate_samples, generalisation_gap, validation_gap, GeneralisationGap, GAP_MAPS,
};
use idf::jobs::denoiser::{
    describe, sample_checkpoint, train_denoiser_resumable, CheckpointDraw, DenoiserCheckpoints,
    DenoiserStart,
};
use idf::neural::{DenoiserShape, NeuralSampler, TrainingOptions};

/// Maps generated per held-out condition by `--eval` unless `--eval-samples` says.
const DEFAULT_EVAL_SAMPLES: usize = 256;

/// The gap's z-score above which `--eval` and `--validation-fraction` warn of memorisation.
const GAP_WARNING_Z: f64 = 3.0;

/// Every how many maps `--validation-fraction F` holds one out: round(1/F), for 0 < F ≤ 0.5.
fn validation_every(fraction: Option<f64>) -> Result<usize> {
    match fraction {
        None => Ok(0),
        Some(f) if f.is_finite() && f > 0.0 && f <= 0.5 => Ok((1.0 / f).round() as usize),
        Some(f) => bail!(
            "--validation-fraction: expected a fraction above 0 and at most 0.5 of the maps to hold out, got {f}"
        ),
    }
}

/// Prints a generalisation gap (`side`: which maps the held-out ones are) and, above
/// [`GAP_WARNING_Z`], the warning of memorisation.
fn report_gap(side: &str, gap: &GeneralisationGap) {
    eprintln!(
        "denoising loss on {} maps a side: training {:.4} ± {:.4}, {side} {:.4} ± {:.4}, gap {:.4} ± {:.4} (z {:.1})",
        gap.maps,
        gap.training_loss.mean,
        gap.training_loss.stderr,
        gap.held_out_loss.mean,
        gap.held_out_loss.stderr,
        gap.gap.mean,
        gap.gap.stderr,
        gap.gap_z
    );
    if gap.gap_z > GAP_WARNING_Z {
        eprintln!(
            "idf: warning: the network denoises its training maps better than {side} ones (z {:.1}): it memorises them, and its samples blend them; train on more maps, for fewer steps, or with the U-Net (Diffusion.denoiserNetwork: unet)",
            gap.gap_z
        );
    }
}

/// Where checkpoints go unless `--out` names the final one.
const CHECKPOINT_DIR: &str = "diffusion_checkpoints";

/// The flags of `idf train --denoiser` (the shared ones of `idf train`).
pub struct DenoiserTrainArgs {
    pub data: Option<PathBuf>,
    pub resume: Option<PathBuf>,
    pub out: Option<PathBuf>,
    pub checkpoint_every: u64,
    pub steps: Option<u64>,
    pub batch_size: Option<usize>,
    pub learning_rate: Option<f64>,
    pub condition_dropout: f32,
    pub timestep_power: f32,
    /// `Some(lead)` for `--forecast`.
    pub forecast: Option<usize>,
    pub eval: Option<PathBuf>,
    pub eval_samples: Option<usize>,
    pub validation_fraction: Option<f64>,
    pub seed: u32,
    pub config: Option<PathBuf>,
    pub metrics: PathBuf,
    pub plot: Option<PathBuf>,
    pub json: bool,
    /// `--backend`: the network runs on this context's device ([`idf::neural::use_context`]).
    pub backend: Option<String>,
}

/// Puts the network on the device of `--backend` (or `IDF_BACKEND`): a GPU context only where
/// burn can run on it (built with `neural-gpu`), and for `auto` only a hardware one (burn's
/// kernels on a software adapter such as lavapipe take about 15 times its CPU backend's time
/// a training step); otherwise the CPU, without opening a GPU device for nothing. A backend
/// that is not auto, gpu or cpu is refused either way.
fn choose_device(backend: Option<&str>) -> Result<()> {
    let choice = backend.map(str::parse::<idf::BackendChoice>).transpose()?;
    let ctx = if cfg!(feature = "neural-gpu") {
        let ctx = super::context(backend)?;
        let asked = choice.or_else(|| std::env::var("IDF_BACKEND").ok()?.parse().ok());
        let software = ctx
            .adapter_info()
            .is_some_and(|a| a.device_type == wgpu::DeviceType::Cpu);
        if software && asked != Some(idf::BackendChoice::Gpu) {
            idf::Context::cpu()
        } else {
            ctx
        }
    } else {
        if choice == Some(idf::BackendChoice::Gpu) {
            warn_network_on_cpu("--backend gpu");
        }
        idf::Context::cpu()
    };
    idf::neural::use_context(&ctx)?;
    Ok(())
}

/// Says on stderr that a GPU was asked for (`what`) but the network runs on the CPU, in a build
/// without `neural-gpu`; nothing in a build with it.
pub fn warn_network_on_cpu(what: &str) {
    if !cfg!(feature = "neural-gpu") {
        eprintln!(
            "warning: {what}: this idf was built without the feature `neural-gpu`, so the \
             network runs on the CPU (build with `--features neural-gpu` for burn's wgpu backend \
             on IDF's device)"
        );
    }
}

/// Runs `idf train --denoiser`.
pub fn train(args: DenoiserTrainArgs) -> Result<()> {
    if args.eval_samples.is_some() && (args.eval.is_none() || args.forecast.is_some()) {
        bail!("--eval-samples applies to --denoiser with --eval");
    }
    if args.forecast.is_some() && args.validation_fraction.is_some() {
        bail!("--validation-fraction: a forecaster is scored on held-out trajectories (--eval), not on a split of its pairs");
    }
    if args.resume.is_some() && args.validation_fraction.is_some() {
        bail!("--validation-fraction: a resumed run keeps the split of its checkpoint");
    }
    let eval_samples = args.eval_samples.unwrap_or(DEFAULT_EVAL_SAMPLES);
    if eval_samples < 2 {
        bail!(
            "--eval-samples: expected at least 2 maps per condition (a standard error needs two), got {eval_samples}"
        );
    }
    choose_device(args.backend.as_deref())?;
    let (start, data) = match &args.resume {
        Some(path) => {
            let checkpoint = DenoiserCheckpoint::read(path)?;
            match (checkpoint.task, args.forecast) {
                (Task::Denoise, Some(_)) => {
                    bail!(
                        "--forecast: {} is a denoiser of maps, not a forecaster",
                        path.display()
                    )
                }
                (Task::Forecast { lead }, Some(l)) if l != lead => {
                    bail!("--lead: the checkpoint forecasts {lead} recorded time(s) ahead, not {l}")
                }
                _ => {}
            }
            let steps = match args.steps {
                Some(s) => usize::try_from(s)?,
                None => checkpoint.state.options.steps,
            };
            let data = args.data.clone().unwrap_or(checkpoint.data.clone());
            let start = DenoiserStart::Resume {
                checkpoint: Box::new(checkpoint),
                steps,
            };
            (start, data)
        }
        None => {
            let config = match &args.config {
                Some(path) => Config::load(path)?,
                None => Config::default(),
            };
            let d = &config.diffusion;
            let shape = DenoiserShape {
                width: d.denoiser_width,
                depth: d.denoiser_depth,
                network: d.denoiser_network.parse()?,
                channels: d.denoiser_channels,
                ..DenoiserShape::default()
            };
            let options = TrainingOptions {
                steps: usize::try_from(args.steps.unwrap_or(2000))?,
                batch_size: args.batch_size.unwrap_or(d.batch_size),
                learning_rate: args.learning_rate.unwrap_or(d.learning_rate),
                condition_dropout: args.condition_dropout,
                timestep_power: args.timestep_power,
                seed: args.seed,
                ..TrainingOptions::default()
            };
            let data = args
                .data
                .clone()
                .expect("clap requires --data without --resume");
            let start = DenoiserStart::Fresh {
                task: match args.forecast {
                    Some(lead) => Task::Forecast { lead },
                    None => Task::Denoise,
                },
                shape,
                options,
                config: Box::new(config),
                validation_every: validation_every(args.validation_fraction)?,
            };
            (start, data)
        }
    };
    let atlas = Atlas::open(&data)?;
    let (end, task) = match &start {
        DenoiserStart::Fresh { options, task, .. } => (options.steps, *task),
        DenoiserStart::Resume { steps, checkpoint } => (*steps, checkpoint.task),
    };
    let held_out = args.eval.as_deref().map(Atlas::open).transpose()?;
    let stem = match task {
        Task::Denoise => "denoiser",
        Task::Forecast { .. } => "forecaster",
    };
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from(CHECKPOINT_DIR).join(format!("{stem}-{end}.ckpt")));
    let mut save = |checkpoint: &DenoiserCheckpoint| -> idf::Result<()> {
        let step = checkpoint.state.next_step;
        let path = if step == end {
            out.clone()
        } else {
            PathBuf::from(CHECKPOINT_DIR).join(format!("{stem}-{step}.ckpt"))
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| idf::IdfError::io(dir, e))?;
        }
        checkpoint.write(&path)
    };
    let mut checkpoints = DenoiserCheckpoints {
        every: usize::try_from(args.checkpoint_every)?,
        save: &mut save,
    };
    let bar = super::progress::bar(end as u64, "steps", format!("training the {stem}"));
    let result =
        train_denoiser_resumable(&atlas, start, &mut checkpoints, &mut |done, total, loss| {
            bar.set_length(total);
            bar.set_position(done);
            bar.set_message(format!("training the {stem} · loss {loss:.4}"));
        });
    bar.finish_and_clear();
    let (report, last) = result?;
    let last_names = last.condition_names.clone();
    let last_network = last.state.shape.network.name();
    let validation = validation_gap(&last, &atlas, GAP_MAPS)?;
    if let Some(gap) = &validation {
        report_gap("validation", gap);
    }
    let mut generalisation = None;
    let evaluation = match (&held_out, task) {
        (Some(held_out), Task::Forecast { .. }) => {
            let forecaster = Forecaster::from_checkpoint(&out, last)?;
            let bar = super::progress::bar(0, "pairs", "scoring the forecaster");
            let skill = evaluate_checkpoint(
                &idf::Context::cpu(),
                &forecaster,
                held_out,
                16,
                &mut |done, total| {
                    bar.set_length(total);
                    bar.set_position(done);
                },
            );
            bar.finish_and_clear();
            let skill = skill?;
            eprintln!(
                "held out ({} pairs, {} members): RMSE {:.5} (persistence {:.5}{}), CRPS {:.5} (persistence {:.5})",
                skill.pairs,
                skill.ensemble,
                skill.rmse,
                skill.rmse_persistence,
                skill
                    .rmse_physics
                    .map(|r| format!(", physics rollout {r:.5}"))
                    .unwrap_or_default(),
                skill.crps,
                skill.crps_persistence
            );
            if let Some(laws) = &skill.energy_laws {
                eprintln!(
                    "energy laws of the data's dynamics ({}): ELF {:.1}% of {} member forecasts{}",
                    laws.laws.join(", "),
                    100.0 * laws.elf,
                    laws.forecasts,
                    laws.first_violation
                        .as_ref()
                        .map(|v| format!("; first violation: {v}"))
                        .unwrap_or_default()
                );
            }
            Some(serde_json::to_value(skill)?)
        }
        (Some(held_out), Task::Denoise) => {
            let bar = super::progress::bar(0, "conditions", "scoring the samples");
            let points = evaluate_samples(
                &idf::Context::cpu(),
                &last,
                held_out,
                eval_samples,
                &mut |done, total| {
                    bar.set_length(total);
                    bar.set_position(done);
                },
            );
            bar.finish_and_clear();
            let points = points?;
            for p in &points {
                eprintln!(
                    "held out {:?}: energy/site {:.4} ± {:.4} (data {:.4} ± {:.4}, z {:.1}), |m| {:.4} ± {:.4} (data {:.4} ± {:.4}, z {:.1})",
                    p.conditions,
                    p.energy_per_site.mean,
                    p.energy_per_site.stderr,
                    p.energy_per_site_data.mean,
                    p.energy_per_site_data.stderr,
                    p.energy_z,
                    p.abs_magnetisation.mean,
                    p.abs_magnetisation.stderr,
                    p.abs_magnetisation_data.mean,
                    p.abs_magnetisation_data.stderr,
                    p.abs_magnetisation_z
                );
            }
            let gap = generalisation_gap(&last, &atlas, held_out, GAP_MAPS)?;
            report_gap("held out", &gap);
            generalisation = Some(gap);
            Some(serde_json::to_value(points)?)
        }
        (None, _) => None,
    };
    let plot = args
        .plot
        .clone()
        .unwrap_or_else(|| args.metrics.with_extension("png"));
    let [dim, conditions, width, depth, embedding] = report.network;
    let summary = json!({
        "kind": stem,
        "lead": match task {
            Task::Forecast { lead } => Some(lead),
            Task::Denoise => None,
        },
        "evaluation": evaluation,
        "generalisation": generalisation,
        "validation": validation,
        "data": data,
        "samples": report.samples,
        "network": {
            "type": last_network,
            "coordinates": dim,
            "conditions": conditions,
            "condition_names": last_names,
            "width": width,
            "depth": depth,
            "embedding": embedding,
        },
        "steps": report.steps,
        "steps_this_run": report.steps_this_run,
        "final_loss": report.final_loss,
        "wall_ms": report.wall_ms,
        "ms_per_step": report.ms_per_step,
        "backend": idf::neural::device_name(),
        "metrics": args.metrics,
        "plot": plot,
        "checkpoint": out,
    });
    let mut metrics = summary.clone();
    metrics["curve"] = json!({ "loss": report.losses });
    if let Some(dir) = args.metrics.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    idf::io::write_atomic(
        &args.metrics,
        serde_json::to_string_pretty(&metrics)?.as_bytes(),
    )?;
    idf::jobs::render::encode::write_png(&plot, &report.chart())?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&summary)?);
    } else {
        println!(
            "{stem}: {} steps, final loss {:.5} (mean of the last tenth), {:.2} ms a step",
            report.steps, report.final_loss, report.ms_per_step
        );
        eprintln!(
            "curves in {} and {}, checkpoint {}",
            args.metrics.display(),
            plot.display(),
            out.display()
        );
    }
    Ok(())
}

/// The flags of `idf sample` that a denoiser checkpoint uses.
pub struct DenoiserSampleArgs<'a> {
    pub checkpoint: &'a Path,
    pub chains: Option<usize>,
    pub integrator: Option<&'a str>,
    pub steps: Option<u64>,
    pub seed: Option<u32>,
    pub conditions: &'a [String],
    pub guidance: f32,
    pub energy_guidance: f32,
    pub out: Option<&'a Path>,
    pub json: bool,
    /// `--backend`: the network runs on this context's device ([`idf::neural::use_context`]).
    pub backend: Option<&'a str>,
}

/// Runs `idf sample --checkpoint DENOISER.ckpt`.
pub fn sample(args: DenoiserSampleArgs) -> Result<()> {
    choose_device(args.backend)?;
    let checkpoint = DenoiserCheckpoint::read(args.checkpoint)?;
    let timesteps = checkpoint.state.schedule.timesteps();
    let sampler = match args.integrator.unwrap_or("ddpm") {
        "ddpm" => {
            if let Some(s) = args.steps.filter(|&s| s != timesteps as u64) {
                bail!("--steps: DDPM runs all {timesteps} timesteps of the checkpoint's schedule, not {s}; use --integrator ddim for fewer");
            }
            NeuralSampler::Ddpm
        }
        "ddim" => NeuralSampler::Ddim {
            steps: usize::try_from(args.steps.unwrap_or(100.min(timesteps as u64)))?,
        },
        other => bail!("--integrator: a denoiser samples with ddpm or ddim, not `{other}`"),
    };
    let conditions = args
        .conditions
        .iter()
        .map(|c| {
            let (name, value) = super::parse_param(c)?;
            let value: f32 = value
                .parse()
                .map_err(|_| anyhow::anyhow!("--condition {name}: `{value}` is not a number"))?;
            Ok((name, value))
        })
        .collect::<Result<Vec<_>>>()?;
    for (name, value) in &conditions {
        let position = checkpoint.condition_names.iter().position(|n| n == name);
        if let Some([low, high]) = position.map(|i| checkpoint.condition_range[i]) {
            if *value < low || *value > high {
                eprintln!(
                    "idf: warning: --condition {name}={value} is outside the data's {low} to {high}: the network extrapolates"
                );
            }
        }
    }
    if let Some(path) = args.out {
        idf::io::check_field_path(path)?;
    }
    let chains = args
        .chains
        .unwrap_or(checkpoint.config.diffusion.batch_size);
    let seed = args.seed.unwrap_or(0);
    let bar = super::progress::bar(0, "steps", "denoising");
    let begin = std::time::Instant::now();
    let draw = CheckpointDraw {
        sampler,
        chains,
        conditions: &conditions,
        guidance: args.guidance,
        energy_guidance: args.energy_guidance,
        seed,
    };
    let field = sample_checkpoint(&checkpoint, &draw, &mut |done, total| {
        bar.set_length(total);
        bar.set_position(done);
    });
    bar.finish_and_clear();
    let field = field?;
    let wall_ms = begin.elapsed().as_secs_f64() * 1e3;
    if let Some(path) = args.out {
        idf::io::write_field(path, &field)?;
    }
    let data = field.data();
    let n = data.len() as f64;
    let mean = data.iter().map(|&v| v as f64).sum::<f64>() / n;
    let variance = data.iter().map(|&v| (v as f64 - mean).powi(2)).sum::<f64>() / n;
    let integrator = match sampler {
        NeuralSampler::Ddpm => "ddpm".to_string(),
        NeuralSampler::Ddim { steps } => format!("ddim ({steps} steps)"),
    };
    if args.json {
        let summary = json!({
            "checkpoint": args.checkpoint,
            "backend": idf::neural::device_name(),
            "fields_on_gpu": idf::neural::fields_stay_on_gpu(&idf::neural::device()),
            "integrator": integrator,
            "chains": chains,
            "shape": field.shape().dims(),
            "conditions": conditions.iter().map(|(n, v)| (n.clone(), json!(v))).collect::<serde_json::Map<_, _>>(),
            "guidance": args.guidance,
            "energy_guidance": args.energy_guidance,
            "seed": seed,
            "mean": mean,
            "variance": variance,
            "wall_ms": wall_ms,
            "out": args.out,
        });
        println!("{}", serde_json::to_string_pretty(&summary)?);
    } else {
        println!("idf sample: {}", describe(args.checkpoint, &checkpoint));
        println!(
            "  {} maps of {:?} by {integrator}, seed {seed}, {wall_ms:.0} ms",
            chains, checkpoint.map_shape
        );
        println!("  samples: mean {mean:.5}, variance {variance:.5}");
        if let Some(path) = args.out {
            println!("  written to {}", path.display());
        }
    }
    Ok(())
}
