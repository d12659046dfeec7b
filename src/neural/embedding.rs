//! The sinusoidal timestep embedding (Vaswani et al. 2017, as Ho et al. 2020 use it): a time
//! s ∈ [0, 1] becomes `[sin(1000 s ω_k), cos(1000 s ω_k)]` for `ω_k = 10000^(−k/h)`,
//! k = 0..h, h = dim / 2.

use burn::prelude::*;

/// The embedding of times `s` (`[B, 1]`, in [0, 1]): `[B, dim]`, `dim` even.
pub fn timestep_embedding(s: Tensor<2>, dim: usize) -> Tensor<2> {
    let half = dim / 2;
    let frequencies: Vec<f32> = (0..half)
        .map(|k| (-(k as f32) / half as f32 * 10000f32.ln()).exp())
        .collect();
    let frequencies = Tensor::<2>::from_data(TensorData::new(frequencies, [1, half]), &s.device());
    let angles = s.mul_scalar(1000.0).matmul(frequencies);
    Tensor::cat(vec![angles.clone().sin(), angles.cos()], 1)
}
