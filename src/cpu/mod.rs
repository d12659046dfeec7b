//! The CPU twin of every kernel, with the same file names as `shaders/`, and the executor that
//! runs recorded dispatches with them. The twin is the oracle in tests and the fallback where
//! no GPU adapter exists.

pub mod chain_observables;
pub mod energies;
pub mod langevin_step;
pub mod mala_accept;
pub mod mala_select;
pub mod mala_terms;
pub mod metropolis_sweep;
pub mod shared;

use std::sync::atomic::{AtomicU32, Ordering};

use crate::core::energy_field::EnergyKind;
use crate::kernels::{Aux, Dispatch, Kernel, Slot, OBSERVABLES};
use energies::EnergyEval;

/// CPU buffers of one simulation, laid out as on the GPU.
pub struct CpuExecutor {
    energy: EnergyKind,
    energy_params: Vec<f32>,
    field: [Vec<f32>; 2],
    scratch: Vec<f32>,
    status: Vec<AtomicU32>,
    trace: Vec<f32>,
    chains: usize,
}

impl CpuExecutor {
    /// Allocates the buffers for `chains × sites_per_chain` sites and a trace of `records` records.
    pub fn new(
        energy: EnergyKind,
        energy_params: &[f32],
        chains: usize,
        sites: usize,
        records: usize,
    ) -> Self {
        CpuExecutor {
            energy,
            energy_params: energy_params.to_vec(),
            field: [vec![0.0; sites], vec![0.0; sites]],
            scratch: vec![0.0; sites],
            status: crate::kernels::initial_status(chains)
                .into_iter()
                .map(AtomicU32::new)
                .collect(),
            trace: vec![0.0; records * chains * OBSERVABLES],
            chains,
        }
    }

    fn index(slot: Slot) -> usize {
        match slot {
            Slot::A => 0,
            Slot::B => 1,
        }
    }

    /// The field in `slot`.
    pub fn field(&self, slot: Slot) -> &[f32] {
        &self.field[Self::index(slot)]
    }

    /// Overwrites the field in `slot`.
    pub fn write_field(&mut self, slot: Slot, data: &[f32]) {
        self.field[Self::index(slot)].copy_from_slice(data);
    }

    /// Overwrites the status buffer.
    pub fn write_status(&mut self, status: &[u32]) {
        for (s, v) in self.status.iter().zip(status) {
            s.store(*v, Ordering::Relaxed);
        }
    }

    /// Makes room for a trace of `records` records.
    pub fn ensure_trace(&mut self, records: usize) {
        let len = records * self.chains * OBSERVABLES;
        if len > self.trace.len() {
            self.trace.resize(len, 0.0);
        }
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
    pub fn execute(&mut self, dispatches: &[Dispatch]) {
        for d in dispatches {
            let [a, b] = &mut self.field;
            let (src, dst): (&[f32], &mut [f32]) = match d.src {
                Slot::A => (a, b),
                Slot::B => (b, a),
            };
            let e = EnergyEval::new(self.energy, &self.energy_params, &d.params, src);
            let aux = match d.aux {
                Aux::Scratch => &mut self.scratch,
                Aux::Trace => &mut self.trace,
            };
            match d.kernel {
                Kernel::LangevinStep => langevin_step::run(&e, dst, &self.status),
                Kernel::MetropolisSweep => metropolis_sweep::run(&e, dst, &self.status),
                Kernel::MalaTerms => mala_terms::run(&e, dst, aux),
                Kernel::MalaAccept => mala_accept::run(&d.params, aux, &self.status),
                Kernel::MalaSelect => mala_select::run(&d.params, src, dst, &self.status),
                Kernel::ChainObservables => chain_observables::run(&e, aux, &self.status),
            }
        }
    }
}
