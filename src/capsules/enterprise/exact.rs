//! The exact optimum of a placement, from an integer linear program solved by COIN-OR CBC
//! (branch and cut) through `good_lp`: the reference that IDF and the baselines are measured
//! against on instances small enough to prove optimal.
//!
//! Variables: x_rn = 1 when replica r runs on node n (none for nodes its zone rule forbids),
//! y_n = 1 when node n is in use, and for each coupled replica pair p = (r, s) its same-node
//! indicator a_p = Σ_n min(x_rn, x_sn) and same-zone indicator b_p = Σ_z min(x_rz, x_sz),
//! linearised (a_pn ≤ x_rn, a_pn ≤ x_sn, a_pn ≥ x_rn + x_sn − 1; likewise per zone). The hard
//! rules are constraints: Σ_n x_rn = 1, each capacity Σ_r d_r x_rn ≤ c_n, x_rn ≤ y_n, and at
//! most one replica of an anti-affine service per node. The objective is the placement energy
//! without its penalty: (w_power idle_n + w_price price_n) y_n + w_power (peak_n − idle_n)
//! cpu_r / cap_n x_rn, each pair's cross-zone cost minus its savings within a zone and on one
//! node, and w_migration per replica off its current node. The entropy reward is not linear;
//! an instance with one is refused.

use std::time::{Duration, Instant};

use good_lp::{
    coin_cbc, constraint, variable, Expression, ProblemVariables, ResolutionError, Solution,
    SolutionStatus, SolverModel, Variable, WithTimeLimit,
};

use crate::engine::energies::placement::PlacementEnergy;
use crate::error::{IdfError, Result};

/// What the ILP solver found.
#[derive(Clone, Debug, PartialEq)]
pub enum ExactOutcome {
    /// An assignment, and whether CBC proved it optimal (false: the time limit stopped it).
    Solved {
        /// A node per replica.
        assignment: Vec<u32>,
        /// Proven optimal.
        optimal: bool,
    },
    /// No placement keeps every hard rule.
    Infeasible,
}

/// Solves the placement of `energy` exactly, within `time_limit`; also returns the time taken.
pub fn solve_exact(
    energy: &PlacementEnergy,
    time_limit: Duration,
) -> Result<(ExactOutcome, Duration)> {
    let w = &energy.graph.weights;
    if w.entropy > 0.0 {
        return Err(IdfError::invalid(
            "weights.entropy",
            "the entropy reward is not linear; the exact solver needs weights.entropy = 0",
        ));
    }
    let started = Instant::now();
    let nodes = &energy.graph.nodes;
    let k = nodes.len();
    let zones = energy.graph.zones();
    let zone_of: Vec<usize> = nodes
        .iter()
        .map(|n| zones.iter().position(|z| *z == n.zone).expect("listed"))
        .collect();
    let mut vars = ProblemVariables::new();
    let x: Vec<Vec<Option<Variable>>> = energy
        .replicas
        .iter()
        .map(|rep| {
            (0..k)
                .map(|n| {
                    energy
                        .allowed(rep.service, n)
                        .then(|| vars.add(variable().binary()))
                })
                .collect()
        })
        .collect();
    let y: Vec<Variable> = (0..k).map(|_| vars.add(variable().binary())).collect();
    let sum = |terms: Vec<Variable>| -> Expression { terms.into_iter().sum() };
    let placed = |r: usize, n: usize| -> Expression {
        x[r][n].map_or_else(|| Expression::from(0.0), Expression::from)
    };
    let in_zone = |r: usize, z: usize| -> Expression {
        sum((0..k)
            .filter(|n| zone_of[*n] == z)
            .filter_map(|n| x[r][n])
            .collect())
    };
    let mut objective = Expression::from(0.0);
    let mut constraints = Vec::new();
    for (n, node) in nodes.iter().enumerate() {
        objective += (w.power * node.idle_power_w + w.price * node.price_per_hour) * y[n];
        let slope = w.power * (node.peak_power_w - node.idle_power_w) / node.cpu;
        let mut cpu = Expression::from(0.0);
        let mut memory = Expression::from(0.0);
        let mut gpu = Expression::from(0.0);
        for (r, rep) in energy.replicas.iter().enumerate() {
            if let Some(v) = x[r][n] {
                objective += slope * rep.cpu * v;
                cpu += rep.cpu * v;
                memory += rep.memory_gib * v;
                gpu += rep.gpu * v;
                constraints.push(constraint!(v <= y[n]));
            }
        }
        constraints.push(constraint!(cpu <= node.cpu));
        constraints.push(constraint!(memory <= node.memory_gib));
        constraints.push(constraint!(gpu <= node.gpu));
    }
    for (r, rep) in energy.replicas.iter().enumerate() {
        let options: Vec<Variable> = x[r].iter().flatten().copied().collect();
        if options.is_empty() {
            return Ok((ExactOutcome::Infeasible, started.elapsed()));
        }
        constraints.push(constraint!(sum(options) == 1.0));
        if let Some(o) = rep.origin {
            objective += w.migration * (Expression::from(1.0) - placed(r, o));
        }
    }
    for p in &energy.pairs {
        if p.anti {
            // At most one of the two on each node.
            for (a, b) in x[p.r].iter().zip(&x[p.s]) {
                if let (Some(a), Some(b)) = (a, b) {
                    constraints.push(constraint!(*a + *b <= 1.0));
                }
            }
            continue;
        }
        let cross = p.affinity + p.traffic * w.traffic_cross_zone;
        let zone_saving = p.traffic * (w.traffic_cross_zone - w.traffic_same_zone);
        let node_saving = p.affinity + p.traffic * w.traffic_same_zone;
        objective += cross;
        for (a, b) in x[p.r].iter().zip(&x[p.s]) {
            if let (Some(a), Some(b)) = (*a, *b) {
                let same = vars.add(variable().min(0.0).max(1.0));
                constraints.push(constraint!(same <= a));
                constraints.push(constraint!(same <= b));
                constraints.push(constraint!(same >= a + b - 1.0));
                objective -= node_saving * same;
            }
        }
        for z in 0..zones.len() {
            let same = vars.add(variable().min(0.0).max(1.0));
            constraints.push(constraint!(same <= in_zone(p.r, z)));
            constraints.push(constraint!(same <= in_zone(p.s, z)));
            constraints.push(constraint!(same >= in_zone(p.r, z) + in_zone(p.s, z) - 1.0));
            objective -= zone_saving * same;
        }
    }
    let mut problem = vars
        .minimise(objective)
        .using(coin_cbc)
        .with_time_limit(time_limit.as_secs_f64().max(1.0));
    problem.set_parameter("logLevel", "0");
    for c in constraints {
        problem.add_constraint(c);
    }
    let outcome = match problem.solve() {
        Ok(solution) => {
            let optimal = matches!(solution.status(), SolutionStatus::Optimal);
            let assignment = x
                .iter()
                .map(|row| {
                    row.iter()
                        .enumerate()
                        .filter_map(|(n, v)| v.map(|v| (n, solution.value(v))))
                        .max_by(|a, b| a.1.total_cmp(&b.1))
                        .expect("every replica has a node")
                        .0 as u32
                })
                .collect();
            ExactOutcome::Solved {
                assignment,
                optimal,
            }
        }
        Err(ResolutionError::Infeasible) => ExactOutcome::Infeasible,
        Err(e) => {
            return Err(IdfError::invalid(
                "exact",
                format!("the ILP solver (CBC) failed: {e}"),
            ))
        }
    };
    Ok((outcome, started.elapsed()))
}
