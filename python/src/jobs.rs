//! The jobs beyond sampling, as `idf` runs them: the energy-law validation suite (`idf
//! validate`), videos (`idf render`), fitting an energy to a dataset (`idf train`) and the
//! search for low energies (`idf optimize`, and `optimize_entropy` for service graphs). Each
//! runs watched (GIL released, Ctrl-C honoured) and answers with the JSON its command writes.

use std::path::PathBuf;
use std::time::Duration;

use pyo3::prelude::*;

use idf::capsules::enterprise::telemetry::{apply_telemetry, Reading};
use idf::engine::ace::AceAgent;
use idf::engine::energies::{GraphEnergy, GraphKind};
use idf::io::atlas::Atlas;
use idf::jobs::elf::{run_suite, ElfConfig};
use idf::jobs::optimize::{optimize as optimize_job, OptimizeSpec};
use idf::jobs::placement::{optimize_entropy as optimize_entropy_job, PlacementOptions};
use idf::jobs::render::encode::Output;
use idf::jobs::render::job::render_job;
use idf::jobs::render::pipeline::render as render_video;
use idf::jobs::train::{train_diffusion, TrainSpec};
use idf::{Config, EnergyModel, Scene, ServiceGraph};

use crate::errors::{invalid, to_py};
use crate::run::watched;
use crate::{model, scene_with_energy, PyContext};

/// The configuration `config_yaml` (idf.yaml text), or the defaults.
pub fn config(config_yaml: Option<&str>) -> PyResult<Config> {
    match config_yaml {
        Some(text) => Config::parse(text, std::path::Path::new("config")).map_err(to_py),
        None => Ok(Config::default()),
    }
}

/// Runs the energy-law suite: `trajectories` over all domains, seeded with `seed`, with the
/// tolerances of `config_yaml`. Returns the JSON `idf validate` writes.
#[pyfunction]
#[pyo3(signature = (ctx, trajectories, seed, config_yaml = None, progress = None))]
pub fn validate(
    py: Python<'_>,
    ctx: &PyContext,
    trajectories: usize,
    seed: u32,
    config_yaml: Option<&str>,
    progress: Option<Bound<'_, PyAny>>,
) -> PyResult<String> {
    let cfg = ElfConfig {
        trajectories,
        seed,
        ..ElfConfig::from_config(&config(config_yaml)?)
    };
    let report = watched(py, &ctx.inner, progress, |ctx, progress| {
        run_suite(ctx, &cfg, &mut |_, done, total| {
            progress(done as u64, total as u64)
        })
    })?;
    serde_json::to_string(&report).map_err(|e| invalid("report", &e.to_string()))
}

/// Renders the scene `scene_json` (with `energy` replacing its model, as in `sample`) to `out`:
/// a `.mp4` or `.gif` file, or a folder of PNG frames when `png_frames`. Returns a JSON summary:
/// path, frames, width, height, fps, duration_s, wall_s, frames_per_second, elf, laws,
/// violations, warnings.
#[pyfunction]
#[pyo3(signature = (ctx, scene_json, out, png_frames = false, progress = None, energy = None))]
pub fn render(
    py: Python<'_>,
    ctx: &PyContext,
    scene_json: &str,
    out: PathBuf,
    png_frames: bool,
    progress: Option<Bound<'_, PyAny>>,
    energy: Option<(String, String)>,
) -> PyResult<String> {
    let scene: Scene = scene_with_energy(scene_json, energy)?;
    let job = render_job(&scene).map_err(to_py)?;
    let output = if png_frames {
        Output::PngDir(out)
    } else {
        Output::File(out)
    };
    let report = watched(py, &ctx.inner, progress, |ctx, progress| {
        render_video(ctx, &job, &output, progress)
    })?;
    let summary = serde_json::json!({
        "path": report.path,
        "frames": report.frames,
        "width": report.width,
        "height": report.height,
        "fps": report.fps,
        "duration_s": report.duration_s,
        "wall_s": report.wall_s,
        "frames_per_second": report.frames_per_second,
        "elf": report.elf,
        "laws": report.laws,
        "violations": report.violations.iter().map(ToString::to_string).collect::<Vec<_>>(),
        "warnings": report.warnings,
    });
    Ok(summary.to_string())
}

/// Fits model `name` (starting from `params_json`) to the dataset `data` by persistent
/// contrastive divergence, as `idf train` does. `fixed`: parameters held; `bounds`: `NAME=MIN:MAX`
/// intervals; `select`: `NAME=VALUE` conditions picking the records. `batch_size`, `chains`
/// and `learning_rate` default to `config_yaml`'s Diffusion section. Returns the report as JSON
/// (params with mean and standard errors, warnings, curve, loss, steps, samples, temperature,
/// wall_ms, backend).
#[pyfunction]
#[pyo3(signature = (ctx, data, name, params_json, fixed, bounds, select, steps, batch_size = None,
    chains = None, sampler_steps = 1, learning_rate = None, seed = 0, config_yaml = None,
    progress = None))]
#[allow(clippy::too_many_arguments)]
pub fn train(
    py: Python<'_>,
    ctx: &PyContext,
    data: PathBuf,
    name: &str,
    params_json: &str,
    fixed: Vec<String>,
    bounds: Vec<String>,
    select: Vec<String>,
    steps: u64,
    batch_size: Option<usize>,
    chains: Option<usize>,
    sampler_steps: u64,
    learning_rate: Option<f64>,
    seed: u32,
    config_yaml: Option<&str>,
    progress: Option<Bound<'_, PyAny>>,
) -> PyResult<String> {
    let config = config(config_yaml)?;
    let parse = |items: &[String]| -> PyResult<Vec<_>> {
        items.iter().map(|s| s.parse().map_err(to_py)).collect()
    };
    let spec = TrainSpec {
        model: model(name, params_json)?,
        fixed,
        bounds: parse(&bounds)?,
        select: select
            .iter()
            .map(|s| s.parse().map_err(to_py))
            .collect::<PyResult<Vec<_>>>()?,
        steps,
        batch_size: batch_size.unwrap_or(config.diffusion.batch_size),
        chains: chains.unwrap_or(config.diffusion.batch_size),
        sampler_steps,
        learning_rate: learning_rate.unwrap_or(config.diffusion.learning_rate),
        seed,
    };
    let report = watched(py, &ctx.inner, progress, |ctx, progress| {
        let atlas = Atlas::open(&data)?;
        train_diffusion(ctx, &config, &atlas, &spec, &mut |done, total, _| {
            progress(done, total)
        })
    })?;
    serde_json::to_string(&report).map_err(|e| invalid("report", &e.to_string()))
}

/// The ACE agent's settings from Python: rounds, steps per round, steps between swaps, the
/// target band (low, high), lag, ν and the target acceptance of proposals.
type AgentSettings = (usize, u64, u64, f64, f64, f64, f64, Option<f64>);

/// Searches for the lowest energy of model `name` (or of the graph file `graph` with
/// `objective` maxcut, ising or qubo) as `idf optimize` does. Returns (the report as JSON, the
/// best configuration [1, C, H, W]).
#[pyfunction]
#[pyo3(signature = (ctx, name, params_json, graph, objective, size, replicas, steps, method,
    schedule, t_start, t_end, step_size, seed, agent = None, progress = None))]
#[allow(clippy::too_many_arguments)]
pub fn optimize<'py>(
    py: Python<'py>,
    ctx: &PyContext,
    name: &str,
    params_json: &str,
    graph: Option<PathBuf>,
    objective: &str,
    size: Option<[usize; 2]>,
    replicas: usize,
    steps: u64,
    method: &str,
    schedule: &str,
    t_start: f32,
    t_end: f32,
    step_size: Option<f32>,
    seed: u32,
    agent: Option<AgentSettings>,
    progress: Option<Bound<'py, PyAny>>,
) -> PyResult<(String, Bound<'py, numpy::PyArrayDyn<f32>>)> {
    let model = match graph {
        Some(path) => {
            let kind = match objective {
                "maxcut" => GraphKind::MaxCut,
                "ising" => GraphKind::Ising,
                "qubo" => GraphKind::Qubo,
                other => {
                    return Err(invalid(
                        "objective",
                        &format!("`{other}` is not one of maxcut, ising, qubo"),
                    ))
                }
            };
            let graph = if path.extension().and_then(|e| e.to_str()) == Some("json") {
                GraphEnergy::read_json(&path, kind)
            } else {
                GraphEnergy::read_gset(&path, kind)
            };
            EnergyModel::Graph(graph.map_err(to_py)?)
        }
        None => model(name, params_json)?,
    };
    let spec = OptimizeSpec {
        size: size.or(match model {
            EnergyModel::Graph(_) => None,
            _ => Some([32, 32]),
        }),
        model,
        replicas,
        steps,
        method: method.parse().map_err(to_py)?,
        schedule: schedule.parse().map_err(to_py)?,
        t_start,
        t_end,
        step_size,
        seed,
        agent: agent.map(
            |(rounds, steps_per_round, record_every, lo, hi, lag, nu, target_acceptance)| {
                AceAgent {
                    rounds,
                    steps_per_round,
                    record_every,
                    target_band: (lo, hi),
                    lag,
                    nu,
                    target_acceptance,
                }
            },
        ),
        initial: None,
    };
    let report = watched(py, &ctx.inner, progress, |ctx, progress| {
        optimize_job(ctx, &spec, progress)
    })?;
    let mut json = serde_json::to_value(&report).map_err(|e| invalid("report", &e.to_string()))?;
    json["model"] = serde_json::json!(spec.model.name());
    Ok((
        json.to_string(),
        crate::arrays::field_to_array(py, &report.best)?,
    ))
}

/// Places the services of the service graph `graph_json` (docs/service_graph.schema.json) on
/// its nodes as `idf optimize --service-graph` does, after refitting its power curves to the
/// readings `telemetry_json` (a JSON list of `{node, utilisation, power_w, time}`) if given.
/// Returns the placement policy as JSON.
#[pyfunction]
#[pyo3(signature = (ctx, graph_json, telemetry_json, method, chains, steps, t_start, t_end,
    seed, baselines, exact_time_limit, progress = None))]
#[allow(clippy::too_many_arguments)]
pub fn optimize_entropy(
    py: Python<'_>,
    ctx: &PyContext,
    graph_json: &str,
    telemetry_json: Option<&str>,
    method: &str,
    chains: usize,
    steps: u64,
    t_start: Option<f32>,
    t_end: Option<f32>,
    seed: u32,
    baselines: bool,
    exact_time_limit: Option<f64>,
    progress: Option<Bound<'_, PyAny>>,
) -> PyResult<String> {
    let value: serde_json::Value = serde_json::from_str(graph_json)
        .map_err(|e| invalid("service_graph", &format!("not JSON: {e}")))?;
    let mut graph = ServiceGraph::from_json(value).map_err(to_py)?;
    let mut fits = Vec::new();
    if let Some(text) = telemetry_json {
        let value: serde_json::Value = serde_json::from_str(text)
            .map_err(|e| invalid("telemetry", &format!("not JSON: {e}")))?;
        let serde_json::Value::Array(items) = value else {
            return Err(invalid("telemetry", "expected a list of readings"));
        };
        let readings = items
            .into_iter()
            .enumerate()
            .map(|(k, item)| {
                serde_json::from_value::<Reading>(item)
                    .map_err(|e| invalid(&format!("telemetry[{k}]"), &e.to_string()))
            })
            .collect::<PyResult<Vec<_>>>()?;
        let (refit, f) = apply_telemetry(&graph, &readings).map_err(|e| match e {
            idf::IdfError::InvalidParam { name, reason } => {
                invalid(&name.replacen("readings", "telemetry", 1), &reason)
            }
            other => to_py(other),
        })?;
        graph = refit;
        fits = f;
    }
    let exact_time_limit = match exact_time_limit {
        Some(s) if !(s.is_finite() && s > 0.0) => {
            return Err(invalid(
                "exact_time_limit",
                &format!("{s}: give seconds above 0, or None not to run the exact solver"),
            ))
        }
        s => s.map(Duration::from_secs_f64),
    };
    let options = PlacementOptions {
        method: method.parse().map_err(to_py)?,
        chains,
        steps,
        t_start,
        t_end,
        seed,
        baselines,
        exact_time_limit,
        ..PlacementOptions::default()
    };
    let mut policy = watched(py, &ctx.inner, progress, |ctx, progress| {
        optimize_entropy_job(ctx, &graph, &options, progress)
    })?;
    policy.power_fits = fits;
    serde_json::to_string(&policy).map_err(|e| invalid("policy", &e.to_string()))
}
