//! The kernel catalogue shared by the GPU and CPU backends.
//!
//! A run is a list of [`Dispatch`]es: a kernel, its parameters and which ping-pong buffer it reads.
//! The GPU backend records them into one command encoder; the CPU backend executes the twin of
//! each kernel in the same order. Keep [`StepParams`] and the binding table in sync with
//! `shaders/shared/bindings.wgsl`.

use bytemuck::{Pod, Zeroable};

/// Per-dispatch parameters, the uniform `params` of every kernel.
///
/// Keep in sync with `struct StepParams` in `shaders/shared/bindings.wgsl`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Pod, Zeroable)]
pub struct StepParams {
    /// Number of chains (independent fields) in the buffer.
    pub chains: u32,
    /// Channels per chain.
    pub channels: u32,
    /// Lattice height.
    pub height: u32,
    /// Lattice width.
    pub width: u32,
    /// Step counter: keys the random numbers and names the step of a divergence.
    pub step: u32,
    /// Seed of the run.
    pub seed: u32,
    /// Checkerboard colour updated by a Metropolis half sweep.
    pub parity: u32,
    /// Trace record written by `chain_observables`.
    pub record: u32,
    /// Coefficient of the state in the drift-diffusion step.
    pub c_x: f32,
    /// Coefficient of the energy gradient in the drift-diffusion step.
    pub c_grad: f32,
    /// Coefficient of the Gaussian noise in the drift-diffusion step.
    pub c_noise: f32,
    /// Temperature `T` (Boltzmann weight `exp(-E/T)`).
    pub temperature: f32,
    /// Cumulative signal fraction of the noised marginal (1 for the plain energy).
    pub alpha_bar: f32,
    /// Step size: MALA's `eta`, the width of a continuous Metropolis proposal.
    pub step_size: f32,
    /// Sign of `mala_terms`: +1 writes, -1 subtracts.
    pub sign: f32,
    /// Bit flags ([`FLAG_PROPOSAL`]).
    pub flags: u32,
}

/// `flags` bit: the kernel writes a proposal, so a non-finite value is not a divergence.
pub const FLAG_PROPOSAL: u32 = 1;
/// `status[0]` while no step has produced a non-finite value.
pub const NOT_DIVERGED: u32 = u32::MAX;
/// Values per chain per trace record: energy, sum x, sum x², accepted proposals.
pub const OBSERVABLES: usize = 4;
/// Threads per workgroup of per-site kernels.
pub const SITE_WORKGROUP: u32 = 64;
/// Threads per workgroup of per-chain reduction kernels.
pub const REDUCE_WORKGROUP: usize = 256;

/// Length of the status buffer for `chains` chains: see `shaders/shared/bindings.wgsl`.
pub fn status_len(chains: usize) -> usize {
    1 + 2 * chains
}

/// The status buffer's starting contents.
pub fn initial_status(chains: usize) -> Vec<u32> {
    let mut status = vec![0; status_len(chains)];
    status[0] = NOT_DIVERGED;
    status
}

/// A compute kernel: one WGSL file in `shaders/` and its CPU twin in `src/cpu/` of the same name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kernel {
    /// `dst = c_x·src − c_grad·∇E(src) + c_noise·ξ`.
    LangevinStep,
    /// Per-site terms of the MALA log acceptance ratio into `aux`.
    MalaTerms,
    /// Per-chain MALA decision from the summed terms.
    MalaAccept,
    /// Restores `src` into `dst` for chains that rejected.
    MalaSelect,
    /// Checkerboard Metropolis half sweep.
    MetropolisSweep,
    /// Per-chain energy, sum, sum of squares and acceptance into the trace.
    ChainObservables,
}

impl Kernel {
    /// Every kernel, for validation tests.
    pub const ALL: [Kernel; 6] = [
        Kernel::LangevinStep,
        Kernel::MalaTerms,
        Kernel::MalaAccept,
        Kernel::MalaSelect,
        Kernel::MetropolisSweep,
        Kernel::ChainObservables,
    ];

    /// The file name, without `.wgsl`, in `shaders/`.
    pub fn name(self) -> &'static str {
        match self {
            Kernel::LangevinStep => "langevin_step",
            Kernel::MalaTerms => "mala_terms",
            Kernel::MalaAccept => "mala_accept",
            Kernel::MalaSelect => "mala_select",
            Kernel::MetropolisSweep => "metropolis_sweep",
            Kernel::ChainObservables => "chain_observables",
        }
    }

    /// Whether the kernel imports an energy module.
    pub fn uses_energy(self) -> bool {
        matches!(
            self,
            Kernel::LangevinStep
                | Kernel::MalaTerms
                | Kernel::MetropolisSweep
                | Kernel::ChainObservables
        )
    }

    /// Whether the kernel needs the energy's local Metropolis functions.
    pub fn needs_local_moves(self) -> bool {
        self == Kernel::MetropolisSweep
    }

    /// Whether the kernel runs one workgroup per chain rather than one thread per site.
    pub fn per_chain(self) -> bool {
        matches!(self, Kernel::MalaAccept | Kernel::ChainObservables)
    }
}

/// One of the two ping-pong field buffers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Slot {
    /// The first buffer.
    A,
    /// The second buffer.
    B,
}

impl Slot {
    /// The other buffer.
    pub fn other(self) -> Slot {
        match self {
            Slot::A => Slot::B,
            Slot::B => Slot::A,
        }
    }
}

/// What the `aux` binding holds for a dispatch.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Aux {
    /// Per-site scratch (MALA terms).
    Scratch,
    /// The trace of observables.
    Trace,
}

/// One recorded kernel launch: reads `src`, writes the other slot.
#[derive(Clone, Copy, Debug)]
pub struct Dispatch {
    /// The kernel.
    pub kernel: Kernel,
    /// Its parameters.
    pub params: StepParams,
    /// The slot bound as `src`; the other is `dst`.
    pub src: Slot,
    /// What is bound as `aux`.
    pub aux: Aux,
}

/// Index of the first-diverged-step word in the status buffer.
pub const STATUS_DIVERGED: usize = 0;
