// Per-chain reductions of the field in src, one workgroup per chain, written to the trace (aux) at
// record `params.record`; slots as OBS_* in src/kernels/mod.rs:
// [energy, sum x, sum (x - mean)^2, accepted (u32 bits), min, max, sum x ln x (x > 0),
//  value-histogram entropy, last ln alpha, count of x <= 0 (u32 bits), the chain's temperature].
// Sums are compensated (Kahan) within each of 256 strided partials, then added in a tree; the
// centred second moment takes a second pass over the chain after the mean is known.
// CPU twin: src/cpu/chain_observables.rs.
#import shared/lattice
#import energy
#import shared/work_buffers

const OBSERVABLES: u32 = 11u;
const OBSERVE_WORKGROUP: u32 = 256u;
var<workgroup> partial: array<vec4<f32>, 256>;
var<workgroup> lows: array<f32, 256>;
var<workgroup> highs: array<f32, 256>;
var<workgroup> histogram: array<atomic<u32>, 256>;
var<workgroup> chain_mean: f32;

fn tree_sum(lid: u32) {
    for (var stride = OBSERVE_WORKGROUP / 2u; stride > 0u; stride = stride / 2u) {
        if (lid < stride) {
            partial[lid] = partial[lid] + partial[lid + stride];
            lows[lid] = min(lows[lid], lows[lid + stride]);
            highs[lid] = max(highs[lid], highs[lid + stride]);
        }
        workgroupBarrier();
    }
}

fn histogram_bin(x: f32) -> u32 {
    let bins = f32(params.hist_bins);
    let b = floor((x - params.hist_lo) / (params.hist_hi - params.hist_lo) * bins);
    return u32(clamp(b, 0.0, bins - 1.0));
}

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    let chain = wid.x;
    let n = sites_per_chain();
    let start = chain * n;
    atomicStore(&histogram[lid], 0u);
    workgroupBarrier();
    // Pass 1: energy, sum, sum x ln x, non-positive count; min, max; histogram.
    var acc = vec4<f32>(0.0);
    var comp = vec4<f32>(0.0);
    var lo = 3.0e38;
    var hi = -3.0e38;
    for (var j = lid; j < n; j = j + OBSERVE_WORKGROUP) {
        let x = src[start + j];
        let positive = x > 0.0;
        let v = vec4<f32>(site_energy(start + j), x, select(0.0, x * log(x), positive), select(1.0, 0.0, positive));
        let y = v - comp;
        let t = acc + y;
        comp = (t - acc) - y;
        acc = t;
        lo = min(lo, x);
        hi = max(hi, x);
        if (params.hist_bins > 0u) {
            atomicAdd(&histogram[histogram_bin(x)], 1u);
        }
    }
    partial[lid] = acc;
    lows[lid] = lo;
    highs[lid] = hi;
    workgroupBarrier();
    tree_sum(lid);
    let totals = partial[0];
    if (lid == 0u) {
        chain_mean = totals.y / f32(n);
    }
    workgroupBarrier();
    // Pass 2: the centred second moment.
    let mean = chain_mean;
    var m2 = 0.0;
    var c2 = 0.0;
    for (var j = lid; j < n; j = j + OBSERVE_WORKGROUP) {
        let d = src[start + j] - mean;
        let y = d * d - c2;
        let t = m2 + y;
        c2 = (t - m2) - y;
        m2 = t;
    }
    workgroupBarrier();
    partial[lid] = vec4<f32>(m2, 0.0, 0.0, 0.0);
    workgroupBarrier();
    tree_sum(lid);
    if (lid == 0u) {
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
        aux[out] = totals.x;
        aux[out + 1u] = totals.y;
        aux[out + 2u] = partial[0].x;
        aux[out + 3u] = bitcast<f32>(atomicExchange(&status[1u + chain], 0u));
        aux[out + 4u] = lows[0];
        aux[out + 5u] = highs[0];
        aux[out + 6u] = totals.z;
        aux[out + 7u] = entropy;
        aux[out + 8u] = bitcast<f32>(atomicLoad(&status[1u + 2u * params.chains + chain]));
        aux[out + 9u] = bitcast<f32>(u32(totals.w));
        aux[out + 10u] = chain_temperature(chain);
    }
}
