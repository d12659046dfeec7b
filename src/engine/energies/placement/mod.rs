//! The placement energy: replicas of services placed on nodes, one categorical (Potts) variable
//! per replica taking one of K node labels. Its terms are power (idle power of every node in
//! use plus power proportional to CPU load), node price, traffic priced by distance (same node,
//! same zone, across zones), soft affinity, migration from a current placement, an optional
//! reward for the entropy of the CPU load over nodes, and a penalty for every broken hard rule
//! (capacity in CPU, memory and GPU; anti-affinity; allowed zones). Sampled by
//! `shaders/potts_sweep.wgsl` (Metropolis moves and swaps, or heat-bath over all nodes).
//!
//! A chain's field is its assignment (the node of each replica, as f32) followed by four values
//! per node, its replica count and CPU, memory and GPU loads, which the sweep keeps in step
//! with the assignment; the node terms read them, so each term is local to a site and the
//! energy change of a move reads two nodes, not every replica.
//!
//! Module `shaders/energies/placement.wgsl`, twin `src/cpu/energies/placement.rs`; the same
//! energy in f64, term by term, in [`costs`]; the format in [`service_graph`].

pub mod costs;
pub mod service_graph;

use std::collections::HashMap;
use std::sync::OnceLock;

use serde_json::json;

use super::Sweep;
use super::{unknown_param, Energy, EnergyExample, EnergyModel, EnergySpec, ParamValue, StateKind};
use crate::cpu::energies::placement::PlacementTwin;
use crate::cpu::energies::EnergyTwin;
use crate::cpu::shared::rng::{rng_draw, STREAM_INIT};
use crate::engine::field::{Field, Shape};
use crate::engine::method::Method;
use crate::error::{IdfError, Result};
use crate::kernels::EnergyModule;

pub use costs::{Costs, NodeLoad, Violation};
use service_graph::MAX_PAIRS;
pub use service_graph::{Node, Service, ServiceGraph, Traffic, Weights};

/// Values per replica in `energy_params`: service, CPU, memory, GPU, origin node.
pub const REPLICA_STRIDE: usize = 5;
/// Values per node in `energy_params`: zone, CPU, memory and GPU capacity, idle and peak power,
/// price, and one unused.
pub const NODE_STRIDE: usize = 8;
/// Values per coupling (one direction of a replica pair): partner, cost on one node, cost
/// within a zone, cost across zones.
pub const PAIR_STRIDE: usize = 4;
/// Values per node in a chain's field after the assignment: replicas, CPU, memory, GPU load.
pub const NODE_STATE: usize = 4;
/// Where the replica table starts in `energy_params` (after the header).
pub const HEADER: usize = 16;
/// The origin of a replica with no current node.
pub const NO_ORIGIN: u32 = u32::MAX;

/// The slack within which a load counts as fitting a capacity: single-precision sums of
/// demands (the backends' node loads) round at about 10⁻⁷ relative.
pub fn capacity_slack(cap: f64) -> f64 {
    1e-5 * cap.max(1.0)
}

/// The placement energy's registration: built from a service graph, not by name.
pub static SPEC: EnergySpec = EnergySpec {
    name: "placement",
    summary: "service placement E = power + price + traffic·distance + affinity + migration − w·S(load) + penalty·(broken rules), a node label per replica",
    params: &[],
    state: StateKind::Assignment,
    methods: &[Method::Metropolis, Method::Anneal],
    new: None,
    example: || EnergyExample {
        model: EnergyModel::Placement(
            PlacementEnergy::new(example_graph()).expect("a valid service graph"),
        ),
        size: None,
        third_derivative: 0.0,
    },
};

/// A small service graph with every kind of term: three nodes in two zones, three services
/// with traffic, affinity, anti-affinity and a zone rule, a current placement and an entropy
/// reward.
pub fn example_graph() -> ServiceGraph {
    serde_json::from_value(json!({
        "nodes": [
            {"name": "a1", "zone": "a", "cpu": 8, "memory_gib": 32, "gpu": 1,
             "idle_power_w": 90, "peak_power_w": 250, "price_per_hour": 0.5},
            {"name": "a2", "zone": "a", "cpu": 4, "memory_gib": 16,
             "idle_power_w": 50, "peak_power_w": 120, "price_per_hour": 0.2},
            {"name": "b1", "zone": "b", "cpu": 8, "memory_gib": 32,
             "idle_power_w": 70, "peak_power_w": 200, "price_per_hour": 0.4}
        ],
        "services": [
            {"name": "web", "replicas": 3, "cpu": 1, "memory_gib": 2, "anti_affinity": true},
            {"name": "api", "replicas": 2, "cpu": 2, "memory_gib": 4, "affinity": ["db"]},
            {"name": "db", "replicas": 1, "cpu": 2, "memory_gib": 8, "gpu": 1, "zones": ["a"]}
        ],
        "traffic": [
            {"from": "web", "to": "api", "rate": 30},
            {"from": "api", "to": "db", "rate": 12}
        ],
        "weights": {"price": 10, "migration": 5, "entropy": 20},
        "current": {"db": ["a1"]}
    }))
    .expect("the example parses")
}

/// One replica as the energy sees it.
#[derive(Clone, Debug, PartialEq)]
pub struct Replica {
    /// Its service (index into the graph's services).
    pub service: usize,
    /// Its index within the service.
    pub index: u32,
    /// CPU demand, cores.
    pub cpu: f64,
    /// Memory demand, GiB.
    pub memory_gib: f64,
    /// GPU demand.
    pub gpu: f64,
    /// Its node in the current placement, if one was given.
    pub origin: Option<usize>,
}

/// A coupled replica pair `r < s`.
#[derive(Clone, Debug, PartialEq)]
pub struct Pair {
    /// The first replica.
    pub r: usize,
    /// The second replica.
    pub s: usize,
    /// Traffic rate between the two (the services' rate over their replica pairs).
    pub traffic: f64,
    /// Affinity cost when apart (the weight over the services' replica pairs).
    pub affinity: f64,
    /// Whether sharing a node breaks the service's anti-affinity.
    pub anti: bool,
}

/// The placement energy of a service graph.
#[derive(Clone, Debug, PartialEq)]
pub struct PlacementEnergy {
    /// The service graph (boxed: every energy model is a variant of one enum).
    pub graph: Box<ServiceGraph>,
    /// Every replica, service by service.
    pub replicas: Vec<Replica>,
    /// The coupled replica pairs.
    pub pairs: Vec<Pair>,
    /// Cost per broken hard rule: `weights.penalty`, or just above [`Self::soft_cost_bound`].
    pub penalty: f64,
    /// Node indices of the zone of each node.
    zone_of: Vec<u32>,
    /// `allowed[service * K + node]`.
    allowed: Vec<bool>,
}

impl PlacementEnergy {
    /// The energy of a checked service graph; an error if it couples too many replica pairs.
    pub fn new(graph: ServiceGraph) -> Result<Self> {
        graph.check()?;
        let zones = graph.zones();
        let zone_of: Vec<u32> = graph
            .nodes
            .iter()
            .map(|n| zones.iter().position(|z| *z == n.zone).expect("listed") as u32)
            .collect();
        let node_index: HashMap<&str, usize> = graph
            .nodes
            .iter()
            .enumerate()
            .map(|(k, n)| (n.name.as_str(), k))
            .collect();
        let mut replicas = Vec::with_capacity(graph.replicas());
        let mut first = Vec::with_capacity(graph.services.len());
        for (k, s) in graph.services.iter().enumerate() {
            first.push(replicas.len());
            let current = graph.current.as_ref().and_then(|c| c.get(&s.name));
            for index in 0..s.replicas {
                replicas.push(Replica {
                    service: k,
                    index,
                    cpu: s.cpu,
                    memory_gib: s.memory_gib,
                    gpu: s.gpu,
                    origin: current.map(|nodes| node_index[nodes[index as usize].as_str()]),
                });
            }
        }
        let service_index: HashMap<&str, usize> = graph
            .services
            .iter()
            .enumerate()
            .map(|(k, s)| (s.name.as_str(), k))
            .collect();
        let reps = |k: usize| graph.services[k].replicas as usize;
        // Service pairs (a < b) with their total traffic and affinity; anti-affinity within a
        // service.
        let mut links: HashMap<(usize, usize), (f64, bool)> = HashMap::new();
        for t in &graph.traffic {
            let (a, b) = (service_index[t.from.as_str()], service_index[t.to.as_str()]);
            links.entry((a.min(b), a.max(b))).or_default().0 += t.rate;
        }
        for (a, s) in graph.services.iter().enumerate() {
            for other in &s.affinity {
                let b = service_index[other.as_str()];
                links.entry((a.min(b), a.max(b))).or_default().1 = true;
            }
        }
        let mut count = 0usize;
        for (&(a, b), _) in links.iter() {
            count = count.saturating_add(reps(a) * reps(b));
        }
        for (k, s) in graph.services.iter().enumerate() {
            if s.anti_affinity {
                count = count.saturating_add(reps(k) * (reps(k) - 1) / 2);
            }
        }
        if count > MAX_PAIRS {
            return Err(IdfError::invalid(
                "services",
                format!("traffic, affinity and anti-affinity couple {count} replica pairs, over the limit of {MAX_PAIRS}"),
            ));
        }
        let mut pairs = Vec::with_capacity(count);
        let mut ordered: Vec<_> = links.into_iter().collect();
        ordered.sort_by_key(|(k, _)| *k);
        let w = &graph.weights;
        for ((a, b), (rate, affine)) in ordered {
            let n = (reps(a) * reps(b)) as f64;
            for r in first[a]..first[a] + reps(a) {
                for s in first[b]..first[b] + reps(b) {
                    pairs.push(Pair {
                        r: r.min(s),
                        s: r.max(s),
                        traffic: rate / n,
                        affinity: if affine { w.affinity / n } else { 0.0 },
                        anti: false,
                    });
                }
            }
        }
        for (k, s) in graph.services.iter().enumerate() {
            if s.anti_affinity {
                for r in first[k]..first[k] + reps(k) {
                    for q in r + 1..first[k] + reps(k) {
                        pairs.push(Pair {
                            r,
                            s: q,
                            traffic: 0.0,
                            affinity: 0.0,
                            anti: true,
                        });
                    }
                }
            }
        }
        let k_nodes = graph.nodes.len();
        let mut allowed = vec![true; graph.services.len() * k_nodes];
        for (k, s) in graph.services.iter().enumerate() {
            if let Some(zones) = &s.zones {
                for (n, node) in graph.nodes.iter().enumerate() {
                    allowed[k * k_nodes + n] = zones.contains(&node.zone);
                }
            }
        }
        let mut energy = PlacementEnergy {
            graph: Box::new(graph),
            replicas,
            pairs,
            penalty: 0.0,
            zone_of,
            allowed,
        };
        energy.penalty = energy
            .graph
            .weights
            .penalty
            .unwrap_or_else(|| energy.soft_cost_bound() + 1.0);
        Ok(energy)
    }

    /// Nodes (labels).
    pub fn nodes(&self) -> usize {
        self.graph.nodes.len()
    }

    /// Whether `service` may run on `node` (its zone rule).
    pub fn allowed(&self, service: usize, node: usize) -> bool {
        self.allowed[service * self.nodes() + node]
    }

    /// The traffic price between two distinct nodes.
    pub fn distance(&self, u: usize, v: usize) -> f64 {
        let w = &self.graph.weights;
        if u == v {
            0.0
        } else if self.zone_of[u] == self.zone_of[v] {
            w.traffic_same_zone
        } else {
            w.traffic_cross_zone
        }
    }

    /// A bound on how much the soft terms (everything but the penalty) can differ between two
    /// placements: each is at least 0 (the entropy reward at least −w·ln K) and at most the
    /// value it takes with every node in use at the whole CPU demand, every pair apart at the
    /// dearer distance and every replica moved. A penalty above it makes every feasible
    /// placement cost less than any infeasible one.
    pub fn soft_cost_bound(&self) -> f64 {
        let w = &self.graph.weights;
        let demand: f64 = self.replicas.iter().map(|r| r.cpu).sum();
        let power: f64 = self
            .graph
            .nodes
            .iter()
            .map(|n| n.idle_power_w.max(n.peak_power_w) * (1.0 + demand / n.cpu))
            .sum();
        let price: f64 = self.graph.nodes.iter().map(|n| n.price_per_hour).sum();
        let far = w.traffic_same_zone.max(w.traffic_cross_zone);
        let pairs: f64 = self
            .pairs
            .iter()
            .map(|p| p.traffic * far + p.affinity)
            .sum();
        w.power * power
            + w.price * price
            + pairs
            + w.migration * self.replicas.len() as f64
            + w.entropy * (self.nodes() as f64).ln()
    }

    /// Warnings about the weights: a penalty too small to keep the optimum feasible.
    pub fn warnings(&self) -> Vec<String> {
        let bound = self.soft_cost_bound();
        if self.penalty <= bound {
            vec![format!(
                "weights.penalty {} is not above {bound:.6e}, the most the other terms can differ by: \
                 a placement that breaks a rule may cost less than a feasible one",
                self.penalty
            )]
        } else {
            Vec::new()
        }
    }

    /// The `energy_params` layout of `shaders/energies/placement.wgsl`.
    pub fn packed(&self) -> Vec<f32> {
        let bits = f32::from_bits;
        let (r_count, k) = (self.replicas.len(), self.nodes());
        let s_count = self.graph.services.len();
        let w = &self.graph.weights;
        let demand: f64 = self.replicas.iter().map(|r| r.cpu).sum();
        let nodes_at = HEADER + REPLICA_STRIDE * r_count;
        let allowed_at = nodes_at + NODE_STRIDE * k;
        let rows_at = allowed_at + s_count * k;
        let pairs_at = rows_at + r_count + 1;
        let mut out = vec![0.0f32; HEADER];
        out[0] = bits(r_count as u32);
        out[1] = bits(k as u32);
        out[2] = demand as f32;
        out[3] = self.penalty as f32;
        out[4] = w.power as f32;
        out[5] = w.price as f32;
        out[6] = w.entropy as f32;
        out[7] = w.migration as f32;
        out[8] = bits(nodes_at as u32);
        out[9] = bits(allowed_at as u32);
        out[10] = bits(rows_at as u32);
        out[11] = bits(pairs_at as u32);
        for rep in &self.replicas {
            out.extend([
                bits(rep.service as u32),
                rep.cpu as f32,
                rep.memory_gib as f32,
                rep.gpu as f32,
                bits(rep.origin.map_or(NO_ORIGIN, |o| o as u32)),
            ]);
        }
        for (n, node) in self.graph.nodes.iter().enumerate() {
            out.extend([
                bits(self.zone_of[n]),
                node.cpu as f32,
                node.memory_gib as f32,
                node.gpu as f32,
                node.idle_power_w as f32,
                node.peak_power_w as f32,
                node.price_per_hour as f32,
                0.0,
            ]);
        }
        out.extend(self.allowed.iter().map(|a| *a as u32 as f32));
        let mut rows = vec![Vec::new(); r_count];
        for p in &self.pairs {
            let far = |d: f64| (p.affinity + p.traffic * d) as f32;
            let same = if p.anti { self.penalty as f32 } else { 0.0 };
            let entry = |other: usize| {
                [
                    bits(other as u32),
                    same,
                    far(w.traffic_same_zone),
                    far(w.traffic_cross_zone),
                ]
            };
            rows[p.r].push(entry(p.s));
            rows[p.s].push(entry(p.r));
        }
        let mut acc = 0u32;
        out.push(bits(0));
        for row in &rows {
            acc += row.len() as u32;
            out.push(bits(acc));
        }
        out.extend(rows.iter().flatten().flatten());
        out
    }

    /// The field of one chain per assignment: each assignment (a node per replica) followed by
    /// the node state (replica count and CPU, memory and GPU loads) it implies.
    pub fn field(&self, assignments: &[Vec<u32>]) -> Result<Field> {
        let (r_count, k) = (self.replicas.len(), self.nodes());
        let n = r_count + NODE_STATE * k;
        let shape = Shape::new(assignments.len(), 1, 1, n)?;
        let mut data = Vec::with_capacity(shape.len());
        for (c, a) in assignments.iter().enumerate() {
            if a.len() != r_count || a.iter().any(|x| *x as usize >= k) {
                return Err(IdfError::invalid(
                    "assignment",
                    format!("chain {c}: need {r_count} node indices below {k}"),
                ));
            }
            data.extend(a.iter().map(|x| *x as f32));
            let mut state = vec![0.0f32; NODE_STATE * k];
            for (rep, &x) in self.replicas.iter().zip(a) {
                let s = &mut state[NODE_STATE * x as usize..][..NODE_STATE];
                s[0] += 1.0;
                s[1] += rep.cpu as f32;
                s[2] += rep.memory_gib as f32;
                s[3] += rep.gpu as f32;
            }
            data.extend(state);
        }
        Field::from_vec(shape, data)
    }

    /// The assignment a chain's values hold (a node per replica).
    pub fn assignment(&self, chain_values: &[f32]) -> Vec<u32> {
        chain_values[..self.replicas.len()]
            .iter()
            .map(|x| *x as u32)
            .collect()
    }

    /// The current placement, if the graph gives one for every service.
    pub fn origin(&self) -> Option<Vec<u32>> {
        self.replicas
            .iter()
            .map(|r| r.origin.map(|o| o as u32))
            .collect()
    }
}

fn module() -> EnergyModule {
    static MODULE: OnceLock<EnergyModule> = OnceLock::new();
    MODULE
        .get_or_init(|| {
            EnergyModule::new(
                "energies/placement",
                include_str!("../../../../shaders/energies/placement.wgsl"),
            )
            .with_potts_moves()
        })
        .clone()
}

impl Energy for PlacementEnergy {
    fn spec(&self) -> &'static EnergySpec {
        &SPEC
    }

    fn module(&self) -> EnergyModule {
        module()
    }

    fn twin(&self) -> Option<&'static dyn EnergyTwin> {
        Some(&PlacementTwin)
    }

    fn packed_params(&self) -> Vec<f32> {
        self.packed()
    }

    /// None: the weights come with the service graph.
    fn params(&self) -> Vec<ParamValue> {
        Vec::new()
    }

    fn set_value(&mut self, name: &str, _value: f32) -> Result<()> {
        Err(unknown_param(self, name))
    }

    fn params_json(&self) -> serde_json::Value {
        json!({
            "replicas": self.replicas.len(),
            "nodes": self.nodes(),
            "pairs": self.pairs.len(),
            "penalty": self.penalty,
        })
    }

    /// None: the variables are categorical.
    fn curvature_bound(&self) -> f32 {
        0.0
    }

    fn unsupported_reason(&self, _method: Method) -> &'static str {
        "a placement is a node label per replica, with no gradient; use metropolis, anneal or tempering"
    }

    /// The assignment and the node state; a size is refused.
    fn shape(&self, chains: usize, size: Option<[usize; 2]>) -> Result<Shape> {
        match size {
            None => Shape::new(
                chains,
                1,
                1,
                self.replicas.len() + NODE_STATE * self.nodes(),
            ),
            Some(_) => Err(IdfError::InvalidShape(
                "a placement's size is its replicas and nodes; it takes no --size".into(),
            )),
        }
    }

    fn check_shape(&self, shape: Shape) -> Result<()> {
        let n = self.replicas.len() + NODE_STATE * self.nodes();
        if shape.sites_per_chain() != n {
            return Err(IdfError::InvalidShape(format!(
                "{} replicas on {} nodes need {n} values per chain, not {}",
                self.replicas.len(),
                self.nodes(),
                shape.sites_per_chain()
            )));
        }
        Ok(())
    }

    /// Uniformly random assignments: an exact sample at infinite temperature.
    fn initial_field(&self, shape: Shape, seed: u32) -> Result<Field> {
        self.check_shape(shape)?;
        let k = self.nodes() as u64;
        let assignments: Vec<Vec<u32>> = (0..shape.chains)
            .map(|c| {
                (0..self.replicas.len())
                    .map(|r| {
                        let draw = rng_draw(r as u32, c as u32, 0, seed, STREAM_INIT)[0];
                        ((draw as u64 * k) >> 32) as u32
                    })
                    .collect()
            })
            .collect();
        self.field(&assignments)
    }

    /// A replica's move reads its coupled pairs and two nodes.
    fn cost_per_site(&self) -> u64 {
        2 + (2 * self.pairs.len()).div_ceil(self.replicas.len().max(1)) as u64
    }

    /// Every replica's move reads the loads of the nodes it leaves and joins, so no two
    /// replicas are independent: one workgroup per chain sweeps them in order.
    fn sweep(&self) -> Sweep {
        Sweep::Sequential
    }
}
