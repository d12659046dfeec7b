//! Twin of `shaders/replica_swap.wgsl`: neighbour swaps on the temperature ladder.

use super::shared::rng::{rng_draw, unit_closed_open};
use crate::kernels::{StepParams, OBSERVABLES, OBS_ENERGY};

/// Stream of replica-swap decisions.
pub const STREAM_SWAP: u32 = 4;

/// Runs the swaps of pairs of parity `params.parity` using trace record `params.record`.
pub fn run(p: &StepParams, trace: &[f32], ladder: &mut [u32]) {
    let c = p.chains as usize;
    let mut k = p.parity as usize;
    while k + 1 < c {
        let (i, j) = (ladder[c + k] as usize, ladder[c + k + 1] as usize);
        let (ti, tj) = (f32::from_bits(ladder[i]), f32::from_bits(ladder[j]));
        let energy =
            |chain: usize| trace[(p.record as usize * c + chain) * OBSERVABLES + OBS_ENERGY];
        let delta = (1.0 / ti - 1.0 / tj) * (energy(i) - energy(j));
        let r = rng_draw(k as u32, 0, p.step, p.seed, STREAM_SWAP);
        ladder[2 * c + k] += 1;
        if delta >= 0.0 || unit_closed_open(r[0]) < delta.exp() {
            ladder[i] = tj.to_bits();
            ladder[j] = ti.to_bits();
            ladder[c + k] = j as u32;
            ladder[c + k + 1] = i as u32;
            ladder[3 * c + k] += 1;
        }
        k += 2;
    }
    let coldest = ladder[c] as usize;
    if ladder[4 * c + coldest] == 2 {
        ladder[5 * c + coldest] += 1;
    }
    ladder[4 * c + coldest] = 1;
    let hottest = ladder[2 * c - 1] as usize;
    ladder[4 * c + hottest] = 2;
}
