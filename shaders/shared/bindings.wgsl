// Bindings and per-dispatch parameters shared by every IDF kernel.
// Keep in sync with `StepParams` and the binding table in src/kernels/mod.rs.

struct StepParams {
    chains: u32,
    channels: u32,
    height: u32,
    width: u32,
    step: u32,
    seed: u32,
    parity: u32,
    record: u32,
    c_x: f32,
    c_grad: f32,
    c_noise: f32,
    temperature: f32,
    alpha_bar: f32,
    step_size: f32,
    sign: f32,
    flags: u32,
    hist_lo: f32,
    hist_hi: f32,
    hist_bins: u32,
    fused_steps: u32,
}

// flags bit 0: the kernel writes a proposal, not the state, so non-finite values are not a divergence.
const FLAG_PROPOSAL: u32 = 1u;
// flags bit 1 (hmc_leapfrog): the closing half kick, which adds the final Hamiltonian terms.
const FLAG_FINAL_KICK: u32 = 2u;
// flags bit 2: each chain has its own temperature in ladder[chain] (replica exchange).
const FLAG_TEMPERING: u32 = 4u;
// flags bit 3: each chain has its own random-number key in the ladder buffer (runs of several
// requests batched into one dispatch, each chain drawing the numbers it would draw alone).
const FLAG_CHAIN_KEYS: u32 = 8u;
// flags bit 4: a sweep draws each site from its conditional distribution (heat-bath over every
// label in potts_sweep; Barker's acceptance 1/(1 + exp(dE/T)) in metropolis_sweep).
const FLAG_HEAT_BATH: u32 = 16u;

// status[0]: first step whose output was not finite (0xffffffff while none);
// status[1 + chain]: accepted proposals since the last observation;
// status[1 + chains + chain]: the last MALA/HMC accept decision (1 = accepted);
// status[1 + 2 chains + chain]: its ln alpha (f32 bits).
const STATUS_DIVERGED: u32 = 0u;

@group(0) @binding(0) var<uniform> params: StepParams;
@group(0) @binding(1) var<storage, read> energy_params: array<f32>;
@group(0) @binding(2) var<storage, read> src: array<f32>;
@group(0) @binding(3) var<storage, read_write> dst: array<f32>;
@group(0) @binding(4) var<storage, read_write> status: array<atomic<u32>>;
// Bindings 5 and 6 are the work buffers (scratch or trace, and momentum): f32 in
// shared/work_buffers, u32 words in shared/packed_spins. A kernel imports the view it uses.
// Per-chain state, C = chains. Replica exchange: [0, C) each chain's temperature (f32 bits);
// [C, 2C) the chain at each rank, coldest first; [2C, 3C) swap attempts and [3C, 4C) swap
// accepts of the pair (rank k, k + 1); [4C, 5C) each chain's label (1: last at the coldest, 2: at
// the hottest); [5C, 6C) each chain's completed round trips (hottest to coldest and back).
// Random-number keys: [6C, 7C) the chain index and [7C, 8C) the seed each chain draws with.
@group(0) @binding(7) var<storage, read_write> ladder: array<u32>;

// The temperature of a chain: its rung of the ladder when tempering, else the dispatch's.
fn chain_temperature(chain: u32) -> f32 {
    if ((params.flags & FLAG_TEMPERING) != 0u) {
        return bitcast<f32>(ladder[chain]);
    }
    return params.temperature;
}

// The (chain, seed) that key a chain's random numbers: its own index and the dispatch's seed,
// or its key in the ladder buffer when several runs share the dispatch.
fn chain_rng_key(chain: u32) -> vec2<u32> {
    if ((params.flags & FLAG_CHAIN_KEYS) != 0u) {
        return vec2<u32>(ladder[6u * params.chains + chain], ladder[7u * params.chains + chain]);
    }
    return vec2<u32>(chain, params.seed);
}
