// One sweep of a categorical (Potts) energy: every chain is copied from src to dst, the state its
// labels imply is rebuilt (potts_rebuild), and its variables are visited in order. Every move of
// such an energy reads state that every other variable changes (a placement's node loads), so no
// two variables of a chain update at once; chains run side by side.
//   Metropolis (default): an invocation per chain, 64 chains per workgroup. Variable r
//   proposes, with even odds, a move to a uniformly drawn other label, or a swap of labels with
//   a uniformly drawn other variable; accepted with min(1, exp(-dE/T)). The swap's dE is the
//   first move's change plus the second's after it.
//   Heat-bath (FLAG_HEAT_BATH): a workgroup of 64 per chain. r takes label b with probability
//   proportional to exp(-dE_b/T), drawn as argmax_b(-dE_b/T + G_b) with Gumbel noise G_b (the
//   Gumbel-max trick); the workgroup's invocations share the labels and reduce the argmax. At
//   T = 0 the lowest dE wins (ties: the lowest label).
// Accepted moves count into status[1 + chain]. CPU twin: src/cpu/potts_sweep.rs.
#import shared/lattice
#import shared/rng
#import energy

// Chains per workgroup of a Metropolis sweep, and invocations per chain of a heat-bath sweep
// (POTTS_WORKGROUP in src/kernels/mod.rs).
const POTTS_WORKGROUP: u32 = 64u;
const LOWEST: f32 = -3.4028235e38;
var<workgroup> best_score: array<f32, 64>;
var<workgroup> best_label: array<u32, 64>;

// Gumbel noise -ln(-ln u) from u in [0, 1) (u = 0 gives -inf: never drawn).
fn gumbel(bits: u32) -> f32 {
    return -log(-log(unit_closed_open(bits)));
}

fn metropolis_accepts(d_energy: f32, t: f32, bits: u32) -> bool {
    if (d_energy <= 0.0) {
        return true;
    }
    return t > 0.0 && unit_closed_open(bits) < exp(-d_energy / t);
}

// The Metropolis sweep of the chain at `base` in dst, run by one invocation.
fn metropolis_sweep_chain(chain: u32, base: u32, t: f32) -> u32 {
    let variables = potts_variables();
    let labels = potts_labels();
    var accepted = 0u;
    if (labels < 2u) {
        return 0u;
    }
    for (var r = 0u; r < variables; r = r + 1u) {
        let d = chain_draw(r, chain, params.step, STREAM_POTTS);
        let was = u32(dst[base + r]);
        if ((d.w & 1u) == 1u && variables > 1u) {
            let s = (r + 1u + d.y % (variables - 1u)) % variables;
            let to = u32(dst[base + s]);
            if (to != was) {
                var d_energy = potts_move_change(base, r, to);
                potts_apply_move(base, r, to);
                d_energy = d_energy + potts_move_change(base, s, was);
                if (metropolis_accepts(d_energy, t, d.z)) {
                    potts_apply_move(base, s, was);
                    accepted = accepted + 1u;
                } else {
                    potts_apply_move(base, r, was);
                }
            }
        } else {
            let to = (was + 1u + d.x % (labels - 1u)) % labels;
            if (metropolis_accepts(potts_move_change(base, r, to), t, d.z)) {
                potts_apply_move(base, r, to);
                accepted = accepted + 1u;
            }
        }
    }
    return accepted;
}

// The heat-bath sweep of one chain by its workgroup.
fn heat_bath_sweep_chain(chain: u32, lid: u32) {
    let n = sites_per_chain();
    let base = chain * n;
    for (var k = lid; k < n; k = k + POTTS_WORKGROUP) {
        dst[base + k] = src[base + k];
    }
    storageBarrier();
    workgroupBarrier();
    if (lid == 0u) {
        potts_rebuild(base);
    }
    storageBarrier();
    workgroupBarrier();
    let t = chain_temperature(chain);
    let variables = potts_variables();
    let labels = potts_labels();
    // Lanes past the last label hold no candidate, and the argmax (ties: the lowest label) does
    // not depend on the order of comparisons: the tree covers the labels' power of two only.
    let tree_lanes = power_of_two_lanes(labels, POTTS_WORKGROUP);
    var accepted = 0u;
    for (var r = 0u; r < variables; r = r + 1u) {
        var best = LOWEST;
        var label = 0xffffffffu;
        for (var b = lid; b < labels; b = b + POTTS_WORKGROUP) {
            var score = -potts_move_change(base, r, b);
            if (t > 0.0) {
                score = score / t + gumbel(chain_draw(r * labels + b, chain, params.step, STREAM_POTTS).x);
            }
            if (label == 0xffffffffu || score > best) {
                best = score;
                label = b;
            }
        }
        best_score[lid] = best;
        best_label[lid] = label;
        workgroupBarrier();
        for (var stride = tree_lanes / 2u; stride > 0u; stride = stride / 2u) {
            if (lid < stride) {
                let other = best_label[lid + stride];
                let s = best_score[lid + stride];
                let mine = best_label[lid];
                if (other != 0xffffffffu && (mine == 0xffffffffu || s > best_score[lid] || (s == best_score[lid] && other < mine))) {
                    best_score[lid] = s;
                    best_label[lid] = other;
                }
            }
            workgroupBarrier();
        }
        if (lid == 0u) {
            let chosen = best_label[0];
            if (chosen != u32(dst[base + r])) {
                potts_apply_move(base, r, chosen);
                accepted = accepted + 1u;
            }
        }
        storageBarrier();
        workgroupBarrier();
    }
    if (lid == 0u) {
        atomicAdd(&status[1u + chain], accepted);
    }
}

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) group: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    if ((params.flags & FLAG_HEAT_BATH) == 0u) {
        let chain = group.x * POTTS_WORKGROUP + lid;
        if (chain < params.chains) {
            let n = sites_per_chain();
            let base = chain * n;
            for (var k = 0u; k < n; k = k + 1u) {
                dst[base + k] = src[base + k];
            }
            potts_rebuild(base);
            let accepted = metropolis_sweep_chain(chain, base, chain_temperature(chain));
            atomicAdd(&status[1u + chain], accepted);
        }
    } else {
        heat_bath_sweep_chain(group.x, lid);
    }
}
