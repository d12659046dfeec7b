//! Twin of `shaders/shared/reduce.wgsl`: the fixed-order sum of one workgroup of
//! [`REDUCE_WORKGROUP`] threads (strided partial sums, then the GPU's tree), and that tree,
//! which the twins of the other reduction kernels share. Where the GPU sums several short runs
//! in one workgroup (`reduce_lanes`), its sums are these, bit for bit.

use crate::kernels::REDUCE_WORKGROUP;

/// The GPU's tree over a workgroup's partials (a power of two of them), combining with
/// `f(lower, upper)`; the result is in `partial[0]`.
pub fn tree<T: Copy>(partial: &mut [T], f: impl Fn(&mut T, T)) {
    debug_assert!(partial.len().is_power_of_two());
    let mut stride = partial.len() / 2;
    while stride > 0 {
        for lid in 0..stride {
            let upper = partial[lid + stride];
            f(&mut partial[lid], upper);
        }
        stride /= 2;
    }
}

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
