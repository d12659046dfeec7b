//! Sampling with a trained [`Denoiser`]: ancestral DDPM (Ho et al. 2020, Algorithm 2) with the
//! network's ε, `x_{t−1} = (x_t − β_t / √(1 − ᾱ_t) ε̂) / √α_t + σ_t z`, σ_t² = β̃_t (the
//! posterior variance, zero at t = 1, as IDF's exact-score DDPM); deterministic DDIM (Song, Meng
//! & Ermon 2021, η = 0) over an evenly spaced subsequence of the timesteps; and classifier-free
//! guidance (Ho & Salimans 2022): ε̂ = (1 + w) ε(x, c) − w ε(x, ∅).

use burn::prelude::*;

use crate::context::Cancel;
use crate::cpu::shared::rng::{gaussian, rng_draw};
use crate::engine::diffusion::EnergyScheduler;
use crate::error::{IdfError, Result};
use crate::neural::network::{DataStatistics, DenoiserShape, Network, Preconditioner};
use crate::neural::STREAM_SAMPLING;

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

/// Energy guidance: the score of the noised data is tilted by the energy's,
/// `∇ log p_t(x) + w ᾱ_t (−∇E(x)/T)`, i.e. ε̂ + w ᾱ_t √(1 − ᾱ_t) ∇E(x)/T. At t → 0 this is the
/// score of `p(x) e^{−w E(x)/T}`: the model's distribution leaning towards low energy with
/// weight w (the weight ᾱ_t switches the tilt off where the noise dominates). An approximation
/// along the path, like classifier guidance (Dhariwal & Nichol 2021), exact only at t → 0.
pub struct EnergyGuidance<'a> {
    /// w ≥ 0.
    pub weight: f32,
    /// ∇E/T of `N × D` points, `N × D` values.
    pub gradient: &'a dyn Fn(&[f32]) -> Result<Vec<f32>>,
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

impl Sampling<'_> {
    /// Points per chunk unless set.
    pub const DEFAULT_BATCH: usize = 256;

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
        let device = self.net.devices()[0].clone();
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
        self.preconditioner
            .epsilon(
                &self.net,
                tensor(x.to_vec(), self.shape.dim),
                tensor(s, 1),
                tensor(ab, 1),
                tensor(conditions, c),
                tensor(given, 1),
            )
            .into_data()
            .try_into_vec::<f32>()
            .expect("the network's output is f32")
    }

    /// ε̂ with classifier-free guidance of weight `guidance` when conditions are given.
    fn guided(&self, x: &[f32], t: usize, rows: Option<&[f32]>, guidance: f32) -> Vec<f32> {
        let mut eps = self.predict(x, t, rows);
        if rows.is_some() && guidance > 0.0 {
            let free = self.predict(x, t, None);
            for (e, f) in eps.iter_mut().zip(free) {
                *e = (1.0 + guidance) * *e - guidance * f;
            }
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
    /// weight, an energy gradient of the wrong length or not finite (naming the step), a raised
    /// cancel flag ([`IdfError::Cancelled`]).
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
            seed,
            batch,
            energy,
            cancel,
        } = *how;
        if let Some(e) = energy {
            if !(e.weight.is_finite() && e.weight >= 0.0) {
                return Err(IdfError::invalid(
                    "energy_guidance",
                    format!("{} must be a finite number ≥ 0", e.weight),
                ));
            }
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
        let chunks = n.div_ceil(batch) as u64;
        let total = chunks * (timesteps.len() as u64 - 1);
        let mut out = Vec::with_capacity(n * d);
        for (chunk, first) in (0..n).step_by(batch).enumerate() {
            let count = batch.min(n - first);
            let offset = first * d;
            let chunk_rows = rows.map(|r| &r[first * c..(first + count) * c]);
            let noise = |i: usize, step: usize| {
                gaussian(rng_draw(
                    (offset + i) as u32,
                    0,
                    step as u32,
                    seed,
                    STREAM_SAMPLING,
                ))
            };
            let mut x: Vec<f32> = (0..count * d).map(|i| noise(i, 0)).collect();
            for (j, pair) in timesteps.windows(2).rev().enumerate() {
                if cancel.is_some_and(Cancel::is_cancelled) {
                    return Err(IdfError::Cancelled {
                        step: chunk as u64 * (timesteps.len() as u64 - 1) + j as u64,
                    });
                }
                let (t_prev, t) = (pair[0], pair[1]);
                let mut eps = self.guided(&x, t, chunk_rows, guidance);
                if let Some(e) = energy.filter(|e| e.weight > 0.0) {
                    let gradient = (e.gradient)(&x)?;
                    if gradient.len() != x.len() || gradient.iter().any(|g| !g.is_finite()) {
                        return Err(IdfError::invalid(
                            "energy_guidance",
                            format!("the energy's gradient is not finite at timestep {t}: lower the weight"),
                        ));
                    }
                    let ab = self.schedule.alpha_bar(t);
                    let scale = (e.weight as f64 * ab * (1.0 - ab).sqrt()) as f32;
                    for (v, g) in eps.iter_mut().zip(gradient) {
                        *v += scale * g;
                    }
                }
                match sampler {
                    NeuralSampler::Ddpm => {
                        let s = &self.schedule;
                        let (beta, ab) = (s.beta(t), s.alpha_bar(t));
                        let c_x = (1.0 / (1.0 - beta).sqrt()) as f32;
                        let c_eps = (beta / (1.0 - ab).sqrt() / (1.0 - beta).sqrt()) as f32;
                        let sigma = if t > 1 {
                            s.posterior_variance(t).sqrt() as f32
                        } else {
                            0.0
                        };
                        for (i, (xi, e)) in x.iter_mut().zip(eps).enumerate() {
                            *xi = c_x * *xi - c_eps * e + sigma * noise(i, j + 1);
                        }
                    }
                    NeuralSampler::Ddim { .. } => {
                        let ab = self.schedule.alpha_bar(t);
                        let ab_prev = self.schedule.alpha_bar(t_prev);
                        let c_x = (ab_prev / ab).sqrt() as f32;
                        let c_eps =
                            ((1.0 - ab_prev).sqrt() - (ab_prev * (1.0 - ab) / ab).sqrt()) as f32;
                        for (xi, e) in x.iter_mut().zip(eps) {
                            *xi = c_x * *xi + c_eps * e;
                        }
                    }
                }
                progress(
                    chunk as u64 * (timesteps.len() as u64 - 1) + j as u64 + 1,
                    total,
                );
            }
            out.extend(x);
        }
        Ok(out)
    }
}
