//! Twin of `shaders/hmc_momentum.wgsl`: fresh momenta and the initial Hamiltonian terms.

use rayon::prelude::*;

use super::energies::EnergyEval;
use super::shared::rng::{chain_draw, gaussian, STREAM_NOISE};

/// Runs the kernel over every site.
pub fn run(e: &EnergyEval, momentum: &mut [f32], aux: &mut [f32]) {
    let p = e.params;
    momentum
        .par_iter_mut()
        .zip(aux.par_iter_mut())
        .enumerate()
        .with_min_len(1024)
        .for_each(|(i, (m, a))| {
            let r = chain_draw(
                p,
                e.ladder,
                e.lattice.index_in_chain(i) as u32,
                e.lattice.chain_of(i) as u32,
                p.step,
                STREAM_NOISE,
            );
            let q = gaussian(r);
            *m = q;
            *a = e.site_energy(i) / e.temperature_of(e.lattice.chain_of(i)) + 0.5 * q * q;
        });
}
