//! GPU and CPU agree: one step within 1e-6 with noise off, within 1e-4 after 100 noisy steps
//! with the same seed; Metropolis sweeps and MALA steps likewise. Needs a GPU adapter (lavapipe
//! in CI); without one, the GPU side is reported and skipped (and CI fails in `adapter.rs`).

use crate::common;

use idf::{
    Context, EnergyModel, Field, Method, RunConfig, Simulation, StepRule, TemperatureSchedule,
};

fn max_abs_diff(a: &Field, b: &Field) -> f32 {
    a.data()
        .iter()
        .zip(b.data())
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}

fn run_both(
    gpu: &Context,
    model: &EnergyModel,
    shape: idf::Shape,
    steps: u64,
    rule: StepRule,
) -> (Field, Field) {
    let init = model.initial_field(shape, 11).unwrap();
    let mut results = Vec::new();
    for ctx in [&Context::cpu(), gpu] {
        let mut sim = Simulation::new(ctx, model, &init, 5).unwrap();
        sim.advance(steps, &|_| rule, &|_| false, &mut |_, _| {})
            .unwrap();
        results.push(sim.field().unwrap());
    }
    let gpu_field = results.pop().unwrap();
    (results.pop().unwrap(), gpu_field)
}

/// Every registered energy with a CPU twin, on a shape that exercises the lattice wrap-around
/// (3 chains of 16×24) or many points: those with continuous states for the gradient steps,
/// those with local moves for the Metropolis sweeps.
fn models(keep: impl Fn(&EnergyModel) -> bool) -> Vec<(EnergyModel, idf::Shape)> {
    idf::REGISTRY
        .iter()
        .map(|spec| (spec.example)().model)
        .filter(|m| m.energy().twin().is_some() && keep(m))
        .map(|m| {
            let shape = if m.state().is_lattice() {
                m.shape(3, Some([16, 24]))
            } else {
                m.shape(64, None)
            };
            (m, shape.unwrap())
        })
        .collect()
}

fn continuous(m: &EnergyModel) -> bool {
    !m.state().is_discrete()
}

#[test]
fn one_noiseless_step_agrees_to_1e6() {
    common::on_gpu(|gpu| {
        for (model, shape) in models(continuous) {
            let (cpu, gpu) = run_both(gpu, &model, shape, 1, StepRule::langevin(0.02, 0.0));
            let d = max_abs_diff(&cpu, &gpu);
            assert!(d <= 1e-6, "{}: one step differs by {d:e}", model.name());
        }
    });
}

#[test]
fn hundred_noisy_steps_agree_to_1e4() {
    common::on_gpu(|gpu| {
        for (model, shape) in models(continuous) {
            let (cpu, gpu) = run_both(gpu, &model, shape, 100, StepRule::langevin(0.02, 1.0));
            let d = max_abs_diff(&cpu, &gpu);
            assert!(
                d <= 1e-4,
                "{}: 100 noisy steps differ by {d:e}",
                model.name()
            );
        }
    });
}

#[test]
fn metropolis_sweeps_agree() {
    common::on_gpu(|gpu| {
        for (model, shape) in models(|m| m.module().local_moves) {
            let rule = StepRule::Metropolis {
                step_size: 0.5,
                temperature: 2.3,
            };
            if model.state().is_discrete() {
                // Flips of ±1 or 0/1 from the same random integers: the same states exactly.
                let (cpu, gpu_field) = run_both(gpu, &model, shape, 20, rule);
                assert_eq!(cpu, gpu_field, "{}: 20 sweeps differ", model.name());
            } else {
                let (cpu, gpu_field) = run_both(gpu, &model, shape, 1, rule);
                let d = max_abs_diff(&cpu, &gpu_field);
                assert!(
                    d <= 1e-6,
                    "{}: one Metropolis sweep differs by {d:e}",
                    model.name()
                );
            }
        }
    });
}

/// MALA on short chains, which `mala_accept` sums several to a workgroup: 8 chains of 16
/// sites (16 chains per workgroup, one workgroup part full) and 37 chains of 15 (three
/// workgroups, the last part full). The decisions agree exactly; the fields, energies and each
/// chain's ln α to 1e-4.
#[test]
fn mala_steps_and_observables_agree() {
    common::on_gpu(|gpu| {
        let model = EnergyModel::from_params("phi4", &[]).unwrap();
        for (chains, size) in [(8, [4, 4]), (37, [3, 5])] {
            let shape = model.shape(chains, Some(size)).unwrap();
            let init = model.initial_field(shape, 3).unwrap();
            let cfg = RunConfig {
                method: Method::Mala,
                step_size: 0.1,
                schedule: TemperatureSchedule::constant(1.0),
                burn_in: 0,
                steps: 50,
                record_every: 10,
                ..RunConfig::default()
            };
            let mut out = Vec::new();
            for ctx in [&Context::cpu(), gpu] {
                let mut sim = Simulation::new(ctx, &model, &init, 9).unwrap();
                let trace = sim.run(&cfg, &mut |_, _| {}).unwrap();
                out.push((sim.field().unwrap(), trace));
            }
            let d = max_abs_diff(&out[0].0, &out[1].0);
            assert!(
                d <= 1e-4,
                "{chains} chains of {size:?}: MALA fields differ by {d:e}"
            );
            for r in 0..out[0].1.records.len() {
                for (a, b) in out[0].1.energies(r).iter().zip(out[1].1.energies(r)) {
                    assert!(
                        (a - b).abs() <= 1e-4 * a.abs().max(1.0),
                        "{chains} chains, record {r}: energy {a} vs {b}"
                    );
                }
                for c in 0..shape.chains {
                    let value = |t: &idf::RunTrace, obs| t.value(obs, r, c);
                    let acceptance = idf::Observable::Acceptance;
                    assert_eq!(
                        value(&out[0].1, acceptance),
                        value(&out[1].1, acceptance),
                        "{chains} chains, record {r} chain {c}: acceptance"
                    );
                    if r > 0 {
                        let ln_alpha = |t| -value(t, idf::Observable::DeltaH).unwrap();
                        let (a, b) = (ln_alpha(&out[0].1), ln_alpha(&out[1].1));
                        assert!(
                            (a - b).abs() <= 1e-4 * a.abs().max(1.0),
                            "{chains} chains, record {r} chain {c}: ln α {a} vs {b}"
                        );
                    }
                }
            }
        }
    });
}

/// Accepted flips are counted per workgroup and added to each chain's counter once per
/// workgroup (issue 13): the counts stay exact where a workgroup of 64 sites holds one chain,
/// straddles two (10×10 chains) or holds many (4×4 chains, counted globally).
#[test]
fn metropolis_acceptance_counts_agree_per_chain() {
    common::on_gpu(|gpu| {
        let model = EnergyModel::from_params("ising", &[]).unwrap();
        for (chains, side) in [(3, 16), (5, 10), (9, 4)] {
            let shape = model.shape(chains, Some([side, side])).unwrap();
            let init = model.initial_field(shape, 4).unwrap();
            let cfg = RunConfig {
                method: Method::Metropolis,
                schedule: TemperatureSchedule::constant(2.3),
                burn_in: 0,
                steps: 12,
                record_every: 4,
                ..RunConfig::default()
            };
            let traces: Vec<idf::RunTrace> = [&Context::cpu(), gpu]
                .into_iter()
                .map(|ctx| {
                    let mut sim = Simulation::new(ctx, &model, &init, 7).unwrap();
                    sim.run(&cfg, &mut |_, _| {}).unwrap()
                })
                .collect();
            let acc = |t: &idf::RunTrace, r, c| t.value(idf::Observable::Acceptance, r, c);
            let mut total = 0.0;
            for r in 1..traces[0].records.len() {
                for c in 0..chains {
                    total += acc(&traces[0], r, c).unwrap();
                    assert_eq!(
                        acc(&traces[0], r, c),
                        acc(&traces[1], r, c),
                        "{chains} chains of {side}²: record {r} chain {c}: acceptance"
                    );
                }
            }
            assert!(total > 0.0, "{side}²: no flip accepted");
        }
    });
}

/// A chain longer than `SUM_BLOCK` sites has its log-ratio terms summed block by block
/// (`chain_block_sums`), then per chain (`mala_accept`): the CPU twins give the terms' exact sum
/// to float rounding, block sums and all.
#[test]
fn block_sums_give_the_sum_of_every_term() {
    use std::sync::atomic::{AtomicU32, Ordering};
    let (chains, side) = (2usize, 300usize);
    let n = side * side;
    assert!(n > idf::kernels::SUM_BLOCK && n < 2 * idf::kernels::SUM_BLOCK);
    let p = idf::kernels::StepParams {
        chains: chains as u32,
        channels: 1,
        height: side as u32,
        width: side as u32,
        ..Default::default()
    };
    // Terms of both signs whose sum is far from any single term.
    let terms: Vec<f32> = (0..chains * n)
        .map(|i| 1e-3 * ((i as f32 * 0.618).fract() - 0.45))
        .collect();
    let mut aux = terms.clone();
    idf::cpu::chain_block_sums::run(&p, &mut aux);
    let status: Vec<AtomicU32> = (0..idf::kernels::status_len(chains))
        .map(|_| AtomicU32::new(0))
        .collect();
    let ladder = vec![0u32; idf::kernels::ladder_len(chains)];
    idf::cpu::mala_accept::run(&p, &ladder, &aux, chains * n, &status);
    for c in 0..chains {
        let exact: f64 = terms[c * n..(c + 1) * n].iter().map(|&t| t as f64).sum();
        let log_alpha = f32::from_bits(status[1 + 2 * chains + c].load(Ordering::Relaxed));
        assert!(
            (log_alpha as f64 - exact).abs() <= 1e-5 * exact.abs(),
            "chain {c}: ln α {log_alpha} against the terms' sum {exact}"
        );
    }
}

/// MALA and HMC on chains longer than `SUM_BLOCK` sites: the GPU's block sums and the CPU
/// twin's take the same decisions and keep the fields together, and HMC's mean ΔH is extensive
/// (4× that of a quarter of the sites, within a factor 2), as it is only if every block counts.
#[test]
fn mala_and_hmc_agree_on_chains_summed_by_blocks() {
    let model = EnergyModel::from_params("phi4", &[]).unwrap();
    let run = |ctx: &Context, method, step_size, side| {
        let shape = model.shape(2, Some([side, side])).unwrap();
        let cfg = RunConfig {
            method,
            step_size,
            schedule: TemperatureSchedule::constant(1.0),
            burn_in: 0,
            steps: 8,
            record_every: 1,
            ..RunConfig::default()
        };
        let mut sim =
            Simulation::new(ctx, &model, &model.initial_field(shape, 6).unwrap(), 2).unwrap();
        let trace = sim.run(&cfg, &mut |_, _| {}).unwrap();
        (sim.field().unwrap(), trace)
    };
    let mean_delta_h = |t: &idf::RunTrace| {
        let values: Vec<f64> = (1..t.records.len())
            .flat_map(|r| (0..2).map(move |c| (r, c)))
            .map(|(r, c)| t.value(idf::Observable::DeltaH, r, c).unwrap())
            .collect();
        values.iter().sum::<f64>() / values.len() as f64
    };
    let quarter = mean_delta_h(&run(&Context::cpu(), Method::Hmc, 0.02, 150).1);
    let whole = mean_delta_h(&run(&Context::cpu(), Method::Hmc, 0.02, 300).1);
    assert!(
        (2.0..=8.0).contains(&(whole / quarter)),
        "mean ΔH {whole} on 300² against {quarter} on 150²: not extensive"
    );
    common::on_gpu(|gpu| {
        for (method, step_size) in [(Method::Mala, 0.001), (Method::Hmc, 0.02)] {
            let out = [
                run(&Context::cpu(), method, step_size, 300),
                run(gpu, method, step_size, 300),
            ];
            let d = max_abs_diff(&out[0].0, &out[1].0);
            assert!(d <= 1e-4, "{method:?}: fields differ by {d:e}");
            let mut accepted = 0.0;
            for r in 1..out[0].1.records.len() {
                for c in 0..2 {
                    let acc = |t: &idf::RunTrace| t.value(idf::Observable::Acceptance, r, c);
                    accepted += acc(&out[0].1).unwrap();
                    assert_eq!(
                        acc(&out[0].1),
                        acc(&out[1].1),
                        "{method:?}: record {r} chain {c}: acceptance"
                    );
                }
            }
            assert!(
                accepted > 0.0 && accepted < 16.0,
                "{method:?}: {accepted} of 16 accepted: decisions of one kind only"
            );
        }
    });
}
