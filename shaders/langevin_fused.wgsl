// K drift-diffusion steps in one dispatch (temporal blocking) for nearest-neighbour energies:
// each 16 x 16 workgroup loads a (32 + 2K)^2 tile with a K-site halo (periodic) into workgroup
// memory, advances it K times in place, the valid window shrinking by one site per step, and
// writes the 32 x 32 centre. Step k uses params.step + k for its noise, exactly as K
// `langevin_step` dispatches would, so the result matches them. K = params.fused_steps (at most
// MAX_FUSED).
//
// Work and traffic: a 32-site centre holds the halo's redundant work to 1.06x (K = 2), 1.20x
// (K = 4) and 1.51x (K = 8) of the plain kernel's site updates (a 16-site centre: 1.13x, 1.43x,
// 2.15x), and reads (32 + 2K)^2 + writes 32^2 values per K steps instead of 2 * 32^2 * K.
// Invocation (tx, ty) owns the cells (tx + 16a, ty + 16b), so that no index is divided: the
// wrapped lattice column and row of each owned cell are found once per dispatch. Each step
// computes the owned cells' new values in registers, then writes them over the tile.
// CPU twin: src/cpu/langevin_fused.rs.
#import shared/lattice
#import shared/rng
#import energy

const TILE: u32 = 32u;
const GROUP: u32 = 16u;
const MAX_FUSED: u32 = 8u;
const SPAN: u32 = 48u; // TILE + 2 * MAX_FUSED
const PER_AXIS: u32 = 3u; // SPAN / GROUP: cells an invocation owns along each axis
var<workgroup> tile: array<f32, SPAN * SPAN>;

// v wrapped into [0, n), for any v.
fn wrap(v: i32, n: u32) -> u32 {
    return u32((v % i32(n) + i32(n)) % i32(n));
}

@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
    let k_steps = min(params.fused_steps, MAX_FUSED);
    let span = TILE + 2u * k_steps;
    let w = params.width;
    let h = params.height;
    let plane = wid.z * w * h;
    let chain = wid.z / params.channels;
    let chain_start = chain * sites_per_chain();
    let key = chain_rng_key(chain);
    let x0 = i32(wid.x * TILE) - i32(k_steps);
    let y0 = i32(wid.y * TILE) - i32(k_steps);
    // The owned cells' lattice columns and row offsets (gy * w), wrapped once.
    var column: array<u32, PER_AXIS>;
    var row: array<u32, PER_AXIS>;
    for (var a = 0u; a < PER_AXIS; a = a + 1u) {
        column[a] = wrap(x0 + i32(lid.x + GROUP * a), w);
        row[a] = wrap(y0 + i32(lid.y + GROUP * a), h) * w;
    }
    for (var b = 0u; b < PER_AXIS; b = b + 1u) {
        let cy = lid.y + GROUP * b;
        for (var a = 0u; a < PER_AXIS; a = a + 1u) {
            let cx = lid.x + GROUP * a;
            if (cx < span && cy < span) {
                tile[cy * SPAN + cx] = src[plane + row[b] + column[a]];
            }
        }
    }
    workgroupBarrier();
    var next: array<f32, PER_AXIS * PER_AXIS>;
    for (var k = 0u; k < k_steps; k = k + 1u) {
        let lo = k + 1u;
        let hi = span - k - 1u;
        for (var b = 0u; b < PER_AXIS; b = b + 1u) {
            let cy = lid.y + GROUP * b;
            for (var a = 0u; a < PER_AXIS; a = a + 1u) {
                let cx = lid.x + GROUP * a;
                let c = cy * SPAN + cx;
                if (cx >= lo && cx < hi && cy >= lo && cy < hi) {
                    let v = tile[c];
                    let i = plane + row[b] + column[a];
                    let nb = tile[c + 1u] + tile[c - 1u] + tile[c + SPAN] + tile[c - SPAN];
                    var x = params.c_x * v;
                    if (params.c_grad != 0.0) {
                        x -= params.c_grad * local_gradient(v, nb, i);
                    }
                    if (params.c_noise != 0.0) {
                        let step = params.step + k;
                        let r = rng_draw(i - chain_start, key.x, step, key.y, STREAM_NOISE);
                        x += params.c_noise * gaussian(r);
                    }
                    next[b * PER_AXIS + a] = x;
                    if (!is_finite(x)) {
                        atomicMin(&status[STATUS_DIVERGED], params.step + k);
                    }
                }
            }
        }
        workgroupBarrier();
        for (var b = 0u; b < PER_AXIS; b = b + 1u) {
            let cy = lid.y + GROUP * b;
            for (var a = 0u; a < PER_AXIS; a = a + 1u) {
                let cx = lid.x + GROUP * a;
                if (cx >= lo && cx < hi && cy >= lo && cy < hi) {
                    tile[cy * SPAN + cx] = next[b * PER_AXIS + a];
                }
            }
        }
        workgroupBarrier();
    }
    for (var b = 0u; b < PER_AXIS; b = b + 1u) {
        let cy = lid.y + GROUP * b;
        let gy = wid.y * TILE + cy - k_steps;
        for (var a = 0u; a < PER_AXIS; a = a + 1u) {
            let cx = lid.x + GROUP * a;
            let gx = wid.x * TILE + cx - k_steps;
            let centre_x = cx >= k_steps && cx < k_steps + TILE;
            let centre_y = cy >= k_steps && cy < k_steps + TILE;
            if (centre_x && centre_y && gx < w && gy < h) {
                dst[plane + row[b] + column[a]] = tile[cy * SPAN + cx];
            }
        }
    }
}
