//! Site indexing, the twin of `shaders/shared/lattice.wgsl`: fields of shape
//! [chains, channels, height, width], row-major, periodic.

use crate::kernels::StepParams;

/// Index arithmetic of one field layout.
#[derive(Clone, Copy, Debug)]
pub struct Lattice {
    /// Lattice width.
    pub width: usize,
    /// Lattice height.
    pub height: usize,
    /// Values per chain.
    pub per_chain: usize,
    /// Number of chains.
    pub chains: usize,
}

impl Lattice {
    /// The layout described by a dispatch's parameters.
    pub fn of(p: &StepParams) -> Self {
        Lattice {
            width: p.width as usize,
            height: p.height as usize,
            per_chain: (p.channels * p.height * p.width) as usize,
            chains: p.chains as usize,
        }
    }

    /// The chain of site `i`.
    pub fn chain_of(&self, i: usize) -> usize {
        i / self.per_chain
    }

    /// The index of site `i` within its chain.
    pub fn index_in_chain(&self, i: usize) -> usize {
        i % self.per_chain
    }

    /// The site displaced by (dy, dx) within the same chain and channel, wrapping periodically;
    /// a displacement is at most one lattice size (the stencils step by one).
    pub fn neighbour(&self, i: usize, dy: isize, dx: isize) -> usize {
        let (w, h) = (self.width, self.height);
        let row = i / w;
        let x = i - row * w;
        let y = row % h;
        let plane = i - (y * w + x);
        plane + wrap(y, dy, h) * w + wrap(x, dx, w)
    }

    /// Sum of the four nearest neighbours' values.
    pub fn neighbour_sum(&self, src: &[f32], i: usize) -> f32 {
        src[self.neighbour(i, 0, 1)]
            + src[self.neighbour(i, 0, -1)]
            + src[self.neighbour(i, 1, 0)]
            + src[self.neighbour(i, -1, 0)]
    }

    /// Checkerboard colour of site `i`.
    pub fn parity_of(&self, i: usize) -> u32 {
        let x = i % self.width;
        let y = (i / self.width) % self.height;
        ((x + y) & 1) as u32
    }
}

/// `v + d` wrapped into [0, n) by comparison (no division), for |d| ≤ n.
fn wrap(v: usize, d: isize, n: usize) -> usize {
    let s = v as isize + d;
    if s < 0 {
        (s + n as isize) as usize
    } else if s >= n as isize {
        (s - n as isize) as usize
    } else {
        s as usize
    }
}
