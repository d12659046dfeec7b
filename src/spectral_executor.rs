//! The seam between the spectral engine (`engine/spectral/`) and the two backends: one
//! interface over a spectral run's buffers, so that the same kernel sequences run on the GPU
//! (`shaders/spectral/`) or on their CPU twins (`cpu/spectral/`).

use crate::context::Context;
use crate::cpu::spectral::CpuSpectral;
use crate::error::Result;
use crate::gpu::spectral::GpuSpectral;
use crate::kernels::spectral::{SpectralBuffer, SpectralKernel, SpectralParams};

/// The buffers of one spectral run on its backend.
pub enum SpectralExecutor {
    /// CPU twins.
    Cpu(Box<CpuSpectral>),
    /// wgpu.
    Gpu(Box<GpuSpectral>),
}

impl SpectralExecutor {
    /// Zeroed buffers for `chains` grids of `height × width` on the context's backend.
    pub fn new(ctx: &Context, chains: usize, height: usize, width: usize) -> Result<Self> {
        Ok(match ctx.gpu_context() {
            Some(gpu) => SpectralExecutor::Gpu(Box::new(GpuSpectral::new(
                gpu.clone(),
                chains,
                height,
                width,
            )?)),
            None => SpectralExecutor::Cpu(Box::new(CpuSpectral::new(chains, height, width)?)),
        })
    }

    /// Overwrites buffer `b`.
    pub fn write(&mut self, b: SpectralBuffer, data: &[f32]) {
        match self {
            SpectralExecutor::Cpu(c) => c.write(b, data),
            SpectralExecutor::Gpu(g) => g.write(b, data),
        }
    }

    /// Buffer `b`.
    pub fn read(&mut self, b: SpectralBuffer) -> Result<Vec<f32>> {
        match self {
            SpectralExecutor::Cpu(c) => Ok(c.read(b)),
            SpectralExecutor::Gpu(g) => g.read(b),
        }
    }

    /// Runs the kernels in order.
    pub fn run(&mut self, kernels: &[(SpectralKernel, SpectralParams)]) -> Result<()> {
        match self {
            SpectralExecutor::Cpu(c) => {
                c.run(kernels);
                Ok(())
            }
            SpectralExecutor::Gpu(g) => g.run(kernels),
        }
    }
}
