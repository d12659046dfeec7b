//! Runs recorded dispatches on the GPU: the field's ping-pong buffers, scratch, status and trace
//! buffers, a dynamic-offset arena of per-dispatch parameters, and the bind groups, all built once.
//! One call of [`GpuExecutor::execute`] writes the parameters once, records every dispatch into one
//! compute pass and submits once: no read-back between steps.

use std::collections::HashMap;
use std::sync::Arc;

use crate::error::{IdfError, Result};
use crate::gpu::GpuContext;
use crate::kernels::{
    Aux, Dispatch, EnergyModule, Grid, Kernel, Slot, StepParams, FUSED_TILE,
    MULTISPIN_SITES_PER_WORD, SITE_WORKGROUP,
};

const MAX_GROUPS_PER_DIM: u32 = 65_535;

/// GPU buffers and bind groups of one simulation.
pub(crate) struct GpuExecutor {
    gpu: Arc<GpuContext>,
    energy: EnergyModule,
    pipelines: HashMap<Kernel, Arc<wgpu::ComputePipeline>>,
    field: [wgpu::Buffer; 3],
    scratch: wgpu::Buffer,
    momentum: wgpu::Buffer,
    ladder: wgpu::Buffer,
    hmc_buffers: bool,
    status: wgpu::Buffer,
    trace: wgpu::Buffer,
    energy_params: wgpu::Buffer,
    params: wgpu::Buffer,
    params_capacity: usize,
    params_stride: u64,
    bind_groups: HashMap<(Slot, Slot, Aux), wgpu::BindGroup>,
    sites: usize,
    chains: usize,
}

/// The usage of every simulation buffer but the step parameters.
const STORAGE_USAGE: wgpu::BufferUsages = wgpu::BufferUsages::STORAGE
    .union(wgpu::BufferUsages::COPY_DST)
    .union(wgpu::BufferUsages::COPY_SRC);

/// A storage buffer of `bytes` (at least 16), from the pool of released buffers when it holds
/// one of that size, otherwise new. Errors: over the adapter's binding limit, out of memory.
pub(crate) fn storage_buffer(gpu: &GpuContext, label: &str, bytes: u64) -> Result<wgpu::Buffer> {
    let device = &gpu.device;
    let limit = device.limits().max_storage_buffer_binding_size;
    if bytes > limit {
        return Err(IdfError::InvalidShape(format!(
            "the {label} buffer needs {bytes} bytes, over this adapter's storage binding limit \
             of {limit} bytes"
        )));
    }
    let size = bytes.max(16);
    if let Some(buffer) = gpu.buffers.take(size, STORAGE_USAGE) {
        return Ok(buffer);
    }
    let scope = device.push_error_scope(wgpu::ErrorFilter::OutOfMemory);
    let buffer = device.create_buffer(&wgpu::BufferDescriptor {
        label: Some(label),
        size,
        usage: STORAGE_USAGE,
        mapped_at_creation: false,
    });
    match pollster::block_on(scope.pop()) {
        Some(_) => Err(IdfError::OutOfMemory {
            what: label.to_string(),
            bytes,
        }),
        None => Ok(buffer),
    }
}

/// The bytes of a trace of `records` records of `chains` chains (at least one record).
fn trace_bytes(records: usize, chains: usize) -> u64 {
    bytes_of(
        records
            .max(1)
            .saturating_mul(chains)
            .saturating_mul(crate::kernels::OBSERVABLES),
    )
}

/// The bytes of `count` f32 or u32 values, saturating so that an absurd size is refused as
/// too large instead of wrapping around.
fn bytes_of(count: usize) -> u64 {
    (count as u64).saturating_mul(4)
}

impl GpuExecutor {
    /// Allocates the buffers for `chains × sites_per_chain` sites and a trace of `records` records.
    pub fn new(
        gpu: Arc<GpuContext>,
        energy: EnergyModule,
        energy_params: &[f32],
        chains: usize,
        sites: usize,
        records: usize,
    ) -> Result<Self> {
        let device = &gpu.device;
        let field_bytes = bytes_of(sites);
        let align = device.limits().min_uniform_buffer_offset_alignment as u64;
        let params_stride = (std::mem::size_of::<StepParams>() as u64).div_ceil(align) * align;
        let energy_buffer =
            storage_buffer(&gpu, "idf energy params", bytes_of(energy_params.len()))?;
        gpu.queue
            .write_buffer(&energy_buffer, 0, bytemuck::cast_slice(energy_params));
        let mut exec = GpuExecutor {
            field: [
                storage_buffer(&gpu, "idf field A", field_bytes)?,
                storage_buffer(&gpu, "idf field B", field_bytes)?,
                storage_buffer(&gpu, "idf field C (HMC, allocated on use)", 0)?,
            ],
            scratch: storage_buffer(
                &gpu,
                "idf scratch",
                bytes_of(crate::kernels::scratch_len(chains, sites)),
            )?,
            momentum: storage_buffer(&gpu, "idf momentum (HMC, allocated on use)", 0)?,
            ladder: storage_buffer(
                &gpu,
                "idf ladder",
                bytes_of(crate::kernels::ladder_len(chains)),
            )?,
            hmc_buffers: false,
            status: storage_buffer(
                &gpu,
                "idf status",
                bytes_of(crate::kernels::status_len(chains)),
            )?,
            trace: storage_buffer(&gpu, "idf trace", trace_bytes(records, chains))?,
            energy_params: energy_buffer,
            params: Self::params_buffer(&gpu, 1, params_stride),
            params_capacity: 1,
            params_stride,
            bind_groups: HashMap::new(),
            pipelines: HashMap::new(),
            energy,
            sites,
            chains,
            gpu,
        };
        exec.rebuild_bind_groups();
        Ok(exec)
    }

    /// The uniform arena of `capacity` dispatches' parameters, pooled like the storage buffers.
    fn params_buffer(gpu: &GpuContext, capacity: usize, stride: u64) -> wgpu::Buffer {
        let size = capacity as u64 * stride;
        let usage = wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST;
        gpu.buffers.take(size, usage).unwrap_or_else(|| {
            gpu.device.create_buffer(&wgpu::BufferDescriptor {
                label: Some("idf step params"),
                size,
                usage,
                mapped_at_creation: false,
            })
        })
    }

    /// Gives buffers this executor no longer binds to the device's pool.
    fn release(&self, buffers: impl IntoIterator<Item = wgpu::Buffer>) {
        self.gpu
            .buffers
            .give(&self.gpu.device, &self.gpu.queue, buffers);
    }

    fn rebuild_bind_groups(&mut self) {
        self.bind_groups.clear();
        let pairs = Slot::ALL
            .into_iter()
            .flat_map(|s| Slot::ALL.into_iter().map(move |d| (s, d)))
            .filter(|(s, d)| s != d);
        for (src, dst) in pairs {
            for aux in [Aux::Scratch, Aux::Trace] {
                let aux_buffer = match aux {
                    Aux::Scratch => &self.scratch,
                    Aux::Trace => &self.trace,
                };
                let bind_group = self
                    .gpu
                    .device
                    .create_bind_group(&wgpu::BindGroupDescriptor {
                        label: Some("idf kernel bind group"),
                        layout: &self.gpu.bind_group_layout,
                        entries: &[
                            wgpu::BindGroupEntry {
                                binding: 0,
                                resource: wgpu::BindingResource::Buffer(wgpu::BufferBinding {
                                    buffer: &self.params,
                                    offset: 0,
                                    size: wgpu::BufferSize::new(
                                        std::mem::size_of::<StepParams>() as u64
                                    ),
                                }),
                            },
                            wgpu::BindGroupEntry {
                                binding: 1,
                                resource: self.energy_params.as_entire_binding(),
                            },
                            wgpu::BindGroupEntry {
                                binding: 2,
                                resource: self.slot(src).as_entire_binding(),
                            },
                            wgpu::BindGroupEntry {
                                binding: 3,
                                resource: self.slot(dst).as_entire_binding(),
                            },
                            wgpu::BindGroupEntry {
                                binding: 4,
                                resource: self.status.as_entire_binding(),
                            },
                            wgpu::BindGroupEntry {
                                binding: 5,
                                resource: aux_buffer.as_entire_binding(),
                            },
                            wgpu::BindGroupEntry {
                                binding: 6,
                                resource: self.momentum.as_entire_binding(),
                            },
                            wgpu::BindGroupEntry {
                                binding: 7,
                                resource: self.ladder.as_entire_binding(),
                            },
                        ],
                    });
                self.bind_groups.insert((src, dst, aux), bind_group);
            }
        }
    }

    /// The buffer of a field slot.
    pub fn slot(&self, slot: Slot) -> &wgpu::Buffer {
        &self.field[slot.index()]
    }

    /// Allocates the third field slot and the momentum buffer that HMC needs.
    fn ensure_hmc_buffers(&mut self) -> Result<()> {
        if self.hmc_buffers {
            return Ok(());
        }
        let bytes = bytes_of(self.sites);
        let field_c = storage_buffer(&self.gpu, "idf field C", bytes)?;
        let momentum = storage_buffer(&self.gpu, "idf momentum", bytes)?;
        let old = [
            std::mem::replace(&mut self.field[2], field_c),
            std::mem::replace(&mut self.momentum, momentum),
        ];
        self.release(old);
        self.hmc_buffers = true;
        self.rebuild_bind_groups();
        Ok(())
    }

    /// Makes room for a trace of `records` records (contents are not kept).
    pub fn ensure_trace(&mut self, records: usize) -> Result<()> {
        let bytes = trace_bytes(records, self.chains);
        if bytes > self.trace.size() {
            let trace = storage_buffer(&self.gpu, "idf trace", bytes)?;
            let old = std::mem::replace(&mut self.trace, trace);
            self.release([old]);
            self.rebuild_bind_groups();
        }
        Ok(())
    }

    /// Uploads the field into `slot`.
    pub fn write_field(&self, slot: Slot, data: &[f32]) {
        self.gpu
            .queue
            .write_buffer(self.slot(slot), 0, bytemuck::cast_slice(data));
    }

    /// Overwrites the field in `slot` with the start of `values` (same device), by a copy on the
    /// device. Errors: `values` is shorter than a field.
    pub fn copy_field_from(&self, slot: Slot, values: &wgpu::Buffer) -> Result<()> {
        self.gpu
            .copy_buffer((values, 0), (self.slot(slot), 0), bytes_of(self.sites))
    }

    /// Replaces the energy's parameters (as many values as the buffer holds).
    pub fn write_energy_params(&self, params: &[f32]) {
        self.gpu
            .queue
            .write_buffer(&self.energy_params, 0, bytemuck::cast_slice(params));
    }

    /// Overwrites the start of the scratch buffer.
    pub fn write_scratch(&self, values: &[f32]) {
        self.gpu
            .queue
            .write_buffer(&self.scratch, 0, bytemuck::cast_slice(values));
    }

    /// Reads the first `len` scratch values back.
    pub fn read_scratch(&self, len: usize) -> Result<Vec<f32>> {
        let bytes = self.read(&self.scratch, (len * 4) as u64)?;
        Ok(bytemuck::cast_slice(&bytes).to_vec())
    }

    /// Overwrites the ladder buffer.
    pub fn write_ladder(&self, ladder: &[u32]) {
        self.gpu
            .queue
            .write_buffer(&self.ladder, 0, bytemuck::cast_slice(ladder));
    }

    /// Reads the ladder buffer back.
    pub fn read_ladder(&self) -> Result<Vec<u32>> {
        let bytes = self.read(
            &self.ladder,
            (crate::kernels::ladder_len(self.chains) * 4) as u64,
        )?;
        Ok(bytemuck::cast_slice(&bytes).to_vec())
    }

    /// Overwrites the status buffer.
    pub fn write_status(&self, status: &[u32]) {
        self.gpu
            .queue
            .write_buffer(&self.status, 0, bytemuck::cast_slice(status));
    }

    /// Records every dispatch into one compute pass and submits it.
    pub fn execute(&mut self, dispatches: &[Dispatch]) -> Result<()> {
        if dispatches.is_empty() {
            return Ok(());
        }
        if dispatches
            .iter()
            .any(|d| d.kernel.uses_momentum() || d.src == Slot::C || d.dst == Slot::C)
        {
            self.ensure_hmc_buffers()?;
        }
        for d in dispatches {
            if !self.pipelines.contains_key(&d.kernel) {
                let p = self.gpu.pipeline(d.kernel, &self.energy)?;
                self.pipelines.insert(d.kernel, p);
            }
        }
        if dispatches.len() > self.params_capacity {
            self.params_capacity = dispatches.len().next_power_of_two();
            let params = Self::params_buffer(&self.gpu, self.params_capacity, self.params_stride);
            let old = std::mem::replace(&mut self.params, params);
            self.release([old]);
            self.rebuild_bind_groups();
        }
        let stride = self.params_stride as usize;
        let mut bytes = vec![0u8; dispatches.len() * stride];
        for (k, d) in dispatches.iter().enumerate() {
            bytes[k * stride..k * stride + std::mem::size_of::<StepParams>()]
                .copy_from_slice(bytemuck::bytes_of(&d.params));
        }
        self.gpu.queue.write_buffer(&self.params, 0, &bytes);

        let scope = self
            .gpu
            .device
            .push_error_scope(wgpu::ErrorFilter::Validation);
        let mut encoder = self
            .gpu
            .device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                label: Some("idf steps"),
            });
        {
            let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
                label: Some("idf steps"),
                timestamp_writes: None,
            });
            let site_groups = (self.sites as u32).div_ceil(SITE_WORKGROUP);
            let gx = site_groups.min(MAX_GROUPS_PER_DIM);
            let gy = site_groups.div_ceil(gx);
            let word_groups = ((self.sites / MULTISPIN_SITES_PER_WORD) as u32)
                .div_ceil(SITE_WORKGROUP)
                .max(1);
            let (wx, wy) = (
                word_groups.min(MAX_GROUPS_PER_DIM),
                word_groups.div_ceil(word_groups.min(MAX_GROUPS_PER_DIM)),
            );
            for (k, d) in dispatches.iter().enumerate() {
                pass.set_pipeline(&self.pipelines[&d.kernel]);
                pass.set_bind_group(
                    0,
                    &self.bind_groups[&(d.src, d.dst, d.aux)],
                    &[(k as u64 * self.params_stride) as u32],
                );
                match d.kernel.grid() {
                    Grid::PerSite => pass.dispatch_workgroups(gx, gy, 1),
                    Grid::ColourWords => pass.dispatch_workgroups(wx, wy, 1),
                    Grid::PerChain => pass.dispatch_workgroups(
                        self.chains.div_ceil(d.kernel.chains_per_group(&d.params)) as u32,
                        1,
                        1,
                    ),
                    Grid::Single => pass.dispatch_workgroups(1, 1, 1),
                    Grid::Blocks(block) => pass.dispatch_workgroups(
                        self.chains as u32,
                        (self.sites / self.chains).div_ceil(block) as u32,
                        1,
                    ),
                    Grid::Tiles => {
                        let p = &d.params;
                        pass.dispatch_workgroups(
                            p.width.div_ceil(FUSED_TILE),
                            p.height.div_ceil(FUSED_TILE),
                            p.chains * p.channels,
                        )
                    }
                }
            }
        }
        self.gpu.queue.submit([encoder.finish()]);
        if let Some(e) = pollster::block_on(scope.pop()) {
            return Err(IdfError::Gpu(e.to_string()));
        }
        Ok(())
    }

    /// Reads the status buffer back.
    pub fn read_status(&self) -> Result<Vec<u32>> {
        let bytes = self.read(
            &self.status,
            (crate::kernels::status_len(self.chains) * 4) as u64,
        )?;
        Ok(bytemuck::cast_slice(&bytes).to_vec())
    }

    /// Reads the first `records` trace records back.
    pub fn read_trace(&self, records: usize) -> Result<Vec<f32>> {
        let len = (records * self.chains * crate::kernels::OBSERVABLES * 4) as u64;
        if len == 0 {
            return Ok(Vec::new());
        }
        let bytes = self.read(&self.trace, len)?;
        Ok(bytemuck::cast_slice(&bytes).to_vec())
    }

    /// Reads the field in `slot` back.
    pub fn read_field(&self, slot: Slot) -> Result<Vec<f32>> {
        let bytes = self.read(self.slot(slot), (self.sites * 4) as u64)?;
        Ok(bytemuck::cast_slice(&bytes).to_vec())
    }

    /// One value of the field in `slot` (a 4-byte copy).
    pub fn read_value(&self, slot: Slot, index: usize) -> Result<f32> {
        let bytes = read_buffer_range(&self.gpu, self.slot(slot), (index * 4) as u64, 4)?;
        Ok(f32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]))
    }

    fn read(&self, buffer: &wgpu::Buffer, len: u64) -> Result<Vec<u8>> {
        read_buffer(&self.gpu, buffer, len)
    }
}

impl Drop for GpuExecutor {
    /// Every buffer goes to the device's pool (kept there only when it has a capacity); the
    /// bind groups that name them go with the executor.
    fn drop(&mut self) {
        self.bind_groups.clear();
        let [a, b, c] = &self.field;
        let buffers = [
            a,
            b,
            c,
            &self.scratch,
            &self.momentum,
            &self.ladder,
            &self.status,
            &self.trace,
            &self.energy_params,
            &self.params,
        ]
        .map(Clone::clone);
        self.release(buffers);
    }
}

/// Copies the first `len` bytes of `buffer` to the host (one submit and a blocking map).
pub fn read_buffer(gpu: &GpuContext, buffer: &wgpu::Buffer, len: u64) -> Result<Vec<u8>> {
    read_buffer_range(gpu, buffer, 0, len)
}

/// Copies `len` bytes of `buffer` from `offset` (both multiples of 4) back to the host.
pub fn read_buffer_range(
    gpu: &GpuContext,
    buffer: &wgpu::Buffer,
    offset: u64,
    len: u64,
) -> Result<Vec<u8>> {
    let device = &gpu.device;
    let usage = wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST;
    let staging = gpu.buffers.take(len, usage).unwrap_or_else(|| {
        device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("idf read-back"),
            size: len,
            usage,
            mapped_at_creation: false,
        })
    });
    let mut encoder = device.create_command_encoder(&wgpu::CommandEncoderDescriptor {
        label: Some("idf read-back"),
    });
    encoder.copy_buffer_to_buffer(buffer, offset, &staging, 0, len);
    gpu.queue.submit([encoder.finish()]);
    let (tx, rx) = std::sync::mpsc::channel();
    staging.map_async(wgpu::MapMode::Read, .., move |r| {
        let _ = tx.send(r);
    });
    device
        .poll(wgpu::PollType::wait_indefinitely())
        .map_err(|e| IdfError::Gpu(e.to_string()))?;
    rx.recv()
        .map_err(|e| IdfError::Gpu(e.to_string()))?
        .map_err(|e| IdfError::Gpu(e.to_string()))?;
    let data = staging
        .get_mapped_range(..)
        .map_err(|e| IdfError::Gpu(e.to_string()))?
        .to_vec();
    staging.unmap();
    gpu.buffers.give(device, &gpu.queue, [staging]);
    Ok(data)
}
