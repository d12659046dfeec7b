//! `idf molecular`: Lennard-Jones particles (a bulk fluid, a cluster, or a state read from
//! extended XYZ or H5MD) run with velocity Verlet, Langevin BAOAB, overdamped Langevin or HMC,
//! annealed or on a replica-exchange ladder; estimates with standard errors, g(r), the
//! trajectory as extended XYZ, H5MD or video, and the report as JSON.

use std::path::PathBuf;

use anyhow::Result;
use clap::Args;
use serde_json::json;

use idf::engine::particles::Truncation;
use idf::jobs::molecular::{run_molecular, MolecularSpec, MolecularStart};
use idf::jobs::render::encode::Output;
use idf::jobs::render::particles::ParticleLook;

/// The flags of `idf molecular`.
#[derive(Args)]
pub struct MolecularArgs {
    /// Particles per system.
    #[arg(long, default_value_t = 4000)]
    particles: usize,
    /// Number density ρ of a bulk fluid in a periodic cube (σ⁻³).
    #[arg(long, default_value_t = 0.8442, conflicts_with_all = ["cluster", "start"])]
    density: f64,
    /// A cluster in free space instead of a periodic fluid.
    #[arg(long)]
    cluster: bool,
    /// Start from the last frame of this trajectory: extended XYZ (.xyz) or H5MD (.h5, .h5md).
    #[arg(long)]
    start: Option<PathBuf>,
    /// Independent systems run side by side.
    #[arg(long, default_value_t = 1)]
    chains: usize,
    /// verlet (NVE), baoab (Langevin NVT), overdamped, or hmc (exact NVT; a step is a trajectory).
    #[arg(long, default_value = "baoab")]
    integrator: String,
    /// Leapfrog steps per HMC trajectory.
    #[arg(long, default_value_t = 10)]
    leapfrog_steps: u32,
    /// Langevin friction γ.
    #[arg(long, default_value_t = 1.0)]
    gamma: f32,
    /// Time step (reduced units).
    #[arg(long, default_value_t = 0.005)]
    dt: f32,
    /// Temperature (k_B T / ε).
    #[arg(long, default_value_t = 0.72)]
    temperature: f32,
    /// Anneal linearly from this temperature to --temperature.
    #[arg(long, conflicts_with = "t_max")]
    t_start: Option<f32>,
    /// Replica exchange: the chains are the rungs of a geometric ladder from --temperature up to
    /// this temperature, neighbours swapping every --exchange-every steps.
    #[arg(long)]
    t_max: Option<f32>,
    /// Steps between replica-exchange swap attempts.
    #[arg(long, default_value_t = 100)]
    exchange_every: u64,
    /// Steps.
    #[arg(long, default_value_t = 1000)]
    steps: u64,
    /// Steps between records and trajectory frames.
    #[arg(long, default_value_t = 10)]
    record_every: u64,
    /// Records left out of the estimates (equilibration).
    #[arg(long, default_value_t = 0)]
    burn_in_records: usize,
    /// Fractions of species 0, 1, … (e.g. 0.8,0.2 for the Kob–Andersen mixture).
    #[arg(long, value_delimiter = ',', default_value = "1")]
    species_fractions: Vec<f64>,
    /// A species pair's ε and σ, as A-B=EPSILON,SIGMA (repeatable; others mix by Lorentz–Berthelot).
    #[arg(long = "pair", value_parser = parse_pair)]
    pairs: Vec<(usize, usize, f32, f32)>,
    /// Cutoff r_c (σ).
    #[arg(long, default_value_t = 2.5)]
    cutoff: f32,
    /// plain (cut), shifted, or tail (cut with long-range corrections).
    #[arg(long, default_value = "plain")]
    truncation: String,
    /// Verlet skin (σ).
    #[arg(long, default_value_t = 0.3)]
    skin: f32,
    /// Seed.
    #[arg(long, default_value_t = 0)]
    seed: u32,
    /// Quench every system with FIRE at the end (cluster structures).
    #[arg(long)]
    minimise: bool,
    /// Write the trajectory (system 0) as extended XYZ.
    #[arg(long)]
    xyz: Option<PathBuf>,
    /// Write the trajectory (system 0) as H5MD.
    #[arg(long)]
    h5md: Option<PathBuf>,
    /// Draw the trajectory (system 0) to video: .mp4 or .gif.
    #[arg(long)]
    video: Option<PathBuf>,
    /// Write the report as JSON.
    #[arg(long)]
    out: Option<PathBuf>,
    /// auto, gpu or cpu (default: IDF_BACKEND, else auto).
    #[arg(long)]
    backend: Option<String>,
}

/// Runs `idf molecular`.
pub fn run(args: MolecularArgs) -> Result<()> {
    if let Some(path) = &args.out {
        let what = "the report is written as JSON";
        idf::io::check_extension(path, "out", what, &["json"])?;
    }
    let start = match (&args.start, args.cluster) {
        (Some(path), _) => MolecularStart::File(path.clone()),
        (None, true) => MolecularStart::Cluster,
        (None, false) => MolecularStart::Fluid {
            density: args.density,
        },
    };
    let spec = MolecularSpec {
        particles: args.particles,
        chains: args.chains,
        start,
        integrator: args.integrator.clone(),
        gamma: args.gamma,
        leapfrog_steps: args.leapfrog_steps,
        dt: args.dt,
        temperature: args.temperature,
        t_start: args.t_start,
        t_max: args.t_max,
        exchange_every: args.exchange_every,
        steps: args.steps,
        record_every: args.record_every,
        burn_in_records: args.burn_in_records,
        species_fractions: args.species_fractions.clone(),
        pairs: args.pairs.clone(),
        cutoff: args.cutoff,
        truncation: args.truncation.parse::<Truncation>()?,
        skin: args.skin,
        seed: args.seed,
        minimise: args.minimise,
        xyz: args.xyz.clone(),
        h5md: args.h5md.clone(),
        video: args.video.clone().map(Output::File),
        look: ParticleLook::default(),
    };
    let ctx = super::context(args.backend.as_deref())?;
    let bar = super::progress::bar(args.steps, "steps", "molecular dynamics");
    let report = run_molecular(&ctx, &spec, &mut |done, _| bar.set_position(done));
    bar.finish_and_clear();
    let report = report?;
    let show = |name: &str, e: &idf::engine::estimates::Estimate| {
        println!(
            "  {name:<12} {:>12.5} ± {:.5}",
            e.mean,
            e.stderr.unwrap_or(f64::NAN)
        );
    };
    println!(
        "{} particles × {} systems, {} steps on {} in {:.2} s ({:.2} s of steps, {:.3e} particle-steps/s, {} list builds)",
        report.particles,
        report.chains,
        report.steps,
        report.backend,
        report.wall_ms / 1e3,
        report.loop_ms / 1e3,
        report.particle_steps_per_second,
        report.rebuilds
    );
    if let Some(a) = report.acceptance {
        println!("  acceptance   {a:.4}");
    }
    if let Some(rex) = &report.replica_exchange {
        let show = |v: &[f64]| {
            v.iter()
                .map(|x| format!("{x:.3}"))
                .collect::<Vec<_>>()
                .join(" ")
        };
        let ladder: Vec<f64> = rex.ladder.iter().map(|&t| t as f64).collect();
        println!("  ladder       {}", show(&ladder));
        println!(
            "  swaps        {} (per neighbouring pair)",
            show(&rex.acceptance)
        );
        println!("  round trips  {}", rex.round_trips);
        println!("  estimates of the coldest rung (T = {:.3}):", ladder[0]);
    }
    show("U/N", &report.potential);
    show("K/N", &report.kinetic);
    show("E/N", &report.total);
    show("T", &report.temperature);
    if let Some(p) = &report.pressure {
        show("P", p);
    }
    if let Some(m) = &report.minimised {
        let best = m.iter().copied().fold(f64::INFINITY, f64::min);
        println!("  minimised    {best:.6} (lowest of {} systems)", m.len());
    }
    for path in report.xyz.iter().chain(&report.h5md).chain(&report.video) {
        println!("  trajectory   {}", path.display());
    }
    if let Some(path) = &args.out {
        let mut value = serde_json::to_value(&report)?;
        value["command"] = json!(std::env::args().collect::<Vec<_>>().join(" "));
        idf::io::write_atomic(path, serde_json::to_string_pretty(&value)?.as_bytes())?;
        println!("  report       {}", path.display());
    }
    Ok(())
}

/// `A-B=EPSILON,SIGMA` of `--pair`.
fn parse_pair(text: &str) -> Result<(usize, usize, f32, f32)> {
    let bad =
        || anyhow::anyhow!("--pair: expected A-B=EPSILON,SIGMA (e.g. 0-1=1.5,0.8), got `{text}`");
    let (species, params) = text.split_once('=').ok_or_else(bad)?;
    let (a, b) = species.split_once('-').ok_or_else(bad)?;
    let (eps, sigma) = params.split_once(',').ok_or_else(bad)?;
    Ok((
        a.trim().parse().map_err(|_| bad())?,
        b.trim().parse().map_err(|_| bad())?,
        eps.trim().parse().map_err(|_| bad())?,
        sigma.trim().parse().map_err(|_| bad())?,
    ))
}
