//! Multi-spin coding of ±1 fields, the twin of `shaders/shared/packed_spins.wgsl`: one bit per
//! spin (1 for +1), 32 spins of one checkerboard colour per `u32` word.
//!
//! For a field `[chains, channels, height, width]` with `width % 64 == 0`, plane
//! `p = chain · channels + channel`: word `w` (of `width / 64`) of row `y` of colour `c` is at
//! [`PackedLayout::index`]`(p, c, y, w)`, and its bit `b` is the site at column
//! [`PackedLayout::column`]`(c, y, w, b)` = `2 (32 w + b) + ((y + c) & 1)`.

use rayon::prelude::*;

use crate::kernels::StepParams;

/// Index arithmetic of the multi-spin words of one field.
#[derive(Clone, Copy, Debug)]
pub struct PackedLayout {
    /// Lattice width (a multiple of 64).
    pub width: usize,
    /// Lattice height.
    pub height: usize,
    /// Channels per chain.
    pub channels: usize,
    /// Planes: chains × channels.
    pub planes: usize,
}

impl PackedLayout {
    /// The layout of a dispatch's field.
    pub fn of(p: &StepParams) -> Self {
        PackedLayout {
            width: p.width as usize,
            height: p.height as usize,
            channels: p.channels as usize,
            planes: (p.chains * p.channels) as usize,
        }
    }

    /// Words per row of one colour.
    pub fn row_words(&self) -> usize {
        self.width / 64
    }

    /// Words of one colour in a plane.
    pub fn plane_words(&self) -> usize {
        self.height * self.row_words()
    }

    /// Words of one colour over every plane.
    pub fn colour_words(&self) -> usize {
        self.planes * self.plane_words()
    }

    /// The index of word `w` of row `y` of colour `c` in plane `p`.
    pub fn index(&self, p: usize, c: usize, y: usize, w: usize) -> usize {
        ((p * 2 + c) * self.height + y) * self.row_words() + w
    }

    /// The column of bit `b` of word `w` in row `y` of colour `c`.
    pub fn column(c: usize, y: usize, w: usize, b: usize) -> usize {
        2 * (32 * w + b) + ((y + c) & 1)
    }

    /// Each plane's words, in parallel: `(plane, colour 0's words, colour 1's words)`, rows of
    /// [`row_words`](Self::row_words) words each.
    pub fn par_planes<'a>(
        &self,
        packed: &'a mut [u32],
    ) -> impl IndexedParallelIterator<Item = (usize, &'a mut [u32], &'a mut [u32])> {
        let pw = self.plane_words();
        packed[..2 * self.colour_words()]
            .par_chunks_mut(2 * pw)
            .enumerate()
            .map(move |(plane, words)| {
                let (even, odd) = words.split_at_mut(pw);
                (plane, even, odd)
            })
    }
}
