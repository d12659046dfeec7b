//! The records of a dataset a fit uses (`idf train --select NAME=VALUE`): those whose
//! conditions hold the values asked for. A fit takes samples of one temperature and of one value
//! of each model parameter the dataset records, so a dataset generated over a grid is fitted one
//! grid point (or one slice of it) at a time; a selection that still mixes them is refused,
//! naming the column and the values to choose from.

use serde::Serialize;

use crate::error::{IdfError, Result};
use crate::io::atlas::Atlas;

/// A condition held at one value: `NAME=VALUE`.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct ConditionValue {
    /// The condition column.
    pub name: String,
    /// The value its records hold (compared as the f32 the dataset stores).
    pub value: f32,
}

impl std::str::FromStr for ConditionValue {
    type Err = IdfError;

    /// `NAME=VALUE`.
    fn from_str(s: &str) -> Result<Self> {
        let bad = |why: &str| {
            IdfError::invalid(
                "select",
                format!("`{s}`: {why}; write NAME=VALUE (e.g. temperature=2.5)"),
            )
        };
        let (name, value) = s.split_once('=').ok_or_else(|| bad("no `=`"))?;
        let value = value
            .trim()
            .parse::<f32>()
            .ok()
            .filter(|v| v.is_finite())
            .ok_or_else(|| bad("the value is not a finite number"))?;
        Ok(ConditionValue {
            name: name.trim().to_string(),
            value,
        })
    }
}

impl std::fmt::Display for ConditionValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}={}", self.name, self.value)
    }
}

/// The records a fit uses, and their temperature.
#[derive(Clone, Debug, PartialEq)]
pub struct Selection {
    /// Indices of the records, ascending.
    pub indices: Vec<usize>,
    /// Their one temperature (the `temperature` column, 1 where there is none).
    pub temperature: f64,
}

/// The records of `atlas` whose conditions hold every value of `select`. Errors: a name that is
/// no condition column, no record matching, and a selection whose `temperature` or any of
/// `params` (the model's parameter names) still takes several values — each naming the column
/// and its values, to be chosen with `--select`.
pub fn select(atlas: &Atlas, select: &[ConditionValue], params: &[String]) -> Result<Selection> {
    let names = atlas.condition_names();
    let k = names.len();
    let column = |name: &str| names.iter().position(|n| n == name);
    let mut wanted = Vec::new();
    for c in select {
        let j = column(&c.name).ok_or_else(|| {
            IdfError::invalid(
                "select",
                format!(
                    "{} has no condition `{}` (its conditions: {})",
                    atlas.path().display(),
                    c.name,
                    names.join(", ")
                ),
            )
        })?;
        wanted.push((j, c.value));
    }
    let rows = atlas.conditions();
    let indices: Vec<usize> = (0..atlas.len())
        .filter(|&i| wanted.iter().all(|&(j, v)| rows[i * k + j] == v))
        .collect();
    let values_of = |j: usize, among: &[usize]| {
        let mut v: Vec<f32> = among.iter().map(|&i| rows[i * k + j]).collect();
        v.sort_by(f32::total_cmp);
        v.dedup();
        v
    };
    if indices.is_empty() {
        let held: Vec<String> = wanted
            .iter()
            .map(|&(j, _)| {
                let all: Vec<usize> = (0..atlas.len()).collect();
                format!("{} takes {:?}", names[j], values_of(j, &all))
            })
            .collect();
        return Err(IdfError::invalid(
            "select",
            format!(
                "no record of {} holds {}; {}",
                atlas.path().display(),
                select
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(" and "),
                held.join(", ")
            ),
        ));
    }
    let one_value = |name: &str| -> Result<Option<f32>> {
        let Some(j) = column(name) else {
            return Ok(None);
        };
        match values_of(j, &indices)[..] {
            [v] => Ok(Some(v)),
            ref several => Err(IdfError::Dataset {
                path: atlas.path().to_path_buf(),
                dataset: "conditions".into(),
                message: format!(
                    "the `{name}` column holds {several:?} among the records fitted: a fit takes \
                     samples of one {name}; choose one with --select {name}=VALUE"
                ),
            }),
        }
    };
    let temperature = match one_value("temperature")? {
        None => 1.0,
        Some(t) if t > 0.0 => t as f64,
        Some(t) => {
            return Err(IdfError::Dataset {
                path: atlas.path().to_path_buf(),
                dataset: "conditions".into(),
                message: format!("the `temperature` column holds {t}: it must be positive"),
            })
        }
    };
    for p in params {
        one_value(p)?;
    }
    Ok(Selection {
        indices,
        temperature,
    })
}
