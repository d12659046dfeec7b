//! Multi-spin coding in [`Simulation`]: when runs of sweeps of Ising spins pack into `u32`
//! words (32 spins of one colour each), and how they are recorded. The sweeps take the plain
//! `metropolis_sweep`'s decisions, so the field and trace are the same either way.

use super::Simulation;
use crate::engine::energies::Sweep;
use crate::engine::step_rule::StepRule;
use crate::kernels::{Dispatch, StepParams, MULTISPIN_SITES_PER_WORD};

/// The most sweeps between one packing of a field into multi-spin words and its unpacking.
pub(super) const MAX_MULTISPIN_RUN: u64 = 256;

impl Simulation {
    /// Whether Metropolis and heat-bath sweeps of Ising spins may run in multi-spin coding (on
    /// by default): 32 spins of one colour per `u32` word, packed before a run of sweeps and
    /// unpacked at its end (`shaders/multispin_sweep.wgsl`). The sweeps take the same decisions
    /// as the plain `metropolis_sweep`, so the field, trace and acceptance are the same either
    /// way; the packed sweep moves a bit per spin instead of two floats. It applies, on every
    /// backend, to energies whose module declares it (`ising`), fields whose width is a
    /// multiple of 64, whose height is even (a checkerboard on the torus) and whose every value
    /// is ±1.
    pub fn set_multispin(&mut self, on: bool) {
        self.multispin = on;
    }

    /// Sweeps taken in multi-spin coding so far.
    pub fn multispin_sweeps(&self) -> u64 {
        self.multispin_sweeps
    }

    /// How many sweeps from step `i` run in multi-spin coding, at most `max` (0: none, the
    /// plain path). A run ends before an observation and at a step that is not a sweep.
    pub(super) fn multispin_run(
        &self,
        i: u64,
        n: u64,
        max: u64,
        rule_of: &dyn Fn(u64) -> StepRule,
        record_at: &dyn Fn(u64) -> bool,
    ) -> u64 {
        let applies = self.multispin
            && self.spins
            && self.model.module().multispin
            && self.model.sweep() == Sweep::Colors(2)
            && self.shape.width.is_multiple_of(MULTISPIN_SITES_PER_WORD)
            && self.shape.height.is_multiple_of(2)
            && rule_of(i).is_sweep();
        if !applies {
            return 0;
        }
        let mut run = 1;
        while run < max && i + run < n && !record_at(i + run) && rule_of(i + run).is_sweep() {
            run += 1;
        }
        run
    }

    /// Records `run` sweeps from step `i` in multi-spin coding and advances the step counter.
    pub(super) fn push_multispin(
        &mut self,
        i: u64,
        run: u64,
        rule_of: &dyn Fn(u64) -> StepRule,
        out: &mut Vec<Dispatch>,
    ) {
        let sweeps: Vec<(StepRule, StepParams)> = (i..i + run)
            .map(|j| {
                let rule = rule_of(j);
                let base = StepParams {
                    step: (self.step + j - i) as u32,
                    ..self.base_params(&rule)
                };
                (rule, base)
            })
            .collect();
        StepRule::record_multispin(&sweeps, self.current, out);
        self.step += run;
        self.multispin_sweeps += run;
    }
}

/// Whether every value is exactly +1 or −1 (a field multi-spin coding keeps exactly).
pub(super) fn is_spins(values: &[f32]) -> bool {
    values.iter().all(|v| v.abs() == 1.0)
}
