//! One sampling job end to end, as `idf sample` (and later the HTTP API) runs it: pick the
//! integrator, run it, and summarise the samples with estimates and standard errors.

use std::time::Instant;

use serde::Serialize;
use serde_json::{json, Value};

use crate::context::Context;
use crate::engine::diffusion::{
    EnergyDiffusionModel, EnergyScheduler, NoiseSchedule, ReverseMethod,
};
use crate::engine::energies::EnergyModel;
use crate::engine::estimates::{batch_means, Estimate};
use crate::engine::field::Field;
use crate::engine::method::Method;
use crate::engine::schedule::{ScheduleKind, TemperatureSchedule};
use crate::engine::simulation::Simulation;
use crate::engine::step_rule::RunConfig;
use crate::engine::trace::{Observable, RunTrace};
use crate::error::{IdfError, Result};
use crate::jobs::config::Config;
use crate::jobs::scene::Scene;

/// What to sample and how. `None` fields take the model's and method's defaults.
#[derive(Clone, Debug)]
pub struct SampleSpec {
    /// The energy.
    pub model: EnergyModel,
    /// `[height, width]` for lattice models.
    pub size: Option<[usize; 2]>,
    /// Independent chains.
    pub chains: usize,
    /// The integrator.
    pub method: Method,
    /// Steps after burn-in (DDPM: the diffusion timesteps; DDIM: its steps).
    pub steps: Option<u64>,
    /// Steps before recording.
    pub burn_in: u64,
    /// Record every this many steps.
    pub record_every: u64,
    /// η, or the Metropolis proposal width.
    pub step_size: Option<f32>,
    /// Target temperature.
    pub temperature: Option<f32>,
    /// Temperature schedule (default: constant; cosine for `anneal`).
    pub schedule: Option<ScheduleKind>,
    /// Starting temperature of non-constant schedules.
    pub t_start: Option<f32>,
    /// Seed.
    pub seed: u32,
    /// Diffusion timesteps T (DDPM, DDIM).
    pub timesteps: usize,
    /// Noise schedule family (DDPM, DDIM).
    pub noise_schedule: NoiseSchedule,
    /// Leapfrog steps per HMC trajectory.
    pub leapfrog_steps: u32,
    /// A starting field (default: the model's own initial field).
    pub initial: Option<Field>,
}

/// Summary of the final samples.
#[derive(Clone, Debug, Serialize)]
pub struct FinalStats {
    /// Energy per site averaged over chains.
    pub energy_per_site: f64,
    /// Mean of every value.
    pub mean: f64,
    /// Variance of every value.
    pub variance: f64,
}

/// The result of [`sample`].
#[derive(Clone, Debug)]
pub struct SampleReport {
    /// `cpu` or `gpu`.
    pub backend: String,
    /// The adapter's name.
    pub adapter: String,
    /// The model.
    pub model: EnergyModel,
    /// The integrator.
    pub method: Method,
    /// Steps taken (burn-in included).
    pub steps: u64,
    /// The step size used.
    pub step_size: f32,
    /// The target temperature.
    pub temperature: f32,
    /// The seed.
    pub seed: u32,
    /// Wall time of the run.
    pub wall_ms: f64,
    /// Final-state summary.
    pub final_stats: FinalStats,
    /// Estimates over recorded steps after burn-in and over chains, in a fixed order.
    pub estimates: Vec<(&'static str, Estimate)>,
    /// The final samples.
    pub field: Field,
    /// The recorded observables.
    pub trace: RunTrace,
}

impl SampleReport {
    /// The JSON object `idf sample --json` prints.
    pub fn to_json(&self) -> Value {
        let estimates: serde_json::Map<String, Value> = self
            .estimates
            .iter()
            .map(|(k, e)| (k.to_string(), json!({"mean": e.mean, "stderr": e.stderr})))
            .collect();
        json!({
            "backend": self.backend,
            "adapter": self.adapter,
            "model": self.model.name(),
            "params": self.model.params_json(),
            "integrator": self.method.name(),
            "shape": self.field.shape().dims(),
            "steps": self.steps,
            "step_size": self.step_size,
            "temperature": self.temperature,
            "seed": self.seed,
            "wall_ms": self.wall_ms,
            "final": self.final_stats,
            "estimates": estimates,
        })
    }
}

fn check_positive(name: &str, v: f32) -> Result<f32> {
    if v.is_finite() && v > 0.0 {
        Ok(v)
    } else {
        Err(IdfError::invalid(
            name,
            format!("{v} is not a finite, positive number"),
        ))
    }
}

impl SampleSpec {
    /// The job a scene describes (keys it leaves out take their defaults; `config` supplies the
    /// default chains, timesteps and noise schedule).
    pub fn from_scene(scene: &Scene, config: &Config) -> Result<Self> {
        let name = scene.model.as_deref().unwrap_or("phi4");
        let mut model = EnergyModel::from_params(name, &scene.param_pairs())?;
        if let Some(g) = &scene.guidance {
            let path = scene.resolve(&g.image);
            let [h, w] = scene.size.unwrap_or([64, 64]);
            let target = crate::capsules::creative::load_target(&path, h, w).map_err(|e| {
                IdfError::Config {
                    path: scene.source.clone().unwrap_or_default(),
                    message: format!("guidance.image: {e}"),
                }
            })?;
            model = model.with_guidance(crate::engine::energies::Guidance {
                lambda: g.lambda,
                target,
                height: h,
                width: w,
            })?;
        }
        let size = if model.state().is_lattice() {
            scene.size
        } else {
            None
        };
        Ok(SampleSpec {
            model,
            size,
            chains: scene.chains.unwrap_or(config.diffusion.batch_size),
            method: scene.integrator.as_deref().unwrap_or("langevin").parse()?,
            steps: scene.steps,
            burn_in: scene.burn_in.unwrap_or(0),
            record_every: scene.record_every.unwrap_or(1),
            step_size: scene.step_size,
            temperature: scene.temperature,
            schedule: scene.schedule.as_deref().map(str::parse).transpose()?,
            t_start: scene.t_start,
            seed: scene.seed.unwrap_or(0),
            timesteps: config.diffusion.timesteps,
            noise_schedule: config.noise_schedule(),
            leapfrog_steps: 10,
            initial: None,
        })
    }

    /// The target temperature (the model's default where none is given).
    pub fn temperature(&self) -> Result<f32> {
        let t = self
            .temperature
            .unwrap_or_else(|| self.model.default_temperature());
        if !t.is_finite() || t < 0.0 {
            return Err(IdfError::invalid(
                "temperature",
                format!("{t} is not a finite, non-negative temperature"),
            ));
        }
        Ok(t)
    }

    /// The step size (the model's default for the method where none is given).
    pub fn step_size(&self) -> Result<f32> {
        match self.step_size {
            Some(eta) => check_positive("step-size", eta),
            None => Ok(self
                .model
                .default_step_size(self.method, self.temperature()?)),
        }
    }

    /// The equilibrium run this job describes with `steps` steps after burn-in: constant
    /// temperature unless a schedule is named (annealing defaults to cosine from 10·T).
    pub fn run_config(&self, steps: u64) -> Result<RunConfig> {
        let temperature = self.temperature()?;
        let kind = self.schedule.unwrap_or(if self.method == Method::Anneal {
            ScheduleKind::Cosine
        } else {
            ScheduleKind::Constant
        });
        let t_start = self.t_start.unwrap_or(if temperature > 0.0 {
            10.0 * temperature
        } else {
            10.0 * self.model.default_temperature().max(0.1)
        });
        let schedule = if kind == ScheduleKind::Constant {
            TemperatureSchedule::constant(temperature)
        } else {
            TemperatureSchedule::new(kind, t_start, temperature)?
        };
        Ok(RunConfig {
            method: self.method,
            step_size: self.step_size()?,
            schedule,
            burn_in: self.burn_in,
            steps,
            record_every: self.record_every,
            leapfrog_steps: self.leapfrog_steps,
        })
    }
}

/// Runs a sampling job on `ctx`, reporting `(done, total)` steps to `progress`.
pub fn sample(
    ctx: &Context,
    spec: &SampleSpec,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<SampleReport> {
    let model = &spec.model;
    let shape = model.shape(spec.chains, spec.size)?;
    model.check_method(spec.method, shape)?;
    let temperature = spec.temperature()?;
    let step_size = spec.step_size()?;
    let initial = match &spec.initial {
        Some(field) => field.clone(),
        None => model.initial_field(shape, spec.seed),
    };
    let started = Instant::now();
    let (field, trace, steps, first_record) = match spec.method {
        Method::Ddpm | Method::Ddim => {
            let timesteps = match (spec.method, spec.steps) {
                (Method::Ddpm, Some(s)) => s as usize,
                _ => spec.timesteps,
            };
            let scheduler = EnergyScheduler::new(spec.noise_schedule, timesteps)?;
            let reverse = if spec.method == Method::Ddpm {
                ReverseMethod::Ddpm
            } else {
                ReverseMethod::Ddim {
                    steps: spec.steps.unwrap_or(100) as usize,
                }
            };
            let diffusion = EnergyDiffusionModel::new(model.clone(), scheduler);
            let (field, trace) =
                diffusion.reverse_denoise(ctx, &initial, reverse, spec.seed, progress)?;
            let steps = trace.records[0].step;
            (field, trace, steps, 0)
        }
        _ => {
            let steps = spec.steps.unwrap_or(1000);
            let cfg = spec.run_config(steps)?;
            let mut sim = Simulation::new(ctx, model, &initial, spec.seed)?;
            let trace = sim.run(&cfg, progress)?;
            (sim.field()?, trace, spec.burn_in + steps, 1)
        }
    };
    let wall_ms = started.elapsed().as_secs_f64() * 1e3;
    Ok(SampleReport {
        backend: ctx.backend().to_string(),
        adapter: ctx.adapter_name(),
        model: model.clone(),
        method: spec.method,
        steps,
        step_size,
        temperature,
        seed: spec.seed,
        wall_ms,
        final_stats: final_stats(&field, &trace),
        estimates: estimates(&trace, first_record, spec.method),
        field,
        trace,
    })
}

fn final_stats(field: &Field, trace: &RunTrace) -> FinalStats {
    let last = trace.records.len() - 1;
    let energies = trace.energies(last);
    let n = field.shape().sites_per_chain() as f64;
    let data = field.data();
    let mean = data.iter().map(|v| *v as f64).sum::<f64>() / data.len() as f64;
    let variance = data.iter().map(|v| (*v as f64 - mean).powi(2)).sum::<f64>() / data.len() as f64;
    FinalStats {
        energy_per_site: energies.iter().sum::<f64>() / (energies.len() as f64 * n),
        mean,
        variance,
    }
}

fn estimates(
    trace: &RunTrace,
    first_record: usize,
    method: Method,
) -> Vec<(&'static str, Estimate)> {
    [
        ("energy_per_site", Observable::EnergyPerSite),
        ("mean", Observable::Mean),
        ("mean_square", Observable::MeanSquare),
        ("abs_magnetization", Observable::AbsMagnetization),
        ("acceptance", Observable::Acceptance),
        ("delta_h", Observable::DeltaH),
    ]
    .into_iter()
    .filter(|(_, obs)| *obs != Observable::DeltaH || method == Method::Hmc)
    .filter_map(|(name, obs)| {
        trace
            .series(obs, first_record)
            .filter(|s| s.iter().any(|c| !c.is_empty()))
            .map(|s| (name, batch_means(&s)))
    })
    .collect()
}
