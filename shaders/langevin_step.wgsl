// The drift-diffusion step shared by Langevin, forward noising, DDPM and DDIM:
//   dst = c_x * src - c_grad * grad E(src) + c_noise * xi,   xi ~ N(0, 1) per site.
// Langevin: c_x = 1, c_grad = eta, c_noise = sqrt(2 eta T); when tempering, T is the chain's own.
// Forward noising: c_grad = 0.
// CPU twin: src/cpu/langevin_step.rs.
#import shared/lattice
#import shared/rng
#import energy

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let i = global_site(gid, groups);
    if (i >= total_sites()) {
        return;
    }
    var x = params.c_x * src[i];
    if (params.c_grad != 0.0) {
        x -= params.c_grad * energy_gradient(i);
    }
    var c_noise = params.c_noise;
    if ((params.flags & FLAG_TEMPERING) != 0u) {
        c_noise = sqrt(2.0 * params.c_grad * chain_temperature(chain_of(i)));
    }
    if (c_noise != 0.0) {
        let r = chain_draw(index_in_chain(i), chain_of(i), params.step, STREAM_NOISE);
        x += c_noise * gaussian(r);
    }
    dst[i] = x;
    flag_divergence(x);
}
