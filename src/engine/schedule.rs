//! Temperature schedules: the temperature over the steps of a run, constant or falling from a
//! hot start to the target along a linear, geometric or cosine shape.

use std::f64::consts::FRAC_PI_2;
use std::str::FromStr;

use crate::error::{IdfError, Result};

/// The shape of a temperature schedule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScheduleKind {
    /// `T` throughout.
    Constant,
    /// Linear from the start to the end temperature.
    Linear,
    /// Geometric (exponential) from the start to the end temperature.
    Geometric,
    /// Along the cosine noise schedule: `T = T_end + (T_start − T_end)(1 − ᾱ)`, the annealed
    /// Langevin reverse process.
    Cosine,
}

impl FromStr for ScheduleKind {
    type Err = IdfError;
    fn from_str(s: &str) -> Result<Self> {
        ScheduleKind::ALL
            .into_iter()
            .find(|k| k.name() == s)
            .ok_or_else(|| {
                IdfError::invalid(
                    "schedule",
                    format!("`{s}` is not one of {}", ScheduleKind::names()),
                )
            })
    }
}

impl ScheduleKind {
    /// Every shape.
    pub const ALL: [ScheduleKind; 4] = [
        ScheduleKind::Constant,
        ScheduleKind::Linear,
        ScheduleKind::Geometric,
        ScheduleKind::Cosine,
    ];

    /// Every shape's name, comma-separated, for help texts and errors.
    pub fn names() -> String {
        ScheduleKind::ALL.map(ScheduleKind::name).join(", ")
    }

    /// The schedule's name.
    pub fn name(self) -> &'static str {
        match self {
            ScheduleKind::Constant => "constant",
            ScheduleKind::Linear => "linear",
            ScheduleKind::Geometric => "geometric",
            ScheduleKind::Cosine => "cosine",
        }
    }
}

/// The cosine schedule's signal fraction at continuous time `tau ∈ [0, 1]`
/// (Nichol & Dhariwal 2021, offset s = 0.008).
pub fn cosine_alpha_bar(tau: f64) -> f64 {
    const S: f64 = 0.008;
    let f = |t: f64| ((t + S) / (1.0 + S) * FRAC_PI_2).cos().powi(2);
    f(tau) / f(0.0)
}

/// Temperature over the steps of a run.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TemperatureSchedule {
    /// The shape.
    pub kind: ScheduleKind,
    /// The temperature at the first step (hot, for annealing).
    pub start: f32,
    /// The temperature at the last step (the target).
    pub end: f32,
}

impl TemperatureSchedule {
    /// A constant temperature.
    pub fn constant(t: f32) -> Self {
        TemperatureSchedule {
            kind: ScheduleKind::Constant,
            start: t,
            end: t,
        }
    }

    /// A checked schedule: finite, non-negative temperatures; positive for a geometric one.
    pub fn new(kind: ScheduleKind, start: f32, end: f32) -> Result<Self> {
        for (name, t) in [("t_start", start), ("temperature", end)] {
            if !t.is_finite() || t < 0.0 {
                return Err(IdfError::invalid(
                    name,
                    format!("{t} is not a finite, non-negative temperature"),
                ));
            }
        }
        if kind == ScheduleKind::Geometric && (start <= 0.0 || end <= 0.0) {
            return Err(IdfError::invalid(
                "schedule",
                "a geometric schedule needs positive start and end temperatures",
            ));
        }
        Ok(TemperatureSchedule { kind, start, end })
    }

    /// The temperature at step `i` of `n`; past the last step it holds the end temperature.
    pub fn at(&self, i: u64, n: u64) -> f32 {
        let s = if n > 1 {
            (i as f64 / (n - 1) as f64).min(1.0)
        } else {
            1.0
        };
        let (a, b) = (self.start as f64, self.end as f64);
        let t = match self.kind {
            ScheduleKind::Constant => b,
            ScheduleKind::Linear => a + (b - a) * s,
            ScheduleKind::Geometric => a * (b / a).powf(s),
            ScheduleKind::Cosine => b + (a - b) * (1.0 - cosine_alpha_bar(1.0 - s)),
        };
        t as f32
    }
}
