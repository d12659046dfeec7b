//! The particle kernels' shared layout: [`ParticleParams`], the uniform of every particle kernel
//! (keep in sync with `struct ParticleParams` in `shaders/particles/bindings.wgsl`), and the
//! layouts of the particle buffers, which the GPU kernels and their CPU twins (`cpu/particles/`)
//! read alike.
//!
//! Buffers, one entry per particle of every chain (`chains × n`, chain-major):
//! - `position`: `[x, y, z, species]` (species as a float, for one `vec4<f32>` per particle);
//! - `velocity`: `[vx, vy, vz, 0]`;
//! - `force`: `[fx, fy, fz, u]` with `u` the particle's half of its pair energies;
//! - `virial`: the particle's half of `Σ r·f` over its pairs;
//! - `anchor`: the positions at the last neighbour-list build (skin check);
//! - `neighbors`: `capacity` slots per particle, `neighbor_count` how many are used (a count above
//!   the capacity says the list overflowed and must be rebuilt larger);
//! - `cell_start`: per cell of a chain's grid (`cells[0] × cells[1] × cells[2]`, x fastest) the
//!   first slot of `cell_particles`, and one more entry at the end; `cell_particles` lists each
//!   chain's particles by cell.
//! - `pair_table`: per species pair `(a, b)` at `a × species + b`, `[ε, σ², shift, 0]`;
//! - `chain_temperature`: per chain, its bath temperature as a multiple of
//!   [`ParticleParams::temperature`] (1, except on the rungs of a replica-exchange ladder).

use bytemuck::{Pod, Zeroable};

/// Flag: the box is periodic (minimum-image distances, wrapped positions).
pub const PARTICLE_PERIODIC: u32 = 1;

/// Per-dispatch parameters of the particle kernels.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Pod, Zeroable)]
pub struct ParticleParams {
    /// Particles per chain.
    pub n: u32,
    /// Independent systems side by side.
    pub chains: u32,
    /// Species (the pair table is species × species).
    pub species: u32,
    /// Neighbour slots per particle.
    pub capacity: u32,
    /// Cells per axis of a chain's grid.
    pub cells: [u32; 3],
    /// Bit flags ([`PARTICLE_PERIODIC`]).
    pub flags: u32,
    /// Box lengths (periodic) or the grid's extent (free space).
    pub box_len: [f32; 3],
    /// Pair cutoff r_c.
    pub cutoff: f32,
    /// Grid origin (free space; zero for a periodic box).
    pub origin: [f32; 3],
    /// Verlet skin: pairs within r_c + skin are listed.
    pub skin: f32,
    /// Time step.
    pub dt: f32,
    /// Langevin friction γ.
    pub gamma: f32,
    /// Temperature (k_B = 1).
    pub temperature: f32,
    /// Step counter: keys the random numbers.
    pub step: u32,
    /// Seed of the run.
    pub seed: u32,
    /// Mass of every particle.
    pub mass: f32,
    /// The fraction of `dt` a kick or drift stage takes.
    pub fraction: f32,
    /// Padding to 16 bytes.
    pub _pad: u32,
}

impl ParticleParams {
    /// Whether the box is periodic.
    pub fn periodic(&self) -> bool {
        self.flags & PARTICLE_PERIODIC != 0
    }

    /// Cells in one chain's grid.
    pub fn cells_per_chain(&self) -> usize {
        self.cells.iter().map(|&c| c as usize).product()
    }

    /// The displacement `b − a`, by minimum image in a periodic box (positions are kept in
    /// `[0, L)`, so one image shift by comparison suffices).
    #[inline]
    pub fn separation(&self, a: [f32; 4], b: [f32; 4]) -> [f32; 3] {
        let mut d = [b[0] - a[0], b[1] - a[1], b[2] - a[2]];
        if self.periodic() {
            for (k, x) in d.iter_mut().enumerate() {
                let l = self.box_len[k];
                if *x > 0.5 * l {
                    *x -= l;
                } else if *x < -0.5 * l {
                    *x += l;
                }
            }
        }
        d
    }

    /// The cell coordinates of a position (clamped into the grid).
    pub fn cell_of(&self, p: [f32; 4]) -> [u32; 3] {
        let mut c = [0u32; 3];
        for k in 0..3 {
            let n = self.cells[k];
            let x = (p[k] - self.origin[k]) / self.box_len[k] * n as f32;
            c[k] = (x.floor().max(0.0) as u32).min(n - 1);
        }
        c
    }

    /// The linear index of cell coordinates (x fastest).
    pub fn cell_index(&self, c: [u32; 3]) -> u32 {
        c[0] + self.cells[0] * (c[1] + self.cells[1] * c[2])
    }
}
