// Swift-Hohenberg pattern energy (Turing-like stripes, and spots when g > 0):
// E = sum_i [ -(eps/2) psi^2 + 1/2 ((L psi)_i)^2 - (g/3) psi^3 + 1/4 psi^4 ], L = 1 + Laplacian
// (5-point, unit spacing, periodic): preferred wavelength 2 pi sites. A radius-2 stencil, so not
// local enough for checkerboard Metropolis. energy_params = [eps, g].
// CPU twin: src/cpu/energies/swift_hohenberg.rs.
#import shared/lattice

fn sh_l(i: u32) -> f32 {
    return neighbour_sum(i) - 3.0 * src[i];
}

fn energy_gradient(i: u32) -> f32 {
    let eps = energy_params[0];
    let g = energy_params[1];
    let l_here = sh_l(i);
    let l_around = sh_l(neighbour(i, 0, 1)) + sh_l(neighbour(i, 0, -1)) + sh_l(neighbour(i, 1, 0)) + sh_l(neighbour(i, -1, 0));
    let l2 = l_around - 3.0 * l_here;
    let psi = src[i];
    return -eps * psi + l2 - g * psi * psi + psi * psi * psi;
}

fn site_energy(i: u32) -> f32 {
    let eps = energy_params[0];
    let g = energy_params[1];
    let psi = src[i];
    let l = sh_l(i);
    return -0.5 * eps * psi * psi + 0.5 * l * l - g / 3.0 * psi * psi * psi + 0.25 * psi * psi * psi * psi;
}
