//! Annealing, tempering and population annealing: ground states, the adaptive ladder, and free
//! energies against exact enumeration.

use crate::common;

use idf::engine::ace::AceAgent;
use idf::engine::population_annealing::population_anneal;
use idf::{
    Context, EnergyModel, Field, Method, RunConfig, ScheduleKind, Simulation, StepRule,
    TemperatureSchedule,
};

fn ising(ctx: &Context, chains: usize, l: usize, seed: u32) -> Simulation {
    let model = EnergyModel::from_params("ising", &[]).unwrap();
    let shape = model.shape(chains, Some([l, l])).unwrap();
    Simulation::new(
        ctx,
        &model,
        &Field::random_spins(shape, seed).unwrap(),
        seed,
    )
    .unwrap()
}

fn best_energy_per_site(trace: &idf::RunTrace) -> f64 {
    (0..trace.records.len())
        .flat_map(|r| (0..trace.chains).map(move |c| (r, c)))
        .map(|(r, c)| trace.value(idf::Observable::EnergyPerSite, r, c).unwrap())
        .fold(f64::INFINITY, f64::min)
}

on_both! {
    fn annealing_reaches_the_ferromagnet_ground_state(ctx: &Context) {
        let mut sim = ising(ctx, 8, 16, 3);
        let cfg = RunConfig {
            method: Method::Anneal,
            step_size: 1.0,
            schedule: TemperatureSchedule::new(ScheduleKind::Cosine, 3.0, 0.05).unwrap(),
            steps: 600,
            record_every: 10,
            ..RunConfig::default()
        };
        let trace = sim.run(&cfg, &mut |_, _| {}).unwrap();
        assert_eq!(best_energy_per_site(&trace), -2.0, "some chain must reach E/N = −2");
    }
}

on_both! {
    fn tempering_reaches_the_ground_state_and_adapts_its_ladder(ctx: &Context) {
        let ladder: Vec<f32> = (0..8).map(|k| 1.0 + 0.3 * k as f32).collect();
        let mut sim = ising(ctx, 8, 12, 4);
        sim.set_temperatures(&ladder).unwrap();
        let cfg = RunConfig { method: Method::Metropolis, step_size: 1.0, ..RunConfig::default() };
        let agent = AceAgent::default();
        let report = agent.adapt(&mut sim, &cfg).unwrap();
        assert_eq!(report.log.len(), agent.rounds);
        assert_eq!(report.ladder[0], ladder[0], "the coldest rung stays fixed");
        assert!(report.ladder.windows(2).all(|w| w[0] < w[1]));
        // Frozen ladder: measure the acceptances afresh.
        let before = sim.ladder_state().unwrap();
        let trace = sim.run(&RunConfig { steps: 2000, record_every: 2, ..cfg }, &mut |_, _| {}).unwrap();
        let after = sim.ladder_state().unwrap();
        assert_eq!(after.ladder(), report.ladder, "the ladder is frozen after burn-in");
        let measured: Vec<f64> = (0..7)
            .map(|k| (after.accepts[k] - before.accepts[k]) as f64 / (after.attempts[k] - before.attempts[k]) as f64)
            .collect();
        for (k, a) in measured.iter().copied().enumerate() {
            assert!(a >= agent.target_band.0 && a <= agent.target_band.1, "pair {k}: acceptance {a} outside the band ({:?})", report.ladder);
        }
        assert_eq!(best_energy_per_site(&trace), -2.0);
    }
}

/// ln Z of the periodic L×L Ising ferromagnet at β by enumerating all 2^(L²) states.
fn exact_log_z(l: usize, beta: f64) -> f64 {
    let n = l * l;
    let energies: Vec<f64> = (0u32..(1 << n))
        .map(|state| common::ising_energy(state, l))
        .collect();
    let m = energies.iter().map(|e| -beta * e).fold(f64::MIN, f64::max);
    m + energies
        .iter()
        .map(|e| (-beta * e - m).exp())
        .sum::<f64>()
        .ln()
}

on_both! {
    fn population_annealing_free_energy_matches_enumeration(ctx: &Context) {
        let l = 4;
        let mut sim = ising(ctx, 2000, l, 7);
        // Random spins are exact samples at T = ∞; start just below, at T = 1000 (β = 0.001).
        let temperatures: Vec<f32> = (0..=40).map(|k| 1.0 / (0.001 + 0.5 * k as f32 / 40.0)).collect();
        let rule = |t: f32| StepRule::Metropolis { step_size: 1.0, temperature: t };
        let report = population_anneal(ctx, &mut sim, &temperatures, 5, &rule, 11).unwrap();
        let n = (l * l) as f64;
        // ln Z(β) = ln Z(β0) + Σ ln ratios; ln Z(β0) from enumeration (≈ N ln 2 at β0 = 0.001).
        let start = exact_log_z(l, 0.001);
        // Every tenth temperature and the coldest, where a bias would be largest.
        let coldest = temperatures.len() - 1;
        for (k, t) in temperatures.iter().enumerate().skip(1).filter(|(k, _)| k % 10 == 1 || *k == coldest) {
            let estimate = start + report.log_z[k];
            let exact = exact_log_z(l, 1.0 / *t as f64);
            common::assert_within_stderr(&format!("ln Z at T = {t}"), estimate, report.log_z_stderr[k], exact, 4.5);
        }
        assert!(report.best_energy <= -2.0 * n + 1e-9, "best energy {}", report.best_energy);
        assert!(report.ess.iter().all(|e| *e > 1.0 && *e <= 2000.0 + 1e-6));
    }
}

use crate::common::{idf, idf_json, idf_ok};

/// The job's free energy is −T_end ln(Z(T_end)/Z(T_start)), exact in expectation: the outside
/// tester's run (4×4 Ising, T 2 → 1, 1024 replicas) against enumeration of all 2¹⁶ states,
/// within 4.5 of its own standard errors (issue 20.2: the random start was counted as T_start).
#[test]
fn population_free_energy_matches_enumeration_from_t_start() {
    let v = idf_json(&[
        "optimize",
        "--model",
        "ising",
        "--size",
        "4",
        "--method",
        "population",
        "--replicas",
        "1024",
        "--steps",
        "2000",
        "--t-start",
        "2",
        "--temperature",
        "1",
        "--seed",
        "0",
        "--backend",
        "cpu",
        "--json",
    ]);
    let exact = -(exact_log_z(4, 1.0) - exact_log_z(4, 0.5));
    let (estimate, se) = (
        v["free_energy"].as_f64().unwrap(),
        v["free_energy_stderr"].as_f64().unwrap(),
    );
    common::assert_within_stderr("F(1) relative to T = 2", estimate, se, exact, 4.5);
    assert!(
        (exact + 15.5934).abs() < 1e-3,
        "the issue's enumerated value, {exact}"
    );
}

#[test]
fn optimize_command_reports_in_json() {
    let dir = std::env::temp_dir().join(format!("idf-opt-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let graph = dir.join("square.gset");
    std::fs::write(&graph, "4 4\n1 2 1\n2 3 1\n3 4 1\n4 1 1\n").unwrap();
    let out = dir.join("best.npy");
    let v = idf_json(&[
        "optimize",
        "--graph",
        graph.to_str().unwrap(),
        "--replicas",
        "6",
        "--steps",
        "200",
        "--backend",
        "cpu",
        "--out",
        out.to_str().unwrap(),
        "--json",
    ]);
    for key in [
        "best_energy",
        "best_energy_per_site",
        "best_configuration",
        "energy_trace",
        "time_to_best_ms",
        "method",
        "ladder",
        "swap_acceptance",
        "cut",
    ] {
        assert!(!v[key].is_null(), "missing {key}: {v}");
    }
    assert_eq!(
        v["cut"], 4.0,
        "a 4-cycle's maximum cut takes all four edges"
    );
    assert_eq!(v["method"], "tempering");
    assert!(idf::io::read_field(&out).unwrap().data().len() == 4);
    for method in ["anneal", "population", "baseline-greedy"] {
        let r = idf(&[
            "optimize",
            "--graph",
            graph.to_str().unwrap(),
            "--replicas",
            "6",
            "--steps",
            "200",
            "--backend",
            "cpu",
            "--method",
            method,
            "--json",
        ]);
        assert!(
            r.status.success(),
            "{method}: {}",
            String::from_utf8_lossy(&r.stderr)
        );
        let v: serde_json::Value = serde_json::from_slice(&r.stdout).unwrap();
        assert_eq!(v["cut"], 4.0, "{method}");
    }
    idf_ok(&[
        "optimize",
        "--model",
        "phi4",
        "--size",
        "8",
        "--method",
        "baseline-gd",
        "--steps",
        "100",
        "--backend",
        "cpu",
        "--json",
    ]);
    let bad = dir.join("bad.gset");
    std::fs::write(&bad, "3 2\n1 2 1\n2 9 1\n").unwrap();
    let r = idf(&[
        "optimize",
        "--graph",
        bad.to_str().unwrap(),
        "--backend",
        "cpu",
    ]);
    assert!(!r.status.success());
    assert!(
        String::from_utf8_lossy(&r.stderr).contains("line 3"),
        "{}",
        String::from_utf8_lossy(&r.stderr)
    );
    let r = idf(&[
        "optimize",
        "--model",
        "phi4",
        "--size",
        "8",
        "--method",
        "baseline-greedy",
        "--backend",
        "cpu",
    ]);
    assert!(!r.status.success() && String::from_utf8_lossy(&r.stderr).contains("baseline-gd"));
}
