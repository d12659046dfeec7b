//! `idf sample`: a scene (the embedded default, a file, or `--model`) with the flags as
//! overrides of its keys, sampled, summarised and optionally written out.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context as _, Result};
use clap::Args;

use idf::jobs::config::Config;
use idf::jobs::sample::{sample, SampleReport};
use idf::jobs::scene::SceneParam;
use idf::{Context, Method, Scene};

/// The flags of `idf sample`; each but `--scene`, `--config`, `--backend`, `--out`, `--trace`
/// and `--json` overrides the scene key of the same name.
#[derive(Args)]
pub struct SampleArgs {
    /// Scene file; its keys are defaults that the flags below override (default: the embedded scene).
    #[arg(long)]
    scene: Option<PathBuf>,
    /// Configuration file (defaults: Diffusion.timesteps, noiseSchedule, batchSize).
    #[arg(long)]
    config: Option<PathBuf>,
    #[arg(long, help = super::models_help())]
    model: Option<String>,
    /// Sample the energy an `idf train` checkpoint fitted: its model and fitted parameters
    /// (--param still overrides one); or, for a checkpoint of `idf train --denoiser`, draw
    /// maps by DDPM or DDIM (--integrator, --steps, --chains, --seed, --condition, --guidance,
    /// --energy-guidance, --out).
    #[arg(long, value_name = "CKPT")]
    checkpoint: Option<PathBuf>,
    /// Model parameter KEY=VALUE (repeatable), e.g. kappa=0.5, or for gmm means=-2,0;2,1.
    #[arg(long = "param", value_name = "KEY=VALUE")]
    params: Vec<String>,
    /// Square lattice N×N.
    #[arg(long, conflicts_with = "shape")]
    size: Option<usize>,
    /// Lattice HxW, e.g. 64x128.
    #[arg(long)]
    shape: Option<String>,
    /// Independent chains (default: Diffusion.batchSize).
    #[arg(long)]
    chains: Option<usize>,
    #[arg(long, help = format!("Integrator: {} (default langevin)", Method::names()))]
    integrator: Option<String>,
    /// Leapfrog steps per HMC trajectory (default 10).
    #[arg(long)]
    leapfrog_steps: Option<u32>,
    /// Steps after burn-in (ddpm: timesteps; ddim: its steps).
    #[arg(long)]
    steps: Option<u64>,
    /// Steps before recording starts.
    #[arg(long)]
    burn_in: Option<u64>,
    /// Record observables every K steps.
    #[arg(long)]
    record_every: Option<u64>,
    /// Step size η (Metropolis on continuous fields: proposal width).
    #[arg(long, allow_negative_numbers = true)]
    step_size: Option<f32>,
    /// Target temperature T.
    #[arg(long, allow_negative_numbers = true)]
    temperature: Option<f32>,
    /// constant, linear, geometric or cosine (from --t-start down to --temperature).
    #[arg(long)]
    schedule: Option<String>,
    /// Starting (hot) temperature of non-constant schedules (default 10·T).
    #[arg(long, allow_negative_numbers = true)]
    t_start: Option<f32>,
    /// Seed.
    #[arg(long)]
    seed: Option<u32>,
    /// auto, gpu or cpu (default: IDF_BACKEND, else auto).
    #[arg(long)]
    backend: Option<String>,
    /// Write the final samples, [chains, channels, height, width], as .npy or .h5.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Write the recorded observables (the trace) as .h5.
    #[arg(long)]
    trace: Option<PathBuf>,
    /// Print one JSON object instead of the summary.
    #[arg(long)]
    json: bool,
    /// With a denoiser checkpoint: the value of one of its conditions, NAME=VALUE (repeatable;
    /// give all, or none for unconditional samples).
    #[arg(long = "condition", value_name = "NAME=VALUE", requires = "checkpoint")]
    conditions: Vec<String>,
    /// With a denoiser checkpoint: the classifier-free guidance weight w ≥ 0 (ε̂ = (1 + w)
    /// ε(x, c) − w ε(x, ∅); 0: none).
    #[arg(long, requires = "checkpoint", default_value_t = 0.0)]
    guidance: f32,
    /// With a denoiser checkpoint: tilt the samples towards low energy of the data's model
    /// with weight W ≥ 0 (score + W ᾱ_t (−∇E/T); 0: none).
    #[arg(long, requires = "checkpoint", default_value_t = 0.0, value_name = "W")]
    energy_guidance: f32,
}

fn parse_shape(text: &str) -> Result<[usize; 2]> {
    let parts: Vec<&str> = text.split(['x', 'X']).collect();
    let [h, w] = parts[..] else {
        bail!("--shape: expected HxW such as 64x128, got `{text}`");
    };
    let parse = |s: &str| {
        s.trim()
            .parse::<usize>()
            .with_context(|| format!("--shape: `{s}` is not a whole number"))
    };
    Ok([parse(h)?, parse(w)?])
}

impl SampleArgs {
    /// The scene these flags describe: `--scene` (or the embedded default, or an empty scene
    /// for `--model`) with every given flag overriding its key.
    fn scene(&self) -> Result<Scene> {
        let mut base = match &self.scene {
            Some(path) => Scene::load(path)?,
            None if self.model.is_none() && self.checkpoint.is_none() => Scene::default_scene(),
            None => Scene::default(),
        };
        // A different --model starts from that model's defaults, not the scene's parameters.
        if self.model.is_some() && base.model != self.model {
            base.params.clear();
            base.guidance = None;
        }
        let mut params = std::collections::BTreeMap::new();
        let (mut model, mut energy) = match &self.model {
            Some(name) => Scene::command_line_model(name)?,
            None => (None, None),
        };
        if let Some(path) = &self.checkpoint {
            let fitted = idf::jobs::train::TrainState::read(path)?.fitted_model()?;
            if let Some(other) = self.model.as_deref().filter(|m| *m != fitted.name()) {
                anyhow::bail!(
                    "--checkpoint: {} fits {}, not {other}",
                    path.display(),
                    fitted.name()
                );
            }
            base.params.clear();
            base.guidance = None;
            model = None;
            energy = Some(fitted);
        }
        for p in &self.params {
            let (k, v) = super::parse_param(p)?;
            params.insert(k, SceneParam::Text(v));
        }
        let size = match (&self.size, &self.shape) {
            (Some(n), _) => Some([*n, *n]),
            (None, Some(s)) => Some(parse_shape(s)?),
            (None, None) => None,
        };
        let overrides = Scene {
            model,
            params,
            size,
            chains: self.chains,
            integrator: self.integrator.clone(),
            leapfrog_steps: self.leapfrog_steps,
            steps: self.steps,
            burn_in: self.burn_in,
            record_every: self.record_every,
            step_size: self.step_size,
            temperature: self.temperature,
            schedule: self.schedule.clone(),
            t_start: self.t_start,
            seed: self.seed,
            energy,
            ..Scene::default()
        };
        Ok(base.with_overrides(&overrides)?)
    }
}

/// Samples a denoiser checkpoint; the flags of a scene have no meaning there.
#[cfg(feature = "neural")]
fn sample_denoiser(args: &SampleArgs, path: &Path) -> Result<()> {
    let scene_flags = [
        ("--scene", args.scene.is_some()),
        ("--config", args.config.is_some()),
        ("--model", args.model.is_some()),
        ("--param", !args.params.is_empty()),
        ("--size", args.size.is_some()),
        ("--shape", args.shape.is_some()),
        ("--leapfrog-steps", args.leapfrog_steps.is_some()),
        ("--burn-in", args.burn_in.is_some()),
        ("--record-every", args.record_every.is_some()),
        ("--step-size", args.step_size.is_some()),
        ("--temperature", args.temperature.is_some()),
        ("--schedule", args.schedule.is_some()),
        ("--t-start", args.t_start.is_some()),
        ("--trace", args.trace.is_some()),
    ];
    if let Some((flag, _)) = scene_flags.iter().find(|(_, given)| *given) {
        bail!(
            "{flag}: {} is a denoiser checkpoint, whose maps come from its network (its shape \
             and schedule are the checkpoint's)",
            path.display()
        );
    }
    super::denoiser::sample(super::denoiser::DenoiserSampleArgs {
        checkpoint: path,
        chains: args.chains,
        integrator: args.integrator.as_deref(),
        steps: args.steps,
        seed: args.seed,
        conditions: &args.conditions,
        guidance: args.guidance,
        energy_guidance: args.energy_guidance,
        out: args.out.as_deref(),
        json: args.json,
        backend: args.backend.as_deref(),
    })
}

/// Runs `idf sample`.
pub fn run(args: SampleArgs) -> Result<()> {
    #[cfg(feature = "neural")]
    if let Some(path) = &args.checkpoint {
        let format = idf::jobs::checkpoint::checkpoint_format(path)?;
        if format == idf::jobs::checkpoint::DENOISER_FORMAT {
            return sample_denoiser(&args, path);
        }
    }
    if !args.conditions.is_empty() || args.guidance != 0.0 || args.energy_guidance != 0.0 {
        bail!(
            "--condition, --guidance and --energy-guidance apply to denoiser checkpoints (idf train --denoiser)"
        );
    }
    let config = match &args.config {
        Some(path) => Config::load(path)?,
        None => Config::default(),
    };
    let job = args.scene()?.resolve(&config)?;
    if let Some(path) = &args.trace {
        idf::io::hdf5::check_trace_path(path)?;
    }
    if let Some(path) = &args.out {
        idf::io::check_field_path(path)?;
    }
    let ctx = super::context(args.backend.as_deref())?;
    let bar = super::progress::bar(0, "steps", format!("{} {}", job.model.name(), job.method));
    let report = sample(&ctx, &job, &mut |done, total| {
        bar.set_length(total);
        bar.set_position(done);
    });
    bar.finish_and_clear();
    let report = report?;
    if let Some(out) = &args.out {
        idf::io::write_field(out, &report.field)?;
    }
    if let Some(path) = &args.trace {
        idf::io::hdf5::write_trace(path, &report.trace)?;
    }
    for warning in &report.warnings {
        eprintln!("idf: warning: {warning}");
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report.to_json())?);
    } else {
        print_summary(&report, &ctx, args.out.as_deref());
    }
    Ok(())
}

fn print_summary(r: &SampleReport, ctx: &Context, out: Option<&Path>) {
    println!(
        "idf sample: {} ({}) on {}",
        r.model.name(),
        r.model.params_json(),
        ctx.describe()
    );
    println!(
        "  shape {:?}, {}, {} steps, step size {}, T = {}, seed {}, {:.0} ms",
        r.field.shape().dims(),
        r.method,
        r.steps,
        r.step_size,
        r.temperature,
        r.seed,
        r.wall_ms
    );
    println!(
        "  final: energy/site {:.5}, mean {:.5}, variance {:.5}",
        r.final_stats.energy_per_site, r.final_stats.mean, r.final_stats.variance
    );
    println!("  estimates (mean ± standard error from the autocorrelation time, ESS):");
    for (name, e) in &r.estimates {
        match (e.stderr, e.ess) {
            (Some(se), Some(ess)) => {
                println!("    {name:<18} {:>12.6} ± {se:.6}   ESS {ess:.0}", e.mean)
            }
            _ => println!("    {name:<18} {:>12.6}", e.mean),
        }
    }
    if let Some(out) = out {
        println!("  wrote {}", out.display());
    }
}
