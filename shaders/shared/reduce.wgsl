// Fixed-order sums by one workgroup of REDUCE_WORKGROUP threads: thread lid adds elements
// lid, lid + 256, … of a run of values, then the 256 partial sums add in a tree. Every
// invocation gets the total. CPU twin: src/cpu/shared/reduce.rs.
#import shared/bindings
#import shared/work_buffers

const REDUCE_WORKGROUP: u32 = 256u;
// Chains longer than this many sites are summed block by block (chain_block_sums) before the
// per-chain kernel sums one value per block. Keep in sync with SUM_BLOCK in src/kernels/mod.rs.
const SUM_BLOCK: u32 = 65536u;
var<workgroup> reduce_partial: array<f32, 256>;

// The sum of aux[first + k * stride] for k in [0, count); call it from every invocation.
fn workgroup_sum_aux(lid: u32, first: u32, count: u32, stride: u32) -> f32 {
    var acc = 0.0;
    for (var k = lid; k < count; k = k + REDUCE_WORKGROUP) {
        acc += aux[first + k * stride];
    }
    reduce_partial[lid] = acc;
    workgroupBarrier();
    for (var s = REDUCE_WORKGROUP / 2u; s > 0u; s = s / 2u) {
        if (lid < s) {
            reduce_partial[lid] = reduce_partial[lid] + reduce_partial[lid + s];
        }
        workgroupBarrier();
    }
    return reduce_partial[0];
}
