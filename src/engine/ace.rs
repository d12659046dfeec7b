//! `ACEAgent`, adaptive temperature control for replica exchange. During burn-in it adapts the
//! temperature ladder so that neighbouring swap acceptances become even, by the dynamics of
//! Vousden, Farr & Mandel, "Dynamic temperature selection for parallel tempering in Markov chain
//! Monte Carlo simulations", MNRAS 455, 1919 (2016), in a variant with the coldest temperature
//! fixed: each log spacing S_i = ln(T_{i+1} − T_i) moves by κ(t)(A_i − Ā), where A_i is the
//! acceptance of the pair (i, i+1) over the last round and Ā their mean (a pair accepting more
//! than the others is too close and widens); and the log span ln(T_max − T_min) moves by
//! κ(t)(Ā − a_mid), so that the common acceptance settles in the middle a_mid of the target band
//! (the number of rungs being fixed, the span is what sets that level). The gain
//! κ(t) = t₀/(ν(t + t₀)) decays so that the ladder settles. It also adapts the proposal width of continuous Metropolis moves
//! towards a target acceptance by the Robbins–Monro rule ln w ← ln w + γ_t(a − a*). After burn-in
//! the ladder and the width are frozen, so sampling from then on is exact.

use serde::Serialize;

use crate::engine::method::Method;
use crate::engine::simulation::Simulation;
use crate::engine::step_rule::RunConfig;
use crate::engine::trace::Observable;
use crate::error::{IdfError, Result};

/// The agent's settings.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AceAgent {
    /// Rounds of adaptation (the burn-in), each `steps_per_round` steps with a swap after every
    /// `record_every` of them.
    pub rounds: usize,
    /// Steps per round.
    pub steps_per_round: u64,
    /// Steps between swaps.
    pub record_every: u64,
    /// The band the swap acceptances should end in.
    pub target_band: (f64, f64),
    /// Lag t₀ of the gain κ(t).
    pub lag: f64,
    /// Inverse amplitude ν of the gain.
    pub nu: f64,
    /// Target acceptance of continuous Metropolis proposals (none: the width is not adapted).
    pub target_acceptance: Option<f64>,
}

impl Default for AceAgent {
    fn default() -> Self {
        // 50 attempts per pair per round keep each round's acceptance within about ±0.07.
        AceAgent {
            rounds: 60,
            steps_per_round: 100,
            record_every: 1,
            target_band: (0.2, 0.4),
            lag: 10.0,
            nu: 1.0,
            target_acceptance: None,
        }
    }
}

/// One adaptation round, as logged.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AceDecision {
    /// The round.
    pub round: usize,
    /// Swap acceptance of each neighbouring pair over the round.
    pub acceptance: Vec<f64>,
    /// The ladder chosen for the next round, coldest first.
    pub ladder: Vec<f32>,
    /// The proposal width chosen for the next round.
    pub step_size: f32,
}

/// What the agent did.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AceReport {
    /// The frozen ladder, coldest first.
    pub ladder: Vec<f32>,
    /// The frozen step size.
    pub step_size: f32,
    /// Every round's decision.
    pub log: Vec<AceDecision>,
}

/// Most rounds an agent may log.
pub const MAX_ROUNDS: usize = 100_000;

impl AceAgent {
    /// Refuses settings the dynamics cannot use, naming the setting: counts of zero, more than
    /// [`MAX_ROUNDS`] rounds, a target band that is not an interval inside (0, 1), a lag or ν
    /// that is not a positive number, a target acceptance outside (0, 1).
    pub fn check(&self) -> Result<()> {
        for (name, value) in [
            ("agent.rounds", self.rounds as u64),
            ("agent.steps_per_round", self.steps_per_round),
            ("agent.record_every", self.record_every),
        ] {
            if value == 0 {
                return Err(IdfError::invalid(name, "must be at least 1"));
            }
        }
        if self.rounds > MAX_ROUNDS {
            return Err(IdfError::invalid(
                "agent.rounds",
                format!("{}: at most {MAX_ROUNDS}", self.rounds),
            ));
        }
        let (lo, hi) = self.target_band;
        if !(0.0 < lo && lo < hi && hi < 1.0) {
            return Err(IdfError::invalid(
                "agent.target_band",
                format!("({lo}, {hi}) is not an interval of acceptances inside (0, 1)"),
            ));
        }
        for (name, value) in [("agent.lag", self.lag), ("agent.nu", self.nu)] {
            if !(value.is_finite() && value > 0.0) {
                return Err(IdfError::invalid(
                    name,
                    format!("{value} is not a positive number"),
                ));
            }
        }
        if let Some(a) = self.target_acceptance {
            if !(a > 0.0 && a < 1.0) {
                return Err(IdfError::invalid(
                    "agent.target_acceptance",
                    format!("{a} is not an acceptance inside (0, 1)"),
                ));
            }
        }
        Ok(())
    }

    /// Adapts the running ladder of `sim` (set with `set_temperatures`) during burn-in, and the
    /// step size of `cfg`; returns the frozen ladder and step size and the decisions taken.
    pub fn adapt(&self, sim: &mut Simulation, cfg: &RunConfig) -> Result<AceReport> {
        self.check()?;
        let mut ladder = sim.ladder_state()?.ladder();
        let r = ladder.len();
        let mut step_size = cfg.step_size;
        let mut log = Vec::new();
        let mut before = sim.ladder_state()?;
        for round in 0..self.rounds {
            let run = RunConfig {
                step_size,
                burn_in: 0,
                steps: self.steps_per_round,
                record_every: self.record_every,
                ..cfg.clone()
            };
            let trace = sim.run(&run, &mut |_, _| {})?;
            let after = sim.ladder_state()?;
            let acceptance: Vec<f64> = (0..r - 1)
                .map(|k| {
                    let n = after.attempts[k] - before.attempts[k];
                    (after.accepts[k] - before.accepts[k]) as f64 / n.max(1) as f64
                })
                .collect();
            before = after;
            let kappa = self.lag / (self.nu * (round as f64 + 1.0 + self.lag));
            let mean = acceptance.iter().sum::<f64>() / acceptance.len() as f64;
            let spacing: Vec<f64> = ladder
                .windows(2)
                .zip(&acceptance)
                .map(|(w, a)| ((w[1] - w[0]) as f64).ln() + kappa * (a - mean))
                .collect();
            let mid = 0.5 * (self.target_band.0 + self.target_band.1);
            let span = (ladder[r - 1] - ladder[0]) as f64 * (kappa * (mean - mid)).exp();
            let total: f64 = spacing.iter().map(|s| s.exp()).sum();
            let mut t = ladder[0] as f64;
            let mut next = vec![ladder[0]];
            for s in &spacing {
                t += s.exp() * span / total;
                next.push(t as f32);
            }
            ladder = next;
            sim.retune_ladder(&ladder)?;
            if let (Some(target), Method::Metropolis | Method::Mala) =
                (self.target_acceptance, cfg.method)
            {
                let series = trace.series(Observable::Acceptance, 1).unwrap_or_default();
                let values: Vec<f64> = series.into_iter().flatten().collect();
                if !values.is_empty() {
                    let a = values.iter().sum::<f64>() / values.len() as f64;
                    let gain = 1.0 / (round as f64 + 1.0).sqrt();
                    step_size = (step_size as f64 * (gain * (a - target)).exp()) as f32;
                }
            }
            log.push(AceDecision {
                round,
                acceptance,
                ladder: ladder.clone(),
                step_size,
            });
        }
        Ok(AceReport {
            ladder,
            step_size,
            log,
        })
    }
}
