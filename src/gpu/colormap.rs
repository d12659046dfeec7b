//! The colormap kernel's pipeline: its own bind-group layout (params, field, table, pixels), built
//! once per device; the colormap tables are uploaded once each.

use std::collections::HashMap;

use bytemuck::{Pod, Zeroable};

use crate::error::Result;
use crate::gpu::GpuContext;
use crate::kernels::Colormap;

/// Keep in sync with `struct ColormapParams` in `shaders/colormap.wgsl`.
#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct ColormapParams {
    width: u32,
    height: u32,
    offset: u32,
    _pad0: u32,
    lo: f32,
    hi: f32,
    _pad1: [f32; 2],
}

/// The compiled colormap kernel and its tables on one device.
pub struct ColormapPipeline {
    layout: wgpu::BindGroupLayout,
    pipeline: wgpu::ComputePipeline,
    tables: HashMap<Colormap, wgpu::Buffer>,
}

fn entry(binding: u32, ty: wgpu::BufferBindingType) -> wgpu::BindGroupLayoutEntry {
    wgpu::BindGroupLayoutEntry {
        binding,
        visibility: wgpu::ShaderStages::COMPUTE,
        ty: wgpu::BindingType::Buffer {
            ty,
            has_dynamic_offset: false,
            min_binding_size: None,
        },
        count: None,
    }
}

impl ColormapPipeline {
    /// Validates the kernel with naga and builds the pipeline and tables.
    pub fn new(device: &wgpu::Device) -> Result<Self> {
        let module = crate::gpu::shader::compose_standalone("colormap")?.validate()?;
        let layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("idf colormap"),
            entries: &[
                entry(0, wgpu::BufferBindingType::Uniform),
                entry(1, wgpu::BufferBindingType::Storage { read_only: true }),
                entry(2, wgpu::BufferBindingType::Storage { read_only: true }),
                entry(3, wgpu::BufferBindingType::Storage { read_only: false }),
            ],
        });
        let pipeline = crate::gpu::standalone_pipeline(device, "colormap", module, &layout);
        let tables = Colormap::ALL
            .iter()
            .map(|m| {
                let buffer = device.create_buffer(&wgpu::BufferDescriptor {
                    label: Some(m.name()),
                    size: 256 * 16,
                    usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_DST,
                    mapped_at_creation: true,
                });
                buffer
                    .slice(..)
                    .get_mapped_range_mut()
                    .expect("mapped at creation")
                    .copy_from_slice(bytemuck::cast_slice(m.table().as_slice()));
                buffer.unmap();
                (*m, buffer)
            })
            .collect();
        Ok(ColormapPipeline {
            layout,
            pipeline,
            tables,
        })
    }

    /// Records the colouring of `width × height` values of `field` from `offset` into `pixels`
    /// (packed RGBA8, one u32 per pixel) on `encoder`.
    #[allow(clippy::too_many_arguments)]
    pub fn record(
        &self,
        device: &wgpu::Device,
        encoder: &mut wgpu::CommandEncoder,
        field: &wgpu::Buffer,
        offset: u32,
        (width, height): (u32, u32),
        (lo, hi): (f32, f32),
        map: Colormap,
        pixels: &wgpu::Buffer,
    ) {
        let params = ColormapParams {
            width,
            height,
            offset,
            _pad0: 0,
            lo,
            hi,
            _pad1: [0.0; 2],
        };
        let uniform = device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("idf colormap params"),
            size: std::mem::size_of::<ColormapParams>() as u64,
            usage: wgpu::BufferUsages::UNIFORM,
            mapped_at_creation: true,
        });
        uniform
            .slice(..)
            .get_mapped_range_mut()
            .expect("mapped at creation")
            .copy_from_slice(bytemuck::bytes_of(&params));
        uniform.unmap();
        let bind_group = device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("idf colormap"),
            layout: &self.layout,
            entries: &[
                wgpu::BindGroupEntry {
                    binding: 0,
                    resource: uniform.as_entire_binding(),
                },
                wgpu::BindGroupEntry {
                    binding: 1,
                    resource: field.as_entire_binding(),
                },
                wgpu::BindGroupEntry {
                    binding: 2,
                    resource: self.tables[&map].as_entire_binding(),
                },
                wgpu::BindGroupEntry {
                    binding: 3,
                    resource: pixels.as_entire_binding(),
                },
            ],
        });
        let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
            label: Some("idf colormap"),
            timestamp_writes: None,
        });
        pass.set_pipeline(&self.pipeline);
        pass.set_bind_group(0, &bind_group, &[]);
        let groups = (width * height).div_ceil(64);
        let gx = groups.min(65_535);
        pass.dispatch_workgroups(gx, groups.div_ceil(gx), 1);
    }
}

impl GpuContext {
    /// Colours one plane of `field` and reads the pixels back.
    #[allow(clippy::too_many_arguments)]
    pub fn colorize(
        &self,
        field: &wgpu::Buffer,
        offset: u32,
        width: u32,
        height: u32,
        lo: f32,
        hi: f32,
        map: Colormap,
    ) -> Result<Vec<u32>> {
        let pipeline = self.colormap_pipeline()?;
        let bytes = (width * height * 4) as u64;
        let pixels = self.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("idf pixels"),
            size: bytes,
            usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC,
            mapped_at_creation: false,
        });
        let mut encoder = self.device.create_command_encoder(&Default::default());
        pipeline.record(
            &self.device,
            &mut encoder,
            field,
            offset,
            (width, height),
            (lo, hi),
            map,
            &pixels,
        );
        self.queue.submit([encoder.finish()]);
        let data = crate::gpu::executor::read_buffer(self, &pixels, bytes)?;
        Ok(bytemuck::cast_slice(&data).to_vec())
    }
}
