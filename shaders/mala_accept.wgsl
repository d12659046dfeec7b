// Metropolis accept/reject for MALA and HMC: sums each chain's log-ratio terms (aux) in a fixed
// order (shared/reduce: 256 strided partial sums, then a tree; a chain of more than SUM_BLOCK
// sites adds the block sums chain_block_sums left at the start of each block), draws u and
// accepts when ln u < ln alpha. A workgroup sums one chain, or several chains of at most 128
// terms each (reduce_lanes: 256 / lanes chains, the same sums). The decision goes to
// status[1 + chains + chain], ln alpha to status[1 + 2 chains + chain]; accepted proposals are
// counted in status[1 + chain].
// CPU twin: src/cpu/mala_accept.rs.
#import shared/lattice
#import shared/rng
#import shared/reduce
#import shared/work_buffers

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    let n = sites_per_chain();
    var stride = 1u;
    if (n > SUM_BLOCK) {
        stride = SUM_BLOCK;
    }
    let count = (n + stride - 1u) / stride;
    let lanes = reduce_lanes(count);
    let chain = wid.x * (REDUCE_WORKGROUP / lanes) + lid / lanes;
    let in_range = chain < params.chains;
    let log_alpha = segment_sum_aux(lid, lanes, chain * n, count, stride, in_range);
    if (lid % lanes == 0u && in_range) {
        let r = chain_draw(0u, chain, params.step, STREAM_ACCEPT);
        let accepted = log(unit_open_closed(r.x)) < log_alpha;
        atomicStore(&status[1u + params.chains + chain], select(0u, 1u, accepted));
        atomicStore(&status[1u + 2u * params.chains + chain], bitcast<u32>(log_alpha));
        if (accepted) {
            atomicAdd(&status[1u + chain], 1u);
        }
    }
}
