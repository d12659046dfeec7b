//! [`PointDenoiser`]: the ε-prediction network for point data `[B, D]` (a map is a point of
//! D = C·H·W coordinates). An MLP whose hidden layers are modulated by FiLM (Perez et al. 2018):
//! each layer's activations are scaled by `1 + γ` and shifted by `β`, with `(γ, β)` a linear
//! map of the timestep embedding, the conditioning vector and a flag saying whether the
//! condition is given (classifier-free guidance trains with it dropped).
//!
//! The network is preconditioned by the data's per-coordinate mean m and variance v
//! ([`DataStatistics`], [`Preconditioner`]), in the spirit of Karras et al., *Elucidating the
//! Design Space of Diffusion-Based Generative Models* (2022): it sees `x_t / s_t` with
//! `s_t² = ᾱ_t v + 1 − ᾱ_t` (unit variance at every t), and its output F, scaled by
//! `c_out = √(ᾱ_t v) / s_t`, is added to the exact ε of the Gaussian with that mean and variance:
//! `ε̂ = √(1 − ᾱ_t) (x_t − √ᾱ_t m) / s_t² + c_out F`. It thus learns only how the data departs
//! from that Gaussian, a departure that shrinks as √ᾱ_t at high noise, as c_out does (Karras et
//! al.'s c_out and c_skip written for ε). The first reverse steps of the cosine schedule
//! multiply ε's error by β_t / √(α_t (1 − ᾱ_t)), about 32 at t = T: there F's error is
//! multiplied by c_out ≈ √ᾱ_T instead of passed on whole.

use burn::nn::{Linear, LinearConfig};
use burn::prelude::*;
use burn::tensor::activation::silu;

use crate::error::{IdfError, Result};
use crate::neural::embedding::timestep_embedding;

/// The sizes of a [`PointDenoiser`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DenoiserShape {
    /// D: coordinates per point.
    pub dim: usize,
    /// C: conditioning values per point (0 for none).
    pub conditions: usize,
    /// Hidden width.
    pub width: usize,
    /// Hidden layers.
    pub depth: usize,
    /// Timestep-embedding size (even).
    pub embedding: usize,
}

impl Default for DenoiserShape {
    fn default() -> Self {
        DenoiserShape {
            dim: 2,
            conditions: 0,
            width: 128,
            depth: 2,
            embedding: 32,
        }
    }
}

impl DenoiserShape {
    /// Checks the sizes, naming the `Diffusion` key of a bad one.
    pub fn check(&self) -> Result<()> {
        let named = [
            ("dim", self.dim, 1, 1 << 20),
            ("denoiserWidth", self.width, 1, 4096),
            ("denoiserDepth", self.depth, 1, 16),
            ("embedding", self.embedding, 2, 1024),
        ];
        for (name, value, least, most) in named {
            if !(least..=most).contains(&value) {
                return Err(IdfError::invalid(
                    name,
                    format!("expected {least} to {most}, got {value}"),
                ));
            }
        }
        if self.embedding % 2 == 1 {
            return Err(IdfError::invalid(
                "embedding",
                format!(
                    "{} is odd; the sinusoidal embedding needs pairs",
                    self.embedding
                ),
            ));
        }
        Ok(())
    }
}

/// The ε-prediction MLP with FiLM conditioning.
#[derive(Module, Debug)]
pub struct PointDenoiser {
    input: Linear,
    hidden: Vec<Linear>,
    film: Vec<Linear>,
    output: Linear,
    width: usize,
    embedding: usize,
}

impl PointDenoiser {
    /// A network of `shape` with fresh weights on `device` (drawn lazily, on first use).
    pub fn new(shape: &DenoiserShape, device: &Device) -> Self {
        let film_in = shape.embedding + shape.conditions + 1;
        PointDenoiser {
            input: LinearConfig::new(shape.dim, shape.width).init(device),
            hidden: (1..shape.depth.max(1))
                .map(|_| LinearConfig::new(shape.width, shape.width).init(device))
                .collect(),
            film: (0..shape.depth.max(1))
                .map(|_| LinearConfig::new(film_in, 2 * shape.width).init(device))
                .collect(),
            output: LinearConfig::new(shape.width, shape.dim).init(device),
            width: shape.width,
            embedding: shape.embedding,
        }
    }

    /// The raw network output for scaled inputs `x` (`[B, D]`) at times `s` (`[B, 1]`, t/T)
    /// with conditions `c` (`[B, C]`) and `given` (`[B, 1]`: 1 where the condition is given, 0
    /// where dropped).
    pub fn forward(&self, x: Tensor<2>, s: Tensor<2>, c: Tensor<2>, given: Tensor<2>) -> Tensor<2> {
        let context = Tensor::cat(
            vec![
                timestep_embedding(s, self.embedding),
                c * given.clone(),
                given,
            ],
            1,
        );
        let mut h = self.input.forward(x);
        for (k, film) in self.film.iter().enumerate() {
            if k > 0 {
                h = self.hidden[k - 1].forward(h);
            }
            let gamma_beta = film.forward(context.clone());
            let gamma = gamma_beta.clone().narrow(1, 0, self.width);
            let beta = gamma_beta.narrow(1, self.width, self.width);
            h = silu(h * (gamma + 1.0) + beta);
        }
        self.output.forward(h)
    }
}

/// The per-coordinate mean and variance of the training data (D values each).
#[derive(Clone, Debug, PartialEq)]
pub struct DataStatistics {
    /// m: the mean of each coordinate.
    pub mean: Vec<f32>,
    /// v: the variance of each coordinate (floored at 1e-6, so a constant coordinate divides
    /// by nothing small).
    pub variance: Vec<f32>,
}

impl DataStatistics {
    /// The statistics of `samples` (`N × dim`, row-major), accumulated in f64.
    pub fn of(samples: &[f32], dim: usize) -> Self {
        let n = (samples.len() / dim.max(1)).max(1) as f64;
        let mut sum = vec![0f64; dim];
        let mut square = vec![0f64; dim];
        for row in samples.chunks_exact(dim) {
            for (k, &v) in row.iter().enumerate() {
                sum[k] += v as f64;
                square[k] += (v as f64) * (v as f64);
            }
        }
        let mean: Vec<f64> = sum.iter().map(|s| s / n).collect();
        DataStatistics {
            mean: mean.iter().map(|&m| m as f32).collect(),
            variance: square
                .iter()
                .zip(&mean)
                .map(|(q, m)| ((q / n - m * m).max(1e-6)) as f32)
                .collect(),
        }
    }
}

/// [`DataStatistics`] as `[1, D]` tensors on one device, and the preconditioned ε̂.
pub struct Preconditioner {
    mean: Tensor<2>,
    variance: Tensor<2>,
}

impl Preconditioner {
    /// The statistics on `device`.
    pub fn new(statistics: &DataStatistics, device: &Device) -> Self {
        let row = |values: &[f32]| {
            Tensor::<2>::from_data(TensorData::new(values.to_vec(), [1, values.len()]), device)
        };
        Preconditioner {
            mean: row(&statistics.mean),
            variance: row(&statistics.variance),
        }
    }

    /// ε̂ of `net` for `x_t` (`[B, D]`) at times `s` (`[B, 1]`, t/T) with `alpha_bar`
    /// (`[B, 1]`, ᾱ_t), conditions `c` and flags `given` as in [`PointDenoiser::forward`].
    pub fn epsilon(
        &self,
        net: &PointDenoiser,
        x: Tensor<2>,
        s: Tensor<2>,
        alpha_bar: Tensor<2>,
        c: Tensor<2>,
        given: Tensor<2>,
    ) -> Tensor<2> {
        let noise = alpha_bar.clone().neg().add_scalar(1.0);
        // s_t² = ᾱ v + 1 − ᾱ, [B, D].
        let scale2 = alpha_bar.clone() * self.variance.clone() + noise.clone();
        let scale = scale2.clone().sqrt();
        let gaussian =
            (x.clone() - alpha_bar.clone().sqrt() * self.mean.clone()) * noise.sqrt() / scale2;
        // c_out = √(ᾱ v) / s_t: 1 at t = 0, → √ᾱ at high noise, where the departure from the
        // Gaussian shrinks as √ᾱ too.
        let out = (alpha_bar * self.variance.clone()).sqrt() / scale.clone();
        gaussian + out * net.forward(x / scale, s, c, given)
    }
}
