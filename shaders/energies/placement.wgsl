// Placement of service replicas on nodes: one categorical (Potts) variable per replica, its
// node label stored as f32. A chain's field is the assignment (R values) followed by four
// values per node: replica count, CPU, memory and GPU load. E = sum over replicas of their own
// terms (zone rule broken, migration) and half their pair costs + sum over nodes in use of
// power (idle + (peak - idle) * cpu / capacity), price, overload penalties and the entropy
// reward w * p ln p (p: the node's share of the CPU demand). Layout of energy_params (integers
// as f32 bits), as PlacementEnergy::packed writes it (src/engine/energies/placement/mod.rs):
//   header [R, K, CPU demand, penalty, w_power, w_price, w_entropy, w_migration,
//           nodes at, allowed at, rows at, pairs at, 0, 0, 0, 0];
//   per replica [service, cpu, memory, gpu, origin node or 0xffffffff];
//   per node [zone, cpu, memory, gpu capacity, idle W, peak W, price, 0];
//   allowed[service * K + node] (1 or 0); row pointers (R + 1);
//   per coupling [partner, cost on one node, cost within a zone, cost across zones].
// The potts_* functions work on the chain at `base` in dst, which potts_sweep updates in place.
// CPU twin: src/cpu/energies/placement.rs.
#import shared/lattice

const PL_HEADER: u32 = 16u;
const PL_REPLICA_STRIDE: u32 = 5u;
const PL_NODE_STRIDE: u32 = 8u;
const PL_PAIR_STRIDE: u32 = 4u;
const PL_NODE_STATE: u32 = 4u;
const PL_NO_ORIGIN: u32 = 0xffffffffu;

fn pl_u(k: u32) -> u32 {
    return bitcast<u32>(energy_params[k]);
}

fn potts_variables() -> u32 {
    return pl_u(0u);
}

fn potts_labels() -> u32 {
    return pl_u(1u);
}

fn pl_replica(r: u32) -> u32 {
    return PL_HEADER + PL_REPLICA_STRIDE * r;
}

fn pl_node(n: u32) -> u32 {
    return pl_u(8u) + PL_NODE_STRIDE * n;
}

fn pl_demand(r: u32) -> vec4<f32> {
    let b = pl_replica(r);
    return vec4<f32>(1.0, energy_params[b + 1u], energy_params[b + 2u], energy_params[b + 3u]);
}

// Penalty units of a load against a capacity: 0 within the slack, else 1 plus the overload in
// capacities' worth.
fn pl_over(load: f32, cap: f32) -> f32 {
    let unit = max(cap, 1.0);
    if (load > cap + 1e-5 * unit) {
        return 1.0 + (load - cap) / unit;
    }
    return 0.0;
}

// The cost of node n holding state s = (replicas, cpu, memory, gpu).
fn pl_node_cost(n: u32, s: vec4<f32>) -> f32 {
    if (s.x < 0.5) {
        return 0.0;
    }
    let b = pl_node(n);
    let idle = energy_params[b + 4u];
    let peak = energy_params[b + 5u];
    let over = pl_over(s.y, energy_params[b + 1u]) + pl_over(s.z, energy_params[b + 2u])
        + pl_over(s.w, energy_params[b + 3u]);
    var e = energy_params[4u] * (idle + (peak - idle) * (s.y / energy_params[b + 1u]))
        + energy_params[5u] * energy_params[b + 6u] + energy_params[3u] * over;
    let demand = energy_params[2u];
    if (energy_params[6u] > 0.0 && s.y > 0.0 && demand > 0.0) {
        let p = s.y / demand;
        e = e + energy_params[6u] * (p * log(p));
    }
    return e;
}

// Replica r's own terms on node n: a broken zone rule, a migration.
fn pl_replica_cost(r: u32, n: u32) -> f32 {
    let b = pl_replica(r);
    var e = 0.0;
    if (energy_params[pl_u(9u) + pl_u(b) * potts_labels() + n] < 0.5) {
        e = e + energy_params[3u];
    }
    let origin = pl_u(b + 4u);
    if (origin != PL_NO_ORIGIN && origin != n) {
        e = e + energy_params[7u];
    }
    return e;
}

// The cost of coupling `entry` with its replica on node u and the partner on node v.
fn pl_pair_cost(entry: u32, u: u32, v: u32) -> f32 {
    if (u == v) {
        return energy_params[entry + 1u];
    }
    if (pl_u(pl_node(u)) == pl_u(pl_node(v))) {
        return energy_params[entry + 2u];
    }
    return energy_params[entry + 3u];
}

fn pl_entry(q: u32) -> u32 {
    return pl_u(11u) + PL_PAIR_STRIDE * q;
}

// No gradient: the variables are labels.
fn energy_gradient(i: u32) -> f32 {
    return 0.0;
}

fn site_energy(i: u32) -> f32 {
    let replicas = potts_variables();
    let k = index_in_chain(i);
    let base = i - k;
    if (k < replicas) {
        let u = u32(src[i]);
        let rows = pl_u(10u);
        var pairs = 0.0;
        for (var q = pl_u(rows + k); q < pl_u(rows + k + 1u); q = q + 1u) {
            let entry = pl_entry(q);
            pairs = pairs + pl_pair_cost(entry, u, u32(src[base + pl_u(entry)]));
        }
        return pl_replica_cost(k, u) + 0.5 * pairs;
    }
    let slot = k - replicas;
    if (slot % PL_NODE_STATE != 0u) {
        return 0.0;
    }
    return pl_node_cost(slot / PL_NODE_STATE, vec4<f32>(src[i], src[i + 1u], src[i + 2u], src[i + 3u]));
}

fn pl_state_at(base: u32, n: u32) -> u32 {
    return base + potts_variables() + PL_NODE_STATE * n;
}

fn pl_state(base: u32, n: u32) -> vec4<f32> {
    let at = pl_state_at(base, n);
    return vec4<f32>(dst[at], dst[at + 1u], dst[at + 2u], dst[at + 3u]);
}

fn pl_add_state(base: u32, n: u32, d: vec4<f32>) {
    let at = pl_state_at(base, n);
    dst[at] = dst[at] + d.x;
    dst[at + 1u] = dst[at + 1u] + d.y;
    dst[at + 2u] = dst[at + 2u] + d.z;
    dst[at + 3u] = dst[at + 3u] + d.w;
}

// Recomputes the node state of the chain at `base` from its assignment.
fn potts_rebuild(base: u32) {
    let nodes = potts_labels();
    for (var n = 0u; n < nodes; n = n + 1u) {
        let at = pl_state_at(base, n);
        dst[at] = 0.0;
        dst[at + 1u] = 0.0;
        dst[at + 2u] = 0.0;
        dst[at + 3u] = 0.0;
    }
    for (var r = 0u; r < potts_variables(); r = r + 1u) {
        pl_add_state(base, u32(dst[base + r]), pl_demand(r));
    }
}

// E(replica r on node `to`) - E(now), for the chain at `base`.
fn potts_move_change(base: u32, r: u32, to: u32) -> f32 {
    let was = u32(dst[base + r]);
    if (to == was) {
        return 0.0;
    }
    let d = pl_demand(r);
    let su = pl_state(base, was);
    let sv = pl_state(base, to);
    var de = pl_node_cost(was, su - d) - pl_node_cost(was, su);
    de = de + (pl_node_cost(to, sv + d) - pl_node_cost(to, sv));
    de = de + (pl_replica_cost(r, to) - pl_replica_cost(r, was));
    let rows = pl_u(10u);
    for (var q = pl_u(rows + r); q < pl_u(rows + r + 1u); q = q + 1u) {
        let entry = pl_entry(q);
        let v = u32(dst[base + pl_u(entry)]);
        de = de + (pl_pair_cost(entry, to, v) - pl_pair_cost(entry, was, v));
    }
    return de;
}

// Moves replica r of the chain at `base` to node `to`, keeping the node state in step.
fn potts_apply_move(base: u32, r: u32, to: u32) {
    let was = u32(dst[base + r]);
    if (to == was) {
        return;
    }
    let d = pl_demand(r);
    pl_add_state(base, was, -d);
    pl_add_state(base, to, d);
    dst[base + r] = f32(to);
}
