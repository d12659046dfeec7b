// A custom IDF energy, written in WGSL. Define two functions of a site i (sites of every chain
// flattened, row-major within a chain):
//   fn site_energy(i: u32) -> f32      site i's share of the energy, E = sum over i of site_energy(i)
//   fn energy_gradient(i: u32) -> f32  dE/dx_i, the derivative of the whole E, not of the share
// In scope: src[i] (the field), neighbour(i, dy, dx) (periodic), neighbour_sum(i) (the four
// nearest neighbours), energy_params[k] (the @param values, in order), params.* (StepParams).
// Declare each parameter as `// @param NAME = VALUE in [MIN, MAX]`, and bound the energy's
// largest curvature with `// @curvature C` (stable step size 1/C; default 100).
// This one: an asymmetric double well, E = k/2 |grad x|^2 + a/2 x^2 + b/4 x^4 + c/3 x^3.
#import shared/lattice

// @param kappa = 0.5 in [0, 2]
// @param a = -1.0 in [-3, 3]
// @param b = 1.0 in [0.1, 3]
// @param c = 0.3 in [-1, 1]
// @curvature 12

fn site_energy(i: u32) -> f32 {
    let x = src[i];
    let dr = x - src[neighbour(i, 0, 1)];
    let dd = x - src[neighbour(i, 1, 0)];
    let kappa = energy_params[0];
    let a = energy_params[1];
    let b = energy_params[2];
    let c = energy_params[3];
    return 0.5 * kappa * (dr * dr + dd * dd) + 0.5 * a * x * x + 0.25 * b * x * x * x * x
        + c * x * x * x / 3.0;
}

fn energy_gradient(i: u32) -> f32 {
    let x = src[i];
    let kappa = energy_params[0];
    let a = energy_params[1];
    let b = energy_params[2];
    let c = energy_params[3];
    return -kappa * (neighbour_sum(i) - 4.0 * x) + a * x + b * x * x * x + c * x * x;
}
