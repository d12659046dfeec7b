//! Twin of `shaders/spectral/poisson.wgsl`: the vorticity into a spectrum, the −1/k² of each
//! mode, and the potential out of the inverse transform.

use rayon::prelude::*;

use crate::kernels::spectral::{SpectralParams, SPECTRAL_FLIP};

/// 2π m / (n dx) with m taken in (−n/2, n/2].
pub fn wavenumber(m: usize, n: usize, dx: f32) -> f32 {
    let signed = if m > n / 2 {
        m as f32 - n as f32
    } else {
        m as f32
    };
    std::f32::consts::TAU * signed / (n as f32 * dx)
}

/// Channel 1 (ζ) of `stage` into `spec_a`.
pub fn load_vorticity(p: &SpectralParams, stage: &[f32], spec_a: &mut [[f32; 2]]) {
    let plane = (p.height * p.width) as usize;
    spec_a.par_iter_mut().enumerate().for_each(|(i, out)| {
        let (chain, site) = (i / plane, i % plane);
        *out = [stage[(2 * chain + 1) * plane + site], 0.0];
    });
}

/// Every mode of `spec` times −1/k² (the mean to zero).
pub fn poisson(p: &SpectralParams, spec: &mut [[f32; 2]]) {
    let (h, w) = (p.height as usize, p.width as usize);
    let plane = h * w;
    for (i, v) in spec.iter_mut().enumerate() {
        let site = i % plane;
        let kx = wavenumber(site % w, w, p.dx);
        let ky = wavenumber(site / w, h, p.dx);
        let scale = if site != 0 {
            -1.0 / (kx * kx + ky * ky)
        } else {
            0.0
        };
        *v = [v[0] * scale, v[1] * scale];
    }
}

/// The real part of `spec` over height·width into `phi`.
pub fn store_potential(p: &SpectralParams, spec: &[[f32; 2]], phi: &mut [f32]) {
    let n = (p.height * p.width) as f32;
    phi.par_iter_mut()
        .zip(spec)
        .for_each(|(out, v)| *out = v[0] / n);
}

/// Which spectrum a kernel acts on: `spec_b` under [`SPECTRAL_FLIP`].
pub fn flipped(p: &SpectralParams) -> bool {
    p.flags & SPECTRAL_FLIP != 0
}
