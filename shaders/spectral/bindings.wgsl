// The spectral kernels' bindings and parameters. Keep in sync with src/kernels/spectral.rs
// (SpectralParams and the buffer layouts documented there).

struct SpectralParams {
    chains: u32,
    height: u32,
    width: u32,
    axis: u32,
    span: u32,
    flags: u32,
    mode: u32,
    step: u32,
    dx: f32,
    stage_coef: f32,
    sum_coef: f32,
    seed: u32,
}

const SPECTRAL_INVERSE: u32 = 1u;
const SPECTRAL_FLIP: u32 = 2u;
const SPECTRAL_MODIFIED: u32 = 4u;
const CHAIN_PARAMS: u32 = 8u;
// Invocations per workgroup of every spectral kernel (1-D over sites or butterflies).
const SPECTRAL_WORKGROUP: u32 = 64u;

@group(0) @binding(0) var<uniform> sp: SpectralParams;
@group(0) @binding(1) var<storage, read_write> state: array<f32>;
@group(0) @binding(2) var<storage, read_write> stage: array<f32>;
@group(0) @binding(3) var<storage, read_write> accum: array<f32>;
@group(0) @binding(4) var<storage, read_write> rhs: array<f32>;
@group(0) @binding(5) var<storage, read_write> phi: array<f32>;
@group(0) @binding(6) var<storage, read_write> spec_a: array<vec2<f32>>;
@group(0) @binding(7) var<storage, read_write> spec_b: array<vec2<f32>>;
@group(0) @binding(8) var<storage, read> twiddle: array<vec2<f32>>;
@group(0) @binding(9) var<storage, read> chain_params: array<f32>;

fn plane() -> u32 {
    return sp.height * sp.width;
}

// The invocation's index in a 1-D dispatch laid out as rows of 65535 workgroups.
fn invocation(gid: vec3<u32>, groups: vec3<u32>) -> u32 {
    return gid.x + gid.y * groups.x * SPECTRAL_WORKGROUP;
}

fn cmul(a: vec2<f32>, b: vec2<f32>) -> vec2<f32> {
    return vec2<f32>(a.x * b.x - a.y * b.y, a.x * b.y + a.y * b.x);
}
