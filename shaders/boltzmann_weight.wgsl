// Boltzmann weighting of the energies in src (one per entry): normalised log-weights
// dst_i = -E_i/T - ln Z with ln Z = logsumexp(-E/T), computed stably: with m = max(-E/T) and
// s = sum exp(-E/T - m), dst_i = (-E_i/T - m) - ln s, so no large number is subtracted from
// another; aux[0] = ln Z = m + ln s, aux[1] = ESS = 1 / sum w_i^2. One workgroup; fixed order.
// CPU twin: src/cpu/boltzmann_weight.rs.
#import shared/lattice
#import shared/work_buffers

const WEIGHT_WORKGROUP: u32 = 256u;
var<workgroup> partial: array<f32, 256>;

fn reduce_max(lid: u32) {
    for (var stride = WEIGHT_WORKGROUP / 2u; stride > 0u; stride = stride / 2u) {
        if (lid < stride) {
            partial[lid] = max(partial[lid], partial[lid + stride]);
        }
        workgroupBarrier();
    }
}

fn reduce_sum(lid: u32) {
    for (var stride = WEIGHT_WORKGROUP / 2u; stride > 0u; stride = stride / 2u) {
        if (lid < stride) {
            partial[lid] = partial[lid] + partial[lid + stride];
        }
        workgroupBarrier();
    }
}

@compute @workgroup_size(256)
fn main(@builtin(local_invocation_index) lid: u32) {
    let n = total_sites();
    let beta = 1.0 / params.temperature;
    var best = -3.0e38;
    for (var i = lid; i < n; i = i + WEIGHT_WORKGROUP) {
        best = max(best, -src[i] * beta);
    }
    partial[lid] = best;
    workgroupBarrier();
    reduce_max(lid);
    let top = partial[0];
    workgroupBarrier();
    var sum = 0.0;
    for (var i = lid; i < n; i = i + WEIGHT_WORKGROUP) {
        sum += exp(-src[i] * beta - top);
    }
    partial[lid] = sum;
    workgroupBarrier();
    reduce_sum(lid);
    let log_s = log(partial[0]);
    workgroupBarrier();
    var sq = 0.0;
    for (var i = lid; i < n; i = i + WEIGHT_WORKGROUP) {
        let lw = (-src[i] * beta - top) - log_s;
        dst[i] = lw;
        sq += exp(2.0 * lw);
    }
    partial[lid] = sq;
    workgroupBarrier();
    reduce_sum(lid);
    if (lid == 0u) {
        aux[0] = top + log_s;
        aux[1] = 1.0 / partial[0];
    }
}
