//! Generated placement instances for benchmarks and tests: a microservice graph (services in a
//! call chain with side calls), heterogeneous nodes in three zones, CPU demand about 55 % of
//! the capacity so that feasible placements exist but are not trivial. Deterministic in the
//! seed (IDF's counter-based random numbers).

use crate::cpu::shared::rng::{rng_draw, unit_closed_open};
use crate::engine::energies::placement::{Node, Service, ServiceGraph, Traffic, Weights};

/// Stream of the generator's draws.
const STREAM_INSTANCES: u32 = 11;

/// A service graph with about `replicas` replicas (at least 4), from `seed`.
pub fn generate(replicas: usize, seed: u32) -> ServiceGraph {
    let mut counter = 0u32;
    let mut draw = || {
        counter += 1;
        unit_closed_open(rng_draw(counter, 0, 0, seed, STREAM_INSTANCES)[0]) as f64
    };
    let mut services = Vec::new();
    let mut placed = 0usize;
    let target = replicas.max(4);
    while placed < target {
        let left = target - placed;
        let count = (1 + (draw() * 6.0) as usize).min(left);
        let cpu = [0.5, 1.0, 2.0, 4.0][(draw() * 4.0) as usize % 4];
        services.push(Service {
            name: format!("svc{}", services.len()),
            replicas: count as u32,
            cpu,
            memory_gib: (cpu * (1.0 + 3.0 * draw())).round(),
            gpu: 0.0,
            anti_affinity: count > 1 && draw() < 0.4,
            zones: None,
            affinity: Vec::new(),
        });
        placed += count;
    }
    let demand: f64 = services.iter().map(|s| s.cpu * s.replicas as f64).sum();
    let zones = ["z0", "z1", "z2"];
    let mut nodes = Vec::new();
    let mut capacity = 0.0;
    while capacity < demand / 0.55 || nodes.len() < 2 {
        let cpu = [8.0, 16.0, 32.0][(draw() * 3.0) as usize % 3];
        let idle = 40.0 + 4.0 * cpu * (0.8 + 0.4 * draw());
        nodes.push(Node {
            name: format!("node{}", nodes.len()),
            zone: zones[nodes.len() % 3].to_string(),
            cpu,
            memory_gib: 4.0 * cpu,
            gpu: 0.0,
            idle_power_w: idle.round(),
            peak_power_w: (idle + 10.0 * cpu * (0.8 + 0.4 * draw())).round(),
            price_per_hour: 0.0,
        });
        capacity += cpu;
    }
    // Anti-affinity only where the nodes can spread the replicas.
    for s in &mut services {
        s.anti_affinity &= (s.replicas as usize) <= nodes.len();
    }
    // Each service calls the next, and now and then one further along.
    let mut traffic = Vec::new();
    for k in 1..services.len() {
        traffic.push(Traffic {
            from: services[k - 1].name.clone(),
            to: services[k].name.clone(),
            rate: (10.0 * draw()).round() + 1.0,
        });
        if k >= 2 && draw() < 0.3 {
            let j = (draw() * (k - 1) as f64) as usize;
            traffic.push(Traffic {
                from: services[j].name.clone(),
                to: services[k].name.clone(),
                rate: (5.0 * draw()).round() + 1.0,
            });
        }
    }
    ServiceGraph {
        nodes,
        services,
        traffic,
        weights: Weights::default(),
        current: None,
    }
}
