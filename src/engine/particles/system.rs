//! A particle system's definition and starting state: the box (periodic orthorhombic or free
//! space), the Lennard-Jones pair table with its cutoff and truncation, and positions and
//! velocities of `[chains, particles, 3]` in reduced units (σ = ε = m = k_B = 1 for a single
//! species).

use crate::cpu::shared::rng::{gaussian, rng_draw, unit_closed_open, STREAM_INIT};
use crate::engine::field::{MAX_CHAINS, MAX_SITES};
use crate::error::{IdfError, Result};

/// The simulation box.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ParticleBox {
    /// A periodic orthorhombic box of these edge lengths (minimum-image distances).
    Periodic([f32; 3]),
    /// Free space (clusters).
    Free,
}

impl ParticleBox {
    /// The volume (infinite in free space).
    pub fn volume(&self) -> f64 {
        match self {
            ParticleBox::Periodic(l) => l.iter().map(|&x| x as f64).product(),
            ParticleBox::Free => f64::INFINITY,
        }
    }
}

/// How the pair potential ends at the cutoff.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Truncation {
    /// Cut: `u = 0` beyond r_c (a jump at r_c).
    Plain,
    /// Cut and shifted: `u(r) − u(r_c)`, continuous at r_c (LAMMPS `pair_modify shift yes`).
    Shifted,
    /// Cut, with the analytic long-range corrections of a uniform fluid added to the energy and
    /// pressure (Allen & Tildesley, *Computer Simulation of Liquids*, 2nd ed., §2.8).
    TailCorrected,
}

impl std::str::FromStr for Truncation {
    type Err = IdfError;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "plain" | "cut" => Ok(Truncation::Plain),
            "shifted" => Ok(Truncation::Shifted),
            "tail" | "tail-corrected" => Ok(Truncation::TailCorrected),
            other => Err(IdfError::invalid(
                "truncation",
                format!("`{other}` is not one of plain, shifted, tail"),
            )),
        }
    }
}

/// The ε and σ of one species pair.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PairParams {
    /// Well depth ε.
    pub epsilon: f32,
    /// Size σ.
    pub sigma: f32,
}

/// Lennard-Jones interactions `u(r) = 4ε[(σ/r)¹² − (σ/r)⁶]` between species pairs, cut at r_c.
#[derive(Clone, Debug, PartialEq)]
pub struct LennardJones {
    /// Species.
    pub species: usize,
    /// Per pair `(a, b)` at `a × species + b` (symmetric).
    pub pairs: Vec<PairParams>,
    /// The cutoff r_c.
    pub cutoff: f32,
    /// How the potential ends at r_c.
    pub truncation: Truncation,
}

impl LennardJones {
    /// One species with ε = σ = 1.
    pub fn single(cutoff: f32, truncation: Truncation) -> Result<Self> {
        let lj = LennardJones {
            species: 1,
            pairs: vec![PairParams {
                epsilon: 1.0,
                sigma: 1.0,
            }],
            cutoff,
            truncation,
        };
        lj.check()?;
        Ok(lj)
    }

    /// Several species: `pairs` lists `(a, b, ε, σ)` for some species pairs (symmetric); a
    /// pair left out takes the Lorentz–Berthelot mixing of the two species' own
    /// (σ_ab = (σ_a + σ_b)/2, ε_ab = √(ε_a ε_b)); a species' own pair left out is ε = σ = 1.
    pub fn mixture(
        species: usize,
        pairs: &[(usize, usize, f32, f32)],
        cutoff: f32,
        truncation: Truncation,
    ) -> Result<Self> {
        if species == 0 {
            return Err(IdfError::invalid("species", "expected at least 1"));
        }
        let mut given: Vec<Option<PairParams>> = vec![None; species * species];
        for &(a, b, epsilon, sigma) in pairs {
            if a >= species || b >= species {
                return Err(IdfError::invalid(
                    "pair",
                    format!("{a}-{b}: species are numbered 0 to {}", species - 1),
                ));
            }
            let p = PairParams { epsilon, sigma };
            given[a * species + b] = Some(p);
            given[b * species + a] = Some(p);
        }
        let own = |a: usize| {
            given[a * species + a].unwrap_or(PairParams {
                epsilon: 1.0,
                sigma: 1.0,
            })
        };
        let mut table = Vec::with_capacity(species * species);
        for a in 0..species {
            for b in 0..species {
                table.push(given[a * species + b].unwrap_or_else(|| {
                    let (pa, pb) = (own(a), own(b));
                    PairParams {
                        epsilon: (pa.epsilon * pb.epsilon).sqrt(),
                        sigma: 0.5 * (pa.sigma + pb.sigma),
                    }
                }));
            }
        }
        let lj = LennardJones {
            species,
            pairs: table,
            cutoff,
            truncation,
        };
        lj.check()?;
        Ok(lj)
    }

    /// Checks the cutoff and every pair's ε and σ.
    pub fn check(&self) -> Result<()> {
        if !(self.cutoff.is_finite() && self.cutoff > 0.0) {
            return Err(IdfError::invalid(
                "cutoff",
                format!("{} is not a finite, positive cutoff", self.cutoff),
            ));
        }
        if self.pairs.len() != self.species * self.species || self.species == 0 {
            return Err(IdfError::invalid(
                "species",
                format!(
                    "{} pair entries for {} species (expected species²)",
                    self.pairs.len(),
                    self.species
                ),
            ));
        }
        for p in &self.pairs {
            if !(p.epsilon.is_finite() && p.epsilon >= 0.0 && p.sigma.is_finite() && p.sigma > 0.0)
            {
                return Err(IdfError::invalid(
                    "pairs",
                    format!(
                        "ε = {}, σ = {}: expected ε ≥ 0 and σ > 0",
                        p.epsilon, p.sigma
                    ),
                ));
            }
        }
        Ok(())
    }

    /// The pair energy at r, before truncation.
    pub fn pair_energy(p: PairParams, r: f64) -> f64 {
        let s6 = (p.sigma as f64 / r).powi(6);
        4.0 * p.epsilon as f64 * (s6 * s6 - s6)
    }

    /// The kernels' pair table: `[ε, σ², shift, 0]` per pair.
    pub fn pair_table(&self) -> Vec<[f32; 4]> {
        self.pairs
            .iter()
            .map(|&p| {
                let shift = match self.truncation {
                    Truncation::Shifted => Self::pair_energy(p, self.cutoff as f64) as f32,
                    _ => 0.0,
                };
                [p.epsilon, p.sigma * p.sigma, shift, 0.0]
            })
            .collect()
    }

    /// The long-range corrections `(energy per particle, pressure)` of a uniform fluid of
    /// number density `density` with species fractions `fractions`, for the tail-corrected
    /// truncation (zero otherwise): `u_tail = (8/3)πρ Σ x_a x_b ε σ³[(σ/r_c)⁹/3 − (σ/r_c)³]`,
    /// `p_tail = (16/3)πρ² Σ x_a x_b ε σ³[(2/3)(σ/r_c)⁹ − (σ/r_c)³]`.
    pub fn tail_corrections(&self, density: f64, fractions: &[f64]) -> (f64, f64) {
        if self.truncation != Truncation::TailCorrected || !density.is_finite() {
            return (0.0, 0.0);
        }
        let (mut u, mut p) = (0.0, 0.0);
        for a in 0..self.species {
            for b in 0..self.species {
                let pair = self.pairs[a * self.species + b];
                let (eps, sigma) = (pair.epsilon as f64, pair.sigma as f64);
                let x = sigma / self.cutoff as f64;
                let w = fractions[a] * fractions[b] * eps * sigma.powi(3);
                u += w * (x.powi(9) / 3.0 - x.powi(3));
                p += w * (2.0 / 3.0 * x.powi(9) - x.powi(3));
            }
        }
        let pi = std::f64::consts::PI;
        (
            8.0 / 3.0 * pi * density * u,
            16.0 / 3.0 * pi * density * density * p,
        )
    }
}

/// Positions and velocities of `chains` systems of `n` particles each.
#[derive(Clone, Debug, PartialEq)]
pub struct ParticleState {
    /// Independent systems.
    pub chains: usize,
    /// Particles per system.
    pub n: usize,
    /// `[x, y, z, species]` per particle, chain-major.
    pub position: Vec<[f32; 4]>,
    /// `[vx, vy, vz, 0]` per particle.
    pub velocity: Vec<[f32; 4]>,
}

impl ParticleState {
    /// `n` particles of species 0 on a face-centred cubic lattice filling a periodic cube at
    /// number density `density` (4 M³ sites, the first `n` filled), in every chain, with
    /// velocities drawn at `temperature`.
    pub fn fcc(
        chains: usize,
        n: usize,
        density: f64,
        temperature: f64,
        seed: u32,
    ) -> Result<(Self, ParticleBox)> {
        check_count(chains, n)?;
        if !(density.is_finite() && density > 0.0) {
            return Err(IdfError::invalid(
                "density",
                format!("{density} is not a finite, positive number density"),
            ));
        }
        let length = (n as f64 / density).cbrt();
        let m = ((n as f64 / 4.0).cbrt().ceil() as usize).max(1);
        let a = length / m as f64;
        let basis = [
            [0.0, 0.0, 0.0],
            [0.5, 0.5, 0.0],
            [0.5, 0.0, 0.5],
            [0.0, 0.5, 0.5],
        ];
        let mut sites = Vec::with_capacity(4 * m * m * m);
        for z in 0..m {
            for y in 0..m {
                for x in 0..m {
                    for b in basis {
                        sites.push([
                            ((x as f64 + b[0] + 0.25) * a) as f32,
                            ((y as f64 + b[1] + 0.25) * a) as f32,
                            ((z as f64 + b[2] + 0.25) * a) as f32,
                            0.0,
                        ]);
                    }
                }
            }
        }
        sites.truncate(n);
        let position = (0..chains).flat_map(|_| sites.iter().copied()).collect();
        let mut state = ParticleState {
            chains,
            n,
            position,
            velocity: vec![[0.0; 4]; chains * n],
        };
        state.thermalize(temperature, seed)?;
        let l = length as f32;
        Ok((state, ParticleBox::Periodic([l, l, l])))
    }

    /// `n` particles of species 0 placed at random in a sphere of number density `density`
    /// (a cluster's start in free space), none closer than 0.9σ, different in each chain, at
    /// rest.
    pub fn random_cluster(chains: usize, n: usize, density: f64, seed: u32) -> Result<Self> {
        check_count(chains, n)?;
        let radius = (3.0 * n as f64 / (4.0 * std::f64::consts::PI * density)).cbrt();
        let mut position = Vec::with_capacity(chains * n);
        for c in 0..chains {
            let mut placed: Vec<[f32; 4]> = Vec::with_capacity(n);
            let mut draw = 0u32;
            while placed.len() < n {
                let r = rng_draw(draw, c as u32, 0, seed, STREAM_INIT);
                draw += 1;
                if draw > 1_000_000 {
                    return Err(IdfError::invalid(
                        "density",
                        format!("{density}: cannot place {n} particles 0.9σ apart"),
                    ));
                }
                let p = [0, 1, 2].map(|k| (2.0 * unit_closed_open(r[k]) as f64 - 1.0) * radius);
                if p.iter().map(|x| x * x).sum::<f64>() > radius * radius {
                    continue;
                }
                let q = [p[0] as f32, p[1] as f32, p[2] as f32, 0.0];
                let too_close = placed
                    .iter()
                    .any(|o| (0..3).map(|k| (o[k] - q[k]).powi(2)).sum::<f32>() < 0.81);
                if !too_close {
                    placed.push(q);
                }
            }
            position.extend(placed);
        }
        Ok(ParticleState {
            chains,
            n,
            position,
            velocity: vec![[0.0; 4]; chains * n],
        })
    }

    /// Draws Maxwell–Boltzmann velocities (unit mass) at `temperature`, removes each chain's
    /// centre-of-mass motion and rescales so the kinetic temperature (3N − 3 degrees of
    /// freedom) is exactly `temperature`.
    pub fn thermalize(&mut self, temperature: f64, seed: u32) -> Result<()> {
        if !(temperature.is_finite() && temperature >= 0.0) {
            return Err(IdfError::invalid(
                "temperature",
                format!("{temperature} is not a finite temperature ≥ 0"),
            ));
        }
        let n = self.n;
        for c in 0..self.chains {
            let v = &mut self.velocity[c * n..(c + 1) * n];
            for (i, vi) in v.iter_mut().enumerate() {
                for (k, x) in vi.iter_mut().take(3).enumerate() {
                    let site = (3 * i + k) as u32;
                    *x = gaussian(rng_draw(site, c as u32, 1, seed, STREAM_INIT));
                }
            }
            let mut mean = [0.0f64; 3];
            for vi in v.iter() {
                for k in 0..3 {
                    mean[k] += vi[k] as f64 / n as f64;
                }
            }
            let mut twice_ke = 0.0;
            for vi in v.iter_mut() {
                for k in 0..3 {
                    vi[k] -= mean[k] as f32;
                    twice_ke += (vi[k] as f64).powi(2);
                }
            }
            let dof = (3 * n).saturating_sub(3).max(1) as f64;
            let scale = if twice_ke > 0.0 {
                (temperature * dof / twice_ke).sqrt()
            } else {
                0.0
            };
            for vi in v.iter_mut() {
                for x in vi.iter_mut().take(3) {
                    *x *= scale as f32;
                }
            }
        }
        Ok(())
    }

    /// Assigns species by `fractions` (summing to 1): the counts rounded, the species of each
    /// particle drawn by a seeded shuffle, the same in every chain.
    pub fn assign_species(&mut self, fractions: &[f64], seed: u32) -> Result<()> {
        let total: f64 = fractions.iter().sum();
        if fractions.is_empty()
            || fractions.iter().any(|f| !(f.is_finite() && *f >= 0.0))
            || (total - 1.0).abs() > 1e-6
        {
            return Err(IdfError::invalid(
                "species_fractions",
                format!("{fractions:?}: expected fractions ≥ 0 that sum to 1"),
            ));
        }
        let n = self.n;
        let mut species = Vec::with_capacity(n);
        let mut placed = 0usize;
        let mut cumulative = 0.0;
        for (s, f) in fractions.iter().enumerate() {
            cumulative += f;
            let upto = if s + 1 == fractions.len() {
                n
            } else {
                (cumulative * n as f64).round() as usize
            };
            species.extend(std::iter::repeat_n(s as f32, upto.saturating_sub(placed)));
            placed = placed.max(upto);
        }
        // Fisher–Yates with the run's counter-based draws.
        for i in (1..n).rev() {
            let r = rng_draw(i as u32, 0, 2, seed, STREAM_INIT)[0];
            let j = ((r as u64 * (i as u64 + 1)) >> 32) as usize;
            species.swap(i, j);
        }
        for c in 0..self.chains {
            for (i, s) in species.iter().enumerate() {
                self.position[c * n + i][3] = *s;
            }
        }
        Ok(())
    }

    /// The positions of chain `c`.
    pub fn chain_positions(&self, c: usize) -> &[[f32; 4]] {
        &self.position[c * self.n..(c + 1) * self.n]
    }
}

/// The most particles of all chains together: their positions take 1 GiB.
pub const MAX_PARTICLES: usize = MAX_SITES / 4;

/// Checks `chains` systems of `n` particles before anything is allocated for them: at least one
/// chain of two particles, at most [`MAX_CHAINS`] chains and [`MAX_PARTICLES`] in all.
pub fn check_count(chains: usize, n: usize) -> Result<()> {
    if chains == 0 {
        return Err(IdfError::invalid("chains", "expected at least 1"));
    }
    if chains > MAX_CHAINS {
        return Err(IdfError::invalid(
            "chains",
            format!("{chains} is over the limit of {MAX_CHAINS}"),
        ));
    }
    if n < 2 {
        return Err(IdfError::invalid(
            "particles",
            format!("{n}: expected at least 2"),
        ));
    }
    if chains
        .checked_mul(n)
        .is_none_or(|total| total > MAX_PARTICLES)
    {
        return Err(IdfError::invalid(
            "particles",
            format!(
                "{chains} chains of {n} particles are over the limit of {MAX_PARTICLES} particles"
            ),
        ));
    }
    Ok(())
}
