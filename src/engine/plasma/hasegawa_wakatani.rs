//! [`HasegawaWakatani`]: the Hasegawa–Wakatani model integrated on a [`SpectralGrid`], many
//! runs side by side as chains, each with its own α, κ, ν and noise (`ChainParams`). A step is
//! the classical fourth-order Runge–Kutta method; each stage solves ∇²φ = ζ spectrally (FFT,
//! −1/k², inverse FFT) and evaluates the right-hand side with Arakawa's Jacobian
//! (`shaders/spectral/`). The stochastic forcing, when a chain has one, adds
//! noise·√dt·ξ to n and ζ after each step.
//!
//! Diagnostics per chain, in double precision on the host: energy E = ½⟨n² + |∇φ|²⟩ (with
//! ⟨|∇φ|²⟩ = −⟨φζ⟩), enstrophy U = ½⟨(n − ζ)²⟩, and the radial particle flux
//! Γ_n = −⟨n ∂φ/∂y⟩ (⟨·⟩: the mean over the grid).

use serde::Serialize;

use super::linear::ModeProblem;
use crate::context::Context;
use crate::engine::spectral::{SpectralGrid, Spectrum};
use crate::error::{IdfError, Result};
use crate::kernels::spectral::{
    ChainParams, SpectralBuffer, SpectralKernel, SpectralParams, CHAIN_PARAMS, SPECTRAL_FLIP,
    SPECTRAL_MODIFIED,
};

/// The edge of the classical Runge–Kutta method's stability region along the negative real
/// axis is 2.785, along the imaginary axis 2.828: |λ dt| ≤ 2.5 keeps every damped or
/// oscillating mode inside.
pub const RK4_STABLE: f64 = 2.5;

/// One chain's diagnostics.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct HwDiagnostics {
    /// E = ½⟨n² + |∇φ|²⟩.
    pub energy: f64,
    /// U = ½⟨(n − ζ)²⟩.
    pub enstrophy: f64,
    /// Γ_n = −⟨n ∂φ/∂y⟩.
    pub flux: f64,
    /// The largest E×B speed |∇φ| (what the CFL condition bounds).
    pub max_speed: f64,
}

/// Hasegawa–Wakatani runs on one backend.
pub struct HasegawaWakatani {
    grid: SpectralGrid,
    params: Vec<ChainParams>,
    dx: f32,
    modified: bool,
    seed: u32,
    step: u64,
    /// The largest stable step of the linear terms (fixed by the parameters and the grid).
    stable: f64,
}

impl HasegawaWakatani {
    /// `params.len()` runs on `height × width` grids of spacing `dx` (powers of two), starting
    /// at n = ζ = 0. Errors name the parameter: a spacing or a chain's α, ν or noise that is
    /// negative or not finite.
    pub fn new(
        ctx: &Context,
        params: &[ChainParams],
        height: usize,
        width: usize,
        dx: f32,
        modified: bool,
        seed: u32,
    ) -> Result<Self> {
        if !(dx.is_finite() && dx > 0.0) {
            return Err(IdfError::invalid(
                "dx",
                format!("{dx}: need a spacing above 0"),
            ));
        }
        for (c, p) in params.iter().enumerate() {
            for (name, v, min) in [
                ("alpha", p.alpha, 0.0),
                ("nu", p.nu, 0.0),
                ("noise", p.noise, 0.0),
                ("kappa", p.kappa, f32::NEG_INFINITY),
            ] {
                if !(v.is_finite() && v >= min) {
                    return Err(IdfError::invalid(
                        name,
                        format!(
                            "run {c}: {v} is not finite{}",
                            if min == 0.0 { " and at least 0" } else { "" }
                        ),
                    ));
                }
            }
        }
        let mut grid = SpectralGrid::new(ctx, params.len(), height, width)?;
        let packed: Vec<f32> = params.iter().flat_map(|p| p.packed()).collect();
        debug_assert_eq!(packed.len(), CHAIN_PARAMS * params.len());
        grid.write(SpectralBuffer::ChainParams, &packed);
        let mut hw = HasegawaWakatani {
            grid,
            params: params.to_vec(),
            dx,
            modified,
            seed,
            step: 0,
            stable: 0.0,
        };
        hw.stable = RK4_STABLE / hw.linear_rate_bound().max(1e-30);
        Ok(hw)
    }

    /// Runs side by side.
    pub fn chains(&self) -> usize {
        self.grid.chains
    }

    /// (height, width).
    pub fn size(&self) -> (usize, usize) {
        (self.grid.height, self.grid.width)
    }

    /// Steps taken.
    pub fn steps_taken(&self) -> u64 {
        self.step
    }

    fn plane(&self) -> usize {
        self.grid.height * self.grid.width
    }

    fn params(&self) -> SpectralParams {
        SpectralParams {
            dx: self.dx,
            flags: if self.modified { SPECTRAL_MODIFIED } else { 0 },
            seed: self.seed,
            ..self.grid.params()
        }
    }

    /// Sets n and ζ of every chain (each `[chains][height][width]`).
    pub fn set_state(&mut self, n: &[f32], zeta: &[f32]) -> Result<()> {
        let plane = self.plane();
        let len = self.chains() * plane;
        for (name, v) in [("n", n), ("zeta", zeta)] {
            if v.len() != len {
                return Err(IdfError::invalid(
                    name,
                    format!("{} values for {len} sites", v.len()),
                ));
            }
            if let Some(bad) = v.iter().find(|x| !x.is_finite()) {
                return Err(IdfError::invalid(name, format!("{bad} is not finite")));
            }
        }
        let mut state = Vec::with_capacity(2 * len);
        for c in 0..self.chains() {
            state.extend_from_slice(&n[c * plane..(c + 1) * plane]);
            state.extend_from_slice(&zeta[c * plane..(c + 1) * plane]);
        }
        self.grid.write(SpectralBuffer::State, &state);
        self.grid.write(SpectralBuffer::Stage, &state);
        Ok(())
    }

    /// n and ζ of every chain (each `[chains][height][width]`).
    pub fn state(&mut self) -> Result<(Vec<f32>, Vec<f32>)> {
        let plane = self.plane();
        let state = self.grid.read(SpectralBuffer::State)?;
        let (mut n, mut zeta) = (Vec::new(), Vec::new());
        for chain in state.chunks(2 * plane) {
            n.extend_from_slice(&chain[..plane]);
            zeta.extend_from_slice(&chain[plane..]);
        }
        Ok((n, zeta))
    }

    /// The potential of the current state, ∇²φ = ζ − ⟨ζ⟩ (`[chains][height][width]`).
    pub fn potential(&mut self) -> Result<Vec<f32>> {
        let mut out = vec![(
            SpectralKernel::RkUpdate,
            SpectralParams {
                mode: 3,
                ..self.params()
            },
        )];
        self.solve_potential(&mut out);
        self.grid.run(&out)?;
        self.grid.read(SpectralBuffer::Phi)
    }

    /// Records φ from the vorticity at `stage`.
    fn solve_potential(&self, out: &mut Vec<(SpectralKernel, SpectralParams)>) {
        let p = self.params();
        let flip = |at: Spectrum| if at == Spectrum::B { SPECTRAL_FLIP } else { 0 };
        out.push((SpectralKernel::LoadVorticity, p));
        let at = self.grid.fft_passes(Spectrum::A, false, out);
        out.push((
            SpectralKernel::Poisson,
            SpectralParams {
                flags: flip(at),
                ..p
            },
        ));
        let at = self.grid.fft_passes(at, true, out);
        out.push((
            SpectralKernel::StorePotential,
            SpectralParams {
                flags: flip(at),
                ..p
            },
        ));
    }

    /// The largest |λ| of the linear operators over the grid's modes (each chain's α, κ, ν):
    /// what bounds a stable Runge–Kutta step.
    pub fn linear_rate_bound(&self) -> f64 {
        let (h, w) = (self.grid.height, self.grid.width);
        let dx = self.dx as f64;
        let k = |m: usize, n: usize| {
            let s = if m > n / 2 {
                m as f64 - n as f64
            } else {
                m as f64
            };
            2.0 * std::f64::consts::PI * s / (n as f64 * dx)
        };
        let mut bound: f64 = 0.0;
        for p in &self.params {
            for my in 0..h {
                for mx in 0..w {
                    if mx == 0 && my == 0 {
                        continue;
                    }
                    let mode = ModeProblem {
                        alpha: p.alpha as f64,
                        kappa: p.kappa as f64,
                        nu: p.nu as f64,
                        kx: k(mx, w),
                        ky: k(my, h),
                        dx: Some(dx),
                        modified: self.modified,
                    };
                    for l in mode.eigenvalues() {
                        bound = bound.max((l.0 * l.0 + l.1 * l.1).sqrt());
                    }
                }
            }
        }
        bound
    }

    /// The largest stable step of the linear terms, [`RK4_STABLE`] / max |λ| (computed once).
    pub fn stable_step(&self) -> f64 {
        self.stable
    }

    /// Takes `steps` Runge–Kutta steps of `dt`. Errors: a step that is not finite and positive,
    /// or above the linear stability limit, naming `dt` and a stable step.
    pub fn advance(&mut self, dt: f32, steps: u64) -> Result<()> {
        let stable = self.stable;
        if !(dt.is_finite() && dt > 0.0) || dt as f64 > stable {
            return Err(IdfError::invalid(
                "dt",
                format!(
                    "{dt} is not a stable step: the linear terms need dt ≤ {stable:.4e} (|λ|max·dt ≤ {RK4_STABLE})"
                ),
            ));
        }
        let p = self.params();
        let mut out = Vec::new();
        for _ in 0..steps {
            out.push((SpectralKernel::RkUpdate, SpectralParams { mode: 3, ..p }));
            for (mode, stage, sum) in [
                (0, dt / 2.0, dt / 6.0),
                (1, dt / 2.0, dt / 3.0),
                (1, dt, dt / 3.0),
                (2, dt.sqrt(), dt / 6.0),
            ] {
                self.solve_potential(&mut out);
                out.push((SpectralKernel::HwRhs, p));
                out.push((
                    SpectralKernel::RkUpdate,
                    SpectralParams {
                        mode,
                        stage_coef: stage,
                        sum_coef: sum,
                        step: self.step as u32,
                        ..p
                    },
                ));
            }
            self.step += 1;
            if out.len() > 1024 {
                self.grid.run(&out)?;
                out.clear();
            }
        }
        self.grid.run(&out)
    }

    /// n, ζ and φ of every chain at the current state (each `[chains][height][width]`).
    pub fn fields(&mut self) -> Result<[Vec<f32>; 3]> {
        let phi = self.potential()?;
        let (n, zeta) = self.state()?;
        Ok([n, zeta, phi])
    }

    /// The 2-D DFT of each chain's potential (`[chains][height][width]` complex values), by the
    /// backend's FFT: the spectra of a run.
    pub fn potential_spectrum(&mut self) -> Result<Vec<[f32; 2]>> {
        let phi = self.potential()?;
        let complex: Vec<[f32; 2]> = phi.iter().map(|v| [*v, 0.0]).collect();
        self.grid.fft(&complex, false)
    }

    /// Each chain's diagnostics at the current state.
    pub fn diagnostics(&mut self) -> Result<Vec<HwDiagnostics>> {
        let fields = self.fields()?;
        Ok(self.diagnostics_of(&fields))
    }

    /// Each chain's diagnostics of `fields` (n, ζ, φ as [`fields`](Self::fields) gives them).
    pub fn diagnostics_of(&self, fields: &[Vec<f32>; 3]) -> Vec<HwDiagnostics> {
        let [n, zeta, phi] = fields;
        let (h, w) = (self.grid.height, self.grid.width);
        let plane = h * w;
        let dx = self.dx as f64;
        (0..self.chains())
            .map(|c| {
                let range = c * plane..(c + 1) * plane;
                let (n, z, f) = (&n[range.clone()], &zeta[range.clone()], &phi[range]);
                let at = |v: &[f32], x: usize, y: usize| v[(y % h) * w + (x % w)] as f64;
                let mut d = HwDiagnostics::default();
                for y in 0..h {
                    for x in 0..w {
                        let i = y * w + x;
                        let (ni, zi, fi) = (n[i] as f64, z[i] as f64, f[i] as f64);
                        let dfdy = (at(f, x, y + 1) - at(f, x, y + h - 1)) / (2.0 * dx);
                        let dfdx = (at(f, x + 1, y) - at(f, x + w - 1, y)) / (2.0 * dx);
                        d.energy += 0.5 * (ni * ni - fi * zi);
                        d.enstrophy += 0.5 * (ni - zi).powi(2);
                        d.flux -= ni * dfdy;
                        d.max_speed = d.max_speed.max((dfdx * dfdx + dfdy * dfdy).sqrt());
                    }
                }
                let n_sites = plane as f64;
                d.energy /= n_sites;
                d.enstrophy /= n_sites;
                d.flux /= n_sites;
                d
            })
            .collect()
    }
}
