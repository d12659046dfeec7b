//! Scenes: a sampling or rendering job described in YAML (`assets/scenes/*.yaml`). Unknown keys
//! and bad values are errors naming the file and the key. `idf sample --scene FILE` and
//! `idf render FILE` run one; flags override its keys. The default scene is embedded in the binary.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::engine::energies::EnergyModel;
use crate::engine::method::Method;
use crate::engine::schedule::ScheduleKind;
use crate::error::{IdfError, Result};
use crate::jobs::render::colormap::{ColorRange, Colormap};

/// The scene `idf sample` runs when given neither `--scene` nor `--model`.
pub const DEFAULT_SCENE: &str = include_str!("../../assets/scenes/default.yaml");

/// A scene file's contents; every key is optional.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Scene {
    /// Human-readable title.
    pub title: Option<String>,
    /// Model name: phi4, ising or gmm.
    pub model: Option<String>,
    /// Model parameters (numbers, or strings such as gmm's `means: "-2,0;2,1"`).
    #[serde(default)]
    pub params: BTreeMap<String, serde_yaml::Value>,
    /// `[height, width]`.
    pub size: Option<[usize; 2]>,
    /// Independent chains.
    pub chains: Option<usize>,
    /// Integrator name.
    pub integrator: Option<String>,
    /// Steps after burn-in.
    pub steps: Option<u64>,
    /// Steps before recording.
    pub burn_in: Option<u64>,
    /// Record every K steps.
    pub record_every: Option<u64>,
    /// Step size η (or Metropolis proposal width).
    pub step_size: Option<f32>,
    /// Target temperature.
    pub temperature: Option<f32>,
    /// Temperature schedule.
    pub schedule: Option<String>,
    /// Starting temperature of a non-constant schedule.
    pub t_start: Option<f32>,
    /// Seed.
    pub seed: Option<u32>,
    /// Frames of a render.
    pub frames: Option<u64>,
    /// Steps between frames of a render.
    pub steps_per_frame: Option<u64>,
    /// Frames per second of a video.
    pub fps: Option<u32>,
    /// Colormap: viridis, magma, inferno, cividis or coolwarm.
    pub colormap: Option<String>,
    /// Colour range: `auto` (each frame's min..max), `symmetric`, or `[lo, hi]`.
    pub range: Option<RangeSpec>,
    /// Whether frames carry the energy/entropy overlay.
    pub overlay: Option<bool>,
    /// Pixels per lattice site in the video.
    pub scale: Option<u32>,
    /// A target image that guides a φ⁴ field (`λ/2 |x − target|²`).
    pub guidance: Option<GuidanceSpec>,
    /// The file the scene came from (relative paths inside it resolve against its folder).
    #[serde(skip)]
    pub source: Option<PathBuf>,
}

/// The `range` key of a scene.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(untagged)]
pub enum RangeSpec {
    /// `auto` or `symmetric`.
    Named(String),
    /// `[lo, hi]`.
    Fixed([f32; 2]),
}

/// The `guidance` key of a scene.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct GuidanceSpec {
    /// A PNG image (relative to the scene's folder).
    pub image: PathBuf,
    /// Strength λ of the guidance term.
    pub lambda: f32,
}

impl Scene {
    /// Parses scene YAML; `origin` names the file in errors.
    pub fn parse(text: &str, origin: &Path) -> Result<Self> {
        let err = |message: String| IdfError::Config {
            path: origin.to_path_buf(),
            message,
        };
        let scene: Scene = serde_yaml::from_str(text).map_err(|e| err(e.to_string()))?;
        if let Some(m) = &scene.model {
            if EnergyModel::spec_named(m).is_err() {
                return Err(err(format!(
                    "model: expected one of {}, got `{m}`",
                    EnergyModel::names()
                )));
            }
        }
        if let Some(i) = &scene.integrator {
            i.parse::<Method>().map_err(|_| {
                err(format!(
                    "integrator: expected one of {}, got `{i}`",
                    Method::names()
                ))
            })?;
        }
        if let Some(s) = &scene.schedule {
            s.parse::<ScheduleKind>().map_err(|_| {
                err(format!(
                    "schedule: expected constant, linear, geometric or cosine, got `{s}`"
                ))
            })?;
        }
        for (key, value) in &scene.params {
            if Self::param_text(value).is_none() {
                return Err(err(format!("params.{key}: expected a number or a string")));
            }
        }
        if let Some(c) = &scene.colormap {
            c.parse::<Colormap>().map_err(|_| {
                err(format!(
                    "colormap: expected viridis, magma, inferno, cividis or coolwarm, got `{c}`"
                ))
            })?;
        }
        scene.color_range().map_err(err)?;
        for (key, value) in [
            ("frames", scene.frames),
            ("steps_per_frame", scene.steps_per_frame),
        ] {
            if value == Some(0) {
                return Err(err(format!("{key}: expected at least 1")));
            }
        }
        if matches!(scene.fps, Some(0) | Some(241..)) {
            return Err(err("fps: expected 1 to 240".into()));
        }
        if matches!(scene.scale, Some(0) | Some(17..)) {
            return Err(err("scale: expected 1 to 16 pixels per site".into()));
        }
        if let Some(g) = &scene.guidance {
            if !g.lambda.is_finite() || g.lambda < 0.0 {
                return Err(err(format!(
                    "guidance.lambda: expected a number ≥ 0, got {}",
                    g.lambda
                )));
            }
        }
        let mut scene = scene;
        scene.source = Some(origin.to_path_buf());
        Ok(scene)
    }

    /// The colour range named by `range` (default: each frame's own range).
    pub fn color_range(&self) -> std::result::Result<ColorRange, String> {
        match &self.range {
            None => Ok(ColorRange::PerFrame),
            Some(RangeSpec::Named(n)) if n == "auto" => Ok(ColorRange::PerFrame),
            Some(RangeSpec::Named(n)) if n == "symmetric" => Ok(ColorRange::Symmetric),
            Some(RangeSpec::Named(n)) => Err(format!(
                "range: expected auto, symmetric or [lo, hi], got `{n}`"
            )),
            Some(RangeSpec::Fixed([lo, hi])) if lo.is_finite() && hi.is_finite() && lo < hi => {
                Ok(ColorRange::Fixed(*lo, *hi))
            }
            Some(RangeSpec::Fixed([lo, hi])) => Err(format!(
                "range: expected [lo, hi] with lo < hi, got [{lo}, {hi}]"
            )),
        }
    }

    /// A path named inside the scene, resolved against the scene file's folder.
    pub fn resolve(&self, path: &Path) -> PathBuf {
        match self.source.as_ref().and_then(|s| s.parent()) {
            Some(dir) if path.is_relative() => dir.join(path),
            _ => path.to_path_buf(),
        }
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

    fn param_text(value: &serde_yaml::Value) -> Option<String> {
        match value {
            serde_yaml::Value::Number(n) => Some(n.to_string()),
            serde_yaml::Value::String(s) => Some(s.clone()),
            _ => None,
        }
    }

    /// The scene's parameters as `key=value` pairs.
    pub fn param_pairs(&self) -> Vec<(String, String)> {
        self.params
            .iter()
            .filter_map(|(k, v)| Self::param_text(v).map(|t| (k.clone(), t)))
            .collect()
    }
}
