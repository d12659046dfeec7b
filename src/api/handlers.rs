//! The endpoints: each checks its request (4xx naming the field), runs the job on the device
//! behind the queue, and answers JSON.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use axum::extract::rejection::JsonRejection;
use axum::extract::State;
use axum::Json;
use serde_json::json;

use super::batch::{BatchLimits, Batcher};
use super::types::*;
use super::{check_chains, check_size, gate, rejects_violations, ApiError, ApiState};
use crate::context::{Cancel, Context};
use crate::engine::energies::{EnergyModel, StateKind};
use crate::engine::energies::{GraphEnergy, GraphKind};
use crate::engine::estimates::{ensemble_moments, Estimate};
use crate::engine::field::{Field, Shape};
use crate::engine::method::Method;
use crate::engine::schedule::TemperatureSchedule;
use crate::engine::simulation::Simulation;
use crate::engine::step_rule::{RunConfig, StepRule, METROPOLIS_EVALUATIONS};
use crate::engine::trace::Histogram;
use crate::engine::validation::{validate_run, ValidationConfig, Verdict};
use crate::jobs::molecular::run_molecular;
use crate::jobs::optimize::{optimize as run_optimize, OptimizeSpec};
use crate::jobs::sample::{sample, sample_batch, BatchKey, SampleReport};
use crate::jobs::scene::ResolvedScene;

/// The value histogram behind the entropies the API reports.
const ENTROPY_HISTOGRAM: Histogram = Histogram {
    lo: -3.0,
    hi: 3.0,
    bins: 64,
};

/// The JSON body, or an error: 400 for malformed JSON, 413 past the body limit, 415 without a
/// JSON content type; each a JSON error naming `body`.
fn body(
    payload: Result<Json<serde_json::Value>, JsonRejection>,
) -> Result<serde_json::Value, ApiError> {
    payload
        .map(|Json(v)| v)
        .map_err(|e| ApiError::new(e.status(), Some("body"), e.body_text()))
}

/// The body as a request type; a missing key, a value of the wrong type or an unknown key is a
/// 400 naming that key (its path in the body).
fn typed<T: serde::de::DeserializeOwned>(
    payload: Result<Json<serde_json::Value>, JsonRejection>,
) -> Result<T, ApiError> {
    serde_path_to_error::deserialize(body(payload)?).map_err(|e| {
        let message = e.inner().to_string();
        // The path ends at an unknown key; a missing one is named in the message, under the
        // path of the object that lacks it.
        let field = match (message.split('`').nth(1), e.path().to_string()) {
            (Some(key), parent) if message.starts_with("missing field") => match parent.as_str() {
                "." | "" => key.to_string(),
                _ => format!("{parent}.{key}"),
            },
            (_, path) => path,
        };
        ApiError::bad(&field, message)
    })
}

fn params(map: &BTreeMap<String, serde_json::Value>) -> Result<Vec<(String, String)>, ApiError> {
    map.iter()
        .map(|(k, v)| match v {
            serde_json::Value::Number(n) => Ok((k.clone(), n.to_string())),
            serde_json::Value::String(s) => Ok((k.clone(), s.clone())),
            _ => Err(ApiError::bad(
                &format!("params.{k}"),
                "expected a number or a string",
            )),
        })
        .collect()
}

/// What one `/diffuse` job gives back: its sample report, the histogram entropy of each chain
/// at the start and at the end, its energy-law verdicts (none for DDPM and DDIM, which sample
/// the exact marginals) and the wall time of the run that served it, in milliseconds.
pub struct DiffuseOutcome {
    report: SampleReport,
    entropy_start: Vec<f64>,
    entropy_end: Vec<f64>,
    verdicts: Vec<Verdict>,
    wall_ms: f64,
}

/// The `/diffuse` requests waiting for the device, keyed by what lets them share a run.
pub type DiffuseBatcher = Batcher<BatchKey, ResolvedScene, DiffuseOutcome>;

/// Runs `jobs`, one job or several that share a [`BatchKey`] (as one simulation, see
/// [`sample_batch`]), and answers each in order.
fn diffuse_jobs(
    ctx: &Context,
    jobs: &[ResolvedScene],
    tolerances: &ValidationConfig,
) -> crate::error::Result<Vec<DiffuseOutcome>> {
    let started = Instant::now();
    let reports = match jobs {
        [job] => vec![sample(ctx, job, &mut |_, _| {})?],
        _ => sample_batch(ctx, jobs, &mut |_, _| {})?,
    };
    let starts = jobs
        .iter()
        .map(ResolvedScene::initial_field)
        .collect::<crate::error::Result<Vec<_>>>()?;
    // The entropies of every job's chains, at the start and at the end, in one look.
    let both: Vec<Field> = starts
        .into_iter()
        .chain(reports.iter().map(|r| r.field.clone()))
        .collect();
    let mut look = Simulation::new(ctx, &jobs[0].model, &Field::concat_chains(&both)?, 0)?;
    let mut s0: Vec<f64> = look
        .chain_stats(Some(ENTROPY_HISTOGRAM))?
        .iter()
        .map(|s| s.histogram_entropy)
        .collect();
    let s1 = s0.split_off(s0.len() / 2);
    let wall_ms = started.elapsed().as_secs_f64() * 1e3;
    let mut offset = 0;
    Ok(reports
        .into_iter()
        .zip(jobs)
        .map(|(report, job)| {
            let chains = offset..offset + job.shape.chains;
            offset = chains.end;
            let verdicts = match job.method {
                Method::Ddpm | Method::Ddim => Vec::new(),
                _ => validate_run(&job.model, &job.run, tolerances, &report.trace).verdicts,
            };
            DiffuseOutcome {
                report,
                entropy_start: s0[chains.clone()].to_vec(),
                entropy_end: s1[chains].to_vec(),
                verdicts,
                wall_ms,
            }
        })
        .collect())
}

/// Sample a scene.
#[utoipa::path(post, path = "/diffuse", request_body = DiffuseRequest,
    responses((status = 200, description = "the samples, their estimates and energy-law verdict; for a `molecular` body, the particle run's estimates, g(r) and positions", body = DiffuseAnswer),
              (status = 400, description = "bad input, naming the field", body = ErrorBody), (status = 413, description = "over a size or work limit", body = ErrorBody),
              (status = 422, description = "the run diverged, or `validate: reject` and a law failed", body = ErrorBody),
              (status = 503, description = "the work queue is full; retry", body = ErrorBody)))]
pub async fn diffuse(
    State(state): State<Arc<ApiState>>,
    payload: Result<Json<serde_json::Value>, JsonRejection>,
) -> Result<Json<DiffuseAnswer>, ApiError> {
    let req = DiffuseRequest::from_json(body(payload)?)?;
    if let Some(molecular) = req.molecular {
        return diffuse_molecular(state, molecular, req.return_samples.unwrap_or(true)).await;
    }
    if let Some(plasma) = req.plasma {
        return super::plasma::diffuse_plasma(state, plasma, req.return_samples.unwrap_or(true))
            .await;
    }
    let config = &state.config;
    // The size limit is checked before anything of that size is built.
    if let Some([h, w]) = req.scene.size {
        let chains = req.scene.chains.unwrap_or(config.diffusion.batch_size);
        check_size(&state, chains.saturating_mul(h).saturating_mul(w), 0)?;
    }
    let mut job = req.scene.resolve(config)?;
    let shape = job.shape;
    check_size(&state, shape.len(), job.run.work(&job.model, shape))?;
    let reject = rejects_violations(req.validate.as_deref())?;
    if let Some(values) = &req.initial {
        let plane = shape.sites_per_chain();
        if values.len() != plane {
            return Err(ApiError::bad(
                "initial",
                format!("{} values for a {plane}-value field", values.len()),
            ));
        }
        if values.iter().any(|v| !v.is_finite()) {
            return Err(ApiError::bad("initial", "values must be finite"));
        }
        job.initial = Some(Field::from_vec(
            shape,
            values.iter().copied().cycle().take(shape.len()).collect(),
        )?);
    }
    let return_samples = req.return_samples.unwrap_or(true);
    let tolerances = config.validation.clone();
    let out = match BatchKey::of(&job).filter(|_| state.limits.batch) {
        Some(key) => {
            // Waits in line with its key: whichever request of that key gets the device first
            // runs every waiting one with it.
            let (sites, work) = (shape.len(), job.run.work(&job.model, shape));
            let cancel = Cancel::new();
            let ticket = state
                .diffuse_batches
                .enqueue(key, job, sites, work, cancel.clone());
            let limits = BatchLimits {
                max_sites: state.limits.max_sites,
                max_work: state.limits.max_work,
            };
            let served = state.clone();
            state
                .run_with_cancel(cancel, move |ctx| {
                    served
                        .diffuse_batches
                        .serve(ticket, ctx, limits, |ctx, jobs| {
                            served.metrics.batch_requests.observe(jobs.len() as f64);
                            diffuse_jobs(ctx, jobs, &tolerances)
                        })
                })
                .await?
        }
        None => {
            let served = state.clone();
            state
                .run(move |ctx| {
                    served.metrics.batch_requests.observe(1.0);
                    let mut outcomes = diffuse_jobs(ctx, std::slice::from_ref(&job), &tolerances)?;
                    Ok(outcomes.remove(0))
                })
                .await?
        }
    };
    let DiffuseOutcome {
        report,
        entropy_start: s0,
        entropy_end: s1,
        verdicts,
        wall_ms,
    } = out;
    let last = report.trace.records.len() - 1;
    let energies = report.trace.energies(last);
    let first = report.trace.energies(0);
    let n_steps = report.steps.max(1) as f64;
    let delta_e = energies.iter().zip(&first).map(|(a, b)| a - b).sum::<f64>()
        / (energies.len() as f64 * n_steps);
    let delta_s = s1.iter().zip(&s0).map(|(a, b)| a - b).sum::<f64>() / (s1.len() as f64 * n_steps);
    let verdict = VerdictOut::of(&verdicts);
    state.metrics.delta_e.observe(delta_e);
    state.metrics.delta_s.observe(delta_s);
    if let Some(e) = verdict.elf {
        state.metrics.elf.observe(e);
    }
    state.completed(json!({
        "route": "/diffuse", "model": report.model.name(), "shape": report.field.shape().dims(),
        "steps": report.steps, "delta_e": delta_e, "delta_s": delta_s, "elf": verdict.elf,
        "violations": verdict.violations, "latency_ms": wall_ms,
    }));
    gate(reject, &verdict)?;
    Ok(Json(DiffuseAnswer::Lattice(DiffuseResponse {
        shape: report.field.shape().dims().to_vec(),
        samples: return_samples.then(|| report.field.data().to_vec()),
        energies,
        entropy: s1,
        estimates: report
            .estimates
            .iter()
            .map(|(k, e)| {
                (
                    k.to_string(),
                    EstimateOut {
                        mean: e.mean,
                        stderr: e.stderr,
                        ess: e.ess,
                    },
                )
            })
            .collect(),
        delta_e,
        delta_s,
        verdict,
        warnings: report.warnings,
        backend: report.backend,
        wall_ms,
    })))
}

/// The molecular run of a `/diffuse` body with a `molecular` key: checked against the size and
/// work limits (a pair evaluation per listed neighbour, ~80 at liquid density), then run on the
/// device.
async fn diffuse_molecular(
    state: Arc<ApiState>,
    request: MolecularKeys,
    return_samples: bool,
) -> Result<Json<DiffuseAnswer>, ApiError> {
    let spec = request.spec()?;
    let particles = spec.particles.saturating_mul(spec.chains);
    check_size(&state, particles, 0)?;
    // An HMC step is a trajectory of leapfrog steps.
    let per_step = match spec.integrator.as_str() {
        "hmc" => spec.leapfrog_steps.max(1) as u64,
        _ => 1,
    };
    check_size(
        &state,
        particles,
        (particles as u64)
            .saturating_mul(spec.steps)
            .saturating_mul(per_step)
            .saturating_mul(NEIGHBOURS_PER_PARTICLE),
    )?;
    let report = state
        .run(move |ctx| run_molecular(ctx, &spec, &mut |_, _| {}))
        .await?;
    let out = |e: &Estimate| EstimateOut {
        mean: e.mean,
        stderr: e.stderr,
        ess: e.ess,
    };
    let mut estimates: BTreeMap<String, EstimateOut> = [
        ("potential", &report.potential),
        ("kinetic", &report.kinetic),
        ("total", &report.total),
        ("temperature", &report.temperature),
    ]
    .into_iter()
    .filter(|(_, e)| e.mean.is_finite())
    .map(|(k, e)| (k.to_string(), out(e)))
    .collect();
    if let Some(p) = report.pressure.as_ref().filter(|p| p.mean.is_finite()) {
        estimates.insert("pressure".into(), out(p));
    }
    state.completed(json!({
        "route": "/diffuse", "model": "lennard_jones", "particles": report.particles,
        "chains": report.chains, "steps": report.steps, "latency_ms": report.wall_ms,
    }));
    Ok(Json(DiffuseAnswer::Molecular(MolecularResponse {
        particles: report.particles,
        chains: report.chains,
        box_len: report.box_len,
        steps: report.steps,
        estimates,
        rdf: report.rdf.map(|(r, g)| RdfOut { r, g }),
        minimised: report.minimised,
        positions: return_samples.then(|| {
            report
                .positions
                .iter()
                .flat_map(|p| [p[0], p[1], p[2]])
                .collect()
        }),
        rebuilds: report.rebuilds,
        replica_exchange: report.replica_exchange,
        backend: report.backend,
        wall_ms: report.wall_ms,
    })))
}

/// Pair evaluations per particle per step budgeted for a molecular run (a liquid's list).
const NEIGHBOURS_PER_PARTICLE: u64 = 80;

/// Anneal or temper towards the lowest-energy configuration.
#[utoipa::path(post, path = "/optimize", request_body = OptimizeRequest,
    responses((status = 200, description = "the best configuration found and the search's trace, or a service graph's placement policy", body = OptimizeAnswer),
              (status = 400, description = "bad input, naming the field", body = ErrorBody), (status = 413, description = "over a size or work limit", body = ErrorBody),
              (status = 503, description = "the work queue is full; retry", body = ErrorBody)))]
pub async fn optimize(
    State(state): State<Arc<ApiState>>,
    payload: Result<Json<serde_json::Value>, JsonRejection>,
) -> Result<Json<OptimizeAnswer>, ApiError> {
    let mut req: OptimizeRequest = typed(payload)?;
    if let Some(graph) = req.service_graph.take() {
        return super::placement::optimize_placement(&state, req, graph)
            .await
            .map(Json);
    }
    if req.telemetry.is_some() {
        return Err(ApiError::bad(
            "telemetry",
            "telemetry refits a service_graph; give one",
        ));
    }
    let model = match (&req.graph, &req.model) {
        (Some(g), _) => {
            let kind = match g.objective.as_deref().unwrap_or("maxcut") {
                "maxcut" => GraphKind::MaxCut,
                "ising" => GraphKind::Ising,
                "qubo" => GraphKind::Qubo,
                other => {
                    return Err(ApiError::bad(
                        "graph.objective",
                        format!("`{other}` is not maxcut, ising or qubo"),
                    ))
                }
            };
            // Checked before anything of that size is allocated.
            let replicas = req.replicas.unwrap_or(8);
            check_chains("replicas", replicas)?;
            check_size(&state, g.nodes.saturating_mul(replicas), 0)?;
            let fields = g.fields.clone().unwrap_or_else(|| vec![0.0; g.nodes]);
            if fields.len() != g.nodes {
                return Err(ApiError::bad(
                    "graph.fields",
                    format!("{} values for {} nodes", fields.len(), g.nodes),
                ));
            }
            let graph = GraphEnergy::new(kind, g.nodes, g.edges.clone(), fields)
                .map_err(|e| ApiError::bad("graph", e.to_string()))?;
            EnergyModel::Graph(graph)
        }
        (None, Some(name)) => EnergyModel::from_params(name, &params(&req.params)?)?,
        (None, None) => return Err(ApiError::bad("model", "give a model or a graph")),
    };
    let size = model
        .state()
        .is_lattice()
        .then(|| req.shape.unwrap_or([32, 32]));
    let replicas = req.replicas.unwrap_or(8);
    check_chains("replicas", replicas)?;
    let steps = req.steps.unwrap_or(1000);
    let sites = model.shape(replicas, size)?.len();
    // Per site and step, a Metropolis update for spins and graphs, a Langevin step otherwise.
    let per_step = if model.state().is_discrete() {
        METROPOLIS_EVALUATIONS
    } else {
        1
    };
    let work = (sites as u64)
        .saturating_mul(steps)
        .saturating_mul(per_step)
        .saturating_mul(model.cost_per_site());
    check_size(&state, sites, work)?;
    let spec = OptimizeSpec {
        model,
        size,
        replicas,
        steps,
        method: req.method.as_deref().unwrap_or("tempering").parse()?,
        schedule: crate::engine::schedule::ScheduleKind::Cosine,
        t_start: 3.0,
        t_end: 0.05,
        step_size: None,
        seed: req.seed.unwrap_or(0),
        agent: None,
        initial: None,
    };
    let (model_name, dims) = (spec.model.name(), spec.model.shape(replicas, size)?.dims());
    let r = state
        .run(move |ctx| run_optimize(ctx, &spec, &mut |_, _| {}))
        .await?;
    state.completed(json!({
        "route": "/optimize", "model": model_name, "shape": dims, "steps": steps,
        "best_energy": r.best_energy, "latency_ms": r.wall_ms,
    }));
    Ok(Json(OptimizeAnswer::Configuration(OptimizeResponse {
        method: r.method.to_string(),
        best_energy: r.best_energy,
        best_energy_per_site: r.best_energy_per_site,
        best_configuration: r.best.data().to_vec(),
        energy_trace: r.energy_trace,
        ladder: r.ladder,
        swap_acceptance: r.swap_acceptance,
        cut: r.cut,
        free_energy: r.free_energy,
        free_energy_stderr: r.free_energy_stderr,
        wall_ms: r.wall_ms,
        warnings: r.warnings,
    })))
}

/// The next-state forecast of a map: advance it k steps as an ensemble.
#[utoipa::path(post, path = "/predict", request_body = PredictRequest,
    responses((status = 200, description = "the ensemble's mean map and per-site standard deviation", body = PredictResponse),
              (status = 400, description = "bad input, naming the field", body = ErrorBody), (status = 413, description = "over a size or work limit", body = ErrorBody),
              (status = 422, description = "the run diverged, or `validate: reject` and a law failed", body = ErrorBody),
              (status = 503, description = "the work queue is full; retry", body = ErrorBody)))]
pub async fn predict(
    State(state): State<Arc<ApiState>>,
    payload: Result<Json<serde_json::Value>, JsonRejection>,
) -> Result<Json<PredictResponse>, ApiError> {
    let req: PredictRequest = typed(payload)?;
    #[cfg(feature = "neural")]
    if let Some(forecaster) = state.forecaster.get() {
        return super::forecast::predict_learned(&state, forecaster, req)
            .await
            .map(Json);
    }
    if !req.conditions.is_empty() || req.sampler_steps.is_some() {
        let key = if req.conditions.is_empty() {
            "sampler_steps"
        } else {
            "conditions"
        };
        return Err(ApiError::bad(
            key,
            "applies to a forecaster checkpoint (idf serve --checkpoint), which this server has not",
        ));
    }
    let Some(name) = &req.model else {
        return Err(ApiError::bad(
            "model",
            "required: phi4 or swift_hohenberg (or start the server with --checkpoint)",
        ));
    };
    let model = EnergyModel::from_params(name, &params(&req.params)?)?;
    if model.state() != StateKind::Field {
        return Err(ApiError::bad(
            "model",
            "predict advances continuous maps: phi4 or swift_hohenberg",
        ));
    }
    let [h, w] = req.shape;
    let ensemble = super::check_predict_map(&req)?;
    let shape = Shape::new(ensemble, 1, h, w)?;
    let work = (shape.len() as u64)
        .saturating_mul(req.steps)
        .saturating_mul(model.cost_per_site());
    check_size(&state, shape.len(), work)?;
    let t = req
        .temperature
        .unwrap_or_else(|| model.default_temperature());
    if !(t.is_finite() && t >= 0.0) {
        return Err(ApiError::bad(
            "temperature",
            "must be a finite, non-negative number",
        ));
    }
    let eta = req
        .step_size
        .unwrap_or_else(|| model.default_step_size(Method::Langevin, t));
    if !(eta.is_finite() && eta > 0.0) {
        return Err(ApiError::bad(
            "step_size",
            "must be a finite, positive number",
        ));
    }
    let start = Field::from_vec(
        shape,
        req.field
            .iter()
            .copied()
            .cycle()
            .take(shape.len())
            .collect(),
    )?;
    let (steps, seed) = (req.steps, req.seed.unwrap_or(0));
    let reject = rejects_violations(req.validate.as_deref())?;
    let run = RunConfig {
        method: Method::Langevin,
        step_size: eta,
        schedule: TemperatureSchedule::constant(t),
        burn_in: 0,
        steps,
        record_every: steps,
        leapfrog_steps: 1,
    };
    let tolerances = state.config.validation.clone();
    let started = Instant::now();
    let (field, verdicts) = state
        .run(move |ctx| {
            let mut sim = Simulation::new(ctx, &model, &start, seed)?;
            let rule = StepRule::langevin(eta, t);
            let ends = |k: u64| k == 0 || k == steps;
            let trace = sim.advance(steps, &|_| rule, &ends, &mut |_, _| {})?;
            let verdicts = validate_run(&model, &run, &tolerances, &trace).verdicts;
            Ok((sim.field()?, verdicts))
        })
        .await?;
    let verdict = VerdictOut::of(&verdicts);
    state.completed(json!({
        "route": "/predict", "model": req.model, "shape": [ensemble, 1, h, w], "steps": steps,
        "elf": verdict.elf, "violations": verdict.violations,
        "latency_ms": started.elapsed().as_secs_f64() * 1e3,
    }));
    gate(reject, &verdict)?;
    let (mean, std) = ensemble_moments(field.data(), h * w);
    Ok(Json(PredictResponse {
        shape: req.shape,
        mean,
        std,
        method: format!("physics rollout ({name}, Langevin, {steps} steps)"),
        verdict,
        wall_ms: started.elapsed().as_secs_f64() * 1e3,
    }))
}

/// The registered energies built by name: what `model` and `params` of a request take.
#[utoipa::path(get, path = "/energies", responses((status = 200, description = "the registered models built by name", body = Vec<EnergyInfo>)))]
pub async fn energies() -> Json<Vec<EnergyInfo>> {
    Json(EnergyModel::named().map(EnergyInfo::of).collect())
}

/// Liveness and the backend in use.
#[utoipa::path(get, path = "/healthz", responses((status = 200, description = "the service is up")))]
pub async fn healthz(State(state): State<Arc<ApiState>>) -> Json<serde_json::Value> {
    Json(
        json!({"status": "ok", "backend": state.ctx.backend().to_string(), "adapter": state.ctx.adapter_name()}),
    )
}

/// Prometheus metrics in the text exposition format.
#[utoipa::path(get, path = "/metrics", responses((status = 200, description = "the metrics, Prometheus text format 0.0.4", content_type = "text/plain", body = String)))]
pub async fn metrics(State(state): State<Arc<ApiState>>) -> String {
    state.metrics.render()
}

/// This service's OpenAPI document.
#[utoipa::path(get, path = "/openapi.yaml", responses((status = 200, description = "the OpenAPI 3.1 document, YAML", content_type = "application/yaml", body = String)))]
pub async fn openapi() -> String {
    super::openapi_yaml()
}
