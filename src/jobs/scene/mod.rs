//! [`Scene`]: the one request type of IDF's sampling and rendering jobs. A scene file
//! (`assets/scenes/*.yaml`), `idf sample` and `idf render` (whose flags override its keys), the
//! HTTP API's `/diffuse` (a JSON body with the same keys) and the viewer (which
//! saves one) all describe a run as a scene; [`Scene::resolve`] fills in every default, in one
//! place, and checks the result. Unknown keys and bad values are errors naming the key (and the
//! file, for files).
//!
//! Each key's doc gives its default; `resolve` is the one place that applies them. `config`
//! (`idf.yaml`) supplies two: the chains (`Diffusion.batchSize`) and the noise schedule of
//! DDPM and DDIM (`Diffusion.timesteps`, `noiseSchedule`).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::capsules::creative::load_target;
use crate::engine::diffusion::{EnergyScheduler, MAX_TIMESTEPS};
use crate::engine::energies::{EnergyModel, Guidance};
use crate::engine::field::{Field, Shape};
use crate::engine::method::Method;
use crate::engine::schedule::{ScheduleKind, TemperatureSchedule};
use crate::engine::step_rule::RunConfig;
use crate::error::{IdfError, Result};
use crate::jobs::config::Config;
use crate::kernels::{ColorRange, Colormap};

mod keys;
mod resolved;

pub use keys::{GuidanceSpec, RangeSpec, ResumeSpec, SceneParam, StartPoint};
pub use resolved::{Look, ResolvedScene};

/// The scene `idf sample` and `idf render` run when given none (`make demo` renders it).
pub const DEFAULT_SCENE: &str = include_str!("../../../assets/scenes/default.yaml");

/// A scene: every key optional, with the default its doc gives, applied by [`Scene::resolve`].
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Scene {
    /// Human-readable title (default: the model's name).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// A registered energy built by name (default `phi4`; `idf sample --help` lists them).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// Parameters over the model's defaults: numbers, or text such as gmm's `means: "-2,0;2,1"` (default: none).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub params: BTreeMap<String, SceneParam>,
    /// `[height, width]` of a lattice, also read as `shape` (default `[64, 64]`); points and graphs take none.
    #[serde(alias = "shape", skip_serializing_if = "Option::is_none")]
    pub size: Option<[usize; 2]>,
    /// Independent chains, advanced together (default `Diffusion.batchSize`, 32).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub chains: Option<usize>,
    /// langevin, mala, metropolis, hmc, ddpm, ddim or anneal (default langevin).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub integrator: Option<String>,
    /// Leapfrog steps per HMC trajectory (default 10).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub leapfrog_steps: Option<u32>,
    /// Steps after burn-in (default 1000; ddpm: `Diffusion.timesteps`; ddim: 100 of them).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub steps: Option<u64>,
    /// Steps before the first record (default 0).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub burn_in: Option<u64>,
    /// Steps between records of the observables (default 1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub record_every: Option<u64>,
    /// Step size η (default: the model's, half its stable step size), or the width of a Metropolis proposal (default: matched to the local curvature).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub step_size: Option<f32>,
    /// The target temperature T (default: the model's; ising 2, swift_hohenberg 0, the others 1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f32>,
    /// constant, linear, geometric or cosine, from `t_start` to `temperature` (default constant; cosine for anneal).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub schedule: Option<String>,
    /// The hot start of a schedule (default 10 T; 10 max(the model's T, 0.1) at T = 0).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub t_start: Option<f32>,
    /// Keys every random number of the run (default 0).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seed: Option<u32>,
    /// Frames of a render, which runs frames × steps_per_frame steps (default ⌈steps / steps_per_frame⌉).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub frames: Option<u64>,
    /// Steps between frames (default 10).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub steps_per_frame: Option<u64>,
    /// Frames per second of a video, 1 to 240 (default 30).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fps: Option<u32>,
    /// viridis, magma, inferno, cividis or coolwarm (default viridis).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub colormap: Option<String>,
    /// Colour range: `auto` (each frame's min..max), `symmetric`, or `[lo, hi]` (default auto).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub range: Option<RangeSpec>,
    /// Whether frames carry the energy/entropy curves and a line of text (default true).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub overlay: Option<bool>,
    /// Pixels per lattice site, 1 to 16 (default ⌊512 / width⌋ within 1..8).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scale: Option<u32>,
    /// `{image, lambda}`: φ⁴ pulled towards a PNG by `λ/2 Σ (φ − t)²` (default: none).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub guidance: Option<GuidanceSpec>,
    /// `{field, step, schedule_step}`: continue a saved run from its field (`.npy` or `.h5`
    /// beside the scene), its step and its place in the temperature schedule (default: a new
    /// run from the model's starting field at step 0). Scene files only: a request names no
    /// file on the server.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "server", schema(ignore))]
    pub resume: Option<ResumeSpec>,
    /// The file the scene came from (relative paths inside it resolve against its folder).
    #[serde(skip)]
    pub source: Option<PathBuf>,
    /// An energy given as a value rather than by name (a fitted checkpoint's, a user's WGSL
    /// already loaded): used instead of `model`, with `params` applied over its own.
    #[serde(skip)]
    pub energy: Option<EnergyModel>,
    /// The keys, and `params` names, that overrides (command-line flags) set over the scene
    /// file: an error about one of them names it alone, not the file.
    #[serde(skip)]
    pub overridden: BTreeSet<String>,
}

/// The f64 whose shortest decimal is the f32's own (0.6f32 → 0.6, not 0.6000000238418579).
fn shortest_f64(v: f32) -> f64 {
    v.to_string().parse().expect("an f32's decimal is an f64")
}

/// The scene of a capsule in `path`: a YAML file whose top-level key `key` (`plasma`,
/// `molecular`) holds the run, read as `T`; `None` when the file has no such key (a lattice
/// scene). Errors name the file and, under `key`, the key at fault.
pub fn load_capsule_scene<T: serde::de::DeserializeOwned>(
    path: &Path,
    key: &str,
) -> Result<Option<T>> {
    let text = std::fs::read_to_string(path).map_err(|e| IdfError::io(path, e))?;
    let bad = |message: String| IdfError::Config {
        path: path.to_path_buf(),
        message,
    };
    let value: serde_yaml::Value = serde_yaml::from_str(&text).map_err(|e| bad(e.to_string()))?;
    if value.get(key).is_none() {
        return Ok(None);
    }
    serde_yaml::from_value(value)
        .map(Some)
        .map_err(|e| bad(format!("{key}: {e}")))
}

/// A key that is wrong, and why.
type KeyError = (String, String);

fn bad(key: &str, message: String) -> KeyError {
    (key.to_string(), message)
}

impl Scene {
    /// Parses scene YAML; `origin` names the file in errors.
    pub fn parse(text: &str, origin: &Path) -> Result<Self> {
        let err = |message: String| IdfError::Config {
            path: origin.to_path_buf(),
            message,
        };
        let mut scene: Scene = serde_yaml::from_str(text).map_err(|e| err(e.to_string()))?;
        scene.source = Some(origin.to_path_buf());
        scene
            .check()
            .map_err(|(key, message)| err(format!("{key}: {message}")))?;
        Ok(scene)
    }

    /// A scene from JSON (an HTTP request body); errors name the key.
    pub fn from_json(value: serde_json::Value) -> Result<Self> {
        let scene: Scene = serde_path_to_error::deserialize(value).map_err(|e| {
            let message = e.inner().to_string();
            // An unknown key is named by serde's message; a bad value by its path.
            let key = match message.split('`').nth(1) {
                Some(unknown) if message.starts_with("unknown field") => unknown.to_string(),
                _ => e.path().to_string(),
            };
            IdfError::invalid(key, message)
        })?;
        scene
            .check()
            .map_err(|(key, message)| IdfError::invalid(key, message))?;
        if scene.resume.is_some() {
            // A request has no folder, and names no file on the server.
            return Err(IdfError::invalid(
                "resume",
                "a request cannot name a field file on the server; resume a run from a scene file",
            ));
        }
        Ok(scene)
    }

    /// Reads a scene file.
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| IdfError::io(path, e))?;
        Self::parse(&text, path)
    }

    /// The embedded default scene.
    pub fn default_scene() -> Self {
        Self::parse(DEFAULT_SCENE, Path::new("assets/scenes/default.yaml"))
            .expect("the embedded default scene is valid")
    }

    /// This scene with every key that `overrides` sets replaced (command-line flags over a scene
    /// file), `params` merged key by key. The overrides are checked first, so a bad value is named
    /// by its key alone rather than blamed on the file.
    pub fn with_overrides(self, overrides: &Scene) -> Result<Scene> {
        overrides
            .check()
            .map_err(|(key, message)| IdfError::invalid(key, message))?;
        let source = self.source.clone();
        let energy = overrides.energy.clone().or_else(|| self.energy.clone());
        let as_map = |scene: &Scene| match serde_json::to_value(scene) {
            Ok(serde_json::Value::Object(map)) => map,
            _ => unreachable!("a scene serialises to an object"),
        };
        let mut merged = as_map(&self);
        let mut overridden = self.overridden.clone();
        for (key, value) in as_map(overrides) {
            match &value {
                serde_json::Value::Object(names) if key == "params" => {
                    overridden.extend(names.keys().cloned())
                }
                _ => {
                    overridden.insert(key.clone());
                }
            }
            match (merged.get_mut(&key), value) {
                (Some(serde_json::Value::Object(base)), serde_json::Value::Object(over))
                    if key == "params" =>
                {
                    base.extend(over)
                }
                (_, value) => {
                    merged.insert(key, value);
                }
            }
        }
        let mut scene: Scene = serde_json::from_value(serde_json::Value::Object(merged))
            .map_err(|e| IdfError::invalid("scene", e.to_string()))?;
        scene.source = source;
        scene.energy = energy;
        scene.overridden = overridden;
        Ok(scene)
    }

    /// The scene as YAML, with a first comment line saying what wrote it.
    pub fn to_yaml(&self, written_by: &str) -> String {
        format!(
            "# {written_by}; `idf render` and `idf sample --scene` read it.\n{}",
            serde_yaml::to_string(self).expect("a scene serialises")
        )
    }

    /// Checks every key that can be checked without building the model.
    fn check(&self) -> std::result::Result<(), KeyError> {
        // Before anything else: a non-finite number does not survive the JSON that merges a
        // scene with its overrides.
        for (name, value) in &self.params {
            if let SceneParam::Number(v) = value {
                if !v.is_finite() {
                    return Err(bad(&format!("params.{name}"), format!("{v} is not finite")));
                }
            }
        }
        if let Some(m) = &self.model {
            // A scene file may name a user's WGSL energy beside it (loaded and validated when
            // the scene resolves); a request body, which has no folder, may not.
            if !(m.ends_with(".wgsl") && self.source.is_some()) {
                EnergyModel::spec_named(m).map_err(|e| bad("model", e.to_string()))?;
            }
        }
        if let Some(i) = &self.integrator {
            i.parse::<Method>().map_err(|_| {
                bad(
                    "integrator",
                    format!("`{i}` is not one of {}", Method::names()),
                )
            })?;
        }
        if let Some(s) = &self.schedule {
            s.parse::<ScheduleKind>().map_err(|_| {
                bad(
                    "schedule",
                    format!("`{s}` is not one of {}", ScheduleKind::names()),
                )
            })?;
        }
        if let Some(c) = &self.colormap {
            c.parse::<Colormap>().map_err(|_| {
                bad(
                    "colormap",
                    format!("`{c}` is not one of {}", Colormap::names()),
                )
            })?;
        }
        self.color_range()?;
        for (key, value) in [
            ("chains", self.chains.map(|c| c as u64)),
            ("frames", self.frames),
            ("steps_per_frame", self.steps_per_frame),
            ("record_every", self.record_every),
            ("leapfrog_steps", self.leapfrog_steps.map(u64::from)),
        ] {
            if value == Some(0) {
                return Err(bad(key, "expected at least 1".into()));
            }
        }
        if let Some([h, w]) = self.size {
            if h == 0 || w == 0 {
                return Err(bad(
                    "size",
                    format!(
                        "the size (shape) [height, width] needs both at least 1, got [{h}, {w}]"
                    ),
                ));
            }
        }
        if matches!(self.fps, Some(0) | Some(241..)) {
            return Err(bad("fps", "expected 1 to 240".into()));
        }
        if matches!(self.scale, Some(0) | Some(17..)) {
            return Err(bad("scale", "expected 1 to 16 pixels per site".into()));
        }
        if let Some(eta) = self.step_size {
            if !(eta.is_finite() && eta > 0.0) {
                return Err(bad(
                    "step_size",
                    format!("expected a finite number > 0, got {eta}"),
                ));
            }
        }
        for (key, value) in [("temperature", self.temperature), ("t_start", self.t_start)] {
            if let Some(t) = value {
                if !(t.is_finite() && t >= 0.0) {
                    return Err(bad(
                        key,
                        format!("expected a finite temperature ≥ 0, got {t}"),
                    ));
                }
            }
        }
        if let Some(r) = &self.resume {
            if r.schedule_step.is_some_and(|s| s > r.step) {
                return Err(bad(
                    "resume.schedule_step",
                    format!(
                        "{} is past resume.step {}: the schedule cannot have run longer than the run",
                        r.schedule_step.unwrap_or(0),
                        r.step
                    ),
                ));
            }
        }
        if let Some(g) = &self.guidance {
            if !g.lambda.is_finite() || g.lambda < 0.0 {
                return Err(bad(
                    "guidance.lambda",
                    format!("expected a number ≥ 0, got {}", g.lambda),
                ));
            }
        }
        Ok(())
    }

    fn color_range(&self) -> std::result::Result<ColorRange, KeyError> {
        match &self.range {
            None => Ok(ColorRange::PerFrame),
            Some(RangeSpec::Named(n)) if n == "auto" => Ok(ColorRange::PerFrame),
            Some(RangeSpec::Named(n)) if n == "symmetric" => Ok(ColorRange::Symmetric),
            Some(RangeSpec::Named(n)) => Err(bad(
                "range",
                format!("expected auto, symmetric or [lo, hi], got `{n}`"),
            )),
            Some(RangeSpec::Fixed([lo, hi])) if lo.is_finite() && hi.is_finite() && lo < hi => {
                Ok(ColorRange::Fixed(*lo, *hi))
            }
            Some(RangeSpec::Fixed([lo, hi])) => Err(bad(
                "range",
                format!("expected [lo, hi] with lo < hi, got [{lo}, {hi}]"),
            )),
        }
    }

    /// The `model` and `energy` keys of a scene for a model named on a command line: a name
    /// ending in `.wgsl` is the path of a user's energy relative to the working directory (in a
    /// scene file it is relative to the file's folder), loaded here; any other is a registered
    /// energy's name, checked when the scene resolves.
    ///
    /// Errors: the WGSL file cannot be read or does not validate (naga's line and column).
    pub fn command_line_model(name: &str) -> Result<(Option<String>, Option<EnergyModel>)> {
        if name.ends_with(".wgsl") {
            Ok((None, Some(EnergyModel::from_params(name, &[])?)))
        } else {
            Ok((Some(name.to_string()), None))
        }
    }

    /// A path named inside the scene, resolved against the scene file's folder.
    pub fn path_in_scene(&self, path: &Path) -> PathBuf {
        match self.source.as_ref().and_then(|s| s.parent()) {
            Some(dir) if path.is_relative() => dir.join(path),
            _ => path.to_path_buf(),
        }
    }

    /// The scene's energy with its parameters: `energy` if given, otherwise the one `model`
    /// names (a `.wgsl` file relative to the scene's folder).
    fn energy(&self) -> Result<EnergyModel> {
        let pairs = self.param_pairs();
        let Some(model) = &self.energy else {
            let name = self.model.as_deref().unwrap_or("phi4");
            let name = match name.ends_with(".wgsl") {
                true => self.path_in_scene(Path::new(name)).display().to_string(),
                false => name.to_string(),
            };
            return EnergyModel::from_params(&name, &pairs);
        };
        let mut model = model.clone();
        for (key, value) in &pairs {
            model.set_param(key, value)?;
        }
        Ok(model)
    }

    /// The scene's parameters as `key=value` pairs.
    pub fn param_pairs(&self) -> Vec<(String, String)> {
        self.params
            .iter()
            .map(|(k, v)| (k.clone(), v.text()))
            .collect()
    }

    /// Names `model` and its parameters in the scene (a viewer's save); a guided φ⁴ keeps the
    /// scene's guidance image with the model's λ. Errors for energies not built by name.
    pub fn set_model(&mut self, model: &EnergyModel) -> Result<()> {
        let spec = model.spec();
        if spec.new.is_none() {
            return Err(IdfError::invalid(
                "model",
                format!(
                    "a {} energy is not a scene model (a scene names one of {})",
                    model.name(),
                    EnergyModel::names()
                ),
            ));
        }
        if self.model.as_deref() != Some(spec.name) {
            self.guidance = None;
        }
        self.model = Some(spec.name.to_string());
        self.params = model
            .params()
            .into_iter()
            .filter(|p| p.name != "lambda")
            // The f32's shortest decimal (0.6, not 0.6000000238418579).
            .map(|p| (p.name, SceneParam::Number(shortest_f64(p.value))))
            .collect();
        if let (Some(spec), EnergyModel::Phi4(p)) = (&mut self.guidance, model) {
            if let Some(g) = &p.guidance {
                spec.lambda = g.lambda;
            }
        }
        Ok(())
    }

    /// Names a user's WGSL energy, saved as `file` beside the scene (a path relative to the
    /// scene's folder), with `model`'s parameter values: the scene then loads the same energy.
    /// Guidance, which only φ⁴ takes, goes.
    pub fn set_energy_file(&mut self, file: &str, model: &EnergyModel) {
        self.model = Some(file.to_string());
        self.energy = None;
        self.guidance = None;
        self.params = model
            .params()
            .into_iter()
            .map(|p| (p.name, SceneParam::Number(shortest_f64(p.value))))
            .collect();
    }

    /// Fills in every default (each key's doc gives it) and builds the model with its
    /// parameters and guidance, the field's shape, the run and the look; every key and value is
    /// checked here. Whether the integrator applies to the model is checked once, where the run
    /// starts (`Simulation::run`, the reverse process, or the render job before it renders).
    /// `config` supplies the default chains (`Diffusion.batchSize`) and the noise schedule.
    pub fn resolve(&self, config: &Config) -> Result<ResolvedScene> {
        self.check()
            .map_err(|(key, message)| self.error(&key, message))?;
        let name = self.model.as_deref().unwrap_or("phi4");
        let mut model = self.energy().map_err(|e| self.in_file(e))?;
        let name = if self.energy.is_some() {
            model.name()
        } else {
            name
        };
        if self.size.is_some() && !model.state().is_lattice() {
            return Err(self.error(
                "size",
                format!("{name} is not a lattice: its dimension comes from its parameters"),
            ));
        }
        let [height, width] = self.size.unwrap_or([64, 64]);
        if let Some(g) = &self.guidance {
            let target = load_target(&self.path_in_scene(&g.image), height, width)
                .map_err(|e| self.error("guidance.image", e.to_string()))?;
            model = model.with_guidance(Guidance {
                lambda: g.lambda,
                target,
                height,
                width,
            })?;
        }
        let chains = self.chains.unwrap_or(config.diffusion.batch_size);
        let shape = model.shape(
            chains,
            model.state().is_lattice().then_some([height, width]),
        )?;
        let method: Method = self.integrator.as_deref().unwrap_or("langevin").parse()?;
        let temperature = self
            .temperature
            .unwrap_or_else(|| model.default_temperature());
        if !(temperature.is_finite() && temperature >= 0.0) {
            return Err(self.error(
                "temperature",
                format!("{temperature} is not a finite, non-negative temperature"),
            ));
        }
        let kind = match &self.schedule {
            Some(s) => s.parse()?,
            None if method == Method::Anneal => ScheduleKind::Cosine,
            None => ScheduleKind::Constant,
        };
        let schedule = if kind == ScheduleKind::Constant {
            TemperatureSchedule::constant(temperature)
        } else {
            let t_start = self.t_start.unwrap_or(if temperature > 0.0 {
                10.0 * temperature
            } else {
                10.0 * model.default_temperature().max(0.1)
            });
            TemperatureSchedule::new(kind, t_start, temperature)?
        };
        let timesteps = match (method, self.steps) {
            // DDPM takes one step per timestep: checked before its tables are built.
            (Method::Ddpm, Some(s)) if s == 0 || s > MAX_TIMESTEPS as u64 => {
                return Err(self.error(
                    "steps",
                    format!("{s}: DDPM takes one step per timestep; use 1 to {MAX_TIMESTEPS}"),
                ))
            }
            (Method::Ddpm, Some(s)) => s as usize,
            _ => config.diffusion.timesteps,
        };
        let steps = self.steps.unwrap_or(match method {
            Method::Ddpm => timesteps as u64,
            Method::Ddim => 100,
            _ => 1000,
        });
        let run = RunConfig {
            method,
            step_size: self
                .step_size
                .unwrap_or_else(|| model.default_step_size(method, temperature)),
            schedule,
            burn_in: self.burn_in.unwrap_or(0),
            steps,
            record_every: self.record_every.unwrap_or(1),
            leapfrog_steps: self.leapfrog_steps.unwrap_or(10),
        };
        let seed = self.seed.unwrap_or(0);
        let look = self.look(shape, steps)?;
        if self.resume.is_some() && matches!(method, Method::Ddpm | Method::Ddim) {
            return Err(self.error(
                "resume",
                format!(
                    "{} runs the reverse process from noise; resume continues an equilibrium run or an anneal",
                    method.name()
                ),
            ));
        }
        let (initial, start) = match &self.resume {
            Some(r) => (Some(self.resumed_field(r, shape)?), r.start_point()),
            None => (None, StartPoint::default()),
        };
        Ok(ResolvedScene {
            title: self
                .title
                .clone()
                .unwrap_or_else(|| model.name().to_string()),
            model,
            shape,
            initial,
            start,
            method,
            run,
            scheduler: EnergyScheduler::new(config.noise_schedule(), timesteps)?,
            seed,
            look,
        })
    }

    /// How a render of this scene looks, for a field of `shape` and a run of `steps` steps
    /// (which set the default frames).
    pub fn look(&self, shape: Shape, steps: u64) -> Result<Look> {
        let steps_per_frame = self.steps_per_frame.unwrap_or(10);
        Ok(Look {
            frames: self
                .frames
                .unwrap_or(steps.div_ceil(steps_per_frame).max(1)),
            steps_per_frame,
            fps: self.fps.unwrap_or(30),
            colormap: self.colormap.as_deref().unwrap_or("viridis").parse()?,
            range: self
                .color_range()
                .map_err(|(key, message)| self.error(&key, message))?,
            overlay: self.overlay.unwrap_or(true),
            scale: self
                .scale
                .unwrap_or_else(|| (512 / shape.width as u32).clamp(1, 8)),
        })
    }

    /// The field a resumed scene continues from, checked against the run's `shape`: one chain is
    /// copied to every chain.
    fn resumed_field(&self, resume: &ResumeSpec, shape: Shape) -> Result<Field> {
        let path = self.path_in_scene(&resume.field);
        let field =
            crate::io::read_field(&path).map_err(|e| self.error("resume.field", e.to_string()))?;
        let saved = field.shape();
        let one_chain = Shape { chains: 1, ..shape };
        if saved == shape {
            Ok(field)
        } else if saved == one_chain {
            Field::concat_chains(&vec![field; shape.chains])
        } else {
            Err(self.error(
                "resume.field",
                format!(
                    "{} holds a field of shape {:?}; this scene runs {:?} (one chain, or one per chain)",
                    path.display(),
                    saved.dims(),
                    shape.dims()
                ),
            ))
        }
    }

    /// An error of the model's construction (a parameter, the model's name), naming the scene
    /// file when the scene came from one and the parameter named is not an override.
    fn in_file(&self, e: IdfError) -> IdfError {
        if matches!(&e, IdfError::InvalidParam { name, .. } if self.overridden.contains(name)) {
            return e;
        }
        match &self.source {
            Some(path) => IdfError::Config {
                path: path.clone(),
                message: e.to_string(),
            },
            None => e,
        }
    }

    /// An error about `key`: naming the file for a key of a scene file, the key otherwise.
    fn error(&self, key: &str, message: String) -> IdfError {
        match &self.source {
            Some(path) if !self.overridden.contains(key) => IdfError::Config {
                path: path.clone(),
                message: format!("{key}: {message}"),
            },
            _ => IdfError::invalid(key, message),
        }
    }
}
