//! The energy laws of `idf validate` on forecasts: a forecaster's member forecasts are
//! trajectories of the data's dynamics, so the laws those dynamics keep (for heat flow, energy
//! descent and mass conservation; `engine::validation`) are checked on them, next to the
//! physics rollout's, and tallied into the evaluation's [`ForecastLaws`].

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::context::Context;
use crate::engine::energies::EnergyModel;
use crate::engine::field::{Field, Shape};
use crate::engine::method::Method;
use crate::engine::schedule::TemperatureSchedule;
use crate::engine::simulation::Simulation;
use crate::engine::step_rule::{RunConfig, StepRule};
use crate::engine::trace::RunTrace;
use crate::engine::validation::{validate_run, RunVerdict, ValidationConfig, Violation};
use crate::error::{IdfError, Result};

/// The laws of `idf validate` (`engine::validation::laws_for_run`) that apply to the data's
/// dynamics, checked on one lead of a forecast: each member's two-record trajectory (the map
/// x(t), then its forecast of x(t′)) and, where given, the physics rollout's (the last chain).
/// The records are taken at T = 0, as the dataset's dynamics run (heat flow is φ⁴'s gradient
/// flow: energy descent, mass conservation and the second law apply). Errors: maps of the
/// wrong length.
pub fn forecast_law_verdicts(
    ctx: &Context,
    model: &EnergyModel,
    map_shape: [usize; 3],
    now: &[f32],
    members: &[f32],
    physics: Option<&[f32]>,
    tolerances: &ValidationConfig,
) -> Result<RunVerdict> {
    let [c, h, w] = map_shape;
    let d = c * h * w;
    if now.len() != d || members.is_empty() || !members.len().is_multiple_of(d) {
        return Err(IdfError::invalid(
            "members",
            format!(
                "{} and {} values: expected a map of {d} values and whole maps of members",
                now.len(),
                members.len()
            ),
        ));
    }
    let next: Vec<f32> = members
        .iter()
        .chain(physics.unwrap_or_default())
        .copied()
        .collect();
    let chains = next.len() / d;
    let shape = Shape::new(chains, c, h, w)?;
    let start = Field::from_vec(shape, now.repeat(chains))?;
    let mut sim = Simulation::new(ctx, model, &start, 0)?;
    let record = |sim: &mut Simulation| {
        sim.advance(
            0,
            &|_| StepRule::langevin(0.0, 0.0),
            &|k| k == 0,
            &mut |_, _| {},
        )
    };
    let before = record(&mut sim)?;
    sim.set_field(&Field::from_vec(shape, next)?)?;
    let after = record(&mut sim)?;
    let run = RunConfig {
        method: Method::Langevin,
        step_size: 1.0,
        schedule: TemperatureSchedule::constant(0.0),
        burn_in: 0,
        steps: 1,
        record_every: 1,
        leapfrog_steps: 1,
    };
    let trace = RunTrace::join(vec![before, after], &[0, 1]);
    Ok(validate_run(model, &run, tolerances, &trace))
}

/// The member verdicts of one [`forecast_law_verdicts`] answer whose last chain is the physics
/// rollout, with only the laws that rollout kept: a law the dynamics' own rollout breaks on
/// this map (the second law of a map that is not a positive density) is no law of these data,
/// and is held against no member. One verdict per member, in order.
pub fn laws_kept_by_physics(verdict: RunVerdict) -> RunVerdict {
    let mut verdicts = verdict.verdicts;
    let broken: BTreeSet<String> = verdicts
        .pop()
        .map(|physics| physics.violations.into_iter().map(|v| v.law).collect())
        .unwrap_or_default();
    let held = |law: &str| !broken.contains(law);
    for member in &mut verdicts {
        member.checked.retain(|law| held(law));
        member.violations.retain(|v| held(&v.law));
    }
    RunVerdict {
        laws: verdict.laws.into_iter().filter(|law| held(law)).collect(),
        verdicts,
    }
}

/// The energy laws over a set of forecasts (see [`forecast_law_verdicts`]), in the metrics of
/// `idf train --forecast --eval` ([`super::forecast::evaluate_forecasts`]).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ForecastLaws {
    /// The laws held against the forecasts: those of the data's dynamics that the physics
    /// rollout kept on every pair.
    pub laws: Vec<String>,
    /// Laws of the dynamics that the physics rollout itself broke on these data (the second
    /// law of maps that are not positive densities, as white-noise starts are not): not held
    /// against the forecasts.
    pub broken_by_physics: Vec<String>,
    /// Member forecasts checked (pairs × ensemble).
    pub forecasts: usize,
    /// Per law, the member forecasts that broke it.
    pub violated: BTreeMap<String, usize>,
    /// The energy-law fidelity: the fraction of member forecasts that kept every law held.
    pub elf: f64,
    /// The first violation of a law held, as `pair P, member M: …`.
    pub first_violation: Option<String>,
}

/// Tallies [`forecast_law_verdicts`] pair by pair into [`ForecastLaws`].
#[derive(Default)]
pub(super) struct LawTally {
    applicable: Vec<String>,
    broken_by_physics: BTreeSet<String>,
    /// (pair, member, its violations) of every member forecast.
    members: Vec<(usize, usize, Vec<Violation>)>,
}

impl LawTally {
    /// Adds the verdicts of pair `pair` (the physics rollout is its last chain).
    pub(super) fn add(&mut self, pair: usize, verdict: RunVerdict) {
        for law in &verdict.laws {
            if !self.applicable.iter().any(|l| l == law) {
                self.applicable.push(law.to_string());
            }
        }
        let mut verdicts = verdict.verdicts;
        if let Some(physics) = verdicts.pop() {
            self.broken_by_physics
                .extend(physics.violations.into_iter().map(|v| v.law));
        }
        for (member, v) in verdicts.into_iter().enumerate() {
            self.members.push((pair, member, v.violations));
        }
    }

    /// The tally's [`ForecastLaws`].
    pub(super) fn finish(self) -> ForecastLaws {
        let held = |law: &str| !self.broken_by_physics.contains(law);
        let mut violated = BTreeMap::new();
        let mut kept = 0;
        let mut first_violation = None;
        for (pair, member, violations) in &self.members {
            let broken: Vec<&Violation> = violations.iter().filter(|v| held(&v.law)).collect();
            for v in &broken {
                *violated.entry(v.law.clone()).or_insert(0) += 1;
            }
            match broken.first() {
                None => kept += 1,
                Some(v) if first_violation.is_none() => {
                    first_violation = Some(format!("pair {pair}, member {member}: {v}"));
                }
                Some(_) => {}
            }
        }
        ForecastLaws {
            laws: self
                .applicable
                .iter()
                .filter(|l| held(l))
                .cloned()
                .collect(),
            broken_by_physics: self.broken_by_physics.into_iter().collect(),
            forecasts: self.members.len(),
            violated,
            elf: kept as f64 / self.members.len().max(1) as f64,
            first_violation,
        }
    }
}
