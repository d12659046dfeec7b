//! Criterion benchmarks (`make bench`): φ⁴ Langevin, one step and a 1000-step trajectory, at 64²,
//! 256² and 1024² with 1 and 32 chains; checkerboard Ising sweeps (site updates per second);
//! the energy + entropy reduction at 256²; a server's fixed cost per tiny request on the GPU,
//! with and without reused buffers. Each on the CPU path and, where an adapter exists, the
//! GPU. Speed is measured here, never asserted in tests. Under `cargo test` (no `--bench`) every
//! benchmark runs once on the smallest size, so they stay compiled and working.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use idf::{Context, EnergyModel, Histogram, RunConfig, Simulation, StepRule};

fn full_run() -> bool {
    std::env::args().any(|a| a == "--bench")
}

fn backends() -> Vec<(&'static str, Context)> {
    let mut b = vec![("cpu", Context::cpu())];
    if let Ok(gpu) = Context::gpu() {
        b.push(("gpu", gpu));
    }
    b
}

fn configs() -> Vec<(usize, usize)> {
    if full_run() {
        [64, 256, 1024]
            .iter()
            .flat_map(|s| [(*s, 1), (*s, 32)])
            .collect()
    } else {
        vec![(64, 1)]
    }
}

fn phi4(ctx: &Context, size: usize, chains: usize) -> Simulation {
    let model = EnergyModel::from_params("phi4", &[]).unwrap();
    let shape = model.shape(chains, Some([size, size])).unwrap();
    Simulation::new(ctx, &model, &model.initial_field(shape, 1).unwrap(), 1).unwrap()
}

fn langevin(c: &mut Criterion) {
    let rule = StepRule::langevin(0.02, 1.0);
    let trajectory = if full_run() { 1000 } else { 10 };
    for (name, ctx) in backends() {
        for (size, chains) in configs() {
            let id = format!("{name}/{size}x{size}x{chains}");
            let mut sim = phi4(&ctx, size, chains);
            let mut group = c.benchmark_group("phi4_langevin_step");
            group
                .sample_size(10)
                .throughput(Throughput::Elements((size * size * chains) as u64));
            group.bench_function(BenchmarkId::from_parameter(&id), |b| {
                b.iter(|| {
                    sim.advance(1, &|_| rule, &|_| false, &mut |_, _| {})
                        .unwrap()
                })
            });
            group.finish();
            let mut group = c.benchmark_group("phi4_langevin_1000_steps");
            group.sample_size(10);
            group.bench_function(BenchmarkId::from_parameter(&id), |b| {
                b.iter(|| {
                    sim.advance(trajectory, &|_| rule, &|_| false, &mut |_, _| {})
                        .unwrap();
                    sim.field().unwrap()
                })
            });
            group.finish();
        }
    }
}

fn ising_sweeps(c: &mut Criterion) {
    let size = if full_run() { 256 } else { 32 };
    let sweeps = 10;
    let model = EnergyModel::from_params("ising", &[]).unwrap();
    let shape = model.shape(1, Some([size, size])).unwrap();
    let mut group = c.benchmark_group("ising_checkerboard_sweeps");
    group
        .sample_size(10)
        .throughput(Throughput::Elements((size * size) as u64 * sweeps));
    for (name, ctx) in backends() {
        let mut sim = Simulation::new(
            &ctx,
            &model,
            &idf::Field::random_spins(shape, 1).unwrap(),
            1,
        )
        .unwrap();
        let rule = StepRule::Metropolis {
            step_size: 1.0,
            temperature: 2.3,
        };
        group.bench_function(
            BenchmarkId::from_parameter(format!("{name}/{size}x{size}")),
            |b| {
                b.iter(|| {
                    sim.advance(sweeps, &|_| rule, &|_| false, &mut |_, _| {})
                        .unwrap()
                })
            },
        );
    }
    group.finish();
}

fn reduction(c: &mut Criterion) {
    let size = if full_run() { 256 } else { 32 };
    let histogram = Histogram::new(-3.0, 3.0, 64).unwrap();
    let mut group = c.benchmark_group("energy_entropy_reduction");
    group
        .sample_size(10)
        .throughput(Throughput::Elements((size * size) as u64));
    for (name, ctx) in backends() {
        let mut sim = phi4(&ctx, size, 1);
        group.bench_function(
            BenchmarkId::from_parameter(format!("{name}/{size}x{size}")),
            |b| b.iter(|| sim.chain_stats(Some(histogram)).unwrap()),
        );
    }
    group.finish();
}

/// A server's fixed cost per tiny request (φ⁴ 32² × 2 chains, one recorded Langevin step and
/// the field read back) on the GPU: a new simulation on new buffers, a new simulation on buffers
/// that the previous one gave back (`Context::keep_gpu_buffers`), and one simulation kept.
fn request_overhead(c: &mut Criterion) {
    let Ok(ctx) = Context::gpu() else {
        return;
    };
    let model = EnergyModel::from_params("phi4", &[]).unwrap();
    let start = model
        .initial_field(model.shape(2, Some([32, 32])).unwrap(), 1)
        .unwrap();
    let run = RunConfig {
        steps: 1,
        ..RunConfig::default()
    };
    let request = |ctx: &Context| {
        let mut sim = Simulation::new(ctx, &model, &start, 1).unwrap();
        sim.run(&run, &mut |_, _| {}).unwrap();
        sim.field().unwrap()
    };
    let mut group = c.benchmark_group("request_overhead");
    group.sample_size(if full_run() { 100 } else { 10 });
    ctx.keep_gpu_buffers(0);
    group.bench_function("gpu/new_buffers", |b| b.iter(|| request(&ctx)));
    ctx.keep_gpu_buffers(64 << 20);
    group.bench_function("gpu/pooled_buffers", |b| b.iter(|| request(&ctx)));
    let mut kept = Simulation::new(&ctx, &model, &start, 1).unwrap();
    group.bench_function("gpu/kept_simulation", |b| {
        b.iter(|| {
            kept.seek(0);
            kept.set_field(&start).unwrap();
            kept.run(&run, &mut |_, _| {}).unwrap();
            kept.field().unwrap()
        })
    });
    group.finish();
}

criterion_group!(benches, langevin, ising_sweeps, reduction, request_overhead);
criterion_main!(benches);
