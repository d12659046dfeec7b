//! ELF, the energy-law fidelity: the fraction of trajectories for which every law that applies to
//! their dynamics holds, over a suite of domains. Each trajectory is one chain; a domain runs its
//! chains together in one simulation.
//!
//! | domain | dynamics | laws |
//! | --- | --- | --- |
//! | heat_flow | φ⁴ with a = b = h = 0 at T = 0: explicit heat flow, r = D·dt/dx² | mass conservation, second law (density entropy) |
//! | forward_noising | `x_t = √ᾱ_t x₀ + √(1−ᾱ_t) ε` along the cosine schedule | second law (value-histogram entropy) |
//! | hmc_phi4, hmc_gaussian | HMC trajectories, ε = 0.05, 10 leapfrog steps | Hamiltonian conservation |
//! | langevin_phi4 | Langevin relaxation at T = 0 (gradient flow) | energy descent |
//! | ising_quench | checkerboard Metropolis at T = 0 | energy descent |
//!
//! Heat flow past its stability limit (r > 1/4) must fail, and does: the checkerboard mode grows
//! by |1 − 8r| > 1 per step, the entropy drops and the density turns negative.

use std::collections::BTreeMap;
use std::time::Instant;

use serde::Serialize;

use crate::context::Context;
use crate::engine::diffusion::EnergyScheduler;
use crate::engine::energies::{EnergyModel, Ising, Phi4};
use crate::engine::field::{Field, Shape};
use crate::engine::method::Method;
use crate::engine::schedule::TemperatureSchedule;
use crate::engine::simulation::Simulation;
use crate::engine::step_rule::{RunConfig, StepRule};
use crate::engine::trace::{Histogram, Observable, RunTrace};
use crate::engine::validation::{
    validate, EnergyDescent, HamiltonianConservation, MassConservation, SecondLaw, Validator,
    Verdict, Violation,
};
use crate::error::{IdfError, Result};
use crate::jobs::config::Config;

/// Settings of a suite run.
#[derive(Clone, Debug, PartialEq)]
pub struct ElfConfig {
    /// Trajectories over all domains.
    pub trajectories: usize,
    /// `Validation.energyTolerance`.
    pub energy_tolerance: f64,
    /// `Validation.entropyDriftMax`.
    pub entropy_drift_max: f64,
    /// Diffusion timesteps of the forward-noising domain.
    pub timesteps: usize,
    /// Seed.
    pub seed: u32,
    /// r = D·dt/dx² of the heat-flow domain (stable up to 1/4).
    pub heat_flow_r: f32,
}

impl ElfConfig {
    /// The suite's defaults with the tolerances and timesteps of `config`.
    pub fn from_config(config: &Config) -> Self {
        ElfConfig {
            trajectories: 1200,
            energy_tolerance: config.validation.energy_tolerance,
            entropy_drift_max: config.validation.entropy_drift_max,
            timesteps: config.diffusion.timesteps,
            seed: 1,
            heat_flow_r: 0.2,
        }
    }
}

/// How often one law was checked and violated.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct LawCount {
    /// Trajectories it applied to.
    pub checked: usize,
    /// Trajectories it failed.
    pub violated: usize,
}

/// One domain's result.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DomainReport {
    /// The domain.
    pub name: &'static str,
    /// Trajectories run.
    pub trajectories: usize,
    /// Trajectories for which every law held.
    pub passed: usize,
    /// passed / trajectories.
    pub elf: f64,
    /// Per law: checked and violated counts.
    pub laws: BTreeMap<&'static str, LawCount>,
    /// The first failure, to show where and by how much.
    pub first_violation: Option<Violation>,
}

/// The suite's result: what `idf validate` writes.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ElfReport {
    /// Overall fraction of trajectories with every law held.
    pub elf: f64,
    /// Trajectories run.
    pub trajectories: usize,
    /// Trajectories that passed.
    pub passed: usize,
    /// Per domain.
    pub domains: Vec<DomainReport>,
    /// `Validation.energyTolerance` used.
    pub energy_tolerance: f64,
    /// `Validation.entropyDriftMax` used.
    pub entropy_drift_max: f64,
    /// r of the heat-flow domain.
    pub heat_flow_r: f32,
    /// `cpu` or `gpu`.
    pub backend: String,
    /// The adapter.
    pub adapter: String,
    /// Seed.
    pub seed: u32,
    /// Wall time of the suite.
    pub wall_ms: f64,
}

/// The domains and their share of the trajectories.
const DOMAINS: [(&str, f64); 6] = [
    ("heat_flow", 0.2),
    ("forward_noising", 0.2),
    ("hmc_phi4", 0.15),
    ("hmc_gaussian", 0.15),
    ("langevin_phi4", 0.15),
    ("ising_quench", 0.15),
];

/// Runs the suite on `ctx`; `progress(domain, done, total)` is called before each domain.
pub fn run_suite(
    ctx: &Context,
    cfg: &ElfConfig,
    progress: &mut dyn FnMut(&str, usize, usize),
) -> Result<ElfReport> {
    if cfg.trajectories < DOMAINS.len() {
        return Err(IdfError::invalid(
            "trajectories",
            format!(
                "the suite needs at least {} trajectories, one per domain",
                DOMAINS.len()
            ),
        ));
    }
    if !(cfg.heat_flow_r.is_finite() && cfg.heat_flow_r > 0.0) {
        return Err(IdfError::invalid(
            "heat_flow_r",
            "must be a positive number",
        ));
    }
    let started = Instant::now();
    let mut domains = Vec::new();
    for (k, (name, share)) in DOMAINS.iter().enumerate() {
        progress(name, k, DOMAINS.len());
        let n = ((cfg.trajectories as f64 * share).round() as usize).max(1);
        let seed = cfg.seed.wrapping_add(k as u32 * 7919);
        let verdicts = match *name {
            "heat_flow" => heat_flow(ctx, n, cfg, seed)?,
            "forward_noising" => forward_noising(ctx, n, cfg, seed)?,
            "hmc_phi4" => hmc(ctx, n, Phi4::default(), cfg, seed)?,
            "hmc_gaussian" => hmc(
                ctx,
                n,
                Phi4 {
                    kappa: 0.0,
                    a: 1.0,
                    b: 0.0,
                    h: 0.0,
                    guidance: None,
                },
                cfg,
                seed,
            )?,
            "langevin_phi4" => langevin_relaxation(ctx, n, cfg, seed)?,
            _ => ising_quench(ctx, n, cfg, seed)?,
        };
        domains.push(domain_report(name, &verdicts));
    }
    progress("done", DOMAINS.len(), DOMAINS.len());
    let trajectories: usize = domains.iter().map(|d| d.trajectories).sum();
    let passed: usize = domains.iter().map(|d| d.passed).sum();
    Ok(ElfReport {
        elf: passed as f64 / trajectories as f64,
        trajectories,
        passed,
        domains,
        energy_tolerance: cfg.energy_tolerance,
        entropy_drift_max: cfg.entropy_drift_max,
        heat_flow_r: cfg.heat_flow_r,
        backend: ctx.backend().to_string(),
        adapter: ctx.adapter_name(),
        seed: cfg.seed,
        wall_ms: started.elapsed().as_secs_f64() * 1e3,
    })
}

fn domain_report(name: &'static str, verdicts: &[Verdict]) -> DomainReport {
    let mut laws: BTreeMap<&'static str, LawCount> = BTreeMap::new();
    for v in verdicts {
        for law in &v.checked {
            laws.entry(law).or_default().checked += 1;
        }
        for violation in &v.violations {
            if let Some(count) = laws.get_mut(violation.law.as_str()) {
                count.violated += 1;
            }
        }
    }
    let passed = verdicts.iter().filter(|v| v.passed()).count();
    DomainReport {
        name,
        trajectories: verdicts.len(),
        passed,
        elf: passed as f64 / verdicts.len().max(1) as f64,
        laws,
        first_violation: verdicts
            .iter()
            .flat_map(|v| v.violations.first())
            .next()
            .cloned(),
    }
}

/// A run that stopped on a non-finite field fails every trajectory's `finite_field` law.
fn diverged(chains: usize, step: u64) -> Vec<Verdict> {
    (0..chains)
        .map(|chain| Verdict {
            chain,
            checked: vec!["finite_field"],
            violations: vec![Violation {
                law: "finite_field".into(),
                chain,
                step,
                value: f64::NAN,
                limit: f64::MAX,
            }],
        })
        .collect()
}

fn run_and_validate(
    sim: &mut Simulation,
    run: &RunConfig,
    laws: &[&dyn Validator],
) -> Result<Vec<Verdict>> {
    match sim.run(run, &mut |_, _| {}) {
        Ok(trace) => Ok(validate(&trace, laws)),
        Err(IdfError::Diverged { step, .. }) => Ok(diverged(sim.shape().chains, step)),
        Err(e) => Err(e),
    }
}

fn heat_flow(ctx: &Context, n: usize, cfg: &ElfConfig, seed: u32) -> Result<Vec<Verdict>> {
    let model = EnergyModel::Phi4(Phi4::diffusion(1.0));
    let shape = Shape::new(n, 1, 16, 16)?;
    let mut density = Field::random_normal(shape, seed, 0.3)?;
    density.data_mut().iter_mut().for_each(|v| *v = v.exp());
    let mut sim = Simulation::new(ctx, &model, &density, seed)?;
    let run = RunConfig {
        method: Method::Langevin,
        step_size: cfg.heat_flow_r,
        schedule: TemperatureSchedule::constant(0.0),
        steps: 100,
        ..RunConfig::default()
    };
    let mass = MassConservation {
        tolerance: cfg.energy_tolerance,
    };
    let second = SecondLaw {
        entropy: Observable::DensityEntropy,
        drift_max: cfg.entropy_drift_max,
    };
    run_and_validate(&mut sim, &run, &[&mass, &second])
}

fn forward_noising(ctx: &Context, n: usize, cfg: &ElfConfig, seed: u32) -> Result<Vec<Verdict>> {
    let model = EnergyModel::Phi4(Phi4::default());
    let shape = Shape::new(n, 1, 64, 64)?;
    let mut x0 = Field::random_normal(shape, seed, 1.0)?;
    x0.data_mut().iter_mut().for_each(|v| *v = v.tanh());
    let scheduler = EnergyScheduler::cosine(cfg.timesteps)?;
    let mut sim = Simulation::new(ctx, &model, &x0, seed)?;
    sim.set_histogram(Some(Histogram::new(-5.0, 5.0, 40)?));
    let points = 20usize.min(cfg.timesteps);
    let ts: Vec<u64> = (0..=points)
        .map(|k| (k * cfg.timesteps / points) as u64)
        .collect();
    let mut parts = Vec::new();
    for &t in &ts {
        let rule = StepRule::forward_noise(scheduler.alpha_bar(t as usize));
        sim.set_field(&x0)?;
        sim.seek(0);
        parts.push(sim.advance(1, &|_| rule, &|k| k == 1, &mut |_, _| {})?);
    }
    let trace = RunTrace::join(parts, &ts);
    let second = SecondLaw {
        entropy: Observable::HistogramEntropy,
        drift_max: cfg.entropy_drift_max,
    };
    Ok(validate(&trace, &[&second]))
}

fn hmc(ctx: &Context, n: usize, phi4: Phi4, cfg: &ElfConfig, seed: u32) -> Result<Vec<Verdict>> {
    let model = EnergyModel::Phi4(phi4);
    let shape = Shape::new(n, 1, 8, 8)?;
    let mut sim = Simulation::new(ctx, &model, &Field::random_normal(shape, seed, 1.0)?, seed)?;
    let run = RunConfig {
        method: Method::Hmc,
        step_size: 0.05,
        schedule: TemperatureSchedule::constant(1.0),
        steps: 10,
        leapfrog_steps: 10,
        ..RunConfig::default()
    };
    let law = HamiltonianConservation {
        tolerance: cfg.energy_tolerance,
    };
    run_and_validate(&mut sim, &run, &[&law])
}

fn langevin_relaxation(
    ctx: &Context,
    n: usize,
    cfg: &ElfConfig,
    seed: u32,
) -> Result<Vec<Verdict>> {
    let model = EnergyModel::Phi4(Phi4::default());
    let shape = Shape::new(n, 1, 16, 16)?;
    let mut sim = Simulation::new(ctx, &model, &Field::random_normal(shape, seed, 1.0)?, seed)?;
    let run = RunConfig {
        method: Method::Langevin,
        step_size: model.default_step_size(Method::Langevin, 0.0),
        schedule: TemperatureSchedule::constant(0.0),
        steps: 100,
        ..RunConfig::default()
    };
    let law = EnergyDescent {
        tolerance: cfg.energy_tolerance,
    };
    run_and_validate(&mut sim, &run, &[&law])
}

fn ising_quench(ctx: &Context, n: usize, cfg: &ElfConfig, seed: u32) -> Result<Vec<Verdict>> {
    let model = EnergyModel::Ising(Ising::default());
    let shape = Shape::new(n, 1, 16, 16)?;
    let mut sim = Simulation::new(ctx, &model, &Field::random_spins(shape, seed)?, seed)?;
    let run = RunConfig {
        method: Method::Metropolis,
        step_size: 1.0,
        schedule: TemperatureSchedule::constant(0.0),
        steps: 50,
        ..RunConfig::default()
    };
    let law = EnergyDescent {
        tolerance: cfg.energy_tolerance,
    };
    run_and_validate(&mut sim, &run, &[&law])
}
