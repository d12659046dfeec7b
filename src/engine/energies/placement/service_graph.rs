//! The service-graph format (`docs/service_graph.schema.json`): the services to place, with
//! their demands and rules, the traffic between them, the nodes that can run them, the weights
//! of the placement energy's terms, and optionally the current placement. Read from JSON;
//! every error names its JSON path (`services[2].replicas`).

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{IdfError, Result};

/// The most replicas a service graph may place in all.
pub const MAX_REPLICAS: usize = 100_000;
/// The most nodes a service graph may have.
pub const MAX_NODES: usize = 10_000;
/// The most replica pairs (traffic, affinity and anti-affinity) the energy may couple.
pub const MAX_PAIRS: usize = 20_000_000;

/// Services, traffic and nodes: what `optimize_entropy` places.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceGraph {
    /// The machines replicas can run on.
    pub nodes: Vec<Node>,
    /// The services, each with its replicas.
    pub services: Vec<Service>,
    /// Traffic between services (default none).
    #[serde(default)]
    pub traffic: Vec<Traffic>,
    /// The weights of the placement energy's terms (defaults below).
    #[serde(default)]
    pub weights: Weights,
    /// The current placement: for each service, the node of each replica. A re-optimisation
    /// starts there and pays `weights.migration` per replica it moves.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current: Option<BTreeMap<String, Vec<String>>>,
}

/// A machine.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Node {
    /// Unique name.
    pub name: String,
    /// Its zone (default `default`): traffic across zones costs `weights.traffic_cross_zone`.
    #[serde(default = "default_zone")]
    pub zone: String,
    /// CPU capacity in cores (> 0).
    pub cpu: f64,
    /// Memory capacity in GiB (default 0: no memory demand fits).
    #[serde(default)]
    pub memory_gib: f64,
    /// GPUs (default 0).
    #[serde(default)]
    pub gpu: f64,
    /// Power drawn while on and idle, in watts.
    pub idle_power_w: f64,
    /// Power drawn at full CPU load, in watts; power is linear in the CPU load between them.
    pub peak_power_w: f64,
    /// Price of keeping the node on, per hour (default 0).
    #[serde(default)]
    pub price_per_hour: f64,
}

fn default_zone() -> String {
    "default".to_string()
}

/// A service and the rules its replicas follow.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Service {
    /// Unique name.
    pub name: String,
    /// Replicas to place (≥ 1).
    pub replicas: u32,
    /// CPU demand of one replica, in cores.
    pub cpu: f64,
    /// Memory demand of one replica, in GiB (default 0).
    #[serde(default)]
    pub memory_gib: f64,
    /// GPUs one replica needs (default 0).
    #[serde(default)]
    pub gpu: f64,
    /// No two replicas on one node (a hard rule).
    #[serde(default)]
    pub anti_affinity: bool,
    /// The zones its replicas may run in (a hard rule; default: any).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zones: Option<Vec<String>>,
    /// Services its replicas would rather share nodes with (a soft rule: `weights.affinity`
    /// per service pair, times the fraction of replica pairs apart).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub affinity: Vec<String>,
}

/// Traffic from one service to another, spread evenly over their replica pairs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Traffic {
    /// The calling service.
    pub from: String,
    /// The called service.
    pub to: String,
    /// The rate, in the unit the traffic weights price (MB/s, say).
    pub rate: f64,
}

/// The weights of the placement energy's terms, in cost units.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Weights {
    /// Per watt of power (default 1).
    pub power: f64,
    /// Per unit of node price (default 0).
    pub price: f64,
    /// Per unit of traffic rate between two nodes of one zone (default 1); none on one node.
    pub traffic_same_zone: f64,
    /// Per unit of traffic rate between zones (default 4).
    pub traffic_cross_zone: f64,
    /// Per service pair with an affinity, times the fraction of its replica pairs apart
    /// (default 1).
    pub affinity: f64,
    /// Per replica moved from the current placement (default 0).
    pub migration: f64,
    /// Reward per nat of the entropy of the CPU load over nodes (default 0; > 0 spreads load).
    pub entropy: f64,
    /// Cost of each broken hard rule (capacity, anti-affinity, zone), plus the same per
    /// capacity's worth of overload. Default: just above the largest difference the other
    /// terms can make, so that every feasible placement costs less than any infeasible one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub penalty: Option<f64>,
}

impl Default for Weights {
    fn default() -> Self {
        Weights {
            power: 1.0,
            price: 0.0,
            traffic_same_zone: 1.0,
            traffic_cross_zone: 4.0,
            affinity: 1.0,
            migration: 0.0,
            entropy: 0.0,
            penalty: None,
        }
    }
}

impl ServiceGraph {
    /// Reads and checks a service graph from a JSON file; errors name the file and JSON path.
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|source| IdfError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let value: serde_json::Value =
            serde_json::from_str(&text).map_err(|e| IdfError::Config {
                path: path.to_path_buf(),
                message: format!("not JSON: {e}"),
            })?;
        Self::from_json(value).map_err(|e| IdfError::Config {
            path: path.to_path_buf(),
            message: e.to_string(),
        })
    }

    /// A service graph from JSON (a file's or a request's), checked; errors name the JSON path.
    pub fn from_json(value: serde_json::Value) -> Result<Self> {
        let graph: ServiceGraph = serde_path_to_error::deserialize(value).map_err(|e| {
            let message = e.inner().to_string();
            let path = e.path().to_string();
            let key = match message.split('`').nth(1) {
                Some(missing) if message.starts_with("missing field") => match path.as_str() {
                    "." | "" => missing.to_string(),
                    parent => format!("{parent}.{missing}"),
                },
                _ => path,
            };
            IdfError::invalid(key, message)
        })?;
        graph.check()?;
        Ok(graph)
    }

    /// Checks names, references, numbers and sizes; the error names the JSON path.
    pub fn check(&self) -> Result<()> {
        let bad = |path: String, why: String| Err(IdfError::invalid(path, why));
        if self.nodes.is_empty() {
            return bad("nodes".into(), "needs at least one node".into());
        }
        if self.nodes.len() > MAX_NODES {
            return bad(
                "nodes".into(),
                format!(
                    "{} nodes is over the limit of {MAX_NODES}",
                    self.nodes.len()
                ),
            );
        }
        if self.services.is_empty() {
            return bad("services".into(), "needs at least one service".into());
        }
        let mut node_names = HashMap::new();
        for (k, n) in self.nodes.iter().enumerate() {
            if n.name.is_empty() || node_names.insert(n.name.as_str(), k).is_some() {
                return bad(
                    format!("nodes[{k}].name"),
                    format!("`{}` is empty or names an earlier node", n.name),
                );
            }
            for (key, v) in [
                ("cpu", n.cpu),
                ("memory_gib", n.memory_gib),
                ("gpu", n.gpu),
                ("idle_power_w", n.idle_power_w),
                ("peak_power_w", n.peak_power_w),
                ("price_per_hour", n.price_per_hour),
            ] {
                non_negative(&format!("nodes[{k}].{key}"), v)?;
            }
            if n.cpu <= 0.0 {
                return bad(format!("nodes[{k}].cpu"), "must be above 0".into());
            }
        }
        let zones: Vec<&str> = self.zones();
        let mut service_names = HashMap::new();
        let mut total = 0usize;
        for (k, s) in self.services.iter().enumerate() {
            if s.name.is_empty() || service_names.insert(s.name.as_str(), k).is_some() {
                return bad(
                    format!("services[{k}].name"),
                    format!("`{}` is empty or names an earlier service", s.name),
                );
            }
            if s.replicas == 0 {
                return bad(
                    format!("services[{k}].replicas"),
                    "must be at least 1".into(),
                );
            }
            total += s.replicas as usize;
            if total > MAX_REPLICAS {
                return bad(
                    format!("services[{k}].replicas"),
                    format!("over {MAX_REPLICAS} replicas in all"),
                );
            }
            for (key, v) in [("cpu", s.cpu), ("memory_gib", s.memory_gib), ("gpu", s.gpu)] {
                non_negative(&format!("services[{k}].{key}"), v)?;
            }
            for (z, zone) in s.zones.iter().flatten().enumerate() {
                if !zones.contains(&zone.as_str()) {
                    return bad(
                        format!("services[{k}].zones[{z}]"),
                        format!("no node is in zone `{zone}` (zones: {})", zones.join(", ")),
                    );
                }
            }
            if s.zones.as_ref().is_some_and(|z| z.is_empty()) {
                return bad(
                    format!("services[{k}].zones"),
                    "an empty list allows no zone; leave the key out to allow any".into(),
                );
            }
        }
        for (k, s) in self.services.iter().enumerate() {
            for (a, other) in s.affinity.iter().enumerate() {
                if !service_names.contains_key(other.as_str()) || *other == s.name {
                    return bad(
                        format!("services[{k}].affinity[{a}]"),
                        format!("`{other}` is not another service"),
                    );
                }
            }
        }
        for (k, t) in self.traffic.iter().enumerate() {
            for (key, name) in [("from", &t.from), ("to", &t.to)] {
                if !service_names.contains_key(name.as_str()) {
                    return bad(
                        format!("traffic[{k}].{key}"),
                        format!("`{name}` is not a service"),
                    );
                }
            }
            if t.from == t.to {
                return bad(
                    format!("traffic[{k}].to"),
                    "traffic within one service costs nothing to place; name two services".into(),
                );
            }
            non_negative(&format!("traffic[{k}].rate"), t.rate)?;
        }
        let w = &self.weights;
        for (key, v) in [
            ("power", w.power),
            ("price", w.price),
            ("traffic_same_zone", w.traffic_same_zone),
            ("traffic_cross_zone", w.traffic_cross_zone),
            ("affinity", w.affinity),
            ("migration", w.migration),
            ("entropy", w.entropy),
        ] {
            non_negative(&format!("weights.{key}"), v)?;
        }
        if let Some(p) = w.penalty {
            if !(p.is_finite() && p > 0.0) {
                return bad("weights.penalty".into(), format!("{p}: must be above 0"));
            }
        }
        if let Some(current) = &self.current {
            for (service, nodes) in current {
                let path = format!("current.{service}");
                let Some(&k) = service_names.get(service.as_str()) else {
                    return bad(path, format!("`{service}` is not a service"));
                };
                if nodes.len() != self.services[k].replicas as usize {
                    return bad(
                        path,
                        format!(
                            "{} nodes for {} replicas",
                            nodes.len(),
                            self.services[k].replicas
                        ),
                    );
                }
                for (r, node) in nodes.iter().enumerate() {
                    if !node_names.contains_key(node.as_str()) {
                        return bad(format!("{path}[{r}]"), format!("`{node}` is not a node"));
                    }
                }
            }
        }
        Ok(())
    }

    /// The zones, in the order nodes first name them.
    pub fn zones(&self) -> Vec<&str> {
        let mut zones: Vec<&str> = Vec::new();
        for n in &self.nodes {
            if !zones.contains(&n.zone.as_str()) {
                zones.push(&n.zone);
            }
        }
        zones
    }

    /// Replicas in all.
    pub fn replicas(&self) -> usize {
        self.services.iter().map(|s| s.replicas as usize).sum()
    }
}

fn non_negative(path: &str, v: f64) -> Result<()> {
    if v.is_finite() && v >= 0.0 {
        Ok(())
    } else {
        Err(IdfError::invalid(
            path,
            format!("{v}: must be finite and at least 0"),
        ))
    }
}
