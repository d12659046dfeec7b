//! Forecasting data from recorded trajectories: an Energy Atlas dataset with a `time` condition
//! (`idf dataset synth --model heat_flow` records one) is cut into pairs (x(t), x(t')) of the
//! same trajectory (records that agree on every other condition), t' the `lead`-th later time
//! recorded. A forecaster learns the increment x(t') − x(t) given x(t), the other conditions
//! but `trajectory` (an identifier, not physics) and the lead time t' − t ([`forecast_dataset`]);
//! [`evaluate_forecasts`] scores its ensembles against persistence (and a physics rollout)
//! by RMSE and CRPS on held-out pairs.

use std::collections::BTreeMap;

use serde::Serialize;

use std::path::{Path, PathBuf};

use crate::context::Context;
use crate::engine::energies::EnergyModel;
use crate::engine::estimates::mean_and_stderr;
use crate::engine::validation::{RunVerdict, ValidationConfig};
use crate::error::{IdfError, Result};
use crate::io::atlas::Atlas;
use crate::jobs::dataset::{heat_flow, HEAT_FLOW};
use crate::jobs::denoiser::checkpoint::{resolve_conditions, DenoiserCheckpoint, Task};
use crate::jobs::denoiser::forecast_laws::{
    forecast_law_verdicts, laws_kept_by_physics, ForecastLaws, LawTally,
};
use crate::neural::forecast::{crps_ensemble, predict_next_state, Forecast};
use crate::neural::{Denoiser, NeuralSampler, PointDataset, Sampling};

/// The condition that orders a trajectory's records.
pub const TIME: &str = "time";
/// The condition that names a trajectory; not passed to the network.
pub const TRAJECTORY: &str = "trajectory";
/// The last condition of a forecaster: the lead time t' − t.
pub const LEAD_TIME: &str = "lead_time";

/// Pairs of records of one trajectory, `lead` recorded times apart.
#[derive(Clone, Debug, PartialEq)]
pub struct ForecastPairs {
    /// (record at t, record at t'), indices into the dataset.
    pub pairs: Vec<(usize, usize)>,
    /// The forecaster's conditions after the map: the dataset's, less `time` and
    /// `trajectory`, then `lead_time`.
    pub condition_names: Vec<String>,
    /// Each pair's values of those conditions.
    pub conditions: Vec<f32>,
}

/// The pairs of `atlas`, `lead` recorded times apart. Errors (naming the file and dataset): no
/// `time` condition, `lead` zero, two records of one trajectory at one time, no pair at all.
pub fn forecast_pairs(atlas: &Atlas, lead: usize) -> Result<ForecastPairs> {
    let bad = |message: String| IdfError::Dataset {
        path: atlas.path().to_path_buf(),
        dataset: "conditions".into(),
        message,
    };
    let names = atlas.condition_names();
    let Some(time) = names.iter().position(|n| n == TIME) else {
        return Err(bad(format!(
            "no `{TIME}` condition ({}): a forecaster learns from trajectories, as \
             `idf dataset synth --model heat_flow --conditions 'time=0:2:5'` records them",
            names.join(", ")
        )));
    };
    if lead == 0 {
        return Err(IdfError::invalid(
            "lead",
            "expected at least 1 recorded time",
        ));
    }
    let k = names.len();
    let rows = atlas.conditions();
    // Records by trajectory: every condition but time, as bits (exact equality).
    let mut trajectories: BTreeMap<Vec<u32>, Vec<(f32, usize)>> = BTreeMap::new();
    for (i, row) in rows.chunks_exact(k).enumerate() {
        let key = row
            .iter()
            .enumerate()
            .filter(|(j, _)| *j != time)
            .map(|(_, v)| v.to_bits())
            .collect();
        trajectories.entry(key).or_default().push((row[time], i));
    }
    let kept: Vec<usize> = (0..k)
        .filter(|&j| j != time && names[j] != TRAJECTORY)
        .collect();
    let mut out = ForecastPairs {
        pairs: Vec::new(),
        condition_names: kept
            .iter()
            .map(|&j| names[j].clone())
            .chain([LEAD_TIME.to_string()])
            .collect(),
        conditions: Vec::new(),
    };
    for records in trajectories.values_mut() {
        records.sort_by(|a, b| a.0.total_cmp(&b.0));
        if let Some(w) = records.windows(2).find(|w| w[0].0 == w[1].0) {
            return Err(bad(format!(
                "records {} and {} agree on every condition, time included: one trajectory \
                 holds one record per time (heat_flow's `trajectory` column tells them apart)",
                w[0].1, w[1].1
            )));
        }
        for (&(t, i), &(t_next, j)) in records.iter().zip(records.iter().skip(lead)) {
            out.pairs.push((i, j));
            let row = &rows[i * k..(i + 1) * k];
            out.conditions.extend(kept.iter().map(|&c| row[c]));
            out.conditions.push(t_next - t);
        }
    }
    if out.pairs.is_empty() {
        return Err(bad(format!(
            "no trajectory has two records {lead} recorded time(s) apart"
        )));
    }
    Ok(out)
}

/// The forecaster's training data: each pair's increment x(t') − x(t) as the point, and the
/// map x(t) followed by the pair's conditions as its conditioning vector.
pub fn forecast_dataset(atlas: &Atlas, lead: usize) -> Result<(PointDataset, ForecastPairs)> {
    let pairs = forecast_pairs(atlas, lead)?;
    let [c, h, w] = atlas.map_shape();
    let d = c * h * w;
    let k = pairs.condition_names.len();
    let n = pairs.pairs.len();
    let mut samples = crate::memory::reserved(n.saturating_mul(d), "forecast increments")?;
    let mut conditions = crate::memory::reserved(n.saturating_mul(d + k), "forecast conditions")?;
    for (p, &(i, j)) in pairs.pairs.iter().enumerate() {
        let maps = atlas.read_maps(&[i, j])?;
        let (now, next) = maps.split_at(d);
        samples.extend(next.iter().zip(now).map(|(b, a)| b - a));
        conditions.extend_from_slice(now);
        conditions.extend_from_slice(&pairs.conditions[p * k..(p + 1) * k]);
    }
    Ok((
        PointDataset {
            samples,
            dim: d,
            conditions,
            condition_count: d + k,
        },
        pairs,
    ))
}

/// A physics rollout: (x(t), the pair's conditions after the map) → x(t').
pub type Rollout<'a> = &'a dyn Fn(&[f32], &[f32]) -> Result<Vec<f32>>;

/// The energy of the data's dynamics at a pair's conditions (after the map).
pub type DynamicsEnergy<'a> = &'a dyn Fn(&[f32]) -> Result<EnergyModel>;

/// The physics a forecast is scored against.
pub struct Physics<'a> {
    /// The rollout: (x(t), the pair's conditions after the map) → x(t′).
    pub rollout: Rollout<'a>,
    /// The energy of the data's dynamics at a pair's conditions, where known: each member
    /// forecast and the rollout are then checked against its laws ([`forecast_law_verdicts`],
    /// with the default `Validation` tolerances) on `ctx`.
    pub energy: Option<DynamicsEnergy<'a>>,
    /// Where the laws are checked.
    pub ctx: &'a Context,
}

/// Forecast skill over held-out pairs: means over pairs and sites.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ForecastSkill {
    /// Pairs scored.
    pub pairs: usize,
    /// Ensemble members per forecast.
    pub ensemble: usize,
    /// RMSE of the ensemble mean.
    pub rmse: f64,
    /// RMSE of persistence (x(t') forecast as x(t)).
    pub rmse_persistence: f64,
    /// CRPS of the ensemble (fair form), per site.
    pub crps: f64,
    /// CRPS of persistence (its absolute error), per site.
    pub crps_persistence: f64,
    /// RMSE of a physics rollout, where one was given.
    pub rmse_physics: Option<f64>,
    /// The mean difference of squared errors per site, model − persistence, and its standard
    /// error over pairs taken as independent (as they are with one pair per trajectory);
    /// negative favours the model.
    pub squared_error_difference: (f64, f64),
    /// The same for the CRPS per site.
    pub crps_difference: (f64, f64),
    /// The energy laws of the data's dynamics on the forecasts, where the physics gives its
    /// energy.
    pub energy_laws: Option<ForecastLaws>,
}

/// Scores `forecaster` on the pairs of `atlas` (`lead` recorded times apart) against
/// persistence and, where `physics` is given, against its rollout, and checks the forecasts
/// against the laws of its energy where it gives one: `ensemble` members per forecast by
/// `sampler`, seeded per pair. Errors: those of [`forecast_dataset`], [`predict_next_state`]
/// and [`forecast_law_verdicts`].
pub fn evaluate_forecasts(
    forecaster: &Denoiser,
    atlas: &Atlas,
    lead: usize,
    ensemble: usize,
    sampler: NeuralSampler,
    physics: Option<&Physics>,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<ForecastSkill> {
    let (data, pairs) = forecast_dataset(atlas, lead)?;
    let d = data.dim;
    let k = pairs.condition_names.len();
    let n = pairs.pairs.len();
    let (mut se, mut se_persistence, mut crps, mut crps_persistence) = (0.0, 0.0, 0.0, 0.0);
    let mut se_physics = 0.0;
    let mut differences = Vec::with_capacity(n);
    let mut crps_differences = Vec::with_capacity(n);
    let mut laws = LawTally::default();
    for p in 0..n {
        let row = &data.conditions[p * (d + k)..(p + 1) * (d + k)];
        let (now, conditions) = row.split_at(d);
        let increment = &data.samples[p * d..(p + 1) * d];
        let how = Sampling::new(sampler, p as u32);
        let forecast = predict_next_state(forecaster, now, conditions, ensemble, 1, &how)?;
        let (mut pair_se, mut pair_persistence) = (0.0, 0.0);
        let (mut pair_crps, mut pair_crps_persistence) = (0.0, 0.0);
        for s in 0..d {
            let truth = now[s] + increment[s];
            pair_se += (forecast.mean[s] as f64 - truth as f64).powi(2);
            pair_persistence += (increment[s] as f64).powi(2);
            let members: Vec<f32> = (0..ensemble).map(|m| forecast.members[m * d + s]).collect();
            pair_crps += crps_ensemble(&members, truth);
            pair_crps_persistence += (increment[s] as f64).abs();
        }
        if let Some(physics) = physics {
            let predicted = (physics.rollout)(now, conditions)?;
            if let Some(energy) = physics.energy {
                let verdict = forecast_law_verdicts(
                    physics.ctx,
                    &energy(conditions)?,
                    atlas.map_shape(),
                    now,
                    &forecast.members,
                    Some(&predicted),
                    &ValidationConfig::default(),
                )?;
                laws.add(p, verdict);
            }
            se_physics += predicted
                .iter()
                .zip(now.iter().zip(increment))
                .map(|(y, (a, b))| (*y as f64 - (a + b) as f64).powi(2))
                .sum::<f64>();
        }
        se += pair_se;
        se_persistence += pair_persistence;
        crps += pair_crps;
        crps_persistence += pair_crps_persistence;
        differences.push((pair_se - pair_persistence) / d as f64);
        progress(p as u64 + 1, n as u64);
        crps_differences.push((pair_crps - pair_crps_persistence) / d as f64);
    }
    let sites = (n * d) as f64;
    Ok(ForecastSkill {
        pairs: n,
        ensemble,
        rmse: (se / sites).sqrt(),
        rmse_persistence: (se_persistence / sites).sqrt(),
        crps: crps / sites,
        crps_persistence: crps_persistence / sites,
        rmse_physics: physics.map(|_| (se_physics / sites).sqrt()),
        squared_error_difference: mean_and_stderr(&differences),
        crps_difference: mean_and_stderr(&crps_differences),
        energy_laws: physics.and_then(|p| p.energy).map(|_| laws.finish()),
    })
}

/// A forecaster checkpoint, loaded to predict: what `POST /predict` of `idf serve --checkpoint`
/// runs.
#[derive(Debug)]
pub struct Forecaster {
    /// The checkpoint it came from.
    pub path: PathBuf,
    /// The network.
    pub denoiser: Denoiser,
    /// Its maps' shape [C, H, W].
    pub map_shape: [usize; 3],
    /// The conditions after the map, in order.
    pub condition_names: Vec<String>,
    /// Their ranges in the training data.
    pub condition_range: Vec<[f32; 2]>,
    /// Recorded times per lead.
    pub lead: usize,
    /// The model whose dynamics recorded the training trajectories (the dataset's provenance,
    /// as `idf dataset synth --model` names it), where known: [`Forecaster::law_verdict`]
    /// checks its laws.
    pub dynamics: Option<String>,
}

impl Forecaster {
    /// Loads a forecaster checkpoint. Errors (naming the file): not a denoiser checkpoint, a
    /// denoiser that is not a forecaster.
    pub fn load(path: &Path) -> Result<Forecaster> {
        Self::from_checkpoint(path, DenoiserCheckpoint::read(path)?)
    }

    /// The forecaster a checkpoint read from `path` holds. Errors: as [`Forecaster::load`].
    pub fn from_checkpoint(path: &Path, checkpoint: DenoiserCheckpoint) -> Result<Forecaster> {
        let Task::Forecast { lead } = checkpoint.task else {
            return Err(IdfError::Config {
                path: path.to_path_buf(),
                message: "a denoiser of maps, not a forecaster (`idf train --forecast` makes \
                          one); `idf sample --checkpoint` samples it"
                    .into(),
            });
        };
        Ok(Forecaster {
            path: path.to_path_buf(),
            denoiser: checkpoint.state.denoiser()?,
            map_shape: checkpoint.map_shape,
            condition_names: checkpoint.condition_names,
            condition_range: checkpoint.condition_range,
            lead,
            dynamics: checkpoint.data_model,
        })
    }

    /// The conditions in order from `given` (name, value): each that varied in the training
    /// data needs a value, one that never varied (up to rounding) defaults to its value
    /// ([`resolve_conditions`]). Errors name an unknown
    /// or missing condition.
    pub fn conditions(&self, given: &[(String, f32)]) -> Result<Vec<f32>> {
        resolve_conditions(
            &self.condition_names,
            &self.condition_range,
            given,
            "conditions",
        )
    }

    /// The network evaluations per ensemble member and lead of `sampler`, times the network's
    /// parameters: the work of one forecast member-lead, for limits.
    pub fn cost(&self, sampler: NeuralSampler) -> u64 {
        let evaluations = match sampler {
            NeuralSampler::Ddpm => self.denoiser.schedule().timesteps(),
            NeuralSampler::Ddim { steps } => steps,
        };
        (evaluations as u64).saturating_mul(self.denoiser.parameters() as u64)
    }

    /// The ensemble forecast `leads` leads after `current` (C·H·W values) at `conditions` (in
    /// order, as [`Forecaster::conditions`] gives them), drawn as `how` says. Errors: those of
    /// [`predict_next_state`].
    pub fn predict(
        &self,
        current: &[f32],
        conditions: &[f32],
        ensemble: usize,
        leads: usize,
        how: &Sampling,
    ) -> Result<Forecast> {
        predict_next_state(&self.denoiser, current, conditions, ensemble, leads, how)
    }

    /// Whether [`Forecaster::law_verdict`] checks laws: data of heat flow, single-channel maps.
    fn knows_its_laws(&self) -> bool {
        self.dynamics.as_deref() == Some(HEAT_FLOW) && self.map_shape[0] == 1
    }

    /// The work of the heat equation's rollout that [`Forecaster::law_verdict`] runs for
    /// `leads` leads at `conditions` (in order): sites × steps × the energy's cost per site, as
    /// the server's work limit counts it; 0 where no law is checked. Errors (naming
    /// `conditions`): a lead time or diffusivity the heat equation cannot take.
    pub fn law_work(&self, conditions: &[f32], leads: usize) -> Result<u64> {
        if !self.knows_its_laws() {
            return Ok(0);
        }
        let (kappa, lead_time) = self.heat_flow_terms(conditions);
        let time = lead_time * leads as f32;
        let bad = |why: String| IdfError::invalid("conditions", why);
        if !(time.is_finite() && time >= 0.0) {
            return Err(bad(format!(
                "lead_time {lead_time} over {leads} lead(s) is not a time ≥ 0 the heat \
                 equation's rollout can run to"
            )));
        }
        let model = heat_flow::energy_model(kappa).map_err(|e| bad(format!("kappa: {e}")))?;
        let [_, h, w] = self.map_shape;
        Ok(heat_flow::steps_to(time, kappa)
            .0
            .saturating_mul((h * w) as u64)
            .saturating_mul(model.cost_per_site()))
    }

    /// The laws of the data's dynamics on `forecast`, made `leads` leads after `current` at
    /// `conditions` (in order, as [`Forecaster::conditions`] gives them), checked on `ctx`:
    /// each member's pair (`current`, its forecast) against the laws of `idf validate` for
    /// heat flow (energy descent, mass conservation, the second law; at `tolerances`), less
    /// those the heat equation's own rollout over the same time breaks on this map
    /// ([`laws_kept_by_physics`]). One verdict per member. `None` unless the data are heat flow
    /// of single-channel maps: IDF knows the laws of no other data's dynamics. Errors: those of
    /// [`heat_flow::evolve`] and [`forecast_law_verdicts`].
    pub fn law_verdict(
        &self,
        ctx: &Context,
        current: &[f32],
        conditions: &[f32],
        forecast: &Forecast,
        leads: usize,
        tolerances: &ValidationConfig,
    ) -> Result<Option<RunVerdict>> {
        if !self.knows_its_laws() {
            return Ok(None);
        }
        let (kappa, lead_time) = self.heat_flow_terms(conditions);
        let rollout = self.heat_flow_rollout(ctx, current, kappa, lead_time * leads as f32)?;
        let verdict = forecast_law_verdicts(
            ctx,
            &heat_flow::energy_model(kappa)?,
            self.map_shape,
            current,
            &forecast.members,
            Some(&rollout),
            tolerances,
        )?;
        Ok(Some(laws_kept_by_physics(verdict)))
    }

    /// The diffusivity (1 unless a condition) and the lead time of heat-flow `conditions`.
    fn heat_flow_terms(&self, conditions: &[f32]) -> (f32, f32) {
        let position = |name: &str| self.condition_names.iter().position(|n| n == name);
        let kappa = position("kappa").map_or(1.0, |i| conditions[i]);
        let lead_time = conditions[position(LEAD_TIME).expect("a forecaster's last condition")];
        (kappa, lead_time)
    }

    /// `current` evolved by the heat equation at `kappa` for `time`, by the datasets' scheme.
    fn heat_flow_rollout(
        &self,
        ctx: &Context,
        current: &[f32],
        kappa: f32,
        time: f32,
    ) -> Result<Vec<f32>> {
        let [_, h, w] = self.map_shape;
        heat_flow::evolve(ctx, current, [h, w], time, kappa)
    }
}

/// Scores `forecaster` on the trajectories of `atlas` (its lead; `ensemble` members by DDIM
/// over 50 steps), with the heat equation's rollout as the physics reference when `atlas` is a
/// heat-flow dataset of single-channel maps, and its laws (energy descent, mass conservation)
/// checked on the forecasts; `progress(done, total)` per pair.
pub fn evaluate_checkpoint(
    ctx: &Context,
    forecaster: &Forecaster,
    atlas: &Atlas,
    ensemble: usize,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<ForecastSkill> {
    let of_heat_flow = atlas.provenance().get("model").map(String::as_str) == Some(HEAT_FLOW);
    let rollout = |now: &[f32], conditions: &[f32]| -> Result<Vec<f32>> {
        let (kappa, lead_time) = forecaster.heat_flow_terms(conditions);
        forecaster.heat_flow_rollout(ctx, now, kappa, lead_time)
    };
    let energy =
        |conditions: &[f32]| heat_flow::energy_model(forecaster.heat_flow_terms(conditions).0);
    let physics = Physics {
        rollout: &rollout,
        energy: Some(&energy),
        ctx,
    };
    evaluate_forecasts(
        &forecaster.denoiser,
        atlas,
        forecaster.lead,
        ensemble,
        NeuralSampler::Ddim { steps: 50 },
        (of_heat_flow && forecaster.map_shape[0] == 1).then_some(&physics),
        progress,
    )
}
