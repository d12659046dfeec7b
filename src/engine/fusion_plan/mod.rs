//! The fusion planner: whether runs of identical drift steps on a GPU go as one `langevin_step`
//! dispatch per step or as `langevin_fused` dispatches of k steps each (temporal blocking in
//! workgroup memory), and which k.
//!
//! Neither path wins everywhere. On an NVIDIA H200 (Vulkan) fusion saved launches at 256² × 1
//! chain but doubled the time at 256² × 32 chains and at 4096² (`../shared/gpu/README.md`, with
//! the 16×16 tiles of the time); on lavapipe, whose barriers run as loops, it is 2–3× slower at
//! every size with today's 32×32 tiles (`benches/RESULTS.md`).
//! So the planner times 1, 2, 4 and 8 steps per dispatch on the run's own adapter, energy and
//! field shape the first time a process meets them (stopping at the first fused choice 2×
//! slower than the plain path), keeps the fastest (ties go to the plain path) and reuses the
//! plan for later runs of the same key.
//!
//! Plans outlive the process in a plan file when one is set ([`store`]: the `idf` binary keeps
//! them in `~/.cache/idf/fusion_plans.json`, or under `IDF_CACHE_DIR`), so that each command does
//! not time again what an earlier one timed on the same adapter, energy and shape.
//!
//! Overrides: [`crate::Simulation::set_fusion`] for one simulation, and the environment variable
//! `IDF_FUSED_STEPS` (an integer from 1 to [`MAX_FUSED_STEPS`]; 1 turns fusion off) for every
//! simulation of the process.

pub mod store;

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};
use std::time::Instant;

use serde::Serialize;

use crate::context::Context;
use crate::engine::energies::{EnergyModel, Sweep};
use crate::engine::field::Shape;
use crate::engine::step_rule::StepRule;
use crate::error::{IdfError, Result};
use crate::executor::Executor;
use crate::gpu::shader::compose;
use crate::kernels::{initial_status, Dispatch, Kernel, Slot, StepParams, MAX_FUSED_STEPS};
pub use store::{default_plan_file, keep_plans_in, plan_file, CACHE_DIR_ENV};
use store::{StoredKey, StoredPlan};

/// The environment variable that fixes the steps per dispatch for a whole process.
pub const FUSED_STEPS_ENV: &str = "IDF_FUSED_STEPS";

/// The steps per dispatch the planner times, in this order: 1 is the plain path.
const CANDIDATES: [u32; 4] = [1, 2, 4, MAX_FUSED_STEPS];

/// A timing shorter than this (ms) is dominated by the submission and the read-back that end
/// it, so the planner lengthens it.
const MIN_TIMING_MS: f64 = 5.0;

/// Most steps one timing runs: a segment's worth of dispatches.
const MAX_TIMING_STEPS: u32 = 1024;

/// Rounds of timings at most (the medians decide); one when it is decisive.
const ROUNDS: usize = 3;
/// The first round is decisive when the runner-up is this many times slower than the fastest.
const DECISIVE: f64 = 1.5;

/// A fused candidate this many times slower than the plain path ends the first round.
const HOPELESS: f64 = 2.0;

/// Where a plan came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PlanSource {
    /// Timed just now, for this simulation.
    Measured,
    /// Timed earlier in this process on the same adapter, energy and shape.
    Cached,
    /// Timed by an earlier process on the same adapter, kernels, energy and shape: read from
    /// the plan file ([`store`]).
    Stored,
    /// Set by [`crate::Simulation::set_fusion`] or by `IDF_FUSED_STEPS`.
    Override,
    /// The plain path, untimed: the device had no room for the scratch buffers a timing needs.
    NoRoomToMeasure,
}

/// How a simulation advances runs of identical drift steps on its GPU.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FusionPlan {
    /// Steps per dispatch: 1 is the plain `langevin_step`, more is `langevin_fused`.
    pub fused_steps: u32,
    /// Whether it was timed, reused or set.
    pub source: PlanSource,
    /// Each timed candidate's median time per step, ms, as `(steps per dispatch, ms)`, in
    /// order of steps per dispatch; empty under an override.
    pub ms_per_step: Vec<(u32, f64)>,
    /// What went wrong with the plan file, if anything (unreadable and replaced, or not
    /// written); the plan itself stands.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl FusionPlan {
    /// A plan set by hand: `fused_steps` clamped to 1..=[`MAX_FUSED_STEPS`].
    pub fn fixed(fused_steps: u32) -> Self {
        FusionPlan {
            fused_steps: fused_steps.clamp(1, MAX_FUSED_STEPS),
            source: PlanSource::Override,
            ms_per_step: Vec::new(),
            note: None,
        }
    }
}

/// The plan for runs of `model` on a field of `shape` on the GPU of `ctx`: the process-wide
/// override if one is set, else the plan already timed for this adapter, energy and shape (in
/// this process, or in the plan file when one is set), else a new timing (on scratch buffers of
/// the same size: a fraction of a second on a software adapter at 256²), added to the plan
/// file. `None` on the CPU, and for an energy whose gradient is not a 5-point stencil (nothing
/// fuses).
///
/// Without room on the device for the scratch buffers, the plan is the plain path
/// ([`PlanSource::NoRoomToMeasure`]).
///
/// Errors: `IDF_FUSED_STEPS` is not an integer from 1 to 8; a timing fails on the device.
pub fn plan(ctx: &Context, model: &EnergyModel, shape: Shape) -> Result<Option<FusionPlan>> {
    if ctx.adapter_info().is_none() || !model.module().stencil_gradient {
        return Ok(None);
    }
    plan_on_gpu(ctx, model, shape).map(Some)
}

/// [`plan`] for a GPU context and a stencil energy.
pub(crate) fn plan_on_gpu(ctx: &Context, model: &EnergyModel, shape: Shape) -> Result<FusionPlan> {
    if let Some(steps) = fused_steps_override()? {
        return Ok(FusionPlan::fixed(steps));
    }
    let key = PlanKey {
        adapter: ctx
            .adapter_info()
            .map(|a| format!("{:?}", a))
            .unwrap_or_default(),
        energy: model.module().key(),
        shape: [shape.chains, shape.channels, shape.height, shape.width],
    };
    let cache = plans();
    let cached = || {
        lock(cache).get(&key).map(|plan| FusionPlan {
            source: PlanSource::Cached,
            ..plan.clone()
        })
    };
    if let Some(plan) = cached() {
        return Ok(plan);
    }
    // One timing at a time in a process (a server's request threads): two at once on one
    // device would skew each other's numbers. A thread that waited finds the plan kept.
    static MEASURING: Mutex<()> = Mutex::new(());
    let _measuring = MEASURING.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(plan) = cached() {
        return Ok(plan);
    }
    let file = store::plan_file();
    let stored_key = file.as_ref().map(|_| stored_key(&key, model)).transpose()?;
    let mut note = None;
    if let (Some(file), Some(skey)) = (&file, &stored_key) {
        match store::load(file) {
            Ok(plans) => {
                if let Some(p) = plans.into_iter().find(|p| p.key == *skey) {
                    let plan = FusionPlan {
                        fused_steps: p.fused_steps.clamp(1, MAX_FUSED_STEPS),
                        source: PlanSource::Stored,
                        ms_per_step: p.ms_per_step,
                        note: None,
                    };
                    lock(cache).insert(key, plan.clone());
                    return Ok(plan);
                }
            }
            Err(why) => note = Some(why),
        }
    }
    let plan = match measure(ctx, model, shape) {
        Ok(plan) => plan,
        // The run itself fits; only the planner's copy does not. Not kept: memory may free up.
        Err(IdfError::OutOfMemory { .. }) => {
            return Ok(FusionPlan {
                source: PlanSource::NoRoomToMeasure,
                note,
                ..FusionPlan::fixed(1)
            })
        }
        Err(e) => return Err(e),
    };
    lock(cache).insert(key, plan.clone());
    if let (Some(file), Some(key)) = (&file, stored_key) {
        let stored = StoredPlan {
            key,
            fused_steps: plan.fused_steps,
            ms_per_step: plan.ms_per_step.clone(),
        };
        if let Err(why) = store::add(file, stored) {
            note = Some(note.map_or(why.clone(), |n| format!("{n}; {why}")));
        }
    }
    Ok(FusionPlan { note, ..plan })
}

/// What a plan of `key` is stored under: the adapter, the energy's name, a CRC-32 of both
/// candidate kernels composed with the energy, the shape and IDF's version.
fn stored_key(key: &PlanKey, model: &EnergyModel) -> Result<StoredKey> {
    let module = model.module();
    let mut crc = crc32fast::Hasher::new();
    for kernel in [Kernel::LangevinStep, Kernel::LangevinFused] {
        crc.update(compose(kernel, &module)?.source.as_bytes());
    }
    Ok(StoredKey {
        adapter: key.adapter.clone(),
        energy: module.name.to_string(),
        kernels: format!("{:08x}", crc.finalize()),
        shape: key.shape,
        idf: env!("CARGO_PKG_VERSION").to_string(),
    })
}

/// The steps per dispatch `IDF_FUSED_STEPS` fixes, if it is set. Errors: not an integer from
/// 1 to 8 ([`crate::Simulation::new`] checks it on a GPU, before any step is submitted).
pub(crate) fn fused_steps_override() -> Result<Option<u32>> {
    let Ok(text) = std::env::var(FUSED_STEPS_ENV) else {
        return Ok(None);
    };
    match text.trim().parse::<u32>() {
        Ok(k) if (1..=MAX_FUSED_STEPS).contains(&k) => Ok(Some(k)),
        _ => Err(IdfError::invalid(
            FUSED_STEPS_ENV,
            format!("must be an integer from 1 to {MAX_FUSED_STEPS} (1: no fusion), got {text:?}"),
        )),
    }
}

/// What a plan is kept under.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct PlanKey {
    adapter: String,
    energy: u64,
    shape: [usize; 4],
}

fn plans() -> &'static Mutex<HashMap<PlanKey, FusionPlan>> {
    static PLANS: OnceLock<Mutex<HashMap<PlanKey, FusionPlan>>> = OnceLock::new();
    PLANS.get_or_init(Default::default)
}

fn lock(
    m: &'static Mutex<HashMap<PlanKey, FusionPlan>>,
) -> std::sync::MutexGuard<'static, HashMap<PlanKey, FusionPlan>> {
    // A panic elsewhere while holding the lock leaves a map that is still whole.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Times every candidate on scratch buffers of the run's shape, holding the model's initial
/// field, with Langevin at half the stable step size and the model's default temperature.
fn measure(ctx: &Context, model: &EnergyModel, shape: Shape) -> Result<FusionPlan> {
    let mut exec = Executor::new(ctx, model.binding(), shape.chains, shape.len())?;
    exec.write_field(Slot::A, model.initial_field(shape, 0)?.data());
    exec.write_status(&initial_status(shape.chains));
    let rule = StepRule::langevin(0.5 * model.stable_step_size(), model.default_temperature());
    let mut timer = StepTimer {
        exec,
        rule,
        base: StepParams {
            chains: shape.chains as u32,
            channels: shape.channels as u32,
            height: shape.height as u32,
            width: shape.width as u32,
            temperature: rule.temperature(),
            step_size: rule.step_size(),
            c_x: 1.0,
            ..Default::default()
        },
        current: Slot::A,
        step: 0,
        sweep: model.sweep(),
    };
    // Compiles both pipelines (every k runs the same fused one) and touches the buffers.
    timer.ms_per_step(1, 1)?;
    timer.ms_per_step(2, 2)?;
    let mut steps = MAX_FUSED_STEPS;
    while steps < MAX_TIMING_STEPS && timer.ms_per_step(1, steps)? * (steps as f64) < MIN_TIMING_MS
    {
        steps *= 2;
    }
    // Round one times the candidates in order of k and stops at the first fused one
    // [`HOPELESS`]× slower than the plain path (the halo's work grows with k): that bounds the
    // planner's cost where fusion loses (a software adapter, a large lattice). Unless round one
    // is decisive, later rounds time the same candidates again.
    let mut timings: Vec<Vec<f64>> = Vec::new();
    for &k in &CANDIDATES {
        let t = timer.ms_per_step(k, steps)?;
        timings.push(vec![t]);
        if k > 1 && t > HOPELESS * timings[0][0] {
            break;
        }
    }
    if !is_decisive(&timings) {
        for _ in 1..ROUNDS {
            for (t, &k) in timings.iter_mut().zip(&CANDIDATES) {
                t.push(timer.ms_per_step(k, steps)?);
            }
        }
    }
    let ms_per_step: Vec<(u32, f64)> = CANDIDATES
        .iter()
        .zip(&timings)
        .map(|(&k, t)| (k, median(t)))
        .collect();
    Ok(FusionPlan {
        fused_steps: fastest(&ms_per_step),
        source: PlanSource::Measured,
        ms_per_step,
        note: None,
    })
}

/// Whether one round already separates the fastest candidate from the rest by [`DECISIVE`].
fn is_decisive(timings: &[Vec<f64>]) -> bool {
    let mut firsts: Vec<f64> = timings.iter().map(|t| t[0]).collect();
    firsts.sort_by(f64::total_cmp);
    firsts.len() < 2 || firsts[1] >= DECISIVE * firsts[0]
}

/// The candidate with the lowest time per step; on a tie, the fewest fused steps.
fn fastest(ms_per_step: &[(u32, f64)]) -> u32 {
    ms_per_step
        .iter()
        .min_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)))
        .map_or(1, |&(k, _)| k)
}

fn median(values: &[f64]) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Runs drift steps on the scratch buffers and times them, submission to read-back.
struct StepTimer {
    exec: Executor,
    rule: StepRule,
    base: StepParams,
    current: Slot,
    step: u32,
    sweep: Sweep,
}

impl StepTimer {
    /// Milliseconds per step of `steps` steps taken `fused` per dispatch.
    fn ms_per_step(&mut self, fused: u32, steps: u32) -> Result<f64> {
        let mut dispatches: Vec<Dispatch> = Vec::new();
        let mut done = 0;
        while done < steps {
            let params = StepParams {
                step: self.step + done,
                ..self.base
            };
            let k = fused.min(steps - done);
            self.current = if k > 1 {
                self.rule
                    .record_fused(params, self.current, k, &mut dispatches)
            } else {
                self.rule
                    .record(params, self.current, self.sweep, &mut dispatches)
            };
            done += k;
        }
        let start = Instant::now();
        self.exec.execute(&dispatches)?;
        self.exec.read_status()?;
        let ms = start.elapsed().as_secs_f64() * 1e3;
        self.step = self.step.wrapping_add(steps);
        Ok(ms / steps as f64)
    }
}
