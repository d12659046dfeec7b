//! `idf optimize`: the lowest-energy configuration of a lattice model or a graph.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{bail, Result};
use clap::Args;
use serde_json::json;

use idf::engine::energies::{GraphEnergy, GraphKind};
use idf::jobs::optimize::{optimize, OptimizeSpec};
use idf::jobs::placement::PlacementOptions;

use super::placement::PlacementRun;

/// The flags of `idf optimize`.
#[derive(Args)]
pub struct OptimizeArgs {
    /// Model (default ising; or give --graph or --service-graph).
    #[arg(long, conflicts_with_all = ["graph", "service_graph"])]
    model: Option<String>,
    /// Model parameter KEY=VALUE (repeatable).
    #[arg(long = "param", value_name = "KEY=VALUE")]
    params: Vec<String>,
    /// A graph: Gset edge list (`n m`, then `i j w`, 1-based) or .json (`{"nodes", "edges"}`).
    #[arg(long, conflicts_with = "service_graph")]
    graph: Option<PathBuf>,
    /// A service graph (JSON, docs/service_graph.schema.json): place its services' replicas on
    /// its nodes and print (or --out) the placement policy.
    #[arg(long)]
    service_graph: Option<PathBuf>,
    /// EIL telemetry (.json or .csv of node, utilisation, power_w readings) that refits the
    /// service graph's power curves first.
    #[arg(long, requires = "service_graph")]
    telemetry: Option<PathBuf>,
    /// Skip the bin-packing baselines and the exact solver (service graphs).
    #[arg(long)]
    no_baselines: bool,
    /// Time limit in seconds of the exact ILP solver on service graphs of at most 40 replicas
    /// (0: do not run it).
    #[arg(long, default_value_t = 20.0)]
    exact_time_limit: f64,
    /// What a graph's weights mean: maxcut, ising or qubo.
    #[arg(long, default_value = "maxcut")]
    objective: String,
    /// Square lattice N×N.
    #[arg(long)]
    size: Option<usize>,
    /// Replicas of the search: chains side by side (with --service-graph too; the services'
    /// replicas are in the graph).
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
    /// Hot temperature (default 3; service graphs: twice the median cost change of a move).
    #[arg(long)]
    t_start: Option<f32>,
    /// Cold temperature (default 0.05; service graphs: t-start / 1000).
    #[arg(long)]
    temperature: Option<f32>,
    /// Step size (default: the model's).
    #[arg(long)]
    step_size: Option<f32>,
    /// Seed.
    #[arg(long, default_value_t = 0)]
    seed: u32,
    /// auto, gpu or cpu (default: IDF_BACKEND, else auto).
    #[arg(long)]
    backend: Option<String>,
    /// Write the best configuration (.npy or .h5), or a service graph's policy (.json).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Print one JSON object.
    #[arg(long)]
    json: bool,
}

/// Runs `idf optimize`.
pub fn run(args: OptimizeArgs) -> Result<()> {
    if let Some(path) = &args.service_graph {
        return super::placement::run(PlacementRun {
            graph: path,
            telemetry: args.telemetry.as_deref(),
            options: PlacementOptions {
                method: args.method.parse()?,
                chains: args.replicas,
                steps: args.steps,
                t_start: args.t_start,
                t_end: args.temperature,
                schedule: args.schedule.parse()?,
                seed: args.seed,
                baselines: !args.no_baselines,
                exact_time_limit: exact_time_limit(args.exact_time_limit)?,
            },
            backend: args.backend.as_deref(),
            out: args.out.as_deref(),
            json: args.json,
        });
    }
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
        t_start: args.t_start.unwrap_or(3.0),
        t_end: args.temperature.unwrap_or(0.05),
        step_size: args.step_size,
        seed: args.seed,
        agent: None,
        initial: None,
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

/// `--exact-time-limit` in seconds as the solver's limit: none at 0.
fn exact_time_limit(seconds: f64) -> Result<Option<Duration>> {
    match Duration::try_from_secs_f64(seconds) {
        Ok(d) if d.is_zero() => Ok(None),
        Ok(d) => Ok(Some(d)),
        Err(_) => bail!(
            "--exact-time-limit: expected a finite number of seconds ≥ 0 (0: do not run the exact solver), got {seconds}"
        ),
    }
}
