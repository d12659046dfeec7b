//! Denoising score matching with ε-prediction (Ho et al. 2020): draw a data point x₀, a
//! timestep t and ε ~ N(0, I); the network sees x_t = √ᾱ_t x₀ + √(1 − ᾱ_t) ε and is trained on
//! |ε̂ − ε|² with Adam (Kingma & Ba 2015) at a learning rate that falls linearly to zero over
//! the run, each parameter tensor's gradient clipped to a norm, and an exponential moving
//! average of the weights kept for sampling. t is uniform on 1..=T, as Ho et al. draw it,
//! unless `timestep_power` p ≠ 1 draws t/T = u^p (u uniform): p = 0.5, a density ∝ t, trains
//! the high-noise steps more, whose error the first reverse steps multiply by up to about 32
//! (see `network`), and the likelihood's low-noise steps less (weightings of the noise levels
//! in the manner of Karras et al. 2022 and Kingma & Gao 2023; the optimum at each t is the
//! same, only the network's capacity is shared differently). With `condition_dropout` a
//! fraction of the batch sees no condition, which classifier-free guidance needs.
//!
//! Every draw comes from IDF's counter-based RNG keyed by (slot, step, seed), and the initial
//! weights from burn's generator seeded under a lock, so a run is a pure function of its options
//! and data, and [`DenoiserTraining`] can stop after any step and continue from its
//! [`DenoiserState`] to the same weights, bit for bit.

use std::collections::HashMap;
use std::sync::Mutex;

use burn::grad_clipping::GradientClippingConfig;
use burn::module::{ModuleMapper, ModuleVisitor, Param, ParamId};
use burn::optim::{AdamConfig, GradientsParams};
use burn::prelude::*;
use burn::store::ModuleRecord;
use burn::tensor::Bytes;

use crate::cpu::shared::rng::{gaussian, rng_draw, unit_closed_open};
use crate::engine::diffusion::EnergyScheduler;
use crate::error::{IdfError, Result};
use crate::neural::network::{DataStatistics, DenoiserShape, Network, Preconditioner};
use crate::neural::sampling::Denoiser;
use crate::neural::STREAM_TRAINING;

/// Points to learn from: `samples` is `N × dim` (row-major), `conditions` `N × condition_count`.
#[derive(Clone, Debug, PartialEq)]
pub struct PointDataset {
    /// The points.
    pub samples: Vec<f32>,
    /// Coordinates per point.
    pub dim: usize,
    /// Each point's conditions.
    pub conditions: Vec<f32>,
    /// Conditions per point (0 for none).
    pub condition_count: usize,
}

impl PointDataset {
    /// Points without conditions.
    pub fn unconditional(samples: Vec<f32>, dim: usize) -> Self {
        PointDataset {
            samples,
            dim,
            conditions: Vec::new(),
            condition_count: 0,
        }
    }

    /// The number of points.
    pub fn len(&self) -> usize {
        self.samples.len() / self.dim.max(1)
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn check(&self) -> Result<()> {
        if self.dim == 0 || self.samples.is_empty() || !self.samples.len().is_multiple_of(self.dim)
        {
            return Err(IdfError::invalid(
                "samples",
                format!(
                    "{} values are no whole number of {}-coordinate rows",
                    self.samples.len(),
                    self.dim
                ),
            ));
        }
        if self.conditions.len() != self.len() * self.condition_count {
            return Err(IdfError::invalid(
                "conditions",
                format!(
                    "{} values for {} points of {} conditions",
                    self.conditions.len(),
                    self.len(),
                    self.condition_count
                ),
            ));
        }
        if let Some(v) = self
            .samples
            .iter()
            .chain(&self.conditions)
            .find(|v| !v.is_finite())
        {
            return Err(IdfError::invalid("samples", format!("{v} is not finite")));
        }
        Ok(())
    }
}

/// How to train.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TrainingOptions {
    /// Optimiser steps of the whole run (the learning rate reaches zero there).
    pub steps: usize,
    /// Points per step.
    pub batch_size: usize,
    /// Adam's learning rate at the first step (it falls linearly to zero at the last).
    pub learning_rate: f64,
    /// Each parameter tensor's gradient is clipped to this norm.
    pub clip_norm: f32,
    /// Decay of the weights' exponential moving average.
    pub ema_decay: f32,
    /// The fraction of points trained without their condition (classifier-free guidance).
    pub condition_dropout: f32,
    /// p in t/T = u^p, u uniform: 1 draws t uniformly, below 1 the high-noise steps more often.
    pub timestep_power: f32,
    /// Seed of every draw.
    pub seed: u32,
}

impl Default for TrainingOptions {
    fn default() -> Self {
        TrainingOptions {
            steps: 4000,
            batch_size: 256,
            learning_rate: 2e-3,
            clip_norm: 1.0,
            ema_decay: 0.995,
            condition_dropout: 0.0,
            timestep_power: 1.0,
            seed: 0,
        }
    }
}

impl TrainingOptions {
    /// The least and greatest `timestep_power`.
    pub const TIMESTEP_POWERS: (f32, f32) = (0.1, 10.0);

    /// Checks the options, naming a bad one.
    pub fn check(&self) -> Result<()> {
        if self.steps == 0 {
            return Err(IdfError::invalid("steps", "expected at least 1 update"));
        }
        if self.batch_size == 0 || self.batch_size > 1 << 20 {
            return Err(IdfError::invalid(
                "batchSize",
                format!("expected 1 to {}, got {}", 1 << 20, self.batch_size),
            ));
        }
        if !(self.learning_rate.is_finite() && self.learning_rate > 0.0) {
            return Err(IdfError::invalid(
                "learningRate",
                format!("{} is not a positive learning rate", self.learning_rate),
            ));
        }
        if !(0.0..1.0).contains(&self.ema_decay) {
            return Err(IdfError::invalid(
                "ema_decay",
                format!("expected 0 ≤ decay < 1, got {}", self.ema_decay),
            ));
        }
        if !(0.0..1.0).contains(&self.condition_dropout) {
            return Err(IdfError::invalid(
                "condition_dropout",
                format!("expected 0 ≤ p < 1, got {}", self.condition_dropout),
            ));
        }
        if !(self.timestep_power.is_finite()
            && (Self::TIMESTEP_POWERS.0..=Self::TIMESTEP_POWERS.1).contains(&self.timestep_power))
        {
            return Err(IdfError::invalid(
                "timestep_power",
                format!(
                    "expected {} to {}, got {}",
                    Self::TIMESTEP_POWERS.0,
                    Self::TIMESTEP_POWERS.1,
                    self.timestep_power
                ),
            ));
        }
        if !(self.clip_norm.is_finite() && self.clip_norm > 0.0) {
            return Err(IdfError::invalid(
                "clip_norm",
                format!("expected a positive norm, got {}", self.clip_norm),
            ));
        }
        Ok(())
    }
}

/// Everything a run needs to continue: sizes, statistics, options, schedule, the weights, their
/// average and Adam's moments (burnpack bytes, burn's own record format), the next step and the
/// losses so far.
#[derive(Clone, Debug, PartialEq)]
pub struct DenoiserState {
    /// The network's sizes.
    pub shape: DenoiserShape,
    /// The data's per-coordinate mean and variance.
    pub statistics: DataStatistics,
    /// The options of the run.
    pub options: TrainingOptions,
    /// The noise schedule it trains on.
    pub schedule: EnergyScheduler,
    /// The weights (burnpack).
    pub model: Vec<u8>,
    /// The moving average of the weights (burnpack).
    pub ema: Vec<u8>,
    /// Adam's state (burnpack).
    pub optimizer: Vec<u8>,
    /// The number of steps taken.
    pub next_step: usize,
    /// The batch loss of every step taken.
    pub losses: Vec<f32>,
}

/// A training run in progress.
pub struct DenoiserTraining {
    shape: DenoiserShape,
    statistics: DataStatistics,
    /// The statistics as tensors on the training device, made once.
    preconditioner: Preconditioner,
    options: TrainingOptions,
    schedule: EnergyScheduler,
    device: Device,
    model: Network,
    optim: burn::optim::ModuleOptimizer,
    ema: Network,
    next_step: usize,
    losses: Vec<f32>,
}

/// burn's generator is process-wide: a network's first weights are drawn under this lock.
static INITIAL_WEIGHTS: Mutex<()> = Mutex::new(());

fn optimizer(options: &TrainingOptions) -> burn::optim::ModuleOptimizer {
    AdamConfig::new()
        .with_epsilon(1e-8)
        .with_grad_clipping(Some(GradientClippingConfig::Norm(options.clip_norm)))
        .init()
}

fn record_error(what: &str) -> impl Fn(burn::store::RecordError) -> IdfError + '_ {
    move |e| IdfError::invalid(what, format!("burn record: {e}"))
}

impl DenoiserTraining {
    /// A fresh run of a network of `shape` (its `dim` and `conditions` taken from `data`, its
    /// `map` kept when it holds D coordinates, else [D, 1, 1]) on `data` under `schedule`.
    /// Errors: empty or non-finite data, bad sizes or options (named).
    pub fn start(
        data: &PointDataset,
        shape: DenoiserShape,
        schedule: &EnergyScheduler,
        options: &TrainingOptions,
    ) -> Result<Self> {
        data.check()?;
        options.check()?;
        let map = if shape.map.iter().product::<usize>() == data.dim {
            shape.map
        } else {
            [data.dim, 1, 1]
        };
        let shape = DenoiserShape {
            dim: data.dim,
            conditions: data.condition_count,
            map,
            ..shape
        };
        shape.check()?;
        let device = super::device().autodiff();
        let statistics = DataStatistics::of(&data.samples, data.dim);
        let model = {
            let _lock = INITIAL_WEIGHTS.lock().unwrap_or_else(|e| e.into_inner());
            device.seed(options.seed as u64);
            // Parameters are drawn lazily: draw them now, under the lock, and number them in
            // module order (burn's ids are random), so that equal runs write equal weight
            // records.
            Network::new(&shape, &device).map(&mut Number(0))
        };
        Ok(DenoiserTraining {
            ema: model.valid(),
            shape,
            preconditioner: Preconditioner::new(&statistics, &device),
            statistics,
            options: *options,
            schedule: schedule.clone(),
            device,
            model,
            optim: optimizer(options),
            next_step: 0,
            losses: Vec::new(),
        })
    }

    /// Continues a run from its state; `steps` sets a new end (the learning rate's decay
    /// follows it). Errors: records that do not fit the shape.
    pub fn resume(state: DenoiserState, steps: usize) -> Result<Self> {
        let options = TrainingOptions {
            steps,
            ..state.options
        };
        options.check()?;
        state.shape.check()?;
        if steps < state.next_step {
            return Err(IdfError::invalid(
                "steps",
                format!(
                    "the checkpoint has already taken {} steps; ask for at least that many",
                    state.next_step
                ),
            ));
        }
        let device = super::device().autodiff();
        let load = |bytes: &[u8], what: &str, device: &Device| -> Result<Network> {
            let record = ModuleRecord::from_bytes(Bytes::from_bytes_vec(bytes.to_vec()))
                .map_err(record_error(what))?;
            Network::new(&state.shape, device)
                .try_load_record(record)
                .map_err(record_error(what))
        };
        let model = load(&state.model, "model", &device)?;
        let ema = load(&state.ema, "ema", &device.clone().without_autodiff())?;
        let optim = optimizer(&options)
            .from_bytes(Bytes::from_bytes_vec(state.optimizer.clone()))
            .map_err(record_error("optimizer"))?;
        Ok(DenoiserTraining {
            shape: state.shape,
            preconditioner: Preconditioner::new(&state.statistics, &device),
            statistics: state.statistics,
            options,
            schedule: state.schedule,
            device,
            model,
            optim,
            ema,
            next_step: state.next_step,
            losses: state.losses,
        })
    }

    /// The state to save: continuing from it gives the same weights as not stopping.
    pub fn state(&self) -> Result<DenoiserState> {
        let bytes = |model: &Network, what: &str| -> Result<Vec<u8>> {
            Ok(model
                .clone()
                .into_record()
                .into_bytes()
                .map_err(record_error(what))?
                .to_vec())
        };
        Ok(DenoiserState {
            shape: self.shape,
            statistics: self.statistics.clone(),
            options: self.options,
            schedule: self.schedule.clone(),
            model: bytes(&self.model, "model")?,
            ema: bytes(&self.ema, "ema")?,
            optimizer: self
                .optim
                .into_bytes()
                .map_err(record_error("optimizer"))?
                .to_vec(),
            next_step: self.next_step,
            losses: self.losses.clone(),
        })
    }

    /// The steps taken.
    pub fn next_step(&self) -> usize {
        self.next_step
    }

    /// The run's options (`steps` is its end).
    pub fn options(&self) -> &TrainingOptions {
        &self.options
    }

    /// The batch loss of every step taken.
    pub fn losses(&self) -> &[f32] {
        &self.losses
    }

    /// One optimiser step on a batch of `data` (the data the run started on); returns its loss.
    /// Errors: data of another width, a run already at its end.
    pub fn step(&mut self, data: &PointDataset) -> Result<f32> {
        if data.dim != self.shape.dim || data.condition_count != self.shape.conditions {
            return Err(IdfError::invalid(
                "data",
                format!(
                    "{} coordinates and {} conditions per point; the network has {} and {}",
                    data.dim, data.condition_count, self.shape.dim, self.shape.conditions
                ),
            ));
        }
        if self.next_step >= self.options.steps {
            return Err(IdfError::invalid(
                "steps",
                format!("the run has reached its end, {} steps", self.options.steps),
            ));
        }
        let step = self.next_step;
        let batch = draw_batch(data, &self.schedule, &self.options, step as u32);
        let b = self.options.batch_size;
        let device = &self.device;
        let tensor = |values: Vec<f32>, width: usize| {
            Tensor::<2>::from_data(TensorData::new(values, [b, width]), device)
        };
        let predicted = self.preconditioner.epsilon(
            &self.model,
            tensor(batch.x_t, self.shape.dim),
            tensor(batch.s, 1),
            tensor(batch.alpha_bar, 1),
            tensor(batch.conditions, self.shape.conditions),
            tensor(batch.given, 1),
        );
        let loss = (predicted - tensor(batch.epsilon, self.shape.dim))
            .square()
            .mean();
        let value = loss.clone().into_scalar::<f32>();
        if !value.is_finite() {
            return Err(IdfError::invalid(
                "learningRate",
                format!(
                    "the loss is {value} at step {step}; lower the learning rate (it was {})",
                    self.options.learning_rate
                ),
            ));
        }
        let grads = GradientsParams::from_grads(loss.backward(), &self.model);
        let remaining = 1.0 - step as f64 / self.options.steps as f64;
        self.model = self.optim.step(
            self.options.learning_rate * remaining,
            self.model.clone(),
            grads,
        );
        let mut current = Weights(HashMap::new());
        self.model.visit(&mut current);
        self.ema = self.ema.clone().map(&mut Blend {
            current: current.0,
            decay: self.options.ema_decay,
        });
        self.losses.push(value);
        self.next_step += 1;
        Ok(value)
    }

    /// The denoiser to sample with: the moving average of the weights.
    pub fn denoiser(&self) -> Denoiser {
        Denoiser::new(
            self.ema.clone(),
            self.shape,
            self.statistics.clone(),
            self.schedule.clone(),
        )
    }
}

impl DenoiserState {
    /// The denoiser it holds: the moving average of the weights, on a plain (non-autodiff)
    /// device. Errors: a record that does not fit the shape.
    pub fn denoiser(&self) -> Result<Denoiser> {
        let record = ModuleRecord::from_bytes(Bytes::from_bytes_vec(self.ema.clone()))
            .map_err(record_error("ema"))?;
        let net = Network::new(&self.shape, &super::device())
            .try_load_record(record)
            .map_err(record_error("ema"))?;
        Ok(Denoiser::new(
            net,
            self.shape,
            self.statistics.clone(),
            self.schedule.clone(),
        ))
    }
}

/// A trained denoiser and the batch loss of every step.
#[derive(Debug)]
pub struct TrainedDenoiser {
    /// The moving average of the weights, ready to sample.
    pub denoiser: Denoiser,
    /// The batch loss of every step.
    pub losses: Vec<f32>,
}

/// Trains a network of `shape` (its `dim` and `conditions` taken from `data`) on `data` under
/// `schedule` from start to end; `progress(done, total)` after each step. Errors: empty or
/// non-finite data, bad sizes or options (named), a loss that is not finite.
pub fn train_denoiser(
    data: &PointDataset,
    shape: DenoiserShape,
    schedule: &EnergyScheduler,
    options: &TrainingOptions,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<TrainedDenoiser> {
    let mut run = DenoiserTraining::start(data, shape, schedule, options)?;
    while run.next_step() < options.steps {
        run.step(data)?;
        progress(run.next_step() as u64, options.steps as u64);
    }
    Ok(TrainedDenoiser {
        denoiser: run.denoiser(),
        losses: run.losses,
    })
}

/// One batch's inputs and targets.
struct Batch {
    x_t: Vec<f32>,
    s: Vec<f32>,
    alpha_bar: Vec<f32>,
    conditions: Vec<f32>,
    given: Vec<f32>,
    epsilon: Vec<f32>,
}

/// The timestep in 1..=`steps` of the random word `r` under `power`: t/T = u^power with u
/// uniform on [0, 1) (1: uniform, the power not applied).
pub(crate) fn draw_timestep(r: u32, steps: usize, power: f32) -> usize {
    let u = match power {
        1.0 => unit_closed_open(r),
        p => unit_closed_open(r).powf(p),
    };
    1 + ((u * steps as f32) as usize).min(steps - 1)
}

/// Appends the noised point x_t = √ᾱ x₀ + √(1 − ᾱ) ε of `x0` to `x_t` and its ε to `epsilon`,
/// coordinate k's ε the Gaussian of the random words `noise(k)`.
pub(crate) fn push_noised(
    x0: &[f32],
    alpha_bar: f64,
    noise: impl Fn(usize) -> [u32; 4],
    x_t: &mut Vec<f32>,
    epsilon: &mut Vec<f32>,
) {
    let (a, sigma) = (alpha_bar.sqrt() as f32, (1.0 - alpha_bar).sqrt() as f32);
    for (k, &x) in x0.iter().enumerate() {
        let e = gaussian(noise(k));
        x_t.push(a * x + sigma * e);
        epsilon.push(e);
    }
}

fn draw_batch(
    data: &PointDataset,
    schedule: &EnergyScheduler,
    options: &TrainingOptions,
    step: u32,
) -> Batch {
    let (d, c, n) = (data.dim, data.condition_count, data.len());
    let steps = schedule.timesteps();
    let b = options.batch_size;
    let mut batch = Batch {
        x_t: Vec::with_capacity(b * d),
        s: Vec::with_capacity(b),
        alpha_bar: Vec::with_capacity(b),
        conditions: Vec::with_capacity(b * c),
        given: Vec::with_capacity(b),
        epsilon: Vec::with_capacity(b * d),
    };
    // Keys: one draw of four words per (slot, coordinate pair) and one for the choices; the
    // slot is the site, the step the counter.
    let draw = |slot: usize, word: usize| {
        rng_draw(
            slot as u32,
            word as u32,
            step,
            options.seed,
            STREAM_TRAINING,
        )
    };
    for slot in 0..b {
        let r = draw(slot, 0);
        let i = ((unit_closed_open(r[0]) * n as f32) as usize).min(n - 1);
        let t = draw_timestep(r[1], steps, options.timestep_power);
        let keep = unit_closed_open(r[2]) >= options.condition_dropout;
        let ab = schedule.alpha_bar(t);
        push_noised(
            &data.samples[i * d..(i + 1) * d],
            ab,
            |k| draw(slot, 1 + k),
            &mut batch.x_t,
            &mut batch.epsilon,
        );
        batch.s.push(t as f32 / steps as f32);
        batch.alpha_bar.push(ab as f32);
        batch
            .conditions
            .extend_from_slice(&data.conditions[i * c..(i + 1) * c]);
        batch.given.push(if keep { 1.0 } else { 0.0 });
    }
    batch
}

/// Draws every lazily initialised parameter and numbers them from 0 in module order.
struct Number(u64);

impl ModuleMapper for Number {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        let _ = param.val();
        let mut param = param;
        param.id = ParamId::from(self.0);
        self.0 += 1;
        param
    }
}

/// The current weights by parameter, flattened and off the autodiff graph.
struct Weights(HashMap<ParamId, Tensor<1>>);

impl ModuleVisitor for Weights {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        let value = param.val().without_autodiff();
        let n = value.shape().num_elements();
        self.0.insert(param.id, value.reshape([n]));
    }
}

/// Blends each averaged parameter towards the current weights:
/// `average ← decay · average + (1 − decay) · current`.
struct Blend {
    current: HashMap<ParamId, Tensor<1>>,
    decay: f32,
}

impl ModuleMapper for Blend {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        let current = self
            .current
            .remove(&param.id)
            .expect("the average and the model share parameter ids");
        let decay = self.decay;
        param.map(|value| {
            let current = current.reshape(value.shape());
            value.mul_scalar(decay) + current.mul_scalar(1.0 - decay)
        })
    }
}
