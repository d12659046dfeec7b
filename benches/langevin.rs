//! Criterion benchmarks: Langevin steps of φ⁴ on the CPU twin and, where an adapter exists, the
//! GPU. Speed lives here, never in timed tests.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use idf::{Context, EnergyModel, Simulation, StepRule};

fn langevin_steps(c: &mut Criterion) {
    let model = EnergyModel::from_params("phi4", &[]).unwrap();
    let mut backends = vec![("cpu", Context::cpu())];
    if let Ok(gpu) = Context::gpu() {
        backends.push(("gpu", gpu));
    }
    let mut group = c.benchmark_group("phi4_langevin_100_steps");
    group.sample_size(10);
    for (name, ctx) in &backends {
        for size in [64usize, 256] {
            let shape = model.shape(1, Some([size, size])).unwrap();
            let mut sim = Simulation::new(ctx, &model, &model.initial_field(shape, 1), 1).unwrap();
            let rule = StepRule::langevin(0.02, 1.0);
            group.bench_function(BenchmarkId::new(*name, format!("{size}x{size}")), |b| {
                b.iter(|| {
                    sim.advance(100, &|_| rule, &|k| k == 100, &mut |_, _| {})
                        .unwrap()
                })
            });
        }
    }
    group.finish();
}

criterion_group!(benches, langevin_steps);
criterion_main!(benches);
