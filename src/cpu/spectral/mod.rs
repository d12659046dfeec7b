//! CPU twins of the spectral kernels (`shaders/spectral/`), and [`CpuSpectral`], a spectral
//! run's buffers on the CPU.

pub mod fft;
pub mod hasegawa_wakatani;
pub mod poisson;

use crate::error::Result;
use crate::kernels::spectral::{
    twiddles, SpectralBuffer, SpectralKernel, SpectralParams, SPECTRAL_FLIP,
};
use crate::memory;

/// The buffers of a spectral run on the CPU (see `kernels/spectral.rs`).
pub struct CpuSpectral {
    state: Vec<f32>,
    stage: Vec<f32>,
    accum: Vec<f32>,
    rhs: Vec<f32>,
    phi: Vec<f32>,
    spec_a: Vec<[f32; 2]>,
    spec_b: Vec<[f32; 2]>,
    twiddle: Vec<[f32; 2]>,
    chain_params: Vec<f32>,
}

impl CpuSpectral {
    /// Zeroed buffers for `chains` grids of `height × width`.
    pub fn new(chains: usize, height: usize, width: usize) -> Result<Self> {
        let plane = height * width;
        let field = |name| memory::filled(2 * chains * plane, 0.0f32, name);
        let complex = |name| memory::filled(chains * plane, [0.0f32; 2], name);
        Ok(CpuSpectral {
            state: field("CPU spectral state")?,
            stage: field("CPU spectral stage")?,
            accum: field("CPU spectral sum")?,
            rhs: field("CPU spectral right-hand side")?,
            phi: memory::filled(chains * plane, 0.0, "CPU potential")?,
            spec_a: complex("CPU spectrum A")?,
            spec_b: complex("CPU spectrum B")?,
            twiddle: twiddles(height, width),
            chain_params: vec![0.0; SpectralBuffer::ChainParams.len(chains, plane)],
        })
    }

    fn buffer(&mut self, b: SpectralBuffer) -> &mut [f32] {
        match b {
            SpectralBuffer::State => &mut self.state,
            SpectralBuffer::Stage => &mut self.stage,
            SpectralBuffer::Accum => &mut self.accum,
            SpectralBuffer::Rhs => &mut self.rhs,
            SpectralBuffer::Phi => &mut self.phi,
            SpectralBuffer::SpecA => bytemuck::cast_slice_mut(&mut self.spec_a),
            SpectralBuffer::SpecB => bytemuck::cast_slice_mut(&mut self.spec_b),
            SpectralBuffer::ChainParams => &mut self.chain_params,
        }
    }

    /// Overwrites buffer `b`.
    pub fn write(&mut self, b: SpectralBuffer, data: &[f32]) {
        self.buffer(b).copy_from_slice(data);
    }

    /// Buffer `b`.
    pub fn read(&mut self, b: SpectralBuffer) -> Vec<f32> {
        self.buffer(b).to_vec()
    }

    /// Runs the kernels in order.
    pub fn run(&mut self, kernels: &[(SpectralKernel, SpectralParams)]) {
        for (kernel, p) in kernels {
            match kernel {
                SpectralKernel::FftPass => {
                    let (src, dst) = if p.flags & SPECTRAL_FLIP != 0 {
                        (&self.spec_b, &mut self.spec_a)
                    } else {
                        (&self.spec_a, &mut self.spec_b)
                    };
                    fft::run(p, &self.twiddle, src, dst);
                }
                SpectralKernel::LoadVorticity => {
                    poisson::load_vorticity(p, &self.stage, &mut self.spec_a)
                }
                SpectralKernel::Poisson => {
                    let spec = if poisson::flipped(p) {
                        &mut self.spec_b
                    } else {
                        &mut self.spec_a
                    };
                    poisson::poisson(p, spec);
                }
                SpectralKernel::StorePotential => {
                    let spec = if poisson::flipped(p) {
                        &self.spec_b
                    } else {
                        &self.spec_a
                    };
                    poisson::store_potential(p, spec, &mut self.phi);
                }
                SpectralKernel::HwRhs => hasegawa_wakatani::hw_rhs(
                    p,
                    &self.chain_params,
                    &self.stage,
                    &self.phi,
                    &mut self.rhs,
                ),
                SpectralKernel::RkUpdate => hasegawa_wakatani::rk_update(
                    p,
                    &self.chain_params,
                    &mut self.state,
                    &mut self.stage,
                    &mut self.accum,
                    &self.rhs,
                ),
            }
        }
    }
}
