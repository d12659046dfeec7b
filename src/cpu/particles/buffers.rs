//! [`CpuParticles`]: the particle buffers on the CPU, laid out as on the GPU, and the twins run
//! over them in the order the GPU runs its kernels, except the pair loop: its neighbour lists are
//! half lists and its forces the fast path of `lj_forces_half.rs` (each pair once), which give
//! the twin's forces up to the order of the sums.

use super::neighbor_list::Lists;
use super::{cell_list, integrate, lj_forces_half, neighbor_list};
use crate::error::Result;
use crate::kernels::particles::ParticleParams;
use crate::memory;

/// The particle buffers of one run (all chains).
pub struct CpuParticles {
    /// `[x, y, z, species]` per particle.
    pub position: Vec<[f32; 4]>,
    /// `[vx, vy, vz, 0]` per particle.
    pub velocity: Vec<[f32; 4]>,
    /// `[fx, fy, fz, u]` per particle.
    pub force: Vec<[f32; 4]>,
    /// Half of `Σ r·f` per particle.
    pub virial: Vec<f32>,
    anchor: Vec<[f32; 4]>,
    neighbors: Vec<u32>,
    neighbor_count: Vec<u32>,
    cell_start: Vec<u32>,
    cell_particles: Vec<u32>,
    pair_table: Vec<[f32; 4]>,
    /// Each chain's bath temperature as a multiple of the parameters' temperature.
    chain_temperature: Vec<f32>,
}

impl CpuParticles {
    /// Buffers for `position` and `velocity` under `p` (its capacity and cells size the lists).
    pub fn new(
        p: &ParticleParams,
        position: Vec<[f32; 4]>,
        velocity: Vec<[f32; 4]>,
        pair_table: Vec<[f32; 4]>,
    ) -> Result<Self> {
        let len = position.len();
        let mut buffers = CpuParticles {
            force: memory::filled(len, [0.0; 4], "force")?,
            virial: memory::filled(len, 0.0, "virial")?,
            anchor: position.clone(),
            position,
            velocity,
            neighbors: Vec::new(),
            neighbor_count: memory::filled(len, 0, "neighbor_count")?,
            cell_start: Vec::new(),
            cell_particles: memory::filled(len, 0, "cell_particles")?,
            pair_table,
            chain_temperature: vec![1.0; p.chains as usize],
        };
        buffers.resize_lists(p)?;
        Ok(buffers)
    }

    /// Sizes the neighbour and cell lists for `p`'s capacity and grid.
    pub fn resize_lists(&mut self, p: &ParticleParams) -> Result<()> {
        let len = self.position.len();
        self.neighbors = memory::filled(len * p.capacity as usize, 0, "neighbors")?;
        self.cell_start = memory::filled(
            p.chains as usize * (p.cells_per_chain() + 1),
            0,
            "cell_start",
        )?;
        Ok(())
    }

    /// Rebuilds the cell and (half) neighbour lists; returns the longest list (above the
    /// capacity when it overflowed).
    pub fn rebuild(&mut self, p: &ParticleParams) -> u32 {
        cell_list::build_cells(
            p,
            &self.position,
            &mut self.cell_start,
            &mut self.cell_particles,
        );
        neighbor_list::build_neighbors(
            Lists::Half,
            p,
            &self.position,
            &self.cell_start,
            &self.cell_particles,
            &mut self.neighbors,
            &mut self.neighbor_count,
            &mut self.anchor,
        );
        self.neighbor_count.iter().copied().max().unwrap_or(0)
    }

    /// The largest squared displacement from the anchors, over all chains.
    pub fn max_displacement2(&self, p: &ParticleParams) -> f32 {
        (0..p.chains as usize)
            .map(|c| neighbor_list::max_displacement2(p, &self.position, &self.anchor, c))
            .fold(0.0, neighbor_list::max_by_bits)
    }

    /// Evaluates forces, and with `energies` the energies and virials (else zero).
    pub fn forces(&mut self, p: &ParticleParams, energies: bool) {
        lj_forces_half::lj_forces_half(
            p,
            &self.pair_table,
            &self.position,
            &self.neighbors,
            &self.neighbor_count,
            &mut self.force,
            &mut self.virial,
            energies,
        );
    }

    /// B: a kick of `fraction · dt`.
    pub fn kick(&mut self, p: &ParticleParams, fraction: f32) {
        integrate::kick(p, &mut self.velocity, &self.force, fraction);
    }

    /// A: a drift of `fraction · dt`.
    pub fn drift(&mut self, p: &ParticleParams, fraction: f32) {
        integrate::drift(p, &mut self.position, &self.velocity, fraction);
    }

    /// O: the Ornstein–Uhlenbeck velocity update.
    pub fn thermostat(&mut self, p: &ParticleParams) {
        integrate::thermostat(p, &mut self.velocity, &self.chain_temperature);
    }

    /// An overdamped Langevin step.
    pub fn brownian(&mut self, p: &ParticleParams) {
        integrate::brownian(p, &mut self.position, &self.force, &self.chain_temperature);
    }

    /// Sets each chain's bath temperature as a multiple of the parameters' temperature.
    pub fn set_temperature_scale(&mut self, scale: &[f32]) {
        self.chain_temperature = scale.to_vec();
    }
}
