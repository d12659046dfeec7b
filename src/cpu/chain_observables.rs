//! Twin of `shaders/chain_observables.wgsl`: per-chain reductions into the trace.

use std::sync::atomic::{AtomicU32, Ordering};

use rayon::prelude::*;

use super::chain_histogram::histogram_bin;
use super::energies::EnergyEval;
use super::shared::reduce::tree;
use crate::kernels::{OBSERVABLES, REDUCE_WORKGROUP};

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

/// The GPU's reduction order: `REDUCE_WORKGROUP` strided compensated partial sums, then a tree.
pub fn workgroup_sum<const N: usize>(values: impl Fn(usize) -> [f32; N], n: usize) -> [f32; N] {
    let mut partial = [[0.0f32; N]; REDUCE_WORKGROUP];
    for (lid, slot) in partial.iter_mut().enumerate() {
        let mut acc = Compensated::<N>::new();
        let mut j = lid;
        while j < n {
            acc.add(values(j));
            j += REDUCE_WORKGROUP;
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

/// Writes record `params.record` of the trace, the chains in parallel (each chain's sums in the
/// GPU's order, so the values do not depend on how many chains share the record).
pub fn run(e: &EnergyEval, trace: &mut [f32], status: &[AtomicU32]) {
    let p = e.params;
    let chains = p.chains as usize;
    let record = p.record as usize * chains * OBSERVABLES;
    trace[record..record + chains * OBSERVABLES]
        .par_chunks_mut(OBSERVABLES)
        .enumerate()
        .for_each(|(chain, out)| observe_chain(e, chain, out, status));
}

/// The observables of one chain into its `OBSERVABLES` slots.
fn observe_chain(e: &EnergyEval, chain: usize, out: &mut [f32], status: &[AtomicU32]) {
    let p = e.params;
    let n = e.lattice.per_chain;
    let chains = p.chains as usize;
    let start = chain * n;
    let [energy, sum, xlnx, nonpositive] = workgroup_sum(
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
    let chain_values = &e.src[start..start + n];
    let lo = chain_values.iter().fold(3.0e38f32, |a, b| a.min(*b));
    let hi = chain_values.iter().fold(-3.0e38f32, |a, b| a.max(*b));
    let mean = sum / n as f32;
    let [m2] = workgroup_sum(
        |j| {
            let d = e.src[start + j] - mean;
            [d * d]
        },
        n,
    );
    let entropy = if p.hist_bins > 0 {
        let mut counts = vec![0u32; p.hist_bins as usize];
        for x in chain_values {
            counts[histogram_bin(*x, p.hist_lo, p.hist_hi, p.hist_bins)] += 1;
        }
        counts.iter().filter(|c| **c > 0).fold(0.0f32, |s, c| {
            let q = *c as f32 / n as f32;
            s - q * q.ln()
        })
    } else {
        f32::NAN
    };
    out[0] = energy;
    out[1] = sum;
    out[2] = m2;
    out[3] = f32::from_bits(status[1 + chain].swap(0, Ordering::Relaxed));
    out[4] = lo;
    out[5] = hi;
    out[6] = xlnx;
    out[7] = entropy;
    out[8] = f32::from_bits(status[1 + 2 * chains + chain].load(Ordering::Relaxed));
    out[9] = f32::from_bits(nonpositive as u32);
    out[10] = e.temperature_of(chain);
}
