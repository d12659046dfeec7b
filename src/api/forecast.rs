//! `POST /predict` with a learned forecaster (`idf serve --checkpoint FORECASTER.ckpt`): the
//! ensemble of `steps` forecast leads after the posted map, drawn by DDIM from the network, with
//! the laws of the data's dynamics checked on each member.

use std::sync::Arc;
use std::time::Instant;

use serde_json::json;

use super::types::{PredictRequest, PredictResponse, VerdictOut};
use super::{check_size, gate, rejects_violations, ApiError, ApiState};
use crate::jobs::denoiser::forecast::Forecaster;
use crate::neural::{NeuralSampler, Sampling};

/// The DDIM steps of a forecast unless `sampler_steps` says otherwise.
const DEFAULT_SAMPLER_STEPS: usize = 50;

/// Answers `req` with the server's forecaster. Errors (400, naming the field): the physics
/// keys (`model`, `params`, `step_size`, `temperature`), a shape other than the checkpoint's
/// maps, a field of the wrong length or with non-finite values, unknown or missing
/// `conditions`, zero `steps` or `sampler_steps` outside 1..=T, `validate` not flag or
/// reject, a lead time or diffusivity in `conditions` that a heat-flow forecaster's law check
/// cannot run the heat equation at; 413 over the work limit (the law check's rollout counted); 422 with `validate: reject` when a forecast breaks a law of
/// the data's dynamics ([`Forecaster::law_verdict`]).
pub async fn predict_learned(
    state: &Arc<ApiState>,
    forecaster: &Forecaster,
    req: PredictRequest,
) -> Result<PredictResponse, ApiError> {
    let physics_keys = [
        ("model", req.model.is_some()),
        ("params", !req.params.is_empty()),
        ("step_size", req.step_size.is_some()),
        ("temperature", req.temperature.is_some()),
    ];
    if let Some((key, _)) = physics_keys.iter().find(|(_, given)| *given) {
        return Err(ApiError::bad(
            key,
            format!(
                "this server forecasts with the network of {} (idf serve --checkpoint); `{key}` \
                 belongs to the physics rollout",
                forecaster.path.display()
            ),
        ));
    }
    let [c, h, w] = forecaster.map_shape;
    if c != 1 || req.shape != [h, w] {
        return Err(ApiError::bad(
            "shape",
            format!(
                "{:?}: the forecaster's maps are {c}×{h}×{w} (channels × height × width)",
                req.shape
            ),
        ));
    }
    let ensemble = super::check_predict_map(&req)?;
    let reject = rejects_violations(req.validate.as_deref())?;
    let timesteps = forecaster.denoiser.schedule().timesteps();
    let sampler_steps = req
        .sampler_steps
        .unwrap_or(DEFAULT_SAMPLER_STEPS.min(timesteps));
    if !(1..=timesteps).contains(&sampler_steps) {
        return Err(ApiError::bad(
            "sampler_steps",
            format!("expected 1 to {timesteps} (the checkpoint's timesteps), got {sampler_steps}"),
        ));
    }
    let sampler = NeuralSampler::Ddim {
        steps: sampler_steps,
    };
    let conditions: Vec<(String, f32)> = req
        .conditions
        .iter()
        .map(|(k, v)| (k.clone(), *v))
        .collect();
    let values = forecaster
        .conditions(&conditions)
        .map_err(|e| ApiError::bad("conditions", e.to_string()))?;
    let leads = usize::try_from(req.steps).map_err(|_| ApiError::bad("steps", "too many"))?;
    let law_work = forecaster
        .law_work(&values, leads)
        .map_err(|e| ApiError::bad("conditions", e.to_string()))?;
    let work = (ensemble as u64)
        .saturating_mul(req.steps)
        .saturating_mul(forecaster.cost(sampler))
        .saturating_add(law_work);
    check_size(state, ensemble.saturating_mul(h * w), work)?;
    let (field, seed) = (req.field.clone(), req.seed.unwrap_or(0));
    let tolerances = state.config.validation.clone();
    let started = Instant::now();
    let job_state = state.clone();
    let (forecast, verdicts) = state
        .run(move |ctx| {
            let forecaster = job_state
                .forecaster
                .get()
                .expect("a forecaster server keeps its forecaster");
            let how = Sampling {
                cancel: ctx.cancel_flag(),
                ..Sampling::new(sampler, seed)
            };
            let forecast = forecaster.predict(&field, &values, ensemble, leads, &how)?;
            let verdict =
                forecaster.law_verdict(ctx, &field, &values, &forecast, leads, &tolerances)?;
            Ok((forecast, verdict.map(|v| v.verdicts).unwrap_or_default()))
        })
        .await?;
    let verdict = VerdictOut::of(&verdicts);
    state.completed(json!({
        "route": "/predict", "checkpoint": forecaster.path, "shape": [ensemble, 1, h, w],
        "steps": req.steps, "elf": verdict.elf, "violations": verdict.violations,
        "latency_ms": started.elapsed().as_secs_f64() * 1e3,
    }));
    gate(reject, &verdict)?;
    Ok(PredictResponse {
        shape: req.shape,
        mean: forecast.mean,
        std: forecast.spread,
        method: format!(
            "forecaster {} ({} lead(s) of {} recorded time(s), DDIM {sampler_steps} steps)",
            forecaster.path.display(),
            req.steps,
            forecaster.lead
        ),
        verdict,
        wall_ms: started.elapsed().as_secs_f64() * 1e3,
    })
}
