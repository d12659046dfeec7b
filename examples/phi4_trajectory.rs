//! Times a φ⁴ Langevin trajectory and prints JSON, for `benches/compare_jax.sh`:
//! `cargo run --release --example phi4_trajectory -- --size 256 --steps 1000 --repeats 7`.

use std::time::Instant;

use clap::Parser;
use idf::{BackendChoice, Context, EnergyModel, Simulation, StepRule};

#[derive(Parser)]
struct Args {
    #[arg(long, default_value_t = 256)]
    size: usize,
    #[arg(long, default_value_t = 1000)]
    steps: u64,
    #[arg(long, default_value_t = 1)]
    chains: usize,
    #[arg(long, default_value_t = 7)]
    repeats: usize,
    #[arg(long, default_value = "cpu")]
    backend: String,
    #[arg(long, default_value_t = 0.02)]
    eta: f32,
    #[arg(long, default_value_t = 1.0)]
    temperature: f32,
    /// Steps fused per GPU dispatch (1: no fusion; default: the library's choice).
    #[arg(long)]
    fusion: Option<u32>,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let ctx = Context::with_backend(args.backend.parse::<BackendChoice>()?)?;
    let model = EnergyModel::from_params("phi4", &[])?;
    let shape = model.shape(args.chains, Some([args.size, args.size]))?;
    let mut sim = Simulation::new(&ctx, &model, &model.initial_field(shape, 1).unwrap(), 1)?;
    if let Some(k) = args.fusion {
        sim.set_fusion(k);
    }
    let rule = StepRule::langevin(args.eta, args.temperature);
    // One untimed run compiles pipelines and warms caches, as JAX's first call compiles.
    sim.advance(args.steps.min(10), &|_| rule, &|_| false, &mut |_, _| {})?;
    let mut times = Vec::new();
    for _ in 0..args.repeats {
        let start = Instant::now();
        sim.advance(args.steps, &|_| rule, &|_| false, &mut |_, _| {})?;
        sim.field()?; // the trajectory is done when its result is on the host
        times.push(start.elapsed().as_secs_f64() * 1e3);
    }
    let mut sorted = times.clone();
    sorted.sort_by(f64::total_cmp);
    println!(
        "{}",
        serde_json::json!({
            "backend": ctx.backend().to_string(), "adapter": ctx.adapter_name(),
            "size": args.size, "chains": args.chains, "steps": args.steps,
            "times_ms": times, "median_ms": sorted[sorted.len() / 2],
            "fusion": sim.fusion_plan(),
        })
    );
    Ok(())
}
