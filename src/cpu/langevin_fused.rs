//! Twin of `shaders/langevin_fused.wgsl`: `fused_steps` drift-diffusion steps, step k keyed by
//! `step + k`, alternating between `dst` and the scratch buffer so that the last lands in `dst`.

use std::sync::atomic::AtomicU32;

use super::energies::EnergyEval;
use crate::kernels::StepParams;

/// One plain step of the run `e` starts, at step `e.params.step + j`, from `src` into `dst`.
fn one_step(e: &EnergyEval, j: u32, src: &[f32], dst: &mut [f32], status: &[AtomicU32]) {
    let p = StepParams {
        step: e.params.step + j,
        ..*e.params
    };
    let eval = EnergyEval::new(e.twin, e.energy_params, &p, src).with_ladder(e.ladder);
    super::langevin_step::run_fastest(&eval, dst, status);
}

/// Runs the K steps from `e.src`.
pub fn run(e: &EnergyEval, dst: &mut [f32], scratch: &mut [f32], status: &[AtomicU32]) {
    let k = e.params.fused_steps.max(1);
    let scratch = &mut scratch[..e.src.len()];
    // Write the first step where an even number of swaps later leaves the last one in dst.
    let (mut a, mut b): (&mut [f32], &mut [f32]) = if k % 2 == 1 {
        (dst, scratch)
    } else {
        (scratch, dst)
    };
    one_step(e, 0, e.src, a, status);
    for j in 1..k {
        one_step(e, j, a, b, status);
        std::mem::swap(&mut a, &mut b);
    }
}
