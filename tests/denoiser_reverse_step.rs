//! A learned denoiser's reverse step, `shaders/denoiser_reverse_step.wgsl` against its CPU twin
//! (`idf::cpu::denoiser_reverse_step`): the starting noise, a DDPM step, a DDIM step and a
//! guided step (an energy's gradient added) of a chunk whose noise keys wrap past 2³².

use idf::cpu::denoiser_reverse_step;
use idf::gpu::denoiser_reverse_step::ReverseStepBuffers;
use idf::kernels::denoiser_reverse_step::ReverseStep;

use crate::common;

/// Each step is compared on the values the GPU had before it, so that one step's difference is
/// measured: the noise's Box–Muller may differ by 1e-5 per unit draw between libm and the
/// device (as in `rng.rs`), and the sum of up to four terms by a rounding of each (the device
/// may fuse a multiply and an add), 3·ε_f32 of their magnitudes in all.
#[test]
fn the_reverse_step_kernel_computes_what_its_twin_computes() {
    common::on_gpu(|ctx| {
        let gpu = ctx.gpu_context().expect("a GPU context");
        let count = 1000;
        let buffers = ReverseStepBuffers::new(gpu, count, true).unwrap();
        let eps: Vec<f32> = (0..count).map(|i| (i as f32 * 0.37).sin() * 2.0).collect();
        let grad: Vec<f32> = (0..count).map(|i| (i as f32 * 0.11).cos() * 5.0).collect();
        gpu.queue
            .write_buffer(buffers.eps(), 0, bytemuck::cast_slice(&eps));
        gpu.queue
            .write_buffer(buffers.grad(), 0, bytemuck::cast_slice(&grad));
        let start = ReverseStep::start(count as u32, u32::MAX - 400, 7);
        let steps = [
            start,
            start.then(1, 1.02, -0.31, 0.12),
            start.then(2, 0.97, 0.23, 0.0),
            start.then(3, 1.01, -0.28, 0.09).with_gradient(-0.04),
        ];
        let mut before = vec![0.0f32; count];
        for (k, step) in steps.iter().enumerate() {
            buffers.step(gpu, step).unwrap();
            let on_gpu = buffers.read_x(gpu).unwrap();
            let mut on_cpu = before.clone();
            denoiser_reverse_step::run(step, &mut on_cpu, &eps, &grad);
            for (i, (a, b)) in on_cpu.iter().zip(&on_gpu).enumerate() {
                let drift = step.c_x * before[i] + step.c_eps * eps[i] + step.c_grad * grad[i];
                let noise = if step.sigma != 0.0 {
                    (b - drift) / step.sigma
                } else {
                    0.0
                };
                let terms = (step.c_x * before[i]).abs()
                    + (step.c_eps * eps[i]).abs()
                    + (step.c_grad * grad[i]).abs()
                    + (step.sigma * noise).abs();
                let bound = 1e-5 * step.sigma * (1.0 + noise.abs()) + 3.0 * f32::EPSILON * terms;
                assert!(
                    (a - b).abs() <= bound,
                    "step {k}, value {i}: {a} on the CPU, {b} on the GPU (bound {bound:e})"
                );
            }
            assert!(on_gpu.iter().all(|v| v.is_finite()));
            before = on_gpu;
        }
        // The noise's keys wrap: value 401 is keyed 0, like value 0 of a chunk at offset 0.
        let mut first = [0.0f32; 1];
        denoiser_reverse_step::run(&ReverseStep::start(1, 0, 7), &mut first, &[], &[]);
        let mut wrapped = vec![0.0f32; count];
        denoiser_reverse_step::run(&start, &mut wrapped, &[], &[]);
        assert_eq!(wrapped[401], first[0]);
        // A step over fewer values leaves the others; over more is refused, naming `count`.
        let mut part = start.then(4, 2.0, 0.0, 0.0);
        part.count = 10;
        buffers.step(gpu, &part).unwrap();
        let after = buffers.read_x(gpu).unwrap();
        assert_eq!(after[10..], before[10..]);
        assert_eq!(after[3], 2.0 * before[3]);
        let mut over = start;
        over.count = count as u32 + 1;
        let err = buffers.step(gpu, &over).unwrap_err().to_string();
        assert!(err.contains("count"), "{err}");
        // Buffers made without a gradient refuse a step with one, naming `c_grad`.
        let unguided = ReverseStepBuffers::new(gpu, count, false).unwrap();
        let err = unguided
            .step(gpu, &start.then(1, 1.0, 0.0, 0.0).with_gradient(1.0))
            .unwrap_err()
            .to_string();
        assert!(err.contains("c_grad"), "{err}");
    });
}
