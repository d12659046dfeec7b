//! Twin of `shaders/spectral/hasegawa_wakatani.wgsl`: the Hasegawa–Wakatani right-hand side
//! (Arakawa's Jacobian, central ∂/∂y, the 13-point biharmonic, the coupling, optionally on the
//! non-zonal parts only) and the Runge–Kutta updates with the stochastic forcing.

use rayon::prelude::*;

use crate::cpu::shared::rng::{gaussian, rng_draw, STREAM_NOISE};
use crate::kernels::spectral::{SpectralParams, CHAIN_PARAMS, SPECTRAL_MODIFIED};

/// One periodic plane of values.
struct Plane<'a> {
    values: &'a [f32],
    width: i32,
    height: i32,
}

impl Plane<'_> {
    fn at(&self, x: i32, y: i32) -> f32 {
        let xx = ((x % self.width) + self.width) % self.width;
        let yy = ((y % self.height) + self.height) % self.height;
        self.values[(yy * self.width + xx) as usize]
    }

    fn zonal_mean(&self, x: i32) -> f32 {
        let mut sum = 0.0f32;
        for y in 0..self.height {
            sum += self.at(x, y);
        }
        sum / self.height as f32
    }

    fn biharmonic(&self, x: i32, y: i32, dx: f32) -> f32 {
        let c = self.at(x, y);
        let near = self.at(x + 1, y) + self.at(x - 1, y) + self.at(x, y + 1) + self.at(x, y - 1);
        let diag = self.at(x + 1, y + 1)
            + self.at(x - 1, y + 1)
            + self.at(x + 1, y - 1)
            + self.at(x - 1, y - 1);
        let far = self.at(x + 2, y) + self.at(x - 2, y) + self.at(x, y + 2) + self.at(x, y - 2);
        let h2 = dx * dx;
        (20.0 * c - 8.0 * near + 2.0 * diag + far) / (h2 * h2)
    }
}

/// Arakawa's Jacobian [a, b] at (x, y) with spacing `dx`.
fn arakawa(a: &Plane, b: &Plane, x: i32, y: i32, dx: f32) -> f32 {
    let (a_e, a_w, a_n, a_s) = (
        a.at(x + 1, y),
        a.at(x - 1, y),
        a.at(x, y + 1),
        a.at(x, y - 1),
    );
    let (a_ne, a_nw, a_se, a_sw) = (
        a.at(x + 1, y + 1),
        a.at(x - 1, y + 1),
        a.at(x + 1, y - 1),
        a.at(x - 1, y - 1),
    );
    let (b_e, b_w, b_n, b_s) = (
        b.at(x + 1, y),
        b.at(x - 1, y),
        b.at(x, y + 1),
        b.at(x, y - 1),
    );
    let (b_ne, b_nw, b_se, b_sw) = (
        b.at(x + 1, y + 1),
        b.at(x - 1, y + 1),
        b.at(x + 1, y - 1),
        b.at(x - 1, y - 1),
    );
    let jpp = (a_e - a_w) * (b_n - b_s) - (a_n - a_s) * (b_e - b_w);
    let jpx = a_e * (b_ne - b_se) - a_w * (b_nw - b_sw) - a_n * (b_ne - b_nw) + a_s * (b_se - b_sw);
    let jxp = a_ne * (b_n - b_e) - a_sw * (b_w - b_s) - a_nw * (b_n - b_w) + a_se * (b_e - b_s);
    (jpp + jpx + jxp) / (12.0 * dx * dx)
}

/// Arakawa's Jacobian [a, b] of two periodic `height × width` planes, everywhere.
pub fn jacobian(a: &[f32], b: &[f32], height: usize, width: usize, dx: f32) -> Vec<f32> {
    let pa = Plane {
        values: a,
        width: width as i32,
        height: height as i32,
    };
    let pb = Plane {
        values: b,
        width: width as i32,
        height: height as i32,
    };
    (0..height * width)
        .map(|s| arakawa(&pa, &pb, (s % width) as i32, (s / width) as i32, dx))
        .collect()
}

/// A row of one chain's plane to fill: (chain, row, values).
type Row<'a> = (usize, usize, &'a mut [f32]);

/// Each chain's plane cut into rows.
fn rows(planes: Vec<&mut [f32]>, width: usize) -> Vec<Row<'_>> {
    planes
        .into_iter()
        .enumerate()
        .flat_map(|(c, plane)| {
            plane
                .chunks_mut(width)
                .enumerate()
                .map(move |(y, r)| (c, y, r))
        })
        .collect()
}

/// The right-hand side at `stage` with potential `phi` into `rhs`.
pub fn hw_rhs(
    p: &SpectralParams,
    chain_params: &[f32],
    stage: &[f32],
    phi: &[f32],
    rhs: &mut [f32],
) {
    let (h, w) = (p.height as usize, p.width as usize);
    let plane = h * w;
    let view = |values| Plane {
        values,
        width: w as i32,
        height: h as i32,
    };
    // Rows of every chain in parallel: chain c's n rows, then its ζ rows.
    let (chains_n, chains_z): (Vec<_>, Vec<_>) = rhs
        .chunks_mut(2 * plane)
        .map(|chain| chain.split_at_mut(plane))
        .unzip();
    // (whether the row is of ζ, the row)
    let mut work: Vec<(bool, Row)> = rows(chains_n, w)
        .into_iter()
        .map(|r| (false, r))
        .chain(rows(chains_z, w).into_iter().map(|r| (true, r)))
        .collect();
    work.par_iter_mut()
        .for_each(|(vorticity, (chain, y, out))| {
            let chain = *chain;
            let n = view(&stage[2 * chain * plane..(2 * chain + 1) * plane]);
            let z = view(&stage[(2 * chain + 1) * plane..(2 * chain + 2) * plane]);
            let f = view(&phi[chain * plane..(chain + 1) * plane]);
            let cp = &chain_params[CHAIN_PARAMS * chain..];
            let (alpha, kappa, nu) = (cp[0], cp[1], cp[2]);
            let y = *y as i32;
            for (x, v) in out.iter_mut().enumerate() {
                let x = x as i32;
                let site = (y as usize) * w + x as usize;
                let mut coupling = f.values[site] - n.values[site];
                if p.flags & SPECTRAL_MODIFIED != 0 {
                    coupling -= f.zonal_mean(x) - n.zonal_mean(x);
                }
                coupling *= alpha;
                *v = if *vorticity {
                    -arakawa(&f, &z, x, y, p.dx) + coupling - nu * z.biharmonic(x, y, p.dx)
                } else {
                    let dphi_dy = (f.at(x, y + 1) - f.at(x, y - 1)) / (2.0 * p.dx);
                    -arakawa(&f, &n, x, y, p.dx) + coupling
                        - kappa * dphi_dy
                        - nu * n.biharmonic(x, y, p.dx)
                };
            }
        });
}

/// One Runge–Kutta combination (mode 0 first, 1 middle, 2 last with the forcing, 3 copy).
pub fn rk_update(
    p: &SpectralParams,
    chain_params: &[f32],
    state: &mut [f32],
    stage: &mut [f32],
    accum: &mut [f32],
    rhs: &[f32],
) {
    let plane = (p.height * p.width) as usize;
    state
        .par_iter_mut()
        .zip(stage.par_iter_mut())
        .zip(accum.par_iter_mut())
        .zip(rhs.par_iter())
        .enumerate()
        .for_each(|(i, (((state, stage), accum), rhs))| match p.mode {
            0 => {
                *accum = *state + p.sum_coef * rhs;
                *stage = *state + p.stage_coef * rhs;
            }
            1 => {
                *accum += p.sum_coef * rhs;
                *stage = *state + p.stage_coef * rhs;
            }
            2 => {
                let mut next = *accum + p.sum_coef * rhs;
                let chain = i / (2 * plane);
                let noise = chain_params[CHAIN_PARAMS * chain + 3];
                if noise > 0.0 {
                    let r = rng_draw(i as u32, chain as u32, p.step, p.seed, STREAM_NOISE);
                    next += noise * p.stage_coef * gaussian(r);
                }
                *state = next;
                *stage = next;
            }
            _ => *stage = *state,
        });
}
