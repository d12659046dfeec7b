//! Energies written by users in WGSL: the module defines `site_energy(i)` and
//! `energy_gradient(i)` (the signature is documented in `shaders/energies/custom_template.wgsl`),
//! declares its parameters in `// @param NAME = VALUE in [MIN, MAX]` comments and its curvature
//! bound in `// @curvature C`. Such an energy runs on the GPU only (there is no CPU twin of user
//! code) with the gradient integrators; [`gradient_check`] compares its gradient with finite
//! differences of its energy, which catches the usual slip of a gradient that does not match.

use std::hash::{Hash, Hasher};
use std::sync::Arc;

use crate::context::Context;
use crate::core::diffusion_dynamics::Simulation;
use crate::core::field::{Field, Shape};
use crate::error::Result;
use crate::gpu::shader::{compose_with, module_source, ShaderDiagnostic};

/// The import name user energies are composed under.
pub const CUSTOM_MODULE: &str = "energies/custom";

/// A documented example to start from: an asymmetric double well.
pub const TEMPLATE: &str = include_str!("../../shaders/energies/custom_template.wgsl");

/// Kernels a custom energy is composed into (the gradient integrators and the observables).
const KERNELS: [&str; 5] = [
    "langevin_step",
    "chain_observables",
    "mala_terms",
    "hmc_momentum",
    "hmc_leapfrog",
];

/// Curvature bound assumed when the module declares none.
const DEFAULT_CURVATURE: f32 = 100.0;

/// A parameter declared by `// @param NAME = VALUE in [MIN, MAX]`.
#[derive(Clone, Debug, PartialEq)]
pub struct CustomParam {
    /// Its name.
    pub name: String,
    /// Its value: `energy_params[k]` for the k-th declared parameter.
    pub value: f32,
    /// The lower end of its slider.
    pub min: f32,
    /// The upper end of its slider.
    pub max: f32,
}

/// A validated user energy.
#[derive(Clone, Debug)]
pub struct CustomEnergy {
    source: Arc<str>,
    id: u64,
    /// Its parameters, in the order of `energy_params`.
    pub params: Vec<CustomParam>,
    /// The declared bound on the largest curvature of the energy.
    pub curvature: f32,
}

impl PartialEq for CustomEnergy {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id && self.params == other.params && self.curvature == other.curvature
    }
}

fn at(line: usize, message: String) -> ShaderDiagnostic {
    ShaderDiagnostic {
        module: CUSTOM_MODULE.to_string(),
        line,
        column: 1,
        rendered: message.clone(),
        message,
    }
}

fn parse_param(line: usize, spec: &str) -> std::result::Result<CustomParam, ShaderDiagnostic> {
    let bad = || {
        at(
            line,
            format!("`@param {spec}`: expected `@param NAME = VALUE in [MIN, MAX]`"),
        )
    };
    let (name, rest) = spec.split_once('=').ok_or_else(bad)?;
    let (value, range) = rest.split_once(" in ").ok_or_else(bad)?;
    let range = range.trim().strip_prefix('[').ok_or_else(bad)?;
    let range = range.strip_suffix(']').ok_or_else(bad)?;
    let (min, max) = range.split_once(',').ok_or_else(bad)?;
    let number = |s: &str| s.trim().parse::<f32>().ok().filter(|v| v.is_finite());
    let name = name.trim();
    let valid_name = !name.is_empty() && name.chars().all(|c| c.is_alphanumeric() || c == '_');
    match (valid_name, number(value), number(min), number(max)) {
        (true, Some(value), Some(min), Some(max)) if min < max => Ok(CustomParam {
            name: name.to_string(),
            value: value.clamp(min, max),
            min,
            max,
        }),
        _ => Err(bad()),
    }
}

impl CustomEnergy {
    /// Reads the directives and validates the module with naga in every kernel it goes into;
    /// a failure points at the line and column, in the user's module where the error is there.
    pub fn parse(source: &str) -> std::result::Result<Self, ShaderDiagnostic> {
        let mut params = Vec::new();
        let mut curvature = DEFAULT_CURVATURE;
        for (k, text) in source.lines().enumerate() {
            let line = k + 1;
            let text = text.trim();
            if let Some(spec) = text.strip_prefix("// @param ") {
                let param = parse_param(line, spec)?;
                if params.iter().any(|p: &CustomParam| p.name == param.name) {
                    return Err(at(
                        line,
                        format!("`@param {}` is declared twice", param.name),
                    ));
                }
                params.push(param);
            } else if let Some(c) = text.strip_prefix("// @curvature ") {
                curvature = c
                    .trim()
                    .parse::<f32>()
                    .ok()
                    .filter(|c| c.is_finite() && *c > 0.0)
                    .ok_or_else(|| {
                        at(
                            line,
                            format!("`@curvature {c}`: expected a positive number"),
                        )
                    })?;
            } else if let Some(import) = text.strip_prefix("#import ") {
                if module_source(import.trim()).is_none() {
                    return Err(at(line, format!("unknown import `{}`", import.trim())));
                }
            }
        }
        for kernel in KERNELS {
            let composed =
                compose_with(kernel, (CUSTOM_MODULE, source)).map_err(|e| at(0, e.to_string()))?;
            composed.check()?;
        }
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        source.hash(&mut hasher);
        Ok(CustomEnergy {
            source: source.into(),
            id: hasher.finish(),
            params,
            curvature,
        })
    }

    /// The WGSL source.
    pub fn source(&self) -> &Arc<str> {
        &self.source
    }

    /// A key that differs between sources (pipelines are cached under it).
    pub fn id(&self) -> u64 {
        self.id
    }

    /// The `energy_params` buffer: the parameters' values in order (one zero when there are
    /// none, as storage buffers cannot be empty).
    pub fn packed(&self) -> Vec<f32> {
        if self.params.is_empty() {
            vec![0.0]
        } else {
            self.params.iter().map(|p| p.value).collect()
        }
    }

    /// Sets parameter `name`; its value must lie in the declared range.
    pub fn set(&mut self, name: &str, value: f32) -> std::result::Result<(), String> {
        let known = self
            .params
            .iter()
            .map(|p| p.name.clone())
            .collect::<Vec<_>>()
            .join(", ");
        let p = self
            .params
            .iter_mut()
            .find(|p| p.name == name)
            .ok_or_else(|| format!("no parameter `{name}`; the module declares: {known}"))?;
        if !(value.is_finite() && value >= p.min && value <= p.max) {
            return Err(format!(
                "{name} = {value} is outside its declared range [{}, {}]",
                p.min, p.max
            ));
        }
        p.value = value;
        Ok(())
    }
}

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
    let model = crate::core::energy_field::EnergyModel::Custom(energy.clone());
    let shape = Shape::new(1, 1, 8, 8)?;
    let field = Field::random_normal(shape, 7, 0.7);
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
