// One colour of a Metropolis sweep: every site of colour `params.parity` (the energy's
// `site_color`: the checkerboard on lattices, a graph colouring on graphs) proposes a local move
// (`metropolis_proposal`) and accepts it with min(1, exp(-dE/T)), or with Barker's
// 1/(1 + exp(dE/T)) under FLAG_HEAT_BATH (the heat bath of a two-state site); the other sites
// are copied.
// Sites of one colour share no bond, so all of them update at once.
// Accepted moves are counted per workgroup (shared/accept_counts).
// CPU twin: src/cpu/metropolis_sweep.rs.
#import shared/lattice
#import shared/rng
#import shared/accept_counts
#import energy

@compute @workgroup_size(64)
fn main(
    @builtin(global_invocation_id) gid: vec3<u32>,
    @builtin(num_workgroups) groups: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let i = global_site(gid, groups);
    let first_chain = chain_of(i - lid);
    if (i < total_sites()) {
        let current = src[i];
        var next = current;
        if (site_color(i) == params.parity) {
            let chain = chain_of(i);
            let r = chain_draw(index_in_chain(i), chain, params.step, STREAM_METROPOLIS);
            let proposed = metropolis_proposal(i, current, r);
            let d_energy = local_energy_change(i, proposed);
            let t = chain_temperature(chain);
            var accept = d_energy <= 0.0;
            if ((params.flags & FLAG_HEAT_BATH) != 0u) {
                if (t > 0.0) {
                    accept = unit_closed_open(r.z) * (1.0 + exp(d_energy / t)) < 1.0;
                } else {
                    accept = d_energy < 0.0;
                }
            } else if (!accept && t > 0.0) {
                accept = unit_closed_open(r.z) < exp(-d_energy / t);
            }
            if (accept) {
                next = proposed;
                count_accepted(chain, first_chain, 1u);
            }
        }
        dst[i] = next;
        flag_divergence(next);
    }
    workgroupBarrier();
    flush_accepted(lid, first_chain);
}
