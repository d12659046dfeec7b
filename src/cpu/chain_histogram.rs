//! Twin of `shaders/chain_histogram.wgsl`: per-chain fixed-bin value histograms.

use crate::kernels::StepParams;

/// The bin of `x` in `bins` equal bins over [lo, hi), clamped to the edge bins.
pub fn histogram_bin(x: f32, lo: f32, hi: f32, bins: u32) -> usize {
    let b = ((x - lo) / (hi - lo) * bins as f32).floor();
    b.clamp(0.0, bins as f32 - 1.0) as usize
}

/// Writes chain c's counts to `aux[c * bins + b]`.
pub fn run(p: &StepParams, src: &[f32], aux: &mut [f32]) {
    let bins = p.hist_bins as usize;
    let n = src.len() / p.chains as usize;
    for (c, chain) in src.chunks(n).enumerate() {
        let counts = &mut aux[c * bins..(c + 1) * bins];
        counts.fill(0.0);
        for x in chain {
            counts[histogram_bin(*x, p.hist_lo, p.hist_hi, p.hist_bins)] += 1.0;
        }
    }
}
