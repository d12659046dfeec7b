// Starts an HMC trajectory from src: draws fresh momenta p ~ N(0, 1) and writes the initial
// Hamiltonian terms aux_i = E_i(x)/T + p_i^2/2, so that after `hmc_leapfrog`'s closing kick
// subtracts the final terms, the chain's sum is ln alpha = H_start - H_end.
// CPU twin: src/cpu/hmc_momentum.rs.
#import shared/lattice
#import shared/rng
#import energy
#import shared/work_buffers

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let i = global_site(gid, groups);
    if (i >= total_sites()) {
        return;
    }
    let p = gaussian(chain_draw(index_in_chain(i), chain_of(i), params.step, STREAM_NOISE));
    momentum[i] = p;
    aux[i] = site_energy(i) / chain_temperature(chain_of(i)) + 0.5 * p * p;
}
