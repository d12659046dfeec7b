//! Graph energies: the optimizer finds exact optima of small random graphs (checked by brute
//! force), cuts every edge of a bipartite torus, colours graphs properly, agrees between GPU and
//! CPU, and names the line of a malformed graph file.

use crate::common;

use std::path::PathBuf;

use idf::engine::energies::{GraphEnergy, GraphKind};
use idf::{
    Context, EnergyModel, Method, Observable, RunConfig, ScheduleKind, Simulation,
    TemperatureSchedule,
};

fn temp(name: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("idf-graphs-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

/// A random graph from the project's generator: each pair joined with probability p, J in [−1, 1].
fn random_graph(n: usize, p: f32, seed: u32) -> GraphEnergy {
    let mut edges = Vec::new();
    for i in 0..n {
        for j in i + 1..n {
            let r = idf::cpu::shared::rng::rng_draw(i as u32, j as u32, 0, seed, 9);
            if idf::cpu::shared::rng::unit_closed_open(r[0]) < p {
                edges.push((
                    i,
                    j,
                    2.0 * idf::cpu::shared::rng::unit_closed_open(r[1]) - 1.0,
                ));
            }
        }
    }
    GraphEnergy::new(GraphKind::Ising, n, edges, vec![0.0; n]).unwrap()
}

/// The energy of a configuration, written here from the definitions and not with the library's:
/// Ising `E = −Σ_edges J s_i s_j − Σ h_i s_i`; Max-Cut is Ising with J = −w; QUBO
/// `E = Σ Q_ii x_i + Σ_edges Q_ij x_i x_j` (each edge once).
fn reference_energy(g: &GraphEnergy, x: &[f32]) -> f64 {
    let pairs: f64 = g
        .edges
        .iter()
        .map(|&(i, j, w)| w as f64 * x[i] as f64 * x[j] as f64)
        .sum();
    let singles: f64 = g
        .diag
        .iter()
        .zip(x)
        .map(|(d, v)| *d as f64 * *v as f64)
        .sum();
    match g.kind {
        GraphKind::Ising => -pairs - singles,
        GraphKind::MaxCut => pairs - singles,
        GraphKind::Qubo => pairs + singles,
    }
}

fn brute_force_minimum(g: &GraphEnergy) -> f64 {
    (0u32..1 << g.nodes)
        .map(|state| {
            let spins: Vec<f32> = (0..g.nodes)
                .map(|k| if state >> k & 1 == 1 { 1.0 } else { -1.0 })
                .collect();
            reference_energy(g, &spins)
        })
        .fold(f64::INFINITY, f64::min)
}

fn anneal_best(ctx: &Context, g: &GraphEnergy, chains: usize, sweeps: u64) -> (f64, Vec<f32>) {
    let model = EnergyModel::Graph(g.clone());
    let shape = model.shape(chains, None).unwrap();
    let mut sim = Simulation::new(ctx, &model, &model.initial_field(shape, 3).unwrap(), 3).unwrap();
    let cfg = RunConfig {
        method: Method::Anneal,
        step_size: 1.0,
        schedule: TemperatureSchedule::new(ScheduleKind::Cosine, 3.0, 0.05).unwrap(),
        steps: sweeps,
        record_every: sweeps,
        ..RunConfig::default()
    };
    let trace = sim.run(&cfg, &mut |_, _| {}).unwrap();
    let last = trace.records.len() - 1;
    let (chain, energy) = (0..chains)
        .map(|c| (c, trace.value(Observable::Energy, last, c).unwrap()))
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .unwrap();
    (energy, sim.field().unwrap().chain(chain).to_vec())
}

on_both! {
    fn annealing_finds_the_exact_optimum_of_small_random_graphs(ctx: &Context) {
        for seed in 1..=3 {
            let g = random_graph(16, 0.4, seed);
            let exact = brute_force_minimum(&g);
            let (found, spins) = anneal_best(ctx, &g, 32, 1000);
            assert!((found - exact).abs() < 1e-4, "seed {seed}: found {found}, optimum {exact}");
            assert!((reference_energy(&g, &spins) - exact).abs() < 1e-4, "the returned configuration has the energy");
        }
    }
}

on_both! {
    fn bipartite_torus_cuts_every_edge(ctx: &Context) {
        let (w, h) = (8usize, 6usize);
        let mut edges = Vec::new();
        for y in 0..h {
            for x in 0..w {
                let i = y * w + x;
                edges.push((i, y * w + (x + 1) % w, 1.0));
                edges.push((i, ((y + 1) % h) * w + x, 1.0));
            }
        }
        let g = GraphEnergy::new(GraphKind::MaxCut, w * h, edges, vec![0.0; w * h]).unwrap();
        assert_eq!(g.num_colors, 2, "an even torus is bipartite");
        let (_, spins) = anneal_best(ctx, &g, 16, 600);
        assert_eq!(g.cut_value(&spins), g.edges.len() as f64, "every edge cut");
    }
}

#[test]
fn colourings_are_proper() {
    for seed in 1..=5 {
        let g = random_graph(40, 0.2, seed);
        assert!(g.edges.iter().all(|&(i, j, _)| g.colors[i] != g.colors[j]));
        assert!(g.colors.iter().all(|c| *c < g.num_colors));
    }
}

#[test]
fn gpu_and_cpu_agree_on_graphs() {
    common::on_gpu(|gpu| {
        let g = random_graph(30, 0.3, 4);
        let model = EnergyModel::Graph(g);
        let shape = model.shape(4, None).unwrap();
        let init = model.initial_field(shape, 2).unwrap();
        let cfg = RunConfig {
            method: Method::Metropolis,
            step_size: 1.0,
            schedule: TemperatureSchedule::constant(1.0),
            steps: 20,
            ..RunConfig::default()
        };
        let run = |ctx: &Context| {
            let mut sim = Simulation::new(ctx, &model, &init, 6).unwrap();
            sim.run(&cfg, &mut |_, _| {}).unwrap();
            sim.field().unwrap()
        };
        assert_eq!(run(&Context::cpu()), run(gpu));
    });
}

#[test]
fn gset_files_read_and_malformed_ones_name_the_line() {
    let ok = temp("ok.gset", "4 3\n1 2 1\n2 3 1\n3 4 -2.5\n");
    let g = GraphEnergy::read_gset(&ok, GraphKind::MaxCut).unwrap();
    assert_eq!((g.nodes, g.edges.len()), (4, 3));
    assert_eq!(g.edges[2], (2, 3, -2.5));
    let cases = [
        ("header.gset", "4\n1 2 1\n", "line 1"),
        ("range.gset", "3 2\n1 2 1\n2 4 1\n", "line 3"),
        ("nan.gset", "3 2\n1 2 1\n2 3 nan\n", "line 3"),
        ("count.gset", "3 3\n1 2 1\n", "promises 3 edges"),
        ("fields.gset", "3 1\n1 2\n", "line 2"),
    ];
    for (name, text, needle) in cases {
        let err = GraphEnergy::read_gset(&temp(name, text), GraphKind::MaxCut)
            .unwrap_err()
            .to_string();
        assert!(err.contains(needle) && err.contains(name), "{name}: {err}");
    }
    let json = temp(
        "g.json",
        r#"{"nodes": 3, "edges": [[0, 1, 1.0], [1, 2, 2.0]]}"#,
    );
    assert_eq!(
        GraphEnergy::read_json(&json, GraphKind::Ising)
            .unwrap()
            .edges
            .len(),
        2
    );
    let bad = temp("bad.json", r#"{"nodes": 2, "edges": [[0, 5, 1.0]]}"#);
    assert!(GraphEnergy::read_json(&bad, GraphKind::Ising)
        .unwrap_err()
        .to_string()
        .contains("bad.json"));
}

#[test]
fn gset_qubo_diagonals_and_repeated_edges() {
    // `i i w` is Q_ii for a QUBO; the edge 1–2 is given twice (once reversed) and is summed.
    let path = temp("q.gset", "3 5\n1 2 1.5\n2 2 -2\n2 1 0.5\n2 3 1\n2 2 -0.5\n");
    let g = GraphEnergy::read_gset(&path, GraphKind::Qubo).unwrap();
    assert_eq!(g.diag, vec![0.0, -2.5, 0.0]);
    assert_eq!(g.edges, vec![(0, 1, 2.0), (1, 2, 1.0)]);
    assert_eq!(g.merged_edges, 1);
    assert!(
        g.warnings()[0].contains("repeated edges summed into their first occurrence: 1"),
        "{:?}",
        g.warnings()
    );
    // E(x) = −2.5 x₂ + 2 x₁x₂ + x₂x₃ by hand: x = (0, 1, 0) gives −2.5.
    assert_eq!(reference_energy(&g, &[0.0, 1.0, 0.0]), -2.5);
    assert_eq!(reference_energy(&g, &[1.0, 1.0, 1.0]), 0.5);
    // For spins a diagonal term is a constant: refused, naming the file and the line.
    let err = GraphEnergy::read_gset(&path, GraphKind::Ising)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("q.gset") && err.contains("line 3") && err.contains("QUBO"),
        "{err}"
    );
    // A node count too large to allocate is refused before anything is allocated.
    let huge = temp("huge.gset", "1125899906842624 0\n");
    let err = GraphEnergy::read_gset(&huge, GraphKind::MaxCut)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("huge.gset") && err.contains("over the limit"),
        "{err}"
    );
    // The CLI says so on stderr, and in its JSON.
    let out = crate::common::idf_ok(&[
        "optimize",
        "--graph",
        path.to_str().unwrap(),
        "--objective",
        "qubo",
        "--method",
        "anneal",
        "--replicas",
        "2",
        "--steps",
        "20",
        "--backend",
        "cpu",
        "--json",
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("warning: repeated edges summed"),
        "{stderr}"
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["warnings"].as_array().unwrap().len(), 1);
}

on_both! {
    fn annealing_finds_the_exact_qubo_optimum(ctx: &Context) {
        // A random QUBO on 14 variables with couplings and diagonal in [−1, 1].
        let n = 14;
        let base = random_graph(n, 0.5, 7);
        let diag: Vec<f32> = (0..n)
            .map(|i| 2.0 * idf::cpu::shared::rng::unit_closed_open(idf::cpu::shared::rng::rng_draw(i as u32, 0, 1, 7, 9)[0]) - 1.0)
            .collect();
        let g = GraphEnergy::new(GraphKind::Qubo, n, base.edges.clone(), diag).unwrap();
        let exact = (0u32..1 << n)
            .map(|state| {
                let x: Vec<f32> = (0..n).map(|k| (state >> k & 1) as f32).collect();
                reference_energy(&g, &x)
            })
            .fold(f64::INFINITY, f64::min);
        let (found, x) = anneal_best(ctx, &g, 32, 800);
        assert!(x.iter().all(|v| *v == 0.0 || *v == 1.0), "QUBO states stay binary");
        assert!((found - exact).abs() < 1e-4, "found {found}, optimum {exact}");
    }
}

/// Heat-bath sweeps (Barker's acceptance, Glauber dynamics for spins) sample exp(−E/T): the mean
/// energy over 64 independent chains of an 8-node random Ising graph matches exact enumeration
/// of its 256 states within 4 standard errors of the chains' means.
fn heat_bath_mean_energy(ctx: &Context) {
    let g = random_graph(8, 0.6, 4);
    let t = 0.7f64;
    let (mut z, mut ez) = (0.0, 0.0);
    for state in 0u32..1 << g.nodes {
        let spins: Vec<f32> = (0..g.nodes)
            .map(|k| if state >> k & 1 == 1 { 1.0 } else { -1.0 })
            .collect();
        let e = reference_energy(&g, &spins);
        z += (-e / t).exp();
        ez += e * (-e / t).exp();
    }
    let exact = ez / z;
    let model = EnergyModel::Graph(g);
    let chains = 64;
    let init = model
        .initial_field(model.shape(chains, None).unwrap(), 5)
        .unwrap();
    let mut sim = Simulation::new(ctx, &model, &init, 6).unwrap();
    let rule = idf::StepRule::HeatBath {
        temperature: t as f32,
    };
    sim.advance(50, &|_| rule, &|_| false, &mut |_, _| {})
        .unwrap();
    let sweeps = 300;
    let mut sums = vec![0.0; chains];
    for _ in 0..sweeps {
        sim.advance(1, &|_| rule, &|_| false, &mut |_, _| {})
            .unwrap();
        for (s, e) in sums.iter_mut().zip(sim.energies().unwrap()) {
            *s += e / sweeps as f64;
        }
    }
    let m = sums.iter().sum::<f64>() / chains as f64;
    let var = sums.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (chains - 1) as f64;
    let stderr = (var / chains as f64).sqrt();
    assert!(
        (m - exact).abs() <= 4.0 * stderr,
        "mean energy {m} ± {stderr} vs exact {exact}"
    );
}

on_both! {
    fn heat_bath_sweeps_sample_the_boltzmann_law(ctx: &Context) {
        heat_bath_mean_energy(ctx);
    }
}
