// The observables' reductions of each block of OBSERVE_BLOCK sites of chains longer than that, one
// workgroup per block (workgroup (chain, block)), written as a block record of BLOCK_RECORD
// values into dst, free at an observation: record b of chain c at c * sites_per_chain() +
// b * BLOCK_RECORD holds the RUN_* slots of shared/observe (the second moment about the
// block's own mean) and the block's histogram counts. chain_observables then combines one
// record per block, so that a long chain is reduced by many workgroups instead of by one.
// CPU twin: src/cpu/chain_observable_blocks.rs.
#import shared/observe

@compute @workgroup_size(OBSERVE_WORKGROUP)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    let n = sites_per_chain();
    let offset = wid.y * OBSERVE_BLOCK;
    let count = min(OBSERVE_BLOCK, n - offset);
    let s = observe_run(wid.x * n + offset, count, lid, OBSERVE_WORKGROUP, true);
    let out = wid.x * n + wid.y * BLOCK_RECORD;
    if (lid == 0u) {
        dst[out + RUN_ENERGY] = s.totals.x;
        dst[out + RUN_SUM] = s.totals.y;
        dst[out + RUN_XLNX] = s.totals.z;
        dst[out + RUN_NONPOSITIVE] = s.totals.w;
        dst[out + RUN_MIN] = s.lo;
        dst[out + RUN_MAX] = s.hi;
        dst[out + RUN_M2] = s.m2;
        dst[out + RUN_COUNT] = f32(count);
    }
    for (var bin = lid; bin < params.hist_bins; bin = bin + OBSERVE_WORKGROUP) {
        dst[out + RUN_BINS + bin] = f32(atomicLoad(&histogram[bin]));
    }
}
