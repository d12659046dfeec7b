//! The wgpu side: adapter and device, the one bind-group layout every kernel shares, and the
//! pipeline registry (each kernel × energy module composed, validated and compiled once per
//! device), and the pool of released buffers.

pub mod buffer_pool;
pub mod colormap;
pub mod denoiser_reverse_step;
pub(crate) mod executor;
pub mod particles;
pub mod shader;
pub mod spectral;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use crate::error::{IdfError, Result};
use crate::kernels::{EnergyModule, Kernel, StepParams};

/// A wgpu device with IDF's layouts and compiled pipelines.
pub struct GpuContext {
    /// The adapter's description.
    pub info: wgpu::AdapterInfo,
    /// The device.
    pub device: wgpu::Device,
    /// Its queue.
    pub queue: wgpu::Queue,
    pub(crate) bind_group_layout: wgpu::BindGroupLayout,
    pipeline_layout: wgpu::PipelineLayout,
    /// Compiled pipelines by kernel and energy module key (0 for kernels without an energy).
    pipelines: Mutex<HashMap<(Kernel, u64), Arc<wgpu::ComputePipeline>>>,
    colormap: OnceLock<colormap::ColormapPipeline>,
    reverse_step: OnceLock<denoiser_reverse_step::ReverseStepPipeline>,
    particles: OnceLock<particles::ParticlePipelines>,
    spectral: OnceLock<spectral::SpectralPipelines>,
    /// Buffers released by finished simulations, for the next ones (off unless given a capacity).
    pub(crate) buffers: buffer_pool::BufferPool,
    /// The wgpu instance and adapter the device was opened from (none for an adopted device).
    handles: Option<(wgpu::Instance, wgpu::Adapter)>,
}

fn device_rank(t: wgpu::DeviceType) -> u8 {
    match t {
        wgpu::DeviceType::DiscreteGpu => 0,
        wgpu::DeviceType::IntegratedGpu => 1,
        wgpu::DeviceType::VirtualGpu => 2,
        wgpu::DeviceType::Cpu => 3,
        wgpu::DeviceType::Other => 4,
    }
}

impl GpuContext {
    /// Finds the best adapter (discrete, integrated, virtual, then software) and opens a device.
    pub fn request() -> Result<Self> {
        let (instance, adapter) = enumerate()
            .into_iter()
            .min_by_key(|(_, a)| device_rank(a.get_info().device_type))
            .ok_or_else(|| {
                IdfError::NoAdapter(
                    "wgpu found no Vulkan, Metal, DX12 or GL adapter. On Debian/Ubuntu without a GPU, \
                     install Mesa's software Vulkan driver (apt-get install mesa-vulkan-drivers libvulkan1); \
                     check with `vulkaninfo --summary`, or set WGPU_BACKEND=gl for llvmpipe GL"
                        .to_string(),
                )
            })?;
        let (device, queue) = pollster::block_on(adapter.request_device(&wgpu::DeviceDescriptor {
            label: Some("idf"),
            required_features: required_features(&adapter),
            required_limits: adapter.limits(),
            ..Default::default()
        }))
        .map_err(|e| IdfError::DeviceRequest(e.to_string()))?;
        Ok(GpuContext {
            handles: Some((instance, adapter.clone())),
            ..Self::adopt(adapter.get_info(), device, queue)
        })
    }

    /// The wgpu instance and adapter the device was opened from, for libraries that share it
    /// (burn's wgpu backend: `idf::neural::use_context`); `None` for a device adopted with
    /// [`GpuContext::adopt`].
    pub fn instance_and_adapter(&self) -> Option<(wgpu::Instance, wgpu::Adapter)> {
        self.handles.clone()
    }

    /// Wraps an existing device and queue.
    pub fn adopt(info: wgpu::AdapterInfo, device: wgpu::Device, queue: wgpu::Queue) -> Self {
        let bind_group_layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("idf kernel bindings"),
            entries: &[
                params_entry::<StepParams>(),
                storage_entry(1, true),
                storage_entry(2, true),
                storage_entry(3, false),
                storage_entry(4, false),
                storage_entry(5, false),
                storage_entry(6, false),
                storage_entry(7, false),
            ],
        });
        let pipeline_layout = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
            label: Some("idf kernels"),
            bind_group_layouts: &[Some(&bind_group_layout)],
            immediate_size: 0,
        });
        GpuContext {
            info,
            device,
            queue,
            bind_group_layout,
            pipeline_layout,
            pipelines: Mutex::new(HashMap::new()),
            colormap: OnceLock::new(),
            reverse_step: OnceLock::new(),
            particles: OnceLock::new(),
            spectral: OnceLock::new(),
            buffers: buffer_pool::BufferPool::default(),
            handles: None,
        }
    }

    /// The colormap kernel's pipeline, built on first use.
    pub fn colormap_pipeline(&self) -> Result<&colormap::ColormapPipeline> {
        if let Some(p) = self.colormap.get() {
            return Ok(p);
        }
        let built = colormap::ColormapPipeline::new(&self.device)?;
        Ok(self.colormap.get_or_init(|| built))
    }

    /// The particle kernels' pipelines, built on first use.
    pub fn particle_pipelines(&self) -> Result<&particles::ParticlePipelines> {
        if let Some(p) = self.particles.get() {
            return Ok(p);
        }
        let built = particles::ParticlePipelines::new(&self.device)?;
        Ok(self.particles.get_or_init(|| built))
    }

    /// The spectral kernels' pipelines, built on first use.
    pub fn spectral_pipelines(&self) -> Result<&spectral::SpectralPipelines> {
        if let Some(p) = self.spectral.get() {
            return Ok(p);
        }
        let built = spectral::SpectralPipelines::new(&self.device)?;
        Ok(self.spectral.get_or_init(|| built))
    }

    /// Copies `bytes` from `src` at byte `src_offset` to `dst` at byte `dst_offset` on the
    /// device (submitted on the queue, after the work submitted before it; offsets and `bytes`
    /// multiples of 4, as wgpu requires). Errors: a range that runs past its buffer.
    pub fn copy_buffer(
        &self,
        (src, src_offset): (&wgpu::Buffer, u64),
        (dst, dst_offset): (&wgpu::Buffer, u64),
        bytes: u64,
    ) -> Result<()> {
        let fits = |buffer: &wgpu::Buffer, offset: u64| {
            offset
                .checked_add(bytes)
                .is_some_and(|end| end <= buffer.size())
        };
        if !fits(src, src_offset) || !fits(dst, dst_offset) {
            return Err(IdfError::Gpu(format!(
                "a copy of {bytes} bytes from byte {src_offset} of a buffer of {} into byte \
                 {dst_offset} of one of {}",
                src.size(),
                dst.size()
            )));
        }
        let mut encoder = self.device.create_command_encoder(&Default::default());
        encoder.copy_buffer_to_buffer(src, src_offset, dst, dst_offset, bytes);
        self.queue.submit([encoder.finish()]);
        Ok(())
    }

    /// The compiled pipeline of `kernel` composed with `energy`, built on first use.
    pub(crate) fn pipeline(
        &self,
        kernel: Kernel,
        energy: &EnergyModule,
    ) -> Result<Arc<wgpu::ComputePipeline>> {
        // Kernels without an energy compile once, whatever energy they are asked with.
        let key = if kernel.uses_energy() {
            energy.key()
        } else {
            0
        };
        let mut cache = self.pipelines.lock().expect("pipeline cache poisoned");
        if let Some(p) = cache.get(&(kernel, key)) {
            return Ok(p.clone());
        }
        let shader = shader::compose(kernel, energy)?;
        let module = shader.validate()?;
        let scope = self.device.push_error_scope(wgpu::ErrorFilter::Validation);
        let shader_module = self
            .device
            .create_shader_module(wgpu::ShaderModuleDescriptor {
                label: Some(&shader.name),
                source: wgpu::ShaderSource::Naga(std::borrow::Cow::Owned(module)),
            });
        let pipeline = self
            .device
            .create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
                label: Some(&shader.name),
                layout: Some(&self.pipeline_layout),
                module: &shader_module,
                entry_point: Some("main"),
                compilation_options: Default::default(),
                cache: None,
            });
        if let Some(e) = pollster::block_on(scope.pop()) {
            return Err(IdfError::Shader {
                name: shader.name,
                message: e.to_string(),
            });
        }
        let pipeline = Arc::new(pipeline);
        cache.insert((kernel, key), pipeline.clone());
        Ok(pipeline)
    }
}

/// The compute pipeline of a validated kernel `module` (entry point `main`) that imports no
/// energy and has its own bind-group layout (the colormap, the denoiser's reverse step).
pub(crate) fn standalone_pipeline(
    device: &wgpu::Device,
    name: &str,
    module: naga::Module,
    layout: &wgpu::BindGroupLayout,
) -> wgpu::ComputePipeline {
    let pipeline_layout = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
        label: Some(name),
        bind_group_layouts: &[Some(layout)],
        immediate_size: 0,
    });
    let shader = device.create_shader_module(wgpu::ShaderModuleDescriptor {
        label: Some(name),
        source: wgpu::ShaderSource::Naga(std::borrow::Cow::Owned(module)),
    });
    device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
        label: Some(name),
        layout: Some(&pipeline_layout),
        module: &shader,
        entry_point: Some("main"),
        compilation_options: Default::default(),
        cache: None,
    })
}

/// A compute kernel's storage buffer at `binding`.
pub(crate) fn storage_entry(binding: u32, read_only: bool) -> wgpu::BindGroupLayoutEntry {
    wgpu::BindGroupLayoutEntry {
        binding,
        visibility: wgpu::ShaderStages::COMPUTE,
        ty: wgpu::BindingType::Buffer {
            ty: wgpu::BufferBindingType::Storage { read_only },
            has_dynamic_offset: false,
            min_binding_size: None,
        },
        count: None,
    }
}

/// Binding 0 of the kernels: the per-dispatch parameters `P`, a uniform at a dynamic offset.
pub(crate) fn params_entry<P>() -> wgpu::BindGroupLayoutEntry {
    wgpu::BindGroupLayoutEntry {
        binding: 0,
        visibility: wgpu::ShaderStages::COMPUTE,
        ty: wgpu::BindingType::Buffer {
            ty: wgpu::BufferBindingType::Uniform,
            has_dynamic_offset: true,
            min_binding_size: wgpu::BufferSize::new(std::mem::size_of::<P>() as u64),
        },
        count: None,
    }
}

/// The adapters to choose from: those of the backends named by `WGPU_BACKEND` when it is set;
/// otherwise Vulkan, Metal and DX12, and GL only where none of those has an adapter (probing GL
/// needlessly opens display connections).
/// The features IDF's device asks for: none, or, built with `neural-gpu`, every feature of the
/// adapter but mappable primary buffers and the experimental ones. Burn's wgpu backend, which
/// then shares the device (`idf::neural::use_context`), reads the types it may use (u64, f16, …)
/// from the adapter, and its kernels fail validation on a device without them.
fn required_features(adapter: &wgpu::Adapter) -> wgpu::Features {
    if cfg!(feature = "neural-gpu") {
        adapter.features().difference(
            wgpu::Features::MAPPABLE_PRIMARY_BUFFERS | wgpu::Features::all_experimental_mask(),
        )
    } else {
        wgpu::Features::empty()
    }
}

/// The adapters of this machine, each with the instance it was found through.
fn enumerate() -> Vec<(wgpu::Instance, wgpu::Adapter)> {
    let with = |backends: wgpu::Backends| {
        let mut desc = wgpu::InstanceDescriptor::new_without_display_handle_from_env();
        desc.backends = backends;
        let instance = wgpu::Instance::new(desc);
        pollster::block_on(instance.enumerate_adapters(backends))
            .into_iter()
            .map(|adapter| (instance.clone(), adapter))
            .collect::<Vec<_>>()
    };
    if let Some(backends) = wgpu::Backends::from_env() {
        return with(backends);
    }
    let primary = with(wgpu::Backends::PRIMARY);
    if primary.is_empty() {
        with(wgpu::Backends::GL)
    } else {
        primary
    }
}

/// The adapters IDF can choose from on this machine.
pub fn list_adapters() -> Vec<wgpu::AdapterInfo> {
    enumerate().iter().map(|(_, a)| a.get_info()).collect()
}

/// Records one batch of 1-D dispatches of the particle or spectral kernels into a command
/// buffer and submits it: each dispatch's parameters `P` at its own `stride` in `params` (bound
/// at a dynamic offset in `bind_group`), kernel `k`'s pipeline run over `groups(k)` workgroups
/// (rows of at most 65,535). Errors: a validation error of the batch.
#[allow(clippy::too_many_arguments)]
pub(crate) fn submit_batch<K: Eq + std::hash::Hash, P: bytemuck::Pod>(
    gpu: &GpuContext,
    params: &wgpu::Buffer,
    stride: u64,
    bind_group: &wgpu::BindGroup,
    batch: &[(K, P)],
    pipelines: &HashMap<K, wgpu::ComputePipeline>,
    groups: impl Fn(&K, &P) -> u32,
    label: &str,
) -> Result<()> {
    const MAX_GROUPS_PER_DIM: u32 = 65_535;
    let mut bytes = vec![0u8; batch.len() * stride as usize];
    for (k, (_, p)) in batch.iter().enumerate() {
        let at = k * stride as usize;
        bytes[at..at + std::mem::size_of::<P>()].copy_from_slice(bytemuck::bytes_of(p));
    }
    gpu.queue.write_buffer(params, 0, &bytes);
    let scope = gpu.device.push_error_scope(wgpu::ErrorFilter::Validation);
    let mut encoder = gpu
        .device
        .create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some(label) });
    {
        let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
            label: Some(label),
            timestamp_writes: None,
        });
        for (k, (kernel, p)) in batch.iter().enumerate() {
            let n = groups(kernel, p).max(1);
            let gx = n.min(MAX_GROUPS_PER_DIM);
            pass.set_pipeline(&pipelines[kernel]);
            pass.set_bind_group(0, bind_group, &[(k as u64 * stride) as u32]);
            pass.dispatch_workgroups(gx, n.div_ceil(gx), 1);
        }
    }
    gpu.queue.submit([encoder.finish()]);
    if let Some(e) = pollster::block_on(scope.pop()) {
        return Err(IdfError::Gpu(e.to_string()));
    }
    Ok(())
}
