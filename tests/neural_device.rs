//! The burn device the denoisers run on, chosen from an IDF context
//! (`idf::neural::use_context`): burn's CPU backend for the CPU context; for a GPU context,
//! burn's wgpu backend on IDF's own wgpu device when built with `neural-gpu` (the CPU backend
//! otherwise). The same weights predict the same ε on both, within f32 rounding.

use idf::engine::diffusion::EnergyScheduler;
use idf::neural::{
    device_name, use_context, DenoiserShape, DenoiserTraining, PointDataset, TrainingOptions,
};
use idf::Context;

/// 256 points of 2 coordinates spread over [−1, 1).
fn points() -> PointDataset {
    let values = (0..512)
        .map(|i| (i * 7919 % 1000) as f32 / 500.0 - 1.0)
        .collect();
    PointDataset::unconditional(values, 2)
}

/// The denoisers follow the context they are given. A network trained for a few steps on the
/// CPU, loaded again on the GPU context's device, predicts the CPU's ε within 1e-4·(1 + |ε|):
/// each output passes through four layers of at most 128-term f32 sums, each rounding at
/// 6e-8 of its magnitude (activations of order 1), about 3e-5 in all, with a margin of three.
/// The device is the process's: built with `neural-gpu`, run the neural tests one at a time
/// (`--test-threads=1`), since this one moves the others to IDF's device while it runs.
#[test]
fn the_denoisers_run_on_the_device_of_their_context() {
    let data = points();
    let schedule = EnergyScheduler::cosine(100).unwrap();
    let options = TrainingOptions {
        steps: 5,
        batch_size: 64,
        ..TrainingOptions::default()
    };
    let cpu = format!("{:?}", use_context(&Context::cpu()).unwrap());
    assert!(cpu.contains("Flex"), "{cpu}");
    assert_eq!(device_name(), cpu);
    let mut run =
        DenoiserTraining::start(&data, DenoiserShape::default(), &schedule, &options).unwrap();
    while run.next_step() < options.steps {
        run.step(&data).unwrap();
    }
    let state = run.state().unwrap();
    let x: Vec<f32> = data.samples[..64].to_vec();
    let on_cpu = state.denoiser().unwrap().epsilon(&x, 40, None).unwrap();
    crate::common::on_gpu(|gpu| {
        let name = format!("{:?}", use_context(gpu).unwrap());
        if cfg!(feature = "neural-gpu") {
            assert!(name.contains("Wgpu"), "{name}");
        } else {
            assert_eq!(name, cpu, "without neural-gpu the network stays on the CPU");
        }
        // Registered with burn once per IDF device: the same burn device again.
        assert_eq!(format!("{:?}", use_context(gpu).unwrap()), name);
        let on_gpu = state.denoiser().unwrap().epsilon(&x, 40, None).unwrap();
        let largest = on_cpu
            .iter()
            .zip(&on_gpu)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0f32, f32::max);
        eprintln!("{name}: largest |Δε| against the CPU {largest:e}");
        for (k, (a, b)) in on_cpu.iter().zip(&on_gpu).enumerate() {
            assert!(
                (a - b).abs() <= 1e-4 * (1.0 + a.abs()),
                "ε[{k}]: {a} on the CPU, {b} on {name}"
            );
        }
    });
    use_context(&Context::cpu()).unwrap();
}
