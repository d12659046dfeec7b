//! `idf train`: fit an energy's parameters to an Energy Atlas dataset by maximum likelihood
//! (persistent contrastive divergence; for Ising also pseudo-likelihood), with standard errors.

use std::path::PathBuf;

use anyhow::Result;
use clap::Args;
use serde_json::json;

use idf::io::atlas::Atlas;
use idf::jobs::config::Config;
use idf::jobs::train::{ising_pseudo_likelihood, train_diffusion, TrainSpec};

/// The flags of `idf train`.
#[derive(Args)]
pub struct TrainArgs {
    #[arg(long, help = super::models_help())]
    model: String,
    /// The dataset: an Energy Atlas .h5 file or a directory of .npy maps with conditions.csv.
    #[arg(long)]
    data: PathBuf,
    /// Starting value of a parameter, KEY=VALUE (repeatable; default: the model's defaults).
    #[arg(long = "param", value_name = "KEY=VALUE")]
    params: Vec<String>,
    /// Hold a parameter at its starting value (repeatable).
    #[arg(long = "fix", value_name = "NAME")]
    fixed: Vec<String>,
    /// Updates.
    #[arg(long, default_value_t = 2000)]
    steps: u64,
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
    /// idf.yaml whose Diffusion section gives the defaults.
    #[arg(long)]
    config: Option<PathBuf>,
    /// Where the curves, the fitted parameters and their errors are written as JSON.
    #[arg(long, default_value = "metrics/training.json")]
    metrics: PathBuf,
    /// Print one JSON object.
    #[arg(long)]
    json: bool,
}

/// Runs `idf train`.
pub fn run(args: TrainArgs) -> Result<()> {
    let config = match &args.config {
        Some(path) => Config::load(path)?,
        None => Config::default(),
    };
    let params = args
        .params
        .iter()
        .map(|p| super::parse_param(p))
        .collect::<Result<Vec<_>>>()?;
    let model = idf::EnergyModel::from_params(&args.model, &params)?;
    let atlas = Atlas::open(&args.data)?;
    atlas.verify_maps()?;
    let spec = TrainSpec {
        model,
        fixed: args.fixed,
        steps: args.steps,
        batch_size: args.batch_size.unwrap_or(config.diffusion.batch_size),
        chains: args.chains.unwrap_or(config.diffusion.batch_size),
        sampler_steps: args.sampler_steps,
        learning_rate: args.learning_rate.unwrap_or(config.diffusion.learning_rate),
        seed: args.seed,
    };
    let ctx = super::context(args.backend.as_deref())?;
    let bar = super::progress::bar(spec.steps, "updates", "fitting");
    let report = train_diffusion(&ctx, &config, &atlas, &spec, &mut |done, total| {
        bar.set_length(total);
        bar.set_position(done);
    })?;
    bar.finish_and_clear();
    let pseudo = match args.model.as_str() {
        "ising" => Some(ising_pseudo_likelihood(&atlas)?),
        _ => None,
    };
    let params_json = |params: &[idf::jobs::train::FittedParam]| {
        serde_json::Value::Object(
            params
                .iter()
                .map(|p| {
                    let v = json!({"mean": p.mean, "stderr": p.stderr, "fixed": p.fixed});
                    (p.name.clone(), v)
                })
                .collect(),
        )
    };
    let summary = json!({
        "model": args.model,
        "data": args.data,
        "params": params_json(&report.params),
        "pseudo_likelihood": pseudo.as_ref().map(|p| params_json(p)),
        "loss": report.loss,
        "steps": report.steps,
        "samples": report.samples,
        "temperature": report.temperature,
        "wall_ms": report.wall_ms,
        "backend": report.backend,
        "metrics": args.metrics,
    });
    let mut metrics = summary.clone();
    metrics["curve"] = serde_json::to_value(&report.curve)?;
    idf::io::write_atomic(
        &args.metrics,
        serde_json::to_string_pretty(&metrics)?.as_bytes(),
    )?;
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
            "{} updates on {} in {:.1} s; curves in {}",
            report.steps,
            report.backend,
            report.wall_ms / 1e3,
            args.metrics.display()
        );
    }
    Ok(())
}
