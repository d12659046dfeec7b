// Keeps the MALA proposal (already in dst) where its chain accepted, else restores src.
// CPU twin: src/cpu/mala_select.rs.
#import shared/lattice

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let i = global_site(gid, groups);
    if (i >= total_sites()) {
        return;
    }
    if (atomicLoad(&status[1u + params.chains + chain_of(i)]) == 0u) {
        dst[i] = src[i];
    }
}
