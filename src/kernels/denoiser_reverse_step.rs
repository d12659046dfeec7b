//! The parameters of a learned denoiser's reverse step (`shaders/denoiser_reverse_step.wgsl` ↔
//! `src/cpu/denoiser_reverse_step.rs`): one DDPM or DDIM update of a chunk of the values being
//! sampled, the network's ε̂ given, `x ← c_x·x + c_ε·ε̂ + c_g·g + σ·ξ` (g: an energy's gradient,
//! for energy guidance).

use bytemuck::{Pod, Zeroable};

/// The random stream of a denoiser's sampling noise (IDF's pcg4d keys; the engine's streams
/// are below 8).
pub const STREAM_SAMPLING: u32 = 9;

/// One reverse step of a chunk of `count` values: `x_i ← c_x·x_i + c_eps·ε̂_i + c_grad·g_i +
/// σ·ξ_i`, with `ξ_i = gaussian(rng_draw(offset + i, 0, step, seed, STREAM_SAMPLING))` and `g` an
/// energy's gradient (energy guidance); a zero coefficient drops its term, so the starting
/// noise ([`ReverseStep::start`]) reads neither x nor ε̂, and a step without guidance no g.
///
/// Keep in sync with `struct ReverseStep` in `shaders/denoiser_reverse_step.wgsl`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Pod, Zeroable)]
pub struct ReverseStep {
    /// Values in the chunk (points × coordinates).
    pub count: u32,
    /// The chunk's first value in the whole draw: keys the noise, so that a value's draws do not
    /// depend on the chunking (wraps at 2³²).
    pub offset: u32,
    /// The draw's index: 0 for the starting noise, j + 1 after the j-th reverse step.
    pub step: u32,
    /// The sampling's seed.
    pub seed: u32,
    /// Coefficient of the values.
    pub c_x: f32,
    /// Coefficient of the network's ε̂.
    pub c_eps: f32,
    /// Standard deviation of the added noise.
    pub sigma: f32,
    /// Coefficient of the energy's gradient (0: no guidance).
    pub c_grad: f32,
}

impl ReverseStep {
    /// The starting noise of a chunk: `x_i ← ξ_i` at step 0.
    pub fn start(count: u32, offset: u32, seed: u32) -> Self {
        ReverseStep {
            count,
            offset,
            step: 0,
            seed,
            c_x: 0.0,
            c_eps: 0.0,
            sigma: 1.0,
            c_grad: 0.0,
        }
    }

    /// The same chunk's update at draw `step` with these coefficients (no gradient term).
    pub fn then(self, step: u32, c_x: f32, c_eps: f32, sigma: f32) -> Self {
        ReverseStep {
            step,
            c_x,
            c_eps,
            sigma,
            c_grad: 0.0,
            ..self
        }
    }

    /// The same update with the gradient's term `c_grad·g`.
    pub fn with_gradient(self, c_grad: f32) -> Self {
        ReverseStep { c_grad, ..self }
    }
}
