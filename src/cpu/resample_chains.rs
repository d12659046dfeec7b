//! Twin of `shaders/resample_chains.wgsl`: each chain becomes a copy of its ancestor.

use crate::kernels::StepParams;

/// Copies chain `aux[c]` (u32 bits) of `src` into chain `c` of `dst`.
pub fn run(p: &StepParams, src: &[f32], dst: &mut [f32], aux: &[f32]) {
    let n = src.len() / p.chains as usize;
    for (c, chunk) in dst.chunks_mut(n).enumerate() {
        let ancestor = aux[c].to_bits() as usize;
        chunk.copy_from_slice(&src[ancestor * n..(ancestor + 1) * n]);
    }
}
