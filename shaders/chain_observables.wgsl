// Per-chain reductions of the field in src, one workgroup per chain or per OBSERVE_WORKGROUP /
// lanes short chains (shared/observe: observe_lanes), written to the trace (aux) at
// record `params.record`; slots as OBS_* in src/kernels/mod.rs:
// [energy, sum x, sum (x - mean)^2, accepted (u32 bits), min, max, sum x ln x (x > 0),
//  value-histogram entropy, last ln alpha, count of x <= 0 (u32 bits), the chain's temperature].
// A chain of up to OBSERVE_BLOCK sites is reduced here (shared/observe); a longer one combines
// the block records of chain_observable_blocks in dst, in the same fixed order: Kahan sums of
// OBSERVE_WORKGROUP strided partials and a tree, and the second moment as
// sum_b [M2_b + n_b (mean_b - mean)^2] (Chan, Golub & LeVeque, "Algorithms for computing the
// sample variance", 1983).
// CPU twin: src/cpu/chain_observables.rs.
#import shared/observe
#import shared/work_buffers

const OBSERVABLES: u32 = 11u;

// The chain's reductions from its block records (histogram counts into `histogram`).
fn combine_blocks(chain: u32, n: u32, lid: u32) -> RunStats {
    let blocks = (n + OBSERVE_BLOCK - 1u) / OBSERVE_BLOCK;
    let base = chain * n;
    var acc = vec4<f32>(0.0);
    var comp = vec4<f32>(0.0);
    var lo = 3.0e38;
    var hi = -3.0e38;
    for (var b = lid; b < blocks; b = b + OBSERVE_WORKGROUP) {
        let at = base + b * BLOCK_RECORD;
        kahan_add(&acc, &comp, vec4<f32>(dst[at + RUN_ENERGY], dst[at + RUN_SUM], dst[at + RUN_XLNX], dst[at + RUN_NONPOSITIVE]));
        lo = min(lo, dst[at + RUN_MIN]);
        hi = max(hi, dst[at + RUN_MAX]);
    }
    let totals = reduce_partials(lid, OBSERVE_WORKGROUP, acc, lo, hi);
    let mean = totals.y / f32(n);
    var m2 = vec4<f32>(0.0);
    var c2 = vec4<f32>(0.0);
    for (var b = lid; b < blocks; b = b + OBSERVE_WORKGROUP) {
        let at = base + b * BLOCK_RECORD;
        let count = dst[at + RUN_COUNT];
        let d = dst[at + RUN_SUM] / count - mean;
        kahan_add(&m2, &c2, vec4<f32>(dst[at + RUN_M2] + count * d * d, 0.0, 0.0, 0.0));
    }
    for (var bin = lid; bin < params.hist_bins; bin = bin + OBSERVE_WORKGROUP) {
        var c = 0u;
        for (var b = 0u; b < blocks; b = b + 1u) {
            c += u32(dst[base + b * BLOCK_RECORD + RUN_BINS + bin]);
        }
        atomicStore(&histogram[bin], c);
    }
    workgroupBarrier();
    partial[lid] = m2;
    workgroupBarrier();
    tree_sum(lid, OBSERVE_WORKGROUP);
    return RunStats(totals, lows[0], highs[0], partial[0].x);
}

@compute @workgroup_size(OBSERVE_WORKGROUP)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    let n = sites_per_chain();
    var lanes = OBSERVE_WORKGROUP;
    if (n <= OBSERVE_BLOCK) {
        lanes = observe_lanes(n);
    }
    let chain = wid.x * (OBSERVE_WORKGROUP / lanes) + lid / lanes;
    let in_range = chain < params.chains;
    var s: RunStats;
    if (n > OBSERVE_BLOCK) {
        s = combine_blocks(chain, n, lid);
    } else {
        s = observe_run(chain * n, n, lid, lanes, in_range);
    }
    if (lid % lanes == 0u && in_range) {
        var entropy = bitcast<f32>(0x7fc00000u);
        if (params.hist_bins > 0u) {
            entropy = 0.0;
            for (var b = 0u; b < params.hist_bins; b = b + 1u) {
                let c = atomicLoad(&histogram[b]);
                if (c > 0u) {
                    let p = f32(c) / f32(n);
                    entropy -= p * log(p);
                }
            }
        }
        let out = (params.record * params.chains + chain) * OBSERVABLES;
        aux[out] = s.totals.x;
        aux[out + 1u] = s.totals.y;
        aux[out + 2u] = s.m2;
        aux[out + 3u] = bitcast<f32>(atomicExchange(&status[1u + chain], 0u));
        aux[out + 4u] = s.lo;
        aux[out + 5u] = s.hi;
        aux[out + 6u] = s.totals.z;
        aux[out + 7u] = entropy;
        aux[out + 8u] = bitcast<f32>(atomicLoad(&status[1u + 2u * params.chains + chain]));
        aux[out + 9u] = bitcast<f32>(u32(s.totals.w));
        aux[out + 10u] = chain_temperature(chain);
    }
}
