//! Twin of `shaders/mala_accept.wgsl`: per-chain Metropolis decisions (MALA, HMC) from the summed
//! log-ratio terms.

use std::sync::atomic::{AtomicU32, Ordering};

use super::shared::reduce::workgroup_sum;
use super::shared::rng::{chain_draw, unit_open_closed, STREAM_ACCEPT};
use crate::kernels::{StepParams, SUM_BLOCK};

/// The chain's ln α: the sum of its terms, or of its block sums (`chain_block_sums`) when it
/// is longer than [`SUM_BLOCK`] sites.
fn log_alpha(terms: &[f32]) -> f32 {
    if terms.len() > SUM_BLOCK {
        let blocks: Vec<f32> = terms.iter().step_by(SUM_BLOCK).copied().collect();
        workgroup_sum(&blocks)
    } else {
        workgroup_sum(terms)
    }
}

/// Decides every chain; `ladder` holds the chains' random-number keys when batched.
pub fn run(p: &StepParams, ladder: &[u32], aux: &[f32], sites: usize, status: &[AtomicU32]) {
    let chains = p.chains as usize;
    let n = sites / chains;
    for chain in 0..chains {
        let log_alpha = log_alpha(&aux[chain * n..(chain + 1) * n]);
        let r = chain_draw(p, ladder, 0, chain as u32, p.step, STREAM_ACCEPT);
        let accepted = unit_open_closed(r[0]).ln() < log_alpha;
        status[1 + chains + chain].store(accepted as u32, Ordering::Relaxed);
        status[1 + 2 * chains + chain].store(log_alpha.to_bits(), Ordering::Relaxed);
        if accepted {
            status[1 + chain].fetch_add(1, Ordering::Relaxed);
        }
    }
}
