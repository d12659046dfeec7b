//! Twin of `shaders/particles/lj_forces.wgsl`: Lennard-Jones forces, energies and virials from
//! the Verlet lists, `u(r) = 4ε[(σ/r)¹² − (σ/r)⁶] − shift` for r < r_c.

use rayon::prelude::*;

use crate::kernels::particles::ParticleParams;

/// Particles per parallel task (enough work to outweigh the scheduling).
pub const PARTICLES_PER_TASK: usize = 256;

/// The pair energy `u(r)` and `f(r)/r` (the force on the second particle is `f/r · d`, with
/// `d` the separation from the first) at squared distance `r2` for pair entry
/// `[ε, σ², shift, 0]`; zero at and beyond the cutoff.
#[inline]
pub fn lj_pair(entry: [f32; 4], r2: f32, cutoff2: f32) -> (f32, f32) {
    let [eps, sigma2, shift, _] = entry;
    let inv_r2 = 1.0 / r2;
    let s2 = sigma2 * inv_r2;
    let s6 = s2 * s2 * s2;
    let u = 4.0 * eps * (s6 * s6 - s6) - shift;
    let f_over_r = 24.0 * eps * (2.0 * s6 * s6 - s6) * inv_r2;
    // Without a branch: most listed pairs are inside the cutoff, the rest count zero.
    let inside = if r2 < cutoff2 { 1.0 } else { 0.0 };
    (inside * u, inside * f_over_r)
}

/// Writes each particle's force with its half of the pair energies in `w`, and its half of the
/// virial `Σ r·f`.
pub fn lj_forces(
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
    let each = |(gi, (out, vir)): (usize, (&mut [f32; 4], &mut f32))| {
        let chain = gi / n;
        let xi = position[gi];
        let si = xi[3] as usize;
        let mut f = [0.0f32; 3];
        let (mut u, mut w) = (0.0f32, 0.0f32);
        let count = (neighbor_count[gi] as usize).min(cap);
        for &j in &neighbors[gi * cap..gi * cap + count] {
            let xj = position[chain * n + j as usize];
            let d = p.separation(xi, xj);
            let r2 = d[0] * d[0] + d[1] * d[1] + d[2] * d[2];
            let (uij, f_over_r) = lj_pair(pair_table[si * species + xj[3] as usize], r2, cutoff2);
            // The force on i points away from j: along −d when repulsive.
            for k in 0..3 {
                f[k] -= f_over_r * d[k];
            }
            u += 0.5 * uij;
            w += 0.5 * f_over_r * r2;
        }
        *out = [f[0], f[1], f[2], u];
        *vir = w;
    };
    force[..len]
        .par_iter_mut()
        .zip(virial[..len].par_iter_mut())
        .enumerate()
        .with_min_len(PARTICLES_PER_TASK)
        .for_each(each);
}
