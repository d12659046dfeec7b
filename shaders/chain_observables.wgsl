// Per-chain observables of the field in src, one workgroup per chain, written to the trace (aux) at
// record `params.record`: [energy, sum x, sum x^2, accepted proposals since the last record (u32 bits)].
// Sums use a fixed order: 256 strided partial sums, then a tree. CPU twin: src/cpu/chain_observables.rs.
#import shared/lattice
#import energy

const OBSERVABLES: u32 = 4u;
const OBSERVE_WORKGROUP: u32 = 256u;
var<workgroup> partial: array<vec3<f32>, 256>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    let chain = wid.x;
    let n = sites_per_chain();
    let start = chain * n;
    var acc = vec3<f32>(0.0);
    for (var j = lid; j < n; j = j + OBSERVE_WORKGROUP) {
        let x = src[start + j];
        acc += vec3<f32>(site_energy(start + j), x, x * x);
    }
    partial[lid] = acc;
    workgroupBarrier();
    for (var stride = OBSERVE_WORKGROUP / 2u; stride > 0u; stride = stride / 2u) {
        if (lid < stride) {
            partial[lid] = partial[lid] + partial[lid + stride];
        }
        workgroupBarrier();
    }
    if (lid == 0u) {
        let out = (params.record * params.chains + chain) * OBSERVABLES;
        aux[out] = partial[0].x;
        aux[out + 1u] = partial[0].y;
        aux[out + 2u] = partial[0].z;
        aux[out + 3u] = bitcast<f32>(atomicExchange(&status[1u + chain], 0u));
    }
}
