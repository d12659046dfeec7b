//! Boltzmann weighting (`boltzmann_weight`): log-weights `−E/kT` normalised by log-sum-exp on the
//! backend (the `boltzmann_weight` kernel and its twin), the effective sample size
//! `ESS = (Σw)²/Σw²`, and systematic resampling (which `Simulation::resample` applies to a
//! simulation's chains on the backend).

use serde::Serialize;

use crate::context::Context;
use crate::engine::energies::EnergyModel;
use crate::error::{IdfError, Result};
use crate::executor::Executor;
use crate::kernels::{initial_status, Aux, Dispatch, Kernel, Slot, StepParams};

/// Normalised Boltzmann weights of a set of energies.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BoltzmannWeights {
    /// `ln w_i = −E_i/kT − ln Z`, so that `Σ w_i = 1`.
    pub log_weights: Vec<f64>,
    /// `ln Z = ln Σ exp(−E_i/kT)`.
    pub log_z: f64,
    /// `(Σw)²/Σw²`: N for equal weights, 1 for one dominant weight.
    pub ess: f64,
}

impl BoltzmannWeights {
    /// The weights themselves.
    pub fn weights(&self) -> Vec<f64> {
        self.log_weights.iter().map(|l| l.exp()).collect()
    }
}

/// Weights `energies` at temperature `kt` on the context's backend.
pub fn boltzmann_weight(ctx: &Context, energies: &[f64], kt: f64) -> Result<BoltzmannWeights> {
    if energies.is_empty() {
        return Err(IdfError::invalid("energies", "no energies to weight"));
    }
    if !(kt.is_finite() && kt > 0.0) {
        return Err(IdfError::invalid(
            "temperature",
            format!("{kt} is not a positive temperature"),
        ));
    }
    if let Some(e) = energies.iter().find(|e| !e.is_finite()) {
        return Err(IdfError::invalid("energies", format!("{e} is not finite")));
    }
    // The kernel reads no energy; any one binds the buffers.
    let mut exec = Executor::new(ctx, EnergyModel::default().binding(), 1, energies.len())?;
    let values: Vec<f32> = energies.iter().map(|e| *e as f32).collect();
    exec.write_field(Slot::A, &values);
    exec.write_status(&initial_status(1));
    let params = StepParams {
        chains: 1,
        channels: 1,
        height: 1,
        width: energies.len() as u32,
        temperature: kt as f32,
        ..Default::default()
    };
    exec.execute(&[Dispatch {
        kernel: Kernel::BoltzmannWeight,
        params,
        src: Slot::A,
        dst: Slot::B,
        aux: Aux::Scratch,
    }])?;
    let log_weights = exec
        .read_field(Slot::B)?
        .iter()
        .map(|w| *w as f64)
        .collect();
    let summary = exec.read_scratch(2)?;
    Ok(BoltzmannWeights {
        log_weights,
        log_z: summary[0] as f64,
        ess: summary[1] as f64,
    })
}

/// Systematic resampling: `n` ancestors drawn in proportion to `weights` (which sum to 1) with one
/// uniform offset `u ∈ [0, 1)`; low variance, and every chain with weight ≥ 1/n survives.
pub fn systematic_resample(weights: &[f64], u: f64) -> Vec<u32> {
    let n = weights.len();
    let mut ancestors = Vec::with_capacity(n);
    let mut cumulative = weights[0];
    let mut j = 0;
    for i in 0..n {
        let target = (i as f64 + u) / n as f64;
        while cumulative < target && j + 1 < n {
            j += 1;
            cumulative += weights[j];
        }
        ancestors.push(j as u32);
    }
    ancestors
}
