//! Twin of `shaders/chain_observables.wgsl` and `shaders/shared/observe.wgsl`: per-chain
//! reductions into the trace, directly or from the block records of long chains. Where the GPU
//! observes several short chains in one workgroup (`observe_lanes`), its reductions are these,
//! bit for bit.

use std::sync::atomic::{AtomicU32, Ordering};

use rayon::prelude::*;

use super::chain_histogram::histogram_bin;
use super::energies::EnergyEval;
use super::shared::reduce::tree;
use crate::kernels::{StepParams, MAX_HIST_BINS, OBSERVABLES, OBSERVE_BLOCK, OBSERVE_WORKGROUP};

/// Adds with Kahan compensation, as each GPU thread does.
#[derive(Clone, Copy)]
pub struct Compensated<const N: usize> {
    sum: [f32; N],
    comp: [f32; N],
}

impl<const N: usize> Default for Compensated<N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize> Compensated<N> {
    /// Zero.
    pub fn new() -> Self {
        Compensated {
            sum: [0.0; N],
            comp: [0.0; N],
        }
    }

    /// Adds one value per component.
    pub fn add(&mut self, v: [f32; N]) {
        for ((sum, comp), x) in self.sum.iter_mut().zip(&mut self.comp).zip(v) {
            let y = x - *comp;
            let t = *sum + y;
            *comp = (t - *sum) - y;
            *sum = t;
        }
    }
}

/// The GPU's reduction order: [`OBSERVE_WORKGROUP`] strided compensated partial sums, then a
/// tree.
pub fn workgroup_sum<const N: usize>(values: impl Fn(usize) -> [f32; N], n: usize) -> [f32; N] {
    let mut partial = [[0.0f32; N]; OBSERVE_WORKGROUP];
    for (lid, slot) in partial.iter_mut().enumerate() {
        let mut acc = Compensated::<N>::new();
        let mut j = lid;
        while j < n {
            acc.add(values(j));
            j += OBSERVE_WORKGROUP;
        }
        *slot = acc.sum;
    }
    tree(&mut partial, |a, b| {
        for (x, y) in a.iter_mut().zip(b) {
            *x += y;
        }
    });
    partial[0]
}

/// Values per block record of `chain_observable_blocks` (the `RUN_*` slots, then the
/// histogram's bins), as in `shaders/shared/observe.wgsl`.
pub const BLOCK_RECORD: usize = 8 + MAX_HIST_BINS as usize;
const RUN_ENERGY: usize = 0;
const RUN_SUM: usize = 1;
const RUN_XLNX: usize = 2;
const RUN_NONPOSITIVE: usize = 3;
const RUN_MIN: usize = 4;
const RUN_MAX: usize = 5;
const RUN_M2: usize = 6;
const RUN_COUNT: usize = 7;
const RUN_BINS: usize = 8;

/// The observables' reductions of a run of sites (a chain, or a block of a long one).
pub struct RunStats {
    /// Energy, Σx, Σ x ln x (x > 0), the count of x ≤ 0.
    pub totals: [f32; 4],
    /// min x.
    pub lo: f32,
    /// max x.
    pub hi: f32,
    /// Σ (x − mean)² about the run's mean.
    pub m2: f32,
    /// The value histogram's counts (`hist_bins` of them).
    pub counts: Vec<u32>,
}

impl RunStats {
    /// Writes the run as a block record.
    pub fn write_record(&self, count: usize, out: &mut [f32]) {
        out[RUN_ENERGY] = self.totals[0];
        out[RUN_SUM] = self.totals[1];
        out[RUN_XLNX] = self.totals[2];
        out[RUN_NONPOSITIVE] = self.totals[3];
        out[RUN_MIN] = self.lo;
        out[RUN_MAX] = self.hi;
        out[RUN_M2] = self.m2;
        out[RUN_COUNT] = count as f32;
        for (slot, c) in out[RUN_BINS..].iter_mut().zip(&self.counts) {
            *slot = *c as f32;
        }
    }
}

/// The reductions of the `n` sites from `start`, in the GPU's order (`observe_run` of
/// `shaders/shared/observe.wgsl`).
pub fn observe_run(e: &EnergyEval, start: usize, n: usize) -> RunStats {
    let p = e.params;
    let totals = workgroup_sum(
        |j| {
            let x = e.src[start + j];
            let positive = x > 0.0;
            [
                e.site_energy(start + j),
                x,
                if positive { x * x.ln() } else { 0.0 },
                if positive { 0.0 } else { 1.0 },
            ]
        },
        n,
    );
    let values = &e.src[start..start + n];
    let mean = totals[1] / n as f32;
    let [m2] = workgroup_sum(
        |j| {
            let d = values[j] - mean;
            [d * d]
        },
        n,
    );
    let mut counts = vec![0u32; p.hist_bins as usize];
    if p.hist_bins > 0 {
        for x in values {
            counts[histogram_bin(*x, p.hist_lo, p.hist_hi, p.hist_bins)] += 1;
        }
    }
    RunStats {
        totals,
        lo: values.iter().fold(3.0e38f32, |a, b| a.min(*b)),
        hi: values.iter().fold(-3.0e38f32, |a, b| a.max(*b)),
        m2,
        counts,
    }
}

/// A chain's reductions from its block records in `records` (`combine_blocks` of
/// `shaders/chain_observables.wgsl`): Σ_b [M2_b + n_b (mean_b − mean)²] for the second moment.
fn combine_blocks(p: &StepParams, records: &[f32], n: usize) -> RunStats {
    let blocks = n.div_ceil(OBSERVE_BLOCK);
    let record = |b: usize| &records[b * BLOCK_RECORD..(b + 1) * BLOCK_RECORD];
    let totals = workgroup_sum(
        |b| {
            let r = record(b);
            [r[RUN_ENERGY], r[RUN_SUM], r[RUN_XLNX], r[RUN_NONPOSITIVE]]
        },
        blocks,
    );
    let mean = totals[1] / n as f32;
    let [m2] = workgroup_sum(
        |b| {
            let r = record(b);
            let d = r[RUN_SUM] / r[RUN_COUNT] - mean;
            [r[RUN_M2] + r[RUN_COUNT] * d * d]
        },
        blocks,
    );
    RunStats {
        totals,
        lo: (0..blocks).fold(3.0e38f32, |a, b| a.min(record(b)[RUN_MIN])),
        hi: (0..blocks).fold(-3.0e38f32, |a, b| a.max(record(b)[RUN_MAX])),
        m2,
        counts: (0..p.hist_bins as usize)
            .map(|bin| (0..blocks).map(|b| record(b)[RUN_BINS + bin] as u32).sum())
            .collect(),
    }
}

/// Writes record `params.record` of the trace, the chains in parallel (each chain's sums in the
/// GPU's order, so the values do not depend on how many chains share the record). Chains of
/// more than [`OBSERVE_BLOCK`] sites combine their block records from `blocks` (the `dst` slot
/// that `chain_observable_blocks` wrote).
pub fn run(e: &EnergyEval, blocks: &[f32], trace: &mut [f32], status: &[AtomicU32]) {
    let p = e.params;
    let chains = p.chains as usize;
    let record = p.record as usize * chains * OBSERVABLES;
    trace[record..record + chains * OBSERVABLES]
        .par_chunks_mut(OBSERVABLES)
        .enumerate()
        .for_each(|(chain, out)| {
            let n = e.lattice.per_chain;
            let stats = if n > OBSERVE_BLOCK {
                combine_blocks(p, &blocks[chain * n..(chain + 1) * n], n)
            } else {
                observe_run(e, chain * n, n)
            };
            write_observables(e, chain, &stats, out, status);
        });
}

/// The observables of one chain into its `OBSERVABLES` slots.
fn write_observables(
    e: &EnergyEval,
    chain: usize,
    s: &RunStats,
    out: &mut [f32],
    status: &[AtomicU32],
) {
    let p = e.params;
    let n = e.lattice.per_chain;
    let chains = p.chains as usize;
    let entropy = if p.hist_bins > 0 {
        s.counts.iter().filter(|c| **c > 0).fold(0.0f32, |acc, c| {
            let q = *c as f32 / n as f32;
            acc - q * q.ln()
        })
    } else {
        f32::NAN
    };
    out[0] = s.totals[0];
    out[1] = s.totals[1];
    out[2] = s.m2;
    out[3] = f32::from_bits(status[1 + chain].swap(0, Ordering::Relaxed));
    out[4] = s.lo;
    out[5] = s.hi;
    out[6] = s.totals[2];
    out[7] = entropy;
    out[8] = f32::from_bits(status[1 + 2 * chains + chain].load(Ordering::Relaxed));
    out[9] = f32::from_bits(s.totals[3] as u32);
    out[10] = e.temperature_of(chain);
}
