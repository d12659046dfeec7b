// Per-block sums of the per-site terms in aux, for chains longer than SUM_BLOCK sites: one
// workgroup per block of SUM_BLOCK sites of each chain (workgroup (chain, block)) sums its block
// in the fixed order of shared/reduce and writes the sum over the block's first term; the
// per-chain kernel after it (mala_accept) then adds one value per block. A chain of a large
// lattice is so reduced by many workgroups at once instead of by one.
// CPU twin: src/cpu/chain_block_sums.rs.
#import shared/lattice
#import shared/reduce
#import shared/work_buffers

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    let n = sites_per_chain();
    let offset = wid.y * SUM_BLOCK;
    let first = wid.x * n + offset;
    let total = workgroup_sum_aux(lid, first, min(SUM_BLOCK, n - offset), 1u);
    if (lid == 0u) {
        aux[first] = total;
    }
}
