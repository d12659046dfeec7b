//! Twin of `shaders/chain_block_sums.wgsl`: each block of [`SUM_BLOCK`] sites of each chain
//! summed in the workgroup's order, the sum written over the block's first term.

use super::shared::reduce::workgroup_sum;
use crate::kernels::{StepParams, SUM_BLOCK};

/// Sums the blocks of every chain of `aux` (one term per site) in place.
pub fn run(p: &StepParams, aux: &mut [f32]) {
    let n = p.sites_per_chain();
    for chain in aux.chunks_mut(n) {
        for block in chain.chunks_mut(SUM_BLOCK) {
            block[0] = workgroup_sum(block);
        }
    }
}
