// One reverse step of a learned denoiser's DDPM or DDIM sampler, the network's eps (and, with
// energy guidance, the energy's gradient g) given:
//   x_i <- c_x x_i + c_eps eps_i + c_grad g_i + sigma xi_i,
//   xi_i = gaussian(rng_draw(offset + i, 0, step, seed, STREAM_SAMPLING)),
// each term only where its coefficient is nonzero, in that order (the starting noise,
// c_x = c_eps = 0 and sigma = 1, reads neither x nor eps; a step without guidance, c_grad = 0,
// reads no g). The values are a chunk of the draw
// laid out point after point; `offset` is the chunk's first value in the whole draw, so that a
// value's noise does not depend on the chunking.
// Keep struct ReverseStep in sync with src/kernels/denoiser_reverse_step.rs.
// CPU twin: src/cpu/denoiser_reverse_step.rs.
#import shared/pcg

const STREAM_SAMPLING: u32 = 9u;

struct ReverseStep {
    count: u32,
    offset: u32,
    step: u32,
    seed: u32,
    c_x: f32,
    c_eps: f32,
    sigma: f32,
    c_grad: f32,
}

@group(0) @binding(0) var<uniform> rs: ReverseStep;
@group(0) @binding(1) var<storage, read_write> x: array<f32>;
@group(0) @binding(2) var<storage, read> eps: array<f32>;
@group(0) @binding(3) var<storage, read> grad: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let i = gid.x + gid.y * groups.x * 64u;
    if (i >= rs.count) {
        return;
    }
    var v = 0.0;
    if (rs.c_x != 0.0) {
        v = rs.c_x * x[i];
    }
    if (rs.c_eps != 0.0) {
        v += rs.c_eps * eps[i];
    }
    if (rs.c_grad != 0.0) {
        v += rs.c_grad * grad[i];
    }
    if (rs.sigma != 0.0) {
        v += rs.sigma * gaussian(rng_draw(rs.offset + i, 0u, rs.step, rs.seed, STREAM_SAMPLING));
    }
    x[i] = v;
}
