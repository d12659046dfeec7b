//! Step rules and runs: [`StepRule`], one step of the dynamics, and the dispatches that carry it
//! out; [`RunConfig`], a sampling run of one of the equilibrium integrators.
//!
//! Every step rule is one of four shapes, each a short fixed sequence of kernels: a
//! drift-diffusion step (Langevin, forward noising, DDPM, DDIM), a MALA step, a checkerboard
//! Metropolis sweep, or an HMC trajectory. To add an integrator: a [`StepRule`] variant and its
//! dispatches in [`StepRule::record`].

use crate::engine::energies::{EnergyModel, Sweep};
use crate::engine::field::Shape;
use crate::engine::method::Method;
use crate::engine::schedule::TemperatureSchedule;
use crate::error::{IdfError, Result};
use crate::kernels::{
    Aux, Dispatch, Kernel, Slot, StepParams, FLAG_FINAL_KICK, FLAG_HEAT_BATH, FLAG_PROPOSAL,
    OBSERVABLES, SUM_BLOCK,
};

/// The largest trace a run may record, in bytes (records × chains × [`OBSERVABLES`] × 4).
pub const MAX_TRACE_BYTES: u64 = 1 << 30;

/// A Metropolis site update (a proposal, the energy change over the site's neighbours, an
/// accept draw and its exponential) counted in gradient evaluations: measured on the CPU at
/// 44 ns per φ⁴ site against about 10 ns per MALA or HMC evaluation (64² × 32 chains).
pub const METROPOLIS_EVALUATIONS: u64 = 4;

/// One step of the dynamics.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum StepRule {
    /// `x ← c_x·x − c_grad·∇E_ᾱ(x) + c_noise·ξ`, the energy taken at noise level `alpha_bar`.
    Drift {
        /// Coefficient of x.
        c_x: f32,
        /// Coefficient of the gradient.
        c_grad: f32,
        /// Coefficient of the noise.
        c_noise: f32,
        /// Noise level of the energy (1: the energy itself).
        alpha_bar: f32,
        /// Temperature reported in the trace.
        temperature: f32,
    },
    /// A MALA step.
    Mala {
        /// η.
        step_size: f32,
        /// T.
        temperature: f32,
    },
    /// A full checkerboard Metropolis sweep.
    Metropolis {
        /// Width of continuous proposals.
        step_size: f32,
        /// T.
        temperature: f32,
    },
    /// A heat-bath sweep: each site drawn from its conditional distribution given the others,
    /// over every label for categorical (Potts) energies (Geman & Geman 1984); for two-state
    /// and continuous sites, the local proposal accepted with Barker's probability
    /// 1/(1 + exp(ΔE/T)) (Glauber dynamics for spins).
    HeatBath {
        /// T.
        temperature: f32,
    },
    /// One HMC trajectory: fresh momenta, `leapfrog_steps` leapfrog steps of size `step_size`
    /// for `H = E/T + |p|²/2`, and a per-chain Metropolis decision; ln α = −ΔH is recorded.
    Hmc {
        /// Leapfrog step ε.
        step_size: f32,
        /// Leapfrog steps per trajectory.
        leapfrog_steps: u32,
        /// T.
        temperature: f32,
    },
}

impl StepRule {
    /// Forward noising to signal fraction ᾱ in one step from x₀: `x = √ᾱ x₀ + √(1−ᾱ) ξ`.
    pub fn forward_noise(alpha_bar: f64) -> Self {
        StepRule::Drift {
            c_x: alpha_bar.sqrt() as f32,
            c_grad: 0.0,
            c_noise: (1.0 - alpha_bar).sqrt() as f32,
            alpha_bar: alpha_bar as f32,
            temperature: 1.0,
        }
    }

    /// The unadjusted Langevin step `x ← x − η∇E + √(2ηT) ξ`.
    pub fn langevin(step_size: f32, temperature: f32) -> Self {
        StepRule::Drift {
            c_x: 1.0,
            c_grad: step_size,
            c_noise: (2.0 * step_size * temperature).sqrt(),
            alpha_bar: 1.0,
            temperature,
        }
    }

    /// The temperature of the step (the dispatch parameter; a chain's rung when tempering).
    pub fn temperature(&self) -> f32 {
        match *self {
            StepRule::Drift { temperature, .. }
            | StepRule::Mala { temperature, .. }
            | StepRule::Metropolis { temperature, .. }
            | StepRule::HeatBath { temperature }
            | StepRule::Hmc { temperature, .. } => temperature,
        }
    }

    /// The noise level the energy is taken at (1: the energy itself).
    pub fn alpha_bar(&self) -> f32 {
        match *self {
            StepRule::Drift { alpha_bar, .. } => alpha_bar,
            _ => 1.0,
        }
    }

    /// The step size: η, the proposal width, or the leapfrog step (none for heat-bath).
    pub fn step_size(&self) -> f32 {
        match *self {
            StepRule::Drift { c_grad, .. } => c_grad,
            StepRule::HeatBath { .. } => 0.0,
            StepRule::Mala { step_size, .. }
            | StepRule::Metropolis { step_size, .. }
            | StepRule::Hmc { step_size, .. } => step_size,
        }
    }

    /// Proposals per chain per step, for acceptance rates (none for unadjusted steps).
    /// Gradient (or energy-change) evaluations per site the step takes: one for a drift step
    /// or a Metropolis sweep, three for MALA (proposal and both directions' terms), the
    /// leapfrog steps plus two for HMC.
    pub fn evaluations_per_site(&self) -> u64 {
        match self {
            StepRule::Drift { .. } => 1,
            StepRule::Metropolis { .. } | StepRule::HeatBath { .. } => METROPOLIS_EVALUATIONS,
            StepRule::Mala { .. } => 3,
            StepRule::Hmc { leapfrog_steps, .. } => *leapfrog_steps as u64 + 2,
        }
    }

    pub(crate) fn proposals_per_chain(&self, sites_per_chain: usize) -> f64 {
        match self {
            StepRule::Drift { .. } => 0.0,
            StepRule::Mala { .. } | StepRule::Hmc { .. } => 1.0,
            StepRule::Metropolis { .. } | StepRule::HeatBath { .. } => sites_per_chain as f64,
        }
    }

    /// Records this step's dispatches on the field in `current` into `out`, with `base` the
    /// simulation's parameters at this step and `sweep` how the energy's sites are swept;
    /// returns the slot that holds the field afterwards.
    ///
    /// A drift step is one `langevin_step`; a MALA step proposes with `langevin_step`, sums
    /// both directions' `mala_terms`, decides per chain (`mala_accept`) and keeps or restores
    /// (`mala_select`); a Metropolis or heat-bath sweep is one `metropolis_sweep` per colour, or
    /// one `potts_sweep` for energies swept in order; an HMC
    /// trajectory draws momenta, leapfrogs between the two other slots (keeping its start), and
    /// decides like MALA.
    pub(crate) fn record(
        &self,
        base: StepParams,
        current: Slot,
        sweep: Sweep,
        out: &mut Vec<Dispatch>,
    ) -> Slot {
        let cur = current;
        let dispatch = |kernel, params, src: Slot, dst: Slot| Dispatch {
            kernel,
            params,
            src,
            dst,
            aux: Aux::Scratch,
        };
        match *self {
            StepRule::Drift {
                c_x,
                c_grad,
                c_noise,
                ..
            } => {
                let p = StepParams {
                    c_x,
                    c_grad,
                    c_noise,
                    ..base
                };
                out.push(dispatch(Kernel::LangevinStep, p, cur, cur.other()));
                cur.other()
            }
            StepRule::Mala {
                step_size,
                temperature,
            } => {
                let (x, y) = (cur, cur.other());
                let propose = StepParams {
                    c_grad: step_size,
                    c_noise: (2.0 * step_size * temperature).sqrt(),
                    flags: base.flags | FLAG_PROPOSAL,
                    ..base
                };
                out.push(dispatch(Kernel::LangevinStep, propose, x, y));
                out.push(dispatch(
                    Kernel::MalaTerms,
                    StepParams { sign: 1.0, ..base },
                    x,
                    y,
                ));
                out.push(dispatch(
                    Kernel::MalaTerms,
                    StepParams { sign: -1.0, ..base },
                    y,
                    x,
                ));
                if base.sites_per_chain() > SUM_BLOCK {
                    out.push(dispatch(Kernel::ChainBlockSums, base, x, y));
                }
                out.push(dispatch(Kernel::MalaAccept, base, x, y));
                out.push(dispatch(Kernel::MalaSelect, base, x, y));
                y
            }
            StepRule::Metropolis { .. } | StepRule::HeatBath { .. } => {
                let flags = self.sweep_flags(base.flags);
                match sweep {
                    Sweep::Sequential => {
                        let p = StepParams { flags, ..base };
                        out.push(dispatch(Kernel::PottsSweep, p, cur, cur.other()));
                        cur.other()
                    }
                    Sweep::Colors(colors) => {
                        // One dispatch per colour, ping-ponging; an odd count leaves the state
                        // in `other`.
                        let mut at = cur;
                        for colour in 0..colors {
                            let p = StepParams {
                                parity: colour,
                                flags,
                                ..base
                            };
                            out.push(dispatch(Kernel::MetropolisSweep, p, at, at.other()));
                            at = at.other();
                        }
                        at
                    }
                }
            }
            StepRule::Hmc {
                step_size,
                leapfrog_steps,
                ..
            } => {
                // x0 stays in `cur`; positions leapfrog between the two other slots.
                let (a, b) = (cur.other(), cur.third(cur.other()));
                out.push(dispatch(Kernel::HmcMomentum, base, cur, a));
                let mut at = cur;
                for k in 0..leapfrog_steps.max(1) {
                    let kick = if k == 0 { 0.5 * step_size } else { step_size };
                    let next = if at == a { b } else { a };
                    let p = StepParams {
                        c_grad: kick,
                        flags: base.flags | FLAG_PROPOSAL,
                        ..base
                    };
                    out.push(dispatch(Kernel::HmcLeapfrog, p, at, next));
                    at = next;
                }
                let closing = StepParams {
                    c_grad: 0.5 * step_size,
                    flags: base.flags | FLAG_FINAL_KICK,
                    ..base
                };
                out.push(dispatch(Kernel::HmcLeapfrog, closing, at, cur));
                if base.sites_per_chain() > SUM_BLOCK {
                    out.push(dispatch(Kernel::ChainBlockSums, base, cur, at));
                }
                out.push(dispatch(Kernel::MalaAccept, base, cur, at));
                out.push(dispatch(Kernel::MalaSelect, base, cur, at));
                at
            }
        }
    }

    /// Whether the step is a Metropolis or heat-bath sweep.
    pub fn is_sweep(&self) -> bool {
        matches!(
            self,
            StepRule::Metropolis { .. } | StepRule::HeatBath { .. }
        )
    }

    /// The dispatch flags of a sweep: `flags`, with [`FLAG_HEAT_BATH`] for a heat-bath sweep.
    fn sweep_flags(&self, flags: u32) -> u32 {
        match self {
            StepRule::HeatBath { .. } => flags | FLAG_HEAT_BATH,
            _ => flags,
        }
    }

    /// Records checkerboard sweeps of Ising spins in multi-spin coding: `multispin_pack` of
    /// the field in `current` into scratch, one `multispin_sweep` per colour for each of
    /// `sweeps` (a sweep rule and the simulation's parameters at its step), and
    /// `multispin_unpack` back into `current`, which holds the field afterwards. The sweeps
    /// take `metropolis_sweep`'s decisions, so the field is the one [`StepRule::record`] makes.
    pub(crate) fn record_multispin(
        sweeps: &[(StepRule, StepParams)],
        current: Slot,
        out: &mut Vec<Dispatch>,
    ) {
        let (Some((_, first)), Some((_, last))) = (sweeps.first(), sweeps.last()) else {
            return;
        };
        let on_scratch = |kernel, params, src: Slot, dst: Slot| Dispatch {
            kernel,
            params,
            src,
            dst,
            aux: Aux::Scratch,
        };
        let other = current.other();
        out.push(on_scratch(Kernel::MultispinPack, *first, current, other));
        for (rule, base) in sweeps {
            for parity in 0..2 {
                let p = StepParams {
                    parity,
                    flags: rule.sweep_flags(base.flags),
                    ..*base
                };
                out.push(on_scratch(Kernel::MultispinSweep, p, current, other));
            }
        }
        out.push(on_scratch(Kernel::MultispinUnpack, *last, other, current));
    }

    /// Records `steps` identical drift steps as one `langevin_fused` dispatch (temporal
    /// blocking in workgroup memory); returns the slot that holds the field afterwards.
    pub(crate) fn record_fused(
        &self,
        base: StepParams,
        current: Slot,
        steps: u32,
        out: &mut Vec<Dispatch>,
    ) -> Slot {
        let StepRule::Drift {
            c_x,
            c_grad,
            c_noise,
            ..
        } = *self
        else {
            unreachable!("only drift steps fuse")
        };
        out.push(Dispatch {
            kernel: Kernel::LangevinFused,
            params: StepParams {
                c_x,
                c_grad,
                c_noise,
                fused_steps: steps,
                ..base
            },
            src: current,
            dst: current.other(),
            aux: Aux::Scratch,
        });
        current.other()
    }
}

/// A sampling run of one of the equilibrium integrators.
#[derive(Clone, Debug, PartialEq)]
pub struct RunConfig {
    /// Langevin, MALA, Metropolis or HMC (annealing is a schedule on Langevin or Metropolis).
    pub method: Method,
    /// η for gradient steps; the proposal width for continuous Metropolis.
    pub step_size: f32,
    /// Temperature over the run (burn-in included).
    pub schedule: TemperatureSchedule,
    /// Steps before the first recorded one.
    pub burn_in: u64,
    /// Steps after burn-in.
    pub steps: u64,
    /// Observables are recorded every this many steps after burn-in.
    pub record_every: u64,
    /// Leapfrog steps per HMC trajectory.
    pub leapfrog_steps: u32,
}

/// Whether a trace of `records` records of `chains` chains is within [`MAX_TRACE_BYTES`].
pub fn trace_fits(records: u64, chains: usize) -> bool {
    records
        .checked_mul((chains * OBSERVABLES * 4) as u64)
        .is_some_and(|bytes| bytes <= MAX_TRACE_BYTES)
}

impl RunConfig {
    /// Checks the run's settings and that its integrator applies to `model` on `shape`.
    pub fn check(&self, model: &EnergyModel, shape: Shape) -> Result<()> {
        if !self.step_size.is_finite() || self.step_size <= 0.0 {
            return Err(IdfError::invalid(
                "step_size",
                format!("{} is not a finite, positive step size", self.step_size),
            ));
        }
        if self.record_every == 0 {
            return Err(IdfError::invalid("record_every", "must be at least 1"));
        }
        if self.steps == 0 {
            return Err(IdfError::invalid("steps", "must be at least 1"));
        }
        if self.burn_in.checked_add(self.steps).is_none() {
            return Err(IdfError::invalid(
                "burn_in",
                format!(
                    "{} + {} steps overflow a step count",
                    self.burn_in, self.steps
                ),
            ));
        }
        if self.method == Method::Hmc && self.leapfrog_steps == 0 {
            return Err(IdfError::invalid("leapfrog_steps", "must be at least 1"));
        }
        // The trace is allocated up front on the backend: refuse one that cannot be.
        let records = (self.steps / self.record_every).saturating_add(1);
        if !trace_fits(records, shape.chains) {
            return Err(IdfError::invalid(
                "steps",
                format!(
                    "{} steps recorded every {} are {records} records of {} chains, over the trace's limit of {} MiB; take fewer steps or record less often (record_every)",
                    self.steps,
                    self.record_every,
                    shape.chains,
                    MAX_TRACE_BYTES >> 20
                ),
            ));
        }
        let method = self.method;
        model.check_method(method, shape)?;
        if matches!(method, Method::Mala | Method::Hmc)
            && self.schedule.start.min(self.schedule.end) <= 0.0
        {
            return Err(IdfError::invalid(
                "temperature",
                format!("{method} samples exp(−E/T) and needs T > 0"),
            ));
        }
        Ok(())
    }

    /// The work of the whole run on `shape`: sites × steps × evaluations per step × the energy's
    /// cost per site, saturating (what a work budget, such as the API's, counts).
    pub fn work(&self, model: &EnergyModel, shape: Shape) -> u64 {
        (shape.len() as u64)
            .saturating_mul(self.burn_in.saturating_add(self.steps))
            .saturating_mul(self.step_rule(model, 0).evaluations_per_site())
            .saturating_mul(model.cost_per_site())
    }

    /// The rule of step `i` of the run (burn-in included) for `model`: the integrator at the
    /// schedule's temperature; annealing runs Metropolis for spins and Langevin otherwise.
    pub fn step_rule(&self, model: &EnergyModel, i: u64) -> StepRule {
        let t = self.schedule.at(i, self.burn_in.saturating_add(self.steps));
        let eta = self.step_size;
        match self.method {
            Method::Hmc => StepRule::Hmc {
                step_size: eta,
                leapfrog_steps: self.leapfrog_steps,
                temperature: t,
            },
            Method::Mala => StepRule::Mala {
                step_size: eta,
                temperature: t,
            },
            m if model.uses_metropolis(m) => StepRule::Metropolis {
                step_size: eta,
                temperature: t,
            },
            _ => StepRule::langevin(eta, t),
        }
    }
}

impl Default for RunConfig {
    /// 1000 Langevin steps with η = 0.01 at T = 1, recorded every step, 10 leapfrog steps for HMC.
    fn default() -> Self {
        RunConfig {
            method: Method::Langevin,
            step_size: 0.01,
            schedule: TemperatureSchedule::constant(1.0),
            burn_in: 0,
            steps: 1000,
            record_every: 1,
            leapfrog_steps: 10,
        }
    }
}
