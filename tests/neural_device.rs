//! The burn device the denoisers run on, chosen from an IDF context
//! (`idf::neural::device_for`, `use_context`): burn's CPU backend for the CPU context; for a GPU
//! context, burn's wgpu backend on IDF's own wgpu device when built with `neural-gpu` (the CPU
//! backend otherwise). The same weights predict the same ε on both, within f32 rounding, and
//! on IDF's device sampling keeps its values on the GPU.
//!
//! The tests move denoisers to the GPU's device with `Denoiser::on_device`, never the process's
//! device (`use_context`), which the other neural tests running beside them use.

use idf::engine::diffusion::EnergyScheduler;
use idf::neural::{
    device_for, device_name, fields_stay_on_gpu, use_context, DenoiserShape, DenoiserState,
    DenoiserTraining, EnergyGuidance, GuidingEnergy, NeuralSampler, PointDataset, Sampling,
    TrainingOptions,
};
use idf::{Context, EnergyModel, Field, Shape, Simulation};

/// 256 points of 2 coordinates spread over [−1, 1).
fn points() -> PointDataset {
    let values = (0..512)
        .map(|i| (i * 7919 % 1000) as f32 / 500.0 - 1.0)
        .collect();
    PointDataset::unconditional(values, 2)
}

/// 64 maps of 4×4 values spread over [−1, 1), as points of 16 coordinates.
fn maps() -> PointDataset {
    let values = (0..1024)
        .map(|i| (i * 7919 % 1000) as f32 / 500.0 - 1.0)
        .collect();
    PointDataset::unconditional(values, 16)
}

/// A network trained for 5 steps on the CPU, on a schedule of 100 timesteps.
fn trained(data: &PointDataset) -> DenoiserState {
    let schedule = EnergyScheduler::cosine(100).unwrap();
    let options = TrainingOptions {
        steps: 5,
        batch_size: 64,
        ..TrainingOptions::default()
    };
    let mut run =
        DenoiserTraining::start(data, DenoiserShape::default(), &schedule, &options).unwrap();
    while run.next_step() < options.steps {
        run.step(data).unwrap();
    }
    run.state().unwrap()
}

/// The denoisers follow the context they are given. A network trained for a few steps on the
/// CPU, moved to the GPU context's device, predicts the CPU's ε within 1e-4·(1 + |ε|): each
/// output passes through four layers of at most 128-term f32 sums, each rounding at 6e-8 of its
/// magnitude (activations of order 1), about 3e-5 in all, with a margin of three.
#[test]
fn the_denoisers_run_on_the_device_of_their_context() {
    let data = points();
    let cpu = format!("{:?}", use_context(&Context::cpu()).unwrap());
    assert!(cpu.contains("Flex"), "{cpu}");
    assert_eq!(device_name(), cpu);
    let denoiser = trained(&data).denoiser().unwrap();
    let x: Vec<f32> = data.samples[..64].to_vec();
    let on_cpu = denoiser.epsilon(&x, 40, None).unwrap();
    crate::common::on_gpu(|gpu| {
        let device = device_for(gpu).unwrap();
        let name = format!("{device:?}");
        if cfg!(feature = "neural-gpu") {
            assert!(name.contains("Wgpu"), "{name}");
            assert!(fields_stay_on_gpu(&device));
        } else {
            assert_eq!(name, cpu, "without neural-gpu the network stays on the CPU");
            assert!(!fields_stay_on_gpu(&device));
        }
        // Registered with burn once per IDF device: the same burn device again.
        assert_eq!(format!("{:?}", device_for(gpu).unwrap()), name);
        let on_gpu = denoiser
            .clone()
            .on_device(&device)
            .epsilon(&x, 40, None)
            .unwrap();
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
}

/// On IDF's own GPU (built with `neural-gpu`) a draw keeps its values on the device: the
/// starting noise and every reverse step are IDF's kernel on IDF's buffers, and the values pass
/// into the network and its ε̂ out by copies on the device. It draws what the host's reverse
/// steps draw with the same network on the same device (energy guidance by a host function
/// takes that path; here of weight 0), in two chunks (40 and 24 points). A copy out of order, a stale tensor or a
/// chunk's noise keyed wrong differ by the size of the values; what may differ otherwise is the
/// rounding of each step's update (the device may fuse a multiply and an add: 1 ulp) and the
/// device's log and cos in the noise (1e-5 a draw), which the later steps carry: 1e-3·(1 + |x|)
/// separates the two. Without `neural-gpu` both draws are the host's.
#[test]
fn a_draw_on_the_gpu_keeps_its_values_there_and_equals_the_hosts() {
    let data = points();
    let state = trained(&data);
    crate::common::on_gpu(|gpu| {
        let device = device_for(gpu).unwrap();
        let denoiser = state.denoiser().unwrap().on_device(&device);
        // The draw below takes the device's path exactly when this holds.
        assert_eq!(
            fields_stay_on_gpu(&denoiser.device()),
            cfg!(feature = "neural-gpu")
        );
        let zero = |x: &[f32]| Ok::<_, idf::IdfError>(vec![0.0; x.len()]);
        let host = EnergyGuidance {
            weight: 0.0,
            energy: GuidingEnergy::Host(&zero),
        };
        for sampler in [NeuralSampler::Ddim { steps: 10 }, NeuralSampler::Ddpm] {
            let how = Sampling {
                batch: 40,
                ..Sampling::new(sampler, 3)
            };
            let mut done = 0;
            let kept = denoiser
                .sample(64, None, &how, &mut |d, _| done = d)
                .unwrap();
            let steps = match sampler {
                NeuralSampler::Ddim { steps } => steps as u64,
                NeuralSampler::Ddpm => 100,
            };
            assert_eq!(done, 2 * steps, "progress over both chunks");
            let read = Sampling {
                energy: Some(&host),
                ..how
            };
            let on_host = denoiser.sample(64, None, &read, &mut |_, _| {}).unwrap();
            let largest = on_host
                .iter()
                .zip(&kept)
                .map(|(a, b)| (a - b).abs())
                .fold(0.0f32, f32::max);
            eprintln!(
                "{sampler:?}: largest |Δx| between the device's and the host's steps {largest:e}"
            );
            for (k, (a, b)) in on_host.iter().zip(&kept).enumerate() {
                assert!(
                    (a - b).abs() <= 1e-3 * (1.0 + a.abs()),
                    "{sampler:?}, x[{k}]: {a} by the host's steps, {b} on the device"
                );
            }
        }
    });
}

/// Energy guidance by an IDF model keeps a draw on IDF's GPU too: each step's ∇E is IDF's
/// kernel on the values' buffer. 24 maps of φ⁴ on 4×4 (T = 2, weight 1), DDPM in chunks of 16
/// and 8, draw what the host's steps draw with ∇E/T from the CPU's kernel (a host function,
/// which keeps the steps on the host). The draws start apart by the device's noise (1e-5 a
/// draw) and the rounding of the gradient's few terms; each guided step multiplies a
/// difference by c_x + c_grad·∂²E, within 1 + 1e-2 here (c_grad ≤ β_t/T, ∂²E = O(10)), so the
/// unguided bound, 1e-3·(1 + |x|), holds with room (measured: 2e-7). The two paths must differ
/// somewhere, or the device's was not taken; the guidance's own effect, far larger, is checked
/// to be there. On the CPU device (and without `neural-gpu`) the model's gradient runs on the
/// host and draws the host function's values bit for bit (1/T in the coefficient or in the
/// gradient: an exact halving either way).
#[test]
fn an_energy_guided_draw_on_the_gpu_computes_its_gradient_there() {
    let data = maps();
    let state = trained(&data);
    let model = EnergyModel::from_params("phi4", &[]).unwrap();
    let guided_by = |energy| EnergyGuidance {
        weight: 1.0,
        energy,
    };
    let on_device = guided_by(GuidingEnergy::Model {
        model: &model,
        temperature: 2.0,
        map: [1, 4, 4],
    });
    let cpu_gradient = |x: &[f32]| -> idf::Result<Vec<f32>> {
        let field = Field::from_vec(Shape::new(x.len() / 16, 1, 4, 4)?, x.to_vec())?;
        let mut sim = Simulation::new(&Context::cpu(), &model, &field, 0)?;
        Ok(sim
            .energy_gradient(1.0)?
            .data()
            .iter()
            .map(|g| g / 2.0)
            .collect())
    };
    let on_host = guided_by(GuidingEnergy::Host(&cpu_gradient));
    let draw = |denoiser: &idf::neural::Denoiser, energy: Option<&EnergyGuidance>| {
        let how = Sampling {
            batch: 16,
            energy,
            ..Sampling::new(NeuralSampler::Ddpm, 5)
        };
        denoiser.sample(24, None, &how, &mut |_, _| {}).unwrap()
    };
    let largest = |a: &[f32], b: &[f32]| {
        a.iter()
            .zip(b)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0f32, f32::max)
    };
    let on_cpu = state.denoiser().unwrap();
    let model_on_cpu = draw(&on_cpu, Some(&on_device));
    assert_eq!(model_on_cpu, draw(&on_cpu, Some(&on_host)));
    let unguided = draw(&on_cpu, None);
    let effect = largest(&model_on_cpu, &unguided);
    assert!(
        effect > 0.1,
        "the guidance moved no value by more than {effect}"
    );
    crate::common::on_gpu(|gpu| {
        let denoiser = state
            .denoiser()
            .unwrap()
            .on_device(&device_for(gpu).unwrap());
        let kept = draw(&denoiser, Some(&on_device));
        let read = draw(&denoiser, Some(&on_host));
        eprintln!(
            "largest |Δx| between the guided draws on the device and on the host {:e} (the \
             guidance moves values by up to {effect})",
            largest(&kept, &read)
        );
        if cfg!(feature = "neural-gpu") {
            assert_ne!(kept, read, "the model's draw did not run on the device");
        }
        for (k, (a, b)) in read.iter().zip(&kept).enumerate() {
            assert!(
                (a - b).abs() <= 1e-3 * (1.0 + a.abs()),
                "x[{k}]: {a} by the host's steps, {b} on the device"
            );
        }
    });
}
