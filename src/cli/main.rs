//! The `idf` command line: one module per subcommand, each a thin layer over a library job.
//! Subcommands that run a scene (`sample`, `render`) turn their flags into overrides of the
//! scene's keys, so that a scene file, the flags and the HTTP API mean the same thing.

mod baseline;
mod dataset;
#[cfg(feature = "neural")]
mod denoiser;
mod deploy;
mod info;
mod init;
mod molecular;
mod optimize;
mod placement;
mod plasma;
mod progress;
mod render;
mod sample;
#[cfg(feature = "server")]
mod serve;
mod train;
mod validate;

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use idf::{BackendChoice, Context, IdfError};

#[derive(Parser)]
#[command(
    name = "idf",
    version,
    about = "IDF: energy-based diffusion and thermodynamic sampling on any GPU"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Show the version, the compiled backends and the adapters found.
    Info(info::InfoArgs),
    /// Sample a scene (a model and a run) and report estimates with standard errors.
    Sample(Box<sample::SampleArgs>),
    /// Render scenes to videos (.mp4, .gif) or PNG frames, with an energy/entropy overlay.
    Render(render::RenderArgs),
    /// Find the lowest-energy configuration: tempering, annealing, population annealing or a baseline.
    Optimize(Box<optimize::OptimizeArgs>),
    /// Serve the HTTP API (/diffuse, /optimize, /predict, /healthz, /metrics, /openapi.yaml).
    #[cfg(feature = "server")]
    Serve(serve::ServeArgs),
    /// Render the Helm chart's values (deploy/helm/idf) from the EIL section of idf.yaml.
    Deploy(deploy::DeployArgs),
    /// Run the energy-law validation suite and write its ELF report as JSON.
    Validate(validate::ValidateArgs),
    /// Write the physics baseline (HDF5), or check a fresh run against one.
    Baseline(baseline::BaselineArgs),
    /// Write a commented idf.yaml and a starter scene into DIR.
    Init(init::InitArgs),
    /// Energy Atlas datasets: sample one over a grid of conditions, merge shards, inspect.
    #[command(subcommand)]
    Dataset(dataset::DatasetCommand),
    /// Fit an energy's parameters to a dataset by maximum likelihood, with standard errors;
    /// or learn a conditional denoising network from it (--denoiser).
    Train(Box<train::TrainArgs>),
    /// Lennard-Jones particles: a fluid, a cluster or an .xyz state, by Verlet, BAOAB or overdamped Langevin.
    Molecular(Box<molecular::MolecularArgs>),
    /// Hasegawa–Wakatani drift-wave turbulence, and linear stability maps, on a periodic grid.
    Plasma(Box<plasma::PlasmaArgs>),
}

fn main() -> ExitCode {
    quiet_headless_vulkan();
    restore_sigpipe();
    // Fusion plans timed by one command serve the next ones (~/.cache/idf or IDF_CACHE_DIR).
    idf::engine::fusion_plan::keep_plans_in(idf::engine::fusion_plan::default_plan_file());
    let result = match Cli::parse().command {
        Command::Info(args) => info::run(args),
        Command::Sample(args) => sample::run(*args),
        Command::Render(args) => render::run(args),
        Command::Optimize(args) => optimize::run(*args),
        #[cfg(feature = "server")]
        Command::Serve(args) => serve::run(args),
        Command::Deploy(args) => deploy::run(args),
        Command::Validate(args) => validate::run(args),
        Command::Baseline(args) => baseline::run(args),
        Command::Init(args) => init::run(args),
        Command::Dataset(command) => dataset::run(command),
        Command::Train(args) => train::run(*args),
        Command::Molecular(args) => molecular::run(*args),
        Command::Plasma(args) => plasma::run(*args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // IdfError messages already carry their cause; the alternate form would repeat it.
            eprintln!("idf: error: {e}");
            if let Some(flag) = flag_of(&e) {
                eprintln!("  (on the command line: --{flag})");
            }
            ExitCode::FAILURE
        }
    }
}

/// The command-line flag of the scene key an error names (`step_size` is `--step-size`); none
/// for an environment variable (`IDF_FUSED_STEPS`).
fn flag_of(e: &anyhow::Error) -> Option<String> {
    match e.downcast_ref::<IdfError>()? {
        IdfError::InvalidParam { name, .. } if name.contains('_') && !name.starts_with("IDF_") => {
            Some(name.replace('_', "-"))
        }
        _ => None,
    }
}

/// Without a display, Mesa's implicit device-select Vulkan layer prints a Wayland connection
/// error on every run; it only orders adapters for windowed apps, so headless runs turn it off.
fn quiet_headless_vulkan() {
    let headless =
        std::env::var_os("DISPLAY").is_none() && std::env::var_os("WAYLAND_DISPLAY").is_none();
    if headless && std::env::var_os("NODEVICE_SELECT").is_none() {
        // Called first thing in main, before any thread exists.
        std::env::set_var("NODEVICE_SELECT", "1");
    }
}

/// Rust ignores SIGPIPE, so printing into a closed pipe (`idf info | head -1`) panics; a
/// command-line tool should end quietly there instead, as the default action does.
fn restore_sigpipe() {
    #[cfg(unix)]
    // SAFETY: called first thing in main, before any thread exists; it only resets the
    // disposition of one signal to the system's default.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

/// The context of `--backend auto|gpu|cpu`, or of `IDF_BACKEND` when the flag is absent.
fn context(backend: Option<&str>) -> anyhow::Result<Context> {
    Ok(match backend {
        Some(b) => Context::with_backend(b.parse::<BackendChoice>()?)?,
        None => Context::new()?,
    })
}

/// `KEY=VALUE` of `--param`.
fn parse_param(text: &str) -> anyhow::Result<(String, String)> {
    match text.split_once('=') {
        Some((k, v)) if !k.trim().is_empty() => Ok((k.trim().to_string(), v.trim().to_string())),
        _ => anyhow::bail!("--param: expected KEY=VALUE, got `{text}`"),
    }
}

/// The registered models built by name, for `--model`'s help.
fn models_help() -> String {
    format!(
        "Model: {}, or FILE.wgsl, a user's energy (GPU only) (default phi4)",
        idf::EnergyModel::names()
    )
}
