//! Twin of `shaders/particles/cell_list.wgsl`: bins each chain's particles into the cells of its
//! grid, listed by cell and, within a cell, by particle index (the GPU sorts each cell's slice
//! after its atomic fill, so both lists are the same).

use crate::kernels::particles::ParticleParams;

/// Fills `cell_start` (`cells + 1` entries per chain: the first slot of each cell in
/// `cell_particles`, then `n`) and `cell_particles` (`n` per chain, particle indices within the
/// chain).
pub fn build_cells(
    p: &ParticleParams,
    position: &[[f32; 4]],
    cell_start: &mut [u32],
    cell_particles: &mut [u32],
) {
    let (n, cells) = (p.n as usize, p.cells_per_chain());
    for c in 0..p.chains as usize {
        let starts = &mut cell_start[c * (cells + 1)..(c + 1) * (cells + 1)];
        starts.fill(0);
        let chain = &position[c * n..(c + 1) * n];
        let cell_of = |x: [f32; 4]| p.cell_index(p.cell_of(x)) as usize;
        for &x in chain {
            starts[cell_of(x) + 1] += 1;
        }
        for k in 0..cells {
            starts[k + 1] += starts[k];
        }
        let mut next: Vec<u32> = starts[..cells].to_vec();
        let list = &mut cell_particles[c * n..(c + 1) * n];
        for (i, &x) in chain.iter().enumerate() {
            let cell = cell_of(x);
            list[next[cell] as usize] = i as u32;
            next[cell] += 1;
        }
    }
}

/// The cells whose particles may be within range of a particle in cell `c`: the 27 around it
/// (wrapped in a periodic box, cut at the edges in free space), each once, in a fixed order
/// (z, then y, then x offsets from −1 to +1).
pub fn neighbor_cells(p: &ParticleParams, c: [u32; 3]) -> ([u32; 27], usize) {
    stencil(p, c, false)
}

/// The home cell and the 13 cells of the forward half of its neighbourhood (offsets from
/// (0, 0, 0) on in the same order): with 3 or more cells per axis, each pair of cells meets
/// once.
pub fn forward_cells(p: &ParticleParams, c: [u32; 3]) -> ([u32; 27], usize) {
    stencil(p, c, true)
}

fn stencil(p: &ParticleParams, c: [u32; 3], forward: bool) -> ([u32; 27], usize) {
    let mut out = [0u32; 27];
    let mut count = 0;
    for dz in -1i32..=1 {
        for dy in -1i32..=1 {
            for dx in -1i32..=1 {
                if forward && (dz, dy, dx) < (0, 0, 0) {
                    continue;
                }
                let mut q = [0u32; 3];
                let mut inside = true;
                for (k, d) in [dx, dy, dz].into_iter().enumerate() {
                    let n = p.cells[k] as i32;
                    let x = c[k] as i32 + d;
                    if p.periodic() {
                        q[k] = x.rem_euclid(n) as u32;
                    } else if x < 0 || x >= n {
                        inside = false;
                    } else {
                        q[k] = x as u32;
                    }
                }
                if !inside {
                    continue;
                }
                let index = p.cell_index(q);
                // A grid of fewer than 3 cells on an axis wraps onto the same cell twice.
                if !out[..count].contains(&index) {
                    out[count] = index;
                    count += 1;
                }
            }
        }
    }
    (out, count)
}
