//! φ⁴ (Ginzburg–Landau) lattice field, `E = Σ (κ/2)|∇φ|² + (a/2)φ² + (b/4)φ⁴ − hφ`, with an
//! optional guidance term `(λ/2) Σ (φ − t)²` towards a target image (the creative capsule's
//! energy-guided pictures). Module `shaders/energies/phi4.wgsl`, twin `src/cpu/energies/phi4.rs`.

use std::sync::OnceLock;

use serde_json::json;

use super::{
    finite, unknown_param, Energy, EnergyExample, EnergyModel, EnergySpec, ParamSpec, ParamValue,
    StateKind,
};
use crate::cpu::energies::phi4::Phi4Twin;
use crate::cpu::energies::EnergyTwin;
use crate::engine::method::Method;
use crate::error::{IdfError, Result};
use crate::kernels::EnergyModule;

/// φ⁴'s registration.
pub static SPEC: EnergySpec = EnergySpec {
    name: "phi4",
    summary: "Ginzburg–Landau lattice field E = Σ (κ/2)|∇φ|² + (a/2)φ² + (b/4)φ⁴ − hφ",
    params: &[
        ParamSpec::scalar("kappa", "1", (0.0, 2.0), "gradient coupling κ"),
        ParamSpec::scalar(
            "a",
            "-1",
            (-3.0, 3.0),
            "quadratic coefficient a (negative: double well)",
        ),
        ParamSpec::scalar("b", "1", (0.0, 3.0), "quartic coefficient b"),
        ParamSpec::scalar("h", "0", (-1.0, 1.0), "external field h"),
    ],
    state: StateKind::Field,
    methods: &[
        Method::Langevin,
        Method::Mala,
        Method::Metropolis,
        Method::Hmc,
        Method::Anneal,
    ],
    new: Some(|| EnergyModel::Phi4(Phi4::default())),
    example: || EnergyExample {
        model: EnergyModel::Phi4(Phi4 {
            kappa: 0.7,
            h: 0.3,
            ..Phi4::default()
        }),
        size: Some([4, 6]),
        // E''' = 6bφ per site.
        third_derivative: 6.0 * 4.0,
    },
};

/// The guidance term's strength, a parameter only of a guided field.
const LAMBDA: ParamSpec = ParamSpec::scalar("lambda", "0", (0.0, 5.0), "guidance strength λ");

/// Ginzburg–Landau lattice field.
#[derive(Clone, Debug, PartialEq)]
pub struct Phi4 {
    /// Gradient coupling κ.
    pub kappa: f32,
    /// Quadratic coefficient a (negative: double well).
    pub a: f32,
    /// Quartic coefficient b.
    pub b: f32,
    /// External field h.
    pub h: f32,
    /// A guidance term towards a target plane, if any.
    pub guidance: Option<Guidance>,
}

impl Default for Phi4 {
    fn default() -> Self {
        Phi4 {
            kappa: 1.0,
            a: -1.0,
            b: 1.0,
            h: 0.0,
            guidance: None,
        }
    }
}

/// A guidance term `(λ/2) Σ (φ − t)²` pulling a φ⁴ field towards a target plane.
#[derive(Clone, Debug, PartialEq)]
pub struct Guidance {
    /// Strength λ.
    pub lambda: f32,
    /// Target values, `height × width`, row-major, shared by every chain and channel.
    pub target: Vec<f32>,
    /// Target height.
    pub height: usize,
    /// Target width.
    pub width: usize,
}

impl Phi4 {
    /// Diffusion: κ alone (a = b = h = 0), whose gradient flow at T = 0 is the explicit heat
    /// equation `ρ ← ρ + ηκ Δρ`, conserving mass (stable for ηκ ≤ 1/4 in 2-D).
    pub fn diffusion(kappa: f32) -> Self {
        Phi4 {
            kappa,
            a: 0.0,
            b: 0.0,
            h: 0.0,
            guidance: None,
        }
    }

    /// The same field with a guidance term; λ and the target must be finite and the target
    /// `height × width` values.
    pub fn with_guidance(self, guidance: Guidance) -> Result<Self> {
        if guidance.target.len() != guidance.height * guidance.width
            || !guidance.lambda.is_finite()
            || guidance.target.iter().any(|t| !t.is_finite())
        {
            return Err(IdfError::invalid(
                "guidance",
                "needs a finite λ and a finite target of height × width values",
            ));
        }
        Ok(Phi4 {
            guidance: Some(guidance),
            ..self
        })
    }
}

fn module() -> EnergyModule {
    static MODULE: OnceLock<EnergyModule> = OnceLock::new();
    MODULE
        .get_or_init(|| {
            EnergyModule::new(
                "energies/phi4",
                include_str!("../../../shaders/energies/phi4.wgsl"),
            )
            .with_local_moves()
            .with_stencil_gradient()
        })
        .clone()
}

impl Energy for Phi4 {
    fn spec(&self) -> &'static EnergySpec {
        &SPEC
    }

    /// E = Σ κ/2 ((φ − φ_right)² + (φ − φ_down)²) + a/2 φ² + b/4 φ⁴ − h φ: ∂E/∂θ for
    /// θ = (κ, a, b, h). `None` with guidance, whose target is not a fitted parameter.
    fn param_gradient(&self, field: &crate::engine::field::Field) -> Option<Vec<Vec<f64>>> {
        if self.guidance.is_some() {
            return None;
        }
        Some(super::lattice_sums(field, |phi, right, down| {
            let bonds = 0.5 * ((phi - right).powi(2) + (phi - down).powi(2));
            let phi2 = phi * phi;
            [bonds, 0.5 * phi2, 0.25 * phi2 * phi2, -phi]
        }))
    }

    fn module(&self) -> EnergyModule {
        module()
    }

    fn twin(&self) -> Option<&'static dyn EnergyTwin> {
        Some(&Phi4Twin)
    }

    /// `[κ, a, b, h, λ, target plane…]` (λ = 0 without guidance).
    fn packed_params(&self) -> Vec<f32> {
        let mut out = vec![self.kappa, self.a, self.b, self.h];
        match &self.guidance {
            Some(g) => {
                out.push(g.lambda);
                out.extend_from_slice(&g.target);
            }
            None => out.push(0.0),
        }
        out
    }

    fn params(&self) -> Vec<ParamValue> {
        let values = [self.kappa, self.a, self.b, self.h];
        let mut out: Vec<ParamValue> = SPEC
            .params
            .iter()
            .zip(values)
            .map(|(spec, v)| ParamValue::of(spec, v))
            .collect();
        if let Some(g) = &self.guidance {
            out.push(ParamValue::of(&LAMBDA, g.lambda));
        }
        out
    }

    fn set_value(&mut self, name: &str, value: f32) -> Result<()> {
        let slot = match (name, &mut self.guidance) {
            ("kappa", _) => &mut self.kappa,
            ("a", _) => &mut self.a,
            ("b", _) => &mut self.b,
            ("h", _) => &mut self.h,
            ("lambda", Some(g)) => &mut g.lambda,
            _ => return Err(unknown_param(self, name)),
        };
        *slot = finite(name, value)?;
        Ok(())
    }

    fn params_json(&self) -> serde_json::Value {
        let mut v = json!({"kappa": self.kappa, "a": self.a, "b": self.b, "h": self.h});
        if let Some(g) = &self.guidance {
            v["guidance"] = json!({"lambda": g.lambda, "height": g.height, "width": g.width});
        }
        v
    }

    /// With b > 0 the quartic term bounds E below. With b < 0 it does not. With b = 0, E is
    /// quadratic with smallest curvature a + λ + 8 min(κ, 0) (the Laplacian's eigenvalues lie in
    /// [0, 8]): that must be ≥ 0, and where it is 0 on the uniform mode (κ ≥ 0, a + λ = 0) a
    /// field h tilts it without bound.
    fn check_bounded_below(&self) -> Result<()> {
        let lambda = self.guidance.as_ref().map_or(0.0, |g| g.lambda);
        let unbounded = |name: &str, why: String| {
            Err(IdfError::invalid(
                name,
                format!("{why}: the energy is unbounded below, with no distribution to sample"),
            ))
        };
        if self.b < 0.0 {
            return unbounded(
                "b",
                format!("b = {} < 0 lets the quartic term fall as |φ| grows", self.b),
            );
        }
        if self.b == 0.0 {
            let curvature = self.a + lambda + 8.0 * self.kappa.min(0.0);
            if curvature < 0.0 {
                let name = if self.a + lambda < 0.0 { "a" } else { "kappa" };
                return unbounded(
                    name,
                    format!(
                        "with b = 0 the smallest curvature a + λ + 8 min(κ, 0) = {curvature} < 0"
                    ),
                );
            }
            if self.a + lambda == 0.0 && self.kappa >= 0.0 && self.h != 0.0 {
                return unbounded(
                    "h",
                    format!(
                        "with b = 0 and a = 0 the uniform mode is flat, and h = {} tilts it",
                        self.h
                    ),
                );
            }
        }
        Ok(())
    }

    fn curvature_bound(&self) -> f32 {
        let well = if self.b > 0.0 {
            (-self.a / self.b).max(0.0) + 1.0
        } else {
            0.0
        };
        let guidance = self.guidance.as_ref().map_or(0.0, |g| g.lambda.abs());
        8.0 * self.kappa.abs() + self.a.abs() + 3.0 * self.b.abs() * well + guidance
    }

    fn unsupported_reason(&self, method: Method) -> &'static str {
        match method {
            Method::Ddpm | Method::Ddim => {
                "DDPM and DDIM need the exact score of the noised marginal, which only gmm has; \
                 for field energies use --integrator anneal (annealed Langevin)"
            }
            _ => "not an integrator of φ⁴",
        }
    }

    /// Metropolis proposals are Gaussian with a width matched to the local curvature; gradient
    /// steps take half the stable step size.
    fn default_step_size(&self, method: Method, t: f32) -> f32 {
        if method == Method::Metropolis {
            let local = 4.0 * self.kappa.abs() + self.a.abs() + self.b.abs();
            (2.0 * t.max(1e-3) / local.max(1e-3)).sqrt()
        } else {
            0.5 * super::stable_step_size(self.curvature_bound())
        }
    }
}
