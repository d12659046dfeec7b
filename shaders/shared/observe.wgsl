// The reductions behind the trace's observables, by one workgroup of OBSERVE_WORKGROUP
// invocations over a run of sites (a whole chain, or one block of OBSERVE_BLOCK sites of a long
// chain): energy, sum x, sum x ln x (x > 0) and the count of x <= 0 as compensated (Kahan) sums
// within each of OBSERVE_WORKGROUP strided partials, then added in a tree; min and max; the
// value histogram (when params.hist_bins > 0) in `histogram`; and the centred second moment
// from a second pass once the run's mean is known. Short chains without a histogram share a
// workgroup (observe_lanes). Call from uniform control flow: it synchronises the workgroup.
// CPU twin: observe_run in src/cpu/chain_observables.rs.
#import shared/lattice
#import energy

// Keep in sync with OBSERVE_WORKGROUP and OBSERVE_BLOCK in src/kernels/mod.rs. Two warps:
// lavapipe runs a barrier as a loop over the workgroup's invocations, so a smaller workgroup
// makes its tree cheaper; a block keeps 256 sites per invocation for a GPU's parallelism.
const OBSERVE_WORKGROUP: u32 = 64u;
const OBSERVE_BLOCK: u32 = 16384u;
// The histogram's counters (MAX_HIST_BINS).
const HIST_COUNTERS: u32 = 256u;
// Values per block record of chain_observable_blocks: RUN_* slots, then the histogram's bins.
const BLOCK_RECORD: u32 = 264u;
const RUN_ENERGY: u32 = 0u;
const RUN_SUM: u32 = 1u;
const RUN_XLNX: u32 = 2u;
const RUN_NONPOSITIVE: u32 = 3u;
const RUN_MIN: u32 = 4u;
const RUN_MAX: u32 = 5u;
const RUN_M2: u32 = 6u;
const RUN_COUNT: u32 = 7u;
const RUN_BINS: u32 = 8u;

var<workgroup> partial: array<vec4<f32>, OBSERVE_WORKGROUP>;
var<workgroup> lows: array<f32, OBSERVE_WORKGROUP>;
var<workgroup> highs: array<f32, OBSERVE_WORKGROUP>;
var<workgroup> histogram: array<atomic<u32>, HIST_COUNTERS>;
// Each run's mean, at its first lane.
var<workgroup> run_means: array<f32, OBSERVE_WORKGROUP>;

// What observe_run gives every invocation (the histogram stays in workgroup memory).
struct RunStats {
    // energy, sum x, sum x ln x (x > 0), count of x <= 0.
    totals: vec4<f32>,
    lo: f32,
    hi: f32,
    // sum (x - mean)^2 about the run's mean.
    m2: f32,
}

// Lanes that observe one chain of n sites: n rounded up to a power of two, at most the
// workgroup, and the whole workgroup when there is a histogram (its counters are the
// workgroup's). A chain of at most OBSERVE_WORKGROUP sites leaves each lane at most one site and
// neutral values in the lanes past its last (zeros, and min/max sentinels), so the tree over its
// `lanes` partials gives the workgroup tree's results bit for bit, and one workgroup observes
// OBSERVE_WORKGROUP / lanes chains at once (Kernel::chains_per_group in src/kernels/mod.rs).
fn observe_lanes(n: u32) -> u32 {
    if (params.hist_bins > 0u) {
        return OBSERVE_WORKGROUP;
    }
    return power_of_two_lanes(n, OBSERVE_WORKGROUP);
}

// The tree over each run of `lanes` partials; a run's results are in its first lane.
fn tree_sum(lid: u32, lanes: u32) {
    let lane = lid % lanes;
    for (var stride = lanes / 2u; stride > 0u; stride = stride / 2u) {
        if (lane < stride) {
            partial[lid] = partial[lid] + partial[lid + stride];
            lows[lid] = min(lows[lid], lows[lid + stride]);
            highs[lid] = max(highs[lid], highs[lid + stride]);
        }
        workgroupBarrier();
    }
}

fn histogram_bin(x: f32) -> u32 {
    let bins = f32(params.hist_bins);
    let b = floor((x - params.hist_lo) / (params.hist_hi - params.hist_lo) * bins);
    return u32(clamp(b, 0.0, bins - 1.0));
}

// The sums of `acc` over lid's run of `lanes` invocations and its min and max of `lo` and `hi`
// (in lows and highs at the run's first lane afterwards): the tree over the run's partials.
fn reduce_partials(lid: u32, lanes: u32, acc: vec4<f32>, lo: f32, hi: f32) -> vec4<f32> {
    partial[lid] = acc;
    lows[lid] = lo;
    highs[lid] = hi;
    workgroupBarrier();
    tree_sum(lid, lanes);
    return partial[lid - lid % lanes];
}

// Sums `v` into the Kahan pair (sum, compensation) `acc`, `comp`.
fn kahan_add(acc: ptr<function, vec4<f32>>, comp: ptr<function, vec4<f32>>, v: vec4<f32>) {
    let y = v - *comp;
    let t = *acc + y;
    *comp = (t - *acc) - y;
    *acc = t;
}

// The reductions of the n sites from `start` in src by lid's run of `lanes` invocations (lanes =
// observe_lanes(n), or OBSERVE_WORKGROUP); a run past the last chain (in_range false) reads
// nothing.
fn observe_run(start: u32, n: u32, lid: u32, lanes: u32, in_range: bool) -> RunStats {
    let lane = lid % lanes;
    let first = lid - lane;
    if (params.hist_bins > 0u) {
        for (var b = lid; b < HIST_COUNTERS; b = b + OBSERVE_WORKGROUP) {
            atomicStore(&histogram[b], 0u);
        }
        workgroupBarrier();
    }
    // Pass 1: energy, sum, sum x ln x, non-positive count; min, max; histogram.
    var acc = vec4<f32>(0.0);
    var comp = vec4<f32>(0.0);
    var lo = 3.0e38;
    var hi = -3.0e38;
    for (var j = lane; in_range && j < n; j = j + lanes) {
        let x = src[start + j];
        let positive = x > 0.0;
        kahan_add(&acc, &comp, vec4<f32>(site_energy(start + j), x, select(0.0, x * log(x), positive), select(1.0, 0.0, positive)));
        lo = min(lo, x);
        hi = max(hi, x);
        if (params.hist_bins > 0u) {
            atomicAdd(&histogram[histogram_bin(x)], 1u);
        }
    }
    let totals = reduce_partials(lid, lanes, acc, lo, hi);
    if (lane == 0u) {
        run_means[lid] = totals.y / f32(n);
    }
    workgroupBarrier();
    // Pass 2: the centred second moment.
    let mean = run_means[first];
    var m2 = vec4<f32>(0.0);
    var c2 = vec4<f32>(0.0);
    for (var j = lane; in_range && j < n; j = j + lanes) {
        let d = src[start + j] - mean;
        kahan_add(&m2, &c2, vec4<f32>(d * d, 0.0, 0.0, 0.0));
    }
    workgroupBarrier();
    partial[lid] = m2;
    workgroupBarrier();
    tree_sum(lid, lanes);
    return RunStats(totals, lows[first], highs[first], partial[first].x);
}
