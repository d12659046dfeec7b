//! The `idf` command line: a thin layer over the library.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context as _, Result};
use clap::{Args, Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::json;

use idf::jobs::config::{Config, TEMPLATE};
use idf::jobs::sample::{sample, SampleReport, SampleSpec};
use idf::{BackendChoice, Context, Scene};

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
    Info {
        /// Print one JSON object.
        #[arg(long)]
        json: bool,
    },
    /// Sample a model and report estimates with standard errors.
    Sample(Box<SampleArgs>),
    /// Render scenes to videos (.mp4, .gif) or PNG frames, with an energy/entropy overlay.
    Render(RenderArgs),
    /// Find the lowest-energy configuration: tempering, annealing, population annealing or a baseline.
    Optimize(Box<OptimizeArgs>),
    /// Serve the HTTP API (/diffuse, /optimize, /predict, /healthz, /metrics, /openapi.yaml).
    #[cfg(feature = "server")]
    Serve {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:8080")]
        addr: String,
        /// Configuration file.
        #[arg(long)]
        config: Option<PathBuf>,
        /// auto, gpu or cpu (default: IDF_BACKEND, else auto).
        #[arg(long)]
        backend: Option<String>,
        /// Print the OpenAPI document and exit.
        #[arg(long)]
        openapi: bool,
        /// Kafka brokers (host:port, comma-separated) to publish request events to (default:
        /// IDF_KAFKA_BROKERS; none: no events).
        #[cfg(feature = "kafka")]
        #[arg(long)]
        kafka: Option<String>,
    },
    /// Render the Helm chart's values (deploy/helm/idf) from the EIL section of idf.yaml.
    Deploy {
        /// Configuration file.
        #[arg(long)]
        config: Option<PathBuf>,
        /// Folder to write values.yaml into.
        #[arg(long, default_value = "deploy/rendered")]
        out: PathBuf,
    },
    /// Run the energy-law validation suite and write its ELF report as JSON.
    Validate(ValidateArgs),
    /// Write the physics baseline (HDF5), or check a fresh run against one.
    Baseline {
        /// Write the baseline here (run on the CPU backend for a reproducible reference).
        #[arg(long, conflicts_with = "check")]
        out: Option<PathBuf>,
        /// Compare a fresh run with this baseline; exits non-zero on a regression.
        #[arg(long)]
        check: Option<PathBuf>,
        /// auto, gpu or cpu (default: IDF_BACKEND, else auto).
        #[arg(long)]
        backend: Option<String>,
    },
    /// Write a commented idf.yaml and a starter scene into DIR.
    Init {
        /// Target directory (created if missing).
        #[arg(default_value = ".")]
        dir: PathBuf,
        /// Overwrite existing files.
        #[arg(long)]
        force: bool,
    },
}

#[derive(Args)]
struct SampleArgs {
    /// Scene file; its keys are defaults that the flags below override (default: the embedded scene).
    #[arg(long)]
    scene: Option<PathBuf>,
    /// Configuration file (defaults: Diffusion.timesteps, noiseSchedule, batchSize).
    #[arg(long)]
    config: Option<PathBuf>,
    /// Model: phi4, ising or gmm.
    #[arg(long)]
    model: Option<String>,
    /// Model parameter KEY=VALUE (repeatable), e.g. kappa=0.5, or for gmm means=-2,0;2,1.
    #[arg(long = "param", value_name = "KEY=VALUE")]
    params: Vec<String>,
    /// Square lattice N×N.
    #[arg(long, conflicts_with = "shape")]
    size: Option<usize>,
    /// Lattice HxW, e.g. 64x128.
    #[arg(long)]
    shape: Option<String>,
    /// Independent chains.
    #[arg(long)]
    chains: Option<usize>,
    /// langevin, mala, metropolis, hmc, ddpm, ddim or anneal.
    #[arg(long)]
    integrator: Option<String>,
    /// Leapfrog steps per HMC trajectory.
    #[arg(long, default_value_t = 10)]
    leapfrog_steps: u32,
    /// Steps after burn-in (ddpm: timesteps; ddim: its steps).
    #[arg(long)]
    steps: Option<u64>,
    /// Steps before recording starts.
    #[arg(long)]
    burn_in: Option<u64>,
    /// Record observables every K steps.
    #[arg(long)]
    record_every: Option<u64>,
    /// Step size η (Metropolis on continuous fields: proposal width).
    #[arg(long, allow_negative_numbers = true)]
    step_size: Option<f32>,
    /// Target temperature T.
    #[arg(long, allow_negative_numbers = true)]
    temperature: Option<f32>,
    /// constant, linear, geometric or cosine (from --t-start down to --temperature).
    #[arg(long)]
    schedule: Option<String>,
    /// Starting (hot) temperature of non-constant schedules (default 10·T).
    #[arg(long, allow_negative_numbers = true)]
    t_start: Option<f32>,
    /// Seed.
    #[arg(long)]
    seed: Option<u32>,
    /// auto, gpu or cpu (default: IDF_BACKEND, else auto).
    #[arg(long)]
    backend: Option<String>,
    /// Write the final samples, [chains, channels, height, width], as .npy or .h5.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Write the recorded observables (the trace) as .h5.
    #[arg(long)]
    trace: Option<PathBuf>,
    /// Print one JSON object instead of the summary.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
struct RenderArgs {
    /// Scene files, rendered one after another (default: the embedded default scene).
    scenes: Vec<PathBuf>,
    /// Output file, .mp4 (H.264) or .gif (one scene; default visuals/SCENE.mp4).
    #[arg(long, conflicts_with = "out_dir")]
    out: Option<PathBuf>,
    /// Write PNG frames into this folder instead (a subfolder per scene when there are several).
    #[arg(long)]
    out_dir: Option<PathBuf>,
    /// Frames (overrides the scene).
    #[arg(long)]
    frames: Option<u64>,
    /// Frames per second (overrides the scene).
    #[arg(long)]
    fps: Option<u32>,
    /// Lattice size N×N (overrides the scene).
    #[arg(long)]
    size: Option<usize>,
    /// Seed (overrides the scene).
    #[arg(long)]
    seed: Option<u32>,
    /// auto, gpu or cpu (default: IDF_BACKEND, else auto).
    #[arg(long)]
    backend: Option<String>,
}

#[derive(Args)]
struct OptimizeArgs {
    /// Model: phi4, ising or swift_hohenberg (or give --graph).
    #[arg(long, conflicts_with = "graph")]
    model: Option<String>,
    /// Model parameter KEY=VALUE (repeatable).
    #[arg(long = "param", value_name = "KEY=VALUE")]
    params: Vec<String>,
    /// A graph: Gset edge list (`n m`, then `i j w`, 1-based) or .json (`{"nodes", "edges"}`).
    #[arg(long)]
    graph: Option<PathBuf>,
    /// What a graph's weights mean: maxcut, ising or qubo.
    #[arg(long, default_value = "maxcut")]
    objective: String,
    /// Square lattice N×N.
    #[arg(long)]
    size: Option<usize>,
    /// Replicas.
    #[arg(long, default_value_t = 16)]
    replicas: usize,
    /// Steps (sweeps for spins and graphs; flips for baseline-greedy).
    #[arg(long, default_value_t = 2000)]
    steps: u64,
    /// tempering, anneal, population, baseline-greedy or baseline-gd.
    #[arg(long, default_value = "tempering")]
    method: String,
    /// Annealing schedule: linear, geometric or cosine.
    #[arg(long, default_value = "cosine")]
    schedule: String,
    /// Hot temperature.
    #[arg(long, default_value_t = 3.0)]
    t_start: f32,
    /// Cold temperature.
    #[arg(long, default_value_t = 0.05)]
    temperature: f32,
    /// Step size (default: the model's).
    #[arg(long)]
    step_size: Option<f32>,
    /// Seed.
    #[arg(long, default_value_t = 0)]
    seed: u32,
    /// auto, gpu or cpu (default: IDF_BACKEND, else auto).
    #[arg(long)]
    backend: Option<String>,
    /// Write the best configuration (.npy or .h5).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Print one JSON object.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
struct ValidateArgs {
    /// Configuration file (Validation tolerances, Diffusion.timesteps).
    #[arg(long)]
    config: Option<PathBuf>,
    /// Where to write the JSON report.
    #[arg(long, default_value = "metrics/energy_fidelity.json")]
    out: PathBuf,
    /// Trajectories over all domains.
    #[arg(long, default_value_t = 1200)]
    trajectories: usize,
    /// auto, gpu or cpu (default: IDF_BACKEND, else auto).
    #[arg(long)]
    backend: Option<String>,
    /// Seed.
    #[arg(long, default_value_t = 1)]
    seed: u32,
    /// r = D·dt/dx² of the heat-flow domain; past 0.25 the scheme is unstable and ELF shows it.
    #[arg(long, default_value_t = 0.2)]
    heat_flow_r: f32,
}

fn main() -> ExitCode {
    quiet_headless_vulkan();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Info { json } => info(json),
        Command::Sample(args) => run_sample(*args),
        Command::Validate(args) => run_validate(args),
        Command::Deploy { config, out } => {
            let config = match &config {
                Some(path) => Config::load(path),
                None => Ok(Config::default()),
            };
            config.map_err(anyhow::Error::from).and_then(|c| {
                let path = out.join("values.yaml");
                idf::io::write_atomic(&path, idf::jobs::deploy::helm_values(&c).as_bytes())?;
                println!(
                    "wrote {}; install with: helm install idf deploy/helm/idf -f {}",
                    path.display(),
                    path.display()
                );
                Ok(())
            })
        }
        #[cfg(feature = "server")]
        Command::Serve {
            addr,
            config,
            backend,
            openapi,
            #[cfg(feature = "kafka")]
            kafka,
        } => {
            #[cfg(feature = "kafka")]
            let brokers = kafka.or_else(|| std::env::var("IDF_KAFKA_BROKERS").ok());
            #[cfg(not(feature = "kafka"))]
            let brokers: Option<String> = None;
            serve(
                &addr,
                config.as_deref(),
                backend.as_deref(),
                openapi,
                brokers,
            )
        }
        Command::Optimize(args) => run_optimize(*args),
        Command::Render(args) => run_render(args),
        Command::Baseline {
            out,
            check,
            backend,
        } => baseline(out, check, backend.as_deref()),
        Command::Init { dir, force } => init(&dir, force),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // IdfError messages already carry their cause; the alternate form would repeat it.
            eprintln!("idf: error: {e}");
            ExitCode::FAILURE
        }
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

fn context(backend: Option<&str>) -> Result<Context> {
    Ok(match backend {
        Some(b) => Context::with_backend(b.parse::<BackendChoice>()?)?,
        None => Context::new()?,
    })
}

fn info(as_json: bool) -> Result<()> {
    let adapters: Vec<_> = idf::gpu::list_adapters()
        .into_iter()
        .map(|a| {
            json!({"name": a.name, "backend": format!("{:?}", a.backend),
                   "device_type": format!("{:?}", a.device_type), "driver": a.driver,
                   "driver_info": a.driver_info})
        })
        .collect();
    let ctx = Context::new()?;
    let report = json!({
        "version": env!("CARGO_PKG_VERSION"),
        "backends": ["vulkan", "metal", "dx12", "gl", "cpu"],
        "adapters": adapters,
        "selected": {"backend": ctx.backend().to_string(), "adapter": ctx.adapter_name(),
                     "fallback_reason": ctx.fallback_reason()},
        "cpu_threads": rayon::current_num_threads(),
    });
    if as_json {
        println!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(());
    }
    println!("idf {}", env!("CARGO_PKG_VERSION"));
    println!("backends compiled: vulkan, metal, dx12, gl (wgpu) and cpu");
    if adapters.is_empty() {
        println!("adapters: none found");
    }
    for a in &report["adapters"].as_array().cloned().unwrap_or_default() {
        println!(
            "adapter: {} [{}, {}] {} {}",
            a["name"].as_str().unwrap_or(""),
            a["backend"].as_str().unwrap_or(""),
            a["device_type"].as_str().unwrap_or(""),
            a["driver"].as_str().unwrap_or(""),
            a["driver_info"].as_str().unwrap_or("")
        );
    }
    println!("selected: {}", ctx.describe());
    Ok(())
}

fn parse_shape(text: &str) -> Result<[usize; 2]> {
    let parts: Vec<&str> = text.split(['x', 'X']).collect();
    let [h, w] = parts[..] else {
        bail!("--shape: expected HxW such as 64x128, got `{text}`");
    };
    let parse = |s: &str| {
        s.trim()
            .parse::<usize>()
            .with_context(|| format!("--shape: `{s}` is not a whole number"))
    };
    Ok([parse(h)?, parse(w)?])
}

fn parse_param(text: &str) -> Result<(String, String)> {
    match text.split_once('=') {
        Some((k, v)) if !k.trim().is_empty() => Ok((k.trim().to_string(), v.trim().to_string())),
        _ => bail!("--param: expected KEY=VALUE, got `{text}`"),
    }
}

fn run_sample(args: SampleArgs) -> Result<()> {
    let config = match &args.config {
        Some(path) => Config::load(path)?,
        None => Config::default(),
    };
    let mut scene = match &args.scene {
        Some(path) => Scene::load(path)?,
        None if args.model.is_none() => Scene::default_scene(),
        None => Scene::default(),
    };
    // A different --model starts from that model's defaults, not the scene's parameters.
    if let Some(model) = &args.model {
        if scene.model.as_deref() != Some(model.as_str()) {
            scene.params.clear();
            scene.guidance = None;
        }
        scene.model = Some(model.clone());
    }
    for p in &args.params {
        let (k, v) = parse_param(p)?;
        scene.params.insert(k, serde_yaml::Value::String(v));
    }
    let size = match (&args.size, &args.shape) {
        (Some(n), _) => Some([*n, *n]),
        (None, Some(s)) => Some(parse_shape(s)?),
        (None, None) => None,
    };
    scene.size = size.or(scene.size);
    scene.chains = args.chains.or(scene.chains);
    scene.integrator = args.integrator.clone().or(scene.integrator);
    scene.steps = args.steps.or(scene.steps);
    scene.burn_in = args.burn_in.or(scene.burn_in);
    scene.record_every = args.record_every.or(scene.record_every);
    scene.step_size = args.step_size.or(scene.step_size);
    scene.temperature = args.temperature.or(scene.temperature);
    scene.schedule = args.schedule.clone().or(scene.schedule);
    scene.t_start = args.t_start.or(scene.t_start);
    scene.seed = args.seed.or(scene.seed);
    let mut spec = SampleSpec::from_scene(&scene, &config)?;
    spec.leapfrog_steps = args.leapfrog_steps;
    if size.is_some() {
        spec.size = size;
    }
    let ctx = context(args.backend.as_deref())?;
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} {msg} [{bar:40}] {pos}/{len} steps ({per_sec}, eta {eta})",
        )
        .expect("valid template")
        .progress_chars("=> "),
    );
    bar.set_message(format!("{} {}", spec.model.name(), spec.method));
    let report = sample(&ctx, &spec, &mut |done, total| {
        bar.set_length(total);
        bar.set_position(done);
    });
    bar.finish_and_clear();
    let report = report?;
    if let Some(out) = &args.out {
        idf::io::write_field(out, &report.field)?;
    }
    if let Some(path) = &args.trace {
        idf::io::hdf5::write_trace(path, &report.trace)?;
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report.to_json())?);
    } else {
        print_summary(&report, &ctx, args.out.as_deref());
    }
    Ok(())
}

fn print_summary(r: &SampleReport, ctx: &Context, out: Option<&Path>) {
    println!(
        "idf sample: {} ({}) on {}",
        r.model.name(),
        r.model.params_json(),
        ctx.describe()
    );
    println!(
        "  shape {:?}, {}, {} steps, step size {}, T = {}, seed {}, {:.0} ms",
        r.field.shape().dims(),
        r.method,
        r.steps,
        r.step_size,
        r.temperature,
        r.seed,
        r.wall_ms
    );
    println!(
        "  final: energy/site {:.5}, mean {:.5}, variance {:.5}",
        r.final_stats.energy_per_site, r.final_stats.mean, r.final_stats.variance
    );
    println!("  estimates (mean ± batch-means standard error):");
    for (name, e) in &r.estimates {
        match e.stderr {
            Some(se) => println!("    {name:<18} {:>12.6} ± {se:.6}", e.mean),
            None => println!("    {name:<18} {:>12.6}", e.mean),
        }
    }
    if let Some(out) = out {
        println!("  wrote {}", out.display());
    }
}

fn run_render(args: RenderArgs) -> Result<()> {
    use idf::capsules::creative::{RenderJob, RenderOverrides};
    use idf::jobs::render::encode::Output;

    let scenes: Vec<(String, Scene)> = if args.scenes.is_empty() {
        vec![("default".to_string(), Scene::default_scene())]
    } else {
        args.scenes
            .iter()
            .map(|p| {
                let stem = p
                    .file_stem()
                    .map(|s| s.to_string_lossy().to_string())
                    .unwrap_or_default();
                Ok((stem, Scene::load(p)?))
            })
            .collect::<Result<_>>()?
    };
    if args.out.is_some() && scenes.len() > 1 {
        bail!("--out names one file but {} scenes were given; leave it out to write visuals/SCENE.mp4 each", scenes.len());
    }
    let overrides = RenderOverrides {
        frames: args.frames,
        fps: args.fps,
        size: args.size,
        seed: args.seed,
    };
    // Every scene is checked before anything renders, so a broken one leaves no output behind.
    let jobs: Vec<(String, RenderJob)> = scenes
        .iter()
        .map(|(stem, scene)| Ok((stem.clone(), RenderJob::from_scene(scene, &overrides)?)))
        .collect::<Result<_>>()?;
    let ctx = context(args.backend.as_deref())?;
    let several = jobs.len() > 1;
    for (stem, job) in &jobs {
        let output = match (&args.out, &args.out_dir) {
            (Some(out), _) => Output::File(out.clone()),
            (None, Some(dir)) if several => Output::PngDir(dir.join(stem)),
            (None, Some(dir)) => Output::PngDir(dir.clone()),
            (None, None) => Output::File(PathBuf::from("visuals").join(format!("{stem}.mp4"))),
        };
        let bar = ProgressBar::new(job.settings.frames);
        bar.set_style(
            ProgressStyle::with_template(
                "{spinner} {msg} [{bar:40}] {pos}/{len} frames ({per_sec}, eta {eta})",
            )
            .expect("valid template")
            .progress_chars("=> "),
        );
        bar.set_message(job.title.clone());
        let report = idf::jobs::render::pipeline::render(&ctx, job, &output, &mut |done, _| {
            bar.set_position(done)
        });
        bar.finish_and_clear();
        let report = report?;
        println!(
            "rendered {}: {} frames {}x{} at {} fps ({:.1} s of video) in {:.1} s, {:.1} frames/s on {}",
            job.title,
            report.frames,
            report.width,
            report.height,
            report.fps,
            report.duration_s,
            report.wall_s,
            report.frames_per_second,
            ctx.describe()
        );
        match report.elf {
            Some(elf) => println!("  ELF {:.2}% ({} laws checked)", 100.0 * elf, job.laws().len()),
            None => println!("  ELF: no energy law applies to this run (finite temperature, no conserved quantity)"),
        }
        for v in &report.violations {
            println!("  violation: {v}");
        }
        println!("  wrote {}", report.path.display());
    }
    Ok(())
}

fn run_optimize(args: OptimizeArgs) -> Result<()> {
    use idf::engine::energies::{GraphEnergy, GraphKind};
    use idf::jobs::optimize::{optimize, OptimizeSpec};

    let model = match (&args.graph, &args.model) {
        (Some(path), _) => {
            let kind = match args.objective.as_str() {
                "maxcut" => GraphKind::MaxCut,
                "ising" => GraphKind::Ising,
                "qubo" => GraphKind::Qubo,
                other => bail!("--objective: `{other}` is not one of maxcut, ising, qubo"),
            };
            let graph = if path.extension().and_then(|e| e.to_str()) == Some("json") {
                GraphEnergy::read_json(path, kind)?
            } else {
                GraphEnergy::read_gset(path, kind)?
            };
            idf::EnergyModel::Graph(graph)
        }
        (None, model) => {
            let params = args
                .params
                .iter()
                .map(|p| parse_param(p))
                .collect::<Result<Vec<_>>>()?;
            idf::EnergyModel::from_params(model.as_deref().unwrap_or("ising"), &params)?
        }
    };
    let spec = OptimizeSpec {
        size: args.size.map(|n| [n, n]).or(match model {
            idf::EnergyModel::Graph(_) => None,
            _ => Some([32, 32]),
        }),
        model,
        replicas: args.replicas,
        steps: args.steps,
        method: args.method.parse()?,
        schedule: args.schedule.parse()?,
        t_start: args.t_start,
        t_end: args.temperature,
        step_size: args.step_size,
        seed: args.seed,
    };
    let ctx = context(args.backend.as_deref())?;
    let bar = ProgressBar::new(spec.steps);
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} optimizing [{bar:40}] {pos}/{len} steps (eta {eta})",
        )
        .expect("valid template")
        .progress_chars("=> "),
    );
    let report = optimize(&ctx, &spec, &mut |done, _| bar.set_position(done));
    bar.finish_and_clear();
    let report = report?;
    if let Some(out) = &args.out {
        idf::io::write_field(out, &report.best)?;
    }
    let mut json = serde_json::to_value(&report)?;
    json["best_configuration"] = json!(args.out.as_ref().map(|p| p.display().to_string()));
    json["model"] = json!(spec.model.name());
    if args.json {
        println!("{}", serde_json::to_string_pretty(&json)?);
        return Ok(());
    }
    println!(
        "idf optimize: {} by {} on {}: best energy {:.6} ({:.6} per site), found after {:.0} ms of {:.0} ms",
        spec.model.name(),
        report.method,
        ctx.describe(),
        report.best_energy,
        report.best_energy_per_site,
        report.time_to_best_ms,
        report.wall_ms
    );
    if let Some(cut) = report.cut {
        println!("  cut value {cut}");
    }
    if let (Some(ladder), Some(acc)) = (&report.ladder, &report.swap_acceptance) {
        println!("  ladder {ladder:.3?}");
        println!("  swap acceptance {acc:.3?}");
    }
    if let Some(out) = &args.out {
        println!("  wrote {}", out.display());
    }
    Ok(())
}

#[cfg(feature = "server")]
fn serve(
    addr: &str,
    config: Option<&Path>,
    backend: Option<&str>,
    openapi: bool,
    brokers: Option<String>,
) -> Result<()> {
    if openapi {
        print!("{}", idf::api::openapi_yaml());
        return Ok(());
    }
    if let Some(path) = config {
        Config::load(path)?;
    }
    let ctx = context(backend)?;
    // IDF_API_TOKEN, when set, is the bearer token every route but /healthz requires.
    let token = std::env::var("IDF_API_TOKEN")
        .ok()
        .filter(|t| !t.is_empty());
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .with_context(|| format!("cannot listen on {addr}"))?;
        eprintln!(
            "idf serve: listening on http://{} ({})",
            listener.local_addr()?,
            ctx.describe()
        );
        let state = idf::api::ApiState::new(ctx, idf::api::Limits::default(), token);
        #[cfg(feature = "kafka")]
        if let Some(brokers) = &brokers {
            state.enable_kafka(brokers);
            eprintln!(
                "idf serve: publishing request events to Kafka at {brokers} ({})",
                idf::api::events::TOPIC
            );
        }
        #[cfg(not(feature = "kafka"))]
        let _ = brokers;
        let shutdown = async {
            let _ = tokio::signal::ctrl_c().await;
            eprintln!("idf serve: shutting down after the requests in flight");
        };
        idf::api::serve(listener, state, shutdown).await?;
        Ok(())
    })
}

fn run_validate(args: ValidateArgs) -> Result<()> {
    let config = match &args.config {
        Some(path) => Config::load(path)?,
        None => Config::default(),
    };
    let cfg = idf::jobs::elf::ElfConfig {
        trajectories: args.trajectories,
        seed: args.seed,
        heat_flow_r: args.heat_flow_r,
        ..idf::jobs::elf::ElfConfig::from_config(&config)
    };
    let ctx = context(args.backend.as_deref())?;
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template("{spinner} validating {msg} [{bar:30}] {pos}/{len} domains")
            .expect("valid template")
            .progress_chars("=> "),
    );
    let report = idf::jobs::elf::run_suite(&ctx, &cfg, &mut |domain, done, total| {
        bar.set_length(total as u64);
        bar.set_position(done as u64);
        bar.set_message(domain.to_string());
    });
    bar.finish_and_clear();
    let report = report?;
    let mut json = serde_json::to_value(&report)?;
    json["command"] = json!(std::env::args().collect::<Vec<_>>().join(" "));
    idf::io::write_atomic(&args.out, serde_json::to_string_pretty(&json)?.as_bytes())?;
    println!(
        "ELF {:.4}% ({} of {} trajectories kept every law) on {} in {:.1} s",
        100.0 * report.elf,
        report.passed,
        report.trajectories,
        ctx.describe(),
        report.wall_ms / 1e3
    );
    for d in &report.domains {
        let laws: Vec<String> = d
            .laws
            .iter()
            .map(|(law, c)| format!("{law} {}/{} violated", c.violated, c.checked))
            .collect();
        println!(
            "  {:<16} ELF {:>8.4}%  {:>5} trajectories  {}",
            d.name,
            100.0 * d.elf,
            d.trajectories,
            laws.join(", ")
        );
        if let Some(v) = &d.first_violation {
            println!("    first violation: {v}");
        }
    }
    println!("wrote {}", args.out.display());
    Ok(())
}

fn baseline(out: Option<PathBuf>, check: Option<PathBuf>, backend: Option<&str>) -> Result<()> {
    let ctx = context(backend)?;
    match (out, check) {
        (Some(path), None) => {
            idf::jobs::baseline::write_baseline(&ctx, &path)?;
            println!("wrote {} on {}", path.display(), ctx.describe());
            Ok(())
        }
        (None, Some(path)) => {
            let regressions = idf::jobs::baseline::check_baseline(&ctx, &path)?;
            for r in &regressions {
                println!(
                    "regression: {} {} record {:?}: fresh {} vs baseline {} (tolerance {:e})",
                    r.scenario, r.observable, r.record, r.fresh, r.baseline, r.tolerance
                );
            }
            if regressions.is_empty() {
                println!("{}: no regression on {}", path.display(), ctx.describe());
                Ok(())
            } else {
                bail!(
                    "{} regressions against {}",
                    regressions.len(),
                    path.display()
                )
            }
        }
        _ => bail!("give --out FILE to write a baseline or --check FILE to compare with one"),
    }
}

fn init(dir: &Path, force: bool) -> Result<()> {
    let files = [
        (dir.join("idf.yaml"), TEMPLATE),
        (
            dir.join("scenes").join("starter.yaml"),
            idf::jobs::scene::DEFAULT_SCENE,
        ),
    ];
    for (path, _) in &files {
        if path.exists() && !force {
            bail!("{} exists; pass --force to overwrite it", path.display());
        }
    }
    for (path, text) in &files {
        idf::io::write_atomic(path, text.as_bytes())?;
        println!("wrote {}", path.display());
    }
    println!(
        "next: idf sample --config {} --scene {}",
        files[0].0.display(),
        files[1].0.display()
    );
    Ok(())
}
