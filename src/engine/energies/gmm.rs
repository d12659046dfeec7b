//! A Gaussian mixture in R^D with isotropic components, `E(x) = −ln Σ_k w_k N(x; μ_k, σ_k² I)`,
//! whose noised marginal at any ᾱ is again a mixture: the exact score that DDPM and DDIM
//! denoise with. Module `shaders/energies/gmm.wgsl`, twin `src/cpu/energies/gmm.rs`.

use std::sync::OnceLock;

use serde_json::json;

use super::{
    unknown_param, Energy, EnergyExample, EnergyModel, EnergySpec, ParamSpec, ParamValue, StateKind,
};
use crate::cpu::energies::gmm::GmmTwin;
use crate::cpu::energies::EnergyTwin;
use crate::engine::field::{Field, Shape};
use crate::engine::method::Method;
use crate::error::{IdfError, Result};
use crate::kernels::EnergyModule;

/// The mixture's registration.
pub static SPEC: EnergySpec = EnergySpec {
    name: "gmm",
    summary: "Gaussian mixture E(x) = −ln Σ_k w_k N(x; μ_k, σ_k² I), one point in R^D per chain",
    params: &[
        ParamSpec {
            name: "weights",
            doc: "component weights, comma-separated (normalised)",
            default: "0.3,0.7",
            range: None,
        },
        ParamSpec {
            name: "means",
            doc: "component means, coordinates comma-separated, components `;`-separated",
            default: "-2,0;2,1",
            range: None,
        },
        ParamSpec {
            name: "stds",
            doc: "component standard deviations, comma-separated",
            default: "0.5,0.8",
            range: None,
        },
    ],
    state: StateKind::Points,
    methods: &[
        Method::Langevin,
        Method::Mala,
        Method::Hmc,
        Method::Ddpm,
        Method::Ddim,
        Method::Anneal,
    ],
    new: Some(|| EnergyModel::Gmm(GaussianMixture::default())),
    example: || EnergyExample {
        model: EnergyModel::Gmm(GaussianMixture::default()),
        size: None,
        // |E'''| of −ln of a mixture is bounded by a few /σ_min³ = 8; take 8·8.
        third_derivative: 64.0,
    },
};

/// A Gaussian mixture in R^D with isotropic components.
#[derive(Clone, Debug, PartialEq)]
pub struct GaussianMixture {
    /// Component weights (normalised on construction).
    pub weights: Vec<f32>,
    /// Component means, each of length D.
    pub means: Vec<Vec<f32>>,
    /// Component standard deviations.
    pub stds: Vec<f32>,
}

impl Default for GaussianMixture {
    fn default() -> Self {
        GaussianMixture {
            weights: vec![0.3, 0.7],
            means: vec![vec![-2.0, 0.0], vec![2.0, 1.0]],
            stds: vec![0.5, 0.8],
        }
    }
}

impl GaussianMixture {
    /// A checked mixture: positive finite weights (normalised), equal dimensions, positive stds.
    pub fn new(weights: Vec<f32>, means: Vec<Vec<f32>>, stds: Vec<f32>) -> Result<Self> {
        let k = weights.len();
        if k == 0 {
            return Err(IdfError::invalid(
                "weights",
                "a mixture needs at least one component",
            ));
        }
        if means.len() != k || stds.len() != k {
            return Err(IdfError::invalid(
                "means",
                format!(
                    "{k} weights, {} means and {} stds: one of each per component",
                    means.len(),
                    stds.len()
                ),
            ));
        }
        let dim = means[0].len();
        if dim == 0 || means.iter().any(|m| m.len() != dim) {
            return Err(IdfError::invalid(
                "means",
                "every mean needs the same, non-zero number of coordinates",
            ));
        }
        if weights.iter().any(|w| !w.is_finite() || *w <= 0.0) {
            return Err(IdfError::invalid(
                "weights",
                "weights must be finite and positive",
            ));
        }
        if stds.iter().any(|s| !s.is_finite() || *s <= 0.0) {
            return Err(IdfError::invalid(
                "stds",
                "standard deviations must be finite and positive",
            ));
        }
        if means.iter().flatten().any(|m| !m.is_finite()) {
            return Err(IdfError::invalid("means", "means must be finite"));
        }
        let total: f32 = weights.iter().sum();
        Ok(GaussianMixture {
            weights: weights.iter().map(|w| w / total).collect(),
            means,
            stds,
        })
    }

    /// The dimension D.
    pub fn dim(&self) -> usize {
        self.means[0].len()
    }

    /// Mean of the noised marginal at `alpha_bar`: √ᾱ Σ w_k μ_k.
    pub fn marginal_mean(&self, alpha_bar: f64) -> Vec<f64> {
        (0..self.dim())
            .map(|j| {
                alpha_bar.sqrt()
                    * self
                        .weights
                        .iter()
                        .zip(&self.means)
                        .map(|(w, m)| *w as f64 * m[j] as f64)
                        .sum::<f64>()
            })
            .collect()
    }
}

fn module() -> EnergyModule {
    static MODULE: OnceLock<EnergyModule> = OnceLock::new();
    MODULE
        .get_or_init(|| {
            EnergyModule::new(
                "energies/gmm",
                include_str!("../../../shaders/energies/gmm.wgsl"),
            )
        })
        .clone()
}

fn parse_list(name: &str, text: &str) -> Result<Vec<f32>> {
    text.split(',')
        .map(|v| super::parse_number(name, v))
        .collect()
}

impl Energy for GaussianMixture {
    fn spec(&self) -> &'static EnergySpec {
        &SPEC
    }

    fn module(&self) -> EnergyModule {
        module()
    }

    fn twin(&self) -> Option<&'static dyn EnergyTwin> {
        Some(&GmmTwin)
    }

    /// `[K, D, then per component: ln w, σ, μ…]`.
    fn packed_params(&self) -> Vec<f32> {
        let mut out = vec![self.weights.len() as f32, self.dim() as f32];
        for ((w, s), m) in self.weights.iter().zip(&self.stds).zip(&self.means) {
            out.push(w.ln());
            out.push(*s);
            out.extend_from_slice(m);
        }
        out
    }

    /// None: the parameters are lists.
    fn params(&self) -> Vec<ParamValue> {
        Vec::new()
    }

    fn set_value(&mut self, name: &str, _value: f32) -> Result<()> {
        match name {
            "weights" | "means" | "stds" => Err(IdfError::invalid(
                name,
                "a list; give it as text such as 0.3,0.7",
            )),
            _ => Err(unknown_param(self, name)),
        }
    }

    fn set_param(&mut self, name: &str, text: &str) -> Result<()> {
        match name {
            "weights" => self.weights = parse_list(name, text)?,
            "stds" => self.stds = parse_list(name, text)?,
            "means" => {
                self.means = text
                    .split(';')
                    .map(|m| parse_list(name, m))
                    .collect::<Result<_>>()?
            }
            _ => return Err(unknown_param(self, name)),
        }
        Ok(())
    }

    /// Checks the components and normalises the weights.
    fn check(&mut self) -> Result<()> {
        *self = GaussianMixture::new(self.weights.clone(), self.means.clone(), self.stds.clone())?;
        Ok(())
    }

    fn params_json(&self) -> serde_json::Value {
        json!({"weights": self.weights, "means": self.means, "stds": self.stds})
    }

    fn curvature_bound(&self) -> f32 {
        self.stds.iter().map(|s| 1.0 / (s * s)).fold(0.0, f32::max)
    }

    fn unsupported_reason(&self, _method: Method) -> &'static str {
        "the mixture is not a nearest-neighbour energy; use langevin, mala, ddpm or ddim"
    }

    /// One point of dimension D per chain; a size is refused.
    fn shape(&self, chains: usize, size: Option<[usize; 2]>) -> Result<Shape> {
        match size {
            None => Shape::new(chains, 1, 1, self.dim()),
            Some(_) => Err(IdfError::InvalidShape(
                "gmm samples points; their dimension comes from the means, so it takes no --size or --shape".into(),
            )),
        }
    }

    fn check_shape(&self, shape: Shape) -> Result<()> {
        if shape.sites_per_chain() != self.dim() {
            return Err(IdfError::InvalidShape(format!(
                "the mixture lives in {} dimensions but each chain holds {} values",
                self.dim(),
                shape.sites_per_chain()
            )));
        }
        Ok(())
    }

    /// Every component's density at every coordinate: per component, D products for the
    /// quadratic form and D for the gradient, and an exponential counted as 16 (a 300,000-
    /// component mixture measured about 9 times a stencil's time per K·D).
    fn cost_per_site(&self) -> u64 {
        (self.weights.len() * (2 * self.dim() + 16)) as u64
    }

    /// N(0, I) points: the diffusion prior.
    fn initial_field(&self, shape: Shape, seed: u32) -> Result<Field> {
        Field::random_normal(shape, seed, 1.0)
    }
}
