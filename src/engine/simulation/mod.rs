//! [`Simulation`]: a field resident on a backend with an energy, advanced by recorded dispatches.
//!
//! Steps are recorded in segments of at most [`SEGMENT_DISPATCHES`] dispatches (or about 0.1 s
//! of CPU work, see [`SEGMENT_WORK_CPU`]) and submitted once per segment; observables are
//! written to a trace on the backend at the steps a run asks for and read back once at its end.
//! Divergence is caught by the kernels themselves (the first non-finite step is kept in the
//! status buffer) and checked once per segment. Every method of a simulation is in this file
//! but multi-spin coding's (`multispin.rs`); what a step records is [`StepRule::record`].

mod multispin;
mod parameter_settings;

use crate::context::{Cancel, Context};
use crate::engine::boltzmann::{boltzmann_weight, systematic_resample, BoltzmannWeights};
use crate::engine::energies::EnergyModel;
use crate::engine::field::{Field, Shape};
use crate::engine::fusion_plan::{self, FusionPlan};
use crate::engine::step_rule::{RunConfig, StepRule};
use crate::engine::tempering::{self, LadderState};
use crate::engine::trace::{ChainStats, Histogram, Observable, RunTrace, TraceRecord};
use crate::error::{IdfError, Result};
use crate::executor::Executor;
use crate::kernels::{
    initial_status, write_chain_keys, Aux, Dispatch, Kernel, Slot, StepParams, FLAG_CHAIN_KEYS,
    FLAG_PROPOSAL, FLAG_TEMPERING, NOT_DIVERGED, OBSERVABLES, OBSERVE_BLOCK, STATUS_DIVERGED,
};
use multispin::{is_spins, MAX_MULTISPIN_RUN};

/// Dispatches recorded before a submission (and a divergence check).
const SEGMENT_DISPATCHES: usize = 1024;
/// Site evaluations after which a segment ends early on the CPU (about 0.1 s of work there), so
/// that a stop request or a divergence is seen within that time even on large fields.
const SEGMENT_WORK_CPU: u64 = 1 << 22;
/// The same on a GPU, where each segment costs a submission and a 4-byte read (a few ms of
/// work on a large GPU; seconds on a software adapter).
const SEGMENT_WORK_GPU: u64 = 1 << 28;

/// A field resident on a backend with an energy, advanced by recorded dispatches.
pub struct Simulation {
    model: EnergyModel,
    shape: Shape,
    exec: Executor,
    current: Slot,
    step: u64,
    seed: u32,
    histogram: Option<Histogram>,
    /// How runs of drift steps are dispatched on a GPU: planned on the first such run.
    fusion: Option<FusionPlan>,
    ctx: Context,
    tempering: bool,
    chain_keys: bool,
    cancel: Option<Cancel>,
    /// Whether every value of the current field is exactly +1 or −1.
    spins: bool,
    /// Whether sweeps of Ising spins may use multi-spin coding (on unless turned off).
    multispin: bool,
    /// Sweeps taken in multi-spin coding so far.
    multispin_sweeps: u64,
}

impl Simulation {
    /// Uploads `initial`, a state of `model`, on the context's backend. Errors: a field that
    /// is not a state of the model (the mixture's dimension, a graph's nodes), NaN or infinite
    /// values, a model without a CPU twin on the CPU, a field over the device's limits, on a GPU
    /// an `IDF_FUSED_STEPS` that is not an integer from 1 to 8.
    pub fn new(ctx: &Context, model: &EnergyModel, initial: &Field, seed: u32) -> Result<Self> {
        let shape = initial.shape();
        model.check_shape(shape)?;
        model.check_bounded_below()?;
        if !initial.is_finite() {
            return Err(IdfError::invalid(
                "field",
                "the initial field has NaN or infinite values",
            ));
        }
        let mut exec = Executor::new(ctx, model.binding(), shape.chains, shape.len())?;
        if exec.is_gpu() {
            // A bad IDF_FUSED_STEPS fails here, not in the middle of a run.
            fusion_plan::fused_steps_override()?;
        }
        exec.write_field(Slot::A, initial.data());
        exec.write_status(&initial_status(shape.chains));
        Ok(Simulation {
            model: model.clone(),
            shape,
            exec,
            current: Slot::A,
            step: 0,
            seed,
            histogram: None,
            fusion: None,
            ctx: ctx.clone(),
            tempering: false,
            chain_keys: false,
            cancel: ctx.cancel_flag().cloned(),
            spins: is_spins(initial.data()),
            multispin: true,
            multispin_sweeps: 0,
        })
    }

    /// Gives every chain its own temperature (replica exchange): Langevin and Metropolis steps use
    /// the chain's rung, and after every observation neighbouring rungs swap with probability
    /// min(1, exp((β_i − β_j)(E_i − E_j))) on the backend. Resets the swap counters.
    pub fn set_temperatures(&mut self, temperatures: &[f32]) -> Result<()> {
        let c = self.shape.chains;
        let mut ladder = tempering::new_ladder(temperatures, c)?;
        if self.chain_keys {
            ladder[6 * c..].copy_from_slice(&self.exec.read_ladder()?[6 * c..]);
        }
        self.exec.write_ladder(&ladder);
        self.tempering = true;
        Ok(())
    }

    /// Gives each chain the random numbers of another run: chain `c` draws what chain
    /// `keys[c].0` of a run seeded `keys[c].1` draws, on every backend. Runs of several
    /// requests batched into one simulation (chains side by side) keep each request's numbers
    /// this way: each chain ends where it would alone.
    pub fn set_chain_keys(&mut self, keys: &[(u32, u32)]) -> Result<()> {
        if keys.len() != self.shape.chains {
            return Err(IdfError::invalid(
                "keys",
                format!("{} keys for {} chains", keys.len(), self.shape.chains),
            ));
        }
        let mut ladder = self.exec.read_ladder()?;
        write_chain_keys(&mut ladder, keys);
        self.exec.write_ladder(&ladder);
        self.chain_keys = true;
        Ok(())
    }

    /// Gives rung `k` (coldest first) the temperature `ladder[k]`, keeping which chain holds
    /// which rung and the swap counters.
    pub fn retune_ladder(&mut self, ladder: &[f32]) -> Result<()> {
        let c = self.shape.chains;
        if !self.tempering || ladder.len() != c {
            return Err(IdfError::invalid(
                "ladder",
                format!("need a running ladder of {c} rungs"),
            ));
        }
        let mut state = self.exec.read_ladder()?;
        tempering::retune(&mut state, ladder)?;
        self.exec.write_ladder(&state);
        Ok(())
    }

    /// The replica-exchange ladder: temperatures, ranks, swap counts and round trips.
    pub fn ladder_state(&self) -> Result<LadderState> {
        Ok(LadderState::decode(
            &self.exec.read_ladder()?,
            self.shape.chains,
        ))
    }

    /// Records the Shannon entropy of a fixed-bin value histogram with every observation.
    pub fn set_histogram(&mut self, histogram: Option<Histogram>) {
        self.histogram = histogram;
    }

    /// The value histogram recorded with observations, if any.
    pub fn histogram(&self) -> Option<Histogram> {
        self.histogram
    }

    /// The energy model.
    pub fn model(&self) -> &EnergyModel {
        &self.model
    }

    /// The field's shape.
    pub fn shape(&self) -> Shape {
        self.shape
    }

    /// Steps taken so far: the step counter that keys the random numbers.
    pub fn steps_taken(&self) -> u64 {
        self.step
    }

    /// Sets the step counter, and with it the random numbers the next step draws: the generator
    /// is counter-based, so `seek(k)` replays step k's noise.
    pub fn seek(&mut self, step: u64) {
        self.step = step;
    }

    /// Downloads the current field.
    pub fn field(&self) -> Result<Field> {
        Field::from_vec(self.shape, self.exec.read_field(self.current)?)
    }

    /// Swaps the energy under the running trajectory: the field, the step count and the random
    /// stream carry on. New parameters of the same energy module are written in place (cheap
    /// enough for every frame of a slider drag); another module (a custom energy's edit) gets
    /// new buffers, with the current field copied over.
    pub fn set_model(&mut self, ctx: &Context, model: &EnergyModel) -> Result<()> {
        model.check_bounded_below()?;
        let packed = model.packed_params();
        if model.module() == self.model.module() && packed.len() == self.model.packed_params().len()
        {
            self.exec.write_energy_params(&packed);
        } else {
            if self.tempering {
                return Err(IdfError::invalid(
                    "model",
                    "a replica-exchange run keeps its energy module; change its parameters only",
                ));
            }
            model.check_shape(self.shape)?;
            let field = self.exec.read_field(self.current)?;
            let mut exec =
                Executor::new(ctx, model.binding(), self.shape.chains, self.shape.len())?;
            exec.write_field(Slot::A, &field);
            exec.write_ladder(&self.exec.read_ladder()?);
            exec.write_status(&initial_status(self.shape.chains));
            self.exec = exec;
            self.current = Slot::A;
        }
        self.model = model.clone();
        Ok(())
    }

    /// The current value at flat index `index` (`[chain, channel, y, x]` row-major), read
    /// alone: what a cursor read-out needs, without copying the field.
    pub fn value_at(&self, index: usize) -> Result<f32> {
        if index >= self.shape.len() {
            return Err(IdfError::invalid(
                "index",
                format!("{index} is past the field's {} values", self.shape.len()),
            ));
        }
        self.exec.read_value(self.current, index)
    }

    /// Replaces the current field; it must have the simulation's shape.
    pub fn set_field(&mut self, field: &Field) -> Result<()> {
        if field.shape() != self.shape {
            return Err(IdfError::InvalidShape(format!(
                "expected {:?}, got {:?}",
                self.shape.dims(),
                field.shape().dims()
            )));
        }
        self.exec.write_field(self.current, field.data());
        self.spins = is_spins(field.data());
        Ok(())
    }

    /// The GPU buffer holding the current field (f32, row-major `[chains, channels, height,
    /// width]`), for drawing it without a copy; `None` on the CPU backend.
    pub fn gpu_buffer(&self) -> Option<&wgpu::Buffer> {
        self.exec.gpu_buffer(self.current)
    }

    /// Steps fused into one `langevin_fused` dispatch (1 turns fusion off), in place of the
    /// planner's choice ([`crate::engine::fusion_plan`]: the fastest of 1, 2, 4 and 8 steps per
    /// dispatch, timed on this adapter, energy and shape). Fusion applies on the GPU to runs of
    /// identical drift steps of an energy with a stencil gradient and no observation inside.
    pub fn set_fusion(&mut self, max_steps: u32) {
        self.fusion = Some(FusionPlan::fixed(max_steps));
    }

    /// How runs of drift steps went on the GPU: `None` until a run could fuse.
    pub fn fusion_plan(&self) -> Option<&FusionPlan> {
        self.fusion.as_ref()
    }

    /// The steps per fused dispatch, planned on first use.
    fn fused_steps(&mut self) -> Result<u32> {
        if self.fusion.is_none() {
            self.fusion = Some(fusion_plan::plan_on_gpu(
                &self.ctx,
                &self.model,
                self.shape,
            )?);
        }
        Ok(self.fusion.as_ref().map_or(1, |p| p.fused_steps))
    }

    /// The dispatch parameters of this simulation at its current step under `rule`.
    fn base_params(&self, rule: &StepRule) -> StepParams {
        StepParams {
            chains: self.shape.chains as u32,
            channels: self.shape.channels as u32,
            height: self.shape.height as u32,
            width: self.shape.width as u32,
            step: self.step as u32,
            seed: self.seed,
            temperature: rule.temperature(),
            alpha_bar: rule.alpha_bar(),
            step_size: rule.step_size(),
            c_x: 1.0,
            hist_lo: self.histogram.map_or(0.0, |h| h.lo),
            hist_hi: self.histogram.map_or(1.0, |h| h.hi),
            hist_bins: self.histogram.map_or(0, |h| h.bins),
            flags: if self.tempering { FLAG_TEMPERING } else { 0 }
                | if self.chain_keys { FLAG_CHAIN_KEYS } else { 0 },
            ..Default::default()
        }
    }

    /// Records one step and advances the step counter.
    fn push_step(&mut self, rule: &StepRule, out: &mut Vec<Dispatch>) {
        self.current = rule.record(
            self.base_params(rule),
            self.current,
            self.model.sweep(),
            out,
        );
        self.step += 1;
        // A sweep of the Ising module flips spins; any other step may leave ±1.
        self.spins &= rule.is_sweep() && self.model.module().multispin;
    }

    /// How many steps from `i` one fused dispatch can take (1: none).
    fn fusible_run(
        &mut self,
        rule: &StepRule,
        i: u64,
        n: u64,
        rule_of: &dyn Fn(u64) -> StepRule,
        record_at: &dyn Fn(u64) -> bool,
    ) -> Result<u64> {
        let continues = |j: u64| j < n && !record_at(j) && rule_of(j) == *rule;
        let fusible = !self.tempering
            && self.exec.is_gpu()
            && self.model.module().stencil_gradient
            && matches!(rule, StepRule::Drift { .. })
            && continues(i + 1);
        if !fusible {
            return Ok(1);
        }
        let max = self.fused_steps()? as u64;
        let mut run = 1;
        while run < max && continues(i + run) {
            run += 1;
        }
        Ok(run)
    }

    /// The observation of record `record`: `chain_observables` into the trace (after
    /// `chain_observable_blocks` into the free slot for chains of more than
    /// [`OBSERVE_BLOCK`] sites), then, when tempering, the replica swaps decided from the
    /// energies just recorded.
    fn push_record(&self, rule: &StepRule, record: u32, swap: bool, out: &mut Vec<Dispatch>) {
        let params = StepParams {
            record,
            ..self.base_params(rule)
        };
        let dispatch = |kernel, params| Dispatch {
            kernel,
            params,
            src: self.current,
            dst: self.current.other(),
            aux: Aux::Trace,
        };
        if self.shape.sites_per_chain() > OBSERVE_BLOCK {
            out.push(dispatch(Kernel::ChainObservableBlocks, params));
        }
        out.push(dispatch(Kernel::ChainObservables, params));
        if self.tempering && swap {
            out.push(dispatch(
                Kernel::ReplicaSwap,
                StepParams {
                    parity: record % 2,
                    ..params
                },
            ));
        }
    }

    /// Advances `n` steps with `rule_of(i)` for step `i`, recording observables after `k` steps
    /// wherever `record_at(k)` holds (`k = 0` is the state before the first step).
    /// `progress(done, n)` is called after each submitted segment.
    ///
    /// Errors: [`IdfError::Diverged`] names the first step whose field, or a recorded state's
    /// energy, was not finite, its step size and a stable one.
    pub fn advance(
        &mut self,
        n: u64,
        rule_of: &dyn Fn(u64) -> StepRule,
        record_at: &dyn Fn(u64) -> bool,
        progress: &mut dyn FnMut(u64, u64),
    ) -> Result<RunTrace> {
        let spc = self.shape.sites_per_chain();
        let mut records = Vec::new();
        let mut proposals = 0.0;
        for k in 0..=n {
            if record_at(k) {
                // The state after k steps was made by step k − 1 (the first record, before any
                // step, takes the first step's temperature): the label the kernel writes too.
                let made_by = rule_of(k.saturating_sub(1).min(n.saturating_sub(1)));
                records.push(TraceRecord {
                    step: k,
                    temperature: made_by.temperature(),
                    proposals,
                });
                proposals = 0.0;
            }
            if k < n {
                proposals += rule_of(k).proposals_per_chain(spc);
            }
        }
        self.exec.ensure_trace(records.len())?;
        self.exec.write_status(&initial_status(self.shape.chains));

        // Replica exchange swaps after every observation of a run (not after a look at the
        // state, such as `chain_stats`, which advances no step).
        let swap = n > 0;
        let mut dispatches = Vec::with_capacity(SEGMENT_DISPATCHES + 8);
        let mut record = 0u32;
        if record_at(0) {
            self.push_record(&rule_of(0), record, swap, &mut dispatches);
            record += 1;
            if n == 0 {
                self.exec.execute(&dispatches)?;
            }
        }
        let mut i = 0;
        let step_work = (self.shape.len() as u64).saturating_mul(self.model.cost_per_site());
        let segment_budget = if self.exec.is_gpu() {
            SEGMENT_WORK_GPU
        } else {
            SEGMENT_WORK_CPU
        };
        let mut segment_work = 0u64;
        while i < n {
            let rule = rule_of(i);
            let step_cost = step_work.saturating_mul(rule.evaluations_per_site());
            // Sweeps in multi-spin coding, as many as the segment's work budget allows.
            let in_budget = (segment_budget.saturating_sub(segment_work) / step_cost.max(1))
                .clamp(1, MAX_MULTISPIN_RUN);
            let packed = self.multispin_run(i, n, in_budget, rule_of, record_at);
            let run = if packed > 0 {
                packed
            } else {
                self.fusible_run(&rule, i, n, rule_of, record_at)?
            };
            segment_work = segment_work.saturating_add(step_cost.saturating_mul(run));
            if packed > 0 {
                self.push_multispin(i, run, rule_of, &mut dispatches);
            } else if run > 1 {
                self.current = rule.record_fused(
                    self.base_params(&rule),
                    self.current,
                    run as u32,
                    &mut dispatches,
                );
                self.step += run;
                self.spins = false;
            } else {
                self.push_step(&rule, &mut dispatches);
            }
            i += run;
            if record_at(i) {
                // Labelled by the step that made the state (the last of a run).
                self.push_record(&rule_of(i - 1), record, swap, &mut dispatches);
                record += 1;
            }
            if dispatches.len() >= SEGMENT_DISPATCHES || segment_work >= segment_budget || i == n {
                segment_work = 0;
                self.exec.execute(&dispatches)?;
                dispatches.clear();
                let status = self.exec.read_status()?;
                if status[STATUS_DIVERGED] != NOT_DIVERGED {
                    return Err(self.diverged(status[STATUS_DIVERGED] as u64 + 1, &rule));
                }
                progress(i, n);
                if self.cancel.as_ref().is_some_and(Cancel::is_cancelled) {
                    return Err(IdfError::Cancelled { step: self.step });
                }
            }
        }
        let values = self.exec.read_trace(records.len())?;
        // A state the run made whose energy overflowed has left every region a sampler means to
        // visit, though its field may still be finite (φ = 1e23 is a float; φ⁴ is not). A look
        // at a state (no step) reports its energy, whatever it is.
        let per_record = self.shape.chains * OBSERVABLES;
        let overflowed = values.chunks(per_record).zip(&records).position(|(r, at)| {
            at.step > 0 && r.iter().step_by(OBSERVABLES).any(|e| !e.is_finite())
        });
        if let Some(k) = overflowed {
            let step = records[k].step;
            return Err(self.diverged(step, &rule_of(step.saturating_sub(1))));
        }
        RunTrace::from_parts(self.shape.chains, spc, records, values)
    }

    /// The divergence of `step` (1-based) under `rule`, with a step size to try that is never
    /// larger than the one that diverged.
    fn diverged(&self, step: u64, rule: &StepRule) -> IdfError {
        let step_size = rule.step_size();
        let stable = self.model.stable_step_size();
        IdfError::Diverged {
            step,
            step_size,
            suggested: if step_size > stable {
                stable
            } else {
                0.5 * step_size
            },
            within_bound: step_size <= stable,
        }
    }

    /// Runs burn-in and sampling with one of the equilibrium integrators (the run is checked
    /// against the model and shape first).
    pub fn run(&mut self, cfg: &RunConfig, progress: &mut dyn FnMut(u64, u64)) -> Result<RunTrace> {
        self.run_from(cfg, 0, progress)
    }

    /// The rest of a run after its first `schedule_step` steps (burn-in included): a saved run
    /// continuing, with [`Simulation::seek`] to its step so that it draws the noise the unbroken
    /// run would have. Records fall where the unbroken run's would, and the state it starts from
    /// is recorded when the burn-in is over. Errors when no step of the run remains.
    pub fn run_from(
        &mut self,
        cfg: &RunConfig,
        schedule_step: u64,
        progress: &mut dyn FnMut(u64, u64),
    ) -> Result<RunTrace> {
        cfg.check(&self.model, self.shape)?;
        let total = cfg.burn_in.saturating_add(cfg.steps);
        if schedule_step >= total {
            return Err(IdfError::invalid(
                "resume.schedule_step",
                format!(
                    "the run ends at step {total} and was saved at step {schedule_step}: no step remains; raise steps to continue it"
                ),
            ));
        }
        let model = self.model.clone();
        let rule_of = |i: u64| cfg.step_rule(&model, schedule_step + i);
        let (burn_in, every) = (cfg.burn_in, cfg.record_every);
        let record_at = move |k: u64| {
            let at = schedule_step + k;
            (k == 0 && at >= burn_in)
                || at == burn_in
                || (at > burn_in && (at - burn_in).is_multiple_of(every))
        };
        self.advance(total - schedule_step, &rule_of, &record_at, progress)
    }

    /// ∇E of the current field at noise level `alpha_bar` (1 for the energy itself), shaped
    /// like the field; the state is unchanged.
    pub fn energy_gradient(&mut self, alpha_bar: f32) -> Result<Field> {
        self.write_energy_gradient(alpha_bar)?;
        Field::from_vec(self.shape, self.exec.read_field(self.current.other())?)
    }

    /// [`energy_gradient`](Self::energy_gradient) left on the GPU: the buffer that holds it
    /// (f32, shaped like the field), which the simulation's next step overwrites. Errors: the
    /// CPU backend.
    pub fn energy_gradient_on_gpu(&mut self, alpha_bar: f32) -> Result<&wgpu::Buffer> {
        if !self.exec.is_gpu() {
            return Err(IdfError::invalid(
                "backend",
                "a gradient on the GPU needs a simulation on a GPU context",
            ));
        }
        self.write_energy_gradient(alpha_bar)?;
        Ok(self
            .exec
            .gpu_buffer(self.current.other())
            .expect("a GPU executor has field buffers"))
    }

    /// Replaces the current field by the start of `values`, a buffer on this simulation's GPU
    /// device (f32, row-major `[chains, channels, height, width]`), by a copy on the device: a
    /// field that never leaves the GPU. Errors: the CPU backend; a buffer shorter than the
    /// field. A buffer of another device is a caller's bug that wgpu reports by panicking.
    pub fn copy_field_from_gpu(&mut self, values: &wgpu::Buffer) -> Result<()> {
        self.exec.copy_field_from(self.current, values)?;
        // Unread, the values may hold anything: no multi-spin coding until set_field says.
        self.spins = false;
        Ok(())
    }

    /// Writes ∇E of the current field at noise level `alpha_bar` into the other field buffer.
    fn write_energy_gradient(&mut self, alpha_bar: f32) -> Result<()> {
        let rule = StepRule::Drift {
            c_x: 0.0,
            c_grad: -1.0,
            c_noise: 0.0,
            alpha_bar,
            temperature: 0.0,
        };
        let params = StepParams {
            c_x: 0.0,
            c_grad: -1.0,
            flags: FLAG_PROPOSAL,
            ..self.base_params(&rule)
        };
        self.exec.execute(&[Dispatch {
            kernel: Kernel::LangevinStep,
            params,
            src: self.current,
            dst: self.current.other(),
            aux: Aux::Scratch,
        }])
    }

    /// The total energy of each chain's current field.
    pub fn energies(&mut self) -> Result<Vec<f64>> {
        Ok(self.chain_stats(None)?.iter().map(|s| s.energy).collect())
    }

    /// Reduces every chain of the current field on the backend (with the entropy of
    /// `histogram`, if given): one dispatch, one read-back.
    pub fn chain_stats(&mut self, histogram: Option<Histogram>) -> Result<Vec<ChainStats>> {
        let saved = self.histogram;
        self.histogram = histogram;
        let trace = self.advance(
            0,
            &|_| StepRule::langevin(0.0, 0.0),
            &|k| k == 0,
            &mut |_, _| {},
        );
        self.histogram = saved;
        let trace = trace?;
        Ok((0..trace.chains)
            .map(|c| {
                let v = |o| trace.value(o, 0, c).unwrap_or(f64::NAN);
                ChainStats {
                    energy: v(Observable::Energy),
                    sum: v(Observable::Sum),
                    mean: v(Observable::Mean),
                    variance: v(Observable::Variance),
                    min: v(Observable::Min),
                    max: v(Observable::Max),
                    density_entropy: v(Observable::DensityEntropy),
                    histogram_entropy: v(Observable::HistogramEntropy),
                }
            })
            .collect())
    }

    /// Per-chain fixed-bin histograms of the current field, counted on the backend:
    /// `chains` vectors of `h.bins` counts.
    pub fn histograms(&mut self, h: Histogram) -> Result<Vec<Vec<u32>>> {
        let params = StepParams {
            hist_lo: h.lo,
            hist_hi: h.hi,
            hist_bins: h.bins,
            ..self.base_params(&StepRule::langevin(0.0, 0.0))
        };
        self.exec.execute(&[Dispatch {
            kernel: Kernel::ChainHistogram,
            params,
            src: self.current,
            dst: self.current.other(),
            aux: Aux::Scratch,
        }])?;
        let bins = h.bins as usize;
        let counts = self.exec.read_scratch(self.shape.chains * bins)?;
        Ok(counts
            .chunks(bins)
            .map(|c| c.iter().map(|v| *v as u32).collect())
            .collect())
    }

    /// Replaces every chain `c` by a copy of chain `ancestors[c]` on the backend.
    pub fn resample(&mut self, ancestors: &[u32]) -> Result<()> {
        let chains = self.shape.chains;
        if ancestors.len() != chains || ancestors.iter().any(|a| *a as usize >= chains) {
            return Err(IdfError::invalid(
                "ancestors",
                format!("need {chains} ancestors, each below {chains}"),
            ));
        }
        let bits: Vec<f32> = ancestors.iter().map(|a| f32::from_bits(*a)).collect();
        let params = self.base_params(&StepRule::langevin(0.0, 0.0));
        self.exec.write_scratch(&bits);
        self.exec.execute(&[Dispatch {
            kernel: Kernel::ResampleChains,
            params,
            src: self.current,
            dst: self.current.other(),
            aux: Aux::Scratch,
        }])?;
        self.current = self.current.other();
        Ok(())
    }

    /// Weights the chains' current energies at `kt` and resamples them (systematic resampling
    /// with offset `u ∈ [0, 1)`); returns the weights.
    pub fn resample_by_weight(
        &mut self,
        ctx: &Context,
        kt: f64,
        u: f64,
    ) -> Result<BoltzmannWeights> {
        let weights = boltzmann_weight(ctx, &self.energies()?, kt)?;
        self.resample(&systematic_resample(&weights.weights(), u))?;
        Ok(weights)
    }
}
