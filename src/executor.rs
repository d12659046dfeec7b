//! The seam between the engine and the two backends: one interface over a simulation's buffers,
//! so that the same dispatches run on the GPU or on the CPU twin, whichever the [`Context`] has.

use crate::context::Context;
use crate::cpu::energies::EnergyTwin;
use crate::cpu::CpuExecutor;
use crate::error::{IdfError, Result};
use crate::gpu::executor::GpuExecutor;
use crate::kernels::{Dispatch, EnergyModule, Slot};

/// The energy a simulation's kernels are composed with: its WGSL module, its CPU twin (none for
/// a user's WGSL, which runs on the GPU only) and its packed parameters.
#[derive(Clone)]
pub struct EnergyBinding {
    /// The model's name, for messages.
    pub model: &'static str,
    /// The WGSL module.
    pub module: EnergyModule,
    /// The CPU twin.
    pub twin: Option<&'static dyn EnergyTwin>,
    /// The `energy_params` buffer.
    pub params: Vec<f32>,
}

/// The buffers of one simulation on its backend.
pub enum Executor {
    /// CPU twin.
    Cpu(Box<CpuExecutor>),
    /// wgpu.
    Gpu(Box<GpuExecutor>),
}

impl Executor {
    /// Allocates buffers for `sites` values in `chains` chains on the context's backend.
    pub fn new(ctx: &Context, energy: EnergyBinding, chains: usize, sites: usize) -> Result<Self> {
        Ok(match (ctx.gpu_context(), energy.twin) {
            (Some(gpu), _) => Executor::Gpu(Box::new(GpuExecutor::new(
                gpu.clone(),
                energy.module,
                &energy.params,
                chains,
                sites,
                1,
            )?)),
            (None, Some(twin)) => Executor::Cpu(Box::new(CpuExecutor::new(
                twin,
                &energy.params,
                chains,
                sites,
                1,
            )?)),
            (None, None) => {
                return Err(IdfError::BackendUnsupported {
                    model: energy.model.into(),
                    backend: "CPU".into(),
                    reason: format!(
                        "`{}` has no CPU twin (a custom WGSL energy runs on the GPU only); \
                         run it on a GPU adapter",
                        energy.module.name
                    ),
                })
            }
        })
    }

    /// Replaces the energy's parameters with as many new values (the same energy module).
    pub fn write_energy_params(&mut self, params: &[f32]) {
        match self {
            Executor::Cpu(c) => c.write_energy_params(params),
            Executor::Gpu(g) => g.write_energy_params(params),
        }
    }

    /// Uploads a field into `slot`.
    pub fn write_field(&mut self, slot: Slot, data: &[f32]) {
        match self {
            Executor::Cpu(c) => c.write_field(slot, data),
            Executor::Gpu(g) => g.write_field(slot, data),
        }
    }

    /// Overwrites the field in `slot` with the start of `values`, a buffer on the same GPU
    /// device, by a copy on the device. Errors: the CPU backend; a buffer shorter than a field.
    pub fn copy_field_from(&mut self, slot: Slot, values: &wgpu::Buffer) -> Result<()> {
        match self {
            Executor::Cpu(_) => Err(IdfError::invalid(
                "backend",
                "the CPU backend holds no GPU buffers to copy from",
            )),
            Executor::Gpu(g) => g.copy_field_from(slot, values),
        }
    }

    /// Downloads the field in `slot`.
    pub fn read_field(&self, slot: Slot) -> Result<Vec<f32>> {
        match self {
            Executor::Cpu(c) => Ok(c.field(slot).to_vec()),
            Executor::Gpu(g) => g.read_field(slot),
        }
    }

    /// One value of the field in `slot`.
    pub fn read_value(&self, slot: Slot, index: usize) -> Result<f32> {
        match self {
            Executor::Cpu(c) => Ok(c.field(slot)[index]),
            Executor::Gpu(g) => g.read_value(slot, index),
        }
    }

    /// Overwrites the start of the scratch buffer.
    pub fn write_scratch(&mut self, values: &[f32]) {
        match self {
            Executor::Cpu(c) => c.write_scratch(values),
            Executor::Gpu(g) => g.write_scratch(values),
        }
    }

    /// Reads the first `len` scratch values.
    pub fn read_scratch(&self, len: usize) -> Result<Vec<f32>> {
        match self {
            Executor::Cpu(c) => Ok(c.scratch(len).to_vec()),
            Executor::Gpu(g) => g.read_scratch(len),
        }
    }

    /// Overwrites the ladder buffer (replica exchange).
    pub fn write_ladder(&mut self, ladder: &[u32]) {
        match self {
            Executor::Cpu(c) => c.write_ladder(ladder),
            Executor::Gpu(g) => g.write_ladder(ladder),
        }
    }

    /// Reads the ladder buffer.
    pub fn read_ladder(&self) -> Result<Vec<u32>> {
        match self {
            Executor::Cpu(c) => Ok(c.ladder().to_vec()),
            Executor::Gpu(g) => g.read_ladder(),
        }
    }

    /// Overwrites the status buffer.
    pub fn write_status(&mut self, status: &[u32]) {
        match self {
            Executor::Cpu(c) => c.write_status(status),
            Executor::Gpu(g) => g.write_status(status),
        }
    }

    /// Reads the status buffer.
    pub fn read_status(&self) -> Result<Vec<u32>> {
        match self {
            Executor::Cpu(c) => Ok(c.status()),
            Executor::Gpu(g) => g.read_status(),
        }
    }

    /// Makes room for `records` trace records.
    pub fn ensure_trace(&mut self, records: usize) -> Result<()> {
        match self {
            Executor::Cpu(c) => c.ensure_trace(records),
            Executor::Gpu(g) => g.ensure_trace(records),
        }
    }

    /// Reads the first `records` trace records.
    pub fn read_trace(&self, records: usize) -> Result<Vec<f32>> {
        match self {
            Executor::Cpu(c) => Ok(c.trace(records).to_vec()),
            Executor::Gpu(g) => g.read_trace(records),
        }
    }

    /// Runs the dispatches in order.
    pub fn execute(&mut self, dispatches: &[Dispatch]) -> Result<()> {
        match self {
            Executor::Cpu(c) => c.execute(dispatches),
            Executor::Gpu(g) => g.execute(dispatches),
        }
    }

    /// Whether the buffers live on a GPU.
    pub fn is_gpu(&self) -> bool {
        matches!(self, Executor::Gpu(_))
    }

    /// The GPU buffer of `slot`, on the GPU backend.
    pub fn gpu_buffer(&self, slot: Slot) -> Option<&wgpu::Buffer> {
        match self {
            Executor::Cpu(_) => None,
            Executor::Gpu(g) => Some(g.slot(slot)),
        }
    }
}
