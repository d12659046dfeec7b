//! The spectral kernels' shared layout (`shaders/spectral/`, twins in `cpu/spectral/`):
//! [`SpectralParams`], the uniform of every spectral kernel (keep in sync with
//! `struct SpectralParams` in `shaders/spectral/bindings.wgsl`), and the buffers they share.
//!
//! Fields are periodic `height × width` grids (powers of two), `chains` of them side by side,
//! row-major. Buffers, in binding order after the uniform:
//! 1. `state`: the evolved fields, `[chains][2][height·width]` (Hasegawa–Wakatani: n, then ζ);
//! 2. `stage`: the state a right-hand side is evaluated at (a Runge–Kutta stage);
//! 3. `accum`: the Runge–Kutta sum so far;
//! 4. `rhs`: the right-hand side at `stage`;
//! 5. `phi`: the potential, `[chains][height·width]`;
//! 6. `spec_a`, 7. `spec_b`: complex work arrays `[chains][height·width]` of `vec2<f32>`, between
//!    which the FFT's passes ping-pong;
//! 8. `twiddle`: e^{−2πij/width} for j < width/2, then e^{−2πij/height} for j < height/2,
//!    computed in double precision on the host (the same numbers on both backends);
//! 9. `chain_params`: [`CHAIN_PARAMS`] values per chain (see [`ChainParams`]).

use bytemuck::{Pod, Zeroable};

/// Flag: the FFT pass runs backwards (conjugate twiddles; no 1/N, which `store_potential` and
/// readers apply).
pub const SPECTRAL_INVERSE: u32 = 1;
/// Flag: the pass reads `spec_b` and writes `spec_a` (else the other way).
pub const SPECTRAL_FLIP: u32 = 2;
/// Flag (Hasegawa–Wakatani): the modified model, whose coupling α(φ − n) acts on the
/// non-zonal parts only (the zonal part: the average over y at each x).
pub const SPECTRAL_MODIFIED: u32 = 4;

/// Values per chain in `chain_params`.
pub const CHAIN_PARAMS: usize = 8;

/// Per-dispatch parameters of the spectral kernels.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Pod, Zeroable)]
pub struct SpectralParams {
    /// Grids side by side.
    pub chains: u32,
    /// Grid rows (a power of two).
    pub height: u32,
    /// Grid columns (a power of two).
    pub width: u32,
    /// FFT: 0 along rows (x), 1 along columns (y).
    pub axis: u32,
    /// FFT: the span N_s of this pass's sub-transforms (1, 2, 4, … up to half the length).
    pub span: u32,
    /// Bit flags ([`SPECTRAL_INVERSE`], [`SPECTRAL_FLIP`], [`SPECTRAL_MODIFIED`]).
    pub flags: u32,
    /// Runge–Kutta update: 0 first stage, 1 middle stage, 2 last stage.
    pub mode: u32,
    /// Step counter: keys the random numbers of the noise.
    pub step: u32,
    /// Grid spacing (both axes).
    pub dx: f32,
    /// Runge–Kutta: the coefficient of the right-hand side in the next stage.
    pub stage_coef: f32,
    /// Runge–Kutta: the coefficient of the right-hand side in the sum.
    pub sum_coef: f32,
    /// Seed of the noise.
    pub seed: u32,
}

/// One chain's physical parameters, as `chain_params` holds them.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct ChainParams {
    /// Adiabaticity α.
    pub alpha: f32,
    /// Background density gradient κ.
    pub kappa: f32,
    /// Hyper-diffusion coefficient ν (the term −ν∇⁴).
    pub nu: f32,
    /// Amplitude of the stochastic forcing (0: deterministic).
    pub noise: f32,
}

impl ChainParams {
    /// The `chain_params` values.
    pub fn packed(&self) -> [f32; CHAIN_PARAMS] {
        [
            self.alpha, self.kappa, self.nu, self.noise, 0.0, 0.0, 0.0, 0.0,
        ]
    }
}

/// The twiddle table of a `height × width` grid (see the module doc).
pub fn twiddles(height: usize, width: usize) -> Vec<[f32; 2]> {
    let table = |n: usize| {
        (0..n / 2).map(move |j| {
            let a = -2.0 * std::f64::consts::PI * j as f64 / n as f64;
            [a.cos() as f32, a.sin() as f32]
        })
    };
    table(width).chain(table(height)).collect()
}

/// A spectral kernel: its module and entry point in `shaders/spectral/`, and its twin in
/// `cpu/spectral/`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SpectralKernel {
    /// One radix-2 Stockham pass of the 2-D FFT.
    FftPass,
    /// The vorticity (channel 1 of `stage`) into `spec_a`.
    LoadVorticity,
    /// Each mode times −1/k².
    Poisson,
    /// The potential out of the inverse transform.
    StorePotential,
    /// The Hasegawa–Wakatani right-hand side at `stage`.
    HwRhs,
    /// A Runge–Kutta combination.
    RkUpdate,
}

impl SpectralKernel {
    /// Every spectral kernel.
    pub const ALL: [SpectralKernel; 6] = [
        SpectralKernel::FftPass,
        SpectralKernel::LoadVorticity,
        SpectralKernel::Poisson,
        SpectralKernel::StorePotential,
        SpectralKernel::HwRhs,
        SpectralKernel::RkUpdate,
    ];

    /// The module and entry point.
    pub fn source(self) -> (&'static str, &'static str) {
        match self {
            SpectralKernel::FftPass => ("spectral/fft", "fft_pass"),
            SpectralKernel::LoadVorticity => ("spectral/poisson", "load_vorticity"),
            SpectralKernel::Poisson => ("spectral/poisson", "poisson"),
            SpectralKernel::StorePotential => ("spectral/poisson", "store_potential"),
            SpectralKernel::HwRhs => ("spectral/hasegawa_wakatani", "hw_rhs"),
            SpectralKernel::RkUpdate => ("spectral/hasegawa_wakatani", "rk_update"),
        }
    }

    /// Invocations it needs under `p`: one per butterfly, or one per site of every chain.
    pub fn invocations(self, p: &SpectralParams) -> u32 {
        let sites = p.chains * p.height * p.width;
        match self {
            SpectralKernel::FftPass => sites / 2,
            SpectralKernel::RkUpdate => 2 * sites,
            _ => sites,
        }
    }
}

/// A buffer of a spectral run, to write or read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SpectralBuffer {
    /// The evolved fields.
    State,
    /// A Runge–Kutta stage.
    Stage,
    /// The Runge–Kutta sum.
    Accum,
    /// The right-hand side.
    Rhs,
    /// The potential.
    Phi,
    /// Complex work array A (as interleaved re, im).
    SpecA,
    /// Complex work array B.
    SpecB,
    /// Per-chain parameters.
    ChainParams,
}

impl SpectralBuffer {
    /// Values (f32) the buffer holds for `chains` grids of `plane` sites.
    pub fn len(self, chains: usize, plane: usize) -> usize {
        match self {
            SpectralBuffer::State
            | SpectralBuffer::Stage
            | SpectralBuffer::Accum
            | SpectralBuffer::Rhs
            | SpectralBuffer::SpecA
            | SpectralBuffer::SpecB => 2 * chains * plane,
            SpectralBuffer::Phi => chains * plane,
            SpectralBuffer::ChainParams => CHAIN_PARAMS * chains,
        }
    }
}
