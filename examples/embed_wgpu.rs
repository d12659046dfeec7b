//! Bring your own wgpu device: a VR, art or simulation tool creates the device, hands it to IDF
//! with `Context::from_wgpu`, steps a field, and then uses IDF's buffer directly (here: copies it
//! into a buffer of its own, as a renderer would bind it). `cargo run --example embed_wgpu`.

use idf::{Context, EnergyModel, Simulation, StepRule};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // The host application's own device.
    let instance =
        wgpu::Instance::new(wgpu::InstanceDescriptor::new_without_display_handle_from_env());
    let Ok(adapter) =
        pollster::block_on(instance.request_adapter(&wgpu::RequestAdapterOptions::default()))
    else {
        println!("no GPU adapter on this machine: nothing to embed into");
        return Ok(());
    };
    let (device, queue) = pollster::block_on(adapter.request_device(&wgpu::DeviceDescriptor {
        label: Some("host app"),
        required_limits: adapter.limits(),
        ..Default::default()
    }))?;

    // IDF on the host's device.
    let ctx = Context::from_wgpu(&adapter, device.clone(), queue.clone());
    println!("IDF adopted {}", ctx.describe());
    let model = EnergyModel::from_params("phi4", &[])?;
    let shape = model.shape(1, Some([64, 64]))?;
    let mut sim = Simulation::new(&ctx, &model, &model.initial_field(shape, 1).unwrap(), 1)?;
    sim.advance(
        200,
        &|_| StepRule::langevin(0.05, 0.5),
        &|_| false,
        &mut |_, _| {},
    )?;

    // The field lives in a wgpu::Buffer on the host's device: bind it, or copy it, no read-back.
    let field = sim
        .gpu_buffer()
        .expect("a GPU context keeps the field on the GPU");
    let host_buffer = device.create_buffer(&wgpu::BufferDescriptor {
        label: Some("host copy of the field"),
        size: field.size(),
        usage: wgpu::BufferUsages::COPY_DST | wgpu::BufferUsages::MAP_READ,
        mapped_at_creation: false,
    });
    let mut encoder = device.create_command_encoder(&Default::default());
    encoder.copy_buffer_to_buffer(field, 0, &host_buffer, 0, field.size());
    queue.submit([encoder.finish()]);
    host_buffer.map_async(wgpu::MapMode::Read, .., |r| r.expect("map"));
    device.poll(wgpu::PollType::wait_indefinitely())?;
    let values: Vec<f32> = bytemuck::cast_slice(&host_buffer.get_mapped_range(..)?).to_vec();
    let mean = values.iter().sum::<f32>() / values.len() as f32;
    println!(
        "the host read {} values from IDF's buffer; mean field {mean:.4}, matching IDF's own download: {}",
        values.len(),
        values == sim.field()?.into_vec()
    );
    Ok(())
}
