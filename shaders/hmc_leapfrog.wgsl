// One leapfrog step of HMC for H = E(x)/T + |p|^2/2:
//   p <- p - c_grad * grad E(src) / T, then dst = src + step_size * p.
// The first kick of a trajectory uses c_grad = eps/2, the inner ones eps (two half kicks fused).
// With FLAG_FINAL_KICK it is the closing half kick at the last position: no drift, and the final
// Hamiltonian terms are subtracted from aux. CPU twin: src/cpu/hmc_leapfrog.rs.
#import shared/lattice
#import energy
#import shared/work_buffers

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let i = global_site(gid, groups);
    if (i >= total_sites()) {
        return;
    }
    let t = chain_temperature(chain_of(i));
    let p = momentum[i] - params.c_grad * energy_gradient(i) / t;
    momentum[i] = p;
    if ((params.flags & FLAG_FINAL_KICK) != 0u) {
        aux[i] = aux[i] - (site_energy(i) / t + 0.5 * p * p);
    } else {
        dst[i] = src[i] + params.step_size * p;
    }
}
