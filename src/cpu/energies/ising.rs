//! Ising spins, the twin of `shaders/energies/ising.wgsl`. `energy_params = [J, h]`.

use super::{EnergyEval, EnergyTwin};

/// The Ising twin.
pub struct IsingTwin;

impl EnergyTwin for IsingTwin {
    /// −J Σ_nb s_j − h: the gradient of the multilinear extension.
    fn energy_gradient(&self, e: &EnergyEval, i: usize) -> f32 {
        -e.energy_params[0] * e.lattice.neighbour_sum(e.src, i) - e.energy_params[1]
    }

    /// The bonds to the right and lower neighbours plus the field term.
    fn site_energy(&self, e: &EnergyEval, i: usize) -> f32 {
        let s = e.src[i];
        let right = e.src[e.lattice.neighbour(i, 0, 1)];
        let down = e.src[e.lattice.neighbour(i, 1, 0)];
        -e.energy_params[0] * s * (right + down) - e.energy_params[1] * s
    }

    /// E is linear in s_i given its neighbours, so the change is exact.
    fn local_energy_change(&self, e: &EnergyEval, i: usize, proposed: f32) -> f32 {
        (proposed - e.src[i]) * self.energy_gradient(e, i)
    }

    /// A spin flip.
    fn metropolis_proposal(&self, _e: &EnergyEval, current: f32, _r: [u32; 4]) -> f32 {
        -current
    }
}
