// Site indexing for fields of shape [chains, channels, height, width], row-major, periodic.
#import shared/bindings

const SITE_WORKGROUP: u32 = 64u;

fn sites_per_chain() -> u32 {
    return params.channels * params.height * params.width;
}

fn total_sites() -> u32 {
    return params.chains * sites_per_chain();
}

// Linear site index of an invocation of a per-site kernel dispatched as a 2D grid of workgroups.
fn global_site(gid: vec3<u32>, groups: vec3<u32>) -> u32 {
    return gid.x + gid.y * groups.x * SITE_WORKGROUP;
}

fn chain_of(i: u32) -> u32 {
    return i / sites_per_chain();
}

fn index_in_chain(i: u32) -> u32 {
    return i % sites_per_chain();
}

// The site displaced by (dy, dx) within the same chain and channel, wrapping periodically.
fn neighbour(i: u32, dy: i32, dx: i32) -> u32 {
    let w = params.width;
    let h = params.height;
    let x = i % w;
    let y = (i / w) % h;
    let plane = i - (y * w + x);
    let nx = u32((i32(x) + dx + i32(w)) % i32(w));
    let ny = u32((i32(y) + dy + i32(h)) % i32(h));
    return plane + ny * w + nx;
}

fn neighbour_sum(i: u32) -> f32 {
    return src[neighbour(i, 0, 1)] + src[neighbour(i, 0, -1)] + src[neighbour(i, 1, 0)] + src[neighbour(i, -1, 0)];
}

// Checkerboard colour of a site: sites of one colour share no nearest-neighbour bond.
fn parity_of(i: u32) -> u32 {
    let x = i % params.width;
    let y = (i / params.width) % params.height;
    return (x + y) & 1u;
}

fn is_finite(v: f32) -> bool {
    return (bitcast<u32>(v) & 0x7f800000u) != 0x7f800000u;
}

fn flag_divergence(v: f32) {
    if (!is_finite(v) && (params.flags & FLAG_PROPOSAL) == 0u) {
        atomicMin(&status[STATUS_DIVERGED], params.step);
    }
}
