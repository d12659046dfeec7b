//! Twin of `shaders/langevin_step.wgsl`: `dst = c_x·src − c_grad·∇E(src) + c_noise·ξ`.

use std::sync::atomic::{AtomicU32, Ordering};

use rayon::prelude::*;

use super::energies::EnergyEval;
use super::shared::rng::{chain_draw, gaussian, STREAM_NOISE};
use crate::kernels::{FLAG_PROPOSAL, STATUS_DIVERGED};

/// Runs the kernel over every site.
pub fn run(e: &EnergyEval, dst: &mut [f32], status: &[AtomicU32]) {
    let p = e.params;
    dst.par_iter_mut()
        .enumerate()
        .with_min_len(1024)
        .for_each(|(i, out)| {
            let mut x = p.c_x * e.src[i];
            if p.c_grad != 0.0 {
                x -= p.c_grad * e.energy_gradient(i);
            }
            let c_noise = if p.flags & crate::kernels::FLAG_TEMPERING != 0 {
                (2.0 * p.c_grad * e.temperature_of(e.lattice.chain_of(i))).sqrt()
            } else {
                p.c_noise
            };
            if c_noise != 0.0 {
                let r = chain_draw(
                    p,
                    e.ladder,
                    e.lattice.index_in_chain(i) as u32,
                    e.lattice.chain_of(i) as u32,
                    p.step,
                    STREAM_NOISE,
                );
                x += c_noise * gaussian(r);
            }
            *out = x;
            if !x.is_finite() && p.flags & FLAG_PROPOSAL == 0 {
                status[STATUS_DIVERGED].fetch_min(p.step, Ordering::Relaxed);
            }
        });
}

/// Runs the energy's faster twin of this kernel where it has one, and [`run`] otherwise: what
/// the CPU executor runs for every `langevin_step` dispatch.
pub fn run_fastest(e: &EnergyEval, dst: &mut [f32], status: &[AtomicU32]) {
    match e.twin.fast_langevin_step() {
        Some(fast) => fast(e, dst, status),
        None => run(e, dst, status),
    }
}
