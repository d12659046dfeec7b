//! `idf validate`: the energy-law suite and its ELF report.

use std::path::PathBuf;

use anyhow::Result;
use clap::Args;
use serde_json::json;

use idf::jobs::config::Config;
use idf::jobs::elf::{run_suite, ElfConfig};

/// The flags of `idf validate`.
#[derive(Args)]
pub struct ValidateArgs {
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

/// Runs `idf validate`.
pub fn run(args: ValidateArgs) -> Result<()> {
    if args.out.extension().and_then(|e| e.to_str()) != Some("json") {
        anyhow::bail!(
            "--out: {}: the ELF report is written as JSON; name it .json",
            args.out.display()
        );
    }
    let config = match &args.config {
        Some(path) => Config::load(path)?,
        None => Config::default(),
    };
    let cfg = ElfConfig {
        trajectories: args.trajectories,
        seed: args.seed,
        heat_flow_r: args.heat_flow_r,
        ..ElfConfig::from_config(&config)
    };
    let ctx = super::context(args.backend.as_deref())?;
    let bar = super::progress::bar(0, "domains", "validating");
    let report = run_suite(&ctx, &cfg, &mut |domain, done, total| {
        bar.set_length(total as u64);
        bar.set_position(done as u64);
        bar.set_message(format!("validating {domain}"));
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
