//! Twin of `shaders/mala_select.wgsl`: restores the current state where a chain rejected.

use std::sync::atomic::{AtomicU32, Ordering};

use crate::kernels::StepParams;

/// `dst = src` for every chain whose decision was a rejection.
pub fn run(p: &StepParams, src: &[f32], dst: &mut [f32], status: &[AtomicU32]) {
    let chains = p.chains as usize;
    let n = src.len() / chains;
    for chain in 0..chains {
        if status[1 + chains + chain].load(Ordering::Relaxed) == 0 {
            dst[chain * n..(chain + 1) * n].copy_from_slice(&src[chain * n..(chain + 1) * n]);
        }
    }
}
