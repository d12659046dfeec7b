// Counter-based random numbers without bindings: the pcg4d hash (Jarzynski & Olano, "Hash
// Functions for GPU Rendering", JCGT 2020) keyed by (site, chain, step, seed ^ stream), and the
// uniform and Gaussian draws made from it. Keep in sync with src/cpu/shared/rng.rs: both sides
// must produce the same integers. shared/rng adds the lattice kernels' per-chain keys.

const STREAM_NOISE: u32 = 0u;
const STREAM_METROPOLIS: u32 = 1u;
const STREAM_ACCEPT: u32 = 2u;
const STREAM_POTTS: u32 = 6u;
const STREAM_GOLDEN: u32 = 0x9e3779b9u;
const TWO_PI: f32 = 6.2831855;
const INV_2_24: f32 = 5.9604645e-8;

fn pcg4d(input: vec4<u32>) -> vec4<u32> {
    var v = input * 1664525u + 1013904223u;
    v.x += v.y * v.w;
    v.y += v.z * v.x;
    v.z += v.x * v.y;
    v.w += v.y * v.z;
    v = v ^ (v >> vec4<u32>(16u));
    v.x += v.y * v.w;
    v.y += v.z * v.x;
    v.z += v.x * v.y;
    v.w += v.y * v.z;
    return v;
}

fn rng_draw(site: u32, chain: u32, step: u32, seed: u32, stream: u32) -> vec4<u32> {
    return pcg4d(vec4<u32>(site, chain, step, seed ^ (stream * STREAM_GOLDEN)));
}

// Uniform on [0, 1) with 24 bits.
fn unit_closed_open(r: u32) -> f32 {
    return f32(r >> 8u) * INV_2_24;
}

// Uniform on (0, 1] with 24 bits: safe to take the logarithm of.
fn unit_open_closed(r: u32) -> f32 {
    return f32((r >> 8u) + 1u) * INV_2_24;
}

// One standard normal draw by Box-Muller from the first two words.
fn gaussian(r: vec4<u32>) -> f32 {
    return sqrt(-2.0 * log(unit_open_closed(r.x))) * cos(TWO_PI * unit_closed_open(r.y));
}
