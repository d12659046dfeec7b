//! The CPU twin of every kernel, with the same file names as `shaders/`, and the executor that
//! runs recorded dispatches with them. The twin is the oracle in tests and the fallback where
//! no GPU adapter exists.

pub mod boltzmann_weight;
pub mod chain_block_sums;
pub mod chain_histogram;
pub mod chain_observable_blocks;
pub mod chain_observables;
pub mod colormap;
pub mod denoiser_reverse_step;
pub mod energies;
pub mod fast_phi4;
pub mod hmc_leapfrog;
pub mod hmc_momentum;
pub mod langevin_fused;
pub mod langevin_step;
pub mod mala_accept;
pub mod mala_select;
pub mod mala_terms;
pub mod metropolis_sweep;
pub mod multispin_pack;
pub mod multispin_sweep;
pub mod multispin_unpack;
pub mod particles;
pub mod potts_sweep;
pub mod replica_swap;
pub mod resample_chains;
pub mod shared;
pub mod spectral;

use std::sync::atomic::{AtomicU32, Ordering};

use crate::error::Result;
use crate::kernels::{Aux, Dispatch, Kernel, Slot, OBSERVABLES};
use crate::memory;
use energies::{EnergyEval, EnergyTwin};

/// CPU buffers of one simulation, laid out as on the GPU.
pub(crate) struct CpuExecutor {
    twin: &'static dyn EnergyTwin,
    energy_params: Vec<f32>,
    field: [Vec<f32>; 3],
    scratch: Vec<f32>,
    momentum: Vec<f32>,
    ladder: Vec<u32>,
    status: Vec<AtomicU32>,
    trace: Vec<f32>,
    chains: usize,
}

impl CpuExecutor {
    /// Allocates the buffers for `sites` sites in `chains` chains and a trace of `records`
    /// records, for the energy whose twin is `twin`; memory that cannot be had is an
    /// [`IdfError::OutOfMemory`](crate::error::IdfError::OutOfMemory) naming the buffer.
    pub fn new(
        twin: &'static dyn EnergyTwin,
        energy_params: &[f32],
        chains: usize,
        sites: usize,
        records: usize,
    ) -> Result<Self> {
        let status = crate::kernels::initial_status(chains);
        Ok(CpuExecutor {
            twin,
            energy_params: energy_params.to_vec(),
            field: [
                memory::filled(sites, 0.0, "CPU field A")?,
                memory::filled(sites, 0.0, "CPU field B")?,
                Vec::new(),
            ],
            scratch: memory::filled(
                crate::kernels::scratch_len(chains, sites),
                0.0,
                "CPU scratch",
            )?,
            momentum: Vec::new(),
            ladder: memory::filled(crate::kernels::ladder_len(chains), 0, "CPU ladder")?,
            status: memory::collected(
                status.len(),
                status.iter().map(|&v| AtomicU32::new(v)),
                "CPU status",
            )?,
            trace: memory::filled(trace_len(records, chains), 0.0, "CPU trace")?,
            chains,
        })
    }

    /// The field in `slot`.
    pub fn field(&self, slot: Slot) -> &[f32] {
        &self.field[slot.index()]
    }

    /// Overwrites the field in `slot`.
    pub fn write_field(&mut self, slot: Slot, data: &[f32]) {
        self.field[slot.index()].copy_from_slice(data);
    }

    /// Replaces the energy's parameters.
    pub fn write_energy_params(&mut self, params: &[f32]) {
        self.energy_params.copy_from_slice(params);
    }

    /// Overwrites the start of the scratch buffer.
    pub fn write_scratch(&mut self, values: &[f32]) {
        self.scratch[..values.len()].copy_from_slice(values);
    }

    /// The first `len` scratch values.
    pub fn scratch(&self, len: usize) -> &[f32] {
        &self.scratch[..len]
    }

    /// Overwrites the ladder buffer.
    pub fn write_ladder(&mut self, ladder: &[u32]) {
        self.ladder.copy_from_slice(ladder);
    }

    /// The ladder buffer.
    pub fn ladder(&self) -> &[u32] {
        &self.ladder
    }

    /// Overwrites the status buffer.
    pub fn write_status(&mut self, status: &[u32]) {
        for (s, v) in self.status.iter().zip(status) {
            s.store(*v, Ordering::Relaxed);
        }
    }

    /// Makes room for a trace of `records` records.
    pub fn ensure_trace(&mut self, records: usize) -> Result<()> {
        let len = trace_len(records, self.chains);
        if len > self.trace.len() {
            let mut longer = memory::filled(len, 0.0, "CPU trace")?;
            longer[..self.trace.len()].copy_from_slice(&self.trace);
            self.trace = longer;
        }
        Ok(())
    }

    /// The status buffer.
    pub fn status(&self) -> Vec<u32> {
        self.status
            .iter()
            .map(|s| s.load(Ordering::Relaxed))
            .collect()
    }

    /// The first `records` trace records.
    pub fn trace(&self, records: usize) -> &[f32] {
        &self.trace[..records * self.chains * OBSERVABLES]
    }

    /// Runs the dispatches in order.
    pub fn execute(&mut self, dispatches: &[Dispatch]) -> Result<()> {
        let sites = self.field[0].len();
        for d in dispatches {
            if self.field[Slot::C.index()].is_empty()
                && (d.kernel.uses_momentum() || d.src == Slot::C || d.dst == Slot::C)
            {
                self.field[Slot::C.index()] = memory::filled(sites, 0.0, "CPU field C")?;
                self.momentum = memory::filled(sites, 0.0, "CPU momentum")?;
            }
            let (src, dst) = src_dst(&mut self.field, d.src, d.dst);
            let e = EnergyEval::new(self.twin, &self.energy_params, &d.params, src)
                .with_ladder(&self.ladder);
            let aux = match d.aux {
                Aux::Scratch => &mut self.scratch,
                Aux::Trace => &mut self.trace,
            };
            let status = &self.status;
            match d.kernel {
                Kernel::LangevinStep => langevin_step::run_fastest(&e, dst, status),
                Kernel::LangevinFused => langevin_fused::run(&e, dst, &mut self.scratch, status),
                Kernel::MetropolisSweep => metropolis_sweep::run(&e, dst, status),
                Kernel::MalaTerms => mala_terms::run(&e, dst, &mut aux[..sites]),
                Kernel::ChainBlockSums => chain_block_sums::run(&d.params, &mut aux[..sites]),
                Kernel::MalaAccept => {
                    mala_accept::run(&d.params, &self.ladder, &aux[..sites], sites, status)
                }
                Kernel::MalaSelect => mala_select::run(&d.params, src, dst, status),
                Kernel::ChainObservableBlocks => chain_observable_blocks::run(&e, dst),
                Kernel::ChainObservables => chain_observables::run(&e, dst, aux, status),
                Kernel::ChainHistogram => chain_histogram::run(&d.params, src, aux),
                Kernel::HmcMomentum => hmc_momentum::run(&e, &mut self.momentum, aux),
                Kernel::HmcLeapfrog => hmc_leapfrog::run(&e, dst, &mut self.momentum, aux),
                Kernel::BoltzmannWeight => boltzmann_weight::run(&d.params, src, dst, aux),
                Kernel::ResampleChains => resample_chains::run(&d.params, src, dst, aux),
                Kernel::ReplicaSwap => replica_swap::run(&d.params, aux, &mut self.ladder),
                Kernel::PottsSweep => potts_sweep::run(&e, dst, status),
                Kernel::MultispinPack => {
                    multispin_pack::run(&d.params, src, bytemuck::cast_slice_mut(aux))
                }
                Kernel::MultispinSweep => {
                    multispin_sweep::run(&e, bytemuck::cast_slice_mut(aux), status)
                }
                Kernel::MultispinUnpack => {
                    multispin_unpack::run(&d.params, bytemuck::cast_slice(aux), dst)
                }
            }
        }
        Ok(())
    }
}

/// The trace's length in values: `records` × `chains` × [`OBSERVABLES`], saturating so that an
/// absurd request fails as an allocation instead of wrapping around.
fn trace_len(records: usize, chains: usize) -> usize {
    records.saturating_mul(chains).saturating_mul(OBSERVABLES)
}

/// Borrows two distinct slots: `src` to read and `dst` to write.
fn src_dst(field: &mut [Vec<f32>; 3], src: Slot, dst: Slot) -> (&[f32], &mut [f32]) {
    assert_ne!(src, dst, "a kernel never reads and writes one slot");
    let (i, j) = (src.index(), dst.index());
    let (lo, hi) = field.split_at_mut(i.max(j));
    if i < j {
        (&lo[i], &mut hi[0])
    } else {
        (&hi[0], &mut lo[j])
    }
}
