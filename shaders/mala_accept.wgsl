// Metropolis accept/reject for MALA and HMC, one workgroup per chain: sums the chain's log-ratio
// terms (aux) in a fixed order (256 strided partial sums, then a tree), draws u and accepts when
// ln u < ln alpha. The decision goes to status[1 + chains + chain], ln alpha to
// status[1 + 2 chains + chain]; accepted proposals are counted in status[1 + chain].
// CPU twin: src/cpu/mala_accept.rs.
#import shared/lattice
#import shared/rng

const REDUCE_WORKGROUP: u32 = 256u;
var<workgroup> partial: array<f32, 256>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    let chain = wid.x;
    let n = sites_per_chain();
    let start = chain * n;
    var acc = 0.0;
    for (var j = lid; j < n; j = j + REDUCE_WORKGROUP) {
        acc += aux[start + j];
    }
    partial[lid] = acc;
    workgroupBarrier();
    for (var stride = REDUCE_WORKGROUP / 2u; stride > 0u; stride = stride / 2u) {
        if (lid < stride) {
            partial[lid] = partial[lid] + partial[lid + stride];
        }
        workgroupBarrier();
    }
    if (lid == 0u) {
        let r = chain_draw(0u, chain, params.step, STREAM_ACCEPT);
        let accepted = log(unit_open_closed(r.x)) < partial[0];
        atomicStore(&status[1u + params.chains + chain], select(0u, 1u, accepted));
        atomicStore(&status[1u + 2u * params.chains + chain], bitcast<u32>(partial[0]));
        if (accepted) {
            atomicAdd(&status[1u + chain], 1u);
        }
    }
}
