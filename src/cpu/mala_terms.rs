//! Twin of `shaders/mala_terms.wgsl`: per-site terms of the MALA log acceptance ratio.

use rayon::prelude::*;

use super::energies::EnergyEval;

/// `aux = term(src, other)` when `sign > 0`, else `aux -= term(src, other)`.
pub fn run(e: &EnergyEval, other: &[f32], aux: &mut [f32]) {
    let p = e.params;
    let eta = p.step_size;
    aux.par_iter_mut()
        .enumerate()
        .with_min_len(1024)
        .for_each(|(i, out)| {
            let t = e.temperature_of(e.lattice.chain_of(i));
            let r = other[i] - e.src[i] + eta * e.energy_gradient(i);
            let term = e.site_energy(i) / t + r * r / (4.0 * eta * t);
            if p.sign > 0.0 {
                *out = term;
            } else {
                *out -= term;
            }
        });
}
