//! Finding the lowest-energy configuration, as `idf optimize` (and later `/optimize`) runs it:
//! replica exchange with an adaptive ladder, simulated annealing, population annealing, and two
//! baselines to compare them with: greedy steepest descent with random restarts (discrete
//! states) and plain gradient descent (continuous fields). Every method reports the best energy,
//! its configuration, the best-so-far trace and the time it took to find it.

use std::str::FromStr;
use std::time::Instant;

use serde::Serialize;

use crate::context::Context;
use crate::engine::ace::{AceAgent, AceDecision, MAX_ROUNDS};
use crate::engine::energies::EnergyModel;
use crate::engine::energies::GraphKind;
use crate::engine::estimates::lowest;
use crate::engine::field::{Field, Shape};
use crate::engine::method::Method;
use crate::engine::population_annealing::population_anneal;
use crate::engine::schedule::{ScheduleKind, TemperatureSchedule};
use crate::engine::simulation::Simulation;
use crate::engine::step_rule::{RunConfig, StepRule};
use crate::error::{IdfError, Result};

/// How to search.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OptMethod {
    /// Replica exchange with an ACE-adapted ladder between `t_end` and `t_start`.
    Tempering,
    /// Simulated annealing of every replica along the schedule.
    Anneal,
    /// Population annealing (the replicas are the population).
    Population,
    /// Greedy single-site steepest descent from random starts (discrete states).
    BaselineGreedy,
    /// Plain gradient descent from random starts (continuous fields).
    BaselineGd,
}

impl OptMethod {
    /// The method's name.
    pub fn name(self) -> &'static str {
        match self {
            OptMethod::Tempering => "tempering",
            OptMethod::Anneal => "anneal",
            OptMethod::Population => "population",
            OptMethod::BaselineGreedy => "baseline-greedy",
            OptMethod::BaselineGd => "baseline-gd",
        }
    }
}

impl FromStr for OptMethod {
    type Err = IdfError;
    fn from_str(s: &str) -> Result<Self> {
        Ok(match s {
            "tempering" => OptMethod::Tempering,
            "anneal" => OptMethod::Anneal,
            "population" => OptMethod::Population,
            "baseline-greedy" => OptMethod::BaselineGreedy,
            "baseline-gd" => OptMethod::BaselineGd,
            other => {
                return Err(IdfError::invalid(
                    "method",
                    format!("`{other}` is not one of tempering, anneal, population, baseline-greedy, baseline-gd"),
                ))
            }
        })
    }
}

/// What to optimise and how.
#[derive(Clone, Debug)]
pub struct OptimizeSpec {
    /// The energy.
    pub model: EnergyModel,
    /// `[height, width]` for lattice models.
    pub size: Option<[usize; 2]>,
    /// Replicas (chains).
    pub replicas: usize,
    /// Steps (sweeps for discrete models); restarts × descent steps for the baselines.
    pub steps: u64,
    /// The method.
    pub method: OptMethod,
    /// Schedule shape for annealing.
    pub schedule: ScheduleKind,
    /// Hot temperature.
    pub t_start: f32,
    /// Cold temperature.
    pub t_end: f32,
    /// Langevin step size or proposal width (default: the model's).
    pub step_size: Option<f32>,
    /// Seed.
    pub seed: u32,
    /// The ACE agent that adapts the tempering ladder during burn-in, its rounds being the
    /// burn-in (default: rounds of 50 steps over the first quarter of the steps).
    pub agent: Option<AceAgent>,
    /// Where every replica starts (a re-optimisation's current state; default: the model's
    /// initial field). Population annealing then equilibrates at `t_start` first, as for
    /// continuous fields, instead of starting from uniformly random states at T = ∞.
    pub initial: Option<Field>,
}

/// The result.
#[derive(Clone, Debug, Serialize)]
pub struct OptimizeReport {
    /// The method's name.
    pub method: &'static str,
    /// `cpu` or `gpu`.
    pub backend: String,
    /// The lowest energy found.
    pub best_energy: f64,
    /// The same per site (node).
    pub best_energy_per_site: f64,
    /// (step, best energy so far) pairs.
    pub energy_trace: Vec<(u64, f64)>,
    /// Wall time until the best energy was first reached.
    pub time_to_best_ms: f64,
    /// Wall time of the whole search.
    pub wall_ms: f64,
    /// The ladder after adaptation (tempering).
    pub ladder: Option<Vec<f32>>,
    /// Swap acceptance of each neighbouring pair after adaptation (tempering).
    pub swap_acceptance: Option<Vec<f64>>,
    /// The ACE agent's decision in each round of burn-in (tempering).
    pub ace_log: Option<Vec<AceDecision>>,
    /// The weight cut by the best configuration (Max-Cut graphs).
    pub cut: Option<f64>,
    /// Free energy at the coldest temperature relative to the hottest, −T_end ln(Z(T_end) /
    /// Z(T_start)), from the population's reweightings (population annealing): each step's
    /// mean weight is an unbiased estimate of Z_{k+1}/Z_k.
    pub free_energy: Option<f64>,
    /// Its standard error, from the effective sample size of every reweighting.
    pub free_energy_stderr: Option<f64>,
    /// What the user should know about the input (a graph's repeated edges, summed).
    pub warnings: Vec<String>,
    /// The best configuration, one chain.
    #[serde(skip)]
    pub best: Field,
}

struct Tracker {
    started: Instant,
    best: f64,
    best_field: Option<Field>,
    time_to_best: f64,
    trace: Vec<(u64, f64)>,
}

impl Tracker {
    fn new() -> Self {
        Tracker {
            started: Instant::now(),
            best: f64::INFINITY,
            best_field: None,
            time_to_best: 0.0,
            trace: Vec::new(),
        }
    }

    /// Looks at every chain's energy after `step` steps and keeps the best configuration.
    fn observe(&mut self, sim: &mut Simulation, step: u64) -> Result<()> {
        let (chain, e) = lowest(&sim.energies()?);
        if e < self.best {
            self.best = e;
            self.time_to_best = self.started.elapsed().as_secs_f64() * 1e3;
            self.best_field = Some(sim.field()?.chain_field(chain));
        }
        self.trace.push((step, self.best));
        Ok(())
    }
}

/// Chunks a search is observed in.
const CHUNKS: u64 = 40;

/// Runs the search on `ctx`, reporting `(done, total)` steps.
pub fn optimize(
    ctx: &Context,
    spec: &OptimizeSpec,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<OptimizeReport> {
    let model = &spec.model;
    for (name, value) in [("replicas", spec.replicas as u64), ("steps", spec.steps)] {
        if value == 0 {
            return Err(IdfError::invalid(name, "must be at least 1"));
        }
    }
    if let Some(eta) = spec.step_size {
        if !(eta.is_finite() && eta > 0.0) {
            return Err(IdfError::invalid(
                "step_size",
                format!("expected a finite number > 0, got {eta}"),
            ));
        }
    }
    if let Some(agent) = &spec.agent {
        if spec.method != OptMethod::Tempering {
            return Err(IdfError::invalid(
                "agent",
                format!(
                    "the ACE agent adapts a tempering ladder; {} has none (use method tempering)",
                    spec.method.name()
                ),
            ));
        }
        agent.check()?;
    }
    if !(spec.t_end > 0.0 && spec.t_end.is_finite()) {
        return Err(IdfError::invalid(
            "temperature",
            format!("{}: need a finite temperature > 0", spec.t_end),
        ));
    }
    if !(spec.t_start >= spec.t_end && spec.t_start.is_finite()) {
        return Err(IdfError::invalid(
            "t_start",
            format!(
                "{}: need a finite start temperature at or above the final {}",
                spec.t_start, spec.t_end
            ),
        ));
    }
    let discrete = model.state().is_discrete();
    let shape = model.shape(spec.replicas, spec.size)?;
    let initial = match &spec.initial {
        Some(field) => {
            if field.shape() != shape {
                return Err(IdfError::invalid(
                    "initial",
                    format!(
                        "a field of shape {:?} for {} replicas of shape {:?}",
                        field.shape().dims(),
                        spec.replicas,
                        shape.dims()
                    ),
                ));
            }
            field.clone()
        }
        None => model.initial_field(shape, spec.seed)?,
    };
    let mut sim = Simulation::new(ctx, model, &initial, spec.seed)?;
    let mut tracker = Tracker::new();
    let integrator = if discrete {
        Method::Metropolis
    } else {
        Method::Langevin
    };
    let step_size = spec
        .step_size
        .unwrap_or_else(|| model.default_step_size(integrator, spec.t_end));
    let mut report_extra: (Option<Vec<f32>>, Option<Vec<f64>>, Option<f64>) = (None, None, None);
    let mut ace_log = None;
    let mut free_energy_stderr = None;
    tracker.observe(&mut sim, 0)?;
    match spec.method {
        OptMethod::Anneal => {
            let schedule = TemperatureSchedule::new(spec.schedule, spec.t_start, spec.t_end)?;
            let cfg = RunConfig {
                method: integrator,
                step_size,
                schedule,
                steps: spec.steps,
                ..RunConfig::default()
            };
            cfg.check(model, shape)?;
            let chunk = spec.steps.div_ceil(CHUNKS);
            let mut done = 0;
            while done < spec.steps {
                let n = chunk.min(spec.steps - done);
                let start = done;
                sim.advance(
                    n,
                    &|i| cfg.step_rule(model, start + i),
                    &|_| false,
                    &mut |_, _| {},
                )?;
                done += n;
                tracker.observe(&mut sim, done)?;
                progress(done, spec.steps);
            }
        }
        OptMethod::Tempering => {
            if spec.replicas < 2 {
                return Err(IdfError::invalid(
                    "replicas",
                    "tempering needs at least 2 replicas",
                ));
            }
            let r = spec.replicas;
            let ratio = (spec.t_start / spec.t_end).powf(1.0 / (r - 1) as f32);
            let ladder: Vec<f32> = (0..r).map(|k| spec.t_end * ratio.powi(k as i32)).collect();
            sim.set_temperatures(&ladder)?;
            let cfg = RunConfig {
                method: integrator,
                step_size,
                schedule: TemperatureSchedule::constant(spec.t_end),
                ..RunConfig::default()
            };
            let (agent, burn_in) = match spec.agent {
                Some(agent) => {
                    let burn_in = agent.rounds as u64 * agent.steps_per_round;
                    if burn_in >= spec.steps {
                        return Err(IdfError::invalid(
                            "agent",
                            format!(
                                "its burn-in of {burn_in} steps ({} rounds of {}) leaves none of the \
                                 {} steps to sample; take more steps or fewer rounds",
                                agent.rounds, agent.steps_per_round, spec.steps
                            ),
                        ));
                    }
                    (agent, burn_in)
                }
                None => {
                    // Rounds of 50 steps over the first quarter, at most MAX_ROUNDS of them
                    // (longer rounds then).
                    let burn_in = spec.steps / 4;
                    let rounds = (burn_in / 50).clamp(1, MAX_ROUNDS as u64);
                    let agent = AceAgent {
                        rounds: rounds as usize,
                        steps_per_round: if rounds == MAX_ROUNDS as u64 {
                            burn_in / rounds
                        } else {
                            50
                        },
                        ..AceAgent::default()
                    };
                    (agent, burn_in)
                }
            };
            let adapted = agent.adapt(&mut sim, &cfg)?;
            tracker.observe(&mut sim, burn_in)?;
            let before = sim.ladder_state()?;
            let rest = spec.steps - burn_in.min(spec.steps);
            let chunk = rest.div_ceil(CHUNKS).max(1);
            let mut done = burn_in;
            while done < spec.steps {
                let n = chunk.min(spec.steps - done);
                sim.run(
                    &RunConfig {
                        steps: n,
                        record_every: 1,
                        ..cfg.clone()
                    },
                    &mut |_, _| {},
                )?;
                done += n;
                tracker.observe(&mut sim, done)?;
                progress(done, spec.steps);
            }
            let after = sim.ladder_state()?;
            let acceptance = (0..r - 1)
                .map(|k| {
                    (after.accepts[k] - before.accepts[k]) as f64
                        / (after.attempts[k] - before.attempts[k]).max(1) as f64
                })
                .collect();
            report_extra.0 = Some(adapted.ladder);
            report_extra.1 = Some(acceptance);
            ace_log = Some(adapted.log);
        }
        OptMethod::Population => {
            let temps = 20usize.min(spec.steps as usize).max(2);
            let ratio = (spec.t_end / spec.t_start).powf(1.0 / (temps - 1) as f32);
            let temperatures: Vec<f32> = (0..temps)
                .map(|k| spec.t_start * ratio.powi(k as i32))
                .collect();
            let sweeps = (spec.steps / temps as u64).max(1);
            // The population starts as exact samples of T_start: random discrete states are
            // exact at T = ∞, so the anneal starts there; a continuous field, or a given
            // starting state, is equilibrated at T_start first.
            let from_infinity = discrete && spec.initial.is_none();
            let from = if from_infinity {
                std::iter::once(f32::INFINITY)
                    .chain(temperatures.iter().copied())
                    .collect()
            } else {
                temperatures.clone()
            };
            let rule = |t: f32| {
                if discrete {
                    StepRule::Metropolis {
                        step_size,
                        temperature: t,
                    }
                } else {
                    StepRule::langevin(step_size, t)
                }
            };
            if !from_infinity {
                let hot = rule(spec.t_start);
                sim.advance(sweeps, &|_| hot, &|_| false, &mut |_, _| {})?;
            }
            let report = population_anneal(ctx, &mut sim, &from, sweeps, &rule, spec.seed)?;
            tracker.observe(&mut sim, spec.steps)?;
            // F = −T_end ln(Z(T_end)/Z(T_start)): the free energy at the cold end relative to
            // the hot start, whose ln Z is not known in general.
            let (start, last) = (from.len() - temperatures.len(), from.len() - 1);
            let t_end = spec.t_end as f64;
            report_extra.2 = Some(-t_end * (report.log_z[last] - report.log_z[start]));
            let variance = report.log_z_stderr[last].powi(2) - report.log_z_stderr[start].powi(2);
            free_energy_stderr = Some(t_end * variance.max(0.0).sqrt());
            progress(spec.steps, spec.steps);
        }
        OptMethod::BaselineGreedy => {
            if !discrete {
                return Err(IdfError::invalid(
                    "method",
                    "baseline-greedy flips discrete states; use baseline-gd for continuous fields",
                ));
            }
            greedy_descent(&mut sim, &mut tracker, spec, progress)?;
        }
        OptMethod::BaselineGd => {
            if discrete {
                return Err(IdfError::invalid(
                    "method",
                    "baseline-gd needs a continuous field; use baseline-greedy for spins",
                ));
            }
            let chunk = spec.steps.div_ceil(CHUNKS);
            let mut done = 0;
            let rule = StepRule::langevin(step_size, 0.0);
            while done < spec.steps {
                let n = chunk.min(spec.steps - done);
                sim.advance(n, &|_| rule, &|_| false, &mut |_, _| {})?;
                done += n;
                tracker.observe(&mut sim, done)?;
                progress(done, spec.steps);
            }
        }
    }
    let best = tracker.best_field.clone().expect("observed at least once");
    let cut = match model {
        EnergyModel::Graph(g) if g.kind == GraphKind::MaxCut => Some(g.cut_value(best.data())),
        _ => None,
    };
    Ok(OptimizeReport {
        method: spec.method.name(),
        backend: ctx.backend().to_string(),
        best_energy: tracker.best,
        best_energy_per_site: tracker.best / shape.sites_per_chain() as f64,
        energy_trace: tracker.trace,
        time_to_best_ms: tracker.time_to_best,
        wall_ms: tracker.started.elapsed().as_secs_f64() * 1e3,
        ladder: report_extra.0,
        swap_acceptance: report_extra.1,
        ace_log,
        cut,
        free_energy: report_extra.2,
        free_energy_stderr,
        warnings: match &spec.model {
            EnergyModel::Graph(g) => g.warnings(),
            _ => Vec::new(),
        },
        best,
    })
}

/// Greedy steepest descent from each replica's random start: flip the site that lowers the
/// energy most until none does, then restart from fresh random states; `steps` counts flips.
fn greedy_descent(
    sim: &mut Simulation,
    tracker: &mut Tracker,
    spec: &OptimizeSpec,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<()> {
    use crate::cpu::energies::EnergyEval;
    use crate::kernels::StepParams;
    let model = sim.model().clone();
    let twin = model
        .energy()
        .twin()
        .expect("discrete energies have a CPU twin");
    let packed = model.packed_params();
    let shape = sim.shape();
    let n = shape.sites_per_chain();
    let params = StepParams {
        chains: 1,
        channels: shape.channels as u32,
        height: shape.height as u32,
        width: shape.width as u32,
        ..Default::default()
    };
    let mut flips = 0u64;
    let mut restart = 0u32;
    while flips < spec.steps {
        let start = model.initial_field(
            Shape::new(1, shape.channels, shape.height, shape.width)?,
            spec.seed.wrapping_add(restart),
        )?;
        let mut x = start.into_vec();
        loop {
            let e = EnergyEval::new(twin, &packed, &params, &x);
            // A spin flip, or 0 ↔ 1 for QUBO: the energy's own discrete move.
            let flip = |v: f32| e.metropolis_proposal(v, [0; 4]);
            let (site, gain) = (0..n)
                .map(|i| (i, e.local_energy_change(i, flip(x[i]))))
                .min_by(|a, b| a.1.total_cmp(&b.1))
                .expect("sites");
            if gain >= 0.0 || flips >= spec.steps {
                break;
            }
            x[site] = flip(x[site]);
            flips += 1;
        }
        let e = EnergyEval::new(twin, &packed, &params, &x);
        let energy: f64 = (0..n).map(|i| e.site_energy(i) as f64).sum();
        if energy < tracker.best {
            tracker.best = energy;
            tracker.time_to_best = tracker.started.elapsed().as_secs_f64() * 1e3;
            tracker.best_field = Some(Field::from_vec(
                Shape::new(1, shape.channels, shape.height, shape.width)?,
                x,
            )?);
        }
        tracker.trace.push((flips, tracker.best));
        progress(flips.min(spec.steps), spec.steps);
        restart += 1;
    }
    Ok(())
}
