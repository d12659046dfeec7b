//! The CPU fast path of the Lennard-Jones forces: half neighbour lists (each pair once;
//! `neighbor_list::Lists::Half`) and Newton's third law, so each pair is evaluated once where
//! the twin (`lj_forces.rs`, the GPU kernel's) evaluates it from both sides. The same forces,
//! energies and virials up to the order of the sums (tested against the twin).

use rayon::prelude::*;

use super::lj_forces::lj_pair;
use crate::kernels::particles::ParticleParams;

/// Forces, and with `energies` the per-particle energies and virials, from half lists: each
/// pair's force added to one particle and subtracted from the other, its energy and virial
/// shared in halves. Without `energies` (the steps nothing observes, as LAMMPS skips its energy
/// and virial tallies between thermo steps) the energy slot of `force` and `virial` are zero.
/// Threads accumulate into their own buffers, summed at the end. (Those buffers are allocated per call:
/// keeping them between steps, with the first thread summing into `force` itself, measured ~10 %
/// slower on two threads here, 1.23–1.28 s against 1.11–1.14 s for `benches/compare_lammps.sh`.)
#[allow(clippy::too_many_arguments)]
pub fn lj_forces_half(
    p: &ParticleParams,
    pair_table: &[[f32; 4]],
    position: &[[f32; 4]],
    neighbors: &[u32],
    neighbor_count: &[u32],
    force: &mut [[f32; 4]],
    virial: &mut [f32],
    energies: bool,
) {
    if energies {
        half_list_sums::<true>(
            p,
            pair_table,
            position,
            neighbors,
            neighbor_count,
            force,
            virial,
        );
    } else {
        half_list_sums::<false>(
            p,
            pair_table,
            position,
            neighbors,
            neighbor_count,
            force,
            virial,
        );
    }
}

/// The pair loop, with or without the energy and virial tallies (`ENERGIES`).
fn half_list_sums<const ENERGIES: bool>(
    p: &ParticleParams,
    pair_table: &[[f32; 4]],
    position: &[[f32; 4]],
    neighbors: &[u32],
    neighbor_count: &[u32],
    force: &mut [[f32; 4]],
    virial: &mut [f32],
) {
    let (n, cap, species) = (p.n as usize, p.capacity as usize, p.species as usize);
    let cutoff2 = p.cutoff * p.cutoff;
    let len = p.chains as usize * n;
    let threads = rayon::current_num_threads().max(1);
    let per = len.div_ceil(threads).max(1);
    let tasks = len.div_ceil(per);
    let part = |t: usize| {
        let mut f = vec![[0.0f32; 4]; len];
        let mut w = vec![0.0f32; if ENERGIES { len } else { 0 }];
        for gi in t * per..((t + 1) * per).min(len) {
            let chain = gi / n;
            let xi = position[gi];
            let si = xi[3] as usize;
            let count = (neighbor_count[gi] as usize).min(cap);
            // i's sums stay in registers; its partners' go to memory.
            let (mut fi, mut ui, mut wi) = ([0.0f32; 3], 0.0f32, 0.0f32);
            for &j in &neighbors[gi * cap..gi * cap + count] {
                let gj = chain * n + j as usize;
                let xj = position[gj];
                let d = p.separation(xi, xj);
                let r2 = d[0] * d[0] + d[1] * d[1] + d[2] * d[2];
                let pair = if species == 1 {
                    pair_table[0]
                } else {
                    pair_table[si * species + xj[3] as usize]
                };
                let (uij, f_over_r) = lj_pair(pair, r2, cutoff2);
                for k in 0..3 {
                    fi[k] -= f_over_r * d[k];
                    f[gj][k] += f_over_r * d[k];
                }
                if ENERGIES {
                    ui += 0.5 * uij;
                    f[gj][3] += 0.5 * uij;
                    wi += 0.5 * f_over_r * r2;
                    w[gj] += 0.5 * f_over_r * r2;
                }
            }
            for k in 0..3 {
                f[gi][k] += fi[k];
            }
            if ENERGIES {
                f[gi][3] += ui;
                w[gi] += wi;
            }
        }
        (f, w)
    };
    // One thread works here: a hand-off to the pool and back costs more than it saves.
    let partials: Vec<(Vec<[f32; 4]>, Vec<f32>)> = if tasks == 1 {
        vec![part(0)]
    } else {
        (0..tasks).into_par_iter().map(part).collect()
    };
    force[..len].fill([0.0; 4]);
    virial[..len].fill(0.0);
    for (f, w) in partials {
        for (out, add) in force[..len].iter_mut().zip(&f) {
            for k in 0..4 {
                out[k] += add[k];
            }
        }
        for (out, add) in virial[..len].iter_mut().zip(&w) {
            *out += add;
        }
    }
}
