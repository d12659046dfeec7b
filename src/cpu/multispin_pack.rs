//! Twin of `shaders/multispin_pack.wgsl`: packs a ±1 field into multi-spin words (layout in
//! [`PackedLayout`]); a site is +1 when its value is positive.

use rayon::prelude::*;

use super::shared::packed_spins::PackedLayout;
use crate::kernels::StepParams;

/// Packs `src` into the first `2 · colour_words` words of `packed`.
pub fn run(p: &StepParams, src: &[f32], packed: &mut [u32]) {
    let l = PackedLayout::of(p);
    let rw = l.row_words();
    l.par_planes(packed).for_each(|(plane, even, odd)| {
        even.par_chunks_mut(rw)
            .zip(odd.par_chunks_mut(rw))
            .enumerate()
            .for_each(|(y, (even_row, odd_row))| {
                for w in 0..rw {
                    let base = (plane * l.height + y) * l.width + 64 * w;
                    let (mut even_colour, mut odd_colour) = (0u32, 0u32);
                    for (j, v) in src[base..base + 64].iter().enumerate() {
                        if *v > 0.0 {
                            // Column 64 w + j has colour (j + y) & 1 and is bit j / 2 of
                            // its colour's word.
                            let bit = 1u32 << (j >> 1);
                            if (j + y) & 1 == 0 {
                                even_colour |= bit;
                            } else {
                                odd_colour |= bit;
                            }
                        }
                    }
                    even_row[w] = even_colour;
                    odd_row[w] = odd_colour;
                }
            });
    });
}
