//! Twin of `shaders/metropolis_sweep.wgsl`: one colour of a Metropolis sweep (Barker's
//! acceptance under [`FLAG_HEAT_BATH`]).

use std::sync::atomic::{AtomicU32, Ordering};

use rayon::prelude::*;

use super::energies::EnergyEval;
use super::shared::rng::{chain_draw, unit_closed_open, STREAM_METROPOLIS};
use crate::kernels::{FLAG_HEAT_BATH, STATUS_DIVERGED};

/// Runs the kernel over every site.
pub fn run(e: &EnergyEval, dst: &mut [f32], status: &[AtomicU32]) {
    let p = e.params;
    dst.par_iter_mut()
        .enumerate()
        .with_min_len(1024)
        .for_each(|(i, out)| {
            let current = e.src[i];
            let mut next = current;
            if e.site_color(i) == p.parity {
                let chain = e.lattice.chain_of(i);
                let r = chain_draw(
                    p,
                    e.ladder,
                    e.lattice.index_in_chain(i) as u32,
                    chain as u32,
                    p.step,
                    STREAM_METROPOLIS,
                );
                let proposed = e.metropolis_proposal(current, r);
                let d_energy = e.local_energy_change(i, proposed);
                let t = e.temperature_of(chain);
                let mut accept = d_energy <= 0.0;
                if p.flags & FLAG_HEAT_BATH != 0 {
                    accept = if t > 0.0 {
                        unit_closed_open(r[2]) * (1.0 + (d_energy / t).exp()) < 1.0
                    } else {
                        d_energy < 0.0
                    };
                } else if !accept && t > 0.0 {
                    accept = unit_closed_open(r[2]) < (-d_energy / t).exp();
                }
                if accept {
                    next = proposed;
                    status[1 + chain].fetch_add(1, Ordering::Relaxed);
                }
            }
            *out = next;
            if !next.is_finite() {
                status[STATUS_DIVERGED].fetch_min(p.step, Ordering::Relaxed);
            }
        });
}
