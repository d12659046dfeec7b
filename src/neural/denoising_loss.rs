//! The denoising score-matching loss of a trained [`Denoiser`] on given points, the objective
//! of Ho et al. 2020 (eq. 14, t uniform whatever timestep power the network trained with): for
//! each point x₀, draws of a timestep t uniform on 1..=T and ε ~ N(0, I), and the mean over coordinates of |ε̂(x_t, t) − ε|² with
//! x_t = √ᾱ_t x₀ + √(1 − ᾱ_t) ε. The draws depend only on the point's position in the list and
//! the seed, so two lists of the same length are scored with the same (t, ε), pair by pair:
//! the difference of a network's loss on held-out points and on its training points, the
//! generalisation gap, is then free of the (large) spread of the loss over t. A network that
//! memorises its training points has a gap well above zero (the same signal as the loss-based
//! membership inference of Carlini et al., *Extracting Training Data from Diffusion Models*,
//! 2023).

use crate::cpu::shared::rng::rng_draw;
use crate::error::{IdfError, Result};
use crate::neural::sampling::{Denoiser, Sampling};
use crate::neural::training::{draw_timestep, push_noised};
use crate::neural::STREAM_DENOISING_LOSS;

/// The loss of `denoiser` on each of the `n = points.len() / D` points (`N × D`), each the mean
/// of `draws` draws of (t, ε) keyed by (position, draw, seed); `rows` gives each point's
/// conditions (`N × C`; `None`: unconditional). Errors: points that are not whole, rows of the
/// wrong length, no draws.
pub fn denoising_losses(
    denoiser: &Denoiser,
    points: &[f32],
    rows: Option<&[f32]>,
    draws: usize,
    seed: u32,
) -> Result<Vec<f64>> {
    let shape = denoiser.shape();
    let (d, c) = (shape.dim, shape.conditions);
    if points.is_empty() || !points.len().is_multiple_of(d) {
        return Err(IdfError::invalid(
            "points",
            format!(
                "{} values are no whole number of {d}-coordinate points",
                points.len()
            ),
        ));
    }
    let n = points.len() / d;
    if let Some(rows) = rows {
        if rows.len() != n * c {
            return Err(IdfError::invalid(
                "conditions",
                format!("{} values for {n} points of {c} conditions", rows.len()),
            ));
        }
    }
    if draws == 0 {
        return Err(IdfError::invalid(
            "draws",
            "expected at least 1 draw per point",
        ));
    }
    let steps = denoiser.schedule().timesteps();
    let mut losses = vec![0f64; n];
    let chunk = Sampling::DEFAULT_BATCH;
    for draw in 0..draws {
        for first in (0..n).step_by(chunk) {
            let count = chunk.min(n - first);
            let key = |i: usize, word: usize| {
                rng_draw(
                    i as u32,
                    word as u32,
                    draw as u32,
                    seed,
                    STREAM_DENOISING_LOSS,
                )
            };
            let mut ts = Vec::with_capacity(count);
            let mut x_t = Vec::with_capacity(count * d);
            let mut epsilon = Vec::with_capacity(count * d);
            for i in first..first + count {
                let t = draw_timestep(key(i, 0)[0], steps, 1.0);
                push_noised(
                    &points[i * d..(i + 1) * d],
                    denoiser.schedule().alpha_bar(t),
                    |k| key(i, 1 + k),
                    &mut x_t,
                    &mut epsilon,
                );
                ts.push(t);
            }
            let chunk_rows = rows.map(|r| &r[first * c..(first + count) * c]);
            let predicted = denoiser.predict_at(&x_t, &ts, chunk_rows);
            for (j, (p, e)) in predicted
                .chunks_exact(d)
                .zip(epsilon.chunks_exact(d))
                .enumerate()
            {
                let square: f64 = p
                    .iter()
                    .zip(e)
                    .map(|(&p, &e)| ((p - e) as f64).powi(2))
                    .sum();
                losses[first + j] += square / d as f64 / draws as f64;
            }
        }
    }
    Ok(losses)
}
