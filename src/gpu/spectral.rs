//! [`GpuSpectral`]: a spectral run's buffers on the GPU, and the spectral kernels
//! (`shaders/spectral/`), compiled once per device ([`SpectralPipelines`]). Kernels are
//! recorded into command buffers of up to [`MAX_DISPATCHES`] and submitted; reading waits.

use std::collections::HashMap;
use std::sync::Arc;

use super::executor::read_buffer;
use super::{shader, GpuContext};
use crate::error::{IdfError, Result};
use crate::kernels::spectral::{
    twiddles, SpectralBuffer, SpectralKernel, SpectralParams, CHAIN_PARAMS,
};

/// Invocations per workgroup (`SPECTRAL_WORKGROUP` in `shaders/spectral/bindings.wgsl`).
const WORKGROUP: u32 = 64;
/// Bytes between the parameters of consecutive dispatches (the uniform offset alignment).
const PARAMS_STRIDE: u64 = 256;
/// Dispatches one command buffer holds at most.
const MAX_DISPATCHES: usize = 256;

/// The spectral kernels' layout and pipelines on one device.
pub struct SpectralPipelines {
    layout: wgpu::BindGroupLayout,
    pipelines: HashMap<SpectralKernel, wgpu::ComputePipeline>,
}

impl SpectralPipelines {
    /// Composes, validates and compiles every spectral kernel.
    pub fn new(device: &wgpu::Device) -> Result<Self> {
        let mut entries = vec![super::params_entry::<SpectralParams>()];
        // The twiddles (8) and the chains' parameters (9) are read-only.
        entries.extend((1..=9).map(|b| super::storage_entry(b, b >= 8)));
        let layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("idf spectral bindings"),
            entries: &entries,
        });
        let pipeline_layout = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
            label: Some("idf spectral kernels"),
            bind_group_layouts: &[Some(&layout)],
            immediate_size: 0,
        });
        let mut modules = HashMap::new();
        let mut pipelines = HashMap::new();
        let scope = device.push_error_scope(wgpu::ErrorFilter::Validation);
        for kernel in SpectralKernel::ALL {
            let (name, entry) = kernel.source();
            if !modules.contains_key(name) {
                let module = shader::compose_standalone(name)?.validate()?;
                let m = device.create_shader_module(wgpu::ShaderModuleDescriptor {
                    label: Some(name),
                    source: wgpu::ShaderSource::Naga(std::borrow::Cow::Owned(module)),
                });
                modules.insert(name, m);
            }
            let pipeline = device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
                label: Some(entry),
                layout: Some(&pipeline_layout),
                module: &modules[name],
                entry_point: Some(entry),
                compilation_options: Default::default(),
                cache: None,
            });
            pipelines.insert(kernel, pipeline);
        }
        if let Some(e) = pollster::block_on(scope.pop()) {
            return Err(IdfError::Shader {
                name: "spectral".into(),
                message: e.to_string(),
            });
        }
        Ok(SpectralPipelines { layout, pipelines })
    }
}

/// The buffers of one spectral run on the GPU.
pub struct GpuSpectral {
    gpu: Arc<GpuContext>,
    /// In binding order 1..=9 (see `kernels/spectral.rs`).
    buffers: Vec<wgpu::Buffer>,
    params: wgpu::Buffer,
    bind_group: wgpu::BindGroup,
    chains: usize,
    plane: usize,
}

/// The binding (from 1) of each buffer a caller writes or reads.
fn index(b: SpectralBuffer) -> usize {
    match b {
        SpectralBuffer::State => 0,
        SpectralBuffer::Stage => 1,
        SpectralBuffer::Accum => 2,
        SpectralBuffer::Rhs => 3,
        SpectralBuffer::Phi => 4,
        SpectralBuffer::SpecA => 5,
        SpectralBuffer::SpecB => 6,
        SpectralBuffer::ChainParams => 8,
    }
}

impl GpuSpectral {
    /// Zeroed buffers for `chains` grids of `height × width`.
    pub fn new(gpu: Arc<GpuContext>, chains: usize, height: usize, width: usize) -> Result<Self> {
        let pipelines = gpu.spectral_pipelines()?;
        let plane = height * width;
        let field = 4 * (2 * chains * plane) as u64;
        let sizes = [
            ("spectral state", field),
            ("spectral stage", field),
            ("spectral sum", field),
            ("spectral right-hand side", field),
            ("potential", 4 * (chains * plane) as u64),
            ("spectrum A", field),
            ("spectrum B", field),
            ("twiddles", 8 * ((height + width) / 2) as u64),
            ("chain parameters", 4 * (CHAIN_PARAMS * chains) as u64),
        ];
        let buffers = sizes
            .iter()
            .map(|(label, bytes)| super::executor::storage_buffer(&gpu, label, *bytes))
            .collect::<Result<Vec<_>>>()?;
        let params = gpu.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("spectral params"),
            size: PARAMS_STRIDE * MAX_DISPATCHES as u64,
            usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        let mut entries = vec![wgpu::BindGroupEntry {
            binding: 0,
            resource: wgpu::BindingResource::Buffer(wgpu::BufferBinding {
                buffer: &params,
                offset: 0,
                size: wgpu::BufferSize::new(std::mem::size_of::<SpectralParams>() as u64),
            }),
        }];
        for (k, b) in buffers.iter().enumerate() {
            entries.push(wgpu::BindGroupEntry {
                binding: k as u32 + 1,
                resource: b.as_entire_binding(),
            });
        }
        let bind_group = gpu.device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("spectral bindings"),
            layout: &pipelines.layout,
            entries: &entries,
        });
        // Pooled buffers may hold old values: every buffer starts at zero, as on the CPU.
        for (b, (_, bytes)) in buffers.iter().zip(&sizes) {
            gpu.queue.write_buffer(b, 0, &vec![0u8; *bytes as usize]);
        }
        gpu.queue.write_buffer(
            &buffers[7],
            0,
            bytemuck::cast_slice(&twiddles(height, width)),
        );
        Ok(GpuSpectral {
            gpu,
            buffers,
            params,
            bind_group,
            chains,
            plane,
        })
    }

    /// Overwrites buffer `b`.
    pub fn write(&self, b: SpectralBuffer, data: &[f32]) {
        self.gpu
            .queue
            .write_buffer(&self.buffers[index(b)], 0, bytemuck::cast_slice(data));
    }

    /// Buffer `b`.
    pub fn read(&self, b: SpectralBuffer) -> Result<Vec<f32>> {
        let len = b.len(self.chains, self.plane);
        let bytes = read_buffer(&self.gpu, &self.buffers[index(b)], 4 * len as u64)?;
        Ok(bytemuck::cast_slice(&bytes).to_vec())
    }

    /// Records the kernels in order and submits them.
    pub fn run(&self, kernels: &[(SpectralKernel, SpectralParams)]) -> Result<()> {
        let pipelines = self.gpu.spectral_pipelines()?;
        for batch in kernels.chunks(MAX_DISPATCHES) {
            super::submit_batch(
                &self.gpu,
                &self.params,
                PARAMS_STRIDE,
                &self.bind_group,
                batch,
                &pipelines.pipelines,
                |k, p| k.invocations(p).div_ceil(WORKGROUP),
                "idf spectral",
            )?;
        }
        Ok(())
    }
}

impl Drop for GpuSpectral {
    /// The buffers go to the device's pool.
    fn drop(&mut self) {
        let buffers: Vec<_> = self.buffers.drain(..).collect();
        self.gpu
            .buffers
            .give(&self.gpu.device, &self.gpu.queue, buffers);
    }
}
