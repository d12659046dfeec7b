//! Swift–Hohenberg pattern energy, the twin of `shaders/energies/swift_hohenberg.wgsl`.
//! `energy_params = [eps, g]`.

use super::{EnergyEval, EnergyTwin};

fn l(e: &EnergyEval, i: usize) -> f32 {
    e.lattice.neighbour_sum(e.src, i) - 3.0 * e.src[i]
}

/// The Swift–Hohenberg twin.
pub struct SwiftHohenbergTwin;

impl EnergyTwin for SwiftHohenbergTwin {
    /// ∂E/∂ψ_i = −εψ + (L²ψ)_i − gψ² + ψ³.
    fn energy_gradient(&self, e: &EnergyEval, i: usize) -> f32 {
        let (eps, g) = (e.energy_params[0], e.energy_params[1]);
        let lat = &e.lattice;
        let l_here = l(e, i);
        let l_around = l(e, lat.neighbour(i, 0, 1))
            + l(e, lat.neighbour(i, 0, -1))
            + l(e, lat.neighbour(i, 1, 0))
            + l(e, lat.neighbour(i, -1, 0));
        let l2 = l_around - 3.0 * l_here;
        let psi = e.src[i];
        -eps * psi + l2 - g * psi * psi + psi * psi * psi
    }

    /// −(ε/2)ψ² + ½(Lψ)² − (g/3)ψ³ + ¼ψ⁴ at site i.
    fn site_energy(&self, e: &EnergyEval, i: usize) -> f32 {
        let (eps, g) = (e.energy_params[0], e.energy_params[1]);
        let psi = e.src[i];
        let li = l(e, i);
        -0.5 * eps * psi * psi + 0.5 * li * li - g / 3.0 * psi * psi * psi
            + 0.25 * psi * psi * psi * psi
    }
}
