//! ∂E/∂θ by central differences of the energy in θ on the backend, for energies whose code
//! gives no parameter gradient (a user's WGSL), and the smoothness check a fit runs first.

use super::mean_gradient;
use crate::context::Context;
use crate::engine::energies::EnergyModel;
use crate::engine::simulation::Simulation;
use crate::error::{IdfError, Result};

/// The relative step of the central differences in θ: δ_j = `DIFFERENCE_STEP` · max(|θ_j|, 1).
const DIFFERENCE_STEP: f64 = 1e-2;

/// ∂E/∂θ_j of each chain of `sim`'s field by central differences of the energy in θ_j, for
/// energies without a parameter gradient in code (a user's WGSL): (E(θ + δ e_j) − E(θ − δ e_j))
/// / 2δ with δ = `scale` · [`DIFFERENCE_STEP`] · max(|θ_j|, 1), the two points moved inside a
/// declared range when they would leave it. Exact up to rounding for an energy linear in θ;
/// error O(δ²) otherwise. Parameters not marked `free` get 0. All 2k energies are evaluated
/// in one submission ([`Simulation::energies_under`]); `sim` is left with `model`'s
/// parameters. Returns [chains][k].
pub(super) fn param_differences(
    ctx: &Context,
    sim: &mut Simulation,
    model: &EnergyModel,
    free: &[bool],
    scale: f64,
) -> Result<Vec<Vec<f64>>> {
    sim.set_model(ctx, model)?;
    let params = model.params();
    let mut shifted = Vec::new();
    // (j, θ_j + δ, θ_j − δ) as the kernels see them: the f32 values actually set.
    let mut steps = Vec::new();
    for (j, p) in params.iter().enumerate().filter(|(j, _)| free[*j]) {
        let theta = p.value as f64;
        let delta = scale * DIFFERENCE_STEP * theta.abs().max(1.0);
        let (mut lo, mut hi) = (theta - delta, theta + delta);
        if p.strict {
            lo = lo.max(p.range.0 as f64);
            hi = hi.min(p.range.1 as f64);
        }
        let mut at = |value: f64| -> Result<f64> {
            let mut m = model.clone();
            m.set_value(&p.name, value as f32)?;
            let value = m.params()[j].value as f64;
            shifted.push(m);
            Ok(value)
        };
        let (up, down) = (at(hi)?, at(lo)?);
        steps.push((j, up, down));
    }
    let energies = sim.energies_under(&shifted)?;
    let mut rows = vec![vec![0.0; params.len()]; sim.shape().chains];
    for ((j, up, down), pair) in steps.into_iter().zip(energies.chunks(2)) {
        for (row, (a, b)) in rows.iter_mut().zip(pair[0].iter().zip(&pair[1])) {
            row[j] = (a - b) / (up - down);
        }
    }
    Ok(rows)
}

/// Checks that the energy is smooth in its parameters where the fit starts, as the gradient
/// check does for the field: central differences in θ with steps δ and δ/2 must agree on the
/// mean over `sim`'s chains within rounding and the O(δ²) error of a smooth energy. Errors name
/// the parameter and both values.
pub(super) fn check_smooth_in_theta(
    ctx: &Context,
    sim: &mut Simulation,
    model: &EnergyModel,
    free: &[bool],
) -> Result<()> {
    let full = mean_gradient(&param_differences(ctx, sim, model, free, 1.0)?, 1.0);
    let half = mean_gradient(&param_differences(ctx, sim, model, free, 0.5)?, 1.0);
    let sites = sim.shape().sites_per_chain() as f64;
    for (p, (a, b)) in model.params().iter().zip(full.iter().zip(&half)) {
        if !(a.is_finite() && b.is_finite())
            || (a - b).abs() > 1e-2 * (a.abs() + b.abs()) + 1e-3 * sites
        {
            return Err(IdfError::invalid(
                "model",
                format!(
                    "the energy is not smooth in its parameter `{}`: central differences with \
                     steps δ and δ/2 give ∂E/∂{} = {a} and {b} per sample; check how \
                     energy_params are used",
                    p.name, p.name
                ),
            ));
        }
    }
    Ok(())
}
