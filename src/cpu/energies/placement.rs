//! The placement energy, the twin of `shaders/energies/placement.wgsl`: the same terms in the
//! same single-precision order, on a chain's values (`site_energy` on the field a kernel reads;
//! the [`PottsTwin`] functions on the chain `potts_sweep` updates in place).

use super::{EnergyEval, EnergyTwin, PottsTwin};

const HEADER: usize = 16;
const REPLICA_STRIDE: usize = 5;
const NODE_STRIDE: usize = 8;
const PAIR_STRIDE: usize = 4;
const NODE_STATE: usize = 4;
const NO_ORIGIN: u32 = u32::MAX;

fn u(p: &[f32], k: usize) -> usize {
    p[k].to_bits() as usize
}

fn replicas(p: &[f32]) -> usize {
    u(p, 0)
}

fn nodes(p: &[f32]) -> usize {
    u(p, 1)
}

fn replica_at(r: usize) -> usize {
    HEADER + REPLICA_STRIDE * r
}

fn node_at(p: &[f32], n: usize) -> usize {
    u(p, 8) + NODE_STRIDE * n
}

fn demand(p: &[f32], r: usize) -> [f32; 4] {
    let b = replica_at(r);
    [1.0, p[b + 1], p[b + 2], p[b + 3]]
}

fn over(load: f32, cap: f32) -> f32 {
    let unit = cap.max(1.0);
    if load > cap + 1e-5 * unit {
        1.0 + (load - cap) / unit
    } else {
        0.0
    }
}

/// The cost of node `n` holding `s` = (replicas, CPU, memory, GPU).
fn node_cost(p: &[f32], n: usize, s: [f32; 4]) -> f32 {
    if s[0] < 0.5 {
        return 0.0;
    }
    let b = node_at(p, n);
    let (idle, peak) = (p[b + 4], p[b + 5]);
    let broken = over(s[1], p[b + 1]) + over(s[2], p[b + 2]) + over(s[3], p[b + 3]);
    let mut e = p[4] * (idle + (peak - idle) * (s[1] / p[b + 1])) + p[5] * p[b + 6] + p[3] * broken;
    let total = p[2];
    if p[6] > 0.0 && s[1] > 0.0 && total > 0.0 {
        let share = s[1] / total;
        e += p[6] * (share * share.ln());
    }
    e
}

/// Replica `r`'s own terms on node `n`: a broken zone rule, a migration.
fn replica_cost(p: &[f32], r: usize, n: usize) -> f32 {
    let b = replica_at(r);
    let mut e = 0.0;
    if p[u(p, 9) + u(p, b) * nodes(p) + n] < 0.5 {
        e += p[3];
    }
    let origin = p[b + 4].to_bits();
    if origin != NO_ORIGIN && origin as usize != n {
        e += p[7];
    }
    e
}

fn pair_cost(p: &[f32], entry: usize, a: usize, b: usize) -> f32 {
    if a == b {
        p[entry + 1]
    } else if u(p, node_at(p, a)) == u(p, node_at(p, b)) {
        p[entry + 2]
    } else {
        p[entry + 3]
    }
}

fn couplings(p: &[f32], r: usize) -> impl Iterator<Item = usize> + '_ {
    let rows = u(p, 10);
    (u(p, rows + r)..u(p, rows + r + 1)).map(move |q| u(p, 11) + PAIR_STRIDE * q)
}

fn state(p: &[f32], chain: &[f32], n: usize) -> [f32; 4] {
    let at = replicas(p) + NODE_STATE * n;
    [chain[at], chain[at + 1], chain[at + 2], chain[at + 3]]
}

fn add_state(p: &[f32], chain: &mut [f32], n: usize, d: [f32; 4], sign: f32) {
    let at = replicas(p) + NODE_STATE * n;
    for (k, v) in d.iter().enumerate() {
        chain[at + k] += sign * v;
    }
}

fn shifted(s: [f32; 4], d: [f32; 4], sign: f32) -> [f32; 4] {
    [
        s[0] + sign * d[0],
        s[1] + sign * d[1],
        s[2] + sign * d[2],
        s[3] + sign * d[3],
    ]
}

/// The placement energy's twin.
pub struct PlacementTwin;

impl EnergyTwin for PlacementTwin {
    /// None: the variables are labels.
    fn energy_gradient(&self, _e: &EnergyEval, _i: usize) -> f32 {
        0.0
    }

    fn site_energy(&self, e: &EnergyEval, i: usize) -> f32 {
        let p = e.energy_params;
        let k = e.lattice.index_in_chain(i);
        let chain = &e.src[i - k..];
        let r_count = replicas(p);
        if k < r_count {
            let here = chain[k] as usize;
            let mut pairs = 0.0f32;
            for entry in couplings(p, k) {
                pairs += pair_cost(p, entry, here, chain[u(p, entry)] as usize);
            }
            return replica_cost(p, k, here) + 0.5 * pairs;
        }
        let slot = k - r_count;
        if !slot.is_multiple_of(NODE_STATE) {
            return 0.0;
        }
        node_cost(
            p,
            slot / NODE_STATE,
            [chain[k], chain[k + 1], chain[k + 2], chain[k + 3]],
        )
    }

    fn potts(&self) -> Option<&dyn PottsTwin> {
        Some(self)
    }
}

impl PottsTwin for PlacementTwin {
    fn variables(&self, p: &[f32]) -> usize {
        replicas(p)
    }

    fn labels(&self, p: &[f32]) -> usize {
        nodes(p)
    }

    fn rebuild(&self, p: &[f32], chain: &mut [f32]) {
        let r_count = replicas(p);
        chain[r_count..r_count + NODE_STATE * nodes(p)].fill(0.0);
        for r in 0..r_count {
            let n = chain[r] as usize;
            add_state(p, chain, n, demand(p, r), 1.0);
        }
    }

    fn move_change(&self, p: &[f32], chain: &[f32], r: usize, to: usize) -> f32 {
        let from = chain[r] as usize;
        if to == from {
            return 0.0;
        }
        let d = demand(p, r);
        let (su, sv) = (state(p, chain, from), state(p, chain, to));
        let mut de = node_cost(p, from, shifted(su, d, -1.0)) - node_cost(p, from, su);
        de += node_cost(p, to, shifted(sv, d, 1.0)) - node_cost(p, to, sv);
        de += replica_cost(p, r, to) - replica_cost(p, r, from);
        for entry in couplings(p, r) {
            let v = chain[u(p, entry)] as usize;
            de += pair_cost(p, entry, to, v) - pair_cost(p, entry, from, v);
        }
        de
    }

    fn apply_move(&self, p: &[f32], chain: &mut [f32], r: usize, to: usize) {
        let from = chain[r] as usize;
        if to == from {
            return;
        }
        let d = demand(p, r);
        add_state(p, chain, from, d, -1.0);
        add_state(p, chain, to, d, 1.0);
        chain[r] = to as f32;
    }
}
