//! Twin of `shaders/particles/integrate.wgsl`: the stages the particle integrators are built
//! from. Velocity Verlet is B A B with a force evaluation in the middle; Langevin BAOAB
//! (Leimkuhler & Matthews, Appl. Math. Res. Express 2013) is B A O A B; overdamped Langevin is
//! one Euler–Maruyama drift-diffusion stage. Noise is `pcg4d` keyed by (3 × particle + axis,
//! chain, step, seed), as every IDF kernel's.

use rayon::prelude::*;

use super::lj_forces::PARTICLES_PER_TASK;
use crate::cpu::shared::rng::{gaussian, rng_draw, STREAM_NOISE};
use crate::kernels::particles::ParticleParams;

/// B: `v += fraction · dt · F / m`.
pub fn kick(p: &ParticleParams, velocity: &mut [[f32; 4]], force: &[[f32; 4]], fraction: f32) {
    let h = fraction * p.dt / p.mass;
    for (v, f) in velocity.iter_mut().zip(force) {
        for k in 0..3 {
            v[k] += h * f[k];
        }
    }
}

/// Wraps a coordinate into `[0, l)`.
pub fn wrap(x: f32, l: f32) -> f32 {
    let y = x - l * (x / l).floor();
    // Rounding can land exactly on l.
    if y >= l {
        y - l
    } else {
        y
    }
}

/// Wraps a position into a periodic box (free space leaves it).
pub fn wrap_position(p: &ParticleParams, x: &mut [f32; 4]) {
    if p.periodic() {
        for (k, c) in x.iter_mut().take(3).enumerate() {
            *c = wrap(*c, p.box_len[k]);
        }
    }
}

/// A: `x += fraction · dt · v`, wrapped into a periodic box.
pub fn drift(p: &ParticleParams, position: &mut [[f32; 4]], velocity: &[[f32; 4]], fraction: f32) {
    let h = fraction * p.dt;
    for (x, v) in position.iter_mut().zip(velocity) {
        for k in 0..3 {
            x[k] += h * v[k];
        }
        wrap_position(p, x);
    }
}

/// One standard normal draw for axis `axis` of particle `i` of chain `chain` at `p.step`.
pub fn particle_noise(p: &ParticleParams, chain: usize, i: usize, axis: usize) -> f32 {
    let site = (3 * i + axis) as u32;
    gaussian(rng_draw(site, chain as u32, p.step, p.seed, STREAM_NOISE))
}

/// O: the exact Ornstein–Uhlenbeck update over `dt`,
/// `v ← e^{−γ dt} v + √((1 − e^{−2γ dt}) T / m) ξ`, with chain c's bath temperature
/// `T = p.temperature × chain_temperature[c]`.
pub fn thermostat(p: &ParticleParams, velocity: &mut [[f32; 4]], chain_temperature: &[f32]) {
    let c1 = (-p.gamma * p.dt).exp();
    let n = p.n as usize;
    velocity
        .par_iter_mut()
        .enumerate()
        .with_min_len(PARTICLES_PER_TASK)
        .for_each(|(gi, v)| {
            let t = p.temperature * chain_temperature[gi / n];
            let c2 = ((1.0 - c1 * c1) * t / p.mass).sqrt();
            for (k, x) in v.iter_mut().take(3).enumerate() {
                *x = c1 * *x + c2 * particle_noise(p, gi / n, gi % n, k);
            }
        });
}

/// Overdamped Langevin (Brownian dynamics) with mobility 1/γ:
/// `x += dt F / γ + √(2 T dt / γ) ξ`, wrapped into a periodic box, with chain c's bath
/// temperature `T = p.temperature × chain_temperature[c]`.
pub fn brownian(
    p: &ParticleParams,
    position: &mut [[f32; 4]],
    force: &[[f32; 4]],
    chain_temperature: &[f32],
) {
    let drift = p.dt / p.gamma;
    let n = p.n as usize;
    for (gi, (x, f)) in position.iter_mut().zip(force).enumerate() {
        let noise = (2.0 * p.temperature * chain_temperature[gi / n] * p.dt / p.gamma).sqrt();
        for k in 0..3 {
            x[k] += drift * f[k] + noise * particle_noise(p, gi / n, gi % n, k);
        }
        wrap_position(p, x);
    }
}
