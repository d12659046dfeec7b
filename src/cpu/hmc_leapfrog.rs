//! Twin of `shaders/hmc_leapfrog.wgsl`: a leapfrog kick and drift, or the closing half kick.

use rayon::prelude::*;

use super::energies::EnergyEval;
use crate::kernels::FLAG_FINAL_KICK;

/// Runs the kernel over every site.
pub fn run(e: &EnergyEval, dst: &mut [f32], momentum: &mut [f32], aux: &mut [f32]) {
    let p = e.params;
    let final_kick = p.flags & FLAG_FINAL_KICK != 0;
    dst.par_iter_mut()
        .zip(momentum.par_iter_mut())
        .zip(aux.par_iter_mut())
        .enumerate()
        .with_min_len(1024)
        .for_each(|(i, ((out, m), a))| {
            let t = e.temperature_of(e.lattice.chain_of(i));
            let q = *m - p.c_grad * e.energy_gradient(i) / t;
            *m = q;
            if final_kick {
                *a -= e.site_energy(i) / t + 0.5 * q * q;
            } else {
                *out = e.src[i] + p.step_size * q;
            }
        });
}
