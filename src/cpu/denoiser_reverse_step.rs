//! Twin of `shaders/denoiser_reverse_step.wgsl`: one reverse step of a learned denoiser's
//! sampler on a chunk of values, the network's ε̂ (and, with energy guidance, the energy's
//! gradient) given.

use crate::cpu::shared::rng::{gaussian, rng_draw};
use crate::kernels::denoiser_reverse_step::{ReverseStep, STREAM_SAMPLING};

/// Value `i` of the chunk after the step: `c_x·x + c_eps·ε̂ + c_grad·g + σ·ξ_i`, each term only
/// where its coefficient is nonzero, summed in that order.
pub fn value(p: &ReverseStep, i: u32, x: f32, eps: f32, grad: f32) -> f32 {
    let mut v = 0.0;
    if p.c_x != 0.0 {
        v = p.c_x * x;
    }
    if p.c_eps != 0.0 {
        v += p.c_eps * eps;
    }
    if p.c_grad != 0.0 {
        v += p.c_grad * grad;
    }
    if p.sigma != 0.0 {
        let draw = rng_draw(p.offset.wrapping_add(i), 0, p.step, p.seed, STREAM_SAMPLING);
        v += p.sigma * gaussian(draw);
    }
    v
}

/// Runs the step on the chunk's values `x` (the first `p.count`) with their ε̂ `eps` and the
/// energy's gradient `grad` (each not read where its coefficient is 0: it may then be empty).
/// Panics: `eps` or `grad` shorter than `x` where its coefficient is not 0.
pub fn run(p: &ReverseStep, x: &mut [f32], eps: &[f32], grad: &[f32]) {
    for (i, v) in x.iter_mut().take(p.count as usize).enumerate() {
        let e = if p.c_eps != 0.0 { eps[i] } else { 0.0 };
        let g = if p.c_grad != 0.0 { grad[i] } else { 0.0 };
        *v = value(p, i as u32, *v, e, g);
    }
}
