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

use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::{Linear, LinearConfig};
use burn::prelude::*;
use burn::tensor::activation::silu;

use crate::error::{IdfError, Result};
use crate::neural::embedding::timestep_embedding;

/// Which network predicts ε.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NetworkKind {
    /// [`PointDenoiser`]: an MLP on the flattened point (any data).
    Mlp,
    /// [`MapDenoiser`]: a small U-Net on the map [C, H, W] with periodic padding (fields).
    UNet,
}

impl NetworkKind {
    /// `mlp` or `unet`, as `Diffusion.denoiserNetwork` and checkpoints spell it.
    pub fn name(self) -> &'static str {
        match self {
            NetworkKind::Mlp => "mlp",
            NetworkKind::UNet => "unet",
        }
    }
}

impl std::str::FromStr for NetworkKind {
    type Err = IdfError;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "mlp" => Ok(NetworkKind::Mlp),
            "unet" => Ok(NetworkKind::UNet),
            other => Err(IdfError::invalid(
                "denoiserNetwork",
                format!("`{other}` is not mlp or unet"),
            )),
        }
    }
}

/// The sizes of a denoising network.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DenoiserShape {
    /// D: coordinates per point (C·H·W of a map).
    pub dim: usize,
    /// C: conditioning values per point (0 for none).
    pub conditions: usize,
    /// Hidden width of the MLP.
    pub width: usize,
    /// Hidden layers of the MLP.
    pub depth: usize,
    /// Timestep-embedding size (even).
    pub embedding: usize,
    /// The network.
    pub network: NetworkKind,
    /// A point as a map [C, H, W] (the U-Net's input; C·H·W = D).
    pub map: [usize; 3],
    /// The U-Net's channels at full resolution (twice that at half).
    pub channels: usize,
}

impl Default for DenoiserShape {
    fn default() -> Self {
        DenoiserShape {
            dim: 2,
            conditions: 0,
            width: 128,
            depth: 2,
            embedding: 32,
            network: NetworkKind::Mlp,
            map: [2, 1, 1],
            channels: 32,
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
            ("denoiserChannels", self.channels, 1, 512),
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
        if self.network == NetworkKind::UNet && self.map.iter().product::<usize>() != self.dim {
            return Err(IdfError::invalid(
                "denoiserNetwork",
                format!(
                    "the U-Net's map {:?} does not hold the data's {} coordinates",
                    self.map, self.dim
                ),
            ));
        }
        Ok(())
    }
}

/// The network: an MLP or a U-Net, both with FiLM conditioning.
// One network exists per model: the size of the variants does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Module, Debug)]
pub enum Network {
    /// The MLP.
    Mlp(PointDenoiser),
    /// The U-Net.
    UNet(MapDenoiser),
}

impl Network {
    /// A network of `shape` with fresh weights on `device` (drawn lazily, on first use).
    pub fn new(shape: &DenoiserShape, device: &Device) -> Self {
        match shape.network {
            NetworkKind::Mlp => Network::Mlp(PointDenoiser::new(shape, device)),
            NetworkKind::UNet => Network::UNet(MapDenoiser::new(shape, device)),
        }
    }

    /// The raw output for scaled points `x` (`[B, D]`), as [`PointDenoiser::forward`].
    pub fn forward(&self, x: Tensor<2>, s: Tensor<2>, c: Tensor<2>, given: Tensor<2>) -> Tensor<2> {
        match self {
            Network::Mlp(net) => net.forward(x, s, c, given),
            Network::UNet(net) => net.forward(x, s, c, given),
        }
    }
}

/// The FiLM context of a batch: `[timestep embedding, c · given, given]`.
fn film_context(s: Tensor<2>, c: Tensor<2>, given: Tensor<2>, embedding: usize) -> Tensor<2> {
    Tensor::cat(
        vec![timestep_embedding(s, embedding), c * given.clone(), given],
        1,
    )
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
        let context = film_context(s, c, given, self.embedding);
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

/// `x` padded by `p` cells on each side with the opposite edge's values (the lattice is
/// periodic; burn's padding modes are constant, reflect and edge), `p` ≤ H, W.
fn pad_periodic(x: Tensor<4>, p: usize) -> Tensor<4> {
    let [_, _, h, w] = x.dims();
    let x = Tensor::cat(
        vec![x.clone().narrow(3, w - p, p), x.clone(), x.narrow(3, 0, p)],
        3,
    );
    Tensor::cat(
        vec![x.clone().narrow(2, h - p, p), x.clone(), x.narrow(2, 0, p)],
        2,
    )
}

/// A 3×3 convolution of the periodic lattice from `from` to `to` channels.
fn periodic_conv(from: usize, to: usize, device: &Device) -> Conv2d {
    Conv2dConfig::new([from, to], [3, 3]).init(device)
}

/// A residual block: `x + conv(silu(FiLM(conv(silu(x)))))`, the FiLM scale and shift per
/// channel from the context; a 1×1 convolution matches the channels of `x` when they change.
#[derive(Module, Debug)]
pub struct ResidualBlock {
    first: Conv2d,
    second: Conv2d,
    film: Linear,
    skip: Option<Conv2d>,
    channels: usize,
}

impl ResidualBlock {
    fn new(from: usize, to: usize, context: usize, device: &Device) -> Self {
        ResidualBlock {
            first: periodic_conv(from, to, device),
            second: periodic_conv(to, to, device),
            film: LinearConfig::new(context, 2 * to).init(device),
            skip: (from != to).then(|| Conv2dConfig::new([from, to], [1, 1]).init(device)),
            channels: to,
        }
    }

    fn forward(&self, x: Tensor<4>, context: Tensor<2>) -> Tensor<4> {
        let c = self.channels;
        let h = self.first.forward(pad_periodic(silu(x.clone()), 1));
        let gamma_beta = self.film.forward(context);
        let [b, _] = gamma_beta.dims();
        let gamma = gamma_beta.clone().narrow(1, 0, c).reshape([b, c, 1, 1]);
        let beta = gamma_beta.narrow(1, c, c).reshape([b, c, 1, 1]);
        let h = self
            .second
            .forward(pad_periodic(silu(h * (gamma + 1.0) + beta), 1));
        match &self.skip {
            Some(conv) => conv.forward(x) + h,
            None => x + h,
        }
    }
}

/// The ε-prediction U-Net for maps `[C, H, W]` (Ronneberger et al. 2015, as Ho et al. 2020 use
/// it, reduced to two levels): a 3×3 convolution to K channels, a residual block, and, when H
/// and W are even, a residual block of 2K channels at half resolution (2×2 means) whose output,
/// upsampled (nearest), joins the full-resolution features for a last residual block; then a
/// 3×3 convolution back to C. Every convolution pads periodically, so the network commutes
/// with translations of the lattice by whole cells of the coarsest level.
#[derive(Module, Debug)]
pub struct MapDenoiser {
    input: Conv2d,
    down: ResidualBlock,
    middle: Option<ResidualBlock>,
    up: Option<ResidualBlock>,
    output: Conv2d,
    map: [usize; 3],
    embedding: usize,
}

impl MapDenoiser {
    /// A U-Net of `shape` (its `map`, `channels`, `embedding`, `conditions`) on `device`.
    pub fn new(shape: &DenoiserShape, device: &Device) -> Self {
        let [c, h, w] = shape.map;
        let k = shape.channels;
        let context = shape.embedding + shape.conditions + 1;
        let two_levels = h % 2 == 0 && w % 2 == 0 && h >= 2 && w >= 2;
        MapDenoiser {
            input: periodic_conv(c, k, device),
            down: ResidualBlock::new(k, k, context, device),
            middle: two_levels.then(|| ResidualBlock::new(k, 2 * k, context, device)),
            up: two_levels.then(|| ResidualBlock::new(3 * k, k, context, device)),
            output: periodic_conv(k, c, device),
            map: shape.map,
            embedding: shape.embedding,
        }
    }

    /// The raw output for scaled maps `x` (`[B, C·H·W]`), as [`PointDenoiser::forward`].
    pub fn forward(&self, x: Tensor<2>, s: Tensor<2>, c: Tensor<2>, given: Tensor<2>) -> Tensor<2> {
        let context = film_context(s, c, given, self.embedding);
        let [b, d] = x.dims();
        let [channels, h, w] = self.map;
        let x = x.reshape([b, channels, h, w]);
        let full = self
            .down
            .forward(self.input.forward(pad_periodic(x, 1)), context.clone());
        let features = match (&self.middle, &self.up) {
            (Some(middle), Some(up)) => {
                let k = full.dims()[1];
                let coarse = full
                    .clone()
                    .reshape([b, k, h / 2, 2, w / 2, 2])
                    .mean_dim(5)
                    .mean_dim(3)
                    .reshape([b, k, h / 2, w / 2]);
                let coarse = middle.forward(coarse, context.clone());
                let fine = coarse
                    .reshape([b, 2 * k, h / 2, 1, w / 2, 1])
                    .expand([b, 2 * k, h / 2, 2, w / 2, 2])
                    .reshape([b, 2 * k, h, w]);
                up.forward(Tensor::cat(vec![fine, full], 1), context)
            }
            _ => full,
        };
        self.output
            .forward(pad_periodic(silu(features), 1))
            .reshape([b, d])
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
#[derive(Clone, Debug)]
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
        net: &Network,
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
