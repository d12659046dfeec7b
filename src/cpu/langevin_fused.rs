//! Twin of `shaders/langevin_fused.wgsl`: `fused_steps` drift-diffusion steps, step k keyed by
//! `step + k`, alternating between `dst` and the scratch buffer so that the last lands in `dst`.

use std::sync::atomic::AtomicU32;

use super::energies::{EnergyEval, EnergyTwin};
use crate::kernels::StepParams;

fn one_step(
    twin: &dyn EnergyTwin,
    energy_params: &[f32],
    p: &StepParams,
    src: &[f32],
    dst: &mut [f32],
    status: &[AtomicU32],
) {
    super::langevin_step::run_fastest(&EnergyEval::new(twin, energy_params, p, src), dst, status);
}

/// Runs the K steps.
pub fn run(
    twin: &dyn EnergyTwin,
    energy_params: &[f32],
    p: &StepParams,
    src: &[f32],
    dst: &mut [f32],
    scratch: &mut [f32],
    status: &[AtomicU32],
) {
    let k = p.fused_steps.max(1);
    let scratch = &mut scratch[..src.len()];
    // Write the first step where an even number of swaps later leaves the last one in dst.
    let (mut a, mut b): (&mut [f32], &mut [f32]) = if k % 2 == 1 {
        (dst, scratch)
    } else {
        (scratch, dst)
    };
    one_step(
        twin,
        energy_params,
        &StepParams { step: p.step, ..*p },
        src,
        a,
        status,
    );
    for j in 1..k {
        one_step(
            twin,
            energy_params,
            &StepParams {
                step: p.step + j,
                ..*p
            },
            a,
            b,
            status,
        );
        std::mem::swap(&mut a, &mut b);
    }
}
