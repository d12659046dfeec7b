//! Population annealing (Hukushima & Iba 2003; Machta 2010): a population of chains is cooled
//! through a temperature schedule; at each temperature step the chains are reweighted by
//! exp(−(β_{k+1} − β_k)E) with `boltzmann_weight` on the backend, resampled in proportion to
//! their weights, and equilibrated by sweeps. The mean weight of each step estimates
//! Z_{k+1}/Z_k, so the free energy comes out as −T ln Z, with a standard error from each step's
//! effective sample size. The best configuration seen is kept.

use serde::Serialize;

use crate::context::Context;
use crate::cpu::shared::rng::{rng_draw, unit_closed_open};
use crate::engine::boltzmann::{boltzmann_weight, systematic_resample};
use crate::engine::estimates::lowest;
use crate::engine::field::Field;
use crate::engine::simulation::Simulation;
use crate::engine::step_rule::StepRule;
use crate::error::{IdfError, Result};

/// Stream of the resampling offsets.
const STREAM_RESAMPLE: u32 = 5;

/// The result of a population-annealing run.
#[derive(Clone, Debug, Serialize)]
pub struct PopulationReport {
    /// The temperatures visited, hot to cold (the first is where the population started).
    pub temperatures: Vec<f32>,
    /// ln Z at each temperature relative to the start: Σ ln(Z_{k+1}/Z_k).
    pub log_z: Vec<f64>,
    /// Standard error of each `log_z`, from the ESS of every reweighting so far.
    pub log_z_stderr: Vec<f64>,
    /// Effective sample size of each reweighting.
    pub ess: Vec<f64>,
    /// Mean energy of the population at each temperature after its sweeps.
    pub mean_energy: Vec<f64>,
    /// The lowest energy seen.
    pub best_energy: f64,
    /// The configuration with that energy (one chain).
    #[serde(skip)]
    pub best: Option<Field>,
}

/// Cools the population in `sim` (already at `temperatures[0]`) through `temperatures`,
/// `sweeps` Metropolis sweeps (or `rule_of(T)` steps) at each, with `ctx` for the weighting.
/// The first temperature may be `f32::INFINITY` (β = 0): a population of uniformly random
/// discrete states is an exact sample there, so nothing needs equilibrating before the first
/// reweighting; every other temperature must be finite and positive.
pub fn population_anneal(
    ctx: &Context,
    sim: &mut Simulation,
    temperatures: &[f32],
    sweeps: u64,
    rule_of: &dyn Fn(f32) -> StepRule,
    seed: u32,
) -> Result<PopulationReport> {
    let positive = |t: &f32| t.is_finite() && *t > 0.0;
    if temperatures.len() < 2
        || !(positive(&temperatures[0]) || temperatures[0] == f32::INFINITY)
        || !temperatures[1..].iter().all(positive)
    {
        return Err(IdfError::invalid(
            "temperatures",
            "need at least two positive temperatures (the first may be infinite)",
        ));
    }
    let r = sim.shape().chains as f64;
    let mut report = PopulationReport {
        temperatures: temperatures.to_vec(),
        log_z: vec![0.0],
        log_z_stderr: vec![0.0],
        ess: Vec::new(),
        mean_energy: Vec::new(),
        best_energy: f64::INFINITY,
        best: None,
    };
    let mut variance = 0.0;
    let mut energies = sim.energies()?;
    report.mean_energy.push(energies.iter().sum::<f64>() / r);
    for (k, pair) in temperatures.windows(2).enumerate() {
        let (b0, b1) = (1.0 / pair[0] as f64, 1.0 / pair[1] as f64);
        let dbeta = b1 - b0;
        // ln mean exp(−Δβ E) = logsumexp(−E/(1/Δβ)) − ln R; the energies are shifted by their
        // minimum first so that f32 keeps the differences.
        let e_min = energies.iter().cloned().fold(f64::INFINITY, f64::min);
        let shifted: Vec<f64> = energies.iter().map(|e| e - e_min).collect();
        let (weights, log_ratio) = if dbeta > 0.0 {
            let w = boltzmann_weight(ctx, &shifted, 1.0 / dbeta)?;
            let ratio = w.log_z - r.ln() - dbeta * e_min;
            (w, ratio)
        } else {
            return Err(IdfError::invalid(
                "temperatures",
                "population annealing cools: temperatures must fall",
            ));
        };
        report.ess.push(weights.ess);
        variance += (r / weights.ess - 1.0) / r;
        let last = report.log_z[k];
        report.log_z.push(last + log_ratio);
        report.log_z_stderr.push(variance.sqrt());
        let u = unit_closed_open(rng_draw(k as u32, 0, 0, seed, STREAM_RESAMPLE)[0]) as f64;
        sim.resample(&systematic_resample(&weights.weights(), u))?;
        let rule = rule_of(pair[1]);
        sim.advance(sweeps, &|_| rule, &|_| false, &mut |_, _| {})?;
        energies = sim.energies()?;
        report.mean_energy.push(energies.iter().sum::<f64>() / r);
        let (best_chain, best) = lowest(&energies);
        if best < report.best_energy {
            report.best_energy = best;
            report.best = Some(sim.field()?.chain_field(best_chain));
        }
    }
    Ok(report)
}
