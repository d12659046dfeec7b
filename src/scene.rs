//! Scenes: a sampling job described in YAML (`assets/scenes/*.yaml`). Unknown keys and bad
//! values are errors naming the file and the key. `idf sample --scene FILE` runs one; flags
//! override its keys. The default scene is embedded in the binary.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use crate::core::diffusion_dynamics::{Method, ScheduleKind};
use crate::core::energy_field::EnergyModel;
use crate::error::{IdfError, Result};

/// The scene `idf sample` runs when given neither `--scene` nor `--model`.
pub const DEFAULT_SCENE: &str = include_str!("../assets/scenes/default.yaml");

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
            if !EnergyModel::NAMES.contains(&m.as_str()) {
                return Err(err(format!(
                    "model: expected one of {}, got `{m}`",
                    EnergyModel::NAMES.join(", ")
                )));
            }
        }
        if let Some(i) = &scene.integrator {
            i.parse::<Method>().map_err(|_| {
                err(format!(
                    "integrator: expected one of {}, got `{i}`",
                    Method::NAMES.join(", ")
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
