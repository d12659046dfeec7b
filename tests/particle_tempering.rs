//! Replica exchange of particle systems: each rung of the ladder samples its own canonical
//! distribution (its mean potential energy equals an independent thermostatted run's at that
//! temperature, within combined standard errors), neighbouring rungs swap, the GPU follows the
//! per-chain bath temperatures as the CPU twin does, and replica exchange with a FIRE quench
//! reaches a cluster's published global minimum.

use idf::engine::estimates::estimate;
use idf::engine::particles::{
    minimise, run_replica_exchange, Fire, LennardJones, ParticleBox, ParticleIntegrator,
    ParticleRun, ParticleSimulation, ParticleState, ReplicaExchange, Truncation,
};

const BAOAB: ParticleIntegrator = ParticleIntegrator::Baoab { gamma: 1.0 };

/// Four rungs (T = 1 to 1.45, geometric) of a 108-particle Lennard-Jones fluid at ρ = 0.8442
/// (r_c = 2): every rung's mean kinetic temperature equals its bath temperature, and its ⟨U/N⟩
/// that of a plain BAOAB run at its temperature, each within 4 (combined) standard errors from
/// the autocorrelation times; the eight z-scores' sum of squares stays below χ²₈'s 1 − 10⁻⁴
/// quantile, 31.83; and every pair of neighbours swapped. Swaps without rescaled velocities fail
/// the kinetic temperatures (by 5σ on the cold rung), and chains that keep their temperature
/// when their rungs swap fail the sum of squares (about 50).
#[test]
fn every_rung_samples_its_own_temperature() {
    let cpu = idf::Context::cpu();
    let lj = LennardJones::single(2.0, Truncation::Shifted).unwrap();
    let rex = ReplicaExchange::geometric(1.0, 1.45, 4, 10).unwrap();
    let (steps, record_every, from) = (20_000, 10, 200);
    let (state, domain) = ParticleState::fcc(4, 108, 0.8442, 1.0, 21).unwrap();
    let mut sim = ParticleSimulation::new(&cpu, &lj, domain, &state, 0.3, 21).unwrap();
    let (trace, ladder) = run_replica_exchange(
        &mut sim,
        &rex,
        BAOAB,
        0.005,
        steps,
        record_every,
        &mut |_, _, _| Ok(()),
    )
    .unwrap();
    for (k, rate) in ladder.acceptance().iter().enumerate() {
        assert!(*rate > 0.02, "pair {k} swapped at rate {rate}");
    }
    let rungs = trace.series(from, |r| &r.potential);
    let kinetic = trace.series(from, |r| &r.temperature);
    let mut chi2 = 0.0;
    for (k, &t) in rex.temperatures.iter().enumerate() {
        let (state, domain) = ParticleState::fcc(1, 108, 0.8442, t as f64, 40 + k as u32).unwrap();
        let mut plain =
            ParticleSimulation::new(&cpu, &lj, domain, &state, 0.3, 40 + k as u32).unwrap();
        let run = ParticleRun {
            integrator: BAOAB,
            dt: 0.005,
            temperature: t,
            t_start: t,
            steps,
            record_every,
        };
        let reference = estimate(
            &plain
                .run(&run, &mut |_, _| {})
                .unwrap()
                .series(from, |r| &r.potential),
        );
        let kt = estimate(&kinetic[k..k + 1]);
        let z_kinetic = (kt.mean - t as f64) / kt.stderr.unwrap();
        assert!(
            z_kinetic.abs() < 4.0,
            "rung {k}: kinetic temperature {} ± {:?}, bath {t}",
            kt.mean,
            kt.stderr
        );
        let rung = estimate(&rungs[k..k + 1]);
        let combined = (rung.stderr.unwrap().powi(2) + reference.stderr.unwrap().powi(2)).sqrt();
        let z_potential = (rung.mean - reference.mean) / combined;
        assert!(
            z_potential.abs() < 4.0,
            "rung {k} (T = {t}): U/N = {} vs {} ± {combined}",
            rung.mean,
            reference.mean
        );
        chi2 += z_kinetic * z_kinetic + z_potential * z_potential;
    }
    assert!(
        chi2 < 31.83,
        "sum of squared z-scores {chi2} over 8 estimates"
    );
}

/// The GPU thermostat gives each chain its own bath temperature as the CPU twin does: 100 BAOAB
/// steps of two 256-particle chains at 0.6 and 1.4 agree in positions to 1e-3 σ, and the hot
/// chain is hotter.
#[test]
fn gpu_and_cpu_thermostat_each_chain_at_its_temperature() {
    crate::common::on_gpu(|gpu| {
        let run = |ctx: &idf::Context| {
            let lj = LennardJones::single(2.5, Truncation::Shifted).unwrap();
            let (state, domain) = ParticleState::fcc(2, 256, 0.8442, 1.0, 5).unwrap();
            let mut sim = ParticleSimulation::new(ctx, &lj, domain, &state, 0.3, 5).unwrap();
            sim.set_temperature_scale(&[0.6, 1.4]).unwrap();
            for _ in 0..100 {
                sim.advance(BAOAB, 0.005, 1.0).unwrap();
            }
            let record = sim.observe(100, 1.0, BAOAB).unwrap();
            (sim.state().unwrap(), record)
        };
        let (a, ra) = run(&idf::Context::cpu());
        let (b, rb) = run(gpu);
        let l = (256.0f32 / 0.8442).powf(1.0 / 3.0);
        let worst = a
            .position
            .iter()
            .zip(&b.position)
            .flat_map(|(p, q)| (0..3).map(move |k| (p[k] - q[k]).abs()))
            .map(|d| d.min(l - d))
            .fold(0.0f32, f32::max);
        assert!(worst < 1e-3, "positions differ by up to {worst}");
        for r in [&ra, &rb] {
            assert!(r.temperature[1] > r.temperature[0], "{:?}", r.temperature);
        }
    });
}

/// Replica exchange (8 rungs from T = 0.1 to 0.35, 40,000 BAOAB steps) and a FIRE quench of
/// every rung find the global minimum of LJ19 in free space, the double icosahedron at
/// −72.659782 (Cambridge Cluster Database; Wales & Doye, J. Phys. Chem. A 101, 5111 (1997)),
/// from random starts.
#[test]
fn replica_exchange_and_a_quench_find_the_lj19_minimum() {
    let lj = LennardJones::single(100.0, Truncation::Plain).unwrap();
    let state = ParticleState::random_cluster(8, 19, 0.5, 17).unwrap();
    let mut sim = ParticleSimulation::new(
        &idf::Context::cpu(),
        &lj,
        ParticleBox::Free,
        &state,
        0.5,
        17,
    )
    .unwrap();
    let rex = ReplicaExchange::geometric(0.1, 0.35, 8, 50).unwrap();
    run_replica_exchange(
        &mut sim,
        &rex,
        BAOAB,
        0.005,
        40_000,
        1000,
        &mut |_, _, _| Ok(()),
    )
    .unwrap();
    let done = minimise(&mut sim, &Fire::default()).unwrap();
    assert!(done.converged.iter().all(|&c| c), "{done:?}");
    let best = sim
        .potential_energies()
        .unwrap()
        .into_iter()
        .fold(f64::INFINITY, f64::min);
    assert!((best - -72.659782).abs() < 1e-3, "lowest minimum {best}");
}
