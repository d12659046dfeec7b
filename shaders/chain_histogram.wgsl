// Fixed-bin value histogram of each chain of src, one workgroup per chain: counts of
// params.hist_bins equal bins over [hist_lo, hist_hi) (values outside go to the edge bins),
// written as f32 to aux[chain * hist_bins + bin]. CPU twin: src/cpu/chain_histogram.rs.
#import shared/lattice
#import shared/work_buffers

const HISTOGRAM_WORKGROUP: u32 = 256u;
var<workgroup> counts: array<atomic<u32>, 256>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    let chain = wid.x;
    let n = sites_per_chain();
    let bins = params.hist_bins;
    atomicStore(&counts[lid], 0u);
    workgroupBarrier();
    for (var j = lid; j < n; j = j + HISTOGRAM_WORKGROUP) {
        let x = src[chain * n + j];
        let b = floor((x - params.hist_lo) / (params.hist_hi - params.hist_lo) * f32(bins));
        atomicAdd(&counts[u32(clamp(b, 0.0, f32(bins) - 1.0))], 1u);
    }
    workgroupBarrier();
    if (lid < bins) {
        aux[chain * bins + lid] = f32(atomicLoad(&counts[lid]));
    }
}
