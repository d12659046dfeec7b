//! `optimize_entropy(service_graph)`: the placement of services on nodes as a JSON policy, as
//! `idf optimize --service-graph` and `POST /optimize` run it. The placement energy
//! (`engine::energies::placement`) is searched by replica exchange, simulated annealing or
//! population annealing (`jobs::optimize`) on the backend, the best state is quenched by
//! zero-temperature heat-bath sweeps, and the policy reports the assignment, each node's load
//! and power, the cost of every term, the broken rules (and, when none of the states seen was
//! feasible, the rules no placement can meet), the entropy of the load, and how it was found.
//! The baseline EIL optimizers (first-fit and best-fit decreasing) and, for small instances,
//! the exact optimum run beside it in the same call.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::capsules::enterprise::baselines::{pack, Packing};
use crate::capsules::enterprise::exact::{solve_exact, ExactOutcome};
use crate::capsules::enterprise::telemetry::PowerFit;
use crate::context::Context;
use crate::cpu::energies::placement::PlacementTwin;
use crate::cpu::energies::PottsTwin;
use crate::cpu::shared::rng::{rng_draw, STREAM_INIT};
use crate::engine::energies::placement::{
    Costs, NodeLoad, PlacementEnergy, ServiceGraph, Violation,
};
use crate::engine::energies::EnergyModel;
use crate::engine::schedule::ScheduleKind;
use crate::engine::simulation::Simulation;
use crate::engine::step_rule::StepRule;
use crate::error::{IdfError, Result};
use crate::jobs::optimize::{optimize, OptMethod, OptimizeSpec};

/// The most replicas the exact solver is tried on by default.
pub const EXACT_MAX_REPLICAS: usize = 40;

/// How to search.
#[derive(Clone, Debug)]
pub struct PlacementOptions {
    /// Tempering, anneal or population.
    pub method: OptMethod,
    /// Chains searched side by side (the replicas of tempering, the population).
    pub chains: usize,
    /// Sweeps.
    pub steps: u64,
    /// Hot temperature (default: twice the median cost change of a random move).
    pub t_start: Option<f32>,
    /// Cold temperature (default: t_start / 1000).
    pub t_end: Option<f32>,
    /// Annealing schedule.
    pub schedule: ScheduleKind,
    /// Seed.
    pub seed: u32,
    /// Run the baselines beside the search.
    pub baselines: bool,
    /// Time limit of the exact solver (none: not run); it runs only on instances of at most
    /// [`EXACT_MAX_REPLICAS`] replicas.
    pub exact_time_limit: Option<Duration>,
}

impl Default for PlacementOptions {
    /// Tempering with 16 chains for 2000 sweeps, default temperatures, baselines on, exact
    /// solver with a 20 s limit.
    fn default() -> Self {
        PlacementOptions {
            method: OptMethod::Tempering,
            chains: 16,
            steps: 2000,
            t_start: None,
            t_end: None,
            schedule: ScheduleKind::Geometric,
            seed: 0,
            baselines: true,
            exact_time_limit: Some(Duration::from_secs(20)),
        }
    }
}

/// How a policy was found.
#[derive(Clone, Debug, Serialize)]
pub struct FoundBy {
    /// tempering, anneal, population, first-fit-decreasing, best-fit-decreasing or exact.
    pub method: String,
    /// `cpu` or `gpu`.
    pub backend: String,
    /// Seed.
    pub seed: u32,
    /// Chains searched.
    pub chains: usize,
    /// Sweeps.
    pub steps: u64,
    /// Hot and cold temperatures.
    pub temperatures: (f32, f32),
    /// Wall time until the best placement was first reached, ms.
    pub time_to_best_ms: f64,
    /// Wall time of the search and quench, ms.
    pub wall_ms: f64,
}

/// Another optimizer's placement of the same graph, priced by the same energy.
#[derive(Clone, Debug, Serialize)]
pub struct BaselineResult {
    /// first-fit-decreasing, best-fit-decreasing or exact.
    pub method: String,
    /// Its energy (`None`: it found no placement, the exact solver's infeasible verdict).
    pub cost: Option<f64>,
    /// Whether it keeps every hard rule.
    pub feasible: bool,
    /// For the exact solver: proven optimal within its time limit.
    pub optimal: Option<bool>,
    /// Wall time, ms.
    pub time_ms: f64,
    /// Its assignment, service by service.
    #[serde(skip)]
    pub assignment: Option<Vec<u32>>,
}

/// A placement policy: the JSON `idf optimize --service-graph` writes.
#[derive(Clone, Debug, Serialize)]
pub struct PlacementPolicy {
    /// For each service, the node of each replica (the `current` format of a service graph).
    pub assignment: BTreeMap<String, Vec<String>>,
    /// Each node's load and power.
    pub nodes: Vec<NodeLoad>,
    /// The energy term by term.
    pub costs: Costs,
    /// Whether every hard rule holds.
    pub feasible: bool,
    /// The rules the placement breaks.
    pub violations: Vec<Violation>,
    /// When the placement is infeasible: rules that no placement can meet, as far as simple
    /// counting shows (total capacity, zone capacity, anti-affinity spread, oversized replicas).
    pub cannot_meet: Vec<String>,
    /// Entropy of the CPU load over nodes, nats.
    pub entropy_nats: f64,
    /// Replicas moved from the current placement (when one was given).
    pub moved_replicas: Option<usize>,
    /// How it was found.
    pub found_by: FoundBy,
    /// The baselines of the same run, priced by the same energy.
    pub baselines: Vec<BaselineResult>,
    /// The nodes' power curves refitted from telemetry.
    pub power_fits: Vec<PowerFit>,
    /// What the caller should know (a penalty weight too small).
    pub warnings: Vec<String>,
    /// The assignment as node indices, replica by replica.
    #[serde(skip)]
    pub raw_assignment: Vec<u32>,
}

/// The default hot temperature: twice the median |ΔE| of random moves from random placements
/// that change no hard rule's count (soft changes).
fn default_hot_temperature(energy: &PlacementEnergy, seed: u32) -> f32 {
    let p = energy.packed();
    let (r_count, k) = (energy.replicas.len(), energy.nodes());
    let mut changes = Vec::new();
    for sample in 0..8u32 {
        let a: Vec<u32> = (0..r_count)
            .map(|r| {
                let d = rng_draw(r as u32, sample, 1, seed, STREAM_INIT)[0];
                ((d as u64 * k as u64) >> 32) as u32
            })
            .collect();
        let chain = energy
            .field(std::slice::from_ref(&a))
            .expect("a valid assignment")
            .into_vec();
        for (r, &here) in a.iter().enumerate().take(64) {
            let to = (here as usize + 1 + r % (k - 1).max(1)) % k;
            let de = PlacementTwin.move_change(&p, &chain, r, to).abs() as f64;
            if de > 0.0 && de < 0.5 * energy.penalty {
                changes.push(de);
            }
        }
    }
    changes.sort_by(f64::total_cmp);
    (changes.get(changes.len() / 2).copied().unwrap_or(1.0) * 2.0) as f32
}

/// Rules no placement of `energy` can meet, by counting.
pub fn cannot_meet(energy: &PlacementEnergy) -> Vec<String> {
    let g = &energy.graph;
    let mut out = Vec::new();
    let resources = |n: &crate::engine::energies::placement::Node| [n.cpu, n.memory_gib, n.gpu];
    let names = ["CPU", "memory (GiB)", "GPU"];
    let demand = |s: &crate::engine::energies::placement::Service| {
        [s.cpu, s.memory_gib, s.gpu].map(|d| d * s.replicas as f64)
    };
    for (k, name) in names.iter().enumerate() {
        let need: f64 = g.services.iter().map(|s| demand(s)[k]).sum();
        let have: f64 = g.nodes.iter().map(|n| resources(n)[k]).sum();
        if need > have {
            out.push(format!(
                "capacity: the replicas need {need} {name} in all, the nodes have {have}"
            ));
        }
    }
    for (si, s) in g.services.iter().enumerate() {
        let allowed: Vec<usize> = (0..g.nodes.len())
            .filter(|n| energy.allowed(si, *n))
            .collect();
        if s.anti_affinity && (s.replicas as usize) > allowed.len() {
            out.push(format!(
                "anti_affinity: service {} has {} replicas but only {} nodes it may use",
                s.name,
                s.replicas,
                allowed.len()
            ));
        }
        for k in 0..3 {
            let one = [s.cpu, s.memory_gib, s.gpu][k];
            if one > 0.0 && allowed.iter().all(|n| resources(&g.nodes[*n])[k] < one) {
                out.push(format!(
                    "capacity: one replica of {} needs {one} {}, more than any node it may use has",
                    s.name, names[k]
                ));
            }
            if s.zones.is_some() {
                let have: f64 = allowed.iter().map(|n| resources(&g.nodes[*n])[k]).sum();
                if demand(s)[k] > have {
                    out.push(format!(
                        "zone: service {} needs {} {} in its zones, which have {have}",
                        s.name,
                        demand(s)[k],
                        names[k]
                    ));
                }
            }
        }
    }
    out
}

/// Prices an assignment as a baseline's result.
fn priced(
    energy: &PlacementEnergy,
    method: &str,
    assignment: Option<Vec<u32>>,
    optimal: Option<bool>,
    time: Duration,
) -> BaselineResult {
    BaselineResult {
        method: method.to_string(),
        cost: assignment.as_ref().map(|a| energy.costs(a).total),
        feasible: assignment
            .as_ref()
            .is_some_and(|a| energy.violations(a).is_empty()),
        optimal,
        time_ms: time.as_secs_f64() * 1e3,
        assignment,
    }
}

/// The baselines of `energy`: first-fit and best-fit decreasing, and the exact optimum when
/// `exact_time_limit` is given and the instance has at most [`EXACT_MAX_REPLICAS`] replicas
/// and no entropy reward.
pub fn run_baselines(
    energy: &PlacementEnergy,
    exact_time_limit: Option<Duration>,
) -> Result<Vec<BaselineResult>> {
    let mut out = Vec::new();
    for how in [Packing::FirstFitDecreasing, Packing::BestFitDecreasing] {
        let started = Instant::now();
        let a = pack(energy, how);
        out.push(priced(energy, how.name(), Some(a), None, started.elapsed()));
    }
    if let Some(limit) = exact_time_limit {
        if energy.replicas.len() <= EXACT_MAX_REPLICAS && energy.graph.weights.entropy == 0.0 {
            let (outcome, time) = solve_exact(energy, limit)?;
            out.push(match outcome {
                ExactOutcome::Solved {
                    assignment,
                    optimal,
                } => priced(energy, "exact", Some(assignment), Some(optimal), time),
                ExactOutcome::Infeasible => priced(energy, "exact", None, Some(true), time),
            });
        }
    }
    Ok(out)
}

/// The policy of an assignment found by `found_by`.
pub fn policy_of(
    energy: &PlacementEnergy,
    assignment: Vec<u32>,
    found_by: FoundBy,
) -> PlacementPolicy {
    let g = &energy.graph;
    let mut by_service: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (rep, &n) in energy.replicas.iter().zip(&assignment) {
        by_service
            .entry(g.services[rep.service].name.clone())
            .or_default()
            .push(g.nodes[n as usize].name.clone());
    }
    let nodes = energy.loads(&assignment);
    let violations = energy.violations(&assignment);
    let feasible = violations.is_empty();
    let moved = energy
        .origin()
        .map(|o| o.iter().zip(&assignment).filter(|(a, b)| a != b).count());
    PlacementPolicy {
        assignment: by_service,
        entropy_nats: energy.load_entropy(&nodes),
        costs: energy.costs(&assignment),
        nodes,
        cannot_meet: if feasible {
            Vec::new()
        } else {
            cannot_meet(energy)
        },
        feasible,
        violations,
        moved_replicas: moved,
        found_by,
        baselines: Vec::new(),
        power_fits: Vec::new(),
        warnings: energy.warnings(),
        raw_assignment: assignment,
    }
}

/// Places the services of `graph` on its nodes: the search of `options` on `ctx`, a quench,
/// and the baselines beside it; `progress` gets (done, total) sweeps. A re-optimisation (the
/// graph gives `current`) starts every chain at the current placement.
///
/// Errors: an invalid graph or option, named; a backend failure.
pub fn optimize_entropy(
    ctx: &Context,
    graph: &ServiceGraph,
    options: &PlacementOptions,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<PlacementPolicy> {
    if !matches!(
        options.method,
        OptMethod::Tempering | OptMethod::Anneal | OptMethod::Population
    ) {
        return Err(IdfError::invalid(
            "method",
            format!(
                "{} does not apply to a placement; use tempering, anneal or population (the \
                 bin-packing baselines run beside it)",
                options.method.name()
            ),
        ));
    }
    let energy = PlacementEnergy::new(graph.clone())?;
    let t_start = options
        .t_start
        .unwrap_or_else(|| default_hot_temperature(&energy, options.seed));
    let t_end = options.t_end.unwrap_or(t_start / 1000.0);
    let model = EnergyModel::Placement(energy.clone());
    let initial = match energy.origin() {
        Some(origin) => Some(energy.field(&vec![origin; options.chains.max(1)])?),
        None => None,
    };
    let started = Instant::now();
    let report = optimize(
        ctx,
        &OptimizeSpec {
            model: model.clone(),
            size: None,
            replicas: options.chains,
            steps: options.steps,
            method: options.method,
            schedule: options.schedule,
            t_start,
            t_end,
            step_size: None,
            seed: options.seed,
            agent: None,
            initial,
        },
        progress,
    )?;
    // Quench: zero-temperature heat-bath sweeps until no replica moves (at most 100).
    let mut sim = Simulation::new(ctx, &model, &report.best, options.seed)?;
    let quench = StepRule::HeatBath { temperature: 0.0 };
    let mut last = energy.assignment(report.best.data());
    for _ in 0..100 {
        sim.advance(1, &|_| quench, &|_| false, &mut |_, _| {})?;
        let now = energy.assignment(sim.field()?.data());
        if now == last {
            break;
        }
        last = now;
    }
    let searched = energy.assignment(report.best.data());
    let quenched_better = energy.costs(&last).total < energy.costs(&searched).total;
    let assignment = if quenched_better { last } else { searched };
    let wall_ms = started.elapsed().as_secs_f64() * 1e3;
    let found_by = FoundBy {
        method: options.method.name().to_string(),
        backend: ctx.backend().to_string(),
        seed: options.seed,
        chains: options.chains,
        steps: options.steps,
        temperatures: (t_start, t_end),
        time_to_best_ms: if quenched_better {
            wall_ms
        } else {
            report.time_to_best_ms
        },
        wall_ms,
    };
    let mut policy = policy_of(&energy, assignment, found_by);
    if options.baselines {
        policy.baselines = run_baselines(&energy, options.exact_time_limit)?;
    }
    Ok(policy)
}
