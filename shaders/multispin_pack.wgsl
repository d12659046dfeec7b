// Packs a ±1 field into multi-spin words (layout in shared/packed_spins): each invocation reads
// 64 consecutive sites of a row, the columns of word w of both colours, and writes both words.
// A site is +1 when its value is positive. CPU twin: src/cpu/multispin_pack.rs.
#import shared/lattice
#import shared/packed_spins

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let q = global_site(gid, groups);
    if (q >= colour_words()) {
        return;
    }
    let at = plane_row_word(q);
    let p = at.x;
    let y = at.y;
    let w = at.z;
    let base = (p * params.height + y) * params.width + 64u * w;
    var even_colour = 0u;
    var odd_colour = 0u;
    for (var j = 0u; j < 64u; j++) {
        if (src[base + j] > 0.0) {
            let bit = 1u << (j >> 1u);
            // Column 64 w + j has colour (j + y) & 1 and is bit j / 2 of its colour's word.
            if (((j + y) & 1u) == 0u) {
                even_colour |= bit;
            } else {
                odd_colour |= bit;
            }
        }
    }
    packed[packed_index(p, 0u, y, w)] = even_colour;
    packed[packed_index(p, 1u, y, w)] = odd_colour;
}
