// Importance resampling: chain c of dst becomes a copy of chain ancestor[c] of src, where the
// ancestors are u32 values stored (as bits) in aux[0..chains]. CPU twin: src/cpu/resample_chains.rs.
#import shared/lattice
#import shared/work_buffers

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let i = global_site(gid, groups);
    if (i >= total_sites()) {
        return;
    }
    let ancestor = bitcast<u32>(aux[chain_of(i)]);
    dst[i] = src[ancestor * sites_per_chain() + index_in_chain(i)];
}
