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

/// One particle's list slots, its count and its anchor.
type ListOf<'a> = ((&'a mut [u32], &'a mut u32), &'a mut [f32; 4]);

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
    let (n, cells, cap) = (p.n as usize, p.cells_per_chain(), p.capacity as usize);
    let reach = p.cutoff + p.skin;
    let reach2 = reach * reach;
    let len = p.chains as usize * n;
    let half_shell = lists == Lists::Half && p.cells.iter().all(|&c| c >= 3);
    let each = |(gi, ((slots, count), anchor)): (usize, ListOf<'_>)| {
        let (c, i) = (gi / n, gi % n);
        let starts = &cell_start[c * (cells + 1)..(c + 1) * (cells + 1)];
        let list = &cell_particles[c * n..(c + 1) * n];
        let xi = position[gi];
        let home = p.cell_of(xi);
        let (around, cell_count) = if half_shell {
            forward_cells(p, home)
        } else {
            neighbor_cells(p, home)
        };
        let home = p.cell_index(home);
        let mut found = 0usize;
        for &cell in &around[..cell_count] {
            // Half lists take the higher indices only, except from the other cells of the half
            // shell, which meet each of their pairs with i once.
            let higher_only = lists == Lists::Half && (!half_shell || cell == home);
            let cell = cell as usize;
            for &j in &list[starts[cell] as usize..starts[cell + 1] as usize] {
                if j as usize == i || (higher_only && (j as usize) < i) {
                    continue;
                }
                let d = p.separation(xi, position[c * n + j as usize]);
                if d[0] * d[0] + d[1] * d[1] + d[2] * d[2] < reach2 {
                    if found < cap {
                        slots[found] = j;
                    }
                    found += 1;
                }
            }
        }
        *count = found as u32;
        *anchor = xi;
    };
    neighbors[..len * cap]
        .par_chunks_mut(cap.max(1))
        .zip(neighbor_count[..len].par_iter_mut())
        .zip(anchor[..len].par_iter_mut())
        .enumerate()
        .with_min_len(PARTICLES_PER_TASK)
        .for_each(each);
}

/// The largest squared displacement of any particle of chain `chain` from its anchor.
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
        .fold(0.0, f32::max)
}

fn c_range(chain: usize, n: usize) -> std::ops::Range<usize> {
    chain * n..(chain + 1) * n
}
