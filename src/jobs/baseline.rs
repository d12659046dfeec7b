//! Physical-law regression against an HDF5 baseline (`assets/baselines/physics.h5`): a few small
//! scenarios whose metric traces are stored once and compared with a fresh run.
//!
//! Regenerate the baseline (on the CPU backend, after an intended change of the physics) with
//! `idf baseline --out assets/baselines/physics.h5`; check a build with
//! `idf baseline --check assets/baselines/physics.h5`.
//!
//! Every stored quantity is compared. Deterministic scenarios (heat flow; Langevin relaxation at
//! T = 0) are compared record by record and slot by slot, within 1e-4 relative for values
//! (f32 round-off with room for another reduction order or backend) and exactly for counts. The
//! stochastic one (Ising at T = 2) stores, with its trace, the mean and standard error of each
//! observable when it was written: the stored trace must still have those means (a changed
//! value is caught), and a fresh run's means must lie within 4.5 combined standard errors of
//! them, so another random stream passes but another equilibrium does not.

use std::path::Path;

use serde::Serialize;

use crate::context::Context;
use crate::engine::energies::{EnergyModel, Ising, Phi4};
use crate::engine::estimates::{estimate, Estimate};
use crate::engine::field::{Field, Shape};
use crate::engine::method::Method;
use crate::engine::schedule::TemperatureSchedule;
use crate::engine::simulation::Simulation;
use crate::engine::step_rule::RunConfig;
use crate::engine::trace::{Observable, RunTrace};
use crate::error::{IdfError, Result};
use crate::io::hdf5::{get_trace, put_trace, write_with, OBSERVABLE_NAMES};
use crate::kernels::{OBSERVABLES, OBS_ACCEPTED, OBS_NONPOSITIVE};

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

    /// Whether the scenario is random (compared by means within standard errors).
    fn stochastic(self) -> bool {
        self == Scenario::IsingT2
    }

    /// Runs the scenario on `ctx`.
    pub fn run(self, ctx: &Context) -> Result<RunTrace> {
        let (model, initial, cfg) = match self {
            Scenario::HeatFlow => {
                let mut rho = Field::random_normal(Shape::new(2, 1, 32, 32)?, 11, 0.3)?;
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
                    Field::random_normal(Shape::new(2, 1, 32, 32)?, 12, 1.0)?,
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

/// The observables a stochastic scenario is compared by: every one its trace has.
const COMPARED: [Observable; 9] = [
    Observable::EnergyPerSite,
    Observable::Mean,
    Observable::MeanSquare,
    Observable::Variance,
    Observable::AbsMagnetization,
    Observable::Min,
    Observable::Max,
    Observable::Acceptance,
    Observable::Temperature,
];

/// The estimates of the compared observables over records after the first.
fn estimates(trace: &RunTrace) -> Vec<Estimate> {
    COMPARED
        .iter()
        .map(|obs| estimate(&trace.series(*obs, 1).unwrap_or_default()))
        .collect()
}

/// Runs every scenario on `ctx` and writes their traces to `path`.
pub fn write_baseline(ctx: &Context, path: &Path) -> Result<()> {
    let traces: Vec<(Scenario, RunTrace)> = Scenario::ALL
        .iter()
        .map(|s| s.run(ctx).map(|t| (*s, t)))
        .collect::<Result<_>>()?;
    write_traces(path, &traces)
}

/// Writes scenario traces as a baseline: each a group with its trace and, for stochastic
/// scenarios, `estimate_mean` and `estimate_stderr` of the compared observables.
pub fn write_traces(path: &Path, traces: &[(Scenario, RunTrace)]) -> Result<()> {
    write_with(path, |file| {
        for (s, trace) in traces {
            let group = file.create_group(s.name())?;
            put_trace(&group, trace)?;
            group
                .new_attr::<u32>()
                .create("checksum")?
                .write_scalar(&checksum(trace))?;
            if s.stochastic() {
                let e = estimates(trace);
                let stderr: Vec<f64> = e.iter().map(|e| e.stderr.unwrap_or(f64::NAN)).collect();
                let mean: Vec<f64> = e.iter().map(|e| e.mean).collect();
                group
                    .new_dataset_builder()
                    .with_data(&mean)
                    .create("estimate_mean")?;
                group
                    .new_dataset_builder()
                    .with_data(&stderr)
                    .create("estimate_stderr")?;
            }
        }
        Ok(())
    })
}

/// Runs every scenario on `ctx` and compares with the baseline in `path`; no regressions: pass.
pub fn check_baseline(ctx: &Context, path: &Path) -> Result<Vec<Regression>> {
    let bad = |message: String| IdfError::Config {
        path: path.to_path_buf(),
        message,
    };
    let file = crate::io::hdf5::open(path)?;
    let mut regressions = Vec::new();
    for s in Scenario::ALL {
        let group = file
            .group(s.name())
            .map_err(|e| bad(format!("no scenario `{}`: {e}", s.name())))?;
        let stored = get_trace(&group, path)?;
        // Integrity first: every stored number (steps, temperatures, every slot) as written.
        let written = group
            .attr("checksum")
            .and_then(|a| a.read_scalar::<u32>())
            .map_err(|_| {
                bad(format!(
                    "{}: no checksum (written by an older IDF): rewrite it with --out",
                    s.name()
                ))
            })?;
        if checksum(&stored) != written {
            regressions.push(Regression {
                scenario: s.name(),
                observable: "stored trace (its checksum)".into(),
                record: None,
                fresh: checksum(&stored) as f64,
                baseline: written as f64,
                tolerance: 0.0,
            });
        }
        let fresh = s.run(ctx)?;
        if s.stochastic() {
            let read = |name: &str| -> Result<Vec<f64>> {
                let values = group
                    .dataset(name)
                    .and_then(|d| d.read_raw::<f64>())
                    .map_err(|e| bad(format!("{}/{name}: {e}", s.name())))?;
                if values.len() != COMPARED.len() {
                    return Err(bad(format!(
                        "{}/{name}: {} values for {} observables",
                        s.name(),
                        values.len(),
                        COMPARED.len()
                    )));
                }
                Ok(values)
            };
            let recorded = (read("estimate_mean")?, read("estimate_stderr")?);
            regressions.extend(compare_means(s, &fresh, &stored, recorded));
        } else {
            regressions.extend(compare_records(s, &fresh, &stored));
        }
    }
    Ok(regressions)
}

/// CRC-32 of everything a trace holds: its chain and site counts, each record's step,
/// temperature and proposals, and every slot's bits.
fn checksum(trace: &RunTrace) -> u32 {
    let mut h = crc32fast::Hasher::new();
    h.update(&(trace.chains as u64).to_le_bytes());
    h.update(&(trace.sites_per_chain as u64).to_le_bytes());
    for r in &trace.records {
        h.update(&r.step.to_le_bytes());
        h.update(&r.temperature.to_bits().to_le_bytes());
        h.update(&r.proposals.to_bits().to_le_bytes());
    }
    for v in trace.raw_values() {
        h.update(&v.to_bits().to_le_bytes());
    }
    h.finalize()
}

/// Whether `a` is within `tolerance` of `b` (never for NaN).
fn within(a: f64, b: f64, tolerance: f64) -> bool {
    (a - b).abs() <= tolerance
}

/// A stochastic scenario: the stored trace still has its recorded means, and the fresh means lie
/// within 4.5 combined standard errors of them (a missing error counts as 0: exact).
fn compare_means(
    s: Scenario,
    fresh: &RunTrace,
    stored: &RunTrace,
    (recorded_mean, recorded_stderr): (Vec<f64>, Vec<f64>),
) -> Vec<Regression> {
    let mut out = Vec::new();
    let fresh = estimates(fresh);
    let stored = estimates(stored);
    for (k, obs) in COMPARED.iter().enumerate() {
        let regression = |what: &str, a: f64, b: f64, tolerance| Regression {
            scenario: s.name(),
            observable: format!("{obs:?}{what}"),
            record: None,
            fresh: a,
            baseline: b,
            tolerance,
        };
        let mean = recorded_mean[k];
        // Integrity: the same values summed in the same order give the same f64 mean.
        let integrity = 1e-12 * mean.abs().max(1.0);
        if !within(stored[k].mean, mean, integrity) {
            out.push(regression(
                " (stored values vs their recorded mean)",
                stored[k].mean,
                mean,
                integrity,
            ));
        }
        // The recorded error too: NaN where the series had no spread, else what the stored
        // values give (an infinite one would make every tolerance infinite).
        let recorded_se = recorded_stderr[k];
        let stored_se = stored[k].stderr.unwrap_or(f64::NAN);
        let same = (recorded_se.is_nan() && stored_se.is_nan())
            || within(stored_se, recorded_se, 1e-9 * recorded_se.abs().max(1e-300));
        if !same {
            out.push(regression(
                " standard error (stored values vs the recorded one)",
                stored_se,
                recorded_se,
                0.0,
            ));
        }
        // A missing standard error (a series without spread) counts as 0: exact.
        let known = |e: f64| if e.is_nan() { 0.0 } else { e };
        let fresh_se = fresh[k].stderr.unwrap_or(0.0);
        let tolerance = 4.5 * (fresh_se.powi(2) + known(recorded_stderr[k]).powi(2)).sqrt();
        if !within(fresh[k].mean, mean, tolerance) {
            out.push(regression("", fresh[k].mean, mean, tolerance));
        }
    }
    out
}

/// A deterministic scenario: every record's step and temperature, and every slot of every
/// record and chain, within 1e-4 relative for values and exactly for counts.
fn compare_records(s: Scenario, fresh: &RunTrace, stored: &RunTrace) -> Vec<Regression> {
    let regression = |what: String, record, a: f64, b: f64, tolerance| Regression {
        scenario: s.name(),
        observable: what,
        record,
        fresh: a,
        baseline: b,
        tolerance,
    };
    if fresh.records.len() != stored.records.len() || fresh.chains != stored.chains {
        return vec![regression(
            "records".into(),
            None,
            fresh.records.len() as f64,
            stored.records.len() as f64,
            0.0,
        )];
    }
    let mut out = Vec::new();
    for (r, (a, b)) in fresh.records.iter().zip(&stored.records).enumerate() {
        if a.step != b.step || a.temperature != b.temperature {
            out.push(regression(
                "step and temperature".into(),
                Some(r),
                a.temperature as f64,
                b.temperature as f64,
                0.0,
            ));
        }
    }
    let slots = OBSERVABLES;
    for (i, (a, b)) in fresh
        .raw_values()
        .iter()
        .zip(stored.raw_values())
        .enumerate()
    {
        let (r, slot) = (i / (fresh.chains * slots), i % slots);
        let what = || {
            format!(
                "{} (chain {})",
                OBSERVABLE_NAMES[slot],
                (i / slots) % fresh.chains
            )
        };
        if slot == OBS_ACCEPTED || slot == OBS_NONPOSITIVE {
            if a.to_bits() != b.to_bits() {
                out.push(regression(
                    what(),
                    Some(r),
                    a.to_bits() as f64,
                    b.to_bits() as f64,
                    0.0,
                ));
            }
            continue;
        }
        let (a, b) = (*a as f64, *b as f64);
        let tolerance = 1e-4 * b.abs().max(1.0);
        let same = (a.is_nan() && b.is_nan()) || within(a, b, tolerance);
        if !same {
            out.push(regression(what(), Some(r), a, b, tolerance));
        }
    }
    out
}
