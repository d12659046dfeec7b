//! Integrators and temperature schedules, and [`Simulation`]: a field resident on a backend,
//! advanced by recorded dispatches.
//!
//! Every step rule is one of three shapes, each a short fixed sequence of kernels:
//! a drift-diffusion step (Langevin, forward noising, DDPM, DDIM), a MALA step
//! (propose, two term passes, accept, select) or a checkerboard Metropolis sweep (two colours).
//! Steps are recorded in segments and submitted once per segment; observables are written to a
//! trace on the backend every K steps and read back once at the end. Divergence is caught by the
//! kernels themselves (the first non-finite step is kept in the status buffer) and checked once
//! per segment. To add an integrator: a [`StepRule`] variant and its dispatches in
//! `Simulation::push_step`.

use std::f64::consts::FRAC_PI_2;
use std::fmt;
use std::str::FromStr;

use crate::context::Context;
use crate::core::energy_field::{EnergyKind, EnergyModel};
use crate::core::executor::Executor;
use crate::core::field::{Field, Shape};
use crate::error::{IdfError, Result};
use crate::kernels::{
    initial_status, Aux, Dispatch, Kernel, Slot, StepParams, FLAG_FINAL_KICK, FLAG_PROPOSAL,
    FLAG_TEMPERING, MAX_FUSED_STEPS, MAX_HIST_BINS, NOT_DIVERGED, OBSERVABLES, OBS_ACCEPTED,
    OBS_ENERGY, OBS_HIST_ENTROPY, OBS_LOG_ALPHA, OBS_M2, OBS_MAX, OBS_MIN, OBS_NONPOSITIVE,
    OBS_SUM, OBS_TEMPERATURE, OBS_XLNX, STATUS_DIVERGED,
};

/// Dispatches recorded before a submission (and a divergence check).
const SEGMENT_DISPATCHES: usize = 1024;

/// How samples are drawn: the `--integrator` of `idf sample`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    /// Unadjusted Langevin: `x ← x − η∇E + √(2ηT) ξ`.
    Langevin,
    /// Metropolis-adjusted Langevin, one accept decision per chain.
    Mala,
    /// Checkerboard single-site Metropolis.
    Metropolis,
    /// Reverse DDPM with the exact score (Gaussian mixtures).
    Ddpm,
    /// Deterministic reverse DDIM with the exact score (Gaussian mixtures).
    Ddim,
    /// Annealing from hot to the target temperature along a schedule (cosine by default):
    /// annealed Langevin for continuous fields, annealed Metropolis for spins.
    Anneal,
    /// Hamiltonian Monte Carlo: leapfrog trajectories with a per-chain Metropolis decision.
    Hmc,
}

impl Method {
    /// Every method name.
    pub const NAMES: [&'static str; 6] =
        ["langevin", "mala", "metropolis", "ddpm", "ddim", "anneal"];

    /// The method's name.
    pub fn name(self) -> &'static str {
        match self {
            Method::Langevin => "langevin",
            Method::Mala => "mala",
            Method::Metropolis => "metropolis",
            Method::Ddpm => "ddpm",
            Method::Ddim => "ddim",
            Method::Anneal => "anneal",
            Method::Hmc => "hmc",
        }
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Method {
    type Err = IdfError;
    fn from_str(s: &str) -> Result<Self> {
        Ok(match s {
            "langevin" => Method::Langevin,
            "mala" => Method::Mala,
            "metropolis" => Method::Metropolis,
            "ddpm" => Method::Ddpm,
            "ddim" => Method::Ddim,
            "anneal" => Method::Anneal,
            "hmc" => Method::Hmc,
            other => {
                return Err(IdfError::invalid(
                    "integrator",
                    format!("`{other}` is not one of {}", Method::NAMES.join(", ")),
                ))
            }
        })
    }
}

/// The shape of a temperature schedule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScheduleKind {
    /// `T` throughout.
    Constant,
    /// Linear from the start to the end temperature.
    Linear,
    /// Geometric (exponential) from the start to the end temperature.
    Geometric,
    /// Along the cosine noise schedule: `T = T_end + (T_start − T_end)(1 − ᾱ)`, the annealed
    /// Langevin reverse process.
    Cosine,
}

impl FromStr for ScheduleKind {
    type Err = IdfError;
    fn from_str(s: &str) -> Result<Self> {
        Ok(match s {
            "constant" => ScheduleKind::Constant,
            "linear" => ScheduleKind::Linear,
            "geometric" => ScheduleKind::Geometric,
            "cosine" => ScheduleKind::Cosine,
            other => {
                return Err(IdfError::invalid(
                    "schedule",
                    format!("`{other}` is not one of constant, linear, geometric, cosine"),
                ))
            }
        })
    }
}

impl ScheduleKind {
    /// The schedule's name.
    pub fn name(self) -> &'static str {
        match self {
            ScheduleKind::Constant => "constant",
            ScheduleKind::Linear => "linear",
            ScheduleKind::Geometric => "geometric",
            ScheduleKind::Cosine => "cosine",
        }
    }
}

/// The cosine schedule's signal fraction at continuous time `tau ∈ [0, 1]`
/// (Nichol & Dhariwal 2021, offset s = 0.008).
pub fn cosine_alpha_bar(tau: f64) -> f64 {
    const S: f64 = 0.008;
    let f = |t: f64| ((t + S) / (1.0 + S) * FRAC_PI_2).cos().powi(2);
    f(tau) / f(0.0)
}

/// Temperature over the steps of a run.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TemperatureSchedule {
    /// The shape.
    pub kind: ScheduleKind,
    /// The temperature at the first step (hot, for annealing).
    pub start: f32,
    /// The temperature at the last step (the target).
    pub end: f32,
}

impl TemperatureSchedule {
    /// A constant temperature.
    pub fn constant(t: f32) -> Self {
        TemperatureSchedule {
            kind: ScheduleKind::Constant,
            start: t,
            end: t,
        }
    }

    /// A checked schedule: finite, non-negative temperatures; positive for a geometric one.
    pub fn new(kind: ScheduleKind, start: f32, end: f32) -> Result<Self> {
        for (name, t) in [("t-start", start), ("temperature", end)] {
            if !t.is_finite() || t < 0.0 {
                return Err(IdfError::invalid(
                    name,
                    format!("{t} is not a finite, non-negative temperature"),
                ));
            }
        }
        if kind == ScheduleKind::Geometric && (start <= 0.0 || end <= 0.0) {
            return Err(IdfError::invalid(
                "schedule",
                "a geometric schedule needs positive start and end temperatures",
            ));
        }
        Ok(TemperatureSchedule { kind, start, end })
    }

    /// The temperature at step `i` of `n`; past the last step it holds the end temperature.
    pub fn at(&self, i: u64, n: u64) -> f32 {
        let s = if n > 1 {
            (i as f64 / (n - 1) as f64).min(1.0)
        } else {
            1.0
        };
        let (a, b) = (self.start as f64, self.end as f64);
        let t = match self.kind {
            ScheduleKind::Constant => b,
            ScheduleKind::Linear => a + (b - a) * s,
            ScheduleKind::Geometric => a * (b / a).powf(s),
            ScheduleKind::Cosine => b + (a - b) * (1.0 - cosine_alpha_bar(1.0 - s)),
        };
        t as f32
    }
}

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

    fn temperature(&self) -> f32 {
        match *self {
            StepRule::Drift { temperature, .. }
            | StepRule::Mala { temperature, .. }
            | StepRule::Metropolis { temperature, .. }
            | StepRule::Hmc { temperature, .. } => temperature,
        }
    }

    fn alpha_bar(&self) -> f32 {
        match *self {
            StepRule::Drift { alpha_bar, .. } => alpha_bar,
            _ => 1.0,
        }
    }

    fn step_size(&self) -> f32 {
        match *self {
            StepRule::Drift { c_grad, .. } => c_grad,
            StepRule::Mala { step_size, .. }
            | StepRule::Metropolis { step_size, .. }
            | StepRule::Hmc { step_size, .. } => step_size,
        }
    }

    /// Proposals per chain per step, for acceptance rates (none for unadjusted steps).
    fn proposals_per_chain(&self, sites_per_chain: usize) -> f64 {
        match self {
            StepRule::Drift { .. } => 0.0,
            StepRule::Mala { .. } | StepRule::Hmc { .. } => 1.0,
            StepRule::Metropolis { .. } => sites_per_chain as f64,
        }
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

impl RunConfig {
    /// Checks the run's settings and that its integrator applies to `model` on `shape`.
    pub fn check(&self, model: &EnergyModel, shape: Shape) -> Result<()> {
        if !self.step_size.is_finite() || self.step_size <= 0.0 {
            return Err(IdfError::invalid(
                "step-size",
                format!("{} is not a finite, positive step size", self.step_size),
            ));
        }
        if self.record_every == 0 {
            return Err(IdfError::invalid("record-every", "must be at least 1"));
        }
        if self.steps == 0 {
            return Err(IdfError::invalid("steps", "must be at least 1"));
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

    /// The rule of step `i` of the run (burn-in included) for `model`: the integrator at the
    /// schedule's temperature; annealing runs Metropolis for spins and Langevin otherwise.
    pub fn step_rule(&self, model: &EnergyModel, i: u64) -> StepRule {
        let t = self.schedule.at(i, self.burn_in + self.steps);
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

/// Which observable to read from a trace.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Observable {
    /// The chain's energy E.
    Energy,
    /// E / sites per chain.
    EnergyPerSite,
    /// Σx over the chain (the mass of a density).
    Sum,
    /// Mean of the field over a chain (the magnetization of spins).
    Mean,
    /// Variance of the field over a chain.
    Variance,
    /// Mean of its square.
    MeanSquare,
    /// |mean|.
    AbsMagnetization,
    /// Smallest value.
    Min,
    /// Largest value.
    Max,
    /// Shannon entropy `−Σ p ln p` of the chain as a positive density, `p = x/Σx`
    /// (NaN where some x ≤ 0: it is not a density).
    DensityEntropy,
    /// Shannon entropy of the chain's fixed-bin value histogram (needs [`Histogram`]).
    HistogramEntropy,
    /// Free energy per site `E/N − T·S_hist` at the record's temperature.
    FreeEnergyPerSite,
    /// Accepted proposals / proposals since the previous record.
    Acceptance,
    /// ΔH = H_end − H_start of the last HMC trajectory (−ln α).
    DeltaH,
    /// The chain's temperature at the record (its rung of the ladder when tempering).
    Temperature,
}

/// The fixed bins of the value histogram behind [`Observable::HistogramEntropy`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Histogram {
    /// Lower edge; smaller values fall in the first bin.
    pub lo: f32,
    /// Upper edge; larger values fall in the last bin.
    pub hi: f32,
    /// Number of bins, 1 to 256.
    pub bins: u32,
}

impl Histogram {
    /// A checked histogram.
    pub fn new(lo: f32, hi: f32, bins: u32) -> Result<Self> {
        if !(lo.is_finite() && hi.is_finite() && lo < hi) {
            return Err(IdfError::invalid(
                "histogram",
                format!("[{lo}, {hi}] is not a range"),
            ));
        }
        if bins == 0 || bins > MAX_HIST_BINS {
            return Err(IdfError::invalid(
                "histogram",
                format!("{bins} bins; use 1 to {MAX_HIST_BINS}"),
            ));
        }
        Ok(Histogram { lo, hi, bins })
    }
}

/// One record of a trace.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TraceRecord {
    /// Steps completed when it was taken.
    pub step: u64,
    /// Temperature of that step.
    pub temperature: f32,
    /// Proposals per chain since the previous record (0 for unadjusted dynamics).
    pub proposals: f64,
}

/// Observables recorded during a run, read back once at its end.
#[derive(Clone, Debug)]
pub struct RunTrace {
    /// Chains.
    pub chains: usize,
    /// Values per chain.
    pub sites_per_chain: usize,
    /// The records.
    pub records: Vec<TraceRecord>,
    values: Vec<f32>,
}

impl RunTrace {
    /// A trace from its parts: `values` holds records × chains × [`OBSERVABLES`] raw slots.
    pub fn from_parts(
        chains: usize,
        sites_per_chain: usize,
        records: Vec<TraceRecord>,
        values: Vec<f32>,
    ) -> Result<Self> {
        if values.len() != records.len() * chains * OBSERVABLES {
            return Err(IdfError::invalid(
                "trace",
                format!(
                    "{} values for {} records of {chains} chains ({OBSERVABLES} each)",
                    values.len(),
                    records.len()
                ),
            ));
        }
        Ok(RunTrace {
            chains,
            sites_per_chain,
            records,
            values,
        })
    }

    /// The raw slots: records × chains × [`OBSERVABLES`] (see the `OBS_*` constants).
    pub fn raw_values(&self) -> &[f32] {
        &self.values
    }

    /// Joins traces of the same chains into one, renumbering the records' steps with `steps`
    /// (one per record, in order).
    pub fn join(parts: Vec<RunTrace>, steps: &[u64]) -> RunTrace {
        let mut parts = parts.into_iter();
        let mut joined = parts.next().unwrap_or(RunTrace {
            chains: 0,
            sites_per_chain: 0,
            records: Vec::new(),
            values: Vec::new(),
        });
        for part in parts {
            joined.append(part);
        }
        for (r, step) in joined.records.iter_mut().zip(steps) {
            r.step = *step;
        }
        joined
    }

    /// Appends the records of `other`, a trace of the same chains, after this trace's own,
    /// keeping their steps. Amortised, it costs only the appended records.
    pub fn append(&mut self, other: RunTrace) {
        debug_assert_eq!(
            (self.chains, self.sites_per_chain),
            (other.chains, other.sites_per_chain),
            "appended traces must hold the same chains"
        );
        self.records.extend(other.records);
        self.values.extend(other.values);
    }

    fn raw(&self, record: usize, chain: usize, k: usize) -> f32 {
        self.values[(record * self.chains + chain) * OBSERVABLES + k]
    }

    /// An observable of one chain at one record, or `None` where it does not apply.
    pub fn value(&self, obs: Observable, record: usize, chain: usize) -> Option<f64> {
        let n = self.sites_per_chain as f64;
        let raw = |k| self.raw(record, chain, k) as f64;
        let mean = raw(OBS_SUM) / n;
        Some(match obs {
            Observable::Energy => raw(OBS_ENERGY),
            Observable::EnergyPerSite => raw(OBS_ENERGY) / n,
            Observable::Sum => raw(OBS_SUM),
            Observable::Mean => mean,
            Observable::Variance => raw(OBS_M2) / n,
            Observable::MeanSquare => raw(OBS_M2) / n + mean * mean,
            Observable::AbsMagnetization => mean.abs(),
            Observable::Min => raw(OBS_MIN),
            Observable::Max => raw(OBS_MAX),
            Observable::DensityEntropy => {
                if self.raw(record, chain, OBS_NONPOSITIVE).to_bits() > 0 {
                    f64::NAN
                } else {
                    raw(OBS_SUM).ln() - raw(OBS_XLNX) / raw(OBS_SUM)
                }
            }
            Observable::HistogramEntropy => {
                let s = raw(OBS_HIST_ENTROPY);
                if s.is_nan() {
                    return None;
                }
                s
            }
            Observable::FreeEnergyPerSite => {
                let s = self.value(Observable::HistogramEntropy, record, chain)?;
                raw(OBS_ENERGY) / n - self.records[record].temperature as f64 * s
            }
            Observable::Acceptance => {
                let proposals = self.records[record].proposals;
                if proposals == 0.0 {
                    return None;
                }
                self.raw(record, chain, OBS_ACCEPTED).to_bits() as f64 / proposals
            }
            Observable::DeltaH => -raw(OBS_LOG_ALPHA),
            Observable::Temperature => raw(OBS_TEMPERATURE),
        })
    }

    /// The total energy of each chain at a record.
    pub fn energies(&self, record: usize) -> Vec<f64> {
        (0..self.chains)
            .map(|c| self.raw(record, c, OBS_ENERGY) as f64)
            .collect()
    }

    /// Per-chain series of an observable over records `from..`, or `None` where it does not apply.
    pub fn series(&self, obs: Observable, from: usize) -> Option<Vec<Vec<f64>>> {
        (0..self.chains)
            .map(|c| {
                (from..self.records.len())
                    .map(|r| self.value(obs, r, c))
                    .collect::<Option<Vec<f64>>>()
            })
            .collect()
    }
}

/// Steps fused per dispatch by default: on hardware GPUs fusion saves dispatches and memory
/// traffic; on software adapters (lavapipe, llvmpipe) workgroup barriers run as CPU loops and the
/// halo's extra work makes it 3–5× slower (measured: 0.74 vs 0.16 ms/step at 64², 9.1 vs 2.9 at
/// 256²), so it is off there.
fn default_fusion(ctx: &Context) -> u32 {
    match ctx.adapter_info() {
        Some(info) if info.device_type != wgpu::DeviceType::Cpu => MAX_FUSED_STEPS,
        _ => 1,
    }
}

/// A field resident on a backend with an energy, advanced by recorded dispatches.
pub struct Simulation {
    model: EnergyModel,
    shape: Shape,
    exec: Executor,
    current: Slot,
    step: u64,
    seed: u32,
    histogram: Option<Histogram>,
    max_fused: u32,
    tempering: bool,
}

/// The replica-exchange ladder as the backend left it.
#[derive(Clone, Debug, PartialEq)]
pub struct LadderState {
    /// Each chain's temperature.
    pub temperatures: Vec<f32>,
    /// The chain at each rank, coldest first.
    pub chain_at_rank: Vec<usize>,
    /// Swap attempts of the pair (rank k, k + 1).
    pub attempts: Vec<u32>,
    /// Accepted swaps of the pair (rank k, k + 1).
    pub accepts: Vec<u32>,
    /// Each chain's completed round trips between the hottest and the coldest rung.
    pub round_trips: Vec<u32>,
}

impl LadderState {
    /// The ladder's temperatures, coldest first.
    pub fn ladder(&self) -> Vec<f32> {
        self.chain_at_rank
            .iter()
            .map(|c| self.temperatures[*c])
            .collect()
    }

    /// Swap acceptance of each neighbouring pair (NaN where none was attempted).
    pub fn acceptance(&self) -> Vec<f64> {
        self.accepts
            .iter()
            .zip(&self.attempts)
            .map(|(a, n)| *a as f64 / *n as f64)
            .take(self.chain_at_rank.len().saturating_sub(1))
            .collect()
    }
}

impl Simulation {
    /// Uploads `initial` for `model` on the context's backend.
    pub fn new(ctx: &Context, model: &EnergyModel, initial: &Field, seed: u32) -> Result<Self> {
        let shape = initial.shape();
        if let EnergyModel::Gmm(g) = model {
            if shape.sites_per_chain() != g.dim() {
                return Err(IdfError::InvalidShape(format!(
                    "the mixture lives in {} dimensions but each chain holds {} values",
                    g.dim(),
                    shape.sites_per_chain()
                )));
            }
        }
        if !initial.is_finite() {
            return Err(IdfError::invalid(
                "field",
                "the initial field has NaN or infinite values",
            ));
        }
        let mut exec = Executor::new(ctx, model, shape)?;
        exec.write_field(Slot::A, initial.data());
        exec.write_status(&initial_status(shape.chains));
        Ok(Simulation {
            model: model.clone(),
            shape,
            exec,
            current: Slot::A,
            step: 0,
            seed,
            histogram: None,
            max_fused: default_fusion(ctx),
            tempering: false,
        })
    }

    /// Gives every chain its own temperature (replica exchange): Langevin and Metropolis steps use
    /// the chain's rung, and after every observation neighbouring rungs swap with probability
    /// min(1, exp((β_i − β_j)(E_i − E_j))) on the backend. Resets the swap counters.
    pub fn set_temperatures(&mut self, temperatures: &[f32]) -> Result<()> {
        let c = self.shape.chains;
        if temperatures.len() != c {
            return Err(IdfError::invalid(
                "temperatures",
                format!("{} temperatures for {c} chains", temperatures.len()),
            ));
        }
        if let Some(t) = temperatures.iter().find(|t| !(t.is_finite() && **t > 0.0)) {
            return Err(IdfError::invalid(
                "temperatures",
                format!("{t} is not a positive temperature"),
            ));
        }
        let mut ranks: Vec<usize> = (0..c).collect();
        ranks.sort_by(|a, b| temperatures[*a].total_cmp(&temperatures[*b]));
        let mut ladder = vec![0u32; crate::kernels::ladder_len(c)];
        for (chain, t) in temperatures.iter().enumerate() {
            ladder[chain] = t.to_bits();
        }
        for (rank, chain) in ranks.iter().enumerate() {
            ladder[c + rank] = *chain as u32;
        }
        self.exec.write_ladder(&ladder);
        self.tempering = true;
        Ok(())
    }

    /// Gives rung `k` (coldest first) the temperature `ladder[k]`, keeping which chain holds
    /// which rung and the swap counters.
    pub fn retune_ladder(&mut self, ladder: &[f32]) -> Result<()> {
        let c = self.shape.chains;
        if !self.tempering || ladder.len() != c {
            return Err(IdfError::invalid(
                "ladder",
                format!("need a running ladder of {c} rungs"),
            ));
        }
        if ladder
            .windows(2)
            .any(|w| !(w[0] > 0.0 && w[0] < w[1] && w[1].is_finite()))
        {
            return Err(IdfError::invalid(
                "ladder",
                "temperatures must be positive and increasing",
            ));
        }
        let mut state = self.exec.read_ladder()?;
        for (k, t) in ladder.iter().enumerate() {
            let chain = state[c + k] as usize;
            state[chain] = t.to_bits();
        }
        self.exec.write_ladder(&state);
        Ok(())
    }

    /// The replica-exchange ladder: temperatures, ranks, swap counts and round trips.
    pub fn ladder_state(&self) -> Result<LadderState> {
        let c = self.shape.chains;
        let l = self.exec.read_ladder()?;
        Ok(LadderState {
            temperatures: l[..c].iter().map(|b| f32::from_bits(*b)).collect(),
            chain_at_rank: l[c..2 * c].iter().map(|r| *r as usize).collect(),
            attempts: l[2 * c..3 * c].to_vec(),
            accepts: l[3 * c..4 * c].to_vec(),
            round_trips: l[5 * c..6 * c].to_vec(),
        })
    }

    /// Records the Shannon entropy of a fixed-bin value histogram with every observation.
    pub fn set_histogram(&mut self, histogram: Option<Histogram>) {
        self.histogram = histogram;
    }

    /// The value histogram recorded with observations, if any.
    pub fn histogram(&self) -> Option<Histogram> {
        self.histogram
    }

    /// Runs recorded dispatches on this simulation's buffers (for samplers built on top).
    pub(crate) fn executor(&mut self) -> &mut Executor {
        &mut self.exec
    }

    /// The slot holding the current field.
    pub(crate) fn current_slot(&self) -> Slot {
        self.current
    }

    /// Makes `slot` the current field.
    pub(crate) fn set_current_slot(&mut self, slot: Slot) {
        self.current = slot;
    }

    /// The dispatch parameters of this simulation at its current step.
    pub(crate) fn params_for(&self, rule: &StepRule) -> StepParams {
        self.base_params(rule)
    }

    /// The energy model.
    pub fn model(&self) -> &EnergyModel {
        &self.model
    }

    /// The field's shape.
    pub fn shape(&self) -> Shape {
        self.shape
    }

    /// Steps taken so far: the step counter that keys the random numbers.
    pub fn steps_taken(&self) -> u64 {
        self.step
    }

    /// Sets the step counter, and with it the random numbers the next step draws: the generator
    /// is counter-based, so `seek(k)` replays step k's noise.
    pub fn seek(&mut self, step: u64) {
        self.step = step;
    }

    /// Downloads the current field.
    pub fn field(&self) -> Result<Field> {
        Field::from_vec(self.shape, self.exec.read_field(self.current)?)
    }

    /// Swaps the energy under the running trajectory: the field, the step count and the random
    /// stream carry on. New parameters of the same energy module are written in place (cheap
    /// enough for every frame of a slider drag); another module (a custom energy's edit) gets
    /// new buffers, with the current field copied over.
    pub fn set_model(&mut self, ctx: &Context, model: &EnergyModel) -> Result<()> {
        let packed = model.packed_params();
        if model.kind() == self.model.kind() && packed.len() == self.model.packed_params().len() {
            self.exec.write_energy_params(&packed);
        } else {
            if self.tempering {
                return Err(IdfError::invalid(
                    "model",
                    "a replica-exchange run keeps its energy module; change its parameters only",
                ));
            }
            if let EnergyModel::Gmm(g) = model {
                if self.shape.sites_per_chain() != g.dim() {
                    return Err(IdfError::InvalidShape(format!(
                        "the mixture lives in {} dimensions but each chain holds {} values",
                        g.dim(),
                        self.shape.sites_per_chain()
                    )));
                }
            }
            let field = self.exec.read_field(self.current)?;
            let mut exec = Executor::new(ctx, model, self.shape)?;
            exec.write_field(Slot::A, &field);
            exec.write_status(&initial_status(self.shape.chains));
            self.exec = exec;
            self.current = Slot::A;
        }
        self.model = model.clone();
        Ok(())
    }

    /// The current value at flat index `index` (`[chain, channel, y, x]` row-major), read
    /// alone: what a cursor read-out needs, without copying the field.
    pub fn value_at(&self, index: usize) -> Result<f32> {
        if index >= self.shape.len() {
            return Err(IdfError::invalid(
                "index",
                format!("{index} is past the field's {} values", self.shape.len()),
            ));
        }
        self.exec.read_value(self.current, index)
    }

    /// Replaces the current field.
    pub fn set_field(&mut self, field: &Field) -> Result<()> {
        if field.shape() != self.shape {
            return Err(IdfError::InvalidShape(format!(
                "expected {:?}, got {:?}",
                self.shape.dims(),
                field.shape().dims()
            )));
        }
        self.exec.write_field(self.current, field.data());
        Ok(())
    }

    /// The GPU buffer holding the current field (f32, row-major `[chains, channels, height,
    /// width]`), for drawing it without a copy; `None` on the CPU backend.
    pub fn gpu_buffer(&self) -> Option<&wgpu::Buffer> {
        self.exec.gpu_buffer(self.current)
    }

    fn base_params(&self, rule: &StepRule) -> StepParams {
        StepParams {
            chains: self.shape.chains as u32,
            channels: self.shape.channels as u32,
            height: self.shape.height as u32,
            width: self.shape.width as u32,
            step: self.step as u32,
            seed: self.seed,
            temperature: rule.temperature(),
            alpha_bar: rule.alpha_bar(),
            step_size: rule.step_size(),
            c_x: 1.0,
            hist_lo: self.histogram.map_or(0.0, |h| h.lo),
            hist_hi: self.histogram.map_or(1.0, |h| h.hi),
            hist_bins: self.histogram.map_or(0, |h| h.bins),
            flags: if self.tempering { FLAG_TEMPERING } else { 0 },
            ..Default::default()
        }
    }

    fn push_step(&mut self, rule: &StepRule, out: &mut Vec<Dispatch>) {
        let base = self.base_params(rule);
        let cur = self.current;
        let dispatch = |kernel, params, src: Slot, dst: Slot| Dispatch {
            kernel,
            params,
            src,
            dst,
            aux: Aux::Scratch,
        };
        match *rule {
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
                self.current = cur.other();
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
                out.push(dispatch(Kernel::MalaAccept, base, x, y));
                out.push(dispatch(Kernel::MalaSelect, base, x, y));
                self.current = y;
            }
            StepRule::Metropolis { .. } => {
                // One dispatch per colour, ping-ponging; an odd count leaves the state in `other`.
                let mut at = cur;
                for colour in 0..self.model.colors() {
                    let p = StepParams {
                        parity: colour,
                        ..base
                    };
                    out.push(dispatch(Kernel::MetropolisSweep, p, at, at.other()));
                    at = at.other();
                }
                self.current = at;
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
                out.push(dispatch(Kernel::MalaAccept, base, cur, at));
                out.push(dispatch(Kernel::MalaSelect, base, cur, at));
                self.current = at;
            }
        }
        self.step += 1;
    }

    /// Steps fused into one `langevin_fused` dispatch at most (1 turns fusion off; the default
    /// is 8 on hardware GPUs and 1 on software adapters). Fusion applies on the GPU to runs of
    /// identical drift steps of φ⁴ with no observation inside.
    pub fn set_fusion(&mut self, max_steps: u32) {
        self.max_fused = max_steps.clamp(1, MAX_FUSED_STEPS);
    }

    /// How many steps from `i` one fused dispatch can take (1: none).
    fn fusible_run(
        &self,
        rule: &StepRule,
        i: u64,
        n: u64,
        rule_of: &dyn Fn(u64) -> StepRule,
        record_at: &dyn Fn(u64) -> bool,
    ) -> u64 {
        let fusible = self.max_fused > 1
            && !self.tempering
            && self.exec.is_gpu()
            && self.model.kind() == EnergyKind::Phi4
            && matches!(rule, StepRule::Drift { .. });
        if !fusible {
            return 1;
        }
        let mut run = 1;
        while run < self.max_fused as u64
            && i + run < n
            && !record_at(i + run)
            && rule_of(i + run) == *rule
        {
            run += 1;
        }
        run
    }

    fn push_fused(&mut self, rule: &StepRule, steps: u32, out: &mut Vec<Dispatch>) {
        let StepRule::Drift {
            c_x,
            c_grad,
            c_noise,
            ..
        } = *rule
        else {
            unreachable!("only drift steps fuse")
        };
        let params = StepParams {
            c_x,
            c_grad,
            c_noise,
            fused_steps: steps,
            ..self.base_params(rule)
        };
        out.push(Dispatch {
            kernel: Kernel::LangevinFused,
            params,
            src: self.current,
            dst: self.current.other(),
            aux: Aux::Scratch,
        });
        self.current = self.current.other();
        self.step += steps as u64;
    }

    /// Advances `n` steps with `rule_of(i)` for step `i`, recording observables after `k` steps
    /// wherever `record_at(k)` holds (`k = 0` is the state before the first step).
    /// `progress(done, n)` is called after each submitted segment.
    pub fn advance(
        &mut self,
        n: u64,
        rule_of: &dyn Fn(u64) -> StepRule,
        record_at: &dyn Fn(u64) -> bool,
        progress: &mut dyn FnMut(u64, u64),
    ) -> Result<RunTrace> {
        let spc = self.shape.sites_per_chain();
        let mut records = Vec::new();
        let mut proposals_since = 0.0;
        let mut plan_records = |k: u64, rule: &StepRule, proposals: &mut f64| {
            if record_at(k) {
                records.push(TraceRecord {
                    step: k,
                    temperature: rule.temperature(),
                    proposals: *proposals,
                });
                *proposals = 0.0;
            }
        };
        for k in 0..=n {
            let rule = rule_of(k.min(n.saturating_sub(1)));
            plan_records(k, &rule, &mut proposals_since);
            if k < n {
                proposals_since += rule.proposals_per_chain(spc);
            }
        }
        self.exec.ensure_trace(records.len());
        self.exec.write_status(&initial_status(self.shape.chains));

        let mut dispatches = Vec::with_capacity(SEGMENT_DISPATCHES + 8);
        let mut record = 0u32;
        let mut push_record = |sim: &Simulation, rule: &StepRule, out: &mut Vec<Dispatch>| {
            out.push(Dispatch {
                kernel: Kernel::ChainObservables,
                params: StepParams {
                    record,
                    ..sim.base_params(rule)
                },
                src: sim.current,
                dst: sim.current.other(),
                aux: Aux::Trace,
            });
            // Replica exchange swaps after every observation of a run (not after a look at the
            // state, such as `chain_stats`), from the energies just recorded.
            if sim.tempering && n > 0 {
                out.push(Dispatch {
                    kernel: Kernel::ReplicaSwap,
                    params: StepParams {
                        record,
                        parity: record % 2,
                        ..sim.base_params(rule)
                    },
                    src: sim.current,
                    dst: sim.current.other(),
                    aux: Aux::Trace,
                });
            }
            record += 1;
        };
        if record_at(0) {
            push_record(self, &rule_of(0), &mut dispatches);
            if n == 0 {
                self.exec.execute(&dispatches)?;
            }
        }
        let mut i = 0;
        while i < n {
            let rule = rule_of(i);
            let run = self.fusible_run(&rule, i, n, rule_of, record_at);
            if run > 1 {
                self.push_fused(&rule, run as u32, &mut dispatches);
            } else {
                self.push_step(&rule, &mut dispatches);
            }
            i += run;
            if record_at(i) {
                push_record(self, &rule, &mut dispatches);
            }
            if dispatches.len() >= SEGMENT_DISPATCHES || i == n {
                self.exec.execute(&dispatches)?;
                dispatches.clear();
                let status = self.exec.read_status()?;
                if status[STATUS_DIVERGED] != NOT_DIVERGED {
                    return Err(IdfError::Diverged {
                        step: status[STATUS_DIVERGED] as u64 + 1,
                        step_size: rule.step_size(),
                        suggested: self.model.stable_step_size(),
                    });
                }
                progress(i, n);
            }
        }
        let values = self.exec.read_trace(records.len())?;
        Ok(RunTrace {
            chains: self.shape.chains,
            sites_per_chain: spc,
            records,
            values,
        })
    }

    /// Runs burn-in and sampling with one of the equilibrium integrators.
    pub fn run(&mut self, cfg: &RunConfig, progress: &mut dyn FnMut(u64, u64)) -> Result<RunTrace> {
        cfg.check(&self.model, self.shape)?;

        let total = cfg.burn_in + cfg.steps;
        let model = self.model.clone();
        let rule_of = |i: u64| cfg.step_rule(&model, i);
        let (burn_in, every) = (cfg.burn_in, cfg.record_every);
        let record_at =
            move |k: u64| k == burn_in || (k > burn_in && (k - burn_in).is_multiple_of(every));
        self.advance(total, &rule_of, &record_at, progress)
    }

    /// ∇E of the current field at noise level `alpha_bar` (1 for the energy itself); the state
    /// is unchanged.
    pub fn energy_gradient(&mut self, alpha_bar: f32) -> Result<Field> {
        let rule = StepRule::Drift {
            c_x: 0.0,
            c_grad: -1.0,
            c_noise: 0.0,
            alpha_bar,
            temperature: 0.0,
        };
        let params = StepParams {
            c_x: 0.0,
            c_grad: -1.0,
            flags: FLAG_PROPOSAL,
            ..self.base_params(&rule)
        };
        self.exec.execute(&[Dispatch {
            kernel: Kernel::LangevinStep,
            params,
            src: self.current,
            dst: self.current.other(),
            aux: Aux::Scratch,
        }])?;
        Field::from_vec(self.shape, self.exec.read_field(self.current.other())?)
    }

    /// The total energy of each chain's current field.
    pub fn energies(&mut self) -> Result<Vec<f64>> {
        Ok(self.chain_stats(None)?.iter().map(|s| s.energy).collect())
    }
}
