//! Swift–Hohenberg pattern energy, `E = Σ −(ε/2)ψ² + ½((1+Δ)ψ)² − (g/3)ψ³ + ¼ψ⁴`, whose
//! preferred wavelength is 2π sites (Swift & Hohenberg 1977). Module
//! `shaders/energies/swift_hohenberg.wgsl`, twin `src/cpu/energies/swift_hohenberg.rs`.

use std::sync::OnceLock;

use super::{
    finite, unknown_param, Energy, EnergyExample, EnergyModel, EnergySpec, ParamSpec, ParamValue,
    StateKind,
};
use crate::cpu::energies::swift_hohenberg::SwiftHohenbergTwin;
use crate::cpu::energies::EnergyTwin;
use crate::engine::method::Method;
use crate::error::Result;
use crate::kernels::EnergyModule;

/// Swift–Hohenberg's registration.
pub static SPEC: EnergySpec = EnergySpec {
    name: "swift_hohenberg",
    summary: "Swift–Hohenberg patterns E = Σ −(ε/2)ψ² + ½((1+Δ)ψ)² − (g/3)ψ³ + ¼ψ⁴",
    params: &[
        ParamSpec::scalar(
            "epsilon",
            "0.3",
            (-1.0, 1.0),
            "distance above onset ε (patterns grow for ε > 0)",
        ),
        ParamSpec::scalar(
            "g",
            "0",
            (-2.0, 2.0),
            "quadratic coupling g: 0 gives stripes, larger values hexagonal spots",
        ),
    ],
    state: StateKind::Field,
    methods: &[Method::Langevin, Method::Mala, Method::Hmc, Method::Anneal],
    new: Some(|| EnergyModel::SwiftHohenberg(SwiftHohenberg::default())),
    example: || EnergyExample {
        model: EnergyModel::SwiftHohenberg(SwiftHohenberg {
            epsilon: 0.2,
            g: 0.5,
        }),
        size: Some([6, 6]),
        // The third derivative is 6ψ − 2g per site (the (1+Δ)² part is quadratic).
        third_derivative: 6.0 * 4.0 + 1.0,
    },
};

/// Swift–Hohenberg pattern energy.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SwiftHohenberg {
    /// Distance above onset ε (patterns grow for ε > 0).
    pub epsilon: f32,
    /// Quadratic coupling g: 0 gives stripes, larger values hexagonal spots.
    pub g: f32,
}

impl Default for SwiftHohenberg {
    fn default() -> Self {
        SwiftHohenberg {
            epsilon: 0.3,
            g: 0.0,
        }
    }
}

fn module() -> EnergyModule {
    static MODULE: OnceLock<EnergyModule> = OnceLock::new();
    MODULE
        .get_or_init(|| {
            EnergyModule::new(
                "energies/swift_hohenberg",
                include_str!("../../../shaders/energies/swift_hohenberg.wgsl"),
            )
        })
        .clone()
}

impl Energy for SwiftHohenberg {
    fn spec(&self) -> &'static EnergySpec {
        &SPEC
    }

    /// E = Σ −(ε/2)ψ² + ½(Lψ)² − (g/3)ψ³ + ¼ψ⁴: ∂E/∂ε = −½Σψ², ∂E/∂g = −⅓Σψ³.
    fn param_gradient(&self, field: &crate::engine::field::Field) -> Option<Vec<Vec<f64>>> {
        Some(super::lattice_sums(field, |psi, _, _| {
            [-0.5 * psi * psi, -psi * psi * psi / 3.0]
        }))
    }

    fn module(&self) -> EnergyModule {
        module()
    }

    fn twin(&self) -> Option<&'static dyn EnergyTwin> {
        Some(&SwiftHohenbergTwin)
    }

    /// `[ε, g]`.
    fn packed_params(&self) -> Vec<f32> {
        vec![self.epsilon, self.g]
    }

    fn params(&self) -> Vec<ParamValue> {
        SPEC.params
            .iter()
            .zip([self.epsilon, self.g])
            .map(|(spec, v)| ParamValue::of(spec, v))
            .collect()
    }

    fn set_value(&mut self, name: &str, value: f32) -> Result<()> {
        let slot = match name {
            "epsilon" => &mut self.epsilon,
            "g" => &mut self.g,
            _ => return Err(unknown_param(self, name)),
        };
        *slot = finite(name, value)?;
        Ok(())
    }

    /// L² has eigenvalues up to (1 − 8)² = 49; the local terms add |ε| + 2|g|ψ + 3ψ² at |ψ| ≲ 1.
    fn curvature_bound(&self) -> f32 {
        49.0 + self.epsilon.abs() + 2.0 * self.g.abs() + 3.0
    }

    fn unsupported_reason(&self, method: Method) -> &'static str {
        match method {
            Method::Metropolis => {
                "Swift–Hohenberg couples sites two apart, so checkerboard updates are not independent; \
                 use langevin, mala, hmc or anneal"
            }
            _ => {
                "DDPM and DDIM need the exact score of the noised marginal, which only gmm has; \
                 for field energies use --integrator anneal (annealed Langevin)"
            }
        }
    }

    /// The 13-site stencil of (1 + Δ)², about three nearest-neighbour stencils.
    fn cost_per_site(&self) -> u64 {
        3
    }

    /// Patterns form by relaxation; thermal noise of order 1 would wash them out.
    fn default_temperature(&self) -> f32 {
        0.0
    }
}
