// Replica exchange: neighbour pairs of the temperature ladder (ranks k, k + 1 for k of parity
// params.parity) swap temperatures with probability min(1, exp((b_i - b_j)(E_i - E_j))), b = 1/T,
// using the energies of trace record params.record. Swapping temperatures is swapping
// configurations, without moving a field. Also counts attempts, accepts and round trips.
// One thread works through the pairs in order. CPU twin: src/cpu/replica_swap.rs.
#import shared/lattice
#import shared/rng
#import shared/work_buffers

const STREAM_SWAP: u32 = 4u;
const OBS_STRIDE: u32 = 11u;

@compute @workgroup_size(1)
fn main() {
    let c = params.chains;
    for (var k = params.parity; k + 1u < c; k = k + 2u) {
        let i = ladder[c + k];
        let j = ladder[c + k + 1u];
        let ti = bitcast<f32>(ladder[i]);
        let tj = bitcast<f32>(ladder[j]);
        let ei = aux[(params.record * c + i) * OBS_STRIDE];
        let ej = aux[(params.record * c + j) * OBS_STRIDE];
        let delta = (1.0 / ti - 1.0 / tj) * (ei - ej);
        let r = rng_draw(k, 0u, params.step, params.seed, STREAM_SWAP);
        ladder[2u * c + k] += 1u;
        if (delta >= 0.0 || unit_closed_open(r.x) < exp(delta)) {
            ladder[i] = bitcast<u32>(tj);
            ladder[j] = bitcast<u32>(ti);
            ladder[c + k] = j;
            ladder[c + k + 1u] = i;
            ladder[3u * c + k] += 1u;
        }
    }
    // Round trips: a chain labelled at the hottest that reaches the coldest completes one.
    let coldest = ladder[c];
    if (ladder[4u * c + coldest] == 2u) {
        ladder[5u * c + coldest] += 1u;
    }
    ladder[4u * c + coldest] = 1u;
    ladder[4u * c + ladder[2u * c - 1u]] = 2u;
}
