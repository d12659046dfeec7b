//! Twin of `shaders/multispin_unpack.wgsl`: unpacks multi-spin words (layout in
//! [`PackedLayout`]) into the ±1 field.

use rayon::prelude::*;

use super::shared::packed_spins::PackedLayout;
use crate::kernels::StepParams;

/// Writes every site of `dst` from its bit in `packed`.
pub fn run(p: &StepParams, packed: &[u32], dst: &mut [f32]) {
    let l = PackedLayout::of(p);
    dst.par_chunks_mut(l.width)
        .enumerate()
        .with_min_len(16)
        .for_each(|(row, out)| {
            let (plane, y) = (row / l.height, row % l.height);
            for (x, v) in out.iter_mut().enumerate() {
                let k = x >> 1;
                let word = packed[l.index(plane, (x + y) & 1, y, k >> 5)];
                *v = if (word >> (k & 31)) & 1 == 1 {
                    1.0
                } else {
                    -1.0
                };
            }
        });
}
