//! Twin of `shaders/spectral/fft.wgsl`: one radix-2 Stockham pass of every chain's 2-D FFT,
//! along rows or columns, from one complex array into the other. The same butterflies as the
//! kernel, gathered by output row so that rows run in parallel: along rows each row is its own
//! transform; along columns output row o takes input rows j and j + L/2, with j and the sign
//! given by o (o = (j − k)·2 + k, or that + span, k = j mod span).

use rayon::prelude::*;

use crate::kernels::spectral::{SpectralParams, SPECTRAL_INVERSE};

fn cmul(a: [f32; 2], b: [f32; 2]) -> [f32; 2] {
    [a[0] * b[0] - a[1] * b[1], a[0] * b[1] + a[1] * b[0]]
}

/// The butterfly's sum or difference: a + w·b or a − w·b.
fn butterfly(a: [f32; 2], w: [f32; 2], b: [f32; 2], minus: bool) -> [f32; 2] {
    let t = cmul(w, b);
    if minus {
        [a[0] - t[0], a[1] - t[1]]
    } else {
        [a[0] + t[0], a[1] + t[1]]
    }
}

/// One pass from `src` into `dst` (which the caller picks by `SPECTRAL_FLIP`).
pub fn run(p: &SpectralParams, twiddle: &[[f32; 2]], src: &[[f32; 2]], dst: &mut [[f32; 2]]) {
    let (h, w) = (p.height as usize, p.width as usize);
    let span = p.span as usize;
    let inverse = p.flags & SPECTRAL_INVERSE != 0;
    let (len, table) = if p.axis == 1 { (h, w / 2) } else { (w, 0) };
    let half = len / 2;
    // Output position o of a transform: its butterfly j, twiddle and sign.
    let source = |o: usize| {
        let k = o % span;
        let j = (o / (2 * span)) * span + k;
        let mut tw = twiddle[table + k * (half / span)];
        if inverse {
            tw[1] = -tw[1];
        }
        (j, tw, (o / span) % 2 == 1)
    };
    if p.axis == 1 {
        dst.par_chunks_mut(w).enumerate().for_each(|(row, out)| {
            let (chain, o) = (row / h, row % h);
            let (j, tw, minus) = source(o);
            let base = chain * h * w;
            let a = &src[base + j * w..base + (j + 1) * w];
            let b = &src[base + (j + half) * w..base + (j + half + 1) * w];
            for x in 0..w {
                out[x] = butterfly(a[x], tw, b[x], minus);
            }
        });
    } else {
        dst.par_chunks_mut(w)
            .zip(src.par_chunks(w))
            .for_each(|(out, row)| {
                for (o, v) in out.iter_mut().enumerate() {
                    let (j, tw, minus) = source(o);
                    *v = butterfly(row[j], tw, row[j + half], minus);
                }
            });
    }
}
