//! Twin of `shaders/mala_accept.wgsl`: per-chain Metropolis decisions (MALA, HMC) from the summed
//! log-ratio terms.

use std::sync::atomic::{AtomicU32, Ordering};

use super::shared::rng::{chain_draw, unit_open_closed, STREAM_ACCEPT};
use crate::kernels::{StepParams, REDUCE_WORKGROUP};

/// The plain (uncompensated) strided partial sums and tree of the accept kernel.
fn chain_sum(values: &[f32]) -> f32 {
    let mut partial = [0.0f32; REDUCE_WORKGROUP];
    for (lid, slot) in partial.iter_mut().enumerate() {
        *slot = values.iter().skip(lid).step_by(REDUCE_WORKGROUP).sum();
    }
    super::chain_observables::tree(&mut partial, |a, b| *a += b);
    partial[0]
}

/// Decides every chain; `ladder` holds the chains' random-number keys when batched.
pub fn run(p: &StepParams, ladder: &[u32], aux: &[f32], sites: usize, status: &[AtomicU32]) {
    let chains = p.chains as usize;
    let n = sites / chains;
    for chain in 0..chains {
        let log_alpha = chain_sum(&aux[chain * n..(chain + 1) * n]);
        let r = chain_draw(p, ladder, 0, chain as u32, p.step, STREAM_ACCEPT);
        let accepted = unit_open_closed(r[0]).ln() < log_alpha;
        status[1 + chains + chain].store(accepted as u32, Ordering::Relaxed);
        status[1 + 2 * chains + chain].store(log_alpha.to_bits(), Ordering::Relaxed);
        if accepted {
            status[1 + chain].fetch_add(1, Ordering::Relaxed);
        }
    }
}
