//! NVP forecasting: [`predict_next_state`] draws an ensemble of future states of a map from a
//! conditional denoiser of the increment δ = x(t + Δ) − x(t) given the current map x(t) (and
//! the data's other conditions), and returns the ensemble's mean map and per-site spread
//! (Gneiting & Raftery 2007 for scoring such ensembles: [`crps_ensemble`]).
//!
//! The network is a [`Denoiser`] whose conditioning vector is the current map's D values
//! followed by the other conditions; learning the increment rather than the state makes
//! "nothing changes" (persistence) its zero, the usual reference of a forecast.

use crate::engine::estimates::ensemble_moments;
use crate::error::{IdfError, Result};
use crate::neural::sampling::{Denoiser, Sampling};

/// An ensemble forecast of one map.
#[derive(Clone, Debug, PartialEq)]
pub struct Forecast {
    /// The ensemble's members, `[ensemble, D]` row-major.
    pub members: Vec<f32>,
    /// The ensemble mean of each site (D values).
    pub mean: Vec<f32>,
    /// The ensemble standard deviation of each site (D values; 0 for one member).
    pub spread: Vec<f32>,
}

/// The state `leads` forecast leads after `current` (D values) under `denoiser`, a forecaster
/// (its conditions are the D values of the current map followed by `conditions`): `ensemble`
/// members, each rolled forward on its own (its increment drawn as `how` says, given its own
/// last state), seeded by `how.seed` and the lead; `how.cancel`, when raised, stops it with
/// [`IdfError::Cancelled`]. Errors: a map or conditions of the wrong length, non-finite
/// values, an empty ensemble or no lead; the sampler's own (DDIM steps).
pub fn predict_next_state(
    denoiser: &Denoiser,
    current: &[f32],
    conditions: &[f32],
    ensemble: usize,
    leads: usize,
    how: &Sampling,
) -> Result<Forecast> {
    let shape = denoiser.shape();
    let d = shape.dim;
    if current.len() != d || shape.conditions != d + conditions.len() {
        return Err(IdfError::invalid(
            "current_map",
            format!(
                "a map of {} values with {} conditions; the forecaster takes maps of {d} values \
                 and {} conditions",
                current.len(),
                conditions.len(),
                shape.conditions.saturating_sub(d)
            ),
        ));
    }
    if current.iter().chain(conditions).any(|v| !v.is_finite()) {
        return Err(IdfError::invalid(
            "current_map",
            "a value of the map or its conditions is not finite",
        ));
    }
    if ensemble == 0 {
        return Err(IdfError::invalid("ensemble", "expected at least 1 member"));
    }
    if leads == 0 {
        return Err(IdfError::invalid("steps", "expected at least 1 lead"));
    }
    let mut members = current.repeat(ensemble);
    for lead in 0..leads {
        let rows: Vec<f32> = members
            .chunks_exact(d)
            .flat_map(|state| state.iter().chain(conditions).copied())
            .collect();
        let lead_draw = Sampling {
            seed: how
                .seed
                .wrapping_add((lead as u32).wrapping_mul(0x9E37_79B9)),
            ..*how
        };
        let increments = denoiser.sample_rows(ensemble, Some(&rows), &lead_draw, &mut |_, _| {})?;
        for (x, delta) in members.iter_mut().zip(increments) {
            *x += delta;
        }
    }
    let (mean, spread) = ensemble_moments(&members, d);
    Ok(Forecast {
        members,
        mean,
        spread,
    })
}

/// The continuous ranked probability score of an ensemble for one observation `y`, in its
/// fair (unbiased for the ensemble's distribution) form (Gneiting & Raftery 2007, eq. 21;
/// Ferro 2014): `(1/m) Σ|x_i − y| − 1/(2m(m−1)) Σ_{i,j}|x_i − x_j|`. One member reduces it to
/// the absolute error, a deterministic forecast's CRPS.
pub fn crps_ensemble(members: &[f32], y: f32) -> f64 {
    let m = members.len();
    if m == 0 {
        return f64::NAN;
    }
    let error = members
        .iter()
        .map(|&x| (x as f64 - y as f64).abs())
        .sum::<f64>()
        / m as f64;
    if m == 1 {
        return error;
    }
    // Σ_{i,j}|x_i − x_j| from the sorted members: 2 Σ_k (2k − m + 1) x_(k).
    let mut sorted: Vec<f64> = members.iter().map(|&x| x as f64).collect();
    sorted.sort_by(f64::total_cmp);
    let pairs: f64 = sorted
        .iter()
        .enumerate()
        .map(|(k, x)| (2.0 * k as f64 - m as f64 + 1.0) * x)
        .sum::<f64>()
        * 2.0;
    error - pairs / (2.0 * (m * (m - 1)) as f64)
}
