//! `idf dataset`: Energy Atlas datasets (`docs/energy_atlas.md`) made by IDF's own samplers
//! (`synth`, shardable), joined from shards (`merge`) and summarised (`info`).

use std::path::PathBuf;

use anyhow::Result;
use clap::{Args, Subcommand};

use idf::jobs::config::Config;
use idf::jobs::dataset::{info, merge, synth, GridAxis, Shard, SynthSpec};

/// The subcommands of `idf dataset`.
#[derive(Subcommand)]
pub enum DatasetCommand {
    /// Sample a model over a grid of conditions into an Energy Atlas file (.h5).
    Synth(Box<SynthArgs>),
    /// Join the shards of one `synth` run into the file one worker would have written.
    Merge(MergeArgs),
    /// Check a dataset (every map read once) and print its shapes, conditions and provenance.
    Info(InfoArgs),
}

/// The flags of `idf dataset synth`.
#[derive(Args)]
pub struct SynthArgs {
    #[arg(long, help = super::models_help())]
    model: String,
    /// Model parameter KEY=VALUE held at every grid point (repeatable).
    #[arg(long = "param", value_name = "KEY=VALUE")]
    params: Vec<String>,
    /// Temperature where the grid does not set it.
    #[arg(long, default_value_t = 1.0)]
    temperature: f32,
    /// A grid axis NAME=FROM:TO:COUNT or NAME=V1,V2,… over the temperature or a parameter
    /// (repeatable; the grid is their product, the first varying slowest).
    #[arg(long = "conditions", value_name = "NAME=FROM:TO:COUNT")]
    conditions: Vec<String>,
    /// Square lattice N×N.
    #[arg(long, conflicts_with = "shape")]
    size: Option<usize>,
    /// Lattice HxW.
    #[arg(long)]
    shape: Option<String>,
    /// Samples per grid point.
    #[arg(long)]
    samples: usize,
    /// Chains per grid point (default: min(samples, 32)).
    #[arg(long)]
    chains: Option<usize>,
    /// Steps of burn-in at each grid point.
    #[arg(long, default_value_t = 1000)]
    burn_in: u64,
    /// Steps of the pilot run that measures the autocorrelation time.
    #[arg(long, default_value_t = 1000)]
    pilot: u64,
    /// Seed of the dataset.
    #[arg(long, default_value_t = 0)]
    seed: u32,
    /// Write shard I of N (0-based): the grid points g with g mod N = I.
    #[arg(long, value_name = "I/N")]
    shard: Option<String>,
    /// auto, gpu or cpu (default: IDF_BACKEND, else auto).
    #[arg(long)]
    backend: Option<String>,
    /// idf.yaml whose Diffusion and Validation sections apply.
    #[arg(long)]
    config: Option<PathBuf>,
    /// The file to write (.h5 or .hdf5).
    #[arg(long)]
    out: PathBuf,
    /// Print one JSON object.
    #[arg(long)]
    json: bool,
}

/// The flags of `idf dataset merge`.
#[derive(Args)]
pub struct MergeArgs {
    /// The shards (.h5), in any order.
    #[arg(required = true)]
    shards: Vec<PathBuf>,
    /// The merged file.
    #[arg(long)]
    out: PathBuf,
}

/// The flags of `idf dataset info`.
#[derive(Args)]
pub struct InfoArgs {
    /// An Energy Atlas file, or a directory of .npy maps with conditions.csv.
    path: PathBuf,
    /// Print one JSON object.
    #[arg(long)]
    json: bool,
}

/// Runs `idf dataset …`.
pub fn run(command: DatasetCommand) -> Result<()> {
    match command {
        DatasetCommand::Synth(args) => run_synth(*args),
        DatasetCommand::Merge(args) => {
            idf::io::hdf5::check_h5_path(&args.out, "out", "an Energy Atlas dataset")?;
            let report = merge(&args.shards, &args.out)?;
            eprintln!(
                "merged {} shards, {} samples, into {}",
                report.shards,
                report.samples,
                report.path.display()
            );
            Ok(())
        }
        DatasetCommand::Info(args) => {
            let info = info(&args.path)?;
            if args.json {
                println!("{}", serde_json::to_string_pretty(&info)?);
                return Ok(());
            }
            let [c, h, w] = info.map_shape;
            println!("{}", info.path.display());
            println!("  maps        [{}, {c}, {h}, {w}] f32", info.samples);
            println!(
                "  conditions  [{}, {}]",
                info.samples,
                info.conditions.len()
            );
            for col in &info.conditions {
                println!(
                    "    {:<12} {} .. {} ({} distinct)",
                    col.name, col.min, col.max, col.distinct
                );
            }
            println!("  provenance");
            for (k, v) in &info.provenance {
                println!("    {k:<18} {v}");
            }
            Ok(())
        }
    }
}

fn run_synth(args: SynthArgs) -> Result<()> {
    let size = match (args.size, &args.shape) {
        (Some(n), _) => [n, n],
        (None, Some(text)) => parse_shape(text)?,
        (None, None) => [32, 32],
    };
    idf::io::hdf5::check_h5_path(&args.out, "out", "an Energy Atlas dataset")?;
    let spec = SynthSpec {
        model: args.model,
        params: args
            .params
            .iter()
            .map(|p| super::parse_param(p))
            .collect::<Result<_>>()?,
        temperature: args.temperature,
        grid: args
            .conditions
            .iter()
            .map(|c| c.parse::<GridAxis>())
            .collect::<idf::Result<_>>()?,
        size,
        samples: args.samples,
        chains: args.chains.unwrap_or(args.samples.min(32)),
        burn_in: args.burn_in,
        pilot: args.pilot,
        seed: args.seed,
        shard: match &args.shard {
            Some(s) => s.parse()?,
            None => Shard::ALL,
        },
    };
    let config = match &args.config {
        Some(path) => Config::load(path)?,
        None => Config::default(),
    };
    let ctx = super::context(args.backend.as_deref())?;
    let bar = super::progress::bar(0, "grid points", "sampling");
    let report = synth(&ctx, &config, &spec, &args.out, &mut |done, total| {
        bar.set_length(total);
        bar.set_position(done);
    })?;
    bar.finish_and_clear();
    for p in report.points.iter().filter(|p| p.pilot_too_short) {
        eprintln!(
            "idf: warning: grid point {} ({:?}): the pilot of {} steps is too short for its \
             autocorrelation time (τ ≈ {:.0} steps); samples may be closer than 2τ: raise --pilot",
            p.index, p.conditions, spec.pilot, p.tau_steps
        );
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        eprintln!(
            "wrote {} samples of {} grid points (shard {}) to {} in {:.1} s",
            report.samples,
            report.points.len(),
            report.shard,
            report.path.display(),
            report.wall_ms / 1e3
        );
    }
    Ok(())
}

/// `HxW` of `--shape`.
fn parse_shape(text: &str) -> Result<[usize; 2]> {
    let parsed = text
        .split_once(['x', '×'])
        .and_then(|(h, w)| Some([h.trim().parse().ok()?, w.trim().parse().ok()?]));
    parsed.ok_or_else(|| anyhow::anyhow!("--shape: expected HxW, got `{text}`"))
}
