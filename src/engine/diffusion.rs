//! Forward and reverse diffusion: [`EnergyScheduler`] (the cosine noise schedule of Nichol &
//! Dhariwal 2021) and [`EnergyDiffusionModel`] with `forward_diffuse` and `reverse_denoise`.
//!
//! `q(x_t | x_0) = N(√ᾱ_t x_0, (1 − ᾱ_t) I)`. The reverse process uses the score `−∇E_t` of the
//! noised marginal, exact for a Gaussian mixture (DDPM and DDIM); for field energies it is
//! annealed Langevin from hot to the target temperature along the schedule.

use std::str::FromStr;

use crate::context::Context;
use crate::engine::energies::EnergyModel;
use crate::engine::field::Field;
use crate::engine::method::Method;
use crate::engine::schedule::{cosine_alpha_bar, ScheduleKind, TemperatureSchedule};
use crate::engine::simulation::Simulation;
use crate::engine::step_rule::{RunConfig, StepRule};
use crate::engine::trace::RunTrace;
use crate::error::{IdfError, Result};

/// The largest β of a step (Nichol & Dhariwal clip at 0.999).
pub const MAX_BETA: f64 = 0.999;

/// The family of a noise schedule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NoiseSchedule {
    /// `ᾱ(t) = f(t)/f(0)`, `f(t) = cos²(((t/T) + s)/(1 + s) · π/2)`, s = 0.008.
    Cosine,
    /// β linear from 1e-4 to 0.02 (Ho et al. 2020), for comparison.
    Linear,
}

impl FromStr for NoiseSchedule {
    type Err = IdfError;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "cosine" => Ok(NoiseSchedule::Cosine),
            "linear" => Ok(NoiseSchedule::Linear),
            other => Err(IdfError::invalid(
                "noiseSchedule",
                format!("`{other}` is not one of cosine, linear"),
            )),
        }
    }
}

/// The most timesteps a noise schedule has: far past the 1000 of the DDPM papers, and small
/// enough that its tables (16 bytes a step) never strain memory.
pub const MAX_TIMESTEPS: usize = 1_000_000;

/// The discrete noise schedule: β_t and ᾱ_t for t = 1..=T (ᾱ_0 = 1).
#[derive(Clone, Debug, PartialEq)]
pub struct EnergyScheduler {
    kind: NoiseSchedule,
    betas: Vec<f64>,
    alpha_bars: Vec<f64>,
}

impl EnergyScheduler {
    /// The cosine schedule with `timesteps` steps (β clipped at [`MAX_BETA`]).
    pub fn cosine(timesteps: usize) -> Result<Self> {
        Self::new(NoiseSchedule::Cosine, timesteps)
    }

    /// A schedule of either family, of 1 to [`MAX_TIMESTEPS`] timesteps.
    pub fn new(kind: NoiseSchedule, timesteps: usize) -> Result<Self> {
        if timesteps == 0 || timesteps > MAX_TIMESTEPS {
            return Err(IdfError::invalid(
                "timesteps",
                format!("{timesteps}: use 1 to {MAX_TIMESTEPS}"),
            ));
        }
        let n = timesteps as f64;
        let betas: Vec<f64> = (1..=timesteps)
            .map(|t| match kind {
                NoiseSchedule::Cosine => {
                    let ratio =
                        cosine_alpha_bar(t as f64 / n) / cosine_alpha_bar((t - 1) as f64 / n);
                    (1.0 - ratio).min(MAX_BETA)
                }
                NoiseSchedule::Linear => {
                    let s = if timesteps > 1 {
                        (t - 1) as f64 / (n - 1.0)
                    } else {
                        0.0
                    };
                    1e-4 + (0.02 - 1e-4) * s
                }
            })
            .collect();
        let mut alpha_bars = Vec::with_capacity(timesteps + 1);
        alpha_bars.push(1.0);
        for b in &betas {
            let last = *alpha_bars.last().expect("starts with 1");
            alpha_bars.push(last * (1.0 - b));
        }
        Ok(EnergyScheduler {
            kind,
            betas,
            alpha_bars,
        })
    }

    /// The family.
    pub fn kind(&self) -> NoiseSchedule {
        self.kind
    }

    /// T.
    pub fn timesteps(&self) -> usize {
        self.betas.len()
    }

    /// ᾱ_t for t in 0..=T.
    pub fn alpha_bar(&self, t: usize) -> f64 {
        self.alpha_bars[t]
    }

    /// β_t for t in 1..=T.
    pub fn beta(&self, t: usize) -> f64 {
        self.betas[t - 1]
    }

    /// The DDPM posterior variance β̃_t = β_t (1 − ᾱ_{t−1}) / (1 − ᾱ_t).
    pub fn posterior_variance(&self, t: usize) -> f64 {
        self.beta(t) * (1.0 - self.alpha_bar(t - 1)) / (1.0 - self.alpha_bar(t))
    }
}

/// How to run the reverse process.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ReverseMethod {
    /// Ancestral DDPM over all T steps with the exact score.
    Ddpm,
    /// Deterministic DDIM over `steps` evenly spaced timesteps with the exact score.
    Ddim {
        /// Number of DDIM steps (≤ T).
        steps: usize,
    },
    /// Annealed Langevin (Metropolis for spins): temperature follows the cosine schedule from
    /// `t_start` down to `t_end` over `steps` steps.
    Annealed {
        /// Steps in all.
        steps: u64,
        /// Langevin η, or the proposal width for continuous Metropolis.
        step_size: f32,
        /// The hot starting temperature.
        t_start: f32,
        /// The target temperature.
        t_end: f32,
    },
}

/// An energy with a noise schedule: the generative model of energy-based diffusion.
#[derive(Clone, Debug, PartialEq)]
pub struct EnergyDiffusionModel {
    /// The energy.
    pub model: EnergyModel,
    /// The noise schedule.
    pub scheduler: EnergyScheduler,
}

impl EnergyDiffusionModel {
    /// Pairs an energy with a schedule.
    pub fn new(model: EnergyModel, scheduler: EnergyScheduler) -> Self {
        EnergyDiffusionModel { model, scheduler }
    }

    /// Samples `x_t ~ q(x_t | x_0)` for every chain of `x0`.
    pub fn forward_diffuse(&self, ctx: &Context, x0: &Field, t: usize, seed: u32) -> Result<Field> {
        if t > self.scheduler.timesteps() {
            return Err(IdfError::invalid(
                "t",
                format!(
                    "{t} is past the schedule's {} timesteps",
                    self.scheduler.timesteps()
                ),
            ));
        }
        let rule = StepRule::forward_noise(self.scheduler.alpha_bar(t));
        let mut sim = Simulation::new(ctx, &self.model, x0, seed)?;
        sim.advance(1, &|_| rule, &|_| false, &mut |_, _| {})?;
        sim.field()
    }

    /// Runs the reverse process from `x_t` (pure noise for DDPM/DDIM) and returns the samples and
    /// the trace of the final state.
    pub fn reverse_denoise(
        &self,
        ctx: &Context,
        x_t: &Field,
        method: ReverseMethod,
        seed: u32,
        progress: &mut dyn FnMut(u64, u64),
    ) -> Result<(Field, RunTrace)> {
        let mut sim = Simulation::new(ctx, &self.model, x_t, seed)?;
        let trace = match method {
            ReverseMethod::Ddpm => {
                self.model.check_method(Method::Ddpm, x_t.shape())?;
                let s = &self.scheduler;
                let n = s.timesteps();
                let rule_of = |i: u64| {
                    let t = n - i as usize;
                    let alpha = 1.0 - s.beta(t);
                    StepRule::Drift {
                        c_x: (1.0 / alpha.sqrt()) as f32,
                        c_grad: (s.beta(t) / alpha.sqrt()) as f32,
                        c_noise: if t > 1 {
                            s.posterior_variance(t).sqrt() as f32
                        } else {
                            0.0
                        },
                        alpha_bar: s.alpha_bar(t) as f32,
                        temperature: 1.0,
                    }
                };
                sim.advance(n as u64, &rule_of, &|k| k == n as u64, progress)?
            }
            ReverseMethod::Ddim { steps } => {
                self.model.check_method(Method::Ddim, x_t.shape())?;
                let s = &self.scheduler;
                let n = s.timesteps();
                if steps == 0 || steps > n {
                    return Err(IdfError::invalid(
                        "steps",
                        format!("DDIM needs between 1 and {n} steps (the schedule's timesteps), got {steps}"),
                    ));
                }
                let tau = |i: usize| ((i * n) as f64 / steps as f64).round() as usize;
                let rule_of = |j: u64| {
                    let i = steps - j as usize;
                    let (ab, ab_prev) = (s.alpha_bar(tau(i)), s.alpha_bar(tau(i - 1)));
                    StepRule::Drift {
                        c_x: (ab_prev / ab).sqrt() as f32,
                        c_grad: (ab_prev.sqrt() * (1.0 - ab) / ab.sqrt()
                            - ((1.0 - ab_prev) * (1.0 - ab)).sqrt())
                            as f32,
                        c_noise: 0.0,
                        alpha_bar: ab as f32,
                        temperature: 1.0,
                    }
                };
                sim.advance(steps as u64, &rule_of, &|k| k == steps as u64, progress)?
            }
            ReverseMethod::Annealed {
                steps,
                step_size,
                t_start,
                t_end,
            } => {
                let cfg = RunConfig {
                    method: Method::Anneal,
                    step_size,
                    schedule: TemperatureSchedule::new(ScheduleKind::Cosine, t_start, t_end)?,
                    burn_in: steps.saturating_sub(1),
                    steps: 1,
                    record_every: 1,
                    ..RunConfig::default()
                };
                sim.run(&cfg, progress)?
            }
        };
        Ok((sim.field()?, trace))
    }
}
