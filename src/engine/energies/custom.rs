//! Energies written by users in WGSL: the module defines `site_energy(i)` and
//! `energy_gradient(i)` (the signature is documented in `shaders/energies/custom_template.wgsl`),
//! declares its parameters in `// @param NAME = VALUE in [MIN, MAX]` comments and its curvature
//! bound in `// @curvature C`. Such an energy runs on the GPU only (there is no CPU twin of user
//! code) with the gradient integrators; [`crate::engine::gradient_check`] compares its gradient
//! with finite differences of its energy, which catches the usual slip of a gradient that does
//! not match.

use std::sync::Arc;

use super::{unknown_param, Energy, EnergyExample, EnergyModel, EnergySpec, ParamValue, StateKind};
use crate::cpu::energies::EnergyTwin;
use crate::engine::method::Method;
use crate::error::{IdfError, Result};
use crate::gpu::shader::{compose_with, module_source, ShaderDiagnostic};
use crate::kernels::EnergyModule;

/// The custom energies' registration: built from WGSL, not by name.
pub static SPEC: EnergySpec = EnergySpec {
    name: "custom",
    summary: "a user's WGSL energy: site_energy(i) and energy_gradient(i), GPU only",
    params: &[],
    state: StateKind::Field,
    methods: &[Method::Langevin, Method::Mala, Method::Hmc, Method::Anneal],
    new: None,
    example: || EnergyExample {
        model: EnergyModel::Custom(CustomEnergy::parse(TEMPLATE).expect("the template is valid")),
        size: Some([8, 8]),
        // The template's double well: the third derivative is 6bx + 2c with b <= 3, |c| <= 1.
        third_derivative: 6.0 * 3.0 * 4.0 + 2.0,
    },
};

/// The import name user energies are composed under.
pub const CUSTOM_MODULE: &str = "energies/custom";

/// A documented example to start from: an asymmetric double well.
pub const TEMPLATE: &str = include_str!("../../../shaders/energies/custom_template.wgsl");

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
    module: EnergyModule,
    /// Its parameters, in the order of `energy_params`.
    pub params: Vec<CustomParam>,
    /// The declared bound on the largest curvature of the energy.
    pub curvature: f32,
}

impl PartialEq for CustomEnergy {
    fn eq(&self, other: &Self) -> bool {
        self.module.key() == other.module.key()
            && self.params == other.params
            && self.curvature == other.curvature
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
        Ok(CustomEnergy {
            module: EnergyModule::new(CUSTOM_MODULE, source),
            params,
            curvature,
        })
    }

    /// Reads and validates the WGSL file at `path` ([`parse`](Self::parse)); the error names
    /// the file, the line and the column.
    pub fn load(path: &std::path::Path) -> Result<Self> {
        let source = std::fs::read_to_string(path).map_err(|e| IdfError::io(path, e))?;
        Self::parse(&source).map_err(|d| IdfError::Shader {
            name: path.display().to_string(),
            message: match d.location() {
                Some(_) if d.module == CUSTOM_MODULE => {
                    format!("{}:{}:{}: {}", path.display(), d.line, d.column, d.message)
                }
                _ => d.rendered,
            },
        })
    }

    /// The WGSL source.
    pub fn source(&self) -> &Arc<str> {
        &self.module.source
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
}

impl Energy for CustomEnergy {
    fn spec(&self) -> &'static EnergySpec {
        &SPEC
    }

    fn module(&self) -> EnergyModule {
        self.module.clone()
    }

    /// None: user code has no CPU twin.
    fn twin(&self) -> Option<&'static dyn EnergyTwin> {
        None
    }

    fn packed_params(&self) -> Vec<f32> {
        self.packed()
    }

    /// The declared parameters; their ranges always hold.
    fn params(&self) -> Vec<ParamValue> {
        self.params
            .iter()
            .map(|p| ParamValue {
                name: p.name.clone(),
                value: p.value,
                range: (p.min, p.max),
                strict: true,
            })
            .collect()
    }

    /// Sets a declared parameter; its value must lie in the declared range.
    fn set_value(&mut self, name: &str, value: f32) -> Result<()> {
        let Some(p) = self.params.iter_mut().find(|p| p.name == name) else {
            return Err(unknown_param(self, name));
        };
        if !(value.is_finite() && value >= p.min && value <= p.max) {
            return Err(IdfError::invalid(
                name,
                format!(
                    "{value} is outside its declared range [{}, {}]",
                    p.min, p.max
                ),
            ));
        }
        p.value = value;
        Ok(())
    }

    /// The declared `@curvature`.
    fn curvature_bound(&self) -> f32 {
        self.curvature
    }

    fn unsupported_reason(&self, _method: Method) -> &'static str {
        "a custom WGSL energy defines site_energy and energy_gradient only; \
         use langevin, mala, hmc or anneal"
    }
}
