//! [`GpuParticles`]: the particle buffers on the GPU and the particle kernels
//! (`shaders/particles/`), compiled once per device ([`ParticlePipelines`]). Each operation
//! records its dispatches into one command buffer; reading back (lists' lengths, the largest
//! displacement, the state) waits for them.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;

use super::executor::read_buffer;
use super::{shader, GpuContext};
use crate::error::{IdfError, Result};
use crate::kernels::particles::ParticleParams;

/// Invocations per workgroup (`PARTICLE_WORKGROUP` in `shaders/particles/bindings.wgsl`).
const WORKGROUP: u32 = 64;
/// Bytes between the parameters of consecutive dispatches (the uniform offset alignment).
const PARAMS_STRIDE: u64 = 256;
/// Dispatches one command buffer holds at most.
const MAX_DISPATCHES: usize = 64;

/// A particle kernel: its module and entry point.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ParticleKernel {
    /// Zero the cell counts.
    CellClear,
    /// Count particles per cell.
    CellCount,
    /// Prefix sums and fill cursors.
    CellScan,
    /// Place particles into their cells.
    CellFill,
    /// Sort each cell's particles by index.
    CellSort,
    /// Build the Verlet lists.
    NeighborBuild,
    /// The largest displacement from the anchors.
    MaxDisplacement,
    /// Lennard-Jones forces.
    LjForces,
    /// B.
    Kick,
    /// A.
    Drift,
    /// O.
    Thermostat,
    /// Overdamped step.
    Brownian,
}

impl ParticleKernel {
    const ALL: [ParticleKernel; 12] = [
        ParticleKernel::CellClear,
        ParticleKernel::CellCount,
        ParticleKernel::CellScan,
        ParticleKernel::CellFill,
        ParticleKernel::CellSort,
        ParticleKernel::NeighborBuild,
        ParticleKernel::MaxDisplacement,
        ParticleKernel::LjForces,
        ParticleKernel::Kick,
        ParticleKernel::Drift,
        ParticleKernel::Thermostat,
        ParticleKernel::Brownian,
    ];

    /// The module and entry point.
    fn source(self) -> (&'static str, &'static str) {
        use ParticleKernel::*;
        match self {
            CellClear => ("particles/cell_list", "cell_clear"),
            CellCount => ("particles/cell_list", "cell_count"),
            CellScan => ("particles/cell_list", "cell_scan"),
            CellFill => ("particles/cell_list", "cell_fill"),
            CellSort => ("particles/cell_list", "cell_sort"),
            NeighborBuild => ("particles/neighbor_list", "neighbor_build"),
            MaxDisplacement => ("particles/neighbor_list", "max_displacement"),
            LjForces => ("particles/lj_forces", "lj_forces"),
            Kick => ("particles/integrate", "kick"),
            Drift => ("particles/integrate", "drift"),
            Thermostat => ("particles/integrate", "thermostat"),
            Brownian => ("particles/integrate", "brownian"),
        }
    }

    /// Invocations it needs: one per particle, per cell, per cell-start entry or per chain.
    fn invocations(self, p: &ParticleParams) -> u32 {
        let cells = p.cells_per_chain() as u32;
        match self {
            ParticleKernel::CellClear => p.chains * (cells + 1),
            ParticleKernel::CellScan => p.chains,
            ParticleKernel::CellSort => p.chains * cells,
            _ => p.chains * p.n,
        }
    }
}

/// The particle kernels' layout and pipelines on one device.
pub struct ParticlePipelines {
    layout: wgpu::BindGroupLayout,
    pipelines: HashMap<ParticleKernel, wgpu::ComputePipeline>,
}

impl ParticlePipelines {
    /// Composes, validates and compiles every particle kernel.
    pub fn new(device: &wgpu::Device) -> Result<Self> {
        let mut entries = vec![super::params_entry::<ParticleParams>()];
        // The pair table (binding 10) and the chains' temperatures (12) are read-only.
        entries.extend((1..=12).map(|b| super::storage_entry(b, b == 10 || b == 12)));
        let layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("idf particle bindings"),
            entries: &entries,
        });
        let pipeline_layout = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
            label: Some("idf particle kernels"),
            bind_group_layouts: &[Some(&layout)],
            immediate_size: 0,
        });
        let mut modules = HashMap::new();
        let mut pipelines = HashMap::new();
        let scope = device.push_error_scope(wgpu::ErrorFilter::Validation);
        for kernel in ParticleKernel::ALL {
            let (name, entry) = kernel.source();
            if !modules.contains_key(name) {
                let composed = shader::compose_standalone(name)?;
                let module = composed.validate()?;
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
                name: "particles".into(),
                message: e.to_string(),
            });
        }
        Ok(ParticlePipelines { layout, pipelines })
    }
}

/// The particle buffers of one run on the GPU.
pub struct GpuParticles {
    gpu: Arc<GpuContext>,
    /// In binding order 1..=12: position, velocity, force, virial, anchor, neighbors,
    /// neighbor_count, cell_start, cell_particles, pair_table, scratch, chain_temperature.
    buffers: Vec<wgpu::Buffer>,
    params: wgpu::Buffer,
    bind_group: wgpu::BindGroup,
    len: usize,
    /// Stages recorded but not yet submitted: they go with the next submission, so a step costs
    /// one submit and the skin check's read-back.
    pending: RefCell<Vec<(ParticleKernel, ParticleParams)>>,
}

const POSITION: usize = 0;
const VELOCITY: usize = 1;
const FORCE: usize = 2;
const VIRIAL: usize = 3;
const NEIGHBORS: usize = 5;
const NEIGHBOR_COUNT: usize = 6;
const CELL_START: usize = 7;
const PAIR_TABLE: usize = 9;
const SCRATCH: usize = 10;
const CHAIN_TEMPERATURE: usize = 11;

impl GpuParticles {
    /// Uploads `position` and `velocity` and sizes the lists for `p`.
    pub fn new(
        gpu: Arc<GpuContext>,
        p: &ParticleParams,
        position: &[[f32; 4]],
        velocity: &[[f32; 4]],
        pair_table: &[[f32; 4]],
    ) -> Result<Self> {
        gpu.particle_pipelines()?;
        let len = position.len();
        let params = gpu.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("particle params"),
            size: PARAMS_STRIDE * MAX_DISPATCHES as u64,
            usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        let buffers = buffer_sizes(len, p)
            .into_iter()
            .map(|(label, bytes)| super::executor::storage_buffer(&gpu, label, bytes))
            .collect::<Result<Vec<_>>>()?;
        let bind_group = bind_group(&gpu, &params, &buffers)?;
        let particles = GpuParticles {
            buffers,
            bind_group,
            params,
            gpu,
            len,
            pending: RefCell::new(Vec::new()),
        };
        particles.write(POSITION, bytemuck::cast_slice(position));
        particles.write(VELOCITY, bytemuck::cast_slice(velocity));
        particles.write(PAIR_TABLE, bytemuck::cast_slice(pair_table));
        particles.write(
            CHAIN_TEMPERATURE,
            bytemuck::cast_slice(&vec![1.0f32; p.chains as usize]),
        );
        Ok(particles)
    }

    fn write(&self, index: usize, bytes: &[u8]) {
        self.gpu.queue.write_buffer(&self.buffers[index], 0, bytes);
    }

    /// Sizes the neighbour and cell lists for `p`'s capacity and grid.
    pub fn resize_lists(&mut self, p: &ParticleParams) -> Result<()> {
        self.run(&[])?;
        let sizes = buffer_sizes(self.len, p);
        for index in [NEIGHBORS, CELL_START, SCRATCH] {
            let (label, bytes) = sizes[index];
            if self.buffers[index].size() < bytes.max(16) {
                self.buffers[index] = super::executor::storage_buffer(&self.gpu, label, bytes)?;
            }
        }
        self.bind_group = bind_group(&self.gpu, &self.params, &self.buffers)?;
        Ok(())
    }

    /// Records the pending stages and `kernels` with their parameters into command buffers of
    /// up to [`MAX_DISPATCHES`] and submits them.
    fn run(&self, kernels: &[(ParticleKernel, ParticleParams)]) -> Result<()> {
        let mut all = self.pending.take();
        all.extend_from_slice(kernels);
        if all.is_empty() {
            return Ok(());
        }
        let pipelines = self.gpu.particle_pipelines()?;
        for batch in all.chunks(MAX_DISPATCHES) {
            super::submit_batch(
                &self.gpu,
                &self.params,
                PARAMS_STRIDE,
                &self.bind_group,
                batch,
                &pipelines.pipelines,
                |k, p| k.invocations(p).div_ceil(WORKGROUP),
                "idf particles",
            )?;
        }
        Ok(())
    }

    fn read_vec4(&self, index: usize) -> Result<Vec<[f32; 4]>> {
        self.run(&[])?;
        let bytes = read_buffer(&self.gpu, &self.buffers[index], 16 * self.len as u64)?;
        Ok(bytemuck::cast_slice(&bytes).to_vec())
    }

    fn read_u32(&self, index: usize, len: usize) -> Result<Vec<u32>> {
        self.run(&[])?;
        let bytes = read_buffer(&self.gpu, &self.buffers[index], 4 * len as u64)?;
        Ok(bytemuck::cast_slice(&bytes).to_vec())
    }

    /// Rebuilds the cell and neighbour lists; returns the longest list.
    pub fn rebuild(&self, p: &ParticleParams) -> Result<u32> {
        use ParticleKernel::*;
        self.run(
            &[
                CellClear,
                CellCount,
                CellScan,
                CellFill,
                CellSort,
                NeighborBuild,
            ]
            .map(|k| (k, *p)),
        )?;
        Ok(self
            .read_u32(NEIGHBOR_COUNT, self.len)?
            .into_iter()
            .max()
            .unwrap_or(0))
    }

    /// The largest squared displacement from the anchors.
    pub fn max_displacement2(&self, p: &ParticleParams) -> Result<f32> {
        self.gpu
            .queue
            .write_buffer(&self.buffers[SCRATCH], 0, &[0u8; 4]);
        self.run(&[(ParticleKernel::MaxDisplacement, *p)])?;
        Ok(f32::from_bits(self.read_u32(SCRATCH, 1)?[0]))
    }

    /// Records a sequence of stages (kicks and drifts with their fractions, the thermostat,
    /// Brownian steps, force evaluations), submitted with the next submission.
    pub fn stages(&self, p: &ParticleParams, stages: &[(ParticleKernel, f32)]) -> Result<()> {
        self.pending.borrow_mut().extend(
            stages
                .iter()
                .map(|&(k, fraction)| (k, ParticleParams { fraction, ..*p })),
        );
        Ok(())
    }

    /// Positions.
    pub fn position(&self) -> Result<Vec<[f32; 4]>> {
        self.read_vec4(POSITION)
    }

    /// Velocities.
    pub fn velocity(&self) -> Result<Vec<[f32; 4]>> {
        self.read_vec4(VELOCITY)
    }

    /// Forces with the per-particle energies.
    pub fn force(&self) -> Result<Vec<[f32; 4]>> {
        self.read_vec4(FORCE)
    }

    /// Per-particle virials.
    pub fn virial(&self) -> Result<Vec<f32>> {
        self.run(&[])?;
        let bytes = read_buffer(&self.gpu, &self.buffers[VIRIAL], 4 * self.len as u64)?;
        Ok(bytemuck::cast_slice(&bytes).to_vec())
    }

    /// Replaces the positions.
    pub fn set_position(&self, position: &[[f32; 4]]) -> Result<()> {
        // A write goes before the next submission: the pending stages go first.
        self.run(&[])?;
        self.write(POSITION, bytemuck::cast_slice(position));
        Ok(())
    }

    /// Replaces the velocities.
    pub fn set_velocity(&self, velocity: &[[f32; 4]]) -> Result<()> {
        self.run(&[])?;
        self.write(VELOCITY, bytemuck::cast_slice(velocity));
        Ok(())
    }

    /// Sets each chain's bath temperature as a multiple of the parameters' temperature.
    pub fn set_temperature_scale(&self, scale: &[f32]) -> Result<()> {
        self.run(&[])?;
        self.write(CHAIN_TEMPERATURE, bytemuck::cast_slice(scale));
        Ok(())
    }
}

/// Each buffer's label and size for `len` particles under `p`, in binding order.
fn buffer_sizes(len: usize, p: &ParticleParams) -> Vec<(&'static str, u64)> {
    let len = len as u64;
    let cells = p.cells_per_chain() as u64;
    let chains = p.chains as u64;
    let species = p.species as u64;
    vec![
        ("position", 16 * len),
        ("velocity", 16 * len),
        ("force", 16 * len),
        ("virial", 4 * len),
        ("anchor", 16 * len),
        ("neighbors", 4 * len * p.capacity as u64),
        ("neighbor_count", 4 * len),
        ("cell_start", 4 * chains * (cells + 1)),
        ("cell_particles", 4 * len),
        ("pair_table", 16 * species * species),
        ("scratch", 4 * (1 + chains * cells)),
        ("chain_temperature", 4 * chains),
    ]
}

/// The bind group of `params` and the particle buffers.
fn bind_group(
    gpu: &GpuContext,
    params: &wgpu::Buffer,
    buffers: &[wgpu::Buffer],
) -> Result<wgpu::BindGroup> {
    let pipelines = gpu.particle_pipelines()?;
    let mut entries = vec![wgpu::BindGroupEntry {
        binding: 0,
        resource: wgpu::BindingResource::Buffer(wgpu::BufferBinding {
            buffer: params,
            offset: 0,
            size: wgpu::BufferSize::new(std::mem::size_of::<ParticleParams>() as u64),
        }),
    }];
    for (k, b) in buffers.iter().enumerate() {
        entries.push(wgpu::BindGroupEntry {
            binding: k as u32 + 1,
            resource: b.as_entire_binding(),
        });
    }
    Ok(gpu.device.create_bind_group(&wgpu::BindGroupDescriptor {
        label: Some("particle bindings"),
        layout: &pipelines.layout,
        entries: &entries,
    }))
}

impl Drop for GpuParticles {
    /// The buffers go to the device's pool (kept there only when it has a capacity).
    fn drop(&mut self) {
        let buffers: Vec<_> = self.buffers.drain(..).collect();
        self.gpu
            .buffers
            .give(&self.gpu.device, &self.gpu.queue, buffers);
    }
}
