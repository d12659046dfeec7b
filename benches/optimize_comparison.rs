//! Energy reached against wall time: IDF's optimizers (tempering with the ACE ladder, annealing,
//! population annealing) beside the baselines (greedy descent with restarts for spins, gradient
//! descent for fields) on the same instances and step budgets: a 2D ±J spin glass, a random
//! Max-Cut graph, and a φ⁴ field. `cargo bench --bench optimize_comparison` prints the table;
//! under `cargo test` it runs tiny budgets so it stays working.

use idf::cpu::shared::rng::{rng_draw, unit_closed_open};
use idf::engine::energies::{GraphEnergy, GraphKind};
use idf::jobs::optimize::{optimize, OptMethod, OptimizeSpec};
use idf::{Context, EnergyModel, ScheduleKind};

fn spin_glass(l: usize, seed: u32) -> GraphEnergy {
    let mut edges = Vec::new();
    for y in 0..l {
        for x in 0..l {
            let i = y * l + x;
            for (k, j) in [(0, y * l + (x + 1) % l), (1, ((y + 1) % l) * l + x)] {
                let r = rng_draw(i as u32, k, 0, seed, 7)[0];
                edges.push((i, j, if r >> 31 == 0 { 1.0 } else { -1.0 }));
            }
        }
    }
    GraphEnergy::new(GraphKind::Ising, l * l, edges, vec![0.0; l * l]).unwrap()
}

fn random_maxcut(n: usize, p: f32, seed: u32) -> GraphEnergy {
    let mut edges = Vec::new();
    for i in 0..n {
        for j in i + 1..n {
            if unit_closed_open(rng_draw(i as u32, j as u32, 0, seed, 8)[0]) < p {
                edges.push((i, j, 1.0));
            }
        }
    }
    GraphEnergy::new(GraphKind::MaxCut, n, edges, vec![0.0; n]).unwrap()
}

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let (l, n, steps) = if full { (16, 100, 4000) } else { (4, 12, 40) };
    let ctx = Context::cpu();
    let instances: Vec<(String, EnergyModel, Option<[usize; 2]>, bool)> = vec![
        (
            format!("±J spin glass {l}x{l}"),
            EnergyModel::Graph(spin_glass(l, 1)),
            None,
            true,
        ),
        (
            format!("random Max-Cut G({n}, 0.1)"),
            EnergyModel::Graph(random_maxcut(n, 0.1, 2)),
            None,
            true,
        ),
        (
            "phi4 field 32x32".to_string(),
            EnergyModel::from_params("phi4", &[]).unwrap(),
            Some([32, 32]),
            false,
        ),
    ];
    println!(
        "{:<28} {:<16} {:>14} {:>12} {:>14} {:>10}",
        "instance", "method", "best E/site", "cut", "time to best", "wall"
    );
    for (name, model, size, discrete) in instances {
        let methods = if discrete {
            [
                OptMethod::Tempering,
                OptMethod::Anneal,
                OptMethod::Population,
                OptMethod::BaselineGreedy,
            ]
        } else {
            [
                OptMethod::Tempering,
                OptMethod::Anneal,
                OptMethod::Population,
                OptMethod::BaselineGd,
            ]
        };
        for method in methods {
            let spec = OptimizeSpec {
                model: model.clone(),
                size,
                replicas: 16,
                // Greedy counts single flips: give it the same number of site updates.
                steps: if method == OptMethod::BaselineGreedy {
                    steps * 16 * model.shape(1, size).unwrap().sites_per_chain() as u64
                } else {
                    steps
                },
                method,
                schedule: ScheduleKind::Cosine,
                t_start: 3.0,
                t_end: 0.05,
                step_size: None,
                seed: 1,
                agent: None,
                initial: None,
            };
            let r = optimize(&ctx, &spec, &mut |_, _| {}).expect("optimize");
            println!(
                "{:<28} {:<16} {:>14.5} {:>12} {:>11.0} ms {:>7.0} ms",
                name,
                r.method,
                r.best_energy_per_site,
                r.cut.map_or("-".into(), |c| format!("{c}")),
                r.time_to_best_ms,
                r.wall_ms
            );
        }
    }
}
