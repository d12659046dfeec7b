//! Sampling with a trained [`Denoiser`]: ancestral DDPM (Ho et al. 2020, Algorithm 2) with the
//! network's ε, `x_{t−1} = (x_t − β_t / √(1 − ᾱ_t) ε̂) / √α_t + σ_t z`, σ_t² = β̃_t (the
//! posterior variance, zero at t = 1, as IDF's exact-score DDPM); deterministic DDIM (Song, Meng
//! & Ermon 2021, η = 0) over an evenly spaced subsequence of the timesteps; and classifier-free
//! guidance (Ho & Salimans 2022): ε̂ = (1 + w) ε(x, c) − w ε(x, ∅); and energy guidance
//! ([`EnergyGuidance`]).

use burn::prelude::*;

use crate::context::Cancel;
use crate::cpu::denoiser_reverse_step;
use crate::engine::diffusion::EnergyScheduler;
use crate::error::{IdfError, Result};
#[cfg(feature = "neural-gpu")]
use crate::gpu::{denoiser_reverse_step::ReverseStepBuffers, GpuContext};
use crate::kernels::denoiser_reverse_step::ReverseStep;
#[cfg(feature = "neural-gpu")]
use crate::neural::device_fields::{copy_into_buffer, tensor_from_buffer};
#[cfg(feature = "neural-gpu")]
use crate::neural::energy_guidance::not_finite;
use crate::neural::energy_guidance::{EnergyGuidance, GuidanceGradients};
use crate::neural::network::{DataStatistics, DenoiserShape, Network, Preconditioner};

/// A trained network with what it needs to predict ε: its sizes, the data statistics it is
/// preconditioned with, and the noise schedule it was trained on.
#[derive(Debug, Clone)]
pub struct Denoiser {
    net: Network,
    shape: DenoiserShape,
    statistics: DataStatistics,
    schedule: EnergyScheduler,
    /// The statistics as tensors on the network's device, made once.
    preconditioner: Preconditioner,
}

/// How a [`Denoiser`] draws: the reverse process, the guidance, the seed, the chunking and what
/// can stop it. [`Sampling::new`] gives no guidance, chunks of [`Sampling::DEFAULT_BATCH`]
/// points, no energy and no cancel flag; set the others with struct-update syntax.
#[derive(Clone, Copy)]
pub struct Sampling<'a> {
    /// DDPM or DDIM.
    pub sampler: NeuralSampler,
    /// The classifier-free guidance weight w ≥ 0 (0: none).
    pub guidance: f32,
    /// The noise's seed: IDF's RNG keyed by (coordinate, step, seed), so that a point does not
    /// depend on the chunking.
    pub seed: u32,
    /// Points per chunk at most (the network's batch).
    pub batch: usize,
    /// Tilts the draws towards low energy ([`EnergyGuidance`]).
    pub energy: Option<&'a EnergyGuidance<'a>>,
    /// When raised, stops the draw at the next reverse step with [`IdfError::Cancelled`].
    pub cancel: Option<&'a Cancel>,
}

impl<'a> Sampling<'a> {
    /// Points per chunk unless set.
    pub const DEFAULT_BATCH: usize = 256;

    /// The energy guidance that acts on the steps: none when its weight is 0.
    fn acting_energy(&self) -> Option<&'a EnergyGuidance<'a>> {
        self.energy.filter(|e| e.weight > 0.0)
    }

    /// `sampler` with `seed`, and nothing else.
    pub fn new(sampler: NeuralSampler, seed: u32) -> Self {
        Sampling {
            sampler,
            guidance: 0.0,
            seed,
            batch: Self::DEFAULT_BATCH,
            energy: None,
            cancel: None,
        }
    }
}

/// The reverse process to sample with.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum NeuralSampler {
    /// Ancestral DDPM over all T timesteps.
    Ddpm,
    /// Deterministic DDIM over `steps` evenly spaced timesteps (1 ≤ steps ≤ T).
    Ddim {
        /// The number of DDIM steps.
        steps: usize,
    },
}

impl Denoiser {
    /// Puts the parts together (the network's weights on a plain, non-autodiff device).
    pub fn new(
        net: Network,
        shape: DenoiserShape,
        statistics: DataStatistics,
        schedule: EnergyScheduler,
    ) -> Self {
        let preconditioner = Preconditioner::new(&statistics, &net.devices()[0]);
        Denoiser {
            net,
            shape,
            statistics,
            schedule,
            preconditioner,
        }
    }

    /// The same denoiser with its weights on `device` (another context's,
    /// [`device_for`](crate::neural::device_for)); it samples there.
    pub fn on_device(self, device: &Device) -> Self {
        let net = self.net.to_device(device);
        Denoiser::new(net, self.shape, self.statistics, self.schedule)
    }

    /// The burn device it runs on.
    pub fn device(&self) -> Device {
        self.net.devices()[0].clone()
    }

    /// The network's sizes.
    pub fn shape(&self) -> &DenoiserShape {
        &self.shape
    }

    /// The noise schedule it was trained on.
    pub fn schedule(&self) -> &EnergyScheduler {
        &self.schedule
    }

    /// The data statistics it is preconditioned with.
    pub fn statistics(&self) -> &DataStatistics {
        &self.statistics
    }

    /// The network itself.
    pub fn network(&self) -> &Network {
        &self.net
    }

    /// The number of the network's parameters.
    pub fn parameters(&self) -> usize {
        self.net.num_params()
    }

    fn check_condition(&self, condition: Option<&[f32]>) -> Result<()> {
        match condition {
            Some(c) if c.len() != self.shape.conditions => Err(IdfError::invalid(
                "condition",
                format!(
                    "{} values for a network of {} conditions",
                    c.len(),
                    self.shape.conditions
                ),
            )),
            Some(c) if c.iter().any(|v| !v.is_finite()) => Err(IdfError::invalid(
                "condition",
                "a condition value is not finite",
            )),
            _ => Ok(()),
        }
    }

    /// ε̂ for the `n = x.len() / D` points `x` at timestep `t` (1..=T), all with the condition
    /// `condition` (`None`: unconditional). Errors: a condition of the wrong length, `t`
    /// outside the schedule, `x` not whole points.
    pub fn epsilon(&self, x: &[f32], t: usize, condition: Option<&[f32]>) -> Result<Vec<f32>> {
        self.check_condition(condition)?;
        let steps = self.schedule.timesteps();
        if !(1..=steps).contains(&t) {
            return Err(IdfError::invalid(
                "t",
                format!("expected 1 to {steps}, got {t}"),
            ));
        }
        let d = self.shape.dim;
        if !x.len().is_multiple_of(d) {
            return Err(IdfError::invalid(
                "x",
                format!(
                    "{} values are no whole number of {d}-coordinate points",
                    x.len()
                ),
            ));
        }
        let n = x.len() / d;
        let rows = condition.map(|c| c.repeat(n));
        Ok(self.predict(x, t, rows.as_deref()))
    }

    /// ε̂ for the points `x` at timestep `t` with a condition row per point (`rows`, N × C;
    /// `None`: unconditional).
    fn predict(&self, x: &[f32], t: usize, rows: Option<&[f32]>) -> Vec<f32> {
        self.predict_at(x, &vec![t; x.len() / self.shape.dim], rows)
    }

    /// [`predict`](Self::predict) with a timestep per point (`ts`, N values in 1..=T).
    pub(crate) fn predict_at(&self, x: &[f32], ts: &[usize], rows: Option<&[f32]>) -> Vec<f32> {
        host_values(self.epsilon_of(self.points(x), ts, rows))
    }

    /// The points `x` (N × D values) as an N × D tensor on the network's device.
    fn points(&self, x: &[f32]) -> Tensor<2> {
        let n = x.len() / self.shape.dim;
        Tensor::<2>::from_data(
            TensorData::new(x.to_vec(), [n, self.shape.dim]),
            &self.device(),
        )
    }

    /// ε̂ of the points `x` (N × D, on the network's device) with a timestep per point (`ts`)
    /// and a condition row per point (`rows`, N × C; `None`: unconditional).
    fn epsilon_of(&self, x: Tensor<2>, ts: &[usize], rows: Option<&[f32]>) -> Tensor<2> {
        let device = self.device();
        let n = ts.len();
        let tensor = |values: Vec<f32>, width: usize| {
            Tensor::<2>::from_data(TensorData::new(values, [n, width]), &device)
        };
        let c = self.shape.conditions;
        let (conditions, given) = match rows {
            Some(values) => (values.to_vec(), vec![1.0; n]),
            None => (vec![0.0; n * c], vec![0.0; n]),
        };
        let steps = self.schedule.timesteps() as f32;
        let s = ts.iter().map(|&t| t as f32 / steps).collect();
        let ab = ts
            .iter()
            .map(|&t| self.schedule.alpha_bar(t) as f32)
            .collect();
        self.preconditioner.epsilon(
            &self.net,
            x,
            tensor(s, 1),
            tensor(ab, 1),
            tensor(conditions, c),
            tensor(given, 1),
        )
    }

    /// ε̂ at timestep `t` with classifier-free guidance of weight `guidance` when conditions are
    /// given: `(1 + w) ε(x, c) − w ε(x, ∅)`.
    fn guided(&self, x: Tensor<2>, t: usize, rows: Option<&[f32]>, guidance: f32) -> Tensor<2> {
        let ts = vec![t; x.dims()[0]];
        let eps = self.epsilon_of(x.clone(), &ts, rows);
        if rows.is_some() && guidance > 0.0 {
            let free = self.epsilon_of(x, &ts, None);
            return eps.mul_scalar(1.0 + guidance) - free.mul_scalar(guidance);
        }
        eps
    }

    /// `n` points drawn from pure noise as `how` says, all with condition `condition` (`None`:
    /// unconditional): `N × D` values; `progress(done, total)` after each reverse step of a
    /// chunk. Errors: a condition of the wrong length, a negative or non-finite guidance
    /// weight, DDIM steps outside 1..=T; those of [`sample_rows`](Self::sample_rows).
    pub fn sample(
        &self,
        n: usize,
        condition: Option<&[f32]>,
        how: &Sampling,
        progress: &mut dyn FnMut(u64, u64),
    ) -> Result<Vec<f32>> {
        self.check_condition(condition)?;
        let rows = condition.map(|c| c.repeat(n));
        self.sample_rows(n, rows.as_deref(), how, progress)
    }

    /// [`sample`](Self::sample) with a condition per point: `rows` is `N × C` (row-major).
    /// Errors also: rows of the wrong length or not finite, a negative or non-finite energy
    /// weight or temperature, guiding maps whose size is not D, an energy gradient of the wrong
    /// length or not finite (naming the step; on the GPU, a sample not finite), a raised cancel
    /// flag ([`IdfError::Cancelled`]).
    pub fn sample_rows(
        &self,
        n: usize,
        rows: Option<&[f32]>,
        how: &Sampling,
        progress: &mut dyn FnMut(u64, u64),
    ) -> Result<Vec<f32>> {
        let Sampling {
            sampler,
            guidance,
            batch,
            energy,
            ..
        } = *how;
        if let Some(e) = energy {
            e.check(self.shape.dim)?;
        }
        let c = self.shape.conditions;
        if let Some(rows) = rows {
            if rows.len() != n * c || rows.iter().any(|v| !v.is_finite()) {
                return Err(IdfError::invalid(
                    "condition",
                    format!(
                        "{} condition values for {n} points of {c} conditions, all finite",
                        rows.len()
                    ),
                ));
            }
        }
        if !(guidance.is_finite() && guidance >= 0.0) {
            return Err(IdfError::invalid(
                "guidance",
                format!("{guidance} must be a finite number ≥ 0"),
            ));
        }
        let steps = self.schedule.timesteps();
        let timesteps: Vec<usize> = match sampler {
            NeuralSampler::Ddpm => (0..=steps).collect(),
            NeuralSampler::Ddim { steps: k } => {
                if k == 0 || k > steps {
                    return Err(IdfError::invalid(
                        "steps",
                        format!("DDIM needs between 1 and {steps} steps (the schedule's timesteps), got {k}"),
                    ));
                }
                (0..=k)
                    .map(|i| ((i * steps) as f64 / k as f64).round() as usize)
                    .collect()
            }
        };
        let d = self.shape.dim;
        let batch = batch.max(1);
        if batch.min(n).saturating_mul(d) > u32::MAX as usize {
            return Err(IdfError::invalid(
                "batch",
                format!(
                    "{} points of {d} coordinates a chunk: at most 2^32 - 1 values",
                    batch.min(n)
                ),
            ));
        }
        let plan = ReversePlan {
            timesteps: &timesteps,
            how,
            total: n.div_ceil(batch) as u64 * (timesteps.len() as u64 - 1),
        };
        #[cfg(feature = "neural-gpu")]
        let gpu = energy
            .is_none_or(EnergyGuidance::runs_on_gpu)
            .then(|| crate::neural::device::gpu_of(&self.device()))
            .flatten();
        let mut gradients = how.acting_energy().map(GuidanceGradients::new);
        let mut out = Vec::with_capacity(n * d);
        for (index, first) in (0..n).step_by(batch).enumerate() {
            let count = batch.min(n - first);
            let chunk = Chunk {
                index,
                count,
                offset: first * d,
                rows: rows.map(|r| &r[first * c..(first + count) * c]),
            };
            #[cfg(feature = "neural-gpu")]
            {
                if let Some(gpu) = &gpu {
                    out.extend(self.reverse_on_device(
                        gpu,
                        &chunk,
                        &plan,
                        gradients.as_mut(),
                        progress,
                    )?);
                    continue;
                }
            }
            out.extend(self.reverse_on_host(&chunk, &plan, gradients.as_mut(), progress)?);
        }
        Ok(out)
    }

    /// The reverse steps of one chunk on the host (the network on its device, ε̂ read back each
    /// step; energy guidance's gradient on the CPU).
    fn reverse_on_host(
        &self,
        chunk: &Chunk,
        plan: &ReversePlan,
        mut gradients: Option<&mut GuidanceGradients>,
        progress: &mut dyn FnMut(u64, u64),
    ) -> Result<Vec<f32>> {
        let how = plan.how;
        let values = chunk.count * self.shape.dim;
        let start = ReverseStep::start(values as u32, chunk.offset as u32, how.seed);
        let mut x = vec![0.0; values];
        denoiser_reverse_step::run(&start, &mut x, &[], &[]);
        for (j, t_prev, t) in plan.steps() {
            plan.check_cancel(chunk, j)?;
            let eps = host_values(self.guided(self.points(&x), t, chunk.rows, how.guidance));
            let gradient = match gradients.as_deref_mut() {
                Some(g) => g.on_host(&x, chunk.count, t)?,
                None => Vec::new(),
            };
            let step = self.reverse_step(start, how, j, t_prev, t);
            denoiser_reverse_step::run(&step, &mut x, &eps, &gradient);
            progress(plan.done(chunk, j) + 1, plan.total);
        }
        Ok(x)
    }

    /// The reverse steps of one chunk on IDF's GPU, which the network shares: the values stay
    /// in IDF's buffers from the starting noise to the sample, pass to the network and back by
    /// copies on the device, and step by the kernel `denoiser_reverse_step` (the twin of the
    /// host's); energy guidance's gradient is IDF's kernel on the same buffers. Only the
    /// sample is read back.
    #[cfg(feature = "neural-gpu")]
    fn reverse_on_device(
        &self,
        gpu: &std::sync::Arc<GpuContext>,
        chunk: &Chunk,
        plan: &ReversePlan,
        mut gradients: Option<&mut GuidanceGradients>,
        progress: &mut dyn FnMut(u64, u64),
    ) -> Result<Vec<f32>> {
        let how = plan.how;
        let d = self.shape.dim;
        let values = chunk.count * d;
        let start = ReverseStep::start(values as u32, chunk.offset as u32, how.seed);
        let buffers = ReverseStepBuffers::new(gpu, values, gradients.is_some())?;
        buffers.step(gpu, &start)?;
        let device = self.device();
        for (j, t_prev, t) in plan.steps() {
            plan.check_cancel(chunk, j)?;
            let x = tensor_from_buffer(gpu, buffers.x(), [chunk.count, d], &device)?;
            copy_into_buffer(
                gpu,
                self.guided(x, t, chunk.rows, how.guidance),
                buffers.eps(),
            )?;
            if let Some(g) = gradients.as_deref_mut() {
                g.on_gpu(gpu, buffers.x(), chunk.count, buffers.grad())?;
            }
            buffers.step(gpu, &self.reverse_step(start, how, j, t_prev, t))?;
            progress(plan.done(chunk, j) + 1, plan.total);
        }
        let sample = buffers.read_x(gpu)?;
        if gradients.is_some() && sample.iter().any(|v| !v.is_finite()) {
            return Err(not_finite("along the draw (its sample is not)"));
        }
        Ok(sample)
    }

    /// The `j`-th reverse step (from timestep `t` to `t_prev`) of the chunk that `start` began,
    /// as `how` draws: DDPM's `x ← (x − β_t/√(1 − ᾱ_t) ε̂)/√α_t + σ_t ξ`, or DDIM's
    /// deterministic update; with energy guidance, ε̂ tilted by the gradient
    /// ([`EnergyGuidance::scale`]).
    fn reverse_step(
        &self,
        start: ReverseStep,
        how: &Sampling,
        j: usize,
        t_prev: usize,
        t: usize,
    ) -> ReverseStep {
        let s = &self.schedule;
        let step = (j + 1) as u32;
        let update = match how.sampler {
            NeuralSampler::Ddpm => {
                let (beta, ab) = (s.beta(t), s.alpha_bar(t));
                let c_x = (1.0 / (1.0 - beta).sqrt()) as f32;
                let c_eps = (beta / (1.0 - ab).sqrt() / (1.0 - beta).sqrt()) as f32;
                let sigma = if t > 1 {
                    s.posterior_variance(t).sqrt() as f32
                } else {
                    0.0
                };
                start.then(step, c_x, -c_eps, sigma)
            }
            NeuralSampler::Ddim { .. } => {
                let (ab, ab_prev) = (s.alpha_bar(t), s.alpha_bar(t_prev));
                let c_x = (ab_prev / ab).sqrt() as f32;
                let c_eps = ((1.0 - ab_prev).sqrt() - (ab_prev * (1.0 - ab) / ab).sqrt()) as f32;
                start.then(step, c_x, c_eps, 0.0)
            }
        };
        match how.acting_energy() {
            Some(e) => update.with_gradient(update.c_eps * e.scale(s.alpha_bar(t)) as f32),
            None => update,
        }
    }
}

/// One chunk of a draw: its place among the chunks, its points, its first value in the draw
/// and its condition rows.
struct Chunk<'a> {
    index: usize,
    count: usize,
    offset: usize,
    rows: Option<&'a [f32]>,
}

/// What the chunks of a draw share: the timesteps (from 0 up), how to draw, and the reverse
/// steps of the whole draw (for progress).
struct ReversePlan<'a> {
    timesteps: &'a [usize],
    how: &'a Sampling<'a>,
    total: u64,
}

impl ReversePlan<'_> {
    /// The reverse steps `(j, t_prev, t)`, from the largest timestep down.
    fn steps(&self) -> impl Iterator<Item = (usize, usize, usize)> + '_ {
        self.timesteps
            .windows(2)
            .rev()
            .enumerate()
            .map(|(j, pair)| (j, pair[0], pair[1]))
    }

    /// Reverse steps of the draw done before step `j` of `chunk`.
    fn done(&self, chunk: &Chunk, j: usize) -> u64 {
        chunk.index as u64 * (self.timesteps.len() as u64 - 1) + j as u64
    }

    /// [`IdfError::Cancelled`] when the draw's cancel flag is raised.
    fn check_cancel(&self, chunk: &Chunk, j: usize) -> Result<()> {
        if self.how.cancel.is_some_and(Cancel::is_cancelled) {
            return Err(IdfError::Cancelled {
                step: self.done(chunk, j),
            });
        }
        Ok(())
    }
}

/// A tensor's f32 values on the host.
fn host_values(tensor: Tensor<2>) -> Vec<f32> {
    tensor
        .into_data()
        .try_into_vec::<f32>()
        .expect("the network's output is f32")
}
