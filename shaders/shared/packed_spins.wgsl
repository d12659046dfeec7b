// Multi-spin coding of ±1 fields (Jacobs & Rebbi, J. Comput. Phys. 41, 203 (1981); on GPUs:
// Romero et al., "High performance implementations of the 2D Ising model on GPUs", Comput.
// Phys. Commun. 256, 107473 (2020)): one bit per spin (1 for +1), 32 spins of one checkerboard
// colour per u32 word, kept in binding 5 (the scratch buffer) viewed as words.
//
// Layout, for a field [chains, channels, height, width] with width % 64 == 0, plane
// p = chain * channels + channel: word w (of width / 64) of row y of colour c is
// packed[((p * 2 + c) * height + y) * (width / 64) + w], and its bit b is the site at column
// 2 (32 w + b) + ((y + c) & 1), the (32 w + b)-th site of colour c in row y. The other colour's
// sites of rows y ± 1 sit at the same columns (same word, same bit); those of row y at the
// columns between, so a site's horizontal neighbours are bit b of the other colour's word w
// and bit b ∓ 1 of it, carried over from word w ∓ 1 at the ends.
// Keep in sync with src/cpu/shared/packed_spins.rs.
#import shared/bindings

@group(0) @binding(5) var<storage, read_write> packed: array<u32>;

// Words per row of one colour.
fn row_words() -> u32 {
    return params.width / 64u;
}

// Words of one colour over every plane and row: the invocations of a sweep or a packing.
fn colour_words() -> u32 {
    return params.chains * params.channels * params.height * row_words();
}

// The (plane, row, word) of invocation q of a per-word kernel.
fn plane_row_word(q: u32) -> vec3<u32> {
    let rw = row_words();
    let per_plane = params.height * rw;
    let p = q / per_plane;
    let r = q - p * per_plane;
    let y = r / rw;
    return vec3<u32>(p, y, r - y * rw);
}

// The index of word w of row y of colour c in plane p.
fn packed_index(p: u32, c: u32, y: u32, w: u32) -> u32 {
    return ((p * 2u + c) * params.height + y) * row_words() + w;
}

// The column of bit b of word w in row y of colour c.
fn packed_column(c: u32, y: u32, w: u32, b: u32) -> u32 {
    return 2u * (32u * w + b) + ((y + c) & 1u);
}
