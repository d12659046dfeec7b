//! Placement quality against wall time: IDF's `optimize_entropy` (replica exchange on the Potts
//! placement energy, then a quench) beside the baseline EIL optimizers (first-fit and best-fit
//! decreasing) and, up to 40 replicas, the exact optimum from the CBC integer-programming
//! solver, on generated microservice instances of 10 to 2,000 replicas. Every placement is
//! priced by the same energy; the gap is relative to the exact optimum where known, else to
//! the best of the row. `cargo bench --bench placement_comparison` prints the table (add
//! `-- --backend gpu` for the GPU); under `cargo test` it runs tiny budgets so it stays working.

use std::time::Duration;

use idf::capsules::enterprise::instances::generate;
use idf::engine::energies::placement::PlacementEnergy;
use idf::jobs::optimize::OptMethod;
use idf::jobs::placement::{optimize_entropy, run_baselines, PlacementOptions};
use idf::Context;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let full = args.iter().any(|a| a == "--bench");
    let gpu = args
        .windows(2)
        .any(|w| w[0] == "--backend" && w[1] == "gpu");
    let ctx = if gpu {
        Context::gpu().expect("a GPU adapter")
    } else {
        Context::cpu()
    };
    let sizes: &[usize] = if full {
        &[10, 20, 40, 100, 500, 2000]
    } else {
        &[10]
    };
    println!(
        "| replicas | nodes | method | cost | gap | feasible | time (ms) |\n|---:|---:|---|---:|---:|---|---:|"
    );
    for &size in sizes {
        let graph = generate(size, size as u32);
        let energy = PlacementEnergy::new(graph.clone()).unwrap();
        let steps = if full {
            (400_000 / size).clamp(200, 4000) as u64
        } else {
            30
        };
        let options = PlacementOptions {
            method: OptMethod::Tempering,
            chains: 16,
            steps,
            baselines: false,
            ..PlacementOptions::default()
        };
        let policy = optimize_entropy(&ctx, &graph, &options, &mut |_, _| {}).unwrap();
        let baselines = run_baselines(
            &energy,
            Some(Duration::from_secs(if full { 120 } else { 10 })),
        )
        .unwrap();
        let mut rows = vec![(
            format!(
                "IDF tempering ({} chains × {steps} sweeps, {})",
                options.chains,
                ctx.backend()
            ),
            Some(policy.costs.total),
            policy.feasible,
            policy.found_by.wall_ms,
        )];
        for b in &baselines {
            let name = match b.optimal {
                Some(false) => format!("{} (time limit)", b.method),
                _ => b.method.clone(),
            };
            rows.push((name, b.cost, b.feasible, b.time_ms));
        }
        let exact = baselines
            .iter()
            .find(|b| b.method == "exact" && b.optimal == Some(true))
            .and_then(|b| b.cost);
        let reference = exact.unwrap_or_else(|| {
            rows.iter()
                .filter(|r| r.2)
                .filter_map(|r| r.1)
                .fold(f64::INFINITY, f64::min)
        });
        for (name, cost, feasible, ms) in rows {
            let (cost, gap) = match cost {
                Some(c) => (
                    format!("{c:.1}"),
                    format!(
                        "{:+.2} %",
                        100.0 * (c - reference) / reference.abs().max(1e-9)
                    ),
                ),
                None => ("—".into(), "—".into()),
            };
            println!(
                "| {} | {} | {name} | {cost} | {gap} | {} | {ms:.1} |",
                energy.replicas.len(),
                energy.nodes(),
                if feasible { "yes" } else { "no" }
            );
        }
    }
}
