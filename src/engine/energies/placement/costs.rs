//! The placement energy in double precision, term by term: what a policy reports and what the
//! backends' single-precision energies are checked against. The terms are those of
//! `shaders/energies/placement.wgsl`, evaluated from an assignment (a node per replica).

use serde::Serialize;

use super::{capacity_slack, PlacementEnergy};

/// The placement energy's terms for one assignment, each already multiplied by its weight.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Costs {
    /// `weights.power` × the power of every node in use (idle plus load-proportional), W.
    pub power: f64,
    /// `weights.price` × the price of every node in use.
    pub price: f64,
    /// Traffic rate × its distance price (none on one node, `traffic_same_zone` within a zone,
    /// `traffic_cross_zone` across zones).
    pub traffic: f64,
    /// `weights.affinity` × the fraction of each affine service pair's replica pairs apart.
    pub affinity: f64,
    /// `weights.migration` × replicas moved from the current placement.
    pub migration: f64,
    /// −`weights.entropy` × the entropy of the CPU load over nodes (a reward, ≤ 0).
    pub entropy: f64,
    /// `weights.penalty` × (broken hard rules + overload in capacities' worth).
    pub penalty: f64,
    /// The energy: the sum of the above.
    pub total: f64,
}

/// What a node carries under an assignment.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct NodeLoad {
    /// The node's name.
    pub node: String,
    /// Replicas on it.
    pub replicas: u32,
    /// CPU load, cores.
    pub cpu: f64,
    /// Memory load, GiB.
    pub memory_gib: f64,
    /// GPU load.
    pub gpu: f64,
    /// CPU load over CPU capacity.
    pub utilisation: f64,
    /// Power drawn, W (0 when no replica runs on it).
    pub power_w: f64,
}

/// A hard rule an assignment breaks.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Violation {
    /// `capacity`, `anti_affinity` or `zone`.
    pub rule: &'static str,
    /// The node (capacity) or service (anti-affinity, zone) concerned.
    pub subject: String,
    /// What is broken, in words.
    pub detail: String,
}

impl PlacementEnergy {
    /// Each node's load under `assignment` (a node index per replica).
    pub fn loads(&self, assignment: &[u32]) -> Vec<NodeLoad> {
        let mut loads: Vec<NodeLoad> = self
            .graph
            .nodes
            .iter()
            .map(|n| NodeLoad {
                node: n.name.clone(),
                replicas: 0,
                cpu: 0.0,
                memory_gib: 0.0,
                gpu: 0.0,
                utilisation: 0.0,
                power_w: 0.0,
            })
            .collect();
        for (r, &n) in assignment.iter().enumerate() {
            let rep = &self.replicas[r];
            let l = &mut loads[n as usize];
            l.replicas += 1;
            l.cpu += rep.cpu;
            l.memory_gib += rep.memory_gib;
            l.gpu += rep.gpu;
        }
        for (l, n) in loads.iter_mut().zip(&self.graph.nodes) {
            l.utilisation = l.cpu / n.cpu;
            if l.replicas > 0 {
                l.power_w = n.idle_power_w + (n.peak_power_w - n.idle_power_w) * l.utilisation;
            }
        }
        loads
    }

    /// The entropy, in nats, of the CPU load's distribution over nodes (0 without CPU demand).
    pub fn load_entropy(&self, loads: &[NodeLoad]) -> f64 {
        let total: f64 = loads.iter().map(|l| l.cpu).sum();
        if total <= 0.0 {
            return 0.0;
        }
        -loads
            .iter()
            .filter(|l| l.cpu > 0.0)
            .map(|l| (l.cpu / total) * (l.cpu / total).ln())
            .sum::<f64>()
    }

    /// The hard rules `assignment` breaks (none: it is feasible).
    pub fn violations(&self, assignment: &[u32]) -> Vec<Violation> {
        let mut out = Vec::new();
        let loads = self.loads(assignment);
        for (l, n) in loads.iter().zip(&self.graph.nodes) {
            for (what, load, cap) in [
                ("CPU", l.cpu, n.cpu),
                ("memory (GiB)", l.memory_gib, n.memory_gib),
                ("GPU", l.gpu, n.gpu),
            ] {
                if load > cap + capacity_slack(cap) {
                    out.push(Violation {
                        rule: "capacity",
                        subject: n.name.clone(),
                        detail: format!("{what} load {load} over capacity {cap}"),
                    });
                }
            }
        }
        for p in self.pairs.iter().filter(|p| p.anti) {
            if assignment[p.r] == assignment[p.s] {
                let service = &self.graph.services[self.replicas[p.r].service].name;
                out.push(Violation {
                    rule: "anti_affinity",
                    subject: service.clone(),
                    detail: format!(
                        "replicas {} and {} share node {}",
                        self.replicas[p.r].index,
                        self.replicas[p.s].index,
                        self.graph.nodes[assignment[p.r] as usize].name
                    ),
                });
            }
        }
        for (r, &n) in assignment.iter().enumerate() {
            let rep = &self.replicas[r];
            if !self.allowed(rep.service, n as usize) {
                let node = &self.graph.nodes[n as usize];
                out.push(Violation {
                    rule: "zone",
                    subject: self.graph.services[rep.service].name.clone(),
                    detail: format!(
                        "replica {} on {} in zone {}, which the service does not allow",
                        rep.index, node.name, node.zone
                    ),
                });
            }
        }
        out
    }

    /// The energy of `assignment`, term by term, in double precision.
    pub fn costs(&self, assignment: &[u32]) -> Costs {
        let w = &self.graph.weights;
        let loads = self.loads(assignment);
        let mut c = Costs::default();
        let mut broken = 0.0;
        for (l, n) in loads.iter().zip(&self.graph.nodes) {
            if l.replicas == 0 {
                continue;
            }
            c.power += w.power * l.power_w;
            c.price += w.price * n.price_per_hour;
            for (load, cap) in [(l.cpu, n.cpu), (l.memory_gib, n.memory_gib), (l.gpu, n.gpu)] {
                broken += overload(load, cap);
            }
        }
        for p in &self.pairs {
            let (u, v) = (assignment[p.r] as usize, assignment[p.s] as usize);
            if u == v {
                broken += p.anti as u32 as f64;
            } else {
                c.affinity += p.affinity;
                c.traffic += p.traffic * self.distance(u, v);
            }
        }
        for (r, &n) in assignment.iter().enumerate() {
            let rep = &self.replicas[r];
            if !self.allowed(rep.service, n as usize) {
                broken += 1.0;
            }
            if rep.origin.is_some_and(|o| o != n as usize) {
                c.migration += w.migration;
            }
        }
        if w.entropy > 0.0 {
            c.entropy = -w.entropy * self.load_entropy(&loads);
        }
        c.penalty = self.penalty * broken;
        c.total = c.power + c.price + c.traffic + c.affinity + c.migration + c.entropy + c.penalty;
        c
    }
}

/// The penalty count of a load against a capacity: 0 when it fits (within the slack), else 1
/// for the broken rule plus the overload in capacities' worth (at least one unit's worth).
pub fn overload(load: f64, cap: f64) -> f64 {
    if load > cap + capacity_slack(cap) {
        1.0 + (load - cap) / cap.max(1.0)
    } else {
        0.0
    }
}
