//! Milliseconds per training step of IDF's denoisers (`idf::neural::train_denoiser`) in one
//! run on two devices: burn's wgpu backend on IDF's own GPU device (`idf::neural::use_context`
//! with `Context::gpu()`: the first GPU, lavapipe on a machine without one), and burn's CPU
//! backend (flex).
//!
//! ```text
//! cargo run --features neural-gpu --example neural_devices [STEPS]
//! ```
//!
//! Each figure is the difference of a run of STEPS and one of STEPS/2 steps after a warm-up
//! run, so that set-up and the first compilation of each kernel are left out.

use std::time::Instant;

use idf::engine::diffusion::EnergyScheduler;
use idf::neural::{train_denoiser, DenoiserShape, NetworkKind, PointDataset, TrainingOptions};

/// Times `steps` against `steps / 2` training steps of `shape` on `data` in batches of `batch`.
fn ms_per_step(data: &PointDataset, shape: DenoiserShape, batch: usize, steps: usize) -> f64 {
    let schedule = EnergyScheduler::cosine(1000).expect("a valid schedule");
    let run = |steps: usize| {
        let options = TrainingOptions {
            steps,
            batch_size: batch,
            ..TrainingOptions::default()
        };
        let start = Instant::now();
        train_denoiser(data, shape, &schedule, &options, &mut |_, _| {}).expect("training runs");
        start.elapsed().as_secs_f64()
    };
    run(steps / 2);
    let short = run(steps / 2);
    let long = run(steps);
    1e3 * (long - short) / (steps - steps / 2) as f64
}

/// `n` points of `dim` coordinates spread over [−1, 1).
fn points(n: usize, dim: usize) -> PointDataset {
    let values = (0..n * dim)
        .map(|i| (i * 7919 % 1000) as f32 / 500.0 - 1.0)
        .collect();
    PointDataset::unconditional(values, dim)
}

fn main() {
    let steps: usize = std::env::args()
        .nth(1)
        .map_or(40, |s| s.parse().expect("STEPS: a whole number"));
    let gpu = idf::Context::gpu().expect("a GPU adapter (lavapipe will do)");
    let maps = DenoiserShape {
        dim: 64,
        map: [1, 8, 8],
        ..DenoiserShape::default()
    };
    let unet = DenoiserShape {
        network: NetworkKind::UNet,
        channels: 16,
        ..maps
    };
    let cases = [
        (
            "MLP, 2-D points, batch 256",
            points(4096, 2),
            DenoiserShape::default(),
            256,
            steps,
        ),
        (
            "MLP, 8×8 maps, batch 256",
            points(512, 64),
            maps,
            256,
            steps,
        ),
        (
            "U-Net of 16 channels, 8×8 maps, batch 64",
            points(512, 64),
            unet,
            64,
            steps / 2,
        ),
    ];
    for (label, data, shape, batch, steps) in cases {
        let mut times = Vec::new();
        for ctx in [&gpu, &idf::Context::cpu()] {
            let device = idf::neural::use_context(ctx).expect("burn takes the device");
            let ms = ms_per_step(&data, shape, batch, steps);
            times.push(format!("{device:?} {ms:.2} ms/step"));
        }
        println!("{label}: {}", times.join(", "));
    }
}
