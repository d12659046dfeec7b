//! Twin of `shaders/mala_accept.wgsl`: per-chain MALA decisions from the summed terms.

use std::sync::atomic::{AtomicU32, Ordering};

use super::shared::rng::{rng_draw, unit_open_closed, STREAM_ACCEPT};
use crate::kernels::{StepParams, REDUCE_WORKGROUP};

/// Sums `values` in the GPU's order: `REDUCE_WORKGROUP` strided partial sums, then a tree.
pub fn workgroup_sum<const N: usize>(values: impl Fn(usize) -> [f32; N], n: usize) -> [f32; N] {
    let mut partial = [[0.0f32; N]; REDUCE_WORKGROUP];
    for (lid, slot) in partial.iter_mut().enumerate() {
        let mut j = lid;
        while j < n {
            let v = values(j);
            for (s, x) in slot.iter_mut().zip(v) {
                *s += x;
            }
            j += REDUCE_WORKGROUP;
        }
    }
    let mut stride = REDUCE_WORKGROUP / 2;
    while stride > 0 {
        for lid in 0..stride {
            let upper = partial[lid + stride];
            for (s, x) in partial[lid].iter_mut().zip(upper) {
                *s += x;
            }
        }
        stride /= 2;
    }
    partial[0]
}

/// Decides every chain.
pub fn run(p: &StepParams, aux: &[f32], status: &[AtomicU32]) {
    let chains = p.chains as usize;
    let n = aux.len() / chains;
    for chain in 0..chains {
        let start = chain * n;
        let [log_alpha] = workgroup_sum(|j| [aux[start + j]], n);
        let r = rng_draw(0, chain as u32, p.step, p.seed, STREAM_ACCEPT);
        let accepted = unit_open_closed(r[0]).ln() < log_alpha;
        status[1 + chains + chain].store(accepted as u32, Ordering::Relaxed);
        if accepted {
            status[1 + chain].fetch_add(1, Ordering::Relaxed);
        }
    }
}
