//! Twin of `shaders/shared/reduce.wgsl`: the fixed-order sum of one workgroup of
//! [`REDUCE_WORKGROUP`] threads (strided partial sums, then the GPU's tree).

use crate::cpu::chain_observables::tree;
use crate::kernels::REDUCE_WORKGROUP;

/// The sum of `values` in the order of `workgroup_sum_aux`: thread `lid` adds elements `lid`,
/// `lid + 256`, …, then the 256 partial sums add in a tree.
pub fn workgroup_sum(values: &[f32]) -> f32 {
    let mut partial = [0.0f32; REDUCE_WORKGROUP];
    for (lid, slot) in partial.iter_mut().enumerate() {
        *slot = values.iter().skip(lid).step_by(REDUCE_WORKGROUP).sum();
    }
    tree(&mut partial, |a, b| *a += b);
    partial[0]
}
