//! Request and response bodies of the HTTP API (JSON), with their OpenAPI schemas.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use crate::engine::energies::EnergySpec;
use crate::engine::validation::{energy_law_fidelity, Verdict};
use crate::error::IdfError;
pub use crate::jobs::molecular::keys::{MolecularKeys, PairSpec};
pub use crate::jobs::molecular::ReplicaExchangeReport;
use crate::jobs::scene::Scene;

/// `POST /diffuse`: sample a scene. The body holds a scene's keys (the same as a scene file's
/// and `idf sample`'s, with the same defaults; `size` may also be spelled `shape`) and three
/// keys of the API's own. A scene's `guidance` (an image file) is not accepted over HTTP. A body
/// with a `molecular` key runs Lennard-Jones particles instead (`idf molecular`'s keys), one with
/// a `plasma` key a Hasegawa–Wakatani run or scan (`idf plasma`'s keys); beside either only
/// `return_samples` may be given.
#[derive(Clone, Debug, ToSchema)]
pub struct DiffuseRequest {
    /// A Lennard-Jones particle run instead of a scene.
    pub molecular: Option<MolecularKeys>,
    /// A Hasegawa–Wakatani run or stability scan instead of a scene.
    pub plasma: Option<PlasmaRequest>,
    /// The scene.
    #[serde(flatten)]
    pub scene: Scene,
    /// A starting field for every chain: height × width values.
    pub initial: Option<Vec<f32>>,
    /// Return the samples themselves (default true); false returns only statistics.
    pub return_samples: Option<bool>,
    /// Energy-law gating: `flag` reports the verdict, `reject` answers 422 when a law fails.
    pub validate: Option<String>,
}

/// The request under capsule key `key` of a `/diffuse` body (`molecular`, `plasma`), if it has
/// one; beside it only `return_samples` may be given. Errors name the key inside it.
fn take_capsule<T: serde::de::DeserializeOwned>(
    scene: &mut serde_json::Map<String, Value>,
    own: &serde_json::Map<String, Value>,
    key: &str,
) -> Result<Option<T>, IdfError> {
    let Some(body) = scene.remove(key) else {
        return Ok(None);
    };
    if let Some(other) = scene
        .keys()
        .next()
        .or(own.keys().find(|k| *k != "return_samples"))
    {
        return Err(IdfError::invalid(
            other.clone(),
            format!("a {key} run takes its settings inside `{key}`; only return_samples may be beside it"),
        ));
    }
    serde_path_to_error::deserialize(body)
        .map(Some)
        .map_err(|e| {
            let message = e.inner().to_string();
            let inner = match message.split('`').nth(1) {
                Some(unknown) if message.starts_with("unknown field") => unknown.to_string(),
                _ => e.path().to_string(),
            };
            IdfError::invalid(format!("{key}.{inner}"), message)
        })
}

/// The keys of a `/diffuse` body that are not a scene's.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DiffuseOwnKeys {
    initial: Option<Vec<f32>>,
    return_samples: Option<bool>,
    validate: Option<String>,
}

impl DiffuseRequest {
    /// Splits a JSON body into the scene and the API's own keys; an unknown key or a scene's
    /// `guidance` is an error naming it.
    pub fn from_json(body: Value) -> Result<Self, IdfError> {
        let Value::Object(mut scene) = body else {
            return Err(IdfError::invalid("body", "expected a JSON object"));
        };
        let mut own = serde_json::Map::new();
        for key in ["initial", "return_samples", "validate"] {
            if let Some(v) = scene.remove(key) {
                own.insert(key.to_string(), v);
            }
        }
        let molecular = take_capsule(&mut scene, &own, "molecular")?;
        let plasma = take_capsule(&mut scene, &own, "plasma")?;
        if scene.contains_key("guidance") {
            return Err(IdfError::invalid(
                "guidance",
                "a guidance image is a file; the API does not read the server's files",
            ));
        }
        // A wrong type names its key (`initial[3]`), as the scene's keys do.
        let own: DiffuseOwnKeys = serde_path_to_error::deserialize(Value::Object(own))
            .map_err(|e| IdfError::invalid(e.path().to_string(), e.inner().to_string()))?;
        Ok(DiffuseRequest {
            molecular,
            plasma,
            scene: Scene::from_json(Value::Object(scene))?,
            initial: own.initial,
            return_samples: own.return_samples,
            validate: own.validate,
        })
    }
}

/// A registered energy, as `GET /energies` lists it (read from the energy's host file).
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct EnergyInfo {
    /// The `model` of a request.
    pub name: String,
    /// One line with its formula.
    pub summary: String,
    /// What one sample is: field, spins or points.
    pub state: String,
    /// Its parameters.
    pub params: Vec<ParamInfo>,
    /// The integrators it supports.
    pub integrators: Vec<String>,
}

/// A parameter of a registered energy.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ParamInfo {
    /// The key in `params`.
    pub name: String,
    /// What it is.
    pub doc: String,
    /// Its default, as text.
    pub default: String,
    /// The range a slider offers (scalars only; values outside it are accepted).
    pub range: Option<[f32; 2]>,
}

impl EnergyInfo {
    /// The description of `spec`.
    pub fn of(spec: &EnergySpec) -> Self {
        EnergyInfo {
            name: spec.name.to_string(),
            summary: spec.summary.to_string(),
            state: format!("{:?}", spec.state).to_lowercase(),
            params: spec
                .params
                .iter()
                .map(|p| ParamInfo {
                    name: p.name.to_string(),
                    doc: p.doc.to_string(),
                    default: p.default.to_string(),
                    range: p.range.map(|(lo, hi)| [lo, hi]),
                })
                .collect(),
            integrators: spec.methods.iter().map(|m| m.name().to_string()).collect(),
        }
    }
}

/// One estimate with its standard error, which accounts for autocorrelation.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct EstimateOut {
    /// Mean over recorded steps and chains (always finite: an estimate that is not is left out
    /// and named in `warnings`).
    pub mean: f64,
    /// Standard error from the integrated autocorrelation time (null with too few records).
    pub stderr: Option<f64>,
    /// Effective sample size: values over τ (null with too few records).
    pub ess: Option<f64>,
}

/// The energy-law verdict of a run.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct VerdictOut {
    /// Fraction of chains for which every applicable law held (null: no law applies).
    pub elf: Option<f64>,
    /// Laws checked.
    pub laws: Vec<String>,
    /// Failures: law, chain, step, value and limit, as text.
    pub violations: Vec<String>,
}

impl VerdictOut {
    /// The verdict of one verdict per chain (none: no law applies).
    pub fn of(verdicts: &[Verdict]) -> Self {
        VerdictOut {
            elf: energy_law_fidelity(verdicts),
            laws: verdicts
                .first()
                .map(|v| v.checked.iter().map(|s| s.to_string()).collect())
                .unwrap_or_default(),
            violations: verdicts
                .iter()
                .flat_map(|v| v.violations.iter().map(|x| x.to_string()))
                .collect(),
        }
    }
}

/// `POST /diffuse`'s answer.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct DiffuseResponse {
    /// `[chains, channels, height, width]`.
    pub shape: Vec<usize>,
    /// The final samples, chain after chain (absent when not asked for).
    pub samples: Option<Vec<f32>>,
    /// Each chain's final energy.
    pub energies: Vec<f64>,
    /// Each chain's final value-histogram entropy.
    pub entropy: Vec<f64>,
    /// Estimates over recorded steps and chains.
    #[schema(value_type = Object)]
    pub estimates: BTreeMap<String, EstimateOut>,
    /// Mean energy change and entropy change per step over the run.
    pub delta_e: f64,
    /// Mean entropy change per step.
    pub delta_s: f64,
    /// Energy-law verdict.
    pub verdict: VerdictOut,
    /// What makes the numbers doubtful: a run too short for its autocorrelation time, a frozen
    /// sampler (acceptance near zero), an estimate that is not finite.
    pub warnings: Vec<String>,
    /// Backend that computed it.
    pub backend: String,
    /// Wall time of the run that served the request, in milliseconds (a run shared with other
    /// waiting requests, see `Serve.batch`, takes them all).
    pub wall_ms: f64,
}

/// A graph in a request: 0-based edges `[i, j, w]`.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GraphIn {
    /// Nodes.
    pub nodes: usize,
    /// Edges; an edge given twice is summed (and the response warns).
    pub edges: Vec<(usize, usize, f32)>,
    /// Per-node field h_i (ising) or diagonal Q_ii (qubo), one per node (default 0).
    pub fields: Option<Vec<f32>>,
    /// maxcut (default), ising or qubo.
    pub objective: Option<String>,
}

/// `POST /optimize`: anneal or temper towards the lowest energy.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OptimizeRequest {
    /// A lattice model (or give `graph`).
    pub model: Option<String>,
    /// Its parameters.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub params: BTreeMap<String, serde_json::Value>,
    /// A graph instead of a lattice model.
    pub graph: Option<GraphIn>,
    /// `[height, width]` of lattice models (default 32 × 32).
    pub shape: Option<[usize; 2]>,
    /// Replicas (default 8).
    pub replicas: Option<usize>,
    /// Steps (default 1000).
    pub steps: Option<u64>,
    /// tempering (default), anneal, population, baseline-greedy or baseline-gd.
    pub method: Option<String>,
    /// Seed.
    pub seed: Option<u32>,
    /// A service graph (docs/service_graph.schema.json) instead of a model: its replicas are
    /// placed on its nodes (`replicas` are then the search's chains) and the answer is a
    /// placement policy.
    #[schema(value_type = Option<Object>)]
    pub service_graph: Option<serde_json::Value>,
    /// EIL telemetry for a service graph: readings `{node, utilisation, power_w, time}` that
    /// refit the nodes' power curves first.
    #[schema(value_type = Option<Vec<Object>>)]
    pub telemetry: Option<Vec<serde_json::Value>>,
}

/// `POST /optimize`'s answer for a service graph.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct PlacementResponse {
    /// The placement policy: `assignment` (service → node per replica), `nodes` (load and
    /// power), `costs` (each term), `feasible`, `violations`, `cannot_meet`, `entropy_nats`,
    /// `moved_replicas`, `found_by` (method, seed, time to best), `baselines` (first-fit and
    /// best-fit decreasing, priced by the same energy), `power_fits`, `warnings`.
    #[schema(value_type = Object)]
    pub policy: serde_json::Value,
}

/// What `/optimize` answers: a model's or graph's best configuration, or a placement policy.
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
pub enum OptimizeAnswer {
    /// A model's or graph's best configuration.
    Configuration(OptimizeResponse),
    /// A service graph's placement policy.
    Placement(PlacementResponse),
}

/// `POST /optimize`'s answer.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct OptimizeResponse {
    /// The method used.
    pub method: String,
    /// The lowest energy found.
    pub best_energy: f64,
    /// Per site.
    pub best_energy_per_site: f64,
    /// The configuration with that energy.
    pub best_configuration: Vec<f32>,
    /// (step, best so far).
    pub energy_trace: Vec<(u64, f64)>,
    /// The adapted ladder (tempering).
    pub ladder: Option<Vec<f32>>,
    /// Swap acceptances (tempering).
    pub swap_acceptance: Option<Vec<f64>>,
    /// Cut value (Max-Cut graphs).
    pub cut: Option<f64>,
    /// Population annealing: the free energy at the final temperature relative to the start,
    /// F = −T_end ln(Z(T_end)/Z(T_start)), estimated without bias from the product of the
    /// population's mean reweighting factors (Machta 2010, Phys. Rev. E 82, 026704). Discrete
    /// populations start at T = ∞, where uniform states are exact samples.
    pub free_energy: Option<f64>,
    /// Its standard error, from the effective sample size of every reweighting.
    pub free_energy_stderr: Option<f64>,
    /// Wall time.
    pub wall_ms: f64,
    /// What the caller should know about the input (a graph's repeated edges, summed).
    pub warnings: Vec<String>,
}

/// `POST /predict`: the next-state forecast of a map, advanced as an ensemble.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PredictRequest {
    /// phi4 or swift_hohenberg (the physics rollout; required unless the server has a
    /// forecaster checkpoint, which refuses it).
    pub model: Option<String>,
    /// Its parameters.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub params: BTreeMap<String, serde_json::Value>,
    /// `[height, width]` of the map.
    pub shape: [usize; 2],
    /// The map, height × width values.
    pub field: Vec<f32>,
    /// Steps ahead (k, at least 1): sampler steps of the physics rollout, or forecast leads of a
    /// forecaster checkpoint.
    #[schema(minimum = 1)]
    pub steps: u64,
    /// Ensemble members (default 16).
    pub ensemble: Option<usize>,
    /// Step size (default: the model's).
    pub step_size: Option<f32>,
    /// Temperature (default: the model's).
    pub temperature: Option<f32>,
    /// Seed.
    pub seed: Option<u32>,
    /// With a forecaster checkpoint: the values of its conditions by name (those that never
    /// varied in its training data default to their value).
    #[serde(default)]
    pub conditions: BTreeMap<String, f32>,
    /// With a forecaster checkpoint: DDIM steps per lead (default 50).
    pub sampler_steps: Option<usize>,
    /// Energy-law gating, as `/diffuse`'s: `flag` (the default) reports the verdict, `reject`
    /// answers 422 when a law fails.
    pub validate: Option<String>,
}

/// `POST /predict`'s answer.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct PredictResponse {
    /// `[height, width]`.
    pub shape: [usize; 2],
    /// Ensemble mean of the map after k steps.
    pub mean: Vec<f32>,
    /// Per-site ensemble standard deviation (divisor ensemble − 1; 0 for one member).
    pub std: Vec<f32>,
    /// What made the forecast: the physics rollout or the forecaster checkpoint.
    pub method: String,
    /// The energy laws of the dynamics on each member's pair (the posted map, its forecast):
    /// of `idf validate` for the physics rollout's run; for a forecaster, those of the data's
    /// dynamics that its own rollout keeps on this map (heat flow; none for other data). Mass
    /// conservation is judged relative to the map's total, so a map that sums to about zero
    /// can fail it by rounding alone.
    pub verdict: VerdictOut,
    /// Wall time.
    pub wall_ms: f64,
}

/// Every error: the field that was wrong (if one was) and why.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// What went wrong.
    pub error: String,
    /// The request field at fault.
    pub field: Option<String>,
}

/// What `/diffuse` answers for a `molecular` body.
#[derive(Debug, Serialize, ToSchema)]
pub struct MolecularResponse {
    /// Particles per system.
    pub particles: usize,
    /// Systems.
    pub chains: usize,
    /// Box edges (none for a cluster).
    pub box_len: Option<[f32; 3]>,
    /// Steps run.
    pub steps: u64,
    /// Means with standard errors: potential, kinetic, total (per particle), temperature,
    /// pressure.
    pub estimates: BTreeMap<String, EstimateOut>,
    /// g(r) of the final state: shell centres `r` and values `g`.
    pub rdf: Option<RdfOut>,
    /// After `minimise`: each system's potential energy.
    pub minimised: Option<Vec<f64>>,
    /// System 0's final positions, particles × 3 (unless `return_samples` is false).
    pub positions: Option<Vec<f32>>,
    /// Neighbour-list builds.
    pub rebuilds: u64,
    /// Under replica exchange (`t_max`): the ladder, its swap acceptances and round trips; the
    /// estimates are then the coldest rung's.
    pub replica_exchange: Option<ReplicaExchangeReport>,
    /// The backend that ran it.
    pub backend: String,
    /// Wall time of the run in milliseconds.
    pub wall_ms: f64,
}

/// A radial distribution function.
#[derive(Debug, Serialize, ToSchema)]
pub struct RdfOut {
    /// Shell centres.
    pub r: Vec<f64>,
    /// g(r).
    pub g: Vec<f64>,
}

/// The `plasma` key of a `/diffuse` body (defaults as `idf plasma run` and `scan`).
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlasmaRequest {
    /// A stability scan instead of a run (default false).
    #[serde(default)]
    pub scan: bool,
    /// Points per side, a power of two (run: 128, scan: 32).
    pub size: Option<usize>,
    /// The lowest wavenumber (default 0.15).
    pub k0: Option<f64>,
    /// Adiabaticity α of a run (default 1).
    pub alpha: Option<f32>,
    /// Density gradient κ of a run (default 1).
    pub kappa: Option<f32>,
    /// The α values of a scan.
    pub alphas: Option<Vec<f64>>,
    /// The κ values of a scan.
    pub kappas: Option<Vec<f64>>,
    /// Hyper-diffusion ν (run: 1e-4, scan: 0).
    pub nu: Option<f64>,
    /// The modified model.
    #[serde(default)]
    pub modified: bool,
    /// Stochastic forcing of a run (default 0).
    pub noise: Option<f32>,
    /// Steps (run: 2000, scan: 400).
    pub steps: Option<u64>,
    /// Diagnostics every this many steps (default 50).
    pub record_every: Option<u64>,
    /// A fixed time step (default: adaptive).
    pub dt: Option<f32>,
    /// Initial noise of a run (default 1e-3).
    pub amplitude: Option<f32>,
    /// Seed.
    pub seed: Option<u32>,
}

/// What `/diffuse` answers for a `plasma` body.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct PlasmaResponse {
    /// A run's report (trace of time, dt, energy, enstrophy, flux, max_speed; the linear
    /// phase's energy growth; ms per step) or a scan's maps (alphas, kappas, ky, measured,
    /// measured_omega, theory, continuum, max_error).
    #[schema(value_type = Object)]
    pub report: Value,
    /// A run's final fields (`shape`, `n`, `zeta`, `phi`) unless `return_samples` is false.
    #[schema(value_type = Option<Object>)]
    pub fields: Option<Value>,
}

/// What `/diffuse` answers: a lattice scene's samples, or a molecular run's report.
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
pub enum DiffuseAnswer {
    /// A scene's samples, estimates and verdict.
    Lattice(DiffuseResponse),
    /// A `molecular` body's report.
    Molecular(MolecularResponse),
    /// A `plasma` body's report.
    Plasma(PlasmaResponse),
}
