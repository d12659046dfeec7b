//! The fast CPU path of `langevin_step` for the φ⁴ energy (with or without guidance): rows in
//! parallel, neighbours from row slices instead of index arithmetic, and the noise drawn eight
//! sites at a time with branch-free pcg4d and Box–Muller (polynomial ln and cos, accurate to
//! ~1e-7) that the compiler vectorises; an AVX2/FMA build is chosen at run time where the CPU has
//! it. The drift is computed in the same order as the generic twin; the noise differs from it (and
//! from the GPU) only by the last bits of ln and cos. No allocation per step.

// Lane loops index several arrays in step, which is the shape the vectoriser wants.
#![allow(clippy::needless_range_loop)]

use std::sync::atomic::{AtomicU32, Ordering};

use rayon::prelude::*;

use super::energies::EnergyEval;
use super::shared::rng::{chain_rng_key, STREAM_NOISE};
use crate::kernels::{StepParams, FLAG_PROPOSAL, STATUS_DIVERGED};

const LANES: usize = 32;
const INV_2_24: f32 = 5.960_464_5e-8;

/// The φ⁴ coefficients and guidance target of one step.
#[derive(Clone, Copy)]
struct Phi4Step<'a> {
    kappa: f32,
    a: f32,
    b: f32,
    h: f32,
    lambda: f32,
    target: &'a [f32],
    c_x: f32,
    c_grad: f32,
    c_noise: f32,
}

#[inline(always)]
fn pcg4d_lanes(v: &mut [[u32; LANES]; 4]) {
    for k in 0..4 {
        for l in 0..LANES {
            v[k][l] = v[k][l].wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        }
    }
    mix(v);
    for lane in v.iter_mut() {
        for x in lane.iter_mut() {
            *x ^= *x >> 16;
        }
    }
    mix(v);
}

#[inline(always)]
fn mix(v: &mut [[u32; LANES]; 4]) {
    for l in 0..LANES {
        v[0][l] = v[0][l].wrapping_add(v[1][l].wrapping_mul(v[3][l]));
        v[1][l] = v[1][l].wrapping_add(v[2][l].wrapping_mul(v[0][l]));
        v[2][l] = v[2][l].wrapping_add(v[0][l].wrapping_mul(v[1][l]));
        v[3][l] = v[3][l].wrapping_add(v[1][l].wrapping_mul(v[2][l]));
    }
}

/// ln u for u in (0, 1]: u = m·2^e with m in [√½, √2), ln m = 2 atanh((m−1)/(m+1)) by its series.
/// Within 4e-7 of `f32::ln`, relative (`tests/fused.rs`).
#[inline(always)]
pub fn fast_ln(u: f32) -> f32 {
    let bits = u.to_bits();
    let mut e = ((bits >> 23) & 0xff) as i32 - 127;
    let mut m = f32::from_bits((bits & 0x007f_ffff) | 0x3f80_0000);
    let big = m > std::f32::consts::SQRT_2;
    m = if big { m * 0.5 } else { m };
    e += big as i32;
    let s = (m - 1.0) / (m + 1.0);
    let s2 = s * s;
    let series = s * (2.0 + s2 * (2.0 / 3.0 + s2 * (0.4 + s2 * (2.0 / 7.0 + s2 * (2.0 / 9.0)))));
    e as f32 * std::f32::consts::LN_2 + series
}

/// cos(2πv) for v in [0, 1): reduced to a quarter turn, then an even polynomial to x¹⁴. Within
/// f32 rounding of the argument 2πv of `f32::cos` (`tests/fused.rs`).
#[inline(always)]
pub fn fast_cos_turns(v: f32) -> f32 {
    let a = (v - (v + 0.5).floor()).abs();
    let flip = a > 0.25;
    let b = if flip { 0.5 - a } else { a };
    let x = std::f32::consts::TAU * b;
    let x2 = x * x;
    let c = 1.0
        + x2 * (-1.0 / 2.0
            + x2 * (1.0 / 24.0
                + x2 * (-1.0 / 720.0
                    + x2 * (1.0 / 40_320.0
                        + x2 * (-1.0 / 3_628_800.0
                            + x2 * (1.0 / 479_001_600.0 + x2 * (-1.0 / 87_178_291_200.0)))))));
    if flip {
        -c
    } else {
        c
    }
}

/// Eight standard normal draws for sites `site..site+8` of `chain` at `step`.
#[inline(always)]
fn gaussians(site: u32, chain: u32, step: u32, key: u32) -> [f32; LANES] {
    let mut v = [[0u32; LANES]; 4];
    for l in 0..LANES {
        v[0][l] = site + l as u32;
        v[1][l] = chain;
        v[2][l] = step;
        v[3][l] = key;
    }
    pcg4d_lanes(&mut v);
    let mut z = [0.0f32; LANES];
    for l in 0..LANES {
        let u1 = ((v[0][l] >> 8) + 1) as f32 * INV_2_24;
        let u2 = (v[1][l] >> 8) as f32 * INV_2_24;
        z[l] = (-2.0 * fast_ln(u1)).sqrt() * fast_cos_turns(u2);
    }
    z
}

#[inline(always)]
fn drift(s: &Phi4Step, phi: f32, neighbours: f32, t: f32) -> f32 {
    let laplacian = neighbours - 4.0 * phi;
    let guide = if s.lambda != 0.0 {
        s.lambda * (phi - t)
    } else {
        0.0
    };
    let grad = -s.kappa * laplacian + s.a * phi + s.b * phi * phi * phi - s.h + guide;
    let mut x = s.c_x * phi;
    if s.c_grad != 0.0 {
        x -= s.c_grad * grad;
    }
    x
}

/// One row: `mid` with the rows above and below, into `out`.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn row(
    s: &Phi4Step,
    p: &StepParams,
    mid: &[f32],
    up: &[f32],
    down: &[f32],
    target: &[f32],
    out: &mut [f32],
    site0: u32,
    rng_key: (u32, u32),
    temperature: f32,
) {
    let w = mid.len();
    let t = |x: usize| if s.lambda != 0.0 { target[x] } else { 0.0 };
    // Neighbours in the twin's order: right, left, down, up.
    let edge = |x: usize| {
        let right = mid[(x + 1) % w];
        let left = mid[(x + w - 1) % w];
        right + left + down[x] + up[x]
    };
    out[0] = drift(s, mid[0], edge(0), t(0));
    if w > 1 {
        out[w - 1] = drift(s, mid[w - 1], edge(w - 1), t(w - 1));
    }
    if w > 2 {
        // Interior sites as zipped slices (no bounds checks), the guidance branch hoisted, so
        // the loop vectorises.
        let inner = 1..w - 1;
        let neighbours = mid[2..]
            .iter()
            .zip(&mid[..w - 2])
            .zip(up[inner.clone()].iter().zip(&down[inner.clone()]))
            .map(|((right, left), (u, d))| right + left + d + u);
        let cells = out[inner.clone()]
            .iter_mut()
            .zip(&mid[inner.clone()])
            .zip(neighbours);
        if s.lambda != 0.0 {
            for (((o, phi), nb), t) in cells.zip(&target[inner]) {
                *o = drift(s, *phi, nb, *t);
            }
        } else {
            for ((o, phi), nb) in cells {
                *o = drift(s, *phi, nb, 0.0);
            }
        }
    }
    let c_noise = if p.flags & crate::kernels::FLAG_TEMPERING != 0 {
        (2.0 * s.c_grad * temperature).sqrt()
    } else {
        s.c_noise
    };
    if c_noise != 0.0 {
        let (chain, seed) = rng_key;
        let key = seed ^ STREAM_NOISE.wrapping_mul(0x9e37_79b9);
        let mut x = 0;
        while x < w {
            let z = gaussians(site0 + x as u32, chain, p.step, key);
            let n = LANES.min(w - x);
            for l in 0..n {
                out[x + l] += c_noise * z[l];
            }
            x += LANES;
        }
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
#[allow(clippy::too_many_arguments)]
unsafe fn row_avx512(
    s: &Phi4Step,
    p: &StepParams,
    mid: &[f32],
    up: &[f32],
    down: &[f32],
    target: &[f32],
    out: &mut [f32],
    site0: u32,
    rng_key: (u32, u32),
    temperature: f32,
) {
    row(
        s,
        p,
        mid,
        up,
        down,
        target,
        out,
        site0,
        rng_key,
        temperature,
    )
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
#[allow(clippy::too_many_arguments)]
unsafe fn row_avx2(
    s: &Phi4Step,
    p: &StepParams,
    mid: &[f32],
    up: &[f32],
    down: &[f32],
    target: &[f32],
    out: &mut [f32],
    site0: u32,
    rng_key: (u32, u32),
    temperature: f32,
) {
    row(
        s,
        p,
        mid,
        up,
        down,
        target,
        out,
        site0,
        rng_key,
        temperature,
    )
}

/// Runs `langevin_step` for φ⁴ over every site.
pub fn run(e: &EnergyEval, dst: &mut [f32], status: &[AtomicU32]) {
    let p = e.params;
    let ep = e.energy_params;
    let s = Phi4Step {
        kappa: ep[0],
        a: ep[1],
        b: ep[2],
        h: ep[3],
        lambda: ep[4],
        target: if ep[4] != 0.0 { &ep[5..] } else { &[] },
        c_x: p.c_x,
        c_grad: p.c_grad,
        c_noise: p.c_noise,
    };
    let (w, h, per_chain) = (e.lattice.width, e.lattice.height, e.lattice.per_chain);
    #[cfg(target_arch = "x86_64")]
    let avx512 = is_x86_feature_detected!("avx512f");
    #[cfg(target_arch = "x86_64")]
    let avx2 = is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma");
    let src = e.src;
    dst.par_chunks_mut(w)
        .enumerate()
        .with_min_len((4096 / w).max(1))
        .for_each(|(r, out)| {
            let base = r * w;
            let y = r % h;
            let plane = base - y * w;
            let mid = &src[base..base + w];
            let up = &src[plane + ((y + h - 1) % h) * w..][..w];
            let down = &src[plane + ((y + 1) % h) * w..][..w];
            let target = if s.lambda != 0.0 {
                &s.target[y * w..(y + 1) * w]
            } else {
                &[][..]
            };
            let (site0, chain) = ((base % per_chain) as u32, (base / per_chain) as u32);
            let t = e.temperature_of(chain as usize);
            let key = chain_rng_key(p, e.ladder, chain);
            #[cfg(target_arch = "x86_64")]
            if avx512 {
                // SAFETY: the CPU was checked for AVX-512F just above.
                unsafe { row_avx512(&s, p, mid, up, down, target, out, site0, key, t) };
            } else if avx2 {
                // SAFETY: the CPU was checked for AVX2 and FMA just above.
                unsafe { row_avx2(&s, p, mid, up, down, target, out, site0, key, t) };
            } else {
                row(&s, p, mid, up, down, target, out, site0, key, t);
            }
            #[cfg(not(target_arch = "x86_64"))]
            row(&s, p, mid, up, down, target, out, site0, key, t);
            if p.flags & FLAG_PROPOSAL == 0 && out.iter().any(|v| !v.is_finite()) {
                status[STATUS_DIVERGED].fetch_min(p.step, Ordering::Relaxed);
            }
        });
}
