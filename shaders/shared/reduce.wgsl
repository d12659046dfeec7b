// Fixed-order sums by one workgroup of REDUCE_WORKGROUP threads: thread lid adds elements
// lid, lid + 256, … of a run of values, then the 256 partial sums add in a tree. Every
// invocation gets the total. Short runs (per-chain sums of small chains) share a workgroup
// with the same sums (reduce_lanes). CPU twin: src/cpu/shared/reduce.rs.
#import shared/lattice
#import shared/work_buffers

const REDUCE_WORKGROUP: u32 = 256u;
// Chains longer than this many sites are summed block by block (chain_block_sums) before the
// per-chain kernel sums one value per block. Keep in sync with SUM_BLOCK in src/kernels/mod.rs.
const SUM_BLOCK: u32 = 65536u;
var<workgroup> reduce_partial: array<f32, 256>;

// The lanes that sum one run of `count` values: `count` rounded up to a power of two, at most
// the workgroup. A run of at most REDUCE_WORKGROUP values leaves each lane at most one value and
// zeros in the lanes past its last, so the tree over its `lanes` partials gives the workgroup
// tree's sum bit for bit (x + 0.0 = x once x = 0.0 + value), and one workgroup sums
// REDUCE_WORKGROUP / lanes runs at once (Kernel::chains_per_group in src/kernels/mod.rs).
fn reduce_lanes(count: u32) -> u32 {
    return power_of_two_lanes(count, REDUCE_WORKGROUP);
}

// The sum of aux[first + k * stride] for k in [0, count), in the order of workgroup_sum_aux, by
// the run of `lanes` invocations lid belongs to (lanes = reduce_lanes(count), or
// REDUCE_WORKGROUP); a run past the last chain (in_range false) reads nothing. Call it from every
// invocation: it synchronises the workgroup.
fn segment_sum_aux(lid: u32, lanes: u32, first: u32, count: u32, stride: u32, in_range: bool) -> f32 {
    let lane = lid % lanes;
    var acc = 0.0;
    if (in_range) {
        for (var k = lane; k < count; k = k + lanes) {
            acc += aux[first + k * stride];
        }
    }
    reduce_partial[lid] = acc;
    workgroupBarrier();
    for (var s = lanes / 2u; s > 0u; s = s / 2u) {
        if (lane < s) {
            reduce_partial[lid] = reduce_partial[lid] + reduce_partial[lid + s];
        }
        workgroupBarrier();
    }
    return reduce_partial[lid - lane];
}

// The sum of aux[first + k * stride] for k in [0, count) by the whole workgroup; call it from
// every invocation.
fn workgroup_sum_aux(lid: u32, first: u32, count: u32, stride: u32) -> f32 {
    return segment_sum_aux(lid, REDUCE_WORKGROUP, first, count, stride, true);
}
