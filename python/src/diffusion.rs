//! The seeds' diffusion names over NumPy: the noise schedule's arrays (`EnergyScheduler`),
//! `forward_diffuse` and `reverse_denoise` of an `EnergyDiffusionModel`, and Boltzmann weights
//! with log-sum-exp (`boltzmann_weight`), each on the backend.

use numpy::{PyArray1, PyArrayDyn, PyReadonlyArrayDyn};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use idf::{EnergyDiffusionModel, EnergyScheduler, NoiseSchedule, ReverseMethod};

use crate::arrays::{field_from_array, field_to_array, trace_to_dict};
use crate::errors::to_py;
use crate::run::watched;
use crate::{model, PyContext};

/// Two float64 arrays.
type ArrayPair<'py> = (Bound<'py, PyArray1<f64>>, Bound<'py, PyArray1<f64>>);

/// The schedule `kind` (cosine or linear) over `timesteps`: (β_t for t = 1..T, ᾱ_t for
/// t = 0..T), float64.
#[pyfunction]
pub fn noise_schedule<'py>(
    py: Python<'py>,
    kind: &str,
    timesteps: usize,
) -> PyResult<ArrayPair<'py>> {
    let s = scheduler(kind, timesteps)?;
    let betas: Vec<f64> = (1..=timesteps).map(|t| s.beta(t)).collect();
    let alpha_bars: Vec<f64> = (0..=timesteps).map(|t| s.alpha_bar(t)).collect();
    Ok((
        PyArray1::from_vec(py, betas),
        PyArray1::from_vec(py, alpha_bars),
    ))
}

fn scheduler(kind: &str, timesteps: usize) -> PyResult<EnergyScheduler> {
    let kind: NoiseSchedule = kind.parse().map_err(to_py)?;
    EnergyScheduler::new(kind, timesteps).map_err(to_py)
}

/// x_t ~ q(x_t | x_0) for every chain of `x0` [chains, C, H, W] under model `name`'s
/// diffusion with the schedule (`kind`, `timesteps`), keyed by `seed`.
#[pyfunction]
#[allow(clippy::too_many_arguments)]
pub fn forward_diffuse<'py>(
    py: Python<'py>,
    ctx: &PyContext,
    name: &str,
    params_json: &str,
    kind: &str,
    timesteps: usize,
    x0: PyReadonlyArrayDyn<'py, f32>,
    t: usize,
    seed: u32,
) -> PyResult<Bound<'py, PyArrayDyn<f32>>> {
    let diffusion =
        EnergyDiffusionModel::new(model(name, params_json)?, scheduler(kind, timesteps)?);
    let x0 = field_from_array("x0", &x0)?;
    let xt = py
        .detach(|| diffusion.forward_diffuse(&ctx.inner, &x0, t, seed))
        .map_err(to_py)?;
    field_to_array(py, &xt)
}

/// Runs the reverse process from `x_t` [chains, C, H, W] with the exact score: `method` ddpm
/// (all T steps) or ddim (`steps` of them). Returns (x_0, trace of the final state).
#[pyfunction]
#[pyo3(signature = (ctx, name, params_json, kind, timesteps, x_t, method, steps, seed, progress = None))]
#[allow(clippy::too_many_arguments)]
pub fn reverse_denoise<'py>(
    py: Python<'py>,
    ctx: &PyContext,
    name: &str,
    params_json: &str,
    kind: &str,
    timesteps: usize,
    x_t: PyReadonlyArrayDyn<'py, f32>,
    method: &str,
    steps: Option<usize>,
    seed: u32,
    progress: Option<Bound<'py, PyAny>>,
) -> PyResult<(Bound<'py, PyArrayDyn<f32>>, Bound<'py, PyDict>)> {
    let diffusion =
        EnergyDiffusionModel::new(model(name, params_json)?, scheduler(kind, timesteps)?);
    let x_t = field_from_array("x_t", &x_t)?;
    let reverse = match method {
        "ddpm" => ReverseMethod::Ddpm,
        "ddim" => ReverseMethod::Ddim {
            steps: steps.unwrap_or((timesteps / 10).max(1)),
        },
        other => {
            return Err(crate::errors::invalid(
                "method",
                &format!("`{other}`: use \"ddpm\" or \"ddim\""),
            ))
        }
    };
    let (x0, trace) = watched(py, &ctx.inner, progress, |ctx, progress| {
        diffusion.reverse_denoise(ctx, &x_t, reverse, seed, progress)
    })?;
    Ok((field_to_array(py, &x0)?, trace_to_dict(py, &trace)?))
}

/// Normalised Boltzmann weights of `energies` at temperature `kt`, computed on the backend
/// with log-sum-exp: (log weights, ln Z, effective sample size).
#[pyfunction]
pub fn boltzmann_weight<'py>(
    py: Python<'py>,
    ctx: &PyContext,
    energies: Vec<f64>,
    kt: f64,
) -> PyResult<(Bound<'py, PyArray1<f64>>, f64, f64)> {
    let w = py
        .detach(|| idf::boltzmann_weight(&ctx.inner, &energies, kt))
        .map_err(to_py)?;
    Ok((PyArray1::from_vec(py, w.log_weights), w.log_z, w.ess))
}
