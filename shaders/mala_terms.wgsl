// Per-site terms of the MALA log acceptance ratio. With
//   term(s, o)_i = E_i(s) / T + (o_i - s_i + eta grad_i E(s))^2 / (4 eta T),
// ln alpha = sum_i term(x, y)_i - term(y, x)_i for current state x and proposal y.
// sign > 0: aux = term(src, dst); sign < 0: aux -= term(src, dst).
// CPU twin: src/cpu/mala_terms.rs.
#import shared/lattice
#import energy
#import shared/work_buffers

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let i = global_site(gid, groups);
    if (i >= total_sites()) {
        return;
    }
    let eta = params.step_size;
    let t = chain_temperature(chain_of(i));
    let r = dst[i] - src[i] + eta * energy_gradient(i);
    let term = site_energy(i) / t + r * r / (4.0 * eta * t);
    if (params.sign > 0.0) {
        aux[i] = term;
    } else {
        aux[i] = aux[i] - term;
    }
}
