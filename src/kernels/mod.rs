//! The kernel catalogue shared by the GPU and CPU backends: the bottom layer, which imports
//! nothing of IDF's but its error type.
//!
//! A run is a list of [`Dispatch`]es: a kernel, its parameters and which ping-pong buffer it reads.
//! The GPU backend records them into one command encoder; the CPU backend executes the twin of
//! each kernel in the same order. Keep [`StepParams`] and the binding table in sync with
//! `shaders/shared/bindings.wgsl`. Kernels that import an energy are composed with an
//! [`EnergyModule`]; the colormap kernel reads a [`Colormap`]'s table.

pub mod colormap;
pub mod denoiser_reverse_step;
pub mod energy_module;
pub mod particles;
pub mod spectral;

use bytemuck::{Pod, Zeroable};

pub use colormap::{ColorRange, Colormap};
pub use energy_module::EnergyModule;

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
    /// Bit flags ([`FLAG_PROPOSAL`], [`FLAG_FINAL_KICK`]).
    pub flags: u32,
    /// Lower edge of the value histogram of `chain_observables`.
    pub hist_lo: f32,
    /// Upper edge of the value histogram.
    pub hist_hi: f32,
    /// Bins of the value histogram (0: no histogram entropy), at most [`MAX_HIST_BINS`].
    pub hist_bins: u32,
    /// Steps one `langevin_fused` dispatch takes, at most [`MAX_FUSED_STEPS`].
    pub fused_steps: u32,
}

impl StepParams {
    /// Values per chain: channels × height × width.
    pub fn sites_per_chain(&self) -> usize {
        self.channels as usize * self.height as usize * self.width as usize
    }
}

/// `flags` bit: the kernel writes a proposal, so a non-finite value is not a divergence.
pub const FLAG_PROPOSAL: u32 = 1;
/// `flags` bit of `hmc_leapfrog`: the closing half kick, which adds the final Hamiltonian terms
/// instead of drifting.
pub const FLAG_FINAL_KICK: u32 = 2;
/// `flags` bit: each chain has its own temperature in the ladder buffer (replica exchange).
pub const FLAG_TEMPERING: u32 = 4;
/// `flags` bit: each chain has its own random-number key (chain index, seed) in the ladder
/// buffer, so that runs batched into one dispatch draw the numbers each would draw alone.
pub const FLAG_CHAIN_KEYS: u32 = 8;
/// Length of the ladder buffer, the per-chain state, for `chains` chains: the replica-exchange
/// sections and the random-number keys (see `shaders/shared/bindings.wgsl`).
pub fn ladder_len(chains: usize) -> usize {
    8 * chains
}

/// `flags` bit: a sweep draws each site from its conditional distribution (heat-bath: over
/// every label in `potts_sweep`, Barker's acceptance in `metropolis_sweep`).
pub const FLAG_HEAT_BATH: u32 = 16;
/// Writes each chain's random-number key, (chain index, seed), into its sections of `ladder`.
pub fn write_chain_keys(ladder: &mut [u32], keys: &[(u32, u32)]) {
    let c = keys.len();
    for (chain, &(index, seed)) in keys.iter().enumerate() {
        ladder[6 * c + chain] = index;
        ladder[7 * c + chain] = seed;
    }
}

/// The most steps one `langevin_fused` dispatch takes (its tile halo).
pub const MAX_FUSED_STEPS: u32 = 8;
/// Sites per side of the centre of a `langevin_fused` tile, which one workgroup writes.
pub const FUSED_TILE: u32 = 32;
/// The most bins a value histogram may have (one workgroup's shared counters).
pub const MAX_HIST_BINS: u32 = 256;
/// `status[0]` while no step has produced a non-finite value.
pub const NOT_DIVERGED: u32 = u32::MAX;
/// Values per chain per trace record; the slots are the `OBS_*` constants.
pub const OBSERVABLES: usize = 11;
/// Trace slot: the chain's energy.
pub const OBS_ENERGY: usize = 0;
/// Trace slot: Σx.
pub const OBS_SUM: usize = 1;
/// Trace slot: Σ(x − mean)² (centred, from a second pass).
pub const OBS_M2: usize = 2;
/// Trace slot: accepted proposals since the last record (u32 bits).
pub const OBS_ACCEPTED: usize = 3;
/// Trace slot: min x.
pub const OBS_MIN: usize = 4;
/// Trace slot: max x.
pub const OBS_MAX: usize = 5;
/// Trace slot: Σ x ln x over sites with x > 0.
pub const OBS_XLNX: usize = 6;
/// Trace slot: Shannon entropy of the value histogram (NaN without a histogram).
pub const OBS_HIST_ENTROPY: usize = 7;
/// Trace slot: the last accept/reject step's ln α (−ΔH for HMC).
pub const OBS_LOG_ALPHA: usize = 8;
/// Trace slot: sites with x ≤ 0 or NaN (u32 bits): a density entropy needs none.
pub const OBS_NONPOSITIVE: usize = 9;
/// Trace slot: the chain's temperature (its rung of the ladder when tempering).
pub const OBS_TEMPERATURE: usize = 10;
/// Threads per workgroup of per-site kernels.
pub const SITE_WORKGROUP: u32 = 64;
/// Threads per workgroup of per-chain reduction kernels.
pub const REDUCE_WORKGROUP: usize = 256;
/// Sites per block of `chain_block_sums`: a chain longer than this is summed by one workgroup
/// per block, then by one per chain (`shaders/shared/reduce.wgsl`). On a large lattice one
/// workgroup per chain would leave all but one of a GPU's compute units idle.
pub const SUM_BLOCK: usize = 65536;
/// Lanes of a workgroup of `workgroup` invocations that reduce a run of `count` values (as
/// `power_of_two_lanes` in `shaders/shared/lattice.wgsl`): `count` rounded up to a power of
/// two, at most the workgroup. Fewer than a workgroup give the workgroup tree's results bit for
/// bit, so one workgroup reduces `workgroup / lanes` short runs at once.
fn power_of_two_lanes(count: usize, workgroup: usize) -> usize {
    count.max(1).next_power_of_two().min(workgroup)
}

/// The terms `mala_accept` sums for a chain of `sites_per_chain` sites: the sites, or one
/// block sum per [`SUM_BLOCK`] sites.
fn accept_terms(sites_per_chain: usize) -> usize {
    if sites_per_chain > SUM_BLOCK {
        sites_per_chain.div_ceil(SUM_BLOCK)
    } else {
        sites_per_chain
    }
}

/// Threads per workgroup of the observables' reductions (`shaders/shared/observe.wgsl`): a
/// chain's or block's sites are summed in this many strided partials, then in a tree. Two
/// warps: lavapipe runs each barrier as a loop over the workgroup, so its observations took
/// 2.2× as long with 256 (`benches/RESULTS.md`).
pub const OBSERVE_WORKGROUP: usize = 64;
/// Invocations per workgroup of `potts_sweep`: the chains of a Metropolis sweep (one invocation
/// each, every chain's variables in order) or the labels' lanes of one chain's heat-bath sweep.
pub const POTTS_WORKGROUP: usize = 64;
/// Sites per block of `chain_observable_blocks` (256 per thread): a chain longer than this is
/// observed by one workgroup per block, whose records `chain_observables` combines.
pub const OBSERVE_BLOCK: usize = 256 * OBSERVE_WORKGROUP;

/// Length of the status buffer for `chains` chains: see `shaders/shared/bindings.wgsl`.
pub fn status_len(chains: usize) -> usize {
    1 + 3 * chains
}

/// Length of the scratch buffer: a value per site, and at least a full histogram per chain.
pub fn scratch_len(chains: usize, sites: usize) -> usize {
    sites.max(chains * MAX_HIST_BINS as usize)
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
    /// Several `LangevinStep`s in one dispatch, tiles kept in workgroup memory.
    LangevinFused,
    /// Per-site terms of the MALA log acceptance ratio into `aux`.
    MalaTerms,
    /// Per-block sums of the per-site terms of chains longer than [`SUM_BLOCK`] sites, ahead of
    /// `MalaAccept`.
    ChainBlockSums,
    /// Per-chain Metropolis decision (MALA, HMC) from the summed log-ratio terms.
    MalaAccept,
    /// Restores `src` into `dst` for chains that rejected.
    MalaSelect,
    /// Checkerboard Metropolis half sweep.
    MetropolisSweep,
    /// Per-block reductions of chains longer than [`OBSERVE_BLOCK`] sites into block records
    /// in `dst`, ahead of `ChainObservables`.
    ChainObservableBlocks,
    /// Per-chain reductions into the trace (see the `OBS_*` slots).
    ChainObservables,
    /// Per-chain fixed-bin value histograms into scratch.
    ChainHistogram,
    /// HMC momentum refresh and the initial Hamiltonian terms.
    HmcMomentum,
    /// One HMC leapfrog kick and drift, or the closing half kick.
    HmcLeapfrog,
    /// Normalised Boltzmann log-weights and ESS of per-chain energies.
    BoltzmannWeight,
    /// Copies each chain from its ancestor (importance resampling).
    ResampleChains,
    /// Replica-exchange swaps between neighbouring rungs of the temperature ladder.
    ReplicaSwap,
    /// A sweep of a categorical (Potts) energy's variables in order: Metropolis moves and
    /// swaps, an invocation per chain; or heat-bath over every label, a workgroup per chain.
    PottsSweep,
    /// Packs a ±1 field into multi-spin words in scratch (32 spins of one colour per u32).
    MultispinPack,
    /// One colour of an Ising Metropolis or heat-bath sweep on multi-spin words, in place.
    MultispinSweep,
    /// Unpacks multi-spin words into the ±1 field in `dst`.
    MultispinUnpack,
}

impl Kernel {
    /// Every kernel, for validation tests.
    pub const ALL: [Kernel; 19] = [
        Kernel::LangevinStep,
        Kernel::LangevinFused,
        Kernel::MalaTerms,
        Kernel::ChainBlockSums,
        Kernel::MalaAccept,
        Kernel::MalaSelect,
        Kernel::MetropolisSweep,
        Kernel::ChainObservableBlocks,
        Kernel::ChainObservables,
        Kernel::ChainHistogram,
        Kernel::HmcMomentum,
        Kernel::HmcLeapfrog,
        Kernel::BoltzmannWeight,
        Kernel::ResampleChains,
        Kernel::ReplicaSwap,
        Kernel::PottsSweep,
        Kernel::MultispinPack,
        Kernel::MultispinSweep,
        Kernel::MultispinUnpack,
    ];

    /// The file name, without `.wgsl`, in `shaders/`.
    pub fn name(self) -> &'static str {
        match self {
            Kernel::LangevinStep => "langevin_step",
            Kernel::LangevinFused => "langevin_fused",
            Kernel::MalaTerms => "mala_terms",
            Kernel::ChainBlockSums => "chain_block_sums",
            Kernel::MalaAccept => "mala_accept",
            Kernel::MalaSelect => "mala_select",
            Kernel::MetropolisSweep => "metropolis_sweep",
            Kernel::ChainObservableBlocks => "chain_observable_blocks",
            Kernel::ChainObservables => "chain_observables",
            Kernel::ChainHistogram => "chain_histogram",
            Kernel::HmcMomentum => "hmc_momentum",
            Kernel::HmcLeapfrog => "hmc_leapfrog",
            Kernel::BoltzmannWeight => "boltzmann_weight",
            Kernel::ResampleChains => "resample_chains",
            Kernel::ReplicaSwap => "replica_swap",
            Kernel::PottsSweep => "potts_sweep",
            Kernel::MultispinPack => "multispin_pack",
            Kernel::MultispinSweep => "multispin_sweep",
            Kernel::MultispinUnpack => "multispin_unpack",
        }
    }

    /// Whether the kernel imports an energy module.
    pub fn uses_energy(self) -> bool {
        matches!(
            self,
            Kernel::LangevinStep
                | Kernel::LangevinFused
                | Kernel::MalaTerms
                | Kernel::MetropolisSweep
                | Kernel::ChainObservableBlocks
                | Kernel::ChainObservables
                | Kernel::HmcMomentum
                | Kernel::HmcLeapfrog
                | Kernel::PottsSweep
        )
    }

    /// Whether the kernel needs an energy with local moves and a colouring (Metropolis).
    pub fn needs_local_moves(self) -> bool {
        self == Kernel::MetropolisSweep
    }

    /// Whether the kernel needs an energy with categorical (Potts) moves.
    pub fn needs_potts_moves(self) -> bool {
        self == Kernel::PottsSweep
    }

    /// Whether the kernel needs a 5-point stencil gradient (`local_gradient`).
    pub fn needs_stencil(self) -> bool {
        self == Kernel::LangevinFused
    }

    /// How the kernel is dispatched.
    pub fn grid(self) -> Grid {
        match self {
            Kernel::MalaAccept
            | Kernel::ChainObservables
            | Kernel::ChainHistogram
            | Kernel::PottsSweep => Grid::PerChain,
            Kernel::BoltzmannWeight | Kernel::ReplicaSwap => Grid::Single,
            Kernel::LangevinFused => Grid::Tiles,
            Kernel::ChainBlockSums => Grid::Blocks(SUM_BLOCK),
            Kernel::ChainObservableBlocks => Grid::Blocks(OBSERVE_BLOCK),
            Kernel::MultispinPack | Kernel::MultispinSweep => Grid::ColourWords,
            _ => Grid::PerSite,
        }
    }

    /// Chains that one workgroup of a [`Grid::PerChain`] kernel handles in the dispatch of
    /// `p`: `mala_accept` and `chain_observables` reduce several short chains per workgroup
    /// (but one when `p` asks for a histogram), and a Metropolis `potts_sweep` runs an
    /// invocation per chain.
    pub fn chains_per_group(self, p: &StepParams) -> usize {
        let sites_per_chain = p.sites_per_chain();
        match self {
            Kernel::MalaAccept => {
                let terms = accept_terms(sites_per_chain);
                REDUCE_WORKGROUP / power_of_two_lanes(terms, REDUCE_WORKGROUP)
            }
            // A histogram's counters are the workgroup's (`observe_lanes`).
            Kernel::ChainObservables if sites_per_chain <= OBSERVE_BLOCK && p.hist_bins == 0 => {
                OBSERVE_WORKGROUP / power_of_two_lanes(sites_per_chain, OBSERVE_WORKGROUP)
            }
            Kernel::PottsSweep if p.flags & FLAG_HEAT_BATH == 0 => POTTS_WORKGROUP,
            _ => 1,
        }
    }

    /// Whether the kernel uses the momentum buffer.
    pub fn uses_momentum(self) -> bool {
        matches!(self, Kernel::HmcMomentum | Kernel::HmcLeapfrog)
    }
}

/// How a kernel is dispatched.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Grid {
    /// One thread per site, [`SITE_WORKGROUP`] per workgroup.
    PerSite,
    /// One workgroup per chain, or per [`Kernel::chains_per_group`] chains, of the kernel's
    /// size: [`REDUCE_WORKGROUP`] threads, [`OBSERVE_WORKGROUP`] for `chain_observables` or
    /// [`POTTS_WORKGROUP`] for `potts_sweep`.
    PerChain,
    /// One workgroup of [`REDUCE_WORKGROUP`] threads.
    Single,
    /// One 16×16 workgroup per [`FUSED_TILE`]² tile centre of every plane.
    Tiles,
    /// One workgroup per block of this many sites of every chain: (chains, blocks per chain).
    Blocks(usize),
    /// One thread per multi-spin word of one colour (sites / [`MULTISPIN_SITES_PER_WORD`]),
    /// [`SITE_WORKGROUP`] per workgroup.
    ColourWords,
}

/// Sites per word of both colours in multi-spin coding: a u32 word holds 32 spins of one
/// colour, the sites of one colour in 64 columns of a row. A field packs when its width is a
/// multiple of this (`shaders/shared/packed_spins.wgsl`).
pub const MULTISPIN_SITES_PER_WORD: usize = 64;

/// One of the field buffers: A and B ping-pong; C is the third that HMC needs to keep its
/// starting point while it leapfrogs (allocated on first use).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Slot {
    /// The first buffer.
    A,
    /// The second buffer.
    B,
    /// The third buffer.
    C,
}

impl Slot {
    /// Every slot.
    pub const ALL: [Slot; 3] = [Slot::A, Slot::B, Slot::C];

    /// The ping-pong partner (A ↔ B; C pairs with B).
    pub fn other(self) -> Slot {
        match self {
            Slot::A => Slot::B,
            Slot::B => Slot::A,
            Slot::C => Slot::B,
        }
    }

    /// The slot that is neither `self` nor `other`.
    pub fn third(self, other: Slot) -> Slot {
        Slot::ALL
            .into_iter()
            .find(|s| *s != self && *s != other)
            .expect("three slots")
    }

    /// Index 0, 1 or 2.
    pub fn index(self) -> usize {
        self as usize
    }
}

/// What the `aux` binding holds for a dispatch.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Aux {
    /// Per-site scratch (MALA terms; multi-spin words, as u32).
    Scratch,
    /// The trace of observables.
    Trace,
}

/// One recorded kernel launch.
#[derive(Clone, Copy, Debug)]
pub struct Dispatch {
    /// The kernel.
    pub kernel: Kernel,
    /// Its parameters.
    pub params: StepParams,
    /// The slot bound as `src`.
    pub src: Slot,
    /// The slot bound as `dst` (never `src`).
    pub dst: Slot,
    /// What is bound as `aux`.
    pub aux: Aux,
}

/// Index of the first-diverged-step word in the status buffer.
pub const STATUS_DIVERGED: usize = 0;
