// K drift-diffusion steps in one dispatch (temporal blocking) for nearest-neighbour energies:
// each workgroup loads a (16 + 2K)^2 tile with a K-site halo (periodic) into workgroup memory,
// advances it K times in place, the valid window shrinking by one site per step, and writes the
// 16 x 16 centre. Step k uses params.step + k for its noise, exactly as K `langevin_step`
// dispatches would, so the result matches them. K = params.fused_steps (at most MAX_FUSED).
// CPU twin: src/cpu/langevin_fused.rs.
#import shared/lattice
#import shared/rng
#import energy

const TILE: u32 = 16u;
const MAX_FUSED: u32 = 8u;
const SPAN: u32 = 32u; // TILE + 2 * MAX_FUSED
var<workgroup> tile: array<array<f32, 1024>, 2>;

fn wrap(v: i32, n: u32) -> u32 {
    return u32((v % i32(n) + i32(n)) % i32(n));
}

@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    let k_steps = min(params.fused_steps, MAX_FUSED);
    let span = TILE + 2u * k_steps;
    let w = params.width;
    let h = params.height;
    let plane_index = wid.z;
    let plane = plane_index * w * h;
    let chain = plane_index / params.channels;
    let chain_start = chain * sites_per_chain();
    let key = chain_rng_key(chain);
    let x0 = i32(wid.x * TILE) - i32(k_steps);
    let y0 = i32(wid.y * TILE) - i32(k_steps);
    for (var c = lid; c < span * span; c = c + 256u) {
        let gx = wrap(x0 + i32(c % span), w);
        let gy = wrap(y0 + i32(c / span), h);
        tile[0][c] = src[plane + gy * w + gx];
    }
    workgroupBarrier();
    var cur = 0u;
    for (var k = 0u; k < k_steps; k = k + 1u) {
        let lo = k + 1u;
        let hi = span - k - 1u;
        for (var c = lid; c < span * span; c = c + 256u) {
            let cx = c % span;
            let cy = c / span;
            var v = tile[cur][c];
            if (cx >= lo && cx < hi && cy >= lo && cy < hi) {
                let gx = wrap(x0 + i32(cx), w);
                let gy = wrap(y0 + i32(cy), h);
                let i = plane + gy * w + gx;
                let nb = tile[cur][c + 1u] + tile[cur][c - 1u] + tile[cur][c + span] + tile[cur][c - span];
                var x = params.c_x * v;
                if (params.c_grad != 0.0) {
                    x -= params.c_grad * local_gradient(v, nb, i);
                }
                if (params.c_noise != 0.0) {
                    let r = rng_draw(i - chain_start, key.x, params.step + k, key.y, STREAM_NOISE);
                    x += params.c_noise * gaussian(r);
                }
                v = x;
                if (!is_finite(x)) {
                    atomicMin(&status[STATUS_DIVERGED], params.step + k);
                }
            }
            tile[1u - cur][c] = v;
        }
        workgroupBarrier();
        cur = 1u - cur;
    }
    let tx = lid % TILE;
    let ty = lid / TILE;
    let gx = wid.x * TILE + tx;
    let gy = wid.y * TILE + ty;
    if (gx < w && gy < h) {
        dst[plane + gy * w + gx] = tile[cur][(ty + k_steps) * span + tx + k_steps];
    }
}
