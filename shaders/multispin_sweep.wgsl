// One colour of a Metropolis (or heat-bath) sweep of Ising spins in multi-spin coding (layout in
// shared/packed_spins): each invocation updates the 32 spins of one word of colour
// `params.parity` in place, reading the four neighbours of all 32 from four words of the other
// colour (five with the carry at a word's end). A spin costs a bit of memory traffic instead of
// the plain sweep's two floats.
//
// The decisions are metropolis_sweep's with energies/ising, bit for bit: the same energy change
// in the same f32 arithmetic, the same random draw (keyed by the site's index in its chain) and
// the same acceptance; a draw is skipped only where the plain sweep ignores it (ΔE ≤ 0 under
// Metropolis, T ≤ 0). energy_params = [J, h]. Accepted flips are counted per workgroup
// (shared/accept_counts).
// CPU twin: src/cpu/multispin_sweep.rs.
#import shared/lattice
#import shared/rng
#import shared/packed_spins
#import shared/accept_counts

@compute @workgroup_size(64)
fn main(
    @builtin(global_invocation_id) gid: vec3<u32>,
    @builtin(num_workgroups) groups: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let q = global_site(gid, groups);
    let rw = row_words();
    let words_per_chain = params.channels * params.height * rw;
    let first_chain = (q - lid) / words_per_chain;
    if (q < colour_words()) {
        let at = plane_row_word(q);
        let p = at.x;
        let y = at.y;
        let w = at.z;
        let c = params.parity;
        let o = 1u - c;
        let h = params.height;
        let up = packed[packed_index(p, o, select(y - 1u, h - 1u, y == 0u), w)];
        let down = packed[packed_index(p, o, select(y + 1u, 0u, y + 1u == h), w)];
        let same = packed[packed_index(p, o, y, w)];
        // The other horizontal neighbour: site k - 1 of the other colour when this colour sits
        // at even columns (its left neighbour), site k + 1 when at odd ones (its right).
        var side: u32;
        if (((y + c) & 1u) == 0u) {
            let before = packed[packed_index(p, o, y, select(w - 1u, rw - 1u, w == 0u))];
            side = (same << 1u) | (before >> 31u);
        } else {
            let after = packed[packed_index(p, o, y, select(w + 1u, 0u, w + 1u == rw))];
            side = (same >> 1u) | (after << 31u);
        }
        let own = packed_index(p, c, y, w);
        let current = packed[own];
        var next = current;
        var accepted = 0u;
        let chain = p / params.channels;
        let t = chain_temperature(chain);
        let row_start = ((p - chain * params.channels) * h + y) * params.width;
        for (var b = 0u; b < 32u; b++) {
            let s = f32(((current >> b) & 1u) * 2u) - 1.0;
            let ups = ((up >> b) & 1u) + ((down >> b) & 1u) + ((same >> b) & 1u) + ((side >> b) & 1u);
            let neighbours = f32(ups * 2u) - 4.0;
            // (proposed - s) * energy_gradient, as energies/ising computes it. J * neighbours is
            // exact (neighbours is 0, ±2 or ±4), so a compiler's fused multiply-add in either
            // shader rounds the same once, and -s - s is exact: the same f32 value either way.
            let d_energy = (-s - s) * (-energy_params[0] * neighbours - energy_params[1]);
            let site = row_start + packed_column(c, y, w, b);
            var accept = d_energy <= 0.0;
            if ((params.flags & FLAG_HEAT_BATH) != 0u) {
                if (t > 0.0) {
                    let r = chain_draw(site, chain, params.step, STREAM_METROPOLIS);
                    accept = unit_closed_open(r.z) * (1.0 + exp(d_energy / t)) < 1.0;
                } else {
                    accept = d_energy < 0.0;
                }
            } else if (!accept && t > 0.0) {
                let r = chain_draw(site, chain, params.step, STREAM_METROPOLIS);
                accept = unit_closed_open(r.z) < exp(-d_energy / t);
            }
            if (accept) {
                next ^= 1u << b;
                accepted += 1u;
            }
        }
        packed[own] = next;
        if (accepted > 0u) {
            count_accepted(chain, first_chain, accepted);
        }
    }
    workgroupBarrier();
    flush_accepted(lid, first_chain);
}
