//! [`ParticleFrame`]: one frame of a particle trajectory, as the trajectory formats (extended
//! XYZ, H5MD) write and read it.

/// One frame: positions `[x, y, z, species]`, optional velocities and per-particle energies.
#[derive(Clone, Debug, PartialEq)]
pub struct ParticleFrame {
    /// Edge lengths of a periodic orthorhombic box, or `None` in free space.
    pub lattice: Option<[f32; 3]>,
    /// `[x, y, z, species]` per particle.
    pub position: Vec<[f32; 4]>,
    /// `[vx, vy, vz, _]` per particle.
    pub velocity: Option<Vec<[f32; 4]>>,
    /// Per-particle potential energy.
    pub energies: Option<Vec<f32>>,
    /// The step it was taken at.
    pub step: u64,
    /// The total potential energy.
    pub energy: Option<f64>,
}
