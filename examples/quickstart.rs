//! Sample a φ⁴ field and print its energy: `cargo run --example quickstart`.

use idf::{Context, EnergyModel, Method, RunConfig, Simulation, TemperatureSchedule};

fn main() -> idf::Result<()> {
    let ctx = Context::new()?;
    println!("computing on {}", ctx.describe());
    let model = EnergyModel::from_params("phi4", &[("kappa".into(), "0.5".into())])?;
    let shape = model.shape(4, Some([128, 128]))?;
    let mut sim = Simulation::new(&ctx, &model, &model.initial_field(shape, 7).unwrap(), 7)?;
    let trace = sim.run(
        &RunConfig {
            method: Method::Langevin,
            step_size: 0.02,
            schedule: TemperatureSchedule::constant(1.0),
            burn_in: 200,
            steps: 800,
            record_every: 100,
            ..RunConfig::default()
        },
        &mut |_, _| {},
    )?;
    let sites = shape.sites_per_chain() as f64;
    for (chain, energy) in trace.energies(trace.records.len() - 1).iter().enumerate() {
        println!(
            "chain {chain}: E = {energy:.2} ({:.4} per site)",
            energy / sites
        );
    }
    Ok(())
}
