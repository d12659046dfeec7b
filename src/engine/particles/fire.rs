//! FIRE, the fast inertial relaxation engine (Bitzek, Koskinen, Gähler, Moseler & Gumbsch,
//! Phys. Rev. Lett. 97, 170201 (2006)): local minimisation of the potential energy by damped
//! dynamics that mixes the velocity towards the force and restarts when the power P = F·v turns
//! negative. Each chain keeps its own time step and mixing.

use super::dynamics::ParticleSimulation;
use crate::error::{IdfError, Result};

/// FIRE's settings (the paper's defaults, with `dt` the starting time step).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Fire {
    /// Starting time step.
    pub dt: f32,
    /// Largest time step (the paper: 10 dt).
    pub dt_max: f32,
    /// Converged when every particle's force is below this norm.
    pub force_tolerance: f32,
    /// Most iterations.
    pub max_iterations: usize,
}

impl Default for Fire {
    fn default() -> Self {
        Fire {
            dt: 0.005,
            dt_max: 0.05,
            force_tolerance: 1e-3,
            max_iterations: 20_000,
        }
    }
}

/// Steps of positive power before the time step may grow.
const N_MIN: usize = 5;
const F_INC: f32 = 1.1;
const F_DEC: f32 = 0.5;
const ALPHA_START: f32 = 0.1;
const F_ALPHA: f32 = 0.99;

/// How a minimisation ended, per chain.
#[derive(Clone, Debug, PartialEq)]
pub struct Minimised {
    /// Iterations taken.
    pub iterations: usize,
    /// Per chain: whether its largest force fell below the tolerance.
    pub converged: Vec<bool>,
    /// Per chain: its largest force norm at the end.
    pub max_force: Vec<f32>,
}

/// Minimises every chain's potential energy from its current positions (velocities are reset to
/// zero first and left at zero).
pub fn minimise(sim: &mut ParticleSimulation, fire: &Fire) -> Result<Minimised> {
    if !(fire.dt > 0.0 && fire.dt_max >= fire.dt && fire.force_tolerance > 0.0) {
        return Err(IdfError::invalid(
            "fire",
            format!(
                "dt {}, dt_max {} and force tolerance {} must be positive, with dt_max ≥ dt",
                fire.dt, fire.dt_max, fire.force_tolerance
            ),
        ));
    }
    let p = *sim.params();
    let (chains, n) = (p.chains as usize, p.n as usize);
    let mut state = sim.state()?;
    let mut v = vec![[0.0f32; 3]; chains * n];
    let mut dt = vec![fire.dt; chains];
    let mut alpha = vec![ALPHA_START; chains];
    let mut positive = vec![0usize; chains];
    let mut max_force = vec![f32::INFINITY; chains];
    let mut iterations = 0;
    while iterations < fire.max_iterations {
        let force = sim.forces()?;
        for (c, m) in max_force.iter_mut().enumerate() {
            *m = force[c * n..(c + 1) * n]
                .iter()
                .map(|f| (f[0] * f[0] + f[1] * f[1] + f[2] * f[2]).sqrt())
                .fold(0.0, f32::max);
        }
        if max_force.iter().all(|&f| f < fire.force_tolerance) {
            break;
        }
        for c in 0..chains {
            if max_force[c] < fire.force_tolerance {
                continue;
            }
            let range = c * n..(c + 1) * n;
            let (mut power, mut v2, mut f2) = (0.0f64, 0.0f64, 0.0f64);
            for i in range.clone() {
                for k in 0..3 {
                    power += (force[i][k] * v[i][k]) as f64;
                    v2 += (v[i][k] as f64).powi(2);
                    f2 += (force[i][k] as f64).powi(2);
                }
            }
            if power > 0.0 {
                let mix = (alpha[c] as f64 * (v2 / f2.max(1e-300)).sqrt()) as f32;
                for i in range.clone() {
                    for k in 0..3 {
                        v[i][k] = (1.0 - alpha[c]) * v[i][k] + mix * force[i][k];
                    }
                }
                positive[c] += 1;
                if positive[c] > N_MIN {
                    dt[c] = (dt[c] * F_INC).min(fire.dt_max);
                    alpha[c] *= F_ALPHA;
                }
            } else {
                v[range.clone()].fill([0.0; 3]);
                dt[c] *= F_DEC;
                alpha[c] = ALPHA_START;
                positive[c] = 0;
            }
            // Semi-implicit Euler: the velocity first, then the position.
            for i in range {
                for k in 0..3 {
                    v[i][k] += dt[c] * force[i][k];
                    state.position[i][k] += dt[c] * v[i][k];
                }
            }
        }
        sim.set_positions(&state.position)?;
        state.position = sim.state()?.position;
        iterations += 1;
    }
    sim.zero_velocities()?;
    Ok(Minimised {
        iterations,
        converged: max_force
            .iter()
            .map(|&f| f < fire.force_tolerance)
            .collect(),
        max_force,
    })
}
