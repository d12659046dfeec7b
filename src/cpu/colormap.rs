//! Twin of `shaders/colormap.wgsl`: one plane of a field coloured into packed RGBA8 pixels.

use rayon::prelude::*;

/// Packs a colour as WGSL's `pack4x8unorm` does: round(clamp(c, 0, 1) · 255), r in the low byte.
pub fn pack_unorm(c: [f32; 4]) -> u32 {
    c.iter().enumerate().fold(0u32, |acc, (k, v)| {
        acc | (((v.clamp(0.0, 1.0) * 255.0).round() as u32) << (8 * k))
    })
}

/// The colour of `v` through `table` over [lo, hi] (magenta for non-finite values).
pub fn colour(v: f32, lo: f32, hi: f32, table: &[[f32; 4]; 256]) -> u32 {
    if !v.is_finite() {
        return pack_unorm([1.0, 0.0, 1.0, 1.0]);
    }
    let t = ((v - lo) / (hi - lo)).clamp(0.0, 1.0);
    let x = t * 255.0;
    let i = (x.floor() as usize).min(254);
    let f = x - i as f32;
    let (a, b) = (table[i], table[i + 1]);
    pack_unorm([
        a[0] + (b[0] - a[0]) * f,
        a[1] + (b[1] - a[1]) * f,
        a[2] + (b[2] - a[2]) * f,
        1.0,
    ])
}

/// Colours `plane` into `pixels`.
pub fn run(plane: &[f32], lo: f32, hi: f32, table: &[[f32; 4]; 256], pixels: &mut [u32]) {
    pixels
        .par_iter_mut()
        .zip(plane.par_iter())
        .with_min_len(4096)
        .for_each(|(p, v)| *p = colour(*v, lo, hi, table));
}
