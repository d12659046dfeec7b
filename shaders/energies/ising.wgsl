// Ising spins s = +-1 on the lattice: E = -J sum_<ij> s_i s_j - h sum_i s_i (each bond once).
// The gradient is that of the multilinear extension to real s. energy_params = [J, h].
// CPU twin: src/cpu/energies/ising.rs.
#import shared/lattice

fn local_gradient(s: f32, neighbours: f32, i: u32) -> f32 {
    return -energy_params[0] * neighbours - energy_params[1];
}

fn energy_gradient(i: u32) -> f32 {
    return local_gradient(src[i], neighbour_sum(i), i);
}

fn site_energy(i: u32) -> f32 {
    let s = src[i];
    return -energy_params[0] * s * (src[neighbour(i, 0, 1)] + src[neighbour(i, 1, 0)]) - energy_params[1] * s;
}

fn local_energy_change(i: u32, proposed: f32) -> f32 {
    return (proposed - src[i]) * energy_gradient(i);
}

fn metropolis_proposal(i: u32, current: f32, r: vec4<u32>) -> f32 {
    return -current;
}

fn site_color(i: u32) -> u32 {
    return parity_of(i);
}
