//! `idf plasma`: Hasegawa–Wakatani drift-wave turbulence (`run`) and linear stability maps
//! (`scan`), with `.npy` and `.vtk` outputs.

use std::path::PathBuf;

use anyhow::{bail, Result};
use clap::{Args, Subcommand};

use idf::engine::field::MAX_CHAINS;
use idf::io::vtk::write_image;
use idf::jobs::plasma::{run_plasma, stability_scan, PlasmaSpec, ScanSpec};
use idf::jobs::render::encode::Output;
use idf::kernels::spectral::ChainParams;

/// The flags of `idf plasma`.
#[derive(Args)]
pub struct PlasmaArgs {
    #[command(subcommand)]
    command: PlasmaCommand,
}

#[derive(Subcommand)]
enum PlasmaCommand {
    /// A turbulence run from small random n and ζ, with energy, enstrophy and flux recorded.
    Run(RunArgs),
    /// The linear growth rate γ(α, κ, k_y) measured on the backend beside the analytic one.
    Scan(ScanArgs),
}

#[derive(Args)]
struct RunArgs {
    /// Points per side (a power of two).
    #[arg(long, default_value_t = 128)]
    size: usize,
    /// The lowest wavenumber: the box is 2π/k0 a side.
    #[arg(long, default_value_t = 0.15)]
    k0: f64,
    /// Adiabaticity α.
    #[arg(long, default_value_t = 1.0)]
    alpha: f32,
    /// Background density gradient κ.
    #[arg(long, default_value_t = 1.0)]
    kappa: f32,
    /// Hyper-diffusion ν (−ν∇⁴).
    #[arg(long, default_value_t = 1e-4)]
    nu: f32,
    /// The modified model: the coupling acts on non-zonal parts only.
    #[arg(long)]
    modified: bool,
    /// Stochastic forcing: noise·√dt·ξ on n and ζ each step.
    #[arg(long, default_value_t = 0.0)]
    noise: f32,
    /// Steps.
    #[arg(long, default_value_t = 2000)]
    steps: u64,
    /// Diagnostics (and the adaptive step) every this many steps.
    #[arg(long, default_value_t = 50)]
    record_every: u64,
    /// A fixed time step (default: half the linear limit and the CFL condition).
    #[arg(long)]
    dt: Option<f32>,
    /// Standard deviation of the initial random n and ζ.
    #[arg(long, default_value_t = 1e-3)]
    amplitude: f32,
    /// Seed.
    #[arg(long, default_value_t = 0)]
    seed: u32,
    /// auto, gpu or cpu (default: IDF_BACKEND, else auto).
    #[arg(long)]
    backend: Option<String>,
    /// The final n, ζ and φ: `.npy` ([3, size, size]) or `.vtk` (legacy, three point arrays).
    #[arg(long)]
    out: Option<PathBuf>,
    /// A video of one field, a frame per record: `.mp4` or `.gif`.
    #[arg(long)]
    video: Option<PathBuf>,
    /// The field the video shows: n, zeta or phi.
    #[arg(long, default_value = "phi")]
    video_field: String,
    /// Print one JSON object (the report with its trace).
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
struct ScanArgs {
    /// Points per side (a power of two); the modes are (k0, m·k0), m = 1 … size/2 − 1.
    #[arg(long, default_value_t = 32)]
    size: usize,
    /// The lowest wavenumber.
    #[arg(long, default_value_t = 0.15)]
    k0: f64,
    /// α values: `lo:hi:count` or a comma list.
    #[arg(long, default_value = "0.1:2:8")]
    alpha: String,
    /// κ values: `lo:hi:count` or a comma list.
    #[arg(long, default_value = "0.5:1.5:3")]
    kappa: String,
    /// Hyper-diffusion ν.
    #[arg(long, default_value_t = 0.0)]
    nu: f64,
    /// The modified model.
    #[arg(long)]
    modified: bool,
    /// Steps of the measurement.
    #[arg(long, default_value_t = 400)]
    steps: u64,
    /// A fixed step (default: half the linear limit).
    #[arg(long)]
    dt: Option<f32>,
    /// Seed of the modes' phases.
    #[arg(long, default_value_t = 0)]
    seed: u32,
    /// auto, gpu or cpu.
    #[arg(long)]
    backend: Option<String>,
    /// The maps as `.npy`, [3, alphas, kappas, k_y]: measured, theory (grid and step),
    /// continuum.
    #[arg(long)]
    out: Option<PathBuf>,
    /// The maps as `.vtk` (image data over k_y, κ, α with three point arrays).
    #[arg(long)]
    vtk: Option<PathBuf>,
    /// Print one JSON object.
    #[arg(long)]
    json: bool,
}

/// `lo:hi:count` (evenly spaced) or `a,b,c`.
fn values(name: &str, text: &str) -> Result<Vec<f64>> {
    let parsed: Option<Vec<f64>> = if let [lo, hi, count] = text.split(':').collect::<Vec<_>>()[..]
    {
        match (lo.parse::<f64>(), hi.parse::<f64>(), count.parse::<usize>()) {
            (Ok(_), Ok(_), Ok(count)) if count > MAX_CHAINS => {
                bail!(
                    "--{name}: {count} values are over the limit of {MAX_CHAINS} (each is a chain)"
                )
            }
            (Ok(lo), Ok(hi), Ok(count)) if count >= 1 => Some(
                (0..count)
                    .map(|k| {
                        if count == 1 {
                            lo
                        } else {
                            lo + (hi - lo) * k as f64 / (count - 1) as f64
                        }
                    })
                    .collect(),
            ),
            _ => None,
        }
    } else {
        text.split(',').map(|v| v.trim().parse().ok()).collect()
    };
    match parsed {
        Some(v) if v.iter().all(|x: &f64| x.is_finite()) && !v.is_empty() => Ok(v),
        _ => bail!("--{name}: `{text}` is not lo:hi:count or a comma list of numbers"),
    }
}

/// Runs `idf plasma`.
pub fn run(args: PlasmaArgs) -> Result<()> {
    match args.command {
        PlasmaCommand::Run(a) => run_one(a),
        PlasmaCommand::Scan(a) => scan(a),
    }
}

fn check_out(out: &Option<PathBuf>, allowed: &[&str]) -> Result<()> {
    if let Some(p) = out {
        let ext = p.extension().and_then(|e| e.to_str()).unwrap_or("");
        if !allowed.contains(&ext) {
            bail!("{}: write .{}", p.display(), allowed.join(" or ."));
        }
    }
    Ok(())
}

fn run_one(a: RunArgs) -> Result<()> {
    check_out(&a.out, &["npy", "vtk"])?;
    check_out(&a.video, &["mp4", "gif"])?;
    let spec = PlasmaSpec {
        size: a.size,
        k0: a.k0,
        params: ChainParams {
            alpha: a.alpha,
            kappa: a.kappa,
            nu: a.nu,
            noise: a.noise,
        },
        modified: a.modified,
        steps: a.steps,
        record_every: a.record_every,
        dt: a.dt,
        amplitude: a.amplitude,
        seed: a.seed,
        video: match &a.video {
            Some(path) => Some((Output::File(path.clone()), a.video_field.parse()?)),
            None => None,
        },
    };
    let ctx = super::context(a.backend.as_deref())?;
    let bar = super::progress::bar(spec.steps, "steps", "drift waves");
    let report = run_plasma(&ctx, &spec, &mut |done, _| bar.set_position(done));
    bar.finish_and_clear();
    let report = report?;
    if let Some(out) = &a.out {
        let [n, zeta, phi] = &report.fields;
        if out.extension().and_then(|e| e.to_str()) == Some("vtk") {
            let h = report.dx;
            write_image(
                out,
                [a.size, a.size, 1],
                [h, h, 1.0],
                &[("n", n), ("zeta", zeta), ("phi", phi)],
            )?;
        } else {
            let data: Vec<f32> = [n.as_slice(), zeta, phi].concat();
            idf::io::write_atomic(out, &idf::io::npy::encode_f32(&[3, a.size, a.size], &data))?;
        }
    }
    if a.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(());
    }
    let last = report.trace.last().expect("a record");
    println!(
        "idf plasma run: {}² HW (α {}, κ {}, ν {}{}) on {}: {} steps to t = {:.2}, {:.3} ms/step",
        a.size,
        a.alpha,
        a.kappa,
        a.nu,
        if a.modified { ", modified" } else { "" },
        ctx.describe(),
        last.step,
        last.time,
        report.ms_per_step
    );
    println!(
        "  energy {:.4e}  enstrophy {:.4e}  flux {:.4e}",
        last.diagnostics.energy, last.diagnostics.enstrophy, last.diagnostics.flux
    );
    if let Some((measured, fastest)) = report.energy_growth {
        println!("  linear phase: energy grows at {measured:.4} (twice the fastest mode's γ: {fastest:.4})");
    }
    for path in [&a.out, &a.video].into_iter().flatten() {
        println!("  wrote {}", path.display());
    }
    Ok(())
}

fn scan(a: ScanArgs) -> Result<()> {
    check_out(&a.out, &["npy"])?;
    check_out(&a.vtk, &["vtk"])?;
    let spec = ScanSpec {
        size: a.size,
        k0: a.k0,
        alphas: values("alpha", &a.alpha)?,
        kappas: values("kappa", &a.kappa)?,
        nu: a.nu,
        modified: a.modified,
        steps: a.steps,
        dt: a.dt,
        seed: a.seed,
    };
    let ctx = super::context(a.backend.as_deref())?;
    let bar = super::progress::bar(spec.steps, "steps", "stability scan");
    let map = stability_scan(&ctx, &spec, &mut |done, _| bar.set_position(done));
    bar.finish_and_clear();
    let map = map?;
    let dims = [map.alphas.len(), map.kappas.len(), map.ky.len()];
    let as_f32 = |v: &[f64]| v.iter().map(|x| *x as f32).collect::<Vec<f32>>();
    let (measured, theory, continuum) = (
        as_f32(&map.measured),
        as_f32(&map.theory),
        as_f32(&map.continuum),
    );
    if let Some(out) = &a.out {
        let data = [measured.as_slice(), &theory, &continuum].concat();
        idf::io::write_atomic(
            out,
            &idf::io::npy::encode_f32(&[3, dims[0], dims[1], dims[2]], &data),
        )?;
    }
    if let Some(path) = &a.vtk {
        // Image data over (k_y, κ, α), x fastest, as the arrays are laid out.
        write_image(
            path,
            [dims[2], dims[1], dims[0]],
            [a.k0, 1.0, 1.0],
            &[
                ("gamma_measured", &measured),
                ("gamma_theory", &theory),
                ("gamma_continuum", &continuum),
            ],
        )?;
    }
    if a.json {
        println!("{}", serde_json::to_string_pretty(&map)?);
        return Ok(());
    }
    println!(
        "idf plasma scan: {} (α, κ) pairs × {} modes on {}: largest |γ measured − theory| {:.2e} ({} steps of {:.4})",
        dims[0] * dims[1],
        dims[2],
        ctx.describe(),
        map.max_error,
        map.steps,
        map.dt
    );
    for (i, alpha) in map.alphas.iter().enumerate() {
        for (j, kappa) in map.kappas.iter().enumerate() {
            let row = (i * dims[1] + j) * dims[2];
            let (best, gamma) = (0..dims[2])
                .map(|m| (m, map.measured[row + m]))
                .fold((0, f64::NEG_INFINITY), |a, b| if b.1 > a.1 { b } else { a });
            println!(
                "  α {alpha:<6.3} κ {kappa:<6.3} fastest k_y {:.3}: γ {gamma:.5} (theory {:.5}, continuum {:.5})",
                map.ky[best],
                map.theory[row + best],
                map.continuum[row + best]
            );
        }
    }
    for p in [&a.out, &a.vtk].into_iter().flatten() {
        println!("  wrote {}", p.display());
    }
    Ok(())
}
