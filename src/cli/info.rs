//! `idf info`: the version, the compiled backends and the adapters found.

use anyhow::Result;
use clap::Args;
use serde_json::json;

use idf::Context;

/// The flags of `idf info`.
#[derive(Args)]
pub struct InfoArgs {
    /// Print one JSON object.
    #[arg(long)]
    json: bool,
}

/// Runs `idf info`.
pub fn run(args: InfoArgs) -> Result<()> {
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
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(());
    }
    println!("idf {}", env!("CARGO_PKG_VERSION"));
    println!("backends compiled: vulkan, metal, dx12, gl (wgpu) and cpu");
    if adapters.is_empty() {
        println!("adapters: none found");
    }
    for a in &adapters {
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
