// Site indexing for fields of shape [chains, channels, height, width], row-major, periodic.
#import shared/bindings

const SITE_WORKGROUP: u32 = 64u;

// Lanes of a workgroup of `workgroup` invocations that reduce a run of `count` values: `count`
// rounded up to a power of two, at most the workgroup (a reduction tree over them covers every
// value). Twin: `power_of_two_lanes` in src/kernels/mod.rs.
fn power_of_two_lanes(count: u32, workgroup: u32) -> u32 {
    if (count >= workgroup) {
        return workgroup;
    }
    return 1u << (32u - countLeadingZeros(max(count, 1u) - 1u));
}

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

// Neighbours wrap by comparison, not by remainder: integer division by a value known only at run
// time is the slowest ALU operation on GPUs (and on lavapipe). `neighbour_sum` divides twice per
// site, `neighbour` once or twice per call (the site's index in its plane; its column when
// dx != 0). A displacement is at most one lattice size, as in the CPU twin.

// Site i's index within its plane (chain and channel).
fn index_in_plane(i: u32) -> u32 {
    return i % (params.height * params.width);
}

// v + d wrapped into [0, n), for -n <= d <= n.
fn wrapped(v: u32, d: i32, n: u32) -> u32 {
    let s = i32(v) + d;
    if (s < 0) {
        return u32(s + i32(n));
    }
    if (u32(s) >= n) {
        return u32(s) - n;
    }
    return u32(s);
}

// The site displaced by (dy, dx) within the same chain and channel, wrapping periodically.
fn neighbour(i: u32, dy: i32, dx: i32) -> u32 {
    let w = params.width;
    let j = index_in_plane(i);
    var k = j;
    if (dx != 0) {
        let x = j % w;
        k = k - x + wrapped(x, dx, w);
    }
    if (dy != 0) {
        k = wrapped(k, dy * i32(w), params.height * w);
    }
    return i - j + k;
}

// The four nearest neighbours' sum, from one site's two remainders.
fn neighbour_sum(i: u32) -> f32 {
    let w = params.width;
    let plane = params.height * w;
    let j = index_in_plane(i);
    let x = j % w;
    let left = select(i - 1u, i + w - 1u, x == 0u);
    let right = select(i + 1u, i + 1u - w, x + 1u == w);
    let up = select(i - w, i + plane - w, j < w);
    let down = select(i + w, i + w - plane, j + w >= plane);
    // The CPU twin's order (x + 1, x - 1, y + 1, y - 1): f32 sums round by order.
    return src[right] + src[left] + src[down] + src[up];
}

// Checkerboard colour of a site: sites of one colour share no nearest-neighbour bond.
fn parity_of(i: u32) -> u32 {
    let j = index_in_plane(i);
    let y = j / params.width;
    return (j - y * params.width + y) & 1u;
}

fn is_finite(v: f32) -> bool {
    return (bitcast<u32>(v) & 0x7f800000u) != 0x7f800000u;
}

fn flag_divergence(v: f32) {
    if (!is_finite(v) && (params.flags & FLAG_PROPOSAL) == 0u) {
        atomicMin(&status[STATUS_DIVERGED], params.step);
    }
}
