//! `idf optimize`: the lowest-energy configuration of a lattice model or a graph.

use std::path::PathBuf;

use anyhow::{bail, Result};
use clap::Args;
use serde_json::json;

use idf::engine::energies::{GraphEnergy, GraphKind};
use idf::jobs::optimize::{optimize, OptimizeSpec};

/// The flags of `idf optimize`.
#[derive(Args)]
pub struct OptimizeArgs {
    /// Model (default ising; or give --graph).
    #[arg(long, conflicts_with = "graph")]
    model: Option<String>,
    /// Model parameter KEY=VALUE (repeatable).
    #[arg(long = "param", value_name = "KEY=VALUE")]
    params: Vec<String>,
    /// A graph: Gset edge list (`n m`, then `i j w`, 1-based) or .json (`{"nodes", "edges"}`).
    #[arg(long)]
    graph: Option<PathBuf>,
    /// What a graph's weights mean: maxcut, ising or qubo.
    #[arg(long, default_value = "maxcut")]
    objective: String,
    /// Square lattice N×N.
    #[arg(long)]
    size: Option<usize>,
    /// Replicas.
    #[arg(long, default_value_t = 16)]
    replicas: usize,
    /// Steps (sweeps for spins and graphs; flips for baseline-greedy).
    #[arg(long, default_value_t = 2000)]
    steps: u64,
    /// tempering, anneal, population, baseline-greedy or baseline-gd.
    #[arg(long, default_value = "tempering")]
    method: String,
    /// Annealing schedule: linear, geometric or cosine.
    #[arg(long, default_value = "cosine")]
    schedule: String,
    /// Hot temperature.
    #[arg(long, default_value_t = 3.0)]
    t_start: f32,
    /// Cold temperature.
    #[arg(long, default_value_t = 0.05)]
    temperature: f32,
    /// Step size (default: the model's).
    #[arg(long)]
    step_size: Option<f32>,
    /// Seed.
    #[arg(long, default_value_t = 0)]
    seed: u32,
    /// auto, gpu or cpu (default: IDF_BACKEND, else auto).
    #[arg(long)]
    backend: Option<String>,
    /// Write the best configuration (.npy or .h5).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Print one JSON object.
    #[arg(long)]
    json: bool,
}

/// Runs `idf optimize`.
pub fn run(args: OptimizeArgs) -> Result<()> {
    let model = match (&args.graph, &args.model) {
        (Some(path), _) => {
            let kind = match args.objective.as_str() {
                "maxcut" => GraphKind::MaxCut,
                "ising" => GraphKind::Ising,
                "qubo" => GraphKind::Qubo,
                other => bail!("--objective: `{other}` is not one of maxcut, ising, qubo"),
            };
            let graph = if path.extension().and_then(|e| e.to_str()) == Some("json") {
                GraphEnergy::read_json(path, kind)?
            } else {
                GraphEnergy::read_gset(path, kind)?
            };
            idf::EnergyModel::Graph(graph)
        }
        (None, model) => {
            let params = args
                .params
                .iter()
                .map(|p| super::parse_param(p))
                .collect::<Result<Vec<_>>>()?;
            idf::EnergyModel::from_params(model.as_deref().unwrap_or("ising"), &params)?
        }
    };
    let spec = OptimizeSpec {
        size: args.size.map(|n| [n, n]).or(match model {
            idf::EnergyModel::Graph(_) => None,
            _ => Some([32, 32]),
        }),
        model,
        replicas: args.replicas,
        steps: args.steps,
        method: args.method.parse()?,
        schedule: args.schedule.parse()?,
        t_start: args.t_start,
        t_end: args.temperature,
        step_size: args.step_size,
        seed: args.seed,
        agent: None,
    };
    if let Some(out) = &args.out {
        idf::io::check_field_path(out)?;
    }
    let ctx = super::context(args.backend.as_deref())?;
    let bar = super::progress::bar(spec.steps, "steps", "optimizing");
    let report = optimize(&ctx, &spec, &mut |done, _| bar.set_position(done));
    bar.finish_and_clear();
    let report = report?;
    for warning in &report.warnings {
        eprintln!("idf: warning: {warning}");
    }
    if let Some(out) = &args.out {
        idf::io::write_field(out, &report.best)?;
    }
    let mut json = serde_json::to_value(&report)?;
    json["best_configuration"] = json!(args.out.as_ref().map(|p| p.display().to_string()));
    json["model"] = json!(spec.model.name());
    if args.json {
        println!("{}", serde_json::to_string_pretty(&json)?);
        return Ok(());
    }
    println!(
        "idf optimize: {} by {} on {}: best energy {:.6} ({:.6} per site), found after {:.0} ms of {:.0} ms",
        spec.model.name(),
        report.method,
        ctx.describe(),
        report.best_energy,
        report.best_energy_per_site,
        report.time_to_best_ms,
        report.wall_ms
    );
    if let Some(cut) = report.cut {
        println!("  cut value {cut}");
    }
    if let (Some(ladder), Some(acc)) = (&report.ladder, &report.swap_acceptance) {
        println!("  ladder {ladder:.3?}");
        println!("  swap acceptance {acc:.3?}");
    }
    if let Some(out) = &args.out {
        println!("  wrote {}", out.display());
    }
    Ok(())
}
