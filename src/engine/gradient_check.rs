//! [`gradient_check`]: a user's WGSL energy's gradient against central differences of its energy,
//! which catches the usual slip of a gradient that does not match the energy.

use crate::context::Context;
use crate::engine::energies::{CustomEnergy, EnergyModel};
use crate::engine::field::{Field, Shape};
use crate::engine::simulation::Simulation;
use crate::error::Result;

/// The worst mismatch between a custom energy's gradient and central differences of its energy.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GradientCheck {
    /// The site where the mismatch is largest.
    pub site: usize,
    /// The module's `energy_gradient` there.
    pub gradient: f64,
    /// The finite-difference derivative of the total energy there.
    pub finite_difference: f64,
    /// `|gradient − finite_difference| / max(1, |finite_difference|)`.
    pub error: f64,
    /// The error above which the gradient is reported as not matching (see [`gradient_check`]).
    pub tolerance: f64,
}

impl GradientCheck {
    /// Whether the gradient matches the energy within the tolerance.
    pub fn passed(&self) -> bool {
        self.error <= self.tolerance
    }
}

/// Compares `energy_gradient` with central differences `(E(x + h eᵢ) − E(x − h eᵢ)) / 2h` at
/// a few sites of a random 8×8 field (values of order one), on the context's GPU.
///
/// The tolerance on the relative error `|g − fd| / max(1, |fd|)` has two parts:
/// - rounding: the GPU sums the 64 site energies in f32 by a tree of depth 8 after a few
///   operations per site, so each total carries at most about 16 ε |E| (ε = 2⁻²⁴), and the
///   quotient `16 ε (|E₊| + |E₋|) / 2h`; for φ⁴ with |E| ≈ 64 that is about 6e-3;
/// - truncation and everything else: 2e-2, which is also well above the O(h²) = O(1e-4)
///   truncation of a smooth energy.
///
/// A wrong gradient (a missing factor, a sign, a dropped term) is off by O(1).
pub fn gradient_check(ctx: &Context, energy: &CustomEnergy) -> Result<GradientCheck> {
    const H: f32 = 1e-2;
    let model = EnergyModel::Custom(energy.clone());
    let shape = Shape::new(1, 1, 8, 8)?;
    let field = Field::random_normal(shape, 7, 0.7)?;
    let mut sim = Simulation::new(ctx, &model, &field, 0)?;
    let gradient = sim.energy_gradient(1.0)?;
    let mut worst: Option<GradientCheck> = None;
    for site in [0usize, 9, 18, 27, 36, 45, 54, 63] {
        let mut energy_at = |delta: f32| -> Result<f64> {
            let mut moved = field.clone();
            moved.data_mut()[site] += delta;
            sim.set_field(&moved)?;
            Ok(sim.energies()?[0])
        };
        let (plus, minus) = (energy_at(H)?, energy_at(-H)?);
        let fd = (plus - minus) / (2.0 * H as f64);
        let g = gradient.data()[site] as f64;
        let scale = fd.abs().max(1.0);
        // Energies that overflow or turn NaN make no derivative: that is a failure, not a pass.
        let (error, rounding) = if plus.is_finite() && minus.is_finite() && g.is_finite() {
            // ε = 2⁻²⁴ is half of f32::EPSILON.
            let eps = f32::EPSILON as f64 / 2.0;
            let rounding = 16.0 * eps * (plus.abs() + minus.abs()) / (2.0 * H as f64);
            ((g - fd).abs() / scale, rounding)
        } else {
            (f64::INFINITY, 0.0)
        };
        let check = GradientCheck {
            site,
            gradient: g,
            finite_difference: fd,
            error,
            tolerance: 2e-2 + rounding / scale,
        };
        // Tolerances differ by site: the worst site is the one furthest past its own.
        if worst.is_none_or(|w| check.error / check.tolerance > w.error / w.tolerance) {
            worst = Some(check);
        }
    }
    Ok(worst.expect("sites were checked"))
}
