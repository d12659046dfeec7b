//! Counter-based random numbers, the twin of `shaders/shared/rng.wgsl`: the pcg4d hash
//! (Jarzynski & Olano, "Hash Functions for GPU Rendering", JCGT 2020) keyed by
//! (site, chain, step, seed ^ stream). The integers are identical to the GPU's.

/// Stream of the Gaussian noise of drift-diffusion steps.
pub const STREAM_NOISE: u32 = 0;
/// Stream of Metropolis proposals and their accept draws.
pub const STREAM_METROPOLIS: u32 = 1;
/// Stream of MALA accept draws.
pub const STREAM_ACCEPT: u32 = 2;
/// Stream of initial fields.
pub const STREAM_INIT: u32 = 3;
/// Stream of `potts_sweep`'s proposals, accept draws and heat-bath Gumbel noise (4 is the
/// replica swaps', 5 population annealing's resampling).
pub const STREAM_POTTS: u32 = 6;
const STREAM_GOLDEN: u32 = 0x9e37_79b9;

use crate::kernels::{StepParams, FLAG_CHAIN_KEYS};
const INV_2_24: f32 = 5.960_464_5e-8;

/// The pcg4d hash.
pub fn pcg4d(input: [u32; 4]) -> [u32; 4] {
    let mut v = input.map(|x| x.wrapping_mul(1_664_525).wrapping_add(1_013_904_223));
    mix(&mut v);
    for x in &mut v {
        *x ^= *x >> 16;
    }
    mix(&mut v);
    v
}

fn mix(v: &mut [u32; 4]) {
    v[0] = v[0].wrapping_add(v[1].wrapping_mul(v[3]));
    v[1] = v[1].wrapping_add(v[2].wrapping_mul(v[0]));
    v[2] = v[2].wrapping_add(v[0].wrapping_mul(v[1]));
    v[3] = v[3].wrapping_add(v[1].wrapping_mul(v[2]));
}

/// Four random words for a site of a chain at a step.
pub fn rng_draw(site: u32, chain: u32, step: u32, seed: u32, stream: u32) -> [u32; 4] {
    pcg4d([site, chain, step, seed ^ stream.wrapping_mul(STREAM_GOLDEN)])
}

/// The (chain, seed) that key `chain`'s random numbers: its own index and the dispatch's seed,
/// or its key in the ladder buffer when several runs share the dispatch.
pub fn chain_rng_key(p: &StepParams, ladder: &[u32], chain: u32) -> (u32, u32) {
    if p.flags & FLAG_CHAIN_KEYS != 0 {
        let c = p.chains as usize;
        (
            ladder[6 * c + chain as usize],
            ladder[7 * c + chain as usize],
        )
    } else {
        (chain, p.seed)
    }
}

/// The draw of a site of a chain at a step, under the chain's key (see [`chain_rng_key`]).
pub fn chain_draw(
    p: &StepParams,
    ladder: &[u32],
    site: u32,
    chain: u32,
    step: u32,
    stream: u32,
) -> [u32; 4] {
    let (chain, seed) = chain_rng_key(p, ladder, chain);
    rng_draw(site, chain, step, seed, stream)
}

/// Uniform on [0, 1) with 24 bits.
pub fn unit_closed_open(r: u32) -> f32 {
    (r >> 8) as f32 * INV_2_24
}

/// Uniform on (0, 1] with 24 bits.
pub fn unit_open_closed(r: u32) -> f32 {
    ((r >> 8) + 1) as f32 * INV_2_24
}

/// One standard normal draw by Box–Muller from the first two words.
pub fn gaussian(r: [u32; 4]) -> f32 {
    (-2.0 * unit_open_closed(r[0]).ln()).sqrt()
        * (std::f32::consts::TAU * unit_closed_open(r[1])).cos()
}
