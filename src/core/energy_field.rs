//! Energies: φ⁴ lattice fields, Ising spins and Gaussian mixtures. Each has a WGSL module in
//! `shaders/energies/`, a CPU twin in `src/cpu/energies/`, and here its parameters, packing,
//! validation, applicable integrators and stability limit.
//!
//! To add an energy: write `shaders/energies/NAME.wgsl` with `energy_gradient`, `site_energy` and
//! (for local energies) `local_energy_change` and `metropolis_proposal`; its twin in
//! `src/cpu/energies/NAME.rs`; a variant here and in [`EnergyKind`].

use serde_json::json;

use crate::core::custom_energy::CustomEnergy;
use crate::core::diffusion_dynamics::Method;
use crate::core::field::{Field, Shape};
use crate::error::{IdfError, Result};

/// Which energy module a kernel is composed with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EnergyKind {
    /// A user's WGSL module, by [`CustomEnergy::id`] (GPU only).
    Custom(u64),
    /// φ⁴ lattice field.
    Phi4,
    /// Ising spins.
    Ising,
    /// Gaussian mixture.
    Gmm,
    /// Swift–Hohenberg pattern energy.
    SwiftHohenberg,
    /// Ising, Max-Cut or QUBO on a weighted graph.
    Graph,
}

impl EnergyKind {
    /// Every energy kind.
    pub const ALL: [EnergyKind; 5] = [
        EnergyKind::Phi4,
        EnergyKind::Ising,
        EnergyKind::Gmm,
        EnergyKind::SwiftHohenberg,
        EnergyKind::Graph,
    ];

    /// The WGSL module's import name.
    pub fn module(self) -> &'static str {
        match self {
            EnergyKind::Phi4 => "energies/phi4",
            EnergyKind::Ising => "energies/ising",
            EnergyKind::Gmm => "energies/gmm",
            EnergyKind::SwiftHohenberg => "energies/swift_hohenberg",
            EnergyKind::Graph => "energies/graph",
            EnergyKind::Custom(_) => crate::core::custom_energy::CUSTOM_MODULE,
        }
    }

    /// Whether single sites have local moves and a colouring into independent sets (Metropolis).
    pub fn is_local(self) -> bool {
        matches!(
            self,
            EnergyKind::Phi4 | EnergyKind::Ising | EnergyKind::Graph
        )
    }

    /// Whether the gradient is a 5-point lattice stencil (`local_gradient`, the fused kernel).
    pub fn has_stencil_gradient(self) -> bool {
        matches!(self, EnergyKind::Phi4 | EnergyKind::Ising)
    }
}

/// Ginzburg–Landau lattice field: `E = Σ (κ/2)|∇φ|² + (a/2)φ² + (b/4)φ⁴ − hφ`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Phi4 {
    /// Gradient coupling κ.
    pub kappa: f32,
    /// Quadratic coefficient a (negative: double well).
    pub a: f32,
    /// Quartic coefficient b.
    pub b: f32,
    /// External field h.
    pub h: f32,
}

impl Default for Phi4 {
    fn default() -> Self {
        Phi4 {
            kappa: 1.0,
            a: -1.0,
            b: 1.0,
            h: 0.0,
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

/// Swift–Hohenberg pattern energy:
/// `E = Σ −(ε/2)ψ² + ½((1+Δ)ψ)² − (g/3)ψ³ + ¼ψ⁴`, preferred wavelength 2π sites.
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

/// Ising spins: `E = −J Σ_<ij> s_i s_j − h Σ s_i`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Ising {
    /// Coupling J.
    pub j: f32,
    /// External field h.
    pub h: f32,
}

impl Default for Ising {
    fn default() -> Self {
        Ising { j: 1.0, h: 0.0 }
    }
}

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

/// An energy with its parameters.
#[derive(Clone, Debug, PartialEq)]
pub enum EnergyModel {
    /// φ⁴ lattice field.
    Phi4(Phi4),
    /// Ising spins.
    Ising(Ising),
    /// Gaussian mixture.
    Gmm(GaussianMixture),
    /// Swift–Hohenberg patterns.
    SwiftHohenberg(SwiftHohenberg),
    /// φ⁴ with a guidance term towards a target image.
    GuidedPhi4(Phi4, Guidance),
    /// Ising, Max-Cut or QUBO on a weighted graph.
    Graph(crate::core::graph::GraphEnergy),
    /// A user's WGSL energy (GPU only, gradient integrators).
    Custom(CustomEnergy),
}

fn parse_f32(name: &str, value: &str) -> Result<f32> {
    let v: f32 = value
        .trim()
        .parse()
        .map_err(|_| IdfError::invalid(name, format!("`{value}` is not a number")))?;
    if !v.is_finite() {
        return Err(IdfError::invalid(name, format!("`{value}` is not finite")));
    }
    Ok(v)
}

fn parse_list(name: &str, value: &str) -> Result<Vec<f32>> {
    value.split(',').map(|v| parse_f32(name, v)).collect()
}

impl EnergyModel {
    /// Every model name that `from_params` takes.
    pub const NAMES: [&'static str; 4] = ["phi4", "ising", "gmm", "swift_hohenberg"];

    /// A model by name with `key=value` parameters over its defaults.
    ///
    /// `gmm` takes `weights=0.3,0.7`, `means=-2,0;2,1` (components separated by `;`) and
    /// `stds=0.5,0.8`.
    pub fn from_params(name: &str, params: &[(String, String)]) -> Result<Self> {
        let mut model = match name {
            "phi4" => EnergyModel::Phi4(Phi4::default()),
            "ising" => EnergyModel::Ising(Ising::default()),
            "gmm" => EnergyModel::Gmm(GaussianMixture::default()),
            "swift_hohenberg" => EnergyModel::SwiftHohenberg(SwiftHohenberg::default()),
            other => return Err(IdfError::UnknownModel(other.to_string())),
        };
        for (key, value) in params {
            model.set(key, value)?;
        }
        if let EnergyModel::Gmm(g) = &model {
            model = EnergyModel::Gmm(GaussianMixture::new(
                g.weights.clone(),
                g.means.clone(),
                g.stds.clone(),
            )?);
        }
        Ok(model)
    }

    fn set(&mut self, key: &str, value: &str) -> Result<()> {
        match self {
            EnergyModel::Phi4(p) | EnergyModel::GuidedPhi4(p, _) => match key {
                "kappa" => p.kappa = parse_f32(key, value)?,
                "a" => p.a = parse_f32(key, value)?,
                "b" => p.b = parse_f32(key, value)?,
                "h" => p.h = parse_f32(key, value)?,
                _ => return Err(self.unknown_param(key)),
            },
            EnergyModel::Ising(p) => match key {
                "J" | "j" => p.j = parse_f32(key, value)?,
                "h" => p.h = parse_f32(key, value)?,
                _ => return Err(self.unknown_param(key)),
            },
            EnergyModel::Graph(_) => return Err(self.unknown_param(key)),
            EnergyModel::Custom(c) => {
                let v = parse_f32(key, value)?;
                c.set(key, v).map_err(|m| IdfError::invalid(key, m))?
            }
            EnergyModel::SwiftHohenberg(p) => match key {
                "epsilon" => p.epsilon = parse_f32(key, value)?,
                "g" => p.g = parse_f32(key, value)?,
                _ => return Err(self.unknown_param(key)),
            },
            EnergyModel::Gmm(g) => match key {
                "weights" => g.weights = parse_list(key, value)?,
                "stds" => g.stds = parse_list(key, value)?,
                "means" => {
                    g.means = value
                        .split(';')
                        .map(|m| parse_list(key, m))
                        .collect::<Result<_>>()?
                }
                _ => return Err(self.unknown_param(key)),
            },
        }
        Ok(())
    }

    fn unknown_param(&self, key: &str) -> IdfError {
        IdfError::UnknownParam {
            model: self.name().to_string(),
            param: key.to_string(),
            known: self.param_names().join(", "),
        }
    }

    /// The model's name.
    pub fn name(&self) -> &'static str {
        match self {
            EnergyModel::Phi4(_) | EnergyModel::GuidedPhi4(..) => "phi4",
            EnergyModel::Ising(_) => "ising",
            EnergyModel::Gmm(_) => "gmm",
            EnergyModel::SwiftHohenberg(_) => "swift_hohenberg",
            EnergyModel::Graph(g) => match g.kind {
                crate::core::graph::GraphKind::Ising => "graph_ising",
                crate::core::graph::GraphKind::MaxCut => "maxcut",
                crate::core::graph::GraphKind::Qubo => "qubo",
            },
            EnergyModel::Custom(_) => "custom",
        }
    }

    /// Colours of a Metropolis sweep: the checkerboard's two, or the graph colouring's.
    pub fn colors(&self) -> u32 {
        match self {
            EnergyModel::Graph(g) => g.num_colors,
            _ => 2,
        }
    }

    /// Adds a guidance term towards `guidance.target` to a φ⁴ model.
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
        match self {
            EnergyModel::Phi4(p) | EnergyModel::GuidedPhi4(p, _) => {
                Ok(EnergyModel::GuidedPhi4(p, guidance))
            }
            other => Err(IdfError::invalid(
                "guidance",
                format!("only phi4 takes a guidance image, not {}", other.name()),
            )),
        }
    }

    /// The names of its parameters.
    pub fn param_names(&self) -> &'static [&'static str] {
        match self {
            EnergyModel::Phi4(_) | EnergyModel::GuidedPhi4(..) => &["kappa", "a", "b", "h"],
            EnergyModel::SwiftHohenberg(_) => &["epsilon", "g"],
            EnergyModel::Graph(_) | EnergyModel::Custom(_) => &[],
            EnergyModel::Ising(_) => &["J", "h"],
            EnergyModel::Gmm(_) => &["weights", "means", "stds"],
        }
    }

    /// The energy module kernels are composed with.
    pub fn kind(&self) -> EnergyKind {
        match self {
            EnergyModel::Phi4(_) | EnergyModel::GuidedPhi4(..) => EnergyKind::Phi4,
            EnergyModel::SwiftHohenberg(_) => EnergyKind::SwiftHohenberg,
            EnergyModel::Graph(_) => EnergyKind::Graph,
            EnergyModel::Ising(_) => EnergyKind::Ising,
            EnergyModel::Gmm(_) => EnergyKind::Gmm,
            EnergyModel::Custom(c) => EnergyKind::Custom(c.id()),
        }
    }

    /// The parameters as JSON.
    pub fn params_json(&self) -> serde_json::Value {
        match self {
            EnergyModel::Phi4(p) => json!({"kappa": p.kappa, "a": p.a, "b": p.b, "h": p.h}),
            EnergyModel::GuidedPhi4(p, g) => json!({"kappa": p.kappa, "a": p.a, "b": p.b, "h": p.h,
                "guidance": {"lambda": g.lambda, "height": g.height, "width": g.width}}),
            EnergyModel::SwiftHohenberg(p) => json!({"epsilon": p.epsilon, "g": p.g}),
            EnergyModel::Graph(g) => {
                json!({"nodes": g.nodes, "edges": g.edges.len(), "colors": g.num_colors})
            }
            EnergyModel::Ising(p) => json!({"J": p.j, "h": p.h}),
            EnergyModel::Gmm(g) => json!({"weights": g.weights, "means": g.means, "stds": g.stds}),
            EnergyModel::Custom(c) => serde_json::Value::Object(
                c.params
                    .iter()
                    .map(|p| (p.name.clone(), json!(p.value)))
                    .collect(),
            ),
        }
    }

    /// The `energy_params` buffer the WGSL module reads.
    pub fn packed_params(&self) -> Vec<f32> {
        match self {
            EnergyModel::Phi4(p) => vec![p.kappa, p.a, p.b, p.h, 0.0],
            EnergyModel::GuidedPhi4(p, g) => {
                let mut out = vec![p.kappa, p.a, p.b, p.h, g.lambda];
                out.extend_from_slice(&g.target);
                out
            }
            EnergyModel::SwiftHohenberg(p) => vec![p.epsilon, p.g],
            EnergyModel::Graph(g) => g.packed(),
            EnergyModel::Ising(p) => vec![p.j, p.h],
            EnergyModel::Custom(c) => c.packed(),
            EnergyModel::Gmm(g) => {
                let mut out = vec![g.weights.len() as f32, g.dim() as f32];
                for ((w, s), m) in g.weights.iter().zip(&g.stds).zip(&g.means) {
                    out.push(w.ln());
                    out.push(*s);
                    out.extend_from_slice(m);
                }
                out
            }
        }
    }

    /// The shape of `chains` samples: `size` is `[height, width]` for lattice models; the mixture
    /// takes its dimension from its means and refuses a size.
    pub fn shape(&self, chains: usize, size: Option<[usize; 2]>) -> Result<Shape> {
        match (self, size) {
            (EnergyModel::Gmm(g), None) => Shape::new(chains, 1, 1, g.dim()),
            (EnergyModel::Graph(g), None) => Shape::new(chains, 1, 1, g.nodes),
            (EnergyModel::Graph(_), Some(_)) => Err(IdfError::InvalidShape(
                "a graph's size is its number of nodes; it takes no --size or --shape".into(),
            )),
            (EnergyModel::Gmm(_), Some(_)) => Err(IdfError::InvalidShape(
                "gmm samples points; their dimension comes from the means, so it takes no --size or --shape".into(),
            )),
            (_, Some([h, w])) => Shape::new(chains, 1, h, w),
            (_, None) => Shape::new(chains, 1, 64, 64),
        }
    }

    /// A starting field: small Gaussian noise for φ⁴, random spins for Ising, N(0, I) points
    /// (the diffusion prior) for the mixture.
    pub fn initial_field(&self, shape: Shape, seed: u32) -> Field {
        match self {
            EnergyModel::Phi4(_)
            | EnergyModel::GuidedPhi4(..)
            | EnergyModel::SwiftHohenberg(_)
            | EnergyModel::Custom(_) => Field::random_normal(shape, seed, 0.1),
            EnergyModel::Ising(_) => Field::random_spins(shape, seed),
            EnergyModel::Graph(g) if g.kind == crate::core::graph::GraphKind::Qubo => {
                let mut f = Field::random_spins(shape, seed);
                f.data_mut().iter_mut().for_each(|s| *s = (*s + 1.0) / 2.0);
                f
            }
            EnergyModel::Graph(_) => Field::random_spins(shape, seed),
            EnergyModel::Gmm(_) => Field::random_normal(shape, seed, 1.0),
        }
    }

    /// The temperature at which the model is usually sampled.
    pub fn default_temperature(&self) -> f32 {
        match self {
            EnergyModel::Ising(_) => 2.0,
            // Patterns form by relaxation; thermal noise of order 1 would wash them out.
            EnergyModel::SwiftHohenberg(_) => 0.0,
            _ => 1.0,
        }
    }

    /// An upper bound on the curvature (largest Hessian eigenvalue) where the field lives.
    fn curvature_bound(&self) -> f32 {
        match self {
            EnergyModel::Phi4(p) => {
                let well = if p.b > 0.0 {
                    (-p.a / p.b).max(0.0) + 1.0
                } else {
                    0.0
                };
                8.0 * p.kappa.abs() + p.a.abs() + 3.0 * p.b.abs() * well
            }
            EnergyModel::GuidedPhi4(p, g) => {
                EnergyModel::Phi4(*p).curvature_bound() + g.lambda.abs()
            }
            // L² has eigenvalues up to (1 − 8)² = 49; the local terms add |ε| + 2|g|ψ + 3ψ² at |ψ| ≲ 1.
            EnergyModel::SwiftHohenberg(p) => 49.0 + p.epsilon.abs() + 2.0 * p.g.abs() + 3.0,
            EnergyModel::Ising(p) => 8.0 * p.j.abs(),
            EnergyModel::Graph(g) => {
                let mut degree = vec![0.0f32; g.nodes];
                for &(i, j, w) in &g.edges {
                    degree[i] += w.abs();
                    degree[j] += w.abs();
                }
                2.0 * degree.iter().fold(0.0, |a: f32, b| a.max(*b))
            }
            EnergyModel::Gmm(g) => g.stds.iter().map(|s| 1.0 / (s * s)).fold(0.0, f32::max),
            EnergyModel::Custom(c) => c.curvature,
        }
    }

    /// A step size inside the explicit-Euler stability limit `2/λ_max` (half of it).
    pub fn stable_step_size(&self) -> f32 {
        let lambda = self.curvature_bound();
        if lambda > 0.0 {
            1.0 / lambda
        } else {
            1.0
        }
    }

    /// The default step size of `method` at temperature `t`: a quarter of the stability limit for
    /// gradient steps; for Metropolis, a proposal width matched to the local curvature.
    pub fn default_step_size(&self, method: Method, t: f32) -> f32 {
        match (self, method) {
            (EnergyModel::Phi4(p) | EnergyModel::GuidedPhi4(p, _), Method::Metropolis) => {
                let local = 4.0 * p.kappa.abs() + p.a.abs() + p.b.abs();
                (2.0 * t.max(1e-3) / local.max(1e-3)).sqrt()
            }
            _ => 0.5 * self.stable_step_size(),
        }
    }

    /// Checks that `method` applies to this model on `shape`.
    pub fn check_method(&self, method: Method, shape: Shape) -> Result<()> {
        let unsupported = |reason: &str| IdfError::Unsupported {
            integrator: method.name().to_string(),
            model: self.name().to_string(),
            reason: reason.to_string(),
        };
        match (self, method) {
            (
                EnergyModel::Graph(_),
                Method::Langevin | Method::Mala | Method::Hmc | Method::Ddpm | Method::Ddim,
            ) => Err(unsupported(
                "graph states are discrete (spins or 0/1); use metropolis, anneal or tempering",
            )),
            (EnergyModel::Ising(_), Method::Langevin | Method::Mala | Method::Hmc) => Err(unsupported(
                "Ising spins are discrete (±1); use --integrator metropolis or anneal",
            )),
            (EnergyModel::Custom(_), Method::Metropolis | Method::Ddpm | Method::Ddim) => {
                Err(unsupported(
                    "a custom WGSL energy defines site_energy and energy_gradient only; \
                     use langevin, mala, hmc or anneal",
                ))
            }
            (EnergyModel::Gmm(_), Method::Metropolis) => Err(unsupported(
                "the mixture is not a nearest-neighbour energy; use langevin, mala, ddpm or ddim",
            )),
            (EnergyModel::SwiftHohenberg(_), Method::Metropolis) => Err(unsupported(
                "Swift–Hohenberg couples sites two apart, so checkerboard updates are not independent; \
                 use langevin, mala, hmc or anneal",
            )),
            (
                EnergyModel::Phi4(_)
                | EnergyModel::GuidedPhi4(..)
                | EnergyModel::Ising(_)
                | EnergyModel::SwiftHohenberg(_),
                Method::Ddpm | Method::Ddim,
            ) => {
                Err(unsupported(
                    "DDPM and DDIM need the exact score of the noised marginal, which only gmm has; \
                     for field energies use --integrator anneal (annealed Langevin)",
                ))
            }
            (EnergyModel::Phi4(_) | EnergyModel::GuidedPhi4(..) | EnergyModel::Ising(_), _)
                if self.uses_metropolis(method) =>
            {
                let even = |n: usize| n >= 2 && n.is_multiple_of(2);
                if !even(shape.height) || !even(shape.width) {
                    Err(IdfError::InvalidShape(format!(
                        "checkerboard Metropolis on a periodic lattice needs even height and width of at least 2, got {}x{}",
                        shape.height, shape.width
                    )))
                } else {
                    Ok(())
                }
            }
            _ => Ok(()),
        }
    }

    /// Whether `method` advances this model by Metropolis sweeps (annealing Ising does).
    pub fn uses_metropolis(&self, method: Method) -> bool {
        method == Method::Metropolis
            || (method == Method::Anneal
                && matches!(self.kind(), EnergyKind::Ising | EnergyKind::Graph))
    }
}
