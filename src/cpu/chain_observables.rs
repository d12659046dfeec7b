//! Twin of `shaders/chain_observables.wgsl`: per-chain energy, Σx, Σx² and acceptance into the trace.

use std::sync::atomic::{AtomicU32, Ordering};

use super::energies::EnergyEval;
use super::mala_accept::workgroup_sum;
use crate::kernels::OBSERVABLES;

/// Writes record `params.record` of the trace.
pub fn run(e: &EnergyEval, trace: &mut [f32], status: &[AtomicU32]) {
    let p = e.params;
    let n = e.lattice.per_chain;
    for chain in 0..p.chains as usize {
        let start = chain * n;
        let [energy, sum, sum_sq] = workgroup_sum(
            |j| {
                let x = e.src[start + j];
                [e.site_energy(start + j), x, x * x]
            },
            n,
        );
        let out = (p.record as usize * p.chains as usize + chain) * OBSERVABLES;
        trace[out] = energy;
        trace[out + 1] = sum;
        trace[out + 2] = sum_sq;
        trace[out + 3] = f32::from_bits(status[1 + chain].swap(0, Ordering::Relaxed));
    }
}
