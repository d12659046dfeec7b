//! Energies: one host file per energy, and the one list that registers them.
//!
//! An energy is three files: its WGSL module (`shaders/energies/NAME.wgsl`), its CPU twin
//! (`src/cpu/energies/NAME.rs`) and its host file here, which holds its parameters (name,
//! default, slider range, one-line doc), its packing into `energy_params`, its stability bound
//! and the integrators it supports, and implements [`Energy`]. The `registry!` list at the
//! bottom of this file makes it an [`EnergyModel`] variant and puts its [`EnergySpec`] in
//! [`REGISTRY`], which the CLI help, error messages, the API schema, scene validation, the
//! viewer's sliders and the tests (gradients, shader validation, GPU/CPU agreement) all read.

pub mod custom;
pub mod gmm;
pub mod graph;
pub mod ising;
pub mod phi4;
pub mod placement;
pub mod swift_hohenberg;

use std::fmt;
use std::path::Path;

use crate::cpu::energies::EnergyTwin;
use crate::engine::field::{Field, Shape};
use crate::engine::method::Method;
use crate::error::{IdfError, Result};
use crate::executor::EnergyBinding;
use crate::kernels::EnergyModule;

pub use custom::CustomEnergy;
pub use gmm::GaussianMixture;
pub use graph::{GraphEnergy, GraphKind};
pub use ising::Ising;
pub use phi4::{Guidance, Phi4};
pub use placement::PlacementEnergy;
pub use swift_hohenberg::SwiftHohenberg;

/// What one sample of an energy is, which decides its shape and what can be done with it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StateKind {
    /// A continuous lattice field `[chains, channels, height, width]`.
    Field,
    /// Lattice spins ±1.
    Spins,
    /// A point in R^D per chain (`[chains, 1, 1, D]`); D comes from the parameters.
    Points,
    /// A value per node of a graph (`[chains, 1, 1, nodes]`): spins, or 0/1 for QUBO.
    GraphNodes,
    /// A label per categorical (Potts) variable, as f32, followed by state the labels imply
    /// (`[chains, 1, 1, values]`; see the energy's `shape`).
    Assignment,
}

impl StateKind {
    /// Whether samples are lattices (a size applies, and they can be drawn as pictures).
    pub fn is_lattice(self) -> bool {
        matches!(self, StateKind::Field | StateKind::Spins)
    }

    /// Whether values are discrete (spins or 0/1): updated by Metropolis, not by gradients.
    pub fn is_discrete(self) -> bool {
        matches!(
            self,
            StateKind::Spins | StateKind::GraphNodes | StateKind::Assignment
        )
    }

    /// Whether values are labels of categories (no gradient, no order).
    pub fn is_categorical(self) -> bool {
        self == StateKind::Assignment
    }
}

/// How a Metropolis (or heat-bath) sweep visits the sites of an energy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sweep {
    /// One `metropolis_sweep` dispatch per colour; sites of one colour share no term and update
    /// at once.
    Colors(u32),
    /// One `potts_sweep` dispatch visits each chain's variables in order (every move couples to
    /// every other, through shared loads).
    Sequential,
}

/// A parameter of an energy, as the CLI help, errors, the API schema and scenes describe it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ParamSpec {
    /// The key in `--param KEY=VALUE`, a scene's `params` and the API's `params`.
    pub name: &'static str,
    /// One line: what it is, with its symbol.
    pub doc: &'static str,
    /// The default, as the CLI and scenes write it (`1`, or `0.3,0.7` for a list).
    pub default: &'static str,
    /// For a scalar parameter, the range a slider offers (values outside it are accepted);
    /// `None` for a list.
    pub range: Option<(f32, f32)>,
}

impl ParamSpec {
    /// A scalar parameter.
    pub const fn scalar(
        name: &'static str,
        default: &'static str,
        range: (f32, f32),
        doc: &'static str,
    ) -> Self {
        ParamSpec {
            name,
            doc,
            default,
            range: Some(range),
        }
    }
}

/// A registered energy: what it is before any instance exists.
pub struct EnergySpec {
    /// The model name (`phi4`): `--model`, a scene's `model`, the API's `model`.
    pub name: &'static str,
    /// One line with the energy's formula.
    pub summary: &'static str,
    /// Its parameters with their defaults.
    pub params: &'static [ParamSpec],
    /// What one sample is.
    pub state: StateKind,
    /// The integrators it supports (on a suitable shape).
    pub methods: &'static [Method],
    /// The model with its default parameters, for energies built by name (`--model`); `None`
    /// for graphs (built from files) and custom energies (built from WGSL).
    pub new: Option<fn() -> EnergyModel>,
    /// A small instance with the facts tests check it with.
    pub example: fn() -> EnergyExample,
}

impl fmt::Debug for EnergySpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name)
    }
}

/// A small instance of an energy with what a finite-difference check of its gradient needs.
#[derive(Clone, Debug)]
pub struct EnergyExample {
    /// The model.
    pub model: EnergyModel,
    /// Its lattice size (`None` where the parameters fix the shape).
    pub size: Option<[usize; 2]>,
    /// A bound on |∂³E/∂x_i³| over fields of values below 4 in magnitude: the truncation error
    /// of a central difference of step h is h²/6 times it.
    pub third_derivative: f64,
}

/// A scalar parameter's current value: what a slider edits.
#[derive(Clone, Debug, PartialEq)]
pub struct ParamValue {
    /// The parameter's name.
    pub name: String,
    /// Its value.
    pub value: f32,
    /// The slider's range.
    pub range: (f32, f32),
    /// Whether values outside the range are refused (a custom energy's declared ranges).
    pub strict: bool,
}

impl ParamValue {
    /// The value of a parameter described by `spec`.
    pub fn of(spec: &ParamSpec, value: f32) -> Self {
        ParamValue {
            name: spec.name.to_string(),
            value,
            range: spec.range.unwrap_or((value.min(0.0), value.max(1.0))),
            strict: false,
        }
    }
}

/// What a host file implements: one energy's behaviour given its parameters.
pub trait Energy: fmt::Debug + Send + Sync {
    /// The registered description.
    fn spec(&self) -> &'static EnergySpec;

    /// The model name (graphs name their objective).
    fn name(&self) -> &'static str {
        self.spec().name
    }

    /// The WGSL module the kernels are composed with.
    fn module(&self) -> EnergyModule;

    /// The CPU twin (none for a user's WGSL).
    fn twin(&self) -> Option<&'static dyn EnergyTwin>;

    /// The `energy_params` buffer the module reads.
    fn packed_params(&self) -> Vec<f32>;

    /// The scalar parameters and their values (what sliders edit).
    fn params(&self) -> Vec<ParamValue>;

    /// Sets scalar parameter `name`.
    fn set_value(&mut self, name: &str, value: f32) -> Result<()>;

    /// Sets parameter `name` from its text (`--param`, a scene, the API).
    fn set_param(&mut self, name: &str, text: &str) -> Result<()> {
        self.set_value(name, parse_number(name, text)?)
    }

    /// Completes and checks the parameters together, once they are all set (the mixture
    /// normalises its weights).
    fn check(&mut self) -> Result<()> {
        Ok(())
    }

    /// Refuses parameters for which the energy is unbounded below, naming the parameter: such
    /// an energy has no Boltzmann distribution, and its gradient flow runs away at any step
    /// size.
    fn check_bounded_below(&self) -> Result<()> {
        Ok(())
    }

    /// The parameters as JSON (what `idf sample --json` reports).
    fn params_json(&self) -> serde_json::Value {
        serde_json::Value::Object(
            self.params()
                .into_iter()
                .map(|p| (p.name, serde_json::json!(p.value)))
                .collect(),
        )
    }

    /// ∂E/∂θ of each chain of `field`, for each parameter of [`params`](Self::params) in that
    /// order (`[chains][parameters]`, double precision): what fitting the parameters by maximum
    /// likelihood needs. `None` for an energy that cannot be fitted yet.
    fn param_gradient(&self, _field: &Field) -> Option<Vec<Vec<f64>>> {
        None
    }

    /// An upper bound on the curvature (largest Hessian eigenvalue) where fields live.
    fn curvature_bound(&self) -> f32;

    /// Why `method` does not apply, for the methods the spec does not list.
    fn unsupported_reason(&self, method: Method) -> &'static str;

    /// The shape of `chains` samples; `size` is `[height, width]` for lattices (default 64×64).
    fn shape(&self, chains: usize, size: Option<[usize; 2]>) -> Result<Shape> {
        let [h, w] = size.unwrap_or([64, 64]);
        Shape::new(chains, 1, h, w)
    }

    /// Checks that a field of `shape` is a state of this energy.
    fn check_shape(&self, _shape: Shape) -> Result<()> {
        Ok(())
    }

    /// A starting field: small Gaussian noise unless the energy says otherwise (an error if
    /// its memory cannot be allocated).
    fn initial_field(&self, shape: Shape, seed: u32) -> Result<Field> {
        Field::random_normal(shape, seed, 0.1)
    }

    /// The temperature at which the energy is usually sampled.
    fn default_temperature(&self) -> f32 {
        1.0
    }

    /// The default step size of `method` at temperature `t`: half the stable step size.
    fn default_step_size(&self, _method: Method, _t: f32) -> f32 {
        0.5 * stable_step_size(self.curvature_bound())
    }

    /// The work of evaluating the energy's gradient or change at one site, in units of a
    /// nearest-neighbour stencil's: what a work budget counts per site and step.
    fn cost_per_site(&self) -> u64 {
        1
    }

    /// Colours of a Metropolis sweep: the checkerboard's two unless the energy colours its sites.
    fn colors(&self) -> u32 {
        2
    }

    /// How a sweep visits the sites: by colour unless the energy's moves all interact.
    fn sweep(&self) -> Sweep {
        Sweep::Colors(self.colors())
    }
}

/// The explicit-Euler stability limit `2/λ_max`, halved: `1/λ_max` (1 without curvature).
pub fn stable_step_size(curvature: f32) -> f32 {
    if curvature > 0.0 {
        1.0 / curvature
    } else {
        1.0
    }
}

/// A finite number from a parameter's text; the error names the parameter.
pub fn parse_number(name: &str, text: &str) -> Result<f32> {
    let v: f32 = text
        .trim()
        .parse()
        .map_err(|_| IdfError::invalid(name, format!("`{text}` is not a number")))?;
    finite(name, v)
}

/// `value` if it is finite; otherwise an error naming the parameter.
pub fn finite(name: &str, value: f32) -> Result<f32> {
    if value.is_finite() {
        Ok(value)
    } else {
        Err(IdfError::invalid(name, format!("{value} is not finite")))
    }
}

/// A name from input as an error repeats it: cut to 64 characters, so that a request cannot make
/// its answer as large as itself.
fn shown(name: &str) -> String {
    match name.char_indices().nth(64) {
        Some((cut, _)) => format!("{}…", &name[..cut]),
        None => name.to_string(),
    }
}

/// The error for a parameter `name` the energy does not have, listing those it has.
pub fn unknown_param(energy: &dyn Energy, name: &str) -> IdfError {
    let known: Vec<String> = match energy.spec().new.is_some() {
        true => energy
            .spec()
            .params
            .iter()
            .map(|p| p.name.to_string())
            .collect(),
        false => energy.params().into_iter().map(|p| p.name).collect(),
    };
    IdfError::UnknownParam {
        model: energy.name().to_string(),
        param: shown(name),
        known: if known.is_empty() {
            "none".to_string()
        } else {
            known.join(", ")
        },
    }
}

/// Registers the energies: each becomes an [`EnergyModel`] variant and its spec an entry of
/// [`REGISTRY`], in the order listed.
macro_rules! registry {
    ($($(#[$doc:meta])* $variant:ident($ty:ty) = $spec:path),* $(,)?) => {
        /// An energy with its parameters: one of the registered energies.
        #[derive(Clone, Debug, PartialEq)]
        pub enum EnergyModel {
            $($(#[$doc])* $variant($ty),)*
        }

        impl EnergyModel {
            /// The energy behind the model.
            pub fn energy(&self) -> &dyn Energy {
                match self {
                    $(EnergyModel::$variant(e) => e,)*
                }
            }

            fn energy_mut(&mut self) -> &mut dyn Energy {
                match self {
                    $(EnergyModel::$variant(e) => e,)*
                }
            }
        }

        $(impl From<$ty> for EnergyModel {
            fn from(energy: $ty) -> Self {
                EnergyModel::$variant(energy)
            }
        })*

        /// Every registered energy, in the order listed.
        pub static REGISTRY: &[&EnergySpec] = &[$(&$spec,)*];
    };
}

registry! {
    /// φ⁴ lattice field, with an optional guidance image.
    Phi4(Phi4) = phi4::SPEC,
    /// Ising spins.
    Ising(Ising) = ising::SPEC,
    /// Gaussian mixture.
    Gmm(GaussianMixture) = gmm::SPEC,
    /// Swift–Hohenberg patterns.
    SwiftHohenberg(SwiftHohenberg) = swift_hohenberg::SPEC,
    /// Ising, Max-Cut or QUBO on a weighted graph.
    Graph(GraphEnergy) = graph::SPEC,
    /// Replicas of services placed on nodes (a Potts label per replica).
    Placement(PlacementEnergy) = placement::SPEC,
    /// A user's WGSL energy (GPU only, gradient integrators).
    Custom(CustomEnergy) = custom::SPEC,
}

impl Default for EnergyModel {
    /// φ⁴ with its default parameters.
    fn default() -> Self {
        EnergyModel::Phi4(Phi4::default())
    }
}

impl EnergyModel {
    /// The energies built by name (`--model`), in the order listed.
    pub fn named() -> impl Iterator<Item = &'static EnergySpec> {
        REGISTRY.iter().copied().filter(|s| s.new.is_some())
    }

    /// Their names, comma-separated, for help texts and errors.
    pub fn names() -> String {
        Self::named().map(|s| s.name).collect::<Vec<_>>().join(", ")
    }

    /// The registered energy named `name` (built by name).
    pub fn spec_named(name: &str) -> Result<&'static EnergySpec> {
        Self::named()
            .find(|s| s.name == name)
            .ok_or_else(|| IdfError::UnknownModel {
                model: shown(name),
                known: Self::names(),
            })
    }

    /// A model by name with `key=value` parameters over its defaults; a name ending in `.wgsl`
    /// is the path of a user's WGSL energy ([`custom::CustomEnergy::load`]).
    ///
    /// `gmm` takes `weights=0.3,0.7`, `means=-2,0;2,1` (components separated by `;`) and
    /// `stds=0.5,0.8`. Errors name the unknown model or parameter and list the known ones.
    pub fn from_params(name: &str, params: &[(String, String)]) -> Result<Self> {
        if name.ends_with(".wgsl") {
            let mut model = EnergyModel::Custom(custom::CustomEnergy::load(Path::new(name))?);
            for (key, value) in params {
                model.set_param(key, value)?;
            }
            return Ok(model);
        }
        let new = Self::spec_named(name)?
            .new
            .expect("energies built by name have `new`");
        let mut model = new();
        for (key, value) in params {
            model.set_param(key, value)?;
        }
        model.energy_mut().check()?;
        model.check_bounded_below()?;
        Ok(model)
    }

    /// Refuses parameters for which the energy is unbounded below, naming the parameter.
    pub fn check_bounded_below(&self) -> Result<()> {
        self.energy().check_bounded_below()
    }

    /// ∂E/∂θ of each chain of `field` per parameter (`[chains][parameters]`), or `None` for an
    /// energy that cannot be fitted yet (see [`Energy::param_gradient`]).
    pub fn param_gradient(&self, field: &Field) -> Option<Vec<Vec<f64>>> {
        self.energy().param_gradient(field)
    }

    /// The registered description.
    pub fn spec(&self) -> &'static EnergySpec {
        self.energy().spec()
    }

    /// The model's name.
    pub fn name(&self) -> &'static str {
        self.energy().name()
    }

    /// The scalar parameters and their values.
    pub fn params(&self) -> Vec<ParamValue> {
        self.energy().params()
    }

    /// Sets parameter `name` from its text; the error names it.
    pub fn set_param(&mut self, name: &str, text: &str) -> Result<()> {
        self.energy_mut().set_param(name, text)
    }

    /// Sets scalar parameter `name` (a slider's edit); the error names it.
    pub fn set_value(&mut self, name: &str, value: f32) -> Result<()> {
        self.energy_mut().set_value(name, value)
    }

    /// The parameters as JSON.
    pub fn params_json(&self) -> serde_json::Value {
        self.energy().params_json()
    }

    /// The `energy_params` buffer the WGSL module reads.
    pub fn packed_params(&self) -> Vec<f32> {
        self.energy().packed_params()
    }

    /// The WGSL module the kernels are composed with.
    pub fn module(&self) -> EnergyModule {
        self.energy().module()
    }

    /// What the executor needs: module, twin and packed parameters.
    pub(crate) fn binding(&self) -> EnergyBinding {
        EnergyBinding {
            model: self.name(),
            module: self.module(),
            twin: self.energy().twin(),
            params: self.packed_params(),
        }
    }

    /// What one sample is.
    pub fn state(&self) -> StateKind {
        self.spec().state
    }

    /// The shape of `chains` samples: `size` is `[height, width]` for lattice models (64×64 by
    /// default); points and graphs take their dimension from the parameters and refuse a size.
    pub fn shape(&self, chains: usize, size: Option<[usize; 2]>) -> Result<Shape> {
        self.energy().shape(chains, size)
    }

    /// Checks that a field of `shape` is a state of this model.
    pub fn check_shape(&self, shape: Shape) -> Result<()> {
        self.energy().check_shape(shape)
    }

    /// A starting field (small noise for fields, random spins, N(0, I) points); an error if its
    /// memory cannot be allocated.
    pub fn initial_field(&self, shape: Shape, seed: u32) -> Result<Field> {
        self.energy().initial_field(shape, seed)
    }

    /// The temperature at which the model is usually sampled.
    pub fn default_temperature(&self) -> f32 {
        self.energy().default_temperature()
    }

    /// A step size inside the explicit-Euler stability limit `2/λ_max` (half of it).
    pub fn stable_step_size(&self) -> f32 {
        stable_step_size(self.energy().curvature_bound())
    }

    /// The default step size of `method` at temperature `t`: half the stable step size for
    /// gradient steps; for Metropolis on a continuous field, a proposal width matched to the
    /// local curvature.
    pub fn default_step_size(&self, method: Method, t: f32) -> f32 {
        self.energy().default_step_size(method, t)
    }

    /// The work of one site's gradient or energy change, in units of a nearest-neighbour
    /// stencil's (a mixture's is its components × dimension).
    pub fn cost_per_site(&self) -> u64 {
        self.energy().cost_per_site()
    }

    /// Colours of a Metropolis sweep.
    pub fn colors(&self) -> u32 {
        self.energy().colors()
    }

    /// How a Metropolis or heat-bath sweep visits the sites.
    pub fn sweep(&self) -> Sweep {
        self.energy().sweep()
    }

    /// Checks that `method` applies to this model on `shape`: the energy supports it, and
    /// checkerboard Metropolis on a lattice has even sides.
    pub fn check_method(&self, method: Method, shape: Shape) -> Result<()> {
        let spec = self.spec();
        if !spec.methods.contains(&method) {
            return Err(IdfError::Unsupported {
                integrator: method.name().to_string(),
                model: self.name().to_string(),
                reason: self.energy().unsupported_reason(method).to_string(),
            });
        }
        let even = |n: usize| n >= 2 && n.is_multiple_of(2);
        if self.uses_metropolis(method)
            && spec.state.is_lattice()
            && !(even(shape.height) && even(shape.width))
        {
            return Err(IdfError::InvalidShape(format!(
                "checkerboard Metropolis on a periodic lattice needs even height and width of at least 2, got {}x{}",
                shape.height, shape.width
            )));
        }
        Ok(())
    }

    /// Whether `method` advances this model by Metropolis sweeps (annealing spins does).
    pub fn uses_metropolis(&self, method: Method) -> bool {
        method == Method::Metropolis || (method == Method::Anneal && self.state().is_discrete())
    }

    /// Adds a guidance term towards `guidance.target` to a φ⁴ model.
    pub fn with_guidance(self, guidance: Guidance) -> Result<Self> {
        match self {
            EnergyModel::Phi4(p) => Ok(EnergyModel::Phi4(p.with_guidance(guidance)?)),
            other => Err(IdfError::invalid(
                "guidance",
                format!("only phi4 takes a guidance image, not {}", other.name()),
            )),
        }
    }
}

/// Per chain of `field`, the sum over its sites of `term(x, right, down)` (the value and its
/// periodic right and lower neighbours), in double precision: the sufficient statistics of
/// nearest-neighbour lattice energies.
pub(crate) fn lattice_sums<const N: usize>(
    field: &Field,
    term: impl Fn(f64, f64, f64) -> [f64; N],
) -> Vec<Vec<f64>> {
    let s = field.shape();
    let (h, w) = (s.height, s.width);
    (0..s.chains)
        .map(|chain| {
            let values = field.chain(chain);
            let mut sums = [0.0f64; N];
            for plane in values.chunks(h * w) {
                for y in 0..h {
                    let down = if y + 1 == h { 0 } else { y + 1 };
                    for x in 0..w {
                        let right = if x + 1 == w { 0 } else { x + 1 };
                        let t = term(
                            plane[y * w + x] as f64,
                            plane[y * w + right] as f64,
                            plane[down * w + x] as f64,
                        );
                        for (acc, v) in sums.iter_mut().zip(t) {
                            *acc += v;
                        }
                    }
                }
            }
            sums.to_vec()
        })
        .collect()
}
