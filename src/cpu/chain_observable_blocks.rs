//! Twin of `shaders/chain_observable_blocks.wgsl`: the observables' reductions of each block of
//! [`OBSERVE_BLOCK`] sites of chains longer than that, as block records in `dst`.

use rayon::prelude::*;

use super::chain_observables::{observe_run, BLOCK_RECORD};
use super::energies::EnergyEval;
use crate::kernels::OBSERVE_BLOCK;

/// Writes record `b` of chain `c` at `c · sites_per_chain + b · BLOCK_RECORD` of `dst`.
pub fn run(e: &EnergyEval, dst: &mut [f32]) {
    let n = e.lattice.per_chain;
    let blocks = n.div_ceil(OBSERVE_BLOCK);
    dst.par_chunks_mut(n).enumerate().for_each(|(chain, out)| {
        out[..blocks * BLOCK_RECORD]
            .par_chunks_mut(BLOCK_RECORD)
            .enumerate()
            .for_each(|(b, record)| {
                let count = OBSERVE_BLOCK.min(n - b * OBSERVE_BLOCK);
                observe_run(e, chain * n + b * OBSERVE_BLOCK, count).write_record(count, record);
            });
    });
}
