//! The live trajectory: an IDF [`Simulation`] on eframe's device, advanced a few steps per
//! frame under settings that the controls change while it runs, with the observables of every
//! frame kept for the plots and the energy-law verdict.

use std::time::{Duration, Instant};

use idf::capsules::creative::entropy_histogram;
use idf::engine::energies::EnergyModel;
use idf::engine::field::Field;
use idf::engine::method::Method;
use idf::engine::schedule::{ScheduleKind, TemperatureSchedule};
use idf::engine::simulation::Simulation;
use idf::engine::step_rule::RunConfig;
use idf::engine::trace::{Observable, RunTrace};
use idf::engine::validation::validate_run;
use idf::jobs::config::Config;
use idf::jobs::scene::{ResolvedScene, StartPoint};
use idf::kernels::{ColorRange, Colormap};
use idf::{Context, Scene};

/// Frame time the simulation may use, so that the interface keeps about 30 frames per second.
const STEP_BUDGET: Duration = Duration::from_millis(20);
/// Most points kept per plotted series.
const HISTORY: usize = 4000;

/// What the controls change while the trajectory runs.
#[derive(Clone, Debug, PartialEq)]
pub struct Settings {
    /// The energy and its parameters.
    pub model: EnergyModel,
    /// The integrator.
    pub method: Method,
    /// η, or the Metropolis proposal width.
    pub step_size: f32,
    /// The target temperature.
    pub temperature: f32,
    /// The temperature schedule from `t_start` to `temperature`.
    pub schedule: ScheduleKind,
    /// The schedule's starting temperature.
    pub t_start: f32,
    /// Steps the schedule takes; it holds `temperature` afterwards.
    pub schedule_steps: u64,
    /// Leapfrog steps of an HMC trajectory.
    pub leapfrog_steps: u32,
    /// Steps per frame, when not adapted.
    pub steps_per_frame: u32,
    /// Whether steps per frame adapt to keep the interface responsive.
    pub adaptive: bool,
    /// The colormap.
    pub colormap: Colormap,
    /// The colour range.
    pub range: ColorRange,
}

impl Settings {
    /// Whether `other` runs the same dynamics: same energy, integrator, step size,
    /// temperatures and schedule. The look and the pace of the interface do not count.
    pub fn same_dynamics(&self, other: &Settings) -> bool {
        self.model == other.model
            && self.method == other.method
            && self.step_size == other.step_size
            && self.temperature == other.temperature
            && self.schedule == other.schedule
            && self.t_start == other.t_start
            && self.schedule_steps == other.schedule_steps
            && self.leapfrog_steps == other.leapfrog_steps
    }

    /// The run these settings describe, for the step rules and the energy laws.
    pub fn run_config(&self) -> idf::Result<RunConfig> {
        // Checked either way: a constant schedule refuses a negative or NaN temperature too.
        let start = if self.schedule == ScheduleKind::Constant {
            self.temperature
        } else {
            self.t_start
        };
        let schedule = TemperatureSchedule::new(self.schedule, start, self.temperature)?;
        Ok(RunConfig {
            method: self.method,
            step_size: self.step_size,
            schedule,
            burn_in: 0,
            steps: self.schedule_steps.max(1),
            record_every: 1,
            leapfrog_steps: self.leapfrog_steps,
        })
    }
}

/// One frame's observables of chain 0.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Sample {
    /// Steps taken.
    pub step: u64,
    /// Energy per site.
    pub energy: f64,
    /// Entropy of the value histogram.
    pub entropy: f64,
    /// Change of energy per site since the previous frame.
    pub delta_energy: f64,
    /// Change of entropy since the previous frame.
    pub delta_entropy: f64,
    /// Acceptance since the previous frame (NaN for unadjusted dynamics).
    pub acceptance: f64,
    /// Mean of the field.
    pub magnetization: f64,
    /// The temperature of the last step.
    pub temperature: f64,
    /// Smallest value.
    pub min: f64,
    /// Largest value.
    pub max: f64,
}

/// The energy-law verdict of the run since its dynamics last changed or the field was painted.
#[derive(Clone, Debug, PartialEq)]
pub enum LawVerdict {
    /// No law applies to these settings.
    NoLaw,
    /// Every applicable law held; the fraction of laws checked.
    Held {
        /// The laws checked.
        laws: Vec<String>,
    },
    /// A law failed.
    Failed {
        /// The energy-law fidelity (fraction of laws that held).
        elf: f64,
        /// The first violation, naming the law, step and value.
        violation: String,
    },
}

/// The running trajectory.
pub struct Live {
    ctx: Context,
    scene: Scene,
    sim: Simulation,
    /// The settings in force.
    pub settings: Settings,
    run: RunConfig,
    seed: u32,
    initial: Field,
    /// Where the trajectory started: step 0, or where a resumed scene left off.
    start: StartPoint,
    history: Vec<Sample>,
    /// The trace the verdict judges, from `verdict_start` on.
    trace: Option<RunTrace>,
    /// The step the temperature schedule counts from: the last change of dynamics.
    schedule_start: u64,
    /// The step the verdict counts from: the last change of dynamics or of the field.
    verdict_start: u64,
    verdict: LawVerdict,
    steps_per_frame: u32,
    last_error: Option<String>,
    /// The last field known good, with its step, kept for [`Live::recover`]: one the dynamics
    /// then ran on from for at least [`KEEP_FINITE_EVERY`] without diverging. A field that is
    /// merely finite may be one taken during a blow-up, too large for any step size to recover.
    last_finite: (u64, Field),
    /// The latest copy of the field, with its step: it becomes `last_finite` when the steps
    /// after it have gone well until the next copy; a divergence drops it.
    pending_finite: Option<(u64, Field)>,
    /// When `pending_finite` was taken.
    last_finite_at: Instant,
    /// What Ctrl+Z takes back, the latest last.
    undo: Vec<UndoStep>,
}

/// Something the user did that [`Live::undo`] takes back.
#[derive(Clone, Debug)]
pub enum UndoStep {
    /// A brush stroke: the field before it.
    Stroke(Field),
    /// An applied energy edit: the settings before it.
    Energy(Settings),
}

/// Steps of undo kept (the oldest are dropped).
const UNDO_DEPTH: usize = 32;

/// Wall time between the copies of the field kept to recover from a divergence: one read-back
/// a second.
const KEEP_FINITE_EVERY: Duration = Duration::from_secs(1);

impl Live {
    /// Starts the trajectory of `scene`, resolved as `job` (see `idf::jobs::render::job`), on
    /// `ctx`; the scene is kept for saving.
    pub fn new(ctx: Context, scene: &Scene, job: &ResolvedScene) -> idf::Result<Self> {
        let settings = Settings {
            model: job.model.clone(),
            method: job.run.method,
            step_size: job.run.step_size,
            temperature: job.run.schedule.end,
            schedule: job.run.schedule.kind,
            t_start: job.run.schedule.start,
            schedule_steps: job.run.steps,
            leapfrog_steps: job.run.leapfrog_steps,
            steps_per_frame: job.look.steps_per_frame as u32,
            adaptive: true,
            colormap: job.look.colormap,
            range: job.look.range,
        };
        let mut live =
            Self::with_settings(ctx, scene.clone(), settings, job.initial_field()?, job.seed)?;
        live.continue_from(job.start)?;
        Ok(live)
    }

    /// Continues from `start` (a resumed scene): the random stream from its step, the
    /// temperature schedule from its position. [`Live::reset`] returns here.
    fn continue_from(&mut self, start: StartPoint) -> idf::Result<()> {
        self.sim.seek(start.step);
        self.start = start;
        self.schedule_start = start.step - start.schedule_step;
        self.last_finite.0 = start.step;
        self.history.clear();
        self.observe_start()
    }

    /// Where the temperature schedule stands: steps since it last started (the start of the
    /// run, or the last change of dynamics).
    pub fn schedule_step(&self) -> u64 {
        self.sim.steps_taken() - self.schedule_start
    }

    /// Starts a trajectory from `initial` under `settings`; `scene` is what it saves over.
    pub fn with_settings(
        ctx: Context,
        scene: Scene,
        settings: Settings,
        initial: Field,
        seed: u32,
    ) -> idf::Result<Self> {
        let run = settings.run_config()?;
        run.check(&settings.model, initial.shape())?;
        let mut sim = Simulation::new(&ctx, &settings.model, &initial, seed)?;
        sim.set_histogram(Some(entropy_histogram(&settings.model, settings.range)));
        let initial_copy = initial.clone();
        let mut live = Live {
            ctx,
            scene,
            sim,
            steps_per_frame: settings.steps_per_frame.max(1),
            settings,
            run,
            seed,
            initial,
            start: StartPoint::default(),
            history: Vec::new(),
            trace: None,
            schedule_start: 0,
            verdict_start: 0,
            verdict: LawVerdict::NoLaw,
            last_error: None,
            last_finite: (0, initial_copy),
            pending_finite: None,
            last_finite_at: Instant::now(),
            undo: Vec::new(),
        };
        live.observe_start()?;
        Ok(live)
    }

    /// Starts a new verdict segment at the current step: the laws judge the run from here on.
    /// Its first record, the current state, is taken by the next [`Live::advance`].
    fn new_segment(&mut self) {
        self.trace = None;
        self.verdict = LawVerdict::NoLaw;
        self.verdict_start = self.sim.steps_taken();
    }

    /// Starts a new verdict segment and records the current state at once.
    fn observe_start(&mut self) -> idf::Result<()> {
        self.new_segment();
        self.advance(0)
    }

    /// The scene the trajectory started from (saving writes the settings over it).
    pub fn scene(&self) -> &Scene {
        &self.scene
    }

    /// The context the simulation runs on.
    pub fn context(&self) -> &Context {
        &self.ctx
    }

    /// The simulation.
    pub fn simulation(&mut self) -> &mut Simulation {
        &mut self.sim
    }

    /// Steps taken.
    pub fn step(&self) -> u64 {
        self.sim.steps_taken()
    }

    /// The temperature the next step runs at: the schedule's, counted from the last change of
    /// dynamics (during an anneal it falls towards the target).
    pub fn temperature(&self) -> f32 {
        self.run
            .step_rule(&self.settings.model, self.schedule_step())
            .temperature()
    }

    /// The seed of the random stream.
    pub fn seed(&self) -> u32 {
        self.seed
    }

    /// The shape of the field the trajectory started from.
    pub fn initial_shape(&self) -> idf::Shape {
        self.initial.shape()
    }

    /// Steps the next frame takes.
    pub fn steps_per_frame(&self) -> u32 {
        if self.settings.adaptive {
            self.steps_per_frame
        } else {
            self.settings.steps_per_frame.max(1)
        }
    }

    /// Observables of every frame so far (the latest [`HISTORY`]).
    pub fn history(&self) -> &[Sample] {
        &self.history
    }

    /// The energy-law verdict since the dynamics last changed or the field was painted.
    pub fn verdict(&self) -> &LawVerdict {
        &self.verdict
    }

    /// The step from which the verdict counts.
    pub fn verdict_since(&self) -> u64 {
        self.verdict_start
    }

    /// The last error (a divergence, a refused setting), until the next successful change.
    pub fn last_error(&self) -> Option<&str> {
        self.last_error.as_deref()
    }

    /// Applies new settings to the running trajectory: the field and the step count carry on.
    /// A setting that does not apply (an integrator the energy lacks, a bad value) is refused and
    /// the previous settings stay. New dynamics restart the temperature schedule and the
    /// verdict; a new look or pace restarts neither (the laws do not read the colour range's
    /// histogram entropy, which is only plotted).
    pub fn apply(&mut self, settings: Settings) -> idf::Result<()> {
        if settings == self.settings {
            return Ok(());
        }
        let new_dynamics = !settings.same_dynamics(&self.settings);
        let new_histogram = settings.range != self.settings.range
            || settings.model.state() != self.settings.model.state();
        let result = (|| -> idf::Result<()> {
            let run = settings.run_config()?;
            run.check(&settings.model, self.sim.shape())?;
            if settings.model != self.settings.model {
                self.sim.set_model(&self.ctx, &settings.model)?;
            }
            if new_histogram {
                self.sim
                    .set_histogram(Some(entropy_histogram(&settings.model, settings.range)));
            }
            self.run = run;
            self.settings = settings;
            Ok(())
        })();
        match &result {
            Ok(()) => {
                self.last_error = None;
                if new_dynamics {
                    self.schedule_start = self.sim.steps_taken();
                    self.observe_start()?;
                }
            }
            Err(e) => self.last_error = Some(e.to_string()),
        }
        result
    }

    /// Advances one frame's worth of steps, adapting the count to the time budget when
    /// adaptive. On divergence the trajectory stops and the error names a stable step size.
    pub fn advance_frame(&mut self) -> idf::Result<()> {
        let n = self.steps_per_frame();
        let started = Instant::now();
        self.advance(n as u64)?;
        if self.settings.adaptive {
            let took = started.elapsed();
            self.steps_per_frame = if took < STEP_BUDGET / 2 {
                (n * 2).min(1 << 14)
            } else if took > STEP_BUDGET {
                (n / 2).max(1)
            } else {
                n
            };
        }
        Ok(())
    }

    /// Advances `n` steps and records one observation at their end (and one before them when
    /// a verdict segment starts here).
    pub fn advance(&mut self, n: u64) -> idf::Result<()> {
        if n > 0 && self.trace.is_none() {
            self.advance(0)?;
        }
        let model = self.settings.model.clone();
        let run = self.run.clone();
        let start = self.sim.steps_taken();
        // The schedule counts from the last change of dynamics.
        let offset = start - self.schedule_start;
        let result = self.sim.advance(
            n,
            &|i| run.step_rule(&model, offset + i),
            &|k| k == n,
            &mut |_, _| {},
        );
        match result {
            Ok(trace) => {
                self.push_trace(trace, start + n);
                // The steps went well: an earlier failure no longer describes the run.
                self.last_error = None;
                if self.last_finite_at.elapsed() >= KEEP_FINITE_EVERY {
                    if let Some(good) = self.pending_finite.take() {
                        self.last_finite = good;
                    }
                    self.pending_finite = Some((self.sim.steps_taken(), self.sim.field()?));
                    self.last_finite_at = Instant::now();
                }
                Ok(())
            }
            Err(e) => {
                self.pending_finite = None;
                self.last_error = Some(e.to_string());
                Err(e)
            }
        }
    }

    fn push_trace(&mut self, mut trace: RunTrace, step: u64) {
        let value = |obs| trace.value(obs, 0, 0).unwrap_or(f64::NAN);
        let previous = self.history.last().copied();
        let energy = value(Observable::EnergyPerSite);
        let entropy = value(Observable::HistogramEntropy);
        let sample = Sample {
            step,
            energy,
            entropy,
            delta_energy: previous.map_or(0.0, |p| energy - p.energy),
            delta_entropy: previous.map_or(0.0, |p| entropy - p.entropy),
            acceptance: value(Observable::Acceptance),
            magnetization: value(Observable::Mean),
            temperature: trace
                .records
                .first()
                .map_or(f64::NAN, |r| r.temperature as f64),
            min: value(Observable::Min),
            max: value(Observable::Max),
        };
        if self.history.len() == HISTORY {
            self.history.remove(0);
        }
        self.history.push(sample);
        for record in &mut trace.records {
            record.step = step;
        }
        match &mut self.trace {
            Some(acc) => acc.append(trace),
            None => self.trace = Some(trace),
        }
        self.judge();
    }

    fn judge(&mut self) {
        let Some(trace) = &self.trace else { return };
        let judged = validate_run(
            &self.settings.model,
            &self.run,
            &Config::default().validation,
            trace,
        );
        self.verdict = match (judged.violations().next(), judged.elf()) {
            _ if judged.laws.is_empty() => LawVerdict::NoLaw,
            (None, _) => LawVerdict::Held {
                laws: judged.laws.iter().map(|l| l.to_string()).collect(),
            },
            (Some(v), elf) => LawVerdict::Failed {
                elf: elf.unwrap_or(0.0),
                violation: v.to_string(),
            },
        };
    }

    /// The colour range of the current frame.
    pub fn color_range(&self) -> (f32, f32) {
        let last = self.history.last();
        let (lo, hi) = match self.settings.range {
            ColorRange::Fixed(lo, hi) => (lo, hi),
            ColorRange::PerFrame => last.map_or((-1.0, 1.0), |s| (s.min as f32, s.max as f32)),
            ColorRange::Symmetric => {
                let m = last.map_or(1.0, |s| s.min.abs().max(s.max.abs()) as f32);
                (-m, m)
            }
        };
        if hi > lo && lo.is_finite() && hi.is_finite() {
            (lo, hi)
        } else {
            (lo - 0.5, lo + 0.5)
        }
    }

    /// Starts again from the initial field with the same seed, at the step it started from.
    pub fn reset(&mut self) -> idf::Result<()> {
        let start = self.start;
        self.restart(self.initial.clone(), self.seed)?;
        self.continue_from(start)
    }

    /// The current field.
    pub fn field(&self) -> idf::Result<Field> {
        self.sim.field()
    }

    /// Starts again from a fresh random field with a new seed.
    pub fn reseed(&mut self, seed: u32) -> idf::Result<()> {
        let initial = self
            .settings
            .model
            .initial_field(self.initial.shape(), seed)?;
        self.initial = initial.clone();
        self.restart(initial, seed)
    }

    /// Starts again from `field` (its shape may differ from the current one).
    pub fn restart(&mut self, field: Field, seed: u32) -> idf::Result<()> {
        let fresh = Live::with_settings(
            self.ctx.clone(),
            self.scene.clone(),
            self.settings.clone(),
            field,
            seed,
        )?;
        *self = fresh;
        Ok(())
    }

    /// Remembers the current field before a brush stroke, for [`Live::undo`].
    pub fn remember_field(&mut self) -> idf::Result<()> {
        let field = self.sim.field()?;
        self.remember(UndoStep::Stroke(field));
        Ok(())
    }

    /// Remembers the settings an applied energy edit replaced, for [`Live::undo`].
    pub fn remember_settings(&mut self, before: Settings) {
        self.remember(UndoStep::Energy(before));
    }

    fn remember(&mut self, step: UndoStep) {
        if self.undo.len() == UNDO_DEPTH {
            self.undo.remove(0);
        }
        self.undo.push(step);
    }

    /// Takes back the last stroke (its field returns, the step count carries on) or applied
    /// energy edit (its settings return). Returns what was undone, or `None` when nothing is
    /// left to undo.
    pub fn undo(&mut self) -> idf::Result<Option<&'static str>> {
        match self.undo.pop() {
            Some(UndoStep::Stroke(field)) => {
                self.set_field(&field)?;
                Ok(Some("the last brush stroke"))
            }
            Some(UndoStep::Energy(settings)) => {
                self.apply(settings)?;
                Ok(Some("the last energy edit"))
            }
            None => Ok(None),
        }
    }

    /// The step of the last field known good, where [`Live::recover`] continues from.
    pub fn last_finite_step(&self) -> u64 {
        self.last_finite.0
    }

    /// Recovers from a divergence: halves the step size and continues from the last field
    /// known good (about one to two seconds of steps back), keeping the step count. Returns
    /// the new step size.
    pub fn recover(&mut self) -> idf::Result<f32> {
        let field = self.last_finite.1.clone();
        self.set_field(&field)?;
        let mut settings = self.settings.clone();
        settings.step_size *= 0.5;
        let step_size = settings.step_size;
        self.apply(settings)?;
        self.last_error = None;
        Ok(step_size)
    }

    /// Replaces the current field, keeping the trajectory's step count, settings and schedule.
    /// The verdict starts again from the new field: an edit is not a step of the dynamics. A
    /// stroke of many edits records nothing until the trajectory moves on.
    pub fn set_field(&mut self, field: &Field) -> idf::Result<()> {
        self.sim.set_field(field)?;
        self.new_segment();
        Ok(())
    }
}
