// Ginzburg-Landau (phi^4) lattice field with an optional guidance term:
// E = sum_i (kappa/2)|grad phi|^2 + (a/2) phi^2 + (b/4) phi^4 - h phi + (lambda/2)(phi - t_i)^2,
// forward differences, periodic; t is a target plane of height x width values shared by every
// chain and channel. energy_params = [kappa, a, b, h, lambda, t...]. CPU twin: src/cpu/energies/phi4.rs.
#import shared/lattice
#import shared/rng

fn guidance_target(i: u32) -> f32 {
    return energy_params[5u + i % (params.height * params.width)];
}

// The gradient at site i from its value and its four neighbours' sum: what a kernel that keeps
// the field in workgroup memory (langevin_fused) calls.
fn local_gradient(phi: f32, neighbours: f32, i: u32) -> f32 {
    var guide = 0.0;
    let lambda = energy_params[4];
    if (lambda != 0.0) {
        guide = lambda * (phi - guidance_target(i));
    }
    let kappa = energy_params[0];
    let a = energy_params[1];
    let b = energy_params[2];
    let h = energy_params[3];
    let laplacian = neighbours - 4.0 * phi;
    return -kappa * laplacian + a * phi + b * phi * phi * phi - h + guide;
}

fn energy_gradient(i: u32) -> f32 {
    return local_gradient(src[i], neighbour_sum(i), i);
}

fn site_energy(i: u32) -> f32 {
    let kappa = energy_params[0];
    let a = energy_params[1];
    let b = energy_params[2];
    let h = energy_params[3];
    let phi = src[i];
    let dr = phi - src[neighbour(i, 0, 1)];
    let dd = phi - src[neighbour(i, 1, 0)];
    let phi2 = phi * phi;
    var guide = 0.0;
    let lambda = energy_params[4];
    if (lambda != 0.0) {
        let d = phi - guidance_target(i);
        guide = 0.5 * lambda * d * d;
    }
    return 0.5 * kappa * (dr * dr + dd * dd) + 0.5 * a * phi2 + 0.25 * b * phi2 * phi2 - h * phi + guide;
}

fn local_energy_change(i: u32, proposed: f32) -> f32 {
    let kappa = energy_params[0];
    let a = energy_params[1];
    let b = energy_params[2];
    let h = energy_params[3];
    let phi = src[i];
    let d = proposed - phi;
    let dsq = proposed * proposed - phi * phi;
    let bonds = kappa * (2.0 * dsq - d * neighbour_sum(i));
    let onsite = 0.5 * a * dsq + 0.25 * b * dsq * (proposed * proposed + phi * phi) - h * d;
    var guide = 0.0;
    let lambda = energy_params[4];
    if (lambda != 0.0) {
        let t = guidance_target(i);
        guide = 0.5 * lambda * ((proposed - t) * (proposed - t) - (phi - t) * (phi - t));
    }
    return bonds + onsite + guide;
}

fn metropolis_proposal(i: u32, current: f32, r: vec4<u32>) -> f32 {
    return current + params.step_size * gaussian(r);
}

fn site_color(i: u32) -> u32 {
    return parity_of(i);
}
