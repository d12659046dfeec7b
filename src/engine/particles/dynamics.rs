//! [`ParticleSimulation`]: a particle system's run on a backend — neighbour lists kept fresh by
//! the skin rule, forces, and the integrators (velocity Verlet, Langevin BAOAB, overdamped
//! Langevin) with the observables of every record.

use super::observables::{MdRecord, MdTrace};
use super::system::{LennardJones, ParticleBox, ParticleState};
use crate::context::Context;
use crate::cpu::particles::integrate::wrap_position;
use crate::cpu::shared::rng::{rng_draw, unit_open_closed, STREAM_ACCEPT};
use crate::error::{IdfError, Result};
use crate::kernels::particles::{ParticleParams, PARTICLE_PERIODIC};
use crate::particle_executor::{ParticleExecutor, Stage};

/// Most cells per axis of a grid (a cluster whose particle flew far gets coarser cells, never a
/// huge grid).
const MAX_CELLS_PER_AXIS: u32 = 64;

/// A particle integrator.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ParticleIntegrator {
    /// Velocity Verlet (NVE; symplectic, time-reversible).
    VelocityVerlet,
    /// Langevin BAOAB with friction γ (NVT; Leimkuhler & Matthews 2013).
    Baoab {
        /// Friction γ.
        gamma: f32,
    },
    /// Overdamped Langevin (Brownian dynamics) with friction γ: positions only.
    Overdamped {
        /// Friction γ.
        gamma: f32,
    },
    /// Hybrid Monte Carlo: one step is a trajectory of `leapfrog_steps` velocity-Verlet steps
    /// from fresh momenta, accepted or rejected on H (exact NVT sampling of the positions).
    Hmc {
        /// Leapfrog steps per trajectory.
        leapfrog_steps: u32,
    },
}

impl ParticleIntegrator {
    /// Parses `verlet`, `baoab`, `overdamped` (with friction `gamma`) or `hmc` (with
    /// `leapfrog_steps` per trajectory).
    pub fn parse(name: &str, gamma: f32, leapfrog_steps: u32) -> Result<Self> {
        if !(gamma.is_finite() && gamma > 0.0) {
            return Err(IdfError::invalid(
                "gamma",
                format!("{gamma} is not a finite, positive friction"),
            ));
        }
        match name {
            "verlet" | "velocity-verlet" | "nve" => Ok(ParticleIntegrator::VelocityVerlet),
            "baoab" | "langevin" | "nvt" => Ok(ParticleIntegrator::Baoab { gamma }),
            "overdamped" | "brownian" => Ok(ParticleIntegrator::Overdamped { gamma }),
            "hmc" if leapfrog_steps == 0 => Err(IdfError::invalid(
                "leapfrog_steps",
                "an HMC trajectory needs at least 1 leapfrog step",
            )),
            "hmc" => Ok(ParticleIntegrator::Hmc { leapfrog_steps }),
            other => Err(IdfError::invalid(
                "integrator",
                format!("`{other}` is not one of verlet, baoab, overdamped, hmc"),
            )),
        }
    }

    /// Degrees of freedom of the kinetic temperature of `n` particles: 3N − 3 where momentum
    /// is conserved (velocity Verlet), 3N under a thermostat.
    pub fn degrees_of_freedom(&self, n: usize) -> usize {
        match self {
            ParticleIntegrator::VelocityVerlet => (3 * n).saturating_sub(3).max(1),
            // Momenta are drawn afresh for every trajectory: every degree of freedom is
            // thermalised.
            _ => 3 * n,
        }
    }
}

/// What a run does: integrator, time step, temperature (schedule from `t_start`), length and
/// records.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ParticleRun {
    /// The integrator.
    pub integrator: ParticleIntegrator,
    /// The time step.
    pub dt: f32,
    /// The target temperature (thermostatted integrators).
    pub temperature: f32,
    /// The temperature at the first step; it falls linearly to `temperature` over the run
    /// (annealing). Equal to `temperature` for a constant one.
    pub t_start: f32,
    /// Steps.
    pub steps: u64,
    /// Steps between records (the state before the first step is recorded too).
    pub record_every: u64,
}

impl ParticleRun {
    /// Checks the run's values.
    pub fn check(&self) -> Result<()> {
        if !(self.dt.is_finite() && self.dt > 0.0) {
            return Err(IdfError::invalid(
                "dt",
                format!("{} is not a finite, positive time step", self.dt),
            ));
        }
        for (key, t) in [("temperature", self.temperature), ("t_start", self.t_start)] {
            if !(t.is_finite() && t >= 0.0) {
                return Err(IdfError::invalid(
                    key,
                    format!("{t} is not a finite temperature ≥ 0"),
                ));
            }
        }
        if self.record_every == 0 {
            return Err(IdfError::invalid("record_every", "expected at least 1"));
        }
        Ok(())
    }

    /// The temperature of step `i`.
    pub fn temperature_at(&self, i: u64) -> f32 {
        let s = if self.steps > 1 {
            (i as f32 / (self.steps - 1) as f32).min(1.0)
        } else {
            1.0
        };
        self.t_start + (self.temperature - self.t_start) * s
    }
}

/// A particle system running on a backend.
pub struct ParticleSimulation {
    lj: LennardJones,
    domain: ParticleBox,
    params: ParticleParams,
    exec: ParticleExecutor,
    step: u64,
    /// Neighbour-list builds so far.
    rebuilds: u64,
    /// The fraction of each species (weights of the tail corrections).
    fractions: Vec<f64>,
    /// HMC trajectories accepted and proposed, over all chains.
    accepted: f64,
    proposed: f64,
    /// Whether the last force evaluation left the energies and virials unset (a CPU step that
    /// nothing observed); they are computed when read.
    energies_stale: bool,
    /// Each chain's bath temperature as a multiple of the step's temperature.
    temperature_scale: Vec<f32>,
}

impl ParticleSimulation {
    /// Uploads `state` in `domain` to the context's backend, with interactions `lj`, a Verlet
    /// skin of `skin`, and the random stream keyed by `seed`. Errors: a periodic box shorter
    /// than 2 (r_c + skin) on an axis (minimum image would miss pairs), bad values.
    pub fn new(
        ctx: &Context,
        lj: &LennardJones,
        domain: ParticleBox,
        state: &ParticleState,
        skin: f32,
        seed: u32,
    ) -> Result<Self> {
        lj.check()?;
        if !(skin.is_finite() && skin >= 0.0) {
            return Err(IdfError::invalid(
                "skin",
                format!("{skin} is not a finite skin ≥ 0"),
            ));
        }
        let reach = lj.cutoff + skin;
        let mut params = ParticleParams {
            n: state.n as u32,
            chains: state.chains as u32,
            species: lj.species as u32,
            skin,
            cutoff: lj.cutoff,
            seed,
            mass: 1.0,
            ..ParticleParams::default()
        };
        if let ParticleBox::Periodic(l) = domain {
            for (k, &len) in l.iter().enumerate() {
                if !(len.is_finite() && len >= 2.0 * reach) {
                    // The skin is to blame where the cutoff alone would fit.
                    let (name, advice) = if len >= 2.0 * lj.cutoff {
                        ("skin", "a thinner skin")
                    } else {
                        (
                            "cutoff",
                            "more particles, a lower density or a shorter cutoff",
                        )
                    };
                    return Err(IdfError::invalid(
                        name,
                        format!(
                            "the box is {len} long on axis {k}, under 2 (r_c + skin) = {}: use {advice}",
                            2.0 * reach
                        ),
                    ));
                }
                params.cells[k] = ((len / reach).floor() as u32).clamp(1, MAX_CELLS_PER_AXIS);
            }
            params.box_len = l;
            params.flags = PARTICLE_PERIODIC;
        }
        for p in &state.position {
            if p.iter().any(|x| !x.is_finite()) || p[3] as usize >= lj.species {
                return Err(IdfError::invalid(
                    "positions",
                    format!(
                        "{p:?}: coordinates must be finite and the species below {}",
                        lj.species
                    ),
                ));
            }
        }
        let mut position = state.position.clone();
        position.iter_mut().for_each(|x| wrap_position(&params, x));
        params.capacity = initial_capacity(state, domain, reach);
        let mut sim = ParticleSimulation {
            lj: lj.clone(),
            domain,
            exec: ParticleExecutor::new(
                ctx,
                &params,
                position,
                state.velocity.clone(),
                lj.pair_table(),
            )?,
            params,
            step: 0,
            rebuilds: 0,
            fractions: species_fractions(lj.species, state),
            accepted: 0.0,
            proposed: 0.0,
            energies_stale: false,
            temperature_scale: vec![1.0; state.chains],
        };
        sim.rebuild()?;
        sim.exec
            .stages(&sim.params, &[Stage::Forces { energies: true }])?;
        // Coincident particles have no finite energy or force: a start to refuse, not a step
        // size to blame when the first step blows up.
        let energies = sim.potential_energies()?;
        if let Some(c) = energies.iter().position(|e| !e.is_finite()) {
            return Err(IdfError::invalid(
                "positions",
                format!(
                    "chain {c} starts with a potential energy of {}: two particles coincide or                      nearly so; start from positions at least ~0.8σ apart",
                    energies[c]
                ),
            ));
        }
        Ok(sim)
    }

    /// The interactions.
    pub fn lennard_jones(&self) -> &LennardJones {
        &self.lj
    }

    /// The box.
    pub fn domain(&self) -> ParticleBox {
        self.domain
    }

    /// Steps taken: the counter that keys the noise.
    pub fn steps_taken(&self) -> u64 {
        self.step
    }

    /// The fraction of HMC trajectories accepted so far (`None` before any).
    pub fn acceptance(&self) -> Option<f64> {
        (self.proposed > 0.0).then(|| self.accepted / self.proposed)
    }

    /// Neighbour-list builds so far.
    pub fn rebuilds(&self) -> u64 {
        self.rebuilds
    }

    /// The kernels' parameters in force.
    pub fn params(&self) -> &ParticleParams {
        &self.params
    }

    /// The current positions and velocities.
    pub fn state(&self) -> Result<ParticleState> {
        Ok(ParticleState {
            chains: self.params.chains as usize,
            n: self.params.n as usize,
            position: self.exec.position()?,
            velocity: self.exec.velocity()?,
        })
    }

    /// Forces `[fx, fy, fz, u]` of the current positions (`u`: the particle's half of its pair
    /// energies).
    pub fn forces(&mut self) -> Result<Vec<[f32; 4]>> {
        self.refresh_energies()?;
        self.exec.force()
    }

    /// Computes the energies and virials of the current positions if the last force evaluation
    /// skipped them.
    fn refresh_energies(&mut self) -> Result<()> {
        if self.energies_stale {
            self.exec
                .stages(&self.params, &[Stage::Forces { energies: true }])?;
            self.energies_stale = false;
        }
        Ok(())
    }

    /// Replaces the positions (same count and species), keeping velocities; the lists are
    /// rebuilt when a particle moved more than half the skin, and the forces follow.
    pub fn set_positions(&mut self, position: &[[f32; 4]]) -> Result<()> {
        let len = (self.params.chains * self.params.n) as usize;
        if position.len() != len {
            return Err(IdfError::invalid(
                "positions",
                format!("{} positions for {len} particles", position.len()),
            ));
        }
        let mut position = position.to_vec();
        position
            .iter_mut()
            .for_each(|x| wrap_position(&self.params, x));
        self.exec.set_position(&position)?;
        self.refresh_forces(true)
    }

    /// Gives chain `c` the bath temperature `T × scale[c]` for a step at temperature `T` (the
    /// rungs of a replica-exchange ladder); all ones by default. Errors: a count other than the
    /// chains', a scale that is not finite and positive.
    pub fn set_temperature_scale(&mut self, scale: &[f32]) -> Result<()> {
        if scale.len() != self.params.chains as usize {
            return Err(IdfError::invalid(
                "temperatures",
                format!(
                    "{} temperatures for {} chains",
                    scale.len(),
                    self.params.chains
                ),
            ));
        }
        if let Some(t) = scale.iter().find(|t| !(t.is_finite() && **t > 0.0)) {
            return Err(IdfError::invalid(
                "temperatures",
                format!("{t} is not a positive temperature"),
            ));
        }
        self.exec.set_temperature_scale(scale)?;
        self.temperature_scale = scale.to_vec();
        Ok(())
    }

    /// Multiplies chain `c`'s velocities by `factor[c]`. Errors: a count other than the chains'.
    pub fn scale_velocities(&mut self, factor: &[f32]) -> Result<()> {
        if factor.len() != self.params.chains as usize {
            return Err(IdfError::invalid(
                "factor",
                format!("{} factors for {} chains", factor.len(), self.params.chains),
            ));
        }
        let n = self.params.n as usize;
        let mut velocity = self.exec.velocity()?;
        for (c, chunk) in velocity.chunks_mut(n).enumerate() {
            for v in chunk {
                for x in v.iter_mut().take(3) {
                    *x *= factor[c];
                }
            }
        }
        self.exec.set_velocity(&velocity)
    }

    /// Each chain's potential energy U (not per particle; without tail corrections).
    pub fn potential_energies(&mut self) -> Result<Vec<f64>> {
        let n = self.params.n as usize;
        Ok(self
            .forces()?
            .chunks(n)
            .map(|chain| chain.iter().map(|f| f[3] as f64).sum())
            .collect())
    }

    /// Sets every velocity to zero (a quench's start).
    pub fn zero_velocities(&mut self) -> Result<()> {
        let len = (self.params.chains * self.params.n) as usize;
        self.exec.set_velocity(&vec![[0.0; 4]; len])
    }

    /// Rebuilds the cell and neighbour lists (a free-space grid first spans the particles
    /// again), growing the lists' capacity when one overflowed.
    fn rebuild(&mut self) -> Result<()> {
        if !self.params.periodic() {
            self.span_free_grid()?;
            self.exec.resize_lists(&self.params)?;
        }
        loop {
            let longest = self.exec.rebuild(&self.params)?;
            self.rebuilds += 1;
            if longest <= self.params.capacity {
                return Ok(());
            }
            self.params.capacity = longest + longest / 4 + 8;
            self.exec.resize_lists(&self.params)?;
        }
    }

    /// Sets a free-space grid over the particles' bounding box (all chains).
    fn span_free_grid(&mut self) -> Result<()> {
        let reach = self.params.cutoff + self.params.skin;
        let (mut lo, mut hi) = ([f32::INFINITY; 3], [f32::NEG_INFINITY; 3]);
        for p in self.exec.position()? {
            for k in 0..3 {
                lo[k] = lo[k].min(p[k]);
                hi[k] = hi[k].max(p[k]);
            }
        }
        for k in 0..3 {
            let extent = (hi[k] - lo[k]).max(reach) * 1.001;
            self.params.origin[k] = lo[k];
            self.params.box_len[k] = extent;
            self.params.cells[k] = ((extent / reach).floor() as u32).clamp(1, MAX_CELLS_PER_AXIS);
        }
        Ok(())
    }

    /// Rebuilds the lists when a particle has moved more than half the skin since the last
    /// build, then evaluates the forces (with the energies and virials if `energies`).
    fn refresh_forces(&mut self, energies: bool) -> Result<()> {
        let half = 0.5 * self.params.skin;
        let moved = self.exec.max_displacement2(&self.params)?;
        if !moved.is_finite() {
            return Err(IdfError::Diverged {
                step: self.step + 1,
                step_size: self.params.dt,
                suggested: 0.5 * self.params.dt,
                within_bound: false,
            });
        }
        if moved > half * half {
            self.rebuild()?;
        }
        self.exec
            .stages(&self.params, &[Stage::Forces { energies }])?;
        self.energies_stale = !energies && self.exec.skips_energies();
        Ok(())
    }

    /// Advances one step of `integrator` at `temperature`.
    pub fn advance(
        &mut self,
        integrator: ParticleIntegrator,
        dt: f32,
        temperature: f32,
    ) -> Result<()> {
        self.step_with(integrator, dt, temperature, false)
    }

    /// One step; `energies`: whether its force evaluation also computes the energies and
    /// virials (else they are computed when read).
    fn step_with(
        &mut self,
        integrator: ParticleIntegrator,
        dt: f32,
        temperature: f32,
        energies: bool,
    ) -> Result<()> {
        if let ParticleIntegrator::Hmc { leapfrog_steps } = integrator {
            let accepted = self.hmc_step(dt, temperature, leapfrog_steps)?;
            self.accepted += accepted.iter().sum::<f64>();
            self.proposed += accepted.len() as f64;
            return Ok(());
        }
        self.params.dt = dt;
        self.params.temperature = temperature;
        self.params.step = self.step as u32;
        let (before, after): (&[Stage], &[Stage]) = match integrator {
            ParticleIntegrator::VelocityVerlet => {
                (&[Stage::Kick(0.5), Stage::Drift(1.0)], &[Stage::Kick(0.5)])
            }
            ParticleIntegrator::Baoab { gamma } => {
                self.params.gamma = gamma;
                (
                    &[
                        Stage::Kick(0.5),
                        Stage::Drift(0.5),
                        Stage::Thermostat,
                        Stage::Drift(0.5),
                    ],
                    &[Stage::Kick(0.5)],
                )
            }
            ParticleIntegrator::Overdamped { gamma } => {
                self.params.gamma = gamma;
                (&[Stage::Brownian], &[])
            }
            ParticleIntegrator::Hmc { .. } => unreachable!("HMC steps return above"),
        };
        self.exec.stages(&self.params, before)?;
        self.refresh_forces(energies)?;
        self.exec.stages(&self.params, after)?;
        self.step += 1;
        Ok(())
    }

    /// One hybrid Monte Carlo step per chain (Duane, Kennedy, Pendleton & Roweth, Phys. Lett. B
    /// 195, 216 (1987)): fresh Maxwell–Boltzmann momenta at the chain's temperature
    /// (`temperature` times its scale), `leapfrog_steps`
    /// velocity-Verlet steps of `dt`, and a Metropolis test of the change of H = U + K, so the
    /// positions sample exp(−U/T) exactly whatever dt. A rejected chain returns to its start.
    /// Returns each chain's acceptance (1 or 0).
    pub fn hmc_step(&mut self, dt: f32, temperature: f32, leapfrog_steps: u32) -> Result<Vec<f64>> {
        let (chains, n) = (self.params.chains as usize, self.params.n as usize);
        let start = self.exec.position()?;
        // The O stage with infinite friction draws fresh momenta.
        self.params.dt = dt;
        self.params.temperature = temperature;
        self.params.gamma = f32::MAX;
        self.params.step = self.step as u32;
        self.exec.stages(&self.params, &[Stage::Thermostat])?;
        let h0 = self.hamiltonian()?;
        let steps = leapfrog_steps.max(1);
        for k in 0..steps {
            let last = k + 1 == steps;
            self.step_with(ParticleIntegrator::VelocityVerlet, dt, temperature, last)?;
        }
        let h1 = self.hamiltonian()?;
        let mut position = self.exec.position()?;
        let mut accepted = vec![0.0; chains];
        for c in 0..chains {
            let draw = rng_draw(
                c as u32,
                c as u32,
                self.step as u32,
                self.params.seed,
                STREAM_ACCEPT,
            );
            let log_u = unit_open_closed(draw[0]).ln() as f64;
            let t = temperature * self.temperature_scale[c];
            let log_alpha = -(h1[c] - h0[c]) / t.max(f32::MIN_POSITIVE) as f64;
            if log_alpha.is_finite() && log_u < log_alpha {
                accepted[c] = 1.0;
            } else {
                position[c * n..(c + 1) * n].copy_from_slice(&start[c * n..(c + 1) * n]);
            }
        }
        if accepted.contains(&0.0) {
            self.set_positions(&position)?;
        }
        Ok(accepted)
    }

    /// Each chain's H = U + K (sums over its particles).
    fn hamiltonian(&mut self) -> Result<Vec<f64>> {
        let n = self.params.n as usize;
        let mass = self.params.mass as f64;
        let u = self.potential_energies()?;
        let velocity = self.exec.velocity()?;
        Ok(u.into_iter()
            .zip(velocity.chunks(n))
            .map(|(u, chain)| {
                let k: f64 = chain
                    .iter()
                    .map(|v| 0.5 * mass * (v[0] * v[0] + v[1] * v[1] + v[2] * v[2]) as f64)
                    .sum();
                u + k
            })
            .collect())
    }

    /// Runs `run`, recording the state before the first step and every `record_every` steps;
    /// `progress(done, total)` after each record.
    pub fn run(
        &mut self,
        run: &ParticleRun,
        progress: &mut dyn FnMut(u64, u64),
    ) -> Result<MdTrace> {
        run.check()?;
        let mut trace = MdTrace::new(self.params.chains as usize);
        trace.push(self.observe(0, run.temperature_at(0), run.integrator)?);
        for i in 0..run.steps {
            let t = run.temperature_at(i);
            self.advance(run.integrator, run.dt, t)?;
            if (i + 1) % run.record_every == 0 {
                trace.push(self.observe(i + 1, t, run.integrator)?);
                progress(i + 1, run.steps);
            }
        }
        Ok(trace)
    }

    /// The observables of every chain now.
    pub fn observe(
        &mut self,
        step: u64,
        temperature: f32,
        integrator: ParticleIntegrator,
    ) -> Result<MdRecord> {
        self.refresh_energies()?;
        Ok(MdRecord::of(
            step,
            temperature,
            &self.lj,
            self.domain,
            &self.params,
            &self.fractions,
            &self.exec.velocity()?,
            &self.exec.force()?,
            &self.exec.virial()?,
            integrator.degrees_of_freedom(self.params.n as usize),
        ))
    }
}

/// The fraction of each species among the particles (of the first chain; all chains hold the
/// same particles).
fn species_fractions(species: usize, state: &ParticleState) -> Vec<f64> {
    let mut f = vec![0.0; species];
    for p in state.chain_positions(0) {
        f[p[3] as usize] += 1.0 / state.n as f64;
    }
    f
}

/// Neighbour slots per particle to start with: the expected count within r_c + skin at the
/// system's density, with room to spare (a list that overflows is rebuilt larger).
fn initial_capacity(state: &ParticleState, domain: ParticleBox, reach: f32) -> u32 {
    let density = match domain {
        ParticleBox::Periodic(_) => state.n as f64 / domain.volume(),
        // A dense liquid's: clusters are about as dense.
        ParticleBox::Free => 1.2,
    };
    let expected = 4.0 / 3.0 * std::f64::consts::PI * (reach as f64).powi(3) * density;
    ((1.3 * expected) as u32 + 8).min(state.n as u32)
}
