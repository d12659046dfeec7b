//! The sampling job, as `idf sample` and the HTTP API's `/diffuse` run it: a resolved scene's
//! integrator run end to end, and the samples summarised with estimates and standard errors.
//! Jobs that differ only in seed, chain count and starting field can run as one simulation,
//! chains side by side ([`sample_batch`]), each drawing the random numbers it would draw alone:
//! the answers are the same, the fixed cost of a run is paid once.

use std::time::Instant;

use serde::Serialize;
use serde_json::{json, Value};

use crate::context::Context;
use crate::engine::diffusion::{EnergyDiffusionModel, ReverseMethod};
use crate::engine::energies::{EnergyModel, StateKind};
use crate::engine::estimates::{estimate, Estimate, MIN_RECORDS_PER_TAU};
use crate::engine::field::Field;
use crate::engine::fusion_plan::FusionPlan;
use crate::engine::method::Method;
use crate::engine::simulation::Simulation;
use crate::engine::step_rule::RunConfig;
use crate::engine::trace::{Observable, RunTrace};
use crate::error::{IdfError, Result};
use crate::jobs::scene::ResolvedScene;

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
    /// Estimates over recorded steps after burn-in and over chains, in a fixed order; an
    /// observable whose mean is not finite is left out (and named in `warnings`).
    pub estimates: Vec<(&'static str, Estimate)>,
    /// What makes the numbers doubtful: a run too short for its autocorrelation time, a frozen
    /// sampler, an estimate that is not finite.
    pub warnings: Vec<String>,
    /// The final samples.
    pub field: Field,
    /// The recorded observables.
    pub trace: RunTrace,
    /// How runs of drift steps were dispatched on the GPU (`None`: no run could fuse).
    pub fusion: Option<FusionPlan>,
}

impl SampleReport {
    /// The JSON object `idf sample --json` prints.
    pub fn to_json(&self) -> Value {
        let estimates: serde_json::Map<String, Value> = self
            .estimates
            .iter()
            .map(|(k, e)| {
                let body = json!({"mean": e.mean, "stderr": e.stderr, "ess": e.ess});
                (k.to_string(), body)
            })
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
            "warnings": self.warnings,
            "fusion": self.fusion,
        })
    }
}

/// Runs a sampling job, a resolved scene, on `ctx`, reporting `(done, total)` steps to
/// `progress`: DDPM or DDIM from `job.initial` (noise) with the exact score, or burn-in and
/// sampling with an equilibrium integrator.
pub fn sample(
    ctx: &Context,
    job: &ResolvedScene,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<SampleReport> {
    let started = Instant::now();
    let mut fusion = None;
    let (field, trace, steps, first_record) = match job.method {
        Method::Ddpm | Method::Ddim => {
            let reverse = if job.method == Method::Ddpm {
                ReverseMethod::Ddpm
            } else {
                ReverseMethod::Ddim {
                    steps: job.run.steps as usize,
                }
            };
            let diffusion = EnergyDiffusionModel::new(job.model.clone(), job.scheduler.clone());
            let (field, trace) = diffusion.reverse_denoise(
                ctx,
                &job.initial_field()?,
                reverse,
                job.seed,
                progress,
            )?;
            let steps = trace.records[0].step;
            (field, trace, steps, 0)
        }
        _ => {
            let mut sim = Simulation::new(ctx, &job.model, &job.initial_field()?, job.seed)?;
            sim.seek(job.start.step);
            let trace = sim.run_from(&job.run, job.start.schedule_step, progress)?;
            let steps = total_steps(&job.run) - job.start.schedule_step;
            fusion = sim.fusion_plan().cloned();
            (sim.field()?, trace, steps, 1)
        }
    };
    let wall_ms = started.elapsed().as_secs_f64() * 1e3;
    Ok(SampleReport {
        fusion,
        ..report(ctx, job, field, trace, steps, first_record, wall_ms)
    })
}

/// What jobs must share to run as one simulation: the energy (module and parameters), the
/// lattice of a chain, the whole run configuration and where it starts (a resumed scene's step). `None` for DDPM and DDIM, which run
/// through the diffusion model instead.
#[derive(Clone, Debug, PartialEq)]
pub struct BatchKey {
    module: crate::kernels::EnergyModule,
    params: Vec<u32>,
    lattice: [usize; 3],
    run: RunConfig,
    start: crate::jobs::scene::StartPoint,
}

impl BatchKey {
    /// The key of `job`, or `None` when it cannot share a run.
    pub fn of(job: &ResolvedScene) -> Option<BatchKey> {
        if matches!(job.method, Method::Ddpm | Method::Ddim) {
            return None;
        }
        let [_, channels, height, width] = job.shape.dims();
        Some(BatchKey {
            module: job.model.module(),
            params: job
                .model
                .packed_params()
                .iter()
                .map(|p| p.to_bits())
                .collect(),
            lattice: [channels, height, width],
            run: job.run.clone(),
            start: job.start,
        })
    }
}

/// Runs `jobs`, which share one [`BatchKey`], as one simulation with their chains side by side
/// (the first job's chains first), and reports each as [`sample`] would: chain `c` of a job
/// draws the random numbers of chain `c` of that job alone (`Simulation::set_chain_keys`), so
/// every field, trace and estimate is the one a run of its own gives. The reports' `wall_ms`
/// is the shared run's. Errors: jobs without one shared key, more chains or sites than one
/// field holds, and whatever the run meets (a divergence anywhere stops all).
pub fn sample_batch(
    ctx: &Context,
    jobs: &[ResolvedScene],
    progress: &mut dyn FnMut(u64, u64),
) -> Result<Vec<SampleReport>> {
    let key = jobs.first().and_then(BatchKey::of);
    if key.is_none() || jobs.iter().any(|j| BatchKey::of(j) != key) {
        return Err(IdfError::invalid(
            "jobs",
            "only jobs with the same energy, lattice and run configuration (not DDPM or DDIM) \
             run as one batch",
        ));
    }
    let started = Instant::now();
    let starts = jobs
        .iter()
        .map(ResolvedScene::initial_field)
        .collect::<Result<Vec<_>>>()?;
    let initial = Field::concat_chains(&starts)?;
    let keys: Vec<(u32, u32)> = jobs
        .iter()
        .flat_map(|j| (0..j.shape.chains as u32).map(move |c| (c, j.seed)))
        .collect();
    let first = &jobs[0];
    let mut sim = Simulation::new(ctx, &first.model, &initial, first.seed)?;
    sim.set_chain_keys(&keys)?;
    sim.seek(first.start.step);
    let trace = sim.run_from(&first.run, first.start.schedule_step, progress)?;
    let field = sim.field()?;
    let wall_ms = started.elapsed().as_secs_f64() * 1e3;
    let fusion = sim.fusion_plan();
    let mut offset = 0;
    Ok(jobs
        .iter()
        .map(|job| {
            let chains = offset..offset + job.shape.chains;
            offset = chains.end;
            SampleReport {
                fusion: fusion.cloned(),
                ..report(
                    ctx,
                    job,
                    field.chain_range(chains.clone()),
                    trace.chain_range(chains),
                    total_steps(&job.run) - job.start.schedule_step,
                    1,
                    wall_ms,
                )
            }
        })
        .collect())
}

/// Steps an equilibrium run takes, burn-in included.
fn total_steps(run: &RunConfig) -> u64 {
    run.burn_in.saturating_add(run.steps)
}

/// The report of `job` from its final `field` and `trace`, estimates taken from `first_record`.
fn report(
    ctx: &Context,
    job: &ResolvedScene,
    field: Field,
    trace: RunTrace,
    steps: u64,
    first_record: usize,
    wall_ms: f64,
) -> SampleReport {
    let (estimates, warnings) = estimates(&trace, first_record, job.method, job.model.state());
    SampleReport {
        backend: ctx.backend().to_string(),
        adapter: ctx.adapter_name(),
        model: job.model.clone(),
        method: job.method,
        steps,
        step_size: job.run.step_size,
        temperature: job.temperature(),
        seed: job.seed,
        wall_ms,
        final_stats: final_stats(&field, &trace),
        estimates,
        warnings,
        field,
        trace,
        fusion: None,
    }
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

/// Acceptance below which a sampler counts as frozen: nearly every proposal is rejected, so
/// the chains stay where they started and the estimates describe the start, not the target.
pub const FROZEN_ACCEPTANCE: f64 = 0.01;

/// The estimates of the recorded observables after `first_record`, and the warnings they call
/// for.
fn estimates(
    trace: &RunTrace,
    first_record: usize,
    method: Method,
    state: StateKind,
) -> (Vec<(&'static str, Estimate)>, Vec<String>) {
    let mut warnings = Vec::new();
    let estimates = [
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
        let series = trace
            .series(obs, first_record)
            .filter(|s| s.iter().any(|c| !c.is_empty()))?;
        let e = estimate(&series);
        if !e.mean.is_finite() {
            warnings.push(format!(
                "{name} is not finite (a value overflowed): left out of the estimates"
            ));
            return None;
        }
        if e.too_short() {
            warnings.push(format!(
                "{name}: the run is too short for its autocorrelation time (τ ≈ {:.0} records, {} \
                 records per chain; {MIN_RECORDS_PER_TAU} τ are needed), so its error bar is unreliable",
                e.tau.unwrap_or(f64::NAN),
                e.records_per_chain
            ));
        }
        if obs == Observable::Acceptance && e.mean < FROZEN_ACCEPTANCE {
            // Moves between discrete states have no step size to blame: at a low temperature
            // nearly every flip raises the energy, which is the target's own behaviour. A
            // continuous value's Metropolis move has a width: the step size.
            let discrete = !matches!(state, StateKind::Field | StateKind::Points);
            let why = match method {
                Method::Metropolis | Method::Anneal if discrete => {
                    "at this temperature nearly every move raises the energy, so the chains stay \
                     near their start and the estimates describe it; run longer or anneal from \
                     a higher temperature"
                }
                _ => "reduce the step size",
            };
            warnings.push(format!(
                "acceptance {:.4}: the sampler is frozen (almost every proposal is rejected); {why}",
                e.mean
            ));
        }
        Some((name, e))
    })
    .collect();
    if trace.records.len() <= first_record {
        warnings.push(
            "no observation was recorded after the burn-in (fewer steps than record_every), so \
             nothing is estimated: record more often or run longer"
                .to_string(),
        );
    }
    (estimates, warnings)
}
