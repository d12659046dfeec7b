//! The molecular job (`idf molecular`): a Lennard-Jones system — a bulk fluid in a periodic box
//! at a number density, a cluster in free space, or the state read from an extended XYZ file —
//! run with velocity Verlet, Langevin BAOAB, overdamped Langevin or HMC (optionally annealed, or
//! with the chains on a replica-exchange ladder, then quenched by FIRE), with estimates of the
//! observables, g(r) and the trajectory as extended XYZ, H5MD and video. `keys` holds the keys
//! a request or a scene file gives.

pub mod keys;

use std::path::PathBuf;
use std::time::Instant;

use serde::Serialize;

use crate::context::Context;
use crate::engine::estimates::{estimate, Estimate};
use crate::engine::particles::system::check_count;
use crate::engine::particles::{
    minimise, radial_distribution, run_replica_exchange, Fire, LennardJones, MdRecord, MdTrace,
    ParticleBox, ParticleIntegrator, ParticleRun, ParticleSimulation, ParticleState,
    ReplicaExchange, Truncation,
};
use crate::error::{IdfError, Result};
use crate::io::frames::ParticleFrame;
use crate::io::h5md::{read_h5md_last, write_h5md};
use crate::io::xyz::{read_xyz, write_xyz};
use crate::jobs::render::encode::Output;
use crate::jobs::render::particles::{render_particles, ParticleLook};
use crate::kernels::particles::ParticleParams;

/// Where the particles start.
#[derive(Clone, Debug, PartialEq)]
pub enum MolecularStart {
    /// A face-centred cubic lattice in a periodic cube at this number density.
    Fluid {
        /// Number density ρ (particles per σ³).
        density: f64,
    },
    /// Random positions in a sphere, in free space (a cluster).
    Cluster,
    /// The last frame of a trajectory file, extended XYZ (`.xyz`) or H5MD (`.h5`, `.h5md`): its
    /// box (or free space), positions, species and velocities.
    File(PathBuf),
}

/// What `idf molecular` runs.
#[derive(Clone, Debug, PartialEq)]
pub struct MolecularSpec {
    /// Particles per system (ignored when starting from a file).
    pub particles: usize,
    /// Independent systems run side by side.
    pub chains: usize,
    /// The start.
    pub start: MolecularStart,
    /// The integrator: `verlet`, `baoab`, `overdamped` or `hmc` (a step is then a trajectory).
    pub integrator: String,
    /// Langevin friction γ.
    pub gamma: f32,
    /// Leapfrog steps per HMC trajectory.
    pub leapfrog_steps: u32,
    /// Time step.
    pub dt: f32,
    /// Target temperature (and the initial velocities').
    pub temperature: f32,
    /// Annealing start temperature (`None`: constant).
    pub t_start: Option<f32>,
    /// Replica exchange: the hottest rung of a geometric ladder from `temperature`, one rung per
    /// chain (`None`: no exchange).
    pub t_max: Option<f32>,
    /// Steps between replica-exchange swap attempts.
    pub exchange_every: u64,
    /// Steps.
    pub steps: u64,
    /// Steps between records and trajectory frames.
    pub record_every: u64,
    /// Records at the start left out of the estimates.
    pub burn_in_records: usize,
    /// The fraction of each species (species 0, 1, …); default one species.
    pub species_fractions: Vec<f64>,
    /// `(a, b, ε, σ)` of species pairs; a pair left out takes Lorentz–Berthelot mixing of the
    /// species' own (ε = σ = 1 when those are left out too).
    pub pairs: Vec<(usize, usize, f32, f32)>,
    /// Cutoff r_c.
    pub cutoff: f32,
    /// How the potential ends at r_c.
    pub truncation: Truncation,
    /// Verlet skin.
    pub skin: f32,
    /// Seed.
    pub seed: u32,
    /// Quench each chain with FIRE at the end.
    pub minimise: bool,
    /// The trajectory as extended XYZ (chain 0's frames; the coldest rung's under replica
    /// exchange).
    pub xyz: Option<PathBuf>,
    /// The trajectory as H5MD (the same frames).
    pub h5md: Option<PathBuf>,
    /// The trajectory drawn to video (`.mp4`, `.gif`, or PNG frames) as `idf render` draws
    /// trajectories.
    pub video: Option<Output>,
    /// How the video looks.
    pub look: ParticleLook,
}

impl Default for MolecularSpec {
    /// The LAMMPS `bench/in.lj` state: 4000 particles at ρ = 0.8442, T = 0.72 (here thermostatted
    /// by BAOAB), r_c = 2.5 cut, skin 0.3, dt = 0.005, 1000 steps.
    fn default() -> Self {
        MolecularSpec {
            particles: 4000,
            chains: 1,
            start: MolecularStart::Fluid { density: 0.8442 },
            integrator: "baoab".into(),
            gamma: 1.0,
            leapfrog_steps: 10,
            dt: 0.005,
            temperature: 0.72,
            t_start: None,
            t_max: None,
            exchange_every: 100,
            steps: 1000,
            record_every: 10,
            burn_in_records: 0,
            species_fractions: vec![1.0],
            pairs: Vec::new(),
            cutoff: 2.5,
            truncation: Truncation::Plain,
            skin: 0.3,
            seed: 0,
            minimise: false,
            xyz: None,
            h5md: None,
            video: None,
            look: ParticleLook::default(),
        }
    }
}

/// How a replica-exchange run's ladder fared.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct ReplicaExchangeReport {
    /// The rungs' temperatures, coldest first.
    pub ladder: Vec<f32>,
    /// Swap acceptance of each neighbouring pair of rungs.
    pub acceptance: Vec<f64>,
    /// Round trips between the hottest and the coldest rung, over all chains.
    pub round_trips: u32,
}

/// What a molecular run reports.
#[derive(Clone, Debug, Serialize)]
pub struct MolecularReport {
    /// Particles per system.
    pub particles: usize,
    /// Systems.
    pub chains: usize,
    /// The box edges (`None` in free space).
    pub box_len: Option<[f32; 3]>,
    /// Steps run.
    pub steps: u64,
    /// Potential energy per particle (of the coldest rung under replica exchange, as every
    /// estimate).
    pub potential: Estimate,
    /// Kinetic energy per particle.
    pub kinetic: Estimate,
    /// Total energy per particle.
    pub total: Estimate,
    /// Kinetic temperature.
    pub temperature: Estimate,
    /// Pressure (periodic boxes).
    pub pressure: Option<Estimate>,
    /// g(r) of the final state: shell centres and values (periodic boxes), averaged over the
    /// systems (the coldest rung's alone under replica exchange).
    pub rdf: Option<(Vec<f64>, Vec<f64>)>,
    /// System 0's final positions `[x, y, z, species]` (the coldest rung's under replica
    /// exchange).
    pub positions: Vec<[f32; 4]>,
    /// After a FIRE quench: each chain's potential energy (not per particle) and the lowest.
    pub minimised: Option<Vec<f64>>,
    /// Neighbour-list builds.
    pub rebuilds: u64,
    /// The fraction of HMC trajectories accepted (HMC only).
    pub acceptance: Option<f64>,
    /// The ladder (replica exchange only).
    pub replica_exchange: Option<ReplicaExchangeReport>,
    /// Wall time in milliseconds (set-up, steps, records, quench and g(r)).
    pub wall_ms: f64,
    /// Milliseconds of the steps alone, records included (what LAMMPS reports as its loop time).
    pub loop_ms: f64,
    /// Particle steps per second of the loop (particles × chains × steps / loop time).
    pub particle_steps_per_second: f64,
    /// The trace.
    pub trace: MdTrace,
    /// Where the extended XYZ trajectory went.
    pub xyz: Option<PathBuf>,
    /// Where the H5MD trajectory went.
    pub h5md: Option<PathBuf>,
    /// Where the video went.
    pub video: Option<PathBuf>,
    /// The backend.
    pub backend: String,
}

/// Runs `spec` on `ctx`; `progress(done, total)` steps.
pub fn run_molecular(
    ctx: &Context,
    spec: &MolecularSpec,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<MolecularReport> {
    let integrator = ParticleIntegrator::parse(&spec.integrator, spec.gamma, spec.leapfrog_steps)?;
    if let Some(path) = &spec.xyz {
        let what = "an extended XYZ trajectory is written as text";
        crate::io::check_extension(path, "xyz", what, &["xyz", "extxyz"])?;
    }
    if let Some(path) = &spec.h5md {
        let what = "an H5MD trajectory is written as HDF5";
        crate::io::check_extension(path, "h5md", what, &["h5", "h5md", "hdf5"])?;
    }
    if let Some(Output::File(path)) = &spec.video {
        let what = "a video is encoded as MP4 or GIF";
        crate::io::check_extension(path, "video", what, &["mp4", "gif"])?;
    }
    let (mut state, domain) = match &spec.start {
        MolecularStart::Fluid { density } => ParticleState::fcc(
            spec.chains,
            spec.particles,
            *density,
            spec.temperature as f64,
            spec.seed,
        )?,
        MolecularStart::Cluster => (
            ParticleState::random_cluster(spec.chains, spec.particles, 0.5, spec.seed)?,
            ParticleBox::Free,
        ),
        MolecularStart::File(path) => state_from_file(path, spec)?,
    };
    if !matches!(spec.start, MolecularStart::File(_)) && spec.species_fractions.len() > 1 {
        state.assign_species(&spec.species_fractions, spec.seed)?;
    }
    let in_state = state
        .position
        .iter()
        .map(|p| p[3] as usize + 1)
        .max()
        .unwrap_or(1);
    let named = spec
        .pairs
        .iter()
        .map(|&(a, b, _, _)| a.max(b) + 1)
        .max()
        .unwrap_or(1);
    let species = in_state.max(named).max(spec.species_fractions.len());
    let lj = LennardJones::mixture(species, &spec.pairs, spec.cutoff, spec.truncation)?;
    let run = ParticleRun {
        integrator,
        dt: spec.dt,
        temperature: spec.temperature,
        t_start: spec.t_start.unwrap_or(spec.temperature),
        steps: spec.steps,
        record_every: spec.record_every,
    };
    run.check()?;
    let ladder = match spec.t_max {
        Some(_) if spec.t_start.is_some() => {
            return Err(IdfError::invalid(
                "t_max",
                "replica exchange (t_max) and annealing (t_start) exclude each other: give one",
            ))
        }
        Some(t_max) => Some(ReplicaExchange::geometric(
            spec.temperature,
            t_max,
            spec.chains,
            spec.exchange_every,
        )?),
        None => None,
    };
    spec.look.check()?;
    let started = Instant::now();
    let mut sim = ParticleSimulation::new(ctx, &lj, domain, &state, spec.skin, spec.seed)?;
    let mut frames = Vec::new();
    let record_frames = spec.xyz.is_some() || spec.h5md.is_some() || spec.video.is_some();
    // Frames show one system: chain 0, or the chain on the coldest rung.
    let mut on_record = |sim: &mut ParticleSimulation, step: u64, chain: usize| -> Result<()> {
        if record_frames {
            frames.push(frame_of(sim, step, chain)?);
        }
        if step > 0 {
            progress(step, spec.steps);
        }
        Ok(())
    };
    let looping = Instant::now();
    let (trace, replica_exchange, shown) = match &ladder {
        Some(rex) => {
            let (trace, state) = run_replica_exchange(
                &mut sim,
                rex,
                integrator,
                spec.dt,
                spec.steps,
                spec.record_every,
                &mut on_record,
            )?;
            let report = ReplicaExchangeReport {
                ladder: state.ladder(),
                acceptance: state.acceptance(),
                round_trips: state.round_trips.iter().sum(),
            };
            (trace, Some(report), state.chain_at_rank[0])
        }
        None => (plain_run(&mut sim, &run, &mut on_record)?, None, 0),
    };
    let loop_ms = looping.elapsed().as_secs_f64() * 1e3;
    let minimised = if spec.minimise {
        minimise(&mut sim, &Fire::default())?;
        let record = sim.observe(run.steps, spec.temperature, integrator)?;
        Some(
            record
                .potential
                .iter()
                .map(|u| u * state.n as f64)
                .collect(),
        )
    } else {
        None
    };
    if spec.minimise && record_frames {
        frames.push(frame_of(&mut sim, run.steps, shown)?);
    }
    if let Some(path) = &spec.xyz {
        write_xyz(path, &frames)?;
    }
    if let Some(path) = &spec.h5md {
        write_h5md(path, &frames, spec.dt as f64)?;
    }
    if let Some(output) = &spec.video {
        render_particles(&frames, output, &spec.look, &mut |_, _| {})?;
    }
    let wall_ms = started.elapsed().as_secs_f64() * 1e3;
    let from = spec
        .burn_in_records
        .min(trace.records.len().saturating_sub(1));
    // Under replica exchange the trace is by rung: the estimates are the coldest rung's.
    let rungs = if ladder.is_some() { 1 } else { spec.chains };
    let estimate_of = |value: fn(&MdRecord) -> &Vec<f64>| {
        let mut series = trace.series(from, value);
        series.truncate(rungs);
        estimate(&series)
    };
    let periodic = matches!(domain, ParticleBox::Periodic(_));
    // g(r) and the positions are of the system shown: chain 0, or the coldest rung's chain.
    let final_state = sim.state()?;
    let shown_positions = final_state.chain_positions(shown).to_vec();
    let one_system = ParticleParams {
        chains: 1,
        ..*sim.params()
    };
    let rdf = match (periodic, &ladder) {
        (false, _) => None,
        (true, Some(_)) => Some(radial_distribution(&one_system, &shown_positions, 5.0, 100)),
        (true, None) => Some(radial_distribution(
            sim.params(),
            &final_state.position,
            5.0,
            100,
        )),
    };
    Ok(MolecularReport {
        particles: state.n,
        chains: state.chains,
        box_len: match domain {
            ParticleBox::Periodic(l) => Some(l),
            ParticleBox::Free => None,
        },
        steps: spec.steps,
        potential: estimate_of(|r| &r.potential),
        kinetic: estimate_of(|r| &r.kinetic),
        total: estimate_of(|r| &r.total),
        temperature: estimate_of(|r| &r.temperature),
        pressure: periodic.then(|| estimate_of(|r| &r.pressure)),
        rdf,
        positions: shown_positions,
        minimised,
        rebuilds: sim.rebuilds(),
        acceptance: sim.acceptance(),
        replica_exchange,
        wall_ms,
        loop_ms,
        particle_steps_per_second: (state.n * state.chains) as f64 * spec.steps as f64
            / (loop_ms / 1e3).max(1e-9),
        trace,
        xyz: spec.xyz.clone(),
        h5md: spec.h5md.clone(),
        video: spec.video.as_ref().map(|o| o.path().to_path_buf()),
        backend: ctx.describe(),
    })
}

/// Runs `run` without exchanges, recording the start, every `record_every` steps and the last
/// step, and calling `on_record` with chain 0 at each.
fn plain_run(
    sim: &mut ParticleSimulation,
    run: &ParticleRun,
    on_record: &mut dyn FnMut(&mut ParticleSimulation, u64, usize) -> Result<()>,
) -> Result<MdTrace> {
    let mut trace = MdTrace::new(sim.params().chains as usize);
    trace.push(sim.observe(0, run.temperature_at(0), run.integrator)?);
    on_record(sim, 0, 0)?;
    for i in 0..run.steps {
        let t = run.temperature_at(i);
        sim.advance(run.integrator, run.dt, t)?;
        if (i + 1) % run.record_every == 0 || i + 1 == run.steps {
            trace.push(sim.observe(i + 1, t, run.integrator)?);
            on_record(sim, i + 1, 0)?;
        }
    }
    Ok(trace)
}

/// System `chain`'s frame now: its positions, velocities and energies per particle (twice its
/// half of the pair energies).
fn frame_of(sim: &mut ParticleSimulation, step: u64, chain: usize) -> Result<ParticleFrame> {
    let s = sim.state()?;
    let force = sim.forces()?;
    let range = chain * s.n..(chain + 1) * s.n;
    Ok(ParticleFrame {
        lattice: match sim.domain() {
            ParticleBox::Periodic(l) => Some(l),
            ParticleBox::Free => None,
        },
        position: s.position[range.clone()].to_vec(),
        velocity: Some(s.velocity[range.clone()].to_vec()),
        energies: Some(force[range.clone()].iter().map(|f| 2.0 * f[3]).collect()),
        step,
        energy: Some(force[range].iter().map(|f| f[3] as f64).sum()),
    })
}

/// The last frame of a trajectory file (extended XYZ, or H5MD by its `.h5`/`.h5md` extension)
/// as every chain's start, with velocities drawn at the spec's temperature when it has none.
fn state_from_file(
    path: &std::path::Path,
    spec: &MolecularSpec,
) -> Result<(ParticleState, ParticleBox)> {
    let last = match path.extension().and_then(|e| e.to_str()) {
        Some("h5" | "h5md" | "hdf5") => read_h5md_last(path)?,
        _ => read_xyz(path)?
            .pop()
            .expect("read_xyz returns at least one frame"),
    };
    let n = last.position.len();
    if n < 2 {
        return Err(IdfError::Config {
            path: path.to_path_buf(),
            message: format!("{n} particles: a system needs at least 2"),
        });
    }
    let chains = spec.chains;
    check_count(chains, n)?;
    let mut state = ParticleState {
        chains,
        n,
        position: (0..chains)
            .flat_map(|_| last.position.iter().copied())
            .collect(),
        velocity: vec![[0.0; 4]; chains * n],
    };
    match &last.velocity {
        Some(v) => state.velocity = (0..chains).flat_map(|_| v.iter().copied()).collect(),
        None => state.thermalize(spec.temperature as f64, spec.seed)?,
    }
    let domain = match last.lattice {
        Some(l) => ParticleBox::Periodic(l),
        None => ParticleBox::Free,
    };
    Ok((state, domain))
}
