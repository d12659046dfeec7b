//! The values of a scene's structured keys: parameters (numbers or text), the colour range, the
//! guidance image and the resume block, and the start point a resumed run continues from.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// A parameter's value in a scene: a number, or text (lists).
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(untagged)]
pub enum SceneParam {
    /// A number.
    Number(f64),
    /// Text, such as `0.3,0.7`.
    Text(String),
}

impl SceneParam {
    /// The value as the engine parses it.
    pub fn text(&self) -> String {
        match self {
            SceneParam::Number(n) => n.to_string(),
            SceneParam::Text(t) => t.clone(),
        }
    }
}

/// The `range` key of a scene.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(untagged)]
pub enum RangeSpec {
    /// `auto` or `symmetric`.
    Named(String),
    /// `[lo, hi]`.
    Fixed([f32; 2]),
}

/// The `guidance` key of a scene.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct GuidanceSpec {
    /// A PNG image (relative to the scene's folder).
    #[cfg_attr(feature = "server", schema(value_type = String))]
    pub image: PathBuf,
    /// Strength λ of the guidance term.
    pub lambda: f32,
}

/// The `resume` key of a scene: the state a saved run continues from. The random numbers are
/// counter-based, so a run resumed at its step draws the noise the unbroken run would have: it
/// continues exactly.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ResumeSpec {
    /// The field at the save, `.npy` or `.h5` (relative to the scene's folder): one chain,
    /// which every chain starts from, or one per chain.
    pub field: PathBuf,
    /// Steps the run had taken: its random stream continues from here.
    pub step: u64,
    /// Its position in the temperature schedule, in steps (default `step`; less when the
    /// dynamics changed during the run and the schedule started again).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule_step: Option<u64>,
}

impl ResumeSpec {
    /// The step and schedule position it names.
    pub fn start_point(&self) -> StartPoint {
        StartPoint {
            step: self.step,
            schedule_step: self.schedule_step.unwrap_or(self.step),
        }
    }
}

/// Where a resumed run continues: the step that keys its random numbers and its position in
/// the temperature schedule.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StartPoint {
    /// Steps taken before the run: the random stream continues from here.
    pub step: u64,
    /// The position in the temperature schedule.
    pub schedule_step: u64,
}
