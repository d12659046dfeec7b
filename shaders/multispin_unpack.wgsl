// Unpacks multi-spin words (layout in shared/packed_spins) into the ±1 field in dst, one site
// per invocation. CPU twin: src/cpu/multispin_unpack.rs.
#import shared/lattice
#import shared/packed_spins

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let i = global_site(gid, groups);
    if (i >= total_sites()) {
        return;
    }
    let plane_sites = params.height * params.width;
    let p = i / plane_sites;
    let j = i - p * plane_sites;
    let y = j / params.width;
    let x = j - y * params.width;
    let k = x >> 1u;
    let word = packed[packed_index(p, (x + y) & 1u, y, k >> 5u)];
    dst[i] = select(-1.0, 1.0, ((word >> (k & 31u)) & 1u) == 1u);
}
