//! Twin of `shaders/boltzmann_weight.wgsl`: normalised Boltzmann log-weights, ln Z and the ESS.

use super::shared::reduce::tree;
use crate::kernels::{StepParams, REDUCE_WORKGROUP};

fn strided(n: usize, init: f32, f: impl Fn(f32, usize) -> f32) -> [f32; REDUCE_WORKGROUP] {
    let mut partial = [init; REDUCE_WORKGROUP];
    for (lid, slot) in partial.iter_mut().enumerate() {
        let mut i = lid;
        while i < n {
            *slot = f(*slot, i);
            i += REDUCE_WORKGROUP;
        }
    }
    partial
}

/// Weights the energies in `src` into `dst`; `aux[0] = ln Z`, `aux[1] = ESS`.
pub fn run(p: &StepParams, src: &[f32], dst: &mut [f32], aux: &mut [f32]) {
    let n = src.len();
    let beta = 1.0 / p.temperature;
    let mut partial = strided(n, -3.0e38, |a, i| a.max(-src[i] * beta));
    tree(&mut partial, |a, b| *a = a.max(b));
    let top = partial[0];
    let mut partial = strided(n, 0.0, |a, i| a + (-src[i] * beta - top).exp());
    tree(&mut partial, |a, b| *a += b);
    let log_s = partial[0].ln();
    for (out, e) in dst.iter_mut().zip(src) {
        *out = (-e * beta - top) - log_s;
    }
    let mut partial = strided(n, 0.0, |a, i| a + (2.0 * dst[i]).exp());
    tree(&mut partial, |a, b| *a += b);
    aux[0] = top + log_s;
    aux[1] = 1.0 / partial[0];
}
