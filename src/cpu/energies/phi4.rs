//! φ⁴ (Ginzburg–Landau) lattice field with an optional guidance term `(λ/2)(φ − t_i)²`, the twin
//! of `shaders/energies/phi4.wgsl`. `energy_params = [kappa, a, b, h, lambda, target plane…]`.

use super::{EnergyEval, EnergyTwin};
use crate::cpu::shared::rng::gaussian;

fn coefficients(e: &EnergyEval) -> (f32, f32, f32, f32) {
    let p = e.energy_params;
    (p[0], p[1], p[2], p[3])
}

/// λ and the target value at site i (λ = 0: no guidance).
fn guidance(e: &EnergyEval, i: usize) -> (f32, f32) {
    let lambda = e.energy_params[4];
    if lambda == 0.0 {
        return (0.0, 0.0);
    }
    let plane = e.lattice.width * e.lattice.height;
    (lambda, e.energy_params[5 + i % plane])
}

/// φ⁴'s twin; its `langevin_step` is the vectorised [`crate::cpu::fast_phi4`].
pub struct Phi4Twin;

impl EnergyTwin for Phi4Twin {
    /// ∂E/∂φ_i = −κ Δφ_i + aφ_i + bφ_i³ − h.
    fn energy_gradient(&self, e: &EnergyEval, i: usize) -> f32 {
        let (kappa, a, b, h) = coefficients(e);
        let phi = e.src[i];
        let laplacian = e.lattice.neighbour_sum(e.src, i) - 4.0 * phi;
        let (lambda, t) = guidance(e, i);
        let guide = if lambda != 0.0 {
            lambda * (phi - t)
        } else {
            0.0
        };
        -kappa * laplacian + a * phi + b * phi * phi * phi - h + guide
    }

    /// The bonds to the right and lower neighbours plus the on-site terms.
    fn site_energy(&self, e: &EnergyEval, i: usize) -> f32 {
        let (kappa, a, b, h) = coefficients(e);
        let phi = e.src[i];
        let dr = phi - e.src[e.lattice.neighbour(i, 0, 1)];
        let dd = phi - e.src[e.lattice.neighbour(i, 1, 0)];
        let phi2 = phi * phi;
        let (lambda, t) = guidance(e, i);
        let guide = if lambda != 0.0 {
            0.5 * lambda * (phi - t) * (phi - t)
        } else {
            0.0
        };
        0.5 * kappa * (dr * dr + dd * dd) + 0.5 * a * phi2 + 0.25 * b * phi2 * phi2 - h * phi
            + guide
    }

    /// E(φ_i → proposed) − E(φ).
    fn local_energy_change(&self, e: &EnergyEval, i: usize, proposed: f32) -> f32 {
        let (kappa, a, b, h) = coefficients(e);
        let phi = e.src[i];
        let d = proposed - phi;
        let dsq = proposed * proposed - phi * phi;
        let bonds = kappa * (2.0 * dsq - d * e.lattice.neighbour_sum(e.src, i));
        let onsite = 0.5 * a * dsq + 0.25 * b * dsq * (proposed * proposed + phi * phi) - h * d;
        let (lambda, t) = guidance(e, i);
        let guide = if lambda != 0.0 {
            0.5 * lambda * ((proposed - t) * (proposed - t) - (phi - t) * (phi - t))
        } else {
            0.0
        };
        bonds + onsite + guide
    }

    /// A Gaussian move of width `step_size`.
    fn metropolis_proposal(&self, e: &EnergyEval, current: f32, r: [u32; 4]) -> f32 {
        current + e.params.step_size * gaussian(r)
    }

    /// The vectorised [`crate::cpu::fast_phi4`], the same numbers as the generic twin.
    fn fast_langevin_step(&self) -> Option<super::LangevinStep> {
        Some(crate::cpu::fast_phi4::run)
    }
}
