//! A learned denoiser's reverse step on the device (`shaders/denoiser_reverse_step.wgsl`): the
//! kernel's pipeline, built once per device, and [`ReverseStepBuffers`], a chunk's values, their
//! ε̂ and (with energy guidance) the energy's gradient, kept on the device from the starting
//! noise to the sample.

use crate::error::{IdfError, Result};
use crate::gpu::executor::{read_buffer, storage_buffer};
use crate::gpu::{storage_entry, GpuContext};
use crate::kernels::denoiser_reverse_step::ReverseStep;

/// The compiled reverse-step kernel and its bind-group layout (parameters, values, ε̂,
/// gradient).
pub struct ReverseStepPipeline {
    layout: wgpu::BindGroupLayout,
    pipeline: wgpu::ComputePipeline,
}

impl ReverseStepPipeline {
    /// Validates the kernel with naga and builds the pipeline.
    pub fn new(device: &wgpu::Device) -> Result<Self> {
        let module = crate::gpu::shader::compose_standalone("denoiser_reverse_step")?.validate()?;
        let layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("idf denoiser reverse step"),
            entries: &[
                wgpu::BindGroupLayoutEntry {
                    binding: 0,
                    visibility: wgpu::ShaderStages::COMPUTE,
                    ty: wgpu::BindingType::Buffer {
                        ty: wgpu::BufferBindingType::Uniform,
                        has_dynamic_offset: false,
                        min_binding_size: wgpu::BufferSize::new(
                            std::mem::size_of::<ReverseStep>() as u64
                        ),
                    },
                    count: None,
                },
                storage_entry(1, false),
                storage_entry(2, true),
                storage_entry(3, true),
            ],
        });
        let pipeline =
            crate::gpu::standalone_pipeline(device, "denoiser_reverse_step", module, &layout);
        Ok(ReverseStepPipeline { layout, pipeline })
    }
}

/// A chunk of values being sampled, their ε̂ and, for guided steps, the energy's gradient, on
/// one device, with the kernel bound to them.
pub struct ReverseStepBuffers {
    count: usize,
    guided: bool,
    params: wgpu::Buffer,
    x: wgpu::Buffer,
    eps: wgpu::Buffer,
    grad: wgpu::Buffer,
    bind_group: wgpu::BindGroup,
}

impl ReverseStepBuffers {
    /// Room for `count` values and their ε̂ on `gpu` (uninitialised until the first step), and
    /// for their gradient when `guided` (otherwise steps with a gradient term are refused).
    /// Errors: a count of 0 or past 2³² values, buffers over the adapter's binding limit, out of
    /// memory.
    pub fn new(gpu: &GpuContext, count: usize, guided: bool) -> Result<Self> {
        if count == 0 || u32::try_from(count).is_err() {
            return Err(IdfError::invalid(
                "count",
                format!("a chunk of {count} values: expected 1 to 2^32 - 1"),
            ));
        }
        let bytes = count as u64 * 4;
        let x = storage_buffer(gpu, "denoiser values", bytes)?;
        let eps = storage_buffer(gpu, "denoiser epsilon", bytes)?;
        let grad = storage_buffer(gpu, "denoiser gradient", if guided { bytes } else { 4 })?;
        let params = gpu.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("idf denoiser reverse step params"),
            size: std::mem::size_of::<ReverseStep>() as u64,
            usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        let pipeline = gpu.denoiser_reverse_step_pipeline()?;
        let bind_group = gpu.device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("idf denoiser reverse step"),
            layout: &pipeline.layout,
            entries: &[
                wgpu::BindGroupEntry {
                    binding: 0,
                    resource: params.as_entire_binding(),
                },
                wgpu::BindGroupEntry {
                    binding: 1,
                    resource: x.as_entire_binding(),
                },
                wgpu::BindGroupEntry {
                    binding: 2,
                    resource: eps.as_entire_binding(),
                },
                wgpu::BindGroupEntry {
                    binding: 3,
                    resource: grad.as_entire_binding(),
                },
            ],
        });
        Ok(ReverseStepBuffers {
            count,
            guided,
            params,
            x,
            eps,
            grad,
            bind_group,
        })
    }

    /// The values (`count` f32).
    pub fn x(&self) -> &wgpu::Buffer {
        &self.x
    }

    /// Their ε̂ (`count` f32), which the next step reads.
    pub fn eps(&self) -> &wgpu::Buffer {
        &self.eps
    }

    /// The energy's gradient (`count` f32 when guided), which the next step reads where its
    /// `c_grad` is not 0.
    pub fn grad(&self) -> &wgpu::Buffer {
        &self.grad
    }

    /// Submits one step on the first `step.count` values. Errors: more values than the buffers
    /// hold; a gradient term on buffers made without room for it; a kernel that does not build.
    pub fn step(&self, gpu: &GpuContext, step: &ReverseStep) -> Result<()> {
        if step.count as usize > self.count {
            return Err(IdfError::invalid(
                "count",
                format!(
                    "a step over {} values on buffers of {}",
                    step.count, self.count
                ),
            ));
        }
        if step.c_grad != 0.0 && !self.guided {
            return Err(IdfError::invalid(
                "c_grad",
                "a gradient term on buffers made without a gradient (ReverseStepBuffers::new with guided)",
            ));
        }
        let pipeline = gpu.denoiser_reverse_step_pipeline()?;
        gpu.queue
            .write_buffer(&self.params, 0, bytemuck::bytes_of(step));
        let mut encoder = gpu.device.create_command_encoder(&Default::default());
        {
            let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
                label: Some("idf denoiser reverse step"),
                timestamp_writes: None,
            });
            pass.set_pipeline(&pipeline.pipeline);
            pass.set_bind_group(0, &self.bind_group, &[]);
            let groups = step.count.div_ceil(64).max(1);
            let gx = groups.min(65_535);
            pass.dispatch_workgroups(gx, groups.div_ceil(gx), 1);
        }
        gpu.queue.submit([encoder.finish()]);
        Ok(())
    }

    /// The values, read back.
    pub fn read_x(&self, gpu: &GpuContext) -> Result<Vec<f32>> {
        let bytes = read_buffer(gpu, &self.x, self.count as u64 * 4)?;
        Ok(bytemuck::cast_slice(&bytes).to_vec())
    }
}

impl GpuContext {
    /// The denoiser reverse step's pipeline, built on first use.
    pub fn denoiser_reverse_step_pipeline(&self) -> Result<&ReverseStepPipeline> {
        if let Some(p) = self.reverse_step.get() {
            return Ok(p);
        }
        let built = ReverseStepPipeline::new(&self.device)?;
        Ok(self.reverse_step.get_or_init(|| built))
    }
}
