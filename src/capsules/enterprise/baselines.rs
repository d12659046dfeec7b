//! The baseline EIL optimizers: bin packing heuristics that place replicas one by one, largest
//! first, on a node that fits them (capacity in CPU, memory and GPU, the anti-affinity and zone
//! rules). First-fit decreasing takes the first such node in the service graph's order;
//! best-fit decreasing the one left with the least CPU (Johnson 1974; Coffman, Garey &
//! Johnson, "Approximation algorithms for bin packing", 1996). They see neither traffic nor
//! power; a replica that fits nowhere goes where it overloads least, and the policy reports the
//! broken rule.

use crate::engine::energies::placement::{capacity_slack, PlacementEnergy};

/// Which node a heuristic picks among those that fit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Packing {
    /// The first that fits, in the graph's order.
    FirstFitDecreasing,
    /// The one left with the least CPU after the replica joins.
    BestFitDecreasing,
}

impl Packing {
    /// The heuristic's name in reports.
    pub fn name(self) -> &'static str {
        match self {
            Packing::FirstFitDecreasing => "first-fit-decreasing",
            Packing::BestFitDecreasing => "best-fit-decreasing",
        }
    }
}

/// A replica's size for the decreasing order: its largest demand as a share of the total
/// capacity of that resource.
fn size(energy: &PlacementEnergy, r: usize, totals: [f64; 3]) -> f64 {
    let rep = &energy.replicas[r];
    [rep.cpu, rep.memory_gib, rep.gpu]
        .iter()
        .zip(totals)
        .map(|(d, t)| if t > 0.0 { d / t } else { 0.0 })
        .fold(0.0, f64::max)
}

/// Places every replica of `energy` with the heuristic; returns a node per replica.
pub fn pack(energy: &PlacementEnergy, how: Packing) -> Vec<u32> {
    let nodes = &energy.graph.nodes;
    let caps: Vec<[f64; 3]> = nodes.iter().map(|n| [n.cpu, n.memory_gib, n.gpu]).collect();
    let mut totals = [0.0; 3];
    for c in &caps {
        for k in 0..3 {
            totals[k] += c[k];
        }
    }
    let mut order: Vec<usize> = (0..energy.replicas.len()).collect();
    order.sort_by(|a, b| size(energy, *b, totals).total_cmp(&size(energy, *a, totals)));
    let mut load = vec![[0.0f64; 3]; nodes.len()];
    // Per service and node, whether a replica of the service is there (anti-affinity).
    let services = energy.graph.services.len();
    let mut present = vec![false; services * nodes.len()];
    let mut assignment = vec![0u32; energy.replicas.len()];
    for r in order {
        let rep = &energy.replicas[r];
        let demand = [rep.cpu, rep.memory_gib, rep.gpu];
        let anti = energy.graph.services[rep.service].anti_affinity;
        let fits = |n: usize, load: &[[f64; 3]], present: &[bool]| {
            energy.allowed(rep.service, n)
                && !(anti && present[rep.service * nodes.len() + n])
                && (0..3).all(|k| load[n][k] + demand[k] <= caps[n][k] + capacity_slack(caps[n][k]))
        };
        let candidates = (0..nodes.len()).filter(|n| fits(*n, &load, &present));
        let chosen = match how {
            Packing::FirstFitDecreasing => candidates.min(),
            Packing::BestFitDecreasing => candidates.min_by(|a, b| {
                let left = |n: usize| caps[n][0] - load[n][0] - demand[0];
                left(*a).total_cmp(&left(*b))
            }),
        };
        let n = chosen.unwrap_or_else(|| least_overload(energy, &load, &caps, demand, rep.service));
        for k in 0..3 {
            load[n][k] += demand[k];
        }
        present[rep.service * nodes.len() + n] = true;
        assignment[r] = n as u32;
    }
    assignment
}

/// Where a replica that fits nowhere breaks least: an allowed node with the least overload in
/// capacities' worth (any node if the zone rule allows none).
fn least_overload(
    energy: &PlacementEnergy,
    load: &[[f64; 3]],
    caps: &[[f64; 3]],
    demand: [f64; 3],
    service: usize,
) -> usize {
    let over = |n: usize| -> f64 {
        (0..3)
            .map(|k| ((load[n][k] + demand[k] - caps[n][k]) / caps[n][k].max(1.0)).max(0.0))
            .sum::<f64>()
            + if energy.allowed(service, n) { 0.0 } else { 1e9 }
    };
    (0..caps.len())
        .min_by(|a, b| over(*a).total_cmp(&over(*b)))
        .expect("at least one node")
}
