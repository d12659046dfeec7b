//! `idf optimize --service-graph FILE`: a placement policy for a service graph
//! (`optimize_entropy`), with its baselines, optionally refitted to EIL telemetry first.

use std::path::Path;

use anyhow::Result;

use idf::capsules::enterprise::telemetry::{apply_telemetry, load_readings};
use idf::engine::energies::placement::ServiceGraph;
use idf::jobs::placement::{optimize_entropy, PlacementOptions};

/// What `idf optimize --service-graph` was asked.
pub struct PlacementRun<'a> {
    /// The service graph file.
    pub graph: &'a Path,
    /// EIL telemetry to refit the power curves with first.
    pub telemetry: Option<&'a Path>,
    /// The search.
    pub options: PlacementOptions,
    /// auto, gpu or cpu.
    pub backend: Option<&'a str>,
    /// Where the policy goes (.json).
    pub out: Option<&'a Path>,
    /// Print the policy as JSON.
    pub json: bool,
}

/// Runs `idf optimize --service-graph`.
pub fn run(args: PlacementRun) -> Result<()> {
    let mut graph = ServiceGraph::load(args.graph)?;
    let mut fits = Vec::new();
    if let Some(telemetry) = args.telemetry {
        let readings = load_readings(telemetry)?;
        let (updated, f) = apply_telemetry(&graph, &readings)
            .map_err(|e| anyhow::anyhow!("{}: {e}", telemetry.display()))?;
        graph = updated;
        fits = f;
    }
    let options = args.options;
    if let Some(out) = args.out {
        if out.extension().and_then(|e| e.to_str()) != Some("json") {
            anyhow::bail!("--out: a placement policy is JSON; name a .json file");
        }
    }
    let ctx = super::context(args.backend)?;
    let bar = super::progress::bar(options.steps, "sweeps", "placing");
    let policy = optimize_entropy(&ctx, &graph, &options, &mut |done, _| {
        bar.set_position(done)
    });
    bar.finish_and_clear();
    let mut policy = policy?;
    policy.power_fits = fits;
    for warning in &policy.warnings {
        eprintln!("idf: warning: {warning}");
    }
    let text = serde_json::to_string_pretty(&policy)?;
    if let Some(out) = args.out {
        idf::io::write_atomic(out, text.as_bytes())?;
    }
    if args.json {
        println!("{text}");
        return Ok(());
    }
    let c = &policy.costs;
    println!(
        "idf optimize: {} replicas on {} nodes by {} on {}: cost {:.3} ({}), found after {:.0} ms of {:.0} ms",
        policy.raw_assignment.len(),
        policy.nodes.len(),
        policy.found_by.method,
        ctx.describe(),
        c.total,
        if policy.feasible { "feasible" } else { "INFEASIBLE" },
        policy.found_by.time_to_best_ms,
        policy.found_by.wall_ms
    );
    println!(
        "  power {:.3}  price {:.3}  traffic {:.3}  affinity {:.3}  migration {:.3}  entropy {:.3}  penalty {:.3}",
        c.power, c.price, c.traffic, c.affinity, c.migration, c.entropy, c.penalty
    );
    for v in &policy.violations {
        println!("  broken: {} ({}): {}", v.rule, v.subject, v.detail);
    }
    for why in &policy.cannot_meet {
        println!("  cannot be met: {why}");
    }
    for b in &policy.baselines {
        let cost = b.cost.map_or("none".to_string(), |c| format!("{c:.3}"));
        println!(
            "  {:<22} cost {cost:>14}  {}  {:.1} ms{}",
            b.method,
            if b.feasible {
                "feasible  "
            } else {
                "infeasible"
            },
            b.time_ms,
            match b.optimal {
                Some(false) => " (time limit: not proven optimal)",
                _ => "",
            }
        );
    }
    if let Some(out) = args.out {
        println!("  wrote {}", out.display());
    }
    Ok(())
}
