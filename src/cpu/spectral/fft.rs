//! Twin of `shaders/spectral/fft.wgsl`: one radix-2 Stockham pass of every chain's 2-D FFT,
//! along rows or columns, from one complex array into the other.

use crate::kernels::spectral::{SpectralParams, SPECTRAL_INVERSE};

fn cmul(a: [f32; 2], b: [f32; 2]) -> [f32; 2] {
    [a[0] * b[0] - a[1] * b[1], a[0] * b[1] + a[1] * b[0]]
}

/// One pass from `src` into `dst` (which the caller picks by `SPECTRAL_FLIP`).
pub fn run(p: &SpectralParams, twiddle: &[[f32; 2]], src: &[[f32; 2]], dst: &mut [[f32; 2]]) {
    let (h, w) = (p.height as usize, p.width as usize);
    let plane = h * w;
    let (len, other, stride, table) = if p.axis == 1 {
        (h, w, w, w / 2)
    } else {
        (w, h, 1, 0)
    };
    let half = len / 2;
    let span = p.span as usize;
    let inverse = p.flags & SPECTRAL_INVERSE != 0;
    for chain in 0..p.chains as usize {
        for line in 0..other {
            let base = if p.axis == 1 {
                chain * plane + line
            } else {
                chain * plane + line * w
            };
            for j in 0..half {
                let k = j % span;
                let mut tw = twiddle[table + k * (half / span)];
                if inverse {
                    tw[1] = -tw[1];
                }
                let a = src[base + j * stride];
                let b = cmul(tw, src[base + (j + half) * stride]);
                let out = (j - k) * 2 + k;
                dst[base + out * stride] = [a[0] + b[0], a[1] + b[1]];
                dst[base + (out + span) * stride] = [a[0] - b[0], a[1] - b[1]];
            }
        }
    }
}
