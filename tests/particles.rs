//! Particle systems against ground truth: forces against finite differences of the energy, the
//! cell and Verlet lists against the all-pairs sum, velocity Verlet's energy error shrinking as
//! dt², BAOAB's kinetic temperature and NIST's Lennard-Jones energy, FIRE reaching the
//! Cambridge Cluster Database's global minima.

use idf::engine::estimates::estimate;
use idf::engine::particles::{
    minimise, Fire, LennardJones, ParticleBox, ParticleIntegrator, ParticleRun, ParticleSimulation,
    ParticleState, Truncation,
};

/// Energy per particle, virial sum and forces by the all-pairs sum in f64 (the reference).
fn all_pairs(lj: &LennardJones, domain: ParticleBox, x: &[[f32; 4]]) -> (f64, f64, Vec<[f64; 3]>) {
    let table = lj.pair_table();
    let rc2 = (lj.cutoff as f64).powi(2);
    let (mut u, mut w) = (0.0, 0.0);
    let mut f = vec![[0.0f64; 3]; x.len()];
    for i in 0..x.len() {
        for j in i + 1..x.len() {
            let mut d = [0.0f64; 3];
            for k in 0..3 {
                d[k] = x[j][k] as f64 - x[i][k] as f64;
                if let ParticleBox::Periodic(l) = domain {
                    let l = l[k] as f64;
                    d[k] -= l * (d[k] / l).round();
                }
            }
            let r2: f64 = d.iter().map(|a| a * a).sum();
            if r2 >= rc2 {
                continue;
            }
            let pair = x[i][3] as usize * lj.species + x[j][3] as usize;
            let [eps, sigma2, shift, _] = table[pair].map(|v| v as f64);
            let s6 = (sigma2 / r2).powi(3);
            u += 4.0 * eps * (s6 * s6 - s6) - shift;
            let f_over_r = 24.0 * eps * (2.0 * s6 * s6 - s6) / r2;
            w += f_over_r * r2;
            for k in 0..3 {
                f[i][k] -= f_over_r * d[k];
                f[j][k] += f_over_r * d[k];
            }
        }
    }
    (u / x.len() as f64, w, f)
}

/// A liquid: an fcc start melted by 200 BAOAB steps at T = 1.
fn liquid(
    ctx: &idf::Context,
    n: usize,
    density: f64,
    truncation: Truncation,
    cutoff: f32,
) -> ParticleSimulation {
    let lj = LennardJones::single(cutoff, truncation).unwrap();
    let (state, domain) = ParticleState::fcc(1, n, density, 1.0, 7).unwrap();
    let mut sim = ParticleSimulation::new(ctx, &lj, domain, &state, 0.3, 7).unwrap();
    for _ in 0..200 {
        sim.advance(ParticleIntegrator::Baoab { gamma: 1.0 }, 0.005, 1.0)
            .unwrap();
    }
    sim
}

/// Forces are minus the gradient of the energy: the central difference of the total energy
/// when one particle moves by ±h along an axis (twice the change of its own half of its pair
/// energies), within the f32 rounding of the energies and the O(h²) truncation.
#[test]
fn forces_are_minus_the_gradient_of_the_energy() {
    let mut sim = liquid(&idf::Context::cpu(), 256, 0.8, Truncation::Shifted, 2.5);
    let state = sim.state().unwrap();
    let h = 1e-3f32;
    for i in [0usize, 17, 64, 101, 255] {
        for k in 0..3 {
            sim.set_positions(&state.position).unwrap();
            let force = sim.forces().unwrap()[i][k] as f64;
            let mut energy_at = |delta: f32| {
                let mut x = state.position.clone();
                x[i][k] += delta;
                sim.set_positions(&x).unwrap();
                2.0 * sim.forces().unwrap()[i][3] as f64
            };
            let gradient = (energy_at(h) - energy_at(-h)) / (2.0 * h as f64);
            // f32 energies of about 10 lose ~1e-6 each; divided by 2h that is ~1e-3.
            let tolerance = 2e-3 + 2e-3 * force.abs();
            assert!(
                (force + gradient).abs() < tolerance,
                "particle {i} axis {k}: F = {force}, −dE/dx = {}",
                -gradient
            );
        }
    }
}

on_both! {
    /// The cell and Verlet lists find every pair the all-pairs sum does: energy, virial and every
    /// force agree with the f64 reference, in a periodic liquid (after the lists were reused
    /// across steps), for a free cluster, and for a binary mixture with a parameter set per
    /// species pair.
    fn neighbour_lists_give_the_all_pairs_energy_and_forces(ctx: &Context) {
        let mut sim = liquid(ctx, 256, 0.8442, Truncation::Plain, 2.5);
        for _ in 0..50 {
            sim.advance(ParticleIntegrator::VelocityVerlet, 0.005, 0.0)
                .unwrap();
        }
        let cluster_lj = LennardJones::single(2.5, Truncation::Plain).unwrap();
        let cluster = ParticleState::random_cluster(2, 40, 0.6, 3).unwrap();
        let mut free =
            ParticleSimulation::new(ctx, &cluster_lj, ParticleBox::Free, &cluster, 0.3, 3).unwrap();
        // The Kob–Andersen binary mixture (80:20; ε_AB = 1.5, σ_AB = 0.8, ε_BB = 0.5, σ_BB = 0.88)
        // at ρ = 1.2: every pair with its own parameters.
        let ka = LennardJones::mixture(
            2,
            &[(0, 0, 1.0, 1.0), (0, 1, 1.5, 0.8), (1, 1, 0.5, 0.88)],
            2.5,
            Truncation::Shifted,
        )
        .unwrap();
        let (mut mixed, domain) = ParticleState::fcc(1, 500, 1.2, 1.0, 6).unwrap();
        mixed.assign_species(&[0.8, 0.2], 6).unwrap();
        assert_eq!(mixed.position.iter().filter(|p| p[3] == 1.0).count(), 100);
        let mut binary = ParticleSimulation::new(ctx, &ka, domain, &mixed, 0.3, 6).unwrap();
        for _ in 0..50 {
            binary
                .advance(ParticleIntegrator::Baoab { gamma: 1.0 }, 0.002, 1.0)
                .unwrap();
        }
        for sim in [&mut sim, &mut free, &mut binary] {
            let state = sim.state().unwrap();
            let record = sim.observe(0, 0.0, ParticleIntegrator::VelocityVerlet).unwrap();
            let forces = sim.forces().unwrap();
            for c in 0..state.chains {
                let x = state.chain_positions(c);
                let (u, w, f) = all_pairs(sim.lennard_jones(), sim.domain(), x);
                let n = state.n as f64;
                let got = record.potential[c];
                assert!((got - u).abs() < 1e-5 * u.abs().max(1.0), "{got} vs {u}");
                if let ParticleBox::Periodic(_) = sim.domain() {
                    let v = sim.domain().volume();
                    let w_of_sim = 3.0 * v * record.pressure[c] - 2.0 * n * record.kinetic[c];
                    assert!((w_of_sim - w).abs() < 1e-4 * w.abs().max(1.0), "virial {w_of_sim} vs {w}");
                }
                for (a, b) in forces[c * state.n..(c + 1) * state.n].iter().zip(&f) {
                    for k in 0..3 {
                        assert!((a[k] as f64 - b[k]).abs() < 1e-3 * (1.0 + b[k].abs()), "{a:?} vs {b:?}");
                    }
                }
            }
            assert!(sim.rebuilds() >= 1);
        }
    }
}

/// The GPU kernels and their CPU twins run the same trajectory: after 100 BAOAB steps of a
/// 256-particle liquid (the same noise on both) positions agree to 1e-3 σ and the energies per
/// particle to 1e-4, the differences being f32 rounding (summation order, `exp`) grown by the
/// dynamics' chaos over so few steps.
#[test]
fn gpu_and_cpu_run_the_same_trajectory() {
    crate::common::on_gpu(|gpu| {
        let run = |ctx: &idf::Context| {
            let mut sim = liquid(ctx, 256, 0.8442, Truncation::Shifted, 2.5);
            let record = sim
                .observe(0, 0.0, ParticleIntegrator::VelocityVerlet)
                .unwrap();
            (sim.state().unwrap(), record)
        };
        let (a, ra) = run(&idf::Context::cpu());
        let (b, rb) = run(gpu);
        let worst = a
            .position
            .iter()
            .zip(&b.position)
            .map(|(p, q)| {
                (0..3)
                    .map(|k| {
                        let l = 256f32.powf(1.0 / 3.0) / 0.8442f32.powf(1.0 / 3.0);
                        let d = (p[k] - q[k]).abs();
                        d.min(l - d)
                    })
                    .fold(0.0f32, f32::max)
            })
            .fold(0.0f32, f32::max);
        assert!(worst < 1e-3, "positions differ by up to {worst}");
        assert!(
            (ra.potential[0] - rb.potential[0]).abs() < 1e-4,
            "{} vs {}",
            ra.potential[0],
            rb.potential[0]
        );
    });
}

/// The total energy per particle at every step of a velocity-Verlet run of `time`.
fn energy_series(dt: f32, time: f32) -> Vec<f64> {
    let mut sim = liquid(&idf::Context::cpu(), 256, 0.8442, Truncation::Shifted, 2.5);
    let run = ParticleRun {
        integrator: ParticleIntegrator::VelocityVerlet,
        dt,
        temperature: 0.0,
        t_start: 0.0,
        steps: (time / dt).round() as u64,
        record_every: 1,
    };
    let trace = sim.run(&run, &mut |_, _| {}).unwrap();
    trace.records.iter().map(|r| r.total[0]).collect()
}

fn mean(x: &[f64]) -> f64 {
    x.iter().sum::<f64>() / x.len() as f64
}

/// The RMS fluctuation of a series about its mean.
fn fluctuation(e: &[f64]) -> f64 {
    let m = mean(e);
    (e.iter().map(|x| (x - m).powi(2)).sum::<f64>() / e.len() as f64).sqrt()
}

/// Velocity Verlet conserves a shadow Hamiltonian (Hairer, Lubich & Wanner, *Geometric
/// Numerical Integration*, IX; Engle, Skeel & Drees, J. Comput. Phys. 206, 432 (2005)):
/// H̃ = H + dt² (vᵀU''v / 12 − |F|² / 24) + O(dt⁴) (m = 1), so the energy's fluctuation along a
/// trajectory is, to leading order, that of −dt² (vᵀU''v / 12 − |F|² / 24), which the test
/// computes from the recorded states (vᵀU''v by a central difference of the forces along v).
/// Adding that term to the energy must remove most of its fluctuation: what is left (O(dt⁴) and
/// f32 rounding) is under a fifth of it at dt = 0.005. The fluctuation over a fixed time falls
/// by 4 when dt halves (within 25 %), and over a long run (t = 20, 4000 steps) the energy does
/// not drift: the mean of the last tenth is within twice the O(dt²) fluctuation of the first
/// tenth's.
#[test]
fn velocity_verlet_energy_error_shrinks_as_dt_squared() {
    let dt = 0.005f32;
    let (energy, shadow) = energy_and_shadow_term(dt, 2.0);
    let residual: Vec<f64> = energy.iter().zip(&shadow).map(|(e, s)| e + s).collect();
    let (raw, left) = (fluctuation(&energy), fluctuation(&residual));
    assert!(
        left < 0.2 * raw,
        "fluctuation per particle {raw}, {left} after the dt² shadow term"
    );
    let coarse = fluctuation(&energy_series(dt, 2.0));
    let fine = fluctuation(&energy_series(dt / 2.0, 2.0));
    let ratio = coarse / fine;
    let long = energy_series(dt, 20.0);
    let tenth = long.len() / 10;
    let drift = mean(&long[long.len() - tenth..]) - mean(&long[..tenth]);
    let spread = fluctuation(&long);
    assert!(
        drift.abs() < 2.0 * spread,
        "drift {drift} per particle over t = 20, fluctuation {spread}"
    );
    assert!(
        (3.0..5.0).contains(&ratio),
        "ratio {ratio} ({coarse} / {fine}), expected 4"
    );
}

/// The total energy per particle at every step of a velocity-Verlet run of `time`, and at each
/// the shadow Hamiltonian's dt² term per particle, dt² (vᵀU''v / 12 − |F|² / 24) / N, evaluated
/// on a second simulation so the trajectory is left alone.
fn energy_and_shadow_term(dt: f32, time: f32) -> (Vec<f64>, Vec<f64>) {
    let cpu = idf::Context::cpu();
    let mut sim = liquid(&cpu, 256, 0.8442, Truncation::Shifted, 2.5);
    let mut probe = liquid(&cpu, 256, 0.8442, Truncation::Shifted, 2.5);
    let verlet = ParticleIntegrator::VelocityVerlet;
    let h = 1e-3f32;
    let (mut energy, mut shadow) = (Vec::new(), Vec::new());
    for step in 0..=(time / dt).round() as u64 {
        if step > 0 {
            sim.advance(verlet, dt, 0.0).unwrap();
        }
        energy.push(sim.observe(step, 0.0, verlet).unwrap().total[0]);
        let state = sim.state().unwrap();
        let (x, v) = (&state.position, &state.velocity);
        let along = |s: f32| -> Vec<[f32; 4]> {
            x.iter()
                .zip(v)
                .map(|(p, w)| [p[0] + s * w[0], p[1] + s * w[1], p[2] + s * w[2], p[3]])
                .collect()
        };
        probe.set_positions(&along(h)).unwrap();
        let ahead = probe.forces().unwrap();
        probe.set_positions(&along(-h)).unwrap();
        let behind = probe.forces().unwrap();
        let f = sim.forces().unwrap();
        let (mut v_hessian_v, mut f2) = (0.0f64, 0.0f64);
        for i in 0..x.len() {
            for k in 0..3 {
                v_hessian_v -=
                    (ahead[i][k] - behind[i][k]) as f64 * v[i][k] as f64 / (2.0 * h as f64);
                f2 += (f[i][k] as f64).powi(2);
            }
        }
        let dt2 = (dt as f64).powi(2);
        shadow.push(dt2 * (v_hessian_v / 12.0 - f2 / 24.0) / x.len() as f64);
    }
    (energy, shadow)
}

/// BAOAB samples the canonical ensemble: the mean kinetic temperature equals the target, and
/// the potential energy per particle of the Lennard-Jones fluid cut at 3σ with long-range
/// corrections equals NIST's Monte Carlo reference at T* = 0.85, ρ* = 0.776 (N = 500,
/// U/N = −5.5121 ± 4.55e-4, https://www.nist.gov/mml/csd/chemical-informatics-research-group/lennard-jones-fluid-properties),
/// each within 3 combined standard errors (ours from the autocorrelation time).
#[test]
fn baoab_matches_the_target_temperature_and_nist_energy() {
    let lj = LennardJones::single(3.0, Truncation::TailCorrected).unwrap();
    let (state, domain) = ParticleState::fcc(1, 500, 0.776, 0.85, 11).unwrap();
    let mut sim =
        ParticleSimulation::new(&idf::Context::cpu(), &lj, domain, &state, 0.3, 11).unwrap();
    let run = ParticleRun {
        integrator: ParticleIntegrator::Baoab { gamma: 1.0 },
        dt: 0.005,
        temperature: 0.85,
        t_start: 0.85,
        steps: 24_000,
        record_every: 10,
    };
    let trace = sim.run(&run, &mut |_, _| {}).unwrap();
    // The first 4000 steps melt the lattice and equilibrate.
    let from = 400;
    let t = estimate(&trace.series(from, |r| &r.temperature));
    let u = estimate(&trace.series(from, |r| &r.potential));
    let (t_se, u_se) = (t.stderr.unwrap(), u.stderr.unwrap());
    assert!(
        (t.mean - 0.85).abs() < 3.0 * t_se,
        "T = {} ± {t_se}",
        t.mean
    );
    let nist: (f64, f64) = (-5.5121, 4.55e-4);
    let combined = (u_se * u_se + nist.1 * nist.1).sqrt();
    assert!(
        (u.mean - nist.0).abs() < 3.0 * combined,
        "U/N = {} ± {u_se}, NIST {} ± {}",
        u.mean,
        nist.0,
        nist.1
    );
    assert!(!u.too_short(), "τ = {:?} records", u.tau);
}

/// Annealing then FIRE finds the global minima of small Lennard-Jones clusters (Cambridge
/// Cluster Database, Wales & Doye, J. Phys. Chem. A 101, 5111 (1997)): LJ7 −16.505384 and
/// LJ13 −44.326801, to the f32 energies' precision.
#[test]
fn small_clusters_reach_their_global_minima() {
    for (n, minimum) in [(7usize, -16.505384f64), (13, -44.326801)] {
        let lj = LennardJones::single(100.0, Truncation::Plain).unwrap();
        let chains = 8;
        let state = ParticleState::random_cluster(chains, n, 0.5, 5).unwrap();
        let mut sim =
            ParticleSimulation::new(&idf::Context::cpu(), &lj, ParticleBox::Free, &state, 0.5, 5)
                .unwrap();
        let anneal = ParticleRun {
            integrator: ParticleIntegrator::Baoab { gamma: 1.0 },
            dt: 0.005,
            temperature: 0.02,
            t_start: 0.3,
            steps: 20_000,
            record_every: 1000,
        };
        sim.run(&anneal, &mut |_, _| {}).unwrap();
        let done = minimise(&mut sim, &Fire::default()).unwrap();
        assert!(done.converged.iter().all(|&c| c), "{done:?}");
        let record = sim
            .observe(0, 0.0, ParticleIntegrator::VelocityVerlet)
            .unwrap();
        let best = record
            .potential
            .iter()
            .map(|u| u * n as f64)
            .fold(f64::INFINITY, f64::min);
        assert!(
            (best - minimum).abs() < 1e-3,
            "LJ{n}: best {best}, global minimum {minimum}"
        );
    }
}

/// HMC samples exp(−U/T) exactly whatever the time step: at dt = 0.01 (ten leapfrog steps per
/// trajectory) its mean potential energy equals BAOAB's at dt = 0.002 (whose discretisation
/// bias is far below the error bars) on the same 256-particle fluid, within 3 combined standard
/// errors; and with a tiny step almost every trajectory is accepted (for the shifted potential:
/// a plain cut's energy jumps by u(r_c) whenever a pair crosses r_c, which no step size avoids).
#[test]
fn hmc_samples_the_canonical_potential_energy() {
    let mean_u = |integrator, dt: f32, steps: u64, every: u64, truncation| {
        let lj = LennardJones::single(3.0, truncation).unwrap();
        let (state, domain) = ParticleState::fcc(1, 256, 0.776, 0.85, 2).unwrap();
        let ctx = idf::Context::cpu();
        let mut sim = ParticleSimulation::new(&ctx, &lj, domain, &state, 0.3, 2).unwrap();
        let run = ParticleRun {
            integrator,
            dt,
            temperature: 0.85,
            t_start: 0.85,
            steps,
            record_every: every,
        };
        let trace = sim.run(&run, &mut |_, _| {}).unwrap();
        let from = trace.records.len() / 5;
        (
            estimate(&trace.series(from, |r| &r.potential)),
            sim.acceptance(),
        )
    };
    let tail = Truncation::TailCorrected;
    let hmc_run = ParticleIntegrator::Hmc { leapfrog_steps: 10 };
    let (hmc, acceptance) = mean_u(hmc_run, 0.01, 1500, 1, tail);
    let (baoab, _) = mean_u(
        ParticleIntegrator::Baoab { gamma: 1.0 },
        0.002,
        15_000,
        10,
        tail,
    );
    let acceptance = acceptance.unwrap();
    assert!((0.3..1.0).contains(&acceptance), "acceptance {acceptance}");
    let se = (hmc.stderr.unwrap().powi(2) + baoab.stderr.unwrap().powi(2)).sqrt();
    assert!(
        (hmc.mean - baoab.mean).abs() < 3.0 * se,
        "HMC U/N = {} ± {:?}, BAOAB {} ± {:?}",
        hmc.mean,
        hmc.stderr,
        baoab.mean,
        baoab.stderr
    );
    let short = ParticleIntegrator::Hmc { leapfrog_steps: 5 };
    let (_, tiny) = mean_u(short, 0.0005, 40, 1, Truncation::Shifted);
    assert!(tiny.unwrap() > 0.97, "acceptance {tiny:?} at dt = 0.0005");
}

/// The CPU fast path (half lists, each pair once, Newton's third law; the half shell of cells
/// where the grid allows) gives the twin's forces, energies and virials (full lists, the GPU
/// kernel's arithmetic) up to the order of the sums: a liquid on a 6³ grid (half shell with
/// image shifts), one on a 2³ grid (index rule), a small free cluster (index rule) and a large
/// one (half shell in free space).
#[test]
fn the_half_list_fast_path_gives_the_twins_forces() {
    use idf::cpu::particles::neighbor_list::Lists;
    use idf::cpu::particles::{cell_list, lj_forces, lj_forces_half, neighbor_list};
    let cpu = idf::Context::cpu();
    let liquid_4000 = liquid(&cpu, 4000, 0.8442, Truncation::Plain, 2.5);
    let liquid_256 = liquid(&cpu, 256, 0.8442, Truncation::Plain, 2.5);
    let lj = LennardJones::single(2.5, Truncation::Shifted).unwrap();
    let cluster = ParticleState::random_cluster(2, 60, 0.6, 9).unwrap();
    let free = ParticleSimulation::new(&cpu, &lj, ParticleBox::Free, &cluster, 0.3, 9).unwrap();
    // 400 particles span 3 or more cells per axis: the half shell in free space.
    let big_cluster = ParticleState::random_cluster(1, 400, 0.6, 9).unwrap();
    let big_free =
        ParticleSimulation::new(&cpu, &lj, ParticleBox::Free, &big_cluster, 0.3, 9).unwrap();
    assert!(big_free.params().cells.iter().all(|&c| c >= 3));
    for (name, sim) in [
        ("4000", &liquid_4000),
        ("256", &liquid_256),
        ("cluster", &free),
        ("cluster 400", &big_free),
    ] {
        let mut p = *sim.params();
        p.capacity = p.n;
        let x = sim.state().unwrap().position;
        let table = sim.lennard_jones().pair_table();
        let len = x.len();
        let cells = p.chains as usize * (p.cells_per_chain() + 1);
        let (mut start, mut list) = (vec![0u32; cells], vec![0u32; len]);
        cell_list::build_cells(&p, &x, &mut start, &mut list);
        let run = |half: bool| {
            let (mut nb, mut count) = (vec![0u32; len * p.n as usize], vec![0u32; len]);
            let mut anchor = vec![[0.0f32; 4]; len];
            let (mut f, mut w) = (vec![[0.0f32; 4]; len], vec![0.0f32; len]);
            if half {
                neighbor_list::build_neighbors(
                    Lists::Half,
                    &p,
                    &x,
                    &start,
                    &list,
                    &mut nb,
                    &mut count,
                    &mut anchor,
                );
                // Without the tallies the forces are the same, the energies and virials zero.
                let (mut bare, mut bare_w) = (vec![[0.0f32; 4]; len], vec![0.0f32; len]);
                lj_forces_half::lj_forces_half(
                    &p,
                    &table,
                    &x,
                    &nb,
                    &count,
                    &mut bare,
                    &mut bare_w,
                    false,
                );
                lj_forces_half::lj_forces_half(&p, &table, &x, &nb, &count, &mut f, &mut w, true);
                for (a, b) in bare.iter().zip(&f) {
                    assert_eq!(&a[..3], &b[..3], "{name}: forces without the tallies");
                    assert_eq!(a[3], 0.0);
                }
                assert!(bare_w.iter().all(|&v| v == 0.0));
            } else {
                neighbor_list::build_neighbors(
                    Lists::Full,
                    &p,
                    &x,
                    &start,
                    &list,
                    &mut nb,
                    &mut count,
                    &mut anchor,
                );
                lj_forces::lj_forces(&p, &table, &x, &nb, &count, &mut f, &mut w);
            }
            (f, w, count.iter().map(|&c| c as u64).sum::<u64>())
        };
        let (ft, wt, pairs_twin) = run(false);
        let (ff, wf, pairs_half) = run(true);
        assert_eq!(pairs_twin, 2 * pairs_half, "{name}: every pair once");
        for i in 0..len {
            for k in 0..4 {
                let (a, b) = (ft[i][k], ff[i][k]);
                assert!(
                    (a - b).abs() < 1e-4 * (1.0 + a.abs()),
                    "{name} particle {i} slot {k}: {a} vs {b}"
                );
            }
            assert!(
                (wt[i] - wf[i]).abs() < 1e-4 * (1.0 + wt[i].abs()),
                "{name} virial {i}"
            );
        }
    }
}

/// The CPU twin ranks a NaN displacement above every number, as the GPU's `atomicMax` on the
/// bits does, so a particle that blew up triggers the divergence check on both backends.
#[test]
fn a_nan_displacement_outranks_every_number_on_the_cpu_too() {
    use idf::cpu::particles::neighbor_list::{max_by_bits, max_displacement2};
    let p = idf::kernels::particles::ParticleParams {
        n: 3,
        chains: 1,
        ..Default::default()
    };
    let anchor = [[0.0f32; 4]; 3];
    let mut position = [[0.5f32, 0.0, 0.0, 0.0], [0.0, 2.0, 0.0, 0.0], [0.0; 4]];
    assert_eq!(max_displacement2(&p, &position, &anchor, 0), 4.0);
    position[0][0] = f32::NAN;
    assert!(max_displacement2(&p, &position, &anchor, 0).is_nan());
    assert!(max_by_bits(f32::INFINITY, f32::NAN).is_nan());
    assert_eq!(max_by_bits(2.0, 1.0), 2.0);
}
