//! Ising checkerboard Metropolis throughput in flips per nanosecond, for `benches/gpu_table.sh`:
//! `cargo run --release --example ising_sweeps -- --backend gpu --size 4096 --sweeps 20,220`.
//!
//! Each sweep count is timed (median of `--repeats`, after one untimed sweep that compiles the
//! pipelines); the rate is taken from the difference of the two, so set-up, the upload and the
//! final read-back cancel: flips/ns = L² · chains · (n₂ − n₁) / (t₂ − t₁). A "flip" is one
//! site update (an attempted flip), as in cuIsing's figures. `--multispin off` times the plain
//! one-f32-per-spin sweep; `multispin` in the output says which ran.

use std::time::Instant;

use clap::Parser;
use idf::{BackendChoice, Context, EnergyModel, Field, Simulation, StepRule};

#[derive(Parser)]
struct Args {
    #[arg(long, default_value_t = 1024)]
    size: usize,
    #[arg(long, default_value_t = 1)]
    chains: usize,
    /// Two sweep counts, fewer first: `N1,N2`.
    #[arg(long, default_value = "20,220", value_parser = parse_pair)]
    sweeps: (u64, u64),
    #[arg(long, default_value_t = 5)]
    repeats: usize,
    #[arg(long, default_value = "gpu")]
    backend: String,
    /// Temperature, in units of J (Onsager's critical point is 2.269).
    #[arg(long, default_value_t = 2.269)]
    temperature: f32,
    /// Multi-spin coding (32 spins per u32 word; widths that are multiples of 64): `on` or
    /// `off` (one f32 per spin, the plain `metropolis_sweep`).
    #[arg(long, default_value = "on", value_parser = ["on", "off"])]
    multispin: String,
}

fn parse_pair(text: &str) -> Result<(u64, u64), String> {
    let (a, b) = text
        .split_once(',')
        .ok_or_else(|| format!("--sweeps takes N1,N2, got {text:?}"))?;
    let (a, b): (u64, u64) = (
        a.trim()
            .parse()
            .map_err(|e| format!("--sweeps {a:?}: {e}"))?,
        b.trim()
            .parse()
            .map_err(|e| format!("--sweeps {b:?}: {e}"))?,
    );
    if a == 0 || b <= a {
        return Err(format!("--sweeps needs 0 < N1 < N2, got {a},{b}"));
    }
    Ok((a, b))
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let ctx = Context::with_backend(args.backend.parse::<BackendChoice>()?)?;
    let model = EnergyModel::from_params("ising", &[])?;
    let shape = model.shape(args.chains, Some([args.size, args.size]))?;
    let mut sim = Simulation::new(&ctx, &model, &Field::random_spins(shape, 1)?, 1)?;
    sim.set_multispin(args.multispin == "on");
    let rule = StepRule::Metropolis {
        step_size: 1.0,
        temperature: args.temperature,
    };
    let mut time_sweeps = |n: u64| -> Result<f64, idf::IdfError> {
        let start = Instant::now();
        sim.advance(n, &|_| rule, &|_| false, &mut |_, _| {})?;
        sim.field()?; // the sweeps are done when their result is on the host
        Ok(start.elapsed().as_secs_f64() * 1e3)
    };
    time_sweeps(1)?;
    let (n1, n2) = args.sweeps;
    let mut median = |n: u64| -> Result<f64, idf::IdfError> {
        let mut t: Vec<f64> = (0..args.repeats)
            .map(|_| time_sweeps(n))
            .collect::<Result<_, _>>()?;
        t.sort_by(f64::total_cmp);
        Ok(t[t.len() / 2])
    };
    let (t1, t2) = (median(n1)?, median(n2)?);
    let flips = (shape.len() as u64 * (n2 - n1)) as f64;
    println!(
        "{}",
        serde_json::json!({
            "backend": ctx.backend().to_string(), "adapter": ctx.adapter_name(),
            "size": args.size, "chains": args.chains, "sweeps": [n1, n2],
            "median_ms": [t1, t2],
            "multispin": sim.multispin_sweeps() > 0,
            "flips_per_ns": flips / ((t2 - t1) * 1e6),
        })
    );
    Ok(())
}
