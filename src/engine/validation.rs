//! Energy-law validation, the "Proof-Validator hook": a [`Validator`] examines one chain's trace
//! and says whether its law held, and if not at which step and by how much. Any run can attach
//! validators to its trace with [`validate`]. The built-in laws are the conservation of mass
//! (heat flow) and of the Hamiltonian (HMC), the second law (entropy never drops by more than
//! `entropyDriftMax` per step), and energy descent where the dynamics are at zero temperature.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::engine::energies::EnergyModel;
use crate::engine::step_rule::RunConfig;
use crate::engine::trace::{Observable, RunTrace};

/// The laws' tolerances: the `Validation` section of `idf.yaml`.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default, rename_all = "camelCase")]
pub struct ValidationConfig {
    /// Largest relative drift of a conserved quantity.
    pub energy_tolerance: f64,
    /// Most negative entropy change per step where the second law applies.
    pub entropy_drift_max: f64,
}

impl Default for ValidationConfig {
    fn default() -> Self {
        ValidationConfig {
            energy_tolerance: 0.01,
            entropy_drift_max: -0.001,
        }
    }
}

/// Where and by how much a law failed.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Violation {
    /// The law.
    pub law: String,
    /// The chain.
    pub chain: usize,
    /// The step at which it first failed.
    pub step: u64,
    /// The measured quantity (relative drift, entropy change per step, …).
    pub value: f64,
    /// The limit it crossed.
    pub limit: f64,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} failed for chain {} at step {}: {:.6e} against a limit of {:.6e}",
            self.law, self.chain, self.step, self.value, self.limit
        )
    }
}

/// What a validator says of one chain.
#[derive(Clone, Debug, PartialEq)]
pub enum LawOutcome {
    /// The law does not apply to this trace (a quantity it needs was not recorded).
    NotApplicable,
    /// The law held at every record.
    Held,
    /// The law failed.
    Violated(Violation),
}

/// A law that a trajectory's trace must obey.
pub trait Validator: Send + Sync {
    /// The law's name, as reported.
    fn name(&self) -> &'static str;
    /// Checks chain `chain` of `trace`.
    fn check(&self, trace: &RunTrace, chain: usize) -> LawOutcome;
}

/// The verdict on one chain: which laws were checked and which failed.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Verdict {
    /// The chain.
    pub chain: usize,
    /// Names of the laws that applied.
    pub checked: Vec<&'static str>,
    /// The failures.
    pub violations: Vec<Violation>,
}

impl Verdict {
    /// Whether every law that applied held.
    pub fn passed(&self) -> bool {
        self.violations.is_empty()
    }
}

/// Runs every validator on every chain of a trace.
pub fn validate(trace: &RunTrace, validators: &[&dyn Validator]) -> Vec<Verdict> {
    (0..trace.chains)
        .map(|chain| {
            let mut verdict = Verdict {
                chain,
                checked: Vec::new(),
                violations: Vec::new(),
            };
            for v in validators {
                match v.check(trace, chain) {
                    LawOutcome::NotApplicable => {}
                    LawOutcome::Held => verdict.checked.push(v.name()),
                    LawOutcome::Violated(violation) => {
                        verdict.checked.push(v.name());
                        verdict.violations.push(violation);
                    }
                }
            }
            verdict
        })
        .collect()
}

/// The energy-law fidelity of a set of verdicts: the fraction of chains for which every law that
/// applied held; `None` where no law applied to any chain.
pub fn energy_law_fidelity(verdicts: &[Verdict]) -> Option<f64> {
    verdicts.iter().any(|v| !v.checked.is_empty()).then(|| {
        verdicts.iter().filter(|v| v.passed()).count() as f64 / verdicts.len().max(1) as f64
    })
}

/// The laws that apply to a run, checked on its trace.
#[derive(Clone, Debug, PartialEq)]
pub struct RunVerdict {
    /// The laws that apply (see [`laws_for_run`]).
    pub laws: Vec<&'static str>,
    /// One verdict per chain.
    pub verdicts: Vec<Verdict>,
}

impl RunVerdict {
    /// The energy-law fidelity (`None` where no law applies).
    pub fn elf(&self) -> Option<f64> {
        energy_law_fidelity(&self.verdicts)
    }

    /// Every failure, chain by chain.
    pub fn violations(&self) -> impl Iterator<Item = &Violation> {
        self.verdicts.iter().flat_map(|v| &v.violations)
    }
}

/// Checks the laws that apply to `model` under `run` (see [`laws_for_run`]) on its `trace`.
pub fn validate_run(
    model: &EnergyModel,
    run: &RunConfig,
    tolerances: &ValidationConfig,
    trace: &RunTrace,
) -> RunVerdict {
    let laws = laws_for_run(model, run, tolerances);
    let refs: Vec<&dyn Validator> = laws.iter().map(|l| l.as_ref()).collect();
    RunVerdict {
        laws: laws.iter().map(|l| l.name()).collect(),
        verdicts: validate(trace, &refs),
    }
}

fn violation(law: &str, chain: usize, step: u64, value: f64, limit: f64) -> LawOutcome {
    LawOutcome::Violated(Violation {
        law: law.to_string(),
        chain,
        step,
        value,
        limit,
    })
}

/// Σx (the mass of a density) drifts from its first record by less than `tolerance`, relative.
#[derive(Clone, Copy, Debug)]
pub struct MassConservation {
    /// Largest relative drift.
    pub tolerance: f64,
}

impl Validator for MassConservation {
    fn name(&self) -> &'static str {
        "mass_conservation"
    }

    fn check(&self, trace: &RunTrace, chain: usize) -> LawOutcome {
        let Some(m0) = trace.value(Observable::Sum, 0, chain) else {
            return LawOutcome::NotApplicable;
        };
        for r in 1..trace.records.len() {
            let m = trace.value(Observable::Sum, r, chain).unwrap_or(f64::NAN);
            let drift = ((m - m0) / m0).abs();
            if drift.is_nan() || drift > self.tolerance {
                return violation(
                    self.name(),
                    chain,
                    trace.records[r].step,
                    drift,
                    self.tolerance,
                );
            }
        }
        LawOutcome::Held
    }
}

/// Along each HMC trajectory, |ΔH| stays below `tolerance` relative to the Hamiltonian's size
/// `|E|/T + N/2` (potential plus the expected kinetic energy) at the trajectory's start. Needs a
/// record after every trajectory.
#[derive(Clone, Copy, Debug)]
pub struct HamiltonianConservation {
    /// Largest relative drift.
    pub tolerance: f64,
}

impl Validator for HamiltonianConservation {
    fn name(&self) -> &'static str {
        "hamiltonian_conservation"
    }

    fn check(&self, trace: &RunTrace, chain: usize) -> LawOutcome {
        let n = trace.sites_per_chain as f64;
        let mut checked = false;
        for r in 1..trace.records.len() {
            if trace.records[r].step != trace.records[r - 1].step + 1 {
                continue;
            }
            checked = true;
            let t = trace.records[r].temperature as f64;
            let e = trace
                .value(Observable::Energy, r - 1, chain)
                .unwrap_or(f64::NAN);
            let dh = trace
                .value(Observable::DeltaH, r, chain)
                .unwrap_or(f64::NAN);
            let drift = dh.abs() / (e.abs() / t + n / 2.0);
            if drift.is_nan() || drift > self.tolerance {
                return violation(
                    self.name(),
                    chain,
                    trace.records[r].step,
                    drift,
                    self.tolerance,
                );
            }
        }
        if checked {
            LawOutcome::Held
        } else {
            LawOutcome::NotApplicable
        }
    }
}

/// The second law: the entropy never drops by more than `|drift_max|` per step (ΔS / steps ≥
/// `drift_max` between consecutive records). An undefined entropy (a density gone non-positive)
/// is a violation.
#[derive(Clone, Copy, Debug)]
pub struct SecondLaw {
    /// Which entropy: [`Observable::DensityEntropy`] or [`Observable::HistogramEntropy`].
    pub entropy: Observable,
    /// Most negative change per step (≤ 0).
    pub drift_max: f64,
}

impl Validator for SecondLaw {
    fn name(&self) -> &'static str {
        "second_law"
    }

    fn check(&self, trace: &RunTrace, chain: usize) -> LawOutcome {
        if trace.records.len() < 2 || trace.value(self.entropy, 0, chain).is_none() {
            return LawOutcome::NotApplicable;
        }
        for (r, (steps, ds)) in trace.deltas(self.entropy, chain).into_iter().enumerate() {
            let per_step = ds / steps.max(1) as f64;
            if per_step.is_nan() || per_step < self.drift_max {
                return violation(
                    self.name(),
                    chain,
                    trace.records[r + 1].step,
                    per_step,
                    self.drift_max,
                );
            }
        }
        LawOutcome::Held
    }
}

/// Energy descent at zero temperature (gradient flow, zero-temperature Metropolis): E never rises
/// by more than `tolerance` relative, plus f32 round-off of the energy sum (1e-6 per site).
#[derive(Clone, Copy, Debug)]
pub struct EnergyDescent {
    /// Largest relative rise.
    pub tolerance: f64,
}

impl Validator for EnergyDescent {
    fn name(&self) -> &'static str {
        "energy_descent"
    }

    fn check(&self, trace: &RunTrace, chain: usize) -> LawOutcome {
        if trace.records.iter().any(|r| r.temperature != 0.0) {
            return LawOutcome::NotApplicable;
        }
        let floor = 1e-6 * trace.sites_per_chain as f64;
        for r in 1..trace.records.len() {
            let before = trace
                .value(Observable::Energy, r - 1, chain)
                .unwrap_or(f64::NAN);
            let after = trace
                .value(Observable::Energy, r, chain)
                .unwrap_or(f64::NAN);
            let rise = (after - before) / before.abs().max(1.0);
            let change = after - before;
            if change.is_nan() || change > self.tolerance * before.abs() + floor {
                return violation(
                    self.name(),
                    chain,
                    trace.records[r].step,
                    rise,
                    self.tolerance,
                );
            }
        }
        LawOutcome::Held
    }
}

/// The laws that apply to a run: energy descent at zero temperature; for heat flow (φ⁴ with
/// a = b = h = 0 at T = 0) also mass conservation and the second law.
pub fn laws_for_run(
    model: &EnergyModel,
    run: &RunConfig,
    tolerances: &ValidationConfig,
) -> Vec<Box<dyn Validator>> {
    let tol = tolerances.energy_tolerance;
    let mut laws: Vec<Box<dyn Validator>> = Vec::new();
    let cold = run.schedule.start == 0.0 && run.schedule.end == 0.0;
    if cold {
        laws.push(Box::new(EnergyDescent { tolerance: tol }));
    }
    if let EnergyModel::Phi4(p) = model {
        if cold && p.a == 0.0 && p.b == 0.0 && p.h == 0.0 && p.guidance.is_none() {
            laws.push(Box::new(MassConservation { tolerance: tol }));
            laws.push(Box::new(SecondLaw {
                entropy: Observable::DensityEntropy,
                drift_max: tolerances.entropy_drift_max,
            }));
        }
    }
    laws
}
