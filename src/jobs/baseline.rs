//! Physical-law regression against an HDF5 baseline (`assets/baselines/physics.h5`): a few small
//! scenarios whose metric traces are stored once and compared with a fresh run.
//!
//! Regenerate the baseline (on the CPU backend, after an intended change of the physics) with
//! `idf baseline --out assets/baselines/physics.h5`; check a build with
//! `idf baseline --check assets/baselines/physics.h5`.
//!
//! Deterministic scenarios (heat flow; Langevin relaxation at T = 0) are compared record by record
//! within 1e-4 relative, f32 round-off with room for a different reduction order or backend.
//! The stochastic one (Ising at T = 2) is compared by its trace means within 4.5 combined
//! batch-means standard errors, so it tolerates a different random stream but not a different
//! equilibrium.

use std::path::Path;

use hdf5_metno as hdf5;
use serde::Serialize;

use crate::context::Context;
use crate::engine::energies::{EnergyModel, Ising, Phi4};
use crate::engine::estimates::estimate;
use crate::engine::field::{Field, Shape};
use crate::engine::method::Method;
use crate::engine::schedule::TemperatureSchedule;
use crate::engine::simulation::Simulation;
use crate::engine::step_rule::RunConfig;
use crate::engine::trace::{Observable, RunTrace};
use crate::error::{IdfError, Result};
use crate::io::hdf5::{get_trace, put_trace, write_with};

/// A scenario of the baseline.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scenario {
    /// Explicit heat flow of a log-normal density, r = 0.2: mass and density entropy.
    HeatFlow,
    /// φ⁴ gradient flow at T = 0: energy.
    LangevinQuench,
    /// Ising at T = 2 by checkerboard Metropolis: energy per site and |m|.
    IsingT2,
}

impl Scenario {
    /// Every scenario.
    pub const ALL: [Scenario; 3] = [
        Scenario::HeatFlow,
        Scenario::LangevinQuench,
        Scenario::IsingT2,
    ];

    /// The scenario's group name in the file.
    pub fn name(self) -> &'static str {
        match self {
            Scenario::HeatFlow => "heat_flow",
            Scenario::LangevinQuench => "langevin_quench",
            Scenario::IsingT2 => "ising_t2",
        }
    }

    fn observables(self) -> &'static [Observable] {
        match self {
            Scenario::HeatFlow => &[Observable::Sum, Observable::DensityEntropy],
            Scenario::LangevinQuench => &[Observable::Energy],
            Scenario::IsingT2 => &[Observable::EnergyPerSite, Observable::AbsMagnetization],
        }
    }

    /// Runs the scenario on `ctx`.
    pub fn run(self, ctx: &Context) -> Result<RunTrace> {
        let (model, initial, cfg) = match self {
            Scenario::HeatFlow => {
                let mut rho = Field::random_normal(Shape::new(2, 1, 32, 32)?, 11, 0.3);
                rho.data_mut().iter_mut().for_each(|v| *v = v.exp());
                let model = EnergyModel::Phi4(Phi4::diffusion(1.0));
                let cfg = RunConfig {
                    step_size: 0.2,
                    schedule: TemperatureSchedule::constant(0.0),
                    steps: 100,
                    record_every: 5,
                    ..RunConfig::default()
                };
                (model, rho, cfg)
            }
            Scenario::LangevinQuench => {
                let model = EnergyModel::Phi4(Phi4::default());
                let cfg = RunConfig {
                    step_size: 0.05,
                    schedule: TemperatureSchedule::constant(0.0),
                    steps: 100,
                    record_every: 5,
                    ..RunConfig::default()
                };
                (
                    model,
                    Field::random_normal(Shape::new(2, 1, 32, 32)?, 12, 1.0),
                    cfg,
                )
            }
            Scenario::IsingT2 => {
                let shape = Shape::new(4, 1, 32, 32)?;
                let cfg = RunConfig {
                    method: Method::Metropolis,
                    step_size: 1.0,
                    schedule: TemperatureSchedule::constant(2.0),
                    burn_in: 100,
                    steps: 400,
                    record_every: 4,
                    ..RunConfig::default()
                };
                let up = Field::from_vec(shape, vec![1.0; shape.len()])?;
                (EnergyModel::Ising(Ising::default()), up, cfg)
            }
        };
        Simulation::new(ctx, &model, &initial, 13)?.run(&cfg, &mut |_, _| {})
    }
}

/// A difference between a fresh run and the baseline beyond its tolerance.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Regression {
    /// The scenario.
    pub scenario: &'static str,
    /// The observable, as `Debug` of [`Observable`].
    pub observable: String,
    /// The record, for record-by-record comparisons.
    pub record: Option<usize>,
    /// The fresh value.
    pub fresh: f64,
    /// The stored value.
    pub baseline: f64,
    /// The allowed difference.
    pub tolerance: f64,
}

/// Runs every scenario on `ctx` and writes their traces to `path`.
pub fn write_baseline(ctx: &Context, path: &Path) -> Result<()> {
    let traces: Vec<(Scenario, RunTrace)> = Scenario::ALL
        .iter()
        .map(|s| s.run(ctx).map(|t| (*s, t)))
        .collect::<Result<_>>()?;
    write_with(path, |file| {
        for (s, trace) in &traces {
            put_trace(&file.create_group(s.name())?, trace)?;
        }
        Ok(())
    })
}

/// Runs every scenario on `ctx` and compares with the baseline in `path`; no regressions: pass.
pub fn check_baseline(ctx: &Context, path: &Path) -> Result<Vec<Regression>> {
    let file = hdf5::File::open(path).map_err(|e| IdfError::Config {
        path: path.to_path_buf(),
        message: format!("HDF5: {e}"),
    })?;
    let mut regressions = Vec::new();
    for s in Scenario::ALL {
        let group = file.group(s.name()).map_err(|e| IdfError::Config {
            path: path.to_path_buf(),
            message: format!("no scenario `{}`: {e}", s.name()),
        })?;
        let stored = get_trace(&group, path)?;
        let fresh = s.run(ctx)?;
        regressions.extend(compare(s, &fresh, &stored));
    }
    Ok(regressions)
}

fn compare(s: Scenario, fresh: &RunTrace, stored: &RunTrace) -> Vec<Regression> {
    let mut out = Vec::new();
    for &obs in s.observables() {
        let regression = |record, a: f64, b: f64, tolerance| Regression {
            scenario: s.name(),
            observable: format!("{obs:?}"),
            record,
            fresh: a,
            baseline: b,
            tolerance,
        };
        if s == Scenario::IsingT2 {
            let (a, b) = (
                estimate(&fresh.series(obs, 1).unwrap_or_default()),
                estimate(&stored.series(obs, 1).unwrap_or_default()),
            );
            let se = (a.stderr.unwrap_or(f64::INFINITY).powi(2)
                + b.stderr.unwrap_or(f64::INFINITY).powi(2))
            .sqrt();
            let tolerance = 4.5 * se;
            if (a.mean - b.mean).abs().is_nan() || (a.mean - b.mean).abs() > tolerance {
                out.push(regression(None, a.mean, b.mean, tolerance));
            }
            continue;
        }
        if fresh.records.len() != stored.records.len() || fresh.chains != stored.chains {
            out.push(regression(
                None,
                fresh.records.len() as f64,
                stored.records.len() as f64,
                0.0,
            ));
            continue;
        }
        for r in 0..fresh.records.len() {
            for c in 0..fresh.chains {
                let a = fresh.value(obs, r, c).unwrap_or(f64::NAN);
                let b = stored.value(obs, r, c).unwrap_or(f64::NAN);
                let tolerance = 1e-4 * b.abs().max(1.0);
                if (a - b).abs().is_nan() || (a - b).abs() > tolerance {
                    out.push(regression(Some(r), a, b, tolerance));
                }
            }
        }
    }
    out
}
