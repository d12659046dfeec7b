//! Fitting an energy's parameters to an Energy Atlas dataset by maximum likelihood
//! ([`train_diffusion`], `idf train`).
//!
//! For p_θ(x) ∝ exp(−E_θ(x)/T), the gradient of the mean negative log-likelihood of the data is
//! (⟨∂E/∂θ⟩_data − ⟨∂E/∂θ⟩_θ)/T. The first term comes from a minibatch; the second from
//! persistent chains that keep sampling the current model between updates (persistent
//! contrastive divergence, Tieleman 2008, "Training restricted Boltzmann machines using
//! approximations to the likelihood gradient", ICML), advanced on the backend by an exact
//! sampler (Metropolis for spins, MALA otherwise). Adam (Kingma & Ba 2015) takes the steps; the
//! estimate is the Polyak average of the parameters over the second half of the updates. Its
//! standard errors are the asymptotic ones of a maximum-likelihood estimate from N independent
//! samples: Cov θ̂ = I(θ)⁻¹/N with the Fisher information I = Cov_θ(∂E/∂θ)/T², estimated on the
//! persistent chains over the same updates. Both are formed at the end from what every update
//! kept (its parameters and its chains' moments), so a fit resumed with a later end averages
//! exactly what an uninterrupted one does.
//!
//! For Ising, [`ising_pseudo_likelihood`] gives an independent estimate (Besag 1975), with
//! sandwich standard errors.

use std::path::PathBuf;

use serde::Serialize;

use crate::context::Context;
use crate::engine::energies::{EnergyModel, StateKind};
use crate::engine::estimates::estimate;
use crate::engine::field::{Field, Shape};
use crate::engine::simulation::Simulation;
use crate::engine::step_rule::RunConfig;
use crate::error::{IdfError, Result};
use crate::io::atlas::{Atlas, Minibatches};
use crate::jobs::config::Config;
use crate::jobs::render::curves::{chart, Series};
use crate::jobs::render::frame::RgbFrame;
use crate::jobs::scene::Scene;

mod fisher;
mod pseudo_likelihood;
mod selection;
mod theta_differences;

use fisher::{fisher_stderr, moments};
pub use pseudo_likelihood::ising_pseudo_likelihood;
pub use selection::{select, ConditionValue, Selection};
use theta_differences::{check_smooth_in_theta, param_differences};

/// How to fit: the model with its starting parameters, which of them stay fixed, and the
/// optimiser's settings.
#[derive(Clone, Debug)]
pub struct TrainSpec {
    /// The energy; its parameters are the starting point.
    pub model: EnergyModel,
    /// Parameters held at their starting values (constraints).
    pub fixed: Vec<String>,
    /// Intervals parameters are kept in (constraints): an update past an end stops at it
    /// (projected Adam).
    pub bounds: Vec<ParamBound>,
    /// The records fitted: those whose conditions hold these values (all records when empty;
    /// see [`select`]).
    pub select: Vec<ConditionValue>,
    /// Updates.
    pub steps: u64,
    /// Data samples per update.
    pub batch_size: usize,
    /// Persistent chains.
    pub chains: usize,
    /// Sampler steps of the persistent chains between updates.
    pub sampler_steps: u64,
    /// Adam's step size (`Diffusion.learningRate` by default).
    pub learning_rate: f64,
    /// Seed of the minibatch order and of the chains.
    pub seed: u32,
}

/// An interval a parameter is kept in during a fit.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct ParamBound {
    /// The parameter.
    pub name: String,
    /// The lower end (may be −∞).
    pub min: f64,
    /// The upper end (may be +∞).
    pub max: f64,
}

impl std::str::FromStr for ParamBound {
    type Err = IdfError;

    /// `NAME=MIN:MAX`, either end empty for none (`b=0:`).
    fn from_str(s: &str) -> Result<Self> {
        let bad = |why: String| {
            IdfError::invalid(
                "bound",
                format!("`{s}`: {why}; write NAME=MIN:MAX (an empty end is unbounded)"),
            )
        };
        let (name, range) = s.split_once('=').ok_or_else(|| bad("no `=`".into()))?;
        let (lo, hi) = range
            .split_once(':')
            .ok_or_else(|| bad("no `:` between MIN and MAX".into()))?;
        let end = |t: &str, none: f64| -> Result<f64> {
            match t.trim() {
                "" => Ok(none),
                v => v
                    .parse::<f64>()
                    .ok()
                    .filter(|x| !x.is_nan())
                    .ok_or_else(|| bad(format!("`{v}` is not a number"))),
            }
        };
        let (min, max) = (end(lo, f64::NEG_INFINITY)?, end(hi, f64::INFINITY)?);
        if min >= max {
            return Err(bad(format!("MIN {min} is not below MAX {max}")));
        }
        Ok(ParamBound {
            name: name.trim().to_string(),
            min,
            max,
        })
    }
}

impl std::fmt::Display for ParamBound {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let end = |v: f64| {
            if v.is_finite() {
                v.to_string()
            } else {
                String::new()
            }
        };
        write!(f, "{}={}:{}", self.name, end(self.min), end(self.max))
    }
}

/// A fitted parameter.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct FittedParam {
    /// Its name.
    pub name: String,
    /// The estimate.
    pub mean: f64,
    /// Its standard error (0 for a fixed parameter): `stderr_data` and `stderr_optimizer` in
    /// quadrature.
    pub stderr: f64,
    /// The error of the maximum-likelihood estimate from the data's finite size (Fisher).
    pub stderr_data: f64,
    /// The Monte Carlo error of the Polyak average over the updates that fluctuate around the
    /// maximum (batch means accounting for their autocorrelation).
    pub stderr_optimizer: f64,
    /// Whether it was held fixed.
    pub fixed: bool,
}

/// One update of the fit.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct TrainRecord {
    /// The update's index.
    pub step: u64,
    /// ⟨E⟩_data/T − ⟨E⟩_θ/T per site, whose gradient in θ the update follows (the contrastive
    /// divergence objective; it tends to 0 as the model matches the data).
    pub loss: f64,
    /// The parameters after the update, in [`EnergyModel::params`] order.
    pub params: Vec<f64>,
}

/// What [`train_diffusion`] gives back.
#[derive(Clone, Debug, Serialize)]
pub struct TrainReport {
    /// The fitted parameters, in [`EnergyModel::params`] order.
    pub params: Vec<FittedParam>,
    /// What makes the estimate doubtful: too few updates for their autocorrelation, a
    /// parameter at an end of its bound.
    pub warnings: Vec<String>,
    /// Every update.
    pub curve: Vec<TrainRecord>,
    /// The last update's loss.
    pub loss: f64,
    /// Updates taken.
    pub steps: u64,
    /// Data samples fitted (those selected).
    pub samples: usize,
    /// The data's temperature.
    pub temperature: f64,
    /// Wall time in milliseconds.
    pub wall_ms: f64,
    /// `cpu` or `gpu`.
    pub backend: String,
}

impl TrainReport {
    /// The curves as a picture: the loss, then each parameter over the updates with its estimate
    /// ± standard error, the start of the averaging window marked (PNG with
    /// [`crate::jobs::render::encode::write_png`]).
    pub fn chart(&self) -> RgbFrame {
        let loss = Series {
            title: "loss (contrastive divergence per site)".into(),
            values: self.curve.iter().map(|r| r.loss).collect(),
            estimate: None,
        };
        let params = self.params.iter().enumerate().map(|(j, p)| Series {
            title: if p.fixed {
                format!("{} (fixed)", p.name)
            } else {
                p.name.clone()
            },
            values: self.curve.iter().map(|r| r.params[j]).collect(),
            estimate: (!p.fixed).then_some((p.mean, p.stderr)),
        });
        let series: Vec<Series> = std::iter::once(loss).chain(params).collect();
        chart(&series, (self.steps / 2) as usize)
    }
}

/// A fit in progress, as a checkpoint holds it.
#[derive(Clone, Debug)]
pub struct TrainState {
    /// The fit's settings (its model carries the current parameters).
    pub spec: TrainSpec,
    /// The configuration it runs under (`idf.yaml`, resolved); a resumed fit keeps it.
    pub config: Config,
    /// The dataset it fits.
    pub data: PathBuf,
    /// Samples in the whole dataset (checked on resume).
    pub samples: usize,
    /// The current parameters, in [`EnergyModel::params`] order.
    pub theta: Vec<f64>,
    /// Adam's first moments.
    pub adam_m: Vec<f64>,
    /// Adam's second moments.
    pub adam_v: Vec<f64>,
    /// The index of the next update.
    pub next_step: u64,
    /// Per update, the moments of ∂E/∂θ over the persistent chains: the count, the k sums and
    /// the k² sums of products (for the Fisher information).
    pub moments: Vec<Vec<f64>>,
    /// The updates so far.
    pub curve: Vec<TrainRecord>,
    /// The persistent chains.
    pub chains: Field,
    /// The chains' step counter (it keys their random numbers).
    pub sampler_step: u64,
    /// The minibatch cursor (epoch, position).
    pub cursor: (u64, usize),
}

impl TrainState {
    /// The updates the estimate averages: the second half of `spec.steps` (those taken so far).
    pub fn averaged_window(&self) -> std::ops::Range<usize> {
        let end = self.curve.len();
        (self.spec.steps / 2).min(end as u64) as usize..end
    }

    /// The estimate so far: the parameters averaged over [`averaged_window`](Self::averaged_window),
    /// or the current ones when it is empty.
    pub fn fitted(&self) -> Vec<f64> {
        let window = &self.curve[self.averaged_window()];
        if window.is_empty() {
            return self.theta.clone();
        }
        (0..self.theta.len())
            .map(|j| window.iter().map(|r| r.params[j]).sum::<f64>() / window.len() as f64)
            .collect()
    }

    /// The model with the estimate's parameters.
    pub fn fitted_model(&self) -> Result<EnergyModel> {
        let mut model = self.spec.model.clone();
        let names: Vec<String> = model.params().into_iter().map(|p| p.name).collect();
        for (name, value) in names.iter().zip(self.fitted()) {
            model.set_value(name, value as f32)?;
        }
        Ok(model)
    }
}

/// Refuses maps that are not spins (±1) for a spin model, naming the sample and its value.
pub(super) fn check_spins(
    atlas: &Atlas,
    indices: &[usize],
    maps: &[f32],
    model: &str,
) -> Result<()> {
    let per = maps.len() / indices.len().max(1);
    match maps.iter().position(|v| v.abs() != 1.0) {
        None => Ok(()),
        Some(at) => Err(IdfError::Dataset {
            path: atlas.path().to_path_buf(),
            dataset: "maps".into(),
            message: format!(
                "sample {} holds {}, not a spin: {model} fits maps of ±1 only",
                indices[at / per],
                maps[at]
            ),
        }),
    }
}

/// Mean over chains of each parameter's ∂E/∂θ, divided by `t`.
pub(super) fn mean_gradient(rows: &[Vec<f64>], t: f64) -> Vec<f64> {
    let n = rows.len().max(1) as f64;
    let k = rows.first().map_or(0, Vec::len);
    (0..k)
        .map(|j| rows.iter().map(|r| r[j]).sum::<f64>() / (n * t))
        .collect()
}

/// Fits `spec.model`'s free parameters to `atlas` by persistent contrastive divergence on
/// `ctx`'s backend, reporting each update to `progress` (see [`Progress`]). Errors: an energy that
/// cannot be fitted, a parameter in `fixed` it does not have, maps of another shape than its
/// fields, records (after `spec.select`) of several temperatures or parameter values, and
/// whatever a run meets. An update that would make
/// the energy unbounded below (φ⁴'s b < 0) is not taken.
pub fn train_diffusion(
    ctx: &Context,
    config: &Config,
    atlas: &Atlas,
    spec: &TrainSpec,
    progress: &mut Progress,
) -> Result<TrainReport> {
    let mut none = Checkpoints::none();
    train_resumable(ctx, config, atlas, spec, None, &mut none, progress).map(|(r, _)| r)
}

/// What a fit reports as it goes: `(updates done, updates in all, the last update)` (no update
/// yet at the start of a fresh fit).
pub type Progress<'a> = dyn FnMut(u64, u64, Option<&TrainRecord>) + 'a;

/// Where and how often a fit saves its state.
pub struct Checkpoints<'a> {
    /// Updates between saves (0: none but the last).
    pub every: u64,
    /// Saves a state (`TrainState::write`, or anything else); `None`: no saving.
    pub save: Option<&'a mut SaveState<'a>>,
}

/// What saves a fit's state.
pub type SaveState<'a> = dyn FnMut(&TrainState) -> Result<()> + 'a;

impl Checkpoints<'_> {
    /// No saving.
    pub fn none() -> Checkpoints<'static> {
        Checkpoints {
            every: 0,
            save: None,
        }
    }
}

/// [`train_diffusion`] that can start from a saved `resume` state (its own `spec` and `config`
/// then give the settings, with `spec.steps` as the new end) and saves its state every
/// `checkpoints.every` updates and at the end. A resumed fit takes the updates an uninterrupted
/// one takes, bit for bit on the CPU. Also returns the final state.
pub fn train_resumable(
    ctx: &Context,
    config: &Config,
    atlas: &Atlas,
    spec: &TrainSpec,
    resume: Option<TrainState>,
    checkpoints: &mut Checkpoints,
    progress: &mut Progress,
) -> Result<(TrainReport, TrainState)> {
    let started = std::time::Instant::now();
    // A resumed fit keeps the settings it was saved with; only its end may move.
    let spec = &match &resume {
        Some(state) => TrainSpec {
            steps: spec.steps,
            ..state.spec.clone()
        },
        None => spec.clone(),
    };
    let config = &match &resume {
        Some(state) => state.config.clone(),
        None => config.clone(),
    };
    let names: Vec<String> = spec.model.params().into_iter().map(|p| p.name).collect();
    for f in &spec.fixed {
        if !names.contains(f) {
            return Err(IdfError::invalid(
                "fixed",
                format!(
                    "{} has no parameter `{f}` ({})",
                    spec.model.name(),
                    names.join(", ")
                ),
            ));
        }
    }
    let start: Vec<f64> = spec.model.params().iter().map(|p| p.value as f64).collect();
    for b in &spec.bounds {
        let Some(j) = names.iter().position(|n| *n == b.name) else {
            return Err(IdfError::invalid(
                "bound",
                format!(
                    "{} has no parameter `{}` ({})",
                    spec.model.name(),
                    b.name,
                    names.join(", ")
                ),
            ));
        };
        if !(b.min <= start[j] && start[j] <= b.max) {
            return Err(IdfError::invalid(
                "bound",
                format!(
                    "the starting value of {} ({}) is outside its bound [{}, {}]; start inside it \
                     (--param {}=VALUE)",
                    b.name, start[j], b.min, b.max, b.name
                ),
            ));
        }
    }
    for (name, value) in [
        ("steps", spec.steps as usize),
        ("batch_size", spec.batch_size),
        ("chains", spec.chains),
    ] {
        if value == 0 {
            return Err(IdfError::invalid(name, "must be at least 1"));
        }
    }
    if !(spec.learning_rate.is_finite() && spec.learning_rate > 0.0) {
        return Err(IdfError::invalid(
            "learning_rate",
            format!("{} is not a positive step", spec.learning_rate),
        ));
    }
    let free: Vec<bool> = names.iter().map(|n| !spec.fixed.contains(n)).collect();
    let selection = select(atlas, &spec.select, &names)?;
    let t = selection.temperature;
    let [c, h, w] = atlas.map_shape();
    let chain_shape = Shape::new(spec.chains, c, h, w)?;
    spec.model.check_shape(chain_shape)?;
    let model_name = spec.model.name();
    // A user's WGSL energy has no parameter gradient in code: it is taken by central
    // differences of the energy in θ on the backend.
    let by_differences = matches!(spec.model, EnergyModel::Custom(_));
    let not_fittable = || {
        IdfError::invalid(
            "model",
            format!("{model_name} has no parameter gradient: it cannot be fitted yet"),
        )
    };
    if !by_differences
        && spec
            .model
            .param_gradient(&Field::zeros(Shape::new(1, c, h, w)?)?)
            .is_none()
    {
        return Err(not_fittable());
    }
    // The sampler of the persistent chains: the scene's defaults for this model, with an exact
    // integrator.
    let method = if spec.model.module().local_moves {
        "metropolis"
    } else {
        "mala"
    };
    let scene = Scene {
        energy: Some(spec.model.clone()),
        size: Some([h, w]),
        chains: Some(spec.chains),
        integrator: Some(method.to_string()),
        temperature: Some(t as f32),
        burn_in: Some(0),
        steps: Some(1),
        seed: Some(spec.seed),
        ..Scene::default()
    };
    let job = scene.resolve(config)?;
    let run: RunConfig = job.run.clone();
    let k = names.len();
    let mut state = match resume {
        Some(state) => {
            if state.samples != atlas.len() || state.chains.shape() != chain_shape {
                return Err(IdfError::invalid(
                    "resume",
                    format!(
                        "the checkpoint fits {} samples with chains of shape {:?}; this dataset \
                         has {} samples of maps {:?}",
                        state.samples,
                        state.chains.shape().dims(),
                        atlas.len(),
                        [c, h, w]
                    ),
                ));
            }
            state
        }
        None => TrainState {
            spec: spec.clone(),
            config: config.clone(),
            data: atlas.path().to_path_buf(),
            samples: atlas.len(),
            theta: spec.model.params().iter().map(|p| p.value as f64).collect(),
            adam_m: vec![0.0; k],
            adam_v: vec![0.0; k],
            next_step: 0,
            moments: Vec::new(),
            curve: Vec::new(),
            chains: job.initial_field()?,
            sampler_step: 0,
            cursor: (0, 0),
        },
    };
    state.spec.steps = spec.steps;
    let mut model = state.spec.model.clone();
    let mut sim = Simulation::new(ctx, &model, &state.chains, spec.seed)?;
    sim.seek(state.sampler_step);
    let fitted_samples = selection.indices.len();
    let mut stream = Minibatches::over(atlas, selection.indices, spec.batch_size, spec.seed)?;
    stream.seek(state.cursor)?;
    let (beta1, beta2, eps) = (0.9f64, 0.999f64, 1e-8f64);
    let sites = (c * h * w) as f64;
    progress(state.next_step, spec.steps, state.curve.last());
    // Declared ranges a parameter must stay in (a user's WGSL refuses values outside them).
    let strict: Vec<Option<(f64, f64)>> = spec
        .model
        .params()
        .iter()
        .map(|p| p.strict.then_some((p.range.0 as f64, p.range.1 as f64)))
        .collect();
    let mut probe: Option<Simulation> = None;
    let spins = spec.model.state() == StateKind::Spins;
    for step in state.next_step..spec.steps {
        let batch = stream.next_batch()?;
        if spins {
            check_spins(atlas, &batch.indices, &batch.maps, model_name)?;
        }
        let data = Field::from_vec(Shape::new(spec.batch_size, c, h, w)?, batch.maps)?;
        let data_rows = if by_differences {
            let probe = match &mut probe {
                Some(p) => {
                    p.set_field(&data)?;
                    p.set_model(ctx, &model)?;
                    p
                }
                None => probe.insert(Simulation::new(ctx, &model, &data, spec.seed)?),
            };
            if step == state.next_step {
                check_smooth_in_theta(ctx, probe, &model, &free)?;
            }
            param_differences(ctx, probe, &model, &free, 1.0)?
        } else {
            model.param_gradient(&data).ok_or_else(not_fittable)?
        };
        let g_data = mean_gradient(&data_rows, t);
        let rule = |i: u64| run.step_rule(&model, i);
        sim.advance(spec.sampler_steps.max(1), &rule, &|_| false, &mut |_, _| {})?;
        let rows = if by_differences {
            param_differences(ctx, &mut sim, &model, &free, 1.0)?
        } else {
            model
                .param_gradient(&sim.field()?)
                .ok_or_else(not_fittable)?
        };
        let g_model = mean_gradient(&rows, t);
        let loss = state
            .theta
            .iter()
            .zip(g_data.iter().zip(&g_model))
            .map(|(th, (d, m))| th * (d - m))
            .sum::<f64>()
            / sites;
        // Adam on the free parameters; a step that leaves the energy unbounded is not taken.
        let mut next = model.clone();
        let mut proposed = state.theta.clone();
        for j in (0..k).filter(|&j| free[j]) {
            let g = g_data[j] - g_model[j];
            let (m, v) = (&mut state.adam_m[j], &mut state.adam_v[j]);
            *m = beta1 * *m + (1.0 - beta1) * g;
            *v = beta2 * *v + (1.0 - beta2) * g * g;
            let m_hat = *m / (1.0 - beta1.powi(step as i32 + 1));
            let v_hat = *v / (1.0 - beta2.powi(step as i32 + 1));
            proposed[j] -= spec.learning_rate * m_hat / (v_hat.sqrt() + eps);
            for b in spec.bounds.iter().filter(|b| b.name == names[j]) {
                proposed[j] = proposed[j].clamp(b.min, b.max);
            }
            if let Some((lo, hi)) = strict[j] {
                proposed[j] = proposed[j].clamp(lo, hi);
            }
            next.set_value(&names[j], proposed[j] as f32)?;
        }
        if next.check_bounded_below().is_ok() {
            state.theta = proposed;
            model = next;
            sim.set_model(ctx, &model)?;
        }
        state.moments.push(moments(&rows));
        state.curve.push(TrainRecord {
            step,
            loss,
            params: state.theta.clone(),
        });
        state.next_step = step + 1;
        progress(step + 1, spec.steps, state.curve.last());
        let last = step + 1 == spec.steps;
        let due = last || (checkpoints.every > 0 && (step + 1) % checkpoints.every == 0);
        if let Some(save) = checkpoints.save.as_mut().filter(|_| due) {
            state.spec.model = model.clone();
            state.chains = sim.field()?;
            state.sampler_step = sim.steps_taken();
            state.cursor = stream.cursor();
            save(&state)?;
        }
    }
    state.spec.model = model.clone();
    state.chains = sim.field()?;
    state.sampler_step = sim.steps_taken();
    state.cursor = stream.cursor();
    let mean = state.fitted();
    let window = state.averaged_window();
    let data_se = fisher_stderr(&state.moments[window.clone()], &free, t, fitted_samples);
    let mut warnings = Vec::new();
    // An update leaves the parameters where they were only when it was refused (it would have
    // made the energy unbounded below) or stopped at a bound.
    let stalled = state
        .curve
        .windows(2)
        .filter(|w| w[0].params == w[1].params)
        .count();
    if free.iter().any(|&f| f) && stalled * 10 > state.curve.len() {
        warnings.push(format!(
            "{stalled} of {} updates left the parameters where they were: each would have made \
             the energy unbounded below, or stopped at a bound; the fit did not follow the data \
             there: lower the learning rate ({})",
            state.curve.len(),
            spec.learning_rate
        ));
    }
    let params = names
        .iter()
        .enumerate()
        .map(|(j, name)| {
            let path: Vec<f64> = state.curve[window.clone()]
                .iter()
                .map(|r| r.params[j])
                .collect();
            let average = estimate(&[path]);
            let optimizer_se = if free[j] {
                average.stderr.unwrap_or(0.0)
            } else {
                0.0
            };
            if free[j] && average.too_short() {
                warnings.push(format!(
                    "{name}: the averaged updates are too few for their autocorrelation (τ ≈ {:.0} \
                     updates, {} averaged); the fit may not have settled and its error bar is \
                     unreliable: run more steps",
                    average.tau.unwrap_or(f64::NAN),
                    average.records_per_chain
                ));
            }
            for b in spec.bounds.iter().filter(|b| b.name == *name) {
                let width = (b.max - b.min).abs().min(1.0);
                if (mean[j] - b.min).abs() < 1e-3 * width || (b.max - mean[j]).abs() < 1e-3 * width
                {
                    warnings.push(format!(
                        "{name} = {} sits at an end of its bound [{}, {}]: the maximum lies \
                         there or beyond, and the standard error, which assumes an interior \
                         maximum, does not hold",
                        mean[j], b.min, b.max
                    ));
                }
            }
            FittedParam {
                name: name.clone(),
                mean: mean[j],
                stderr: data_se[j].hypot(optimizer_se),
                stderr_data: data_se[j],
                stderr_optimizer: optimizer_se,
                fixed: !free[j],
            }
        })
        .collect();
    let report = TrainReport {
        params,
        warnings,
        loss: state.curve.last().map_or(f64::NAN, |r| r.loss),
        curve: state.curve.clone(),
        steps: spec.steps,
        samples: fitted_samples,
        temperature: t,
        wall_ms: started.elapsed().as_secs_f64() * 1e3,
        backend: ctx.backend().to_string(),
    };
    Ok((report, state))
}
