//! `idf render`: scenes rendered to video or PNG frames; the flags override the scenes' keys.

use std::path::PathBuf;

use anyhow::{bail, Result};
use clap::Args;

use idf::io::h5md::read_h5md;
use idf::io::xyz::read_xyz;
use idf::jobs::molecular::keys::MolecularScene;
use idf::jobs::molecular::run_molecular;
use idf::jobs::plasma::{run_plasma, PlasmaScene};
use idf::jobs::render::encode::Output;
use idf::jobs::render::job::render_job;
use idf::jobs::render::particles::{render_particles, ParticleLook};
use idf::jobs::render::pipeline::render;
use idf::Scene;

/// The flags of `idf render`.
#[derive(Args)]
pub struct RenderArgs {
    /// Scene files, rendered one after another (default: the embedded default scene), or
    /// particle trajectories (extended XYZ `.xyz`, H5MD `.h5`/`.h5md`, as `idf molecular` writes),
    /// or plasma scenes (YAML with a top-level `plasma` key: a Hasegawa–Wakatani run's keys), or
    /// molecular scenes (YAML with a top-level `molecular` key: a Lennard-Jones run's keys).
    scenes: Vec<PathBuf>,
    /// Output file, .mp4 (H.264) or .gif (one scene; default visuals/SCENE.mp4).
    #[arg(long, conflicts_with = "out_dir")]
    out: Option<PathBuf>,
    /// Write PNG frames into this folder instead (a subfolder per scene when there are several).
    #[arg(long)]
    out_dir: Option<PathBuf>,
    /// Frames (overrides the scene's `frames`).
    #[arg(long)]
    frames: Option<u64>,
    /// Frames per second (overrides the scene's `fps`).
    #[arg(long)]
    fps: Option<u32>,
    /// Lattice size N×N (overrides the scene's `size`); for a trajectory, the picture's size in pixels.
    #[arg(long)]
    size: Option<usize>,
    /// Seed (overrides the scene's `seed`).
    #[arg(long)]
    seed: Option<u32>,
    /// auto, gpu or cpu (default: IDF_BACKEND, else auto).
    #[arg(long)]
    backend: Option<String>,
}

impl RenderArgs {
    /// The scenes to render, by file stem, with the flags applied.
    fn scenes(&self) -> Result<Vec<(String, Scene)>> {
        let scenes: Vec<(String, Scene)> = if self.scenes.is_empty() {
            vec![("default".to_string(), Scene::default_scene())]
        } else {
            self.scenes
                .iter()
                .filter(|p| !is_trajectory(p))
                .map(|p| {
                    let stem = p
                        .file_stem()
                        .map(|s| s.to_string_lossy().to_string())
                        .unwrap_or_default();
                    Ok((stem, Scene::load(p)?))
                })
                .collect::<Result<_>>()?
        };
        let overrides = Scene {
            frames: self.frames,
            fps: self.fps,
            size: self.size.map(|n| [n, n]),
            seed: self.seed,
            ..Scene::default()
        };
        scenes
            .into_iter()
            .map(|(stem, scene)| Ok((stem, scene.with_overrides(&overrides)?)))
            .collect()
    }
}

/// Whether `path` names a particle trajectory rather than a scene.
fn is_trajectory(path: &std::path::Path) -> bool {
    matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("xyz" | "h5" | "h5md" | "hdf5")
    )
}

/// Renders particle trajectories: the particles projected on x–y, coloured by energy.
fn render_trajectories(args: &RenderArgs, paths: &[&PathBuf]) -> Result<()> {
    if args.out.is_some() && paths.len() > 1 {
        bail!(
            "--out names one file but {} trajectories were given",
            paths.len()
        );
    }
    let look = ParticleLook {
        fps: args.fps.unwrap_or(30),
        size: args.size.unwrap_or(512),
        ..ParticleLook::default()
    };
    for path in paths {
        let frames = match path.extension().and_then(|e| e.to_str()) {
            Some("xyz") => read_xyz(path)?,
            _ => read_h5md(path)?,
        };
        let frames = match args.frames {
            Some(k) => frames.into_iter().take(k as usize).collect(),
            None => frames,
        };
        let stem = path
            .file_stem()
            .map(|s| s.to_string_lossy().to_string())
            .unwrap_or_default();
        let output = match (&args.out, &args.out_dir) {
            (Some(out), _) => Output::File(out.clone()),
            (None, Some(dir)) if paths.len() > 1 => Output::PngDir(dir.join(&stem)),
            (None, Some(dir)) => Output::PngDir(dir.clone()),
            (None, None) => Output::File(PathBuf::from("visuals").join(format!("{stem}.mp4"))),
        };
        let bar = super::progress::bar(frames.len() as u64, "frames", stem.clone());
        let report = render_particles(&frames, &output, &look, &mut |done, _| {
            bar.set_position(done)
        });
        bar.finish_and_clear();
        let report = report?;
        println!(
            "rendered {}: {} frames {}x{} at {} fps, {} particles",
            path.display(),
            report.frames,
            report.width,
            report.height,
            report.fps,
            frames[0].position.len()
        );
        println!("  wrote {}", report.path.display());
    }
    Ok(())
}

/// Refuses `--out` (one file) for several scenes.
fn one_out(args: &RenderArgs, scenes: usize) -> Result<()> {
    if args.out.is_some() && scenes > 1 {
        bail!("--out names one file but {scenes} scenes were given");
    }
    Ok(())
}

/// Where a capsule scene's video goes: `--out`, a folder of PNG frames under `--out-dir`, or
/// `visuals/STEM.mp4`.
fn capsule_output(args: &RenderArgs, stem: &str) -> Output {
    match (&args.out, &args.out_dir) {
        (Some(out), _) => Output::File(out.clone()),
        (None, Some(dir)) => Output::PngDir(dir.join(stem)),
        (None, None) => Output::File(PathBuf::from("visuals").join(format!("{stem}.mp4"))),
    }
}

/// Renders plasma scenes: a Hasegawa–Wakatani run, a frame per record.
fn render_plasma(args: &RenderArgs, scenes: Vec<(String, PlasmaScene)>) -> Result<()> {
    one_out(args, scenes.len())?;
    let ctx = super::context(args.backend.as_deref())?;
    for (stem, scene) in scenes {
        let output = capsule_output(args, &stem);
        let spec = scene.spec(output.clone(), args.frames, args.size, args.seed)?;
        let bar = super::progress::bar(spec.steps, "steps", stem.clone());
        let report = run_plasma(&ctx, &spec, &mut |done, _| bar.set_position(done));
        bar.finish_and_clear();
        let report = report?;
        println!(
            "rendered {stem}: {} frames of {}² Hasegawa–Wakatani on {}, {:.2} ms/step",
            report.trace.len(),
            spec.size,
            ctx.describe(),
            report.ms_per_step
        );
        println!("  wrote {}", output.path().display());
    }
    Ok(())
}

/// Renders molecular scenes: a Lennard-Jones run, system 0 (the coldest rung under replica
/// exchange) a frame per record.
fn render_molecular(args: &RenderArgs, scenes: Vec<(String, MolecularScene)>) -> Result<()> {
    one_out(args, scenes.len())?;
    let ctx = super::context(args.backend.as_deref())?;
    for (stem, scene) in scenes {
        let output = capsule_output(args, &stem);
        let spec = scene.spec(output.clone(), args.frames, args.size, args.fps, args.seed)?;
        let bar = super::progress::bar(spec.steps, "steps", stem.clone());
        let report = run_molecular(&ctx, &spec, &mut |done, _| bar.set_position(done));
        bar.finish_and_clear();
        let report = report?;
        println!(
            "rendered {stem}: {} frames of {} Lennard-Jones particles × {} systems on {}",
            report.trace.records.len() + usize::from(report.minimised.is_some()),
            report.particles,
            report.chains,
            ctx.describe(),
        );
        if let Some(m) = &report.minimised {
            let best = m.iter().copied().fold(f64::INFINITY, f64::min);
            println!("  minimised {best:.6} (lowest of {} systems)", m.len());
        }
        println!("  wrote {}", output.path().display());
    }
    Ok(())
}

/// The scenes among `paths` that `load` reads as its kind (`None`: another kind), by file stem.
fn scenes_of<T>(
    paths: &[PathBuf],
    load: impl Fn(&std::path::Path) -> idf::Result<Option<T>>,
) -> Result<Vec<(String, T)>> {
    let mut found = Vec::new();
    for p in paths.iter().filter(|p| !is_trajectory(p)) {
        if let Some(scene) = load(p)? {
            let stem = p
                .file_stem()
                .map(|s| s.to_string_lossy().to_string())
                .unwrap_or_default();
            found.push((stem, scene));
        }
    }
    Ok(found)
}

/// Runs `idf render`.
pub fn run(args: RenderArgs) -> Result<()> {
    const ONE_KIND: &str =
        "give lattice, plasma or molecular scenes or particle trajectories, one kind per call";
    let plasma = scenes_of(&args.scenes, PlasmaScene::load)?;
    if !plasma.is_empty() {
        if plasma.len() != args.scenes.len() {
            bail!(ONE_KIND);
        }
        return render_plasma(&args, plasma);
    }
    let molecular = scenes_of(&args.scenes, MolecularScene::load)?;
    if !molecular.is_empty() {
        if molecular.len() != args.scenes.len() {
            bail!(ONE_KIND);
        }
        return render_molecular(&args, molecular);
    }
    let trajectories: Vec<&PathBuf> = args.scenes.iter().filter(|p| is_trajectory(p)).collect();
    if !trajectories.is_empty() {
        if trajectories.len() != args.scenes.len() {
            bail!(ONE_KIND);
        }
        return render_trajectories(&args, &trajectories);
    }
    let scenes = args.scenes()?;
    if args.out.is_some() && scenes.len() > 1 {
        bail!("--out names one file but {} scenes were given; leave it out to write visuals/SCENE.mp4 each", scenes.len());
    }
    // Every scene is checked before anything renders, so a broken one leaves no output behind.
    let jobs = scenes
        .iter()
        .map(|(stem, scene)| Ok((stem.clone(), render_job(scene)?)))
        .collect::<Result<Vec<_>>>()?;
    let ctx = super::context(args.backend.as_deref())?;
    let several = jobs.len() > 1;
    for (stem, job) in &jobs {
        let output = match (&args.out, &args.out_dir) {
            (Some(out), _) => Output::File(out.clone()),
            (None, Some(dir)) if several => Output::PngDir(dir.join(stem)),
            (None, Some(dir)) => Output::PngDir(dir.clone()),
            (None, None) => Output::File(PathBuf::from("visuals").join(format!("{stem}.mp4"))),
        };
        let bar = super::progress::bar(job.look.frames, "frames", job.title.clone());
        let report = render(&ctx, job, &output, &mut |done, _| bar.set_position(done));
        bar.finish_and_clear();
        let report = report?;
        for warning in &report.warnings {
            eprintln!("idf: warning: {warning}");
        }
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
            Some(elf) => println!("  ELF {:.2}% ({} laws checked)", 100.0 * elf, report.laws.len()),
            None => println!("  ELF: no energy law applies to this run (finite temperature, no conserved quantity)"),
        }
        for v in &report.violations {
            println!("  violation: {v}");
        }
        println!("  wrote {}", report.path.display());
    }
    Ok(())
}
