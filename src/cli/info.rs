//! `idf info`: the version, the compiled backends and the adapters found.

use anyhow::Result;
use clap::Args;
use serde_json::json;

use idf::engine::fusion_plan::{self, FusionPlan};
use idf::jobs::scene::Scene;
use idf::{Config, Context};

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
    // The fusion plan of the default scene on the selected adapter (timed here, on first use).
    let scene = Scene::default_scene().resolve(&Config::default())?;
    let fusion = fusion_plan::plan(&ctx, &scene.model, scene.shape)?;
    let report = json!({
        "version": env!("CARGO_PKG_VERSION"),
        "backends": ["vulkan", "metal", "dx12", "gl", "cpu"],
        "adapters": adapters,
        "selected": {"backend": ctx.backend().to_string(), "adapter": ctx.adapter_name(),
                     "fallback_reason": ctx.fallback_reason()},
        "cpu_threads": rayon::current_num_threads(),
        "fusion": {"model": scene.model.name(), "shape": scene.shape.dims(), "plan": fusion,
                   "plan_file": fusion_plan::plan_file()},
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
    if let Some(plan) = &fusion {
        println!(
            "fusion ({} {:?}): {}",
            scene.model.name(),
            scene.shape.dims(),
            describe_plan(plan)
        );
        if let Some(file) = fusion_plan::plan_file() {
            println!("plan file: {}", file.display());
        }
        if let Some(note) = &plan.note {
            println!("note: {note}");
        }
    }
    Ok(())
}

/// `8 steps per dispatch (measured: 1 → 1.60 ms/step, 2 → ...)`.
fn describe_plan(plan: &FusionPlan) -> String {
    let chosen = match plan.fused_steps {
        1 => "1 step per dispatch (plain langevin_step)".to_string(),
        k => format!("{k} steps per langevin_fused dispatch"),
    };
    let timings: Vec<String> = plan
        .ms_per_step
        .iter()
        .map(|(k, ms)| format!("{k} → {ms:.3} ms/step"))
        .collect();
    format!("{chosen}; {:?}: {}", plan.source, timings.join(", "))
}
