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

/// Up to 27 cells, each with the shift of its particles' images, and how many there are.
pub type ShiftedCells = ([(u32, [f32; 3]); 27], usize);

/// The cells whose particles may be within range of a particle in cell `c`: the 27 around it
/// (wrapped in a periodic box, cut at the edges in free space), each once, in a fixed order
/// (z, then y, then x offsets from −1 to +1).
pub fn neighbor_cells(p: &ParticleParams, c: [u32; 3]) -> ([u32; 27], usize) {
    let (cells, count) = stencil(p, c, false);
    (cells.map(|(index, _)| index), count)
}

/// The home cell and the 13 cells of the forward half of its neighbourhood (offsets from
/// (0, 0, 0) on in the same order), each with the shift that takes its particles to their
/// images nearest the home cell (a box length where the stencil wrapped, else zero): with 3 or
/// more cells per axis, each pair of cells meets once, and a pair within reach is at the
/// shifted separation.
pub fn forward_cells(p: &ParticleParams, c: [u32; 3]) -> ShiftedCells {
    stencil(p, c, true)
}

fn stencil(p: &ParticleParams, c: [u32; 3], forward: bool) -> ShiftedCells {
    let mut out = [(0u32, [0.0f32; 3]); 27];
    let mut count = 0;
    for dz in -1i32..=1 {
        for dy in -1i32..=1 {
            for dx in -1i32..=1 {
                if forward && (dz, dy, dx) < (0, 0, 0) {
                    continue;
                }
                let mut q = [0u32; 3];
                let mut shift = [0.0f32; 3];
                let mut inside = true;
                for (k, d) in [dx, dy, dz].into_iter().enumerate() {
                    let n = p.cells[k] as i32;
                    let x = c[k] as i32 + d;
                    if p.periodic() {
                        q[k] = x.rem_euclid(n) as u32;
                        shift[k] = p.box_len[k] * x.div_euclid(n) as f32;
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
                if !out[..count].iter().any(|&(seen, _)| seen == index) {
                    out[count] = (index, shift);
                    count += 1;
                }
            }
        }
    }
    (out, count)
}
