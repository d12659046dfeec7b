//! Twin of `shaders/particles/neighbor_list.wgsl`: each particle's Verlet list, the particles
//! within r_c + skin found through the cell list, and its anchor, the position the skin is
//! measured from. Full lists (every pair listed by both particles, so each sums its own force
//! without atomics) are the GPU kernel's; half lists (each pair once) feed the CPU fast path
//! (`lj_forces_half.rs`).

use rayon::prelude::*;

use super::cell_list::{forward_cells, neighbor_cells};
use super::lj_forces::PARTICLES_PER_TASK;
use crate::kernels::particles::ParticleParams;

/// Which pairs a list holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lists {
    /// Every neighbour: each pair in both particles' lists (the GPU kernel's).
    Full,
    /// Each pair once: through the half shell of cells (the home cell and 13 of the 26 around
    /// it) where every axis has 3 or more cells, by index (higher only) in the home cell and on
    /// smaller grids.
    Half,
}

/// Builds `neighbors` (`capacity` per particle) and `neighbor_count`, full or half lists; a
/// count above the capacity says the list needs more slots (only the first `capacity` are
/// written).
#[allow(clippy::too_many_arguments)]
pub fn build_neighbors(
    lists: Lists,
    p: &ParticleParams,
    position: &[[f32; 4]],
    cell_start: &[u32],
    cell_particles: &[u32],
    neighbors: &mut [u32],
    neighbor_count: &mut [u32],
    anchor: &mut [[f32; 4]],
) {
    let len = p.chains as usize * p.n as usize;
    anchor[..len].copy_from_slice(&position[..len]);
    if lists == Lists::Half && p.cells.iter().all(|&c| c >= 3) {
        build_half_shell(
            p,
            position,
            cell_start,
            cell_particles,
            neighbors,
            neighbor_count,
        );
    } else {
        build_by_particle(
            lists,
            p,
            position,
            cell_start,
            cell_particles,
            neighbors,
            neighbor_count,
        );
    }
}

/// Each particle's list from the 27 cells around it (full lists, the GPU kernel's rule; half
/// lists on grids too small for the half shell take the higher indices only).
fn build_by_particle(
    lists: Lists,
    p: &ParticleParams,
    position: &[[f32; 4]],
    cell_start: &[u32],
    cell_particles: &[u32],
    neighbors: &mut [u32],
    neighbor_count: &mut [u32],
) {
    let (n, cells) = (p.n as usize, p.cells_per_chain());
    let reach = p.cutoff + p.skin;
    let reach2 = reach * reach;
    fill_lists(p, neighbors, neighbor_count, |gi, list| {
        let (c, i) = (gi / n, gi % n);
        let starts = &cell_start[c * (cells + 1)..(c + 1) * (cells + 1)];
        let members = &cell_particles[c * n..(c + 1) * n];
        let xi = position[gi];
        let (around, cell_count) = neighbor_cells(p, p.cell_of(xi));
        for &cell in &around[..cell_count] {
            let cell = cell as usize;
            for &j in &members[starts[cell] as usize..starts[cell + 1] as usize] {
                if j as usize == i || (lists == Lists::Half && (j as usize) < i) {
                    continue;
                }
                let d = p.separation(xi, position[c * n + j as usize]);
                if d[0] * d[0] + d[1] * d[1] + d[2] * d[2] < reach2 {
                    list.push(j);
                }
            }
        }
    });
}

/// Half lists through the half shell of cells (3 or more cells per axis): the positions are
/// first copied in cell order (`[x, y, z, index bits]`), so the candidates of a cell are
/// contiguous, and each stencil cell carries its image shift, so no candidate needs a
/// minimum-image test. The home cell's pairs go to the lower index.
fn build_half_shell(
    p: &ParticleParams,
    position: &[[f32; 4]],
    cell_start: &[u32],
    cell_particles: &[u32],
    neighbors: &mut [u32],
    neighbor_count: &mut [u32],
) {
    let (n, cells) = (p.n as usize, p.cells_per_chain());
    let reach = p.cutoff + p.skin;
    let reach2 = reach * reach;
    let len = p.chains as usize * n;
    let sorted: Vec<[f32; 4]> = (0..len)
        .map(|slot| {
            let c = slot / n;
            let j = cell_particles[slot];
            let x = position[c * n + j as usize];
            [x[0], x[1], x[2], f32::from_bits(j)]
        })
        .collect();
    fill_lists(p, neighbors, neighbor_count, |gi, list| {
        let (c, i) = (gi / n, (gi % n) as u32);
        let starts = &cell_start[c * (cells + 1)..(c + 1) * (cells + 1)];
        let chain = &sorted[c * n..(c + 1) * n];
        let xi = position[gi];
        let home_cell = p.cell_of(xi);
        let home = p.cell_index(home_cell);
        // Per particle, not tabled per cell: a free grid may hold far more cells than particles.
        let (shell, shell_len) = forward_cells(p, home_cell);
        for &(cell, shift) in &shell[..shell_len] {
            let o = [xi[0] - shift[0], xi[1] - shift[1], xi[2] - shift[2]];
            let range = starts[cell as usize] as usize..starts[cell as usize + 1] as usize;
            for xj in &chain[range] {
                let j = xj[3].to_bits();
                let (dx, dy, dz) = (xj[0] - o[0], xj[1] - o[1], xj[2] - o[2]);
                let near = dx * dx + dy * dy + dz * dz < reach2;
                if near && (cell != home || j > i) {
                    list.push(j);
                }
            }
        }
    });
}

/// One particle's list being filled: its `capacity` slots and how many neighbours were found
/// (beyond the capacity only counted).
pub struct ListWriter<'a> {
    slots: &'a mut [u32],
    found: usize,
}

impl ListWriter<'_> {
    /// Lists neighbour `j`.
    #[inline]
    pub fn push(&mut self, j: u32) {
        if let Some(slot) = self.slots.get_mut(self.found) {
            *slot = j;
        }
        self.found += 1;
    }
}

/// Fills every particle's list in parallel with `list_of(particle, writer)`, and its count.
fn fill_lists(
    p: &ParticleParams,
    neighbors: &mut [u32],
    neighbor_count: &mut [u32],
    list_of: impl Fn(usize, &mut ListWriter<'_>) + Sync,
) {
    let (cap, len) = (p.capacity as usize, p.chains as usize * p.n as usize);
    neighbors[..len * cap]
        .par_chunks_mut(cap.max(1))
        .zip(neighbor_count[..len].par_iter_mut())
        .enumerate()
        .with_min_len(PARTICLES_PER_TASK)
        .for_each(|(gi, (slots, count))| {
            let mut list = ListWriter { slots, found: 0 };
            list_of(gi, &mut list);
            *count = list.found as u32;
        });
}

/// The larger of two squared displacements as the GPU's `atomicMax` on their bits orders them:
/// as the floats where they are, and a NaN (a particle that blew up) above every number.
pub fn max_by_bits(a: f32, b: f32) -> f32 {
    f32::from_bits(a.to_bits().max(b.to_bits()))
}

/// The largest squared displacement of any particle of chain `chain` from its anchor (NaN when
/// a position is NaN, as on the GPU).
pub fn max_displacement2(
    p: &ParticleParams,
    position: &[[f32; 4]],
    anchor: &[[f32; 4]],
    chain: usize,
) -> f32 {
    let n = p.n as usize;
    (c_range(chain, n))
        .map(|i| {
            let d = p.separation(anchor[i], position[i]);
            d[0] * d[0] + d[1] * d[1] + d[2] * d[2]
        })
        .fold(0.0, max_by_bits)
}

fn c_range(chain: usize, n: usize) -> std::ops::Range<usize> {
    chain * n..(chain + 1) * n
}
