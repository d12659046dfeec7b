//! The counter-based generator: the GPU draws the same numbers as the CPU, the draws are standard
//! normal, and runs are reproducible by seed.

use crate::common;

use idf::cpu::shared::rng::{gaussian, pcg4d, rng_draw, unit_closed_open};
use idf::{Context, EnergyModel, Field, Simulation, StepRule};

/// One step with c_x = c_grad = 0, c_noise = 1 writes the raw Gaussian draw of every site.
fn draws(ctx: &Context, seed: u32) -> Field {
    let model = EnergyModel::from_params("phi4", &[]).unwrap();
    let shape = model.shape(4, Some([64, 64])).unwrap();
    let mut sim = Simulation::new(ctx, &model, &Field::zeros(shape).unwrap(), seed).unwrap();
    let rule = StepRule::Drift {
        c_x: 0.0,
        c_grad: 0.0,
        c_noise: 1.0,
        alpha_bar: 1.0,
        temperature: 1.0,
    };
    sim.advance(1, &|_| rule, &|_| false, &mut |_, _| {})
        .unwrap();
    sim.field().unwrap()
}

#[test]
fn gpu_draws_equal_cpu_draws() {
    common::on_gpu(|gpu| {
        let (a, b) = (draws(&Context::cpu(), 5), draws(gpu, 5));
        // Same integers; Box-Muller's log and cos may differ in the last bits between libm and the
        // GPU, which bounds the difference by a few f32 ulps of |z| <= 6.
        let worst = a
            .data()
            .iter()
            .zip(b.data())
            .map(|(x, y)| (x - y).abs())
            .fold(0.0, f32::max);
        assert!(
            worst <= 1e-5,
            "GPU and CPU Gaussian draws differ by {worst:e}"
        );
    });
}

#[test]
fn draws_are_standard_normal_and_seeded() {
    let z = draws(&Context::cpu(), 5);
    let n = z.data().len() as f64;
    let m = z.data().iter().map(|v| *v as f64).sum::<f64>() / n;
    let m2 = z.data().iter().map(|v| (*v as f64).powi(2)).sum::<f64>() / n;
    let m4 = z.data().iter().map(|v| (*v as f64).powi(4)).sum::<f64>() / n;
    // Standard errors of the sample mean, variance and fourth moment of N(0,1): 1, √2, √96 over √n.
    common::assert_within_stderr("mean", m, (1.0 / n).sqrt(), 0.0, 4.5);
    common::assert_within_stderr("variance", m2, (2.0 / n).sqrt(), 1.0, 4.5);
    common::assert_within_stderr("fourth moment", m4, (96.0 / n).sqrt(), 3.0, 4.5);
    assert_eq!(z, draws(&Context::cpu(), 5), "same seed, same draws");
    assert_ne!(z, draws(&Context::cpu(), 6), "another seed, other draws");
}

#[test]
fn streams_sites_and_steps_are_distinct_keys() {
    let base = rng_draw(3, 1, 10, 42, 0);
    assert_ne!(base, rng_draw(4, 1, 10, 42, 0));
    assert_ne!(base, rng_draw(3, 2, 10, 42, 0));
    assert_ne!(base, rng_draw(3, 1, 11, 42, 0));
    assert_ne!(base, rng_draw(3, 1, 10, 42, 1));
    assert_eq!(base, pcg4d([3, 1, 10, 42]));
    // Uniforms from consecutive counters are uniform: a chi-square over 16 bins.
    let n = 1 << 16;
    let mut bins = [0f64; 16];
    for i in 0..n {
        bins[(unit_closed_open(rng_draw(i, 0, 0, 1, 0)[2]) * 16.0) as usize] += 1.0;
    }
    let expected = n as f64 / 16.0;
    let chi2: f64 = bins.iter().map(|b| (b - expected).powi(2) / expected).sum();
    assert!(
        chi2 < 37.7,
        "chi-square {chi2} over 15 degrees of freedom (p < 0.001 above 37.7)"
    );
    assert!(gaussian(base).is_finite());
}

#[test]
fn random_spins_are_unbiased_and_uncorrelated() {
    // Mean spin and nearest-neighbour correlation of 2^16 spins: both 0 within 4.5/√n.
    let shape = idf::Shape::new(16, 1, 64, 64).unwrap();
    let f = Field::random_spins(shape, 3).unwrap();
    let n = f.data().len() as f64;
    let mean = f.data().iter().map(|s| *s as f64).sum::<f64>() / n;
    let corr = f
        .data()
        .windows(2)
        .map(|w| (w[0] * w[1]) as f64)
        .sum::<f64>()
        / (n - 1.0);
    common::assert_within_stderr("mean spin", mean, 1.0 / n.sqrt(), 0.0, 4.5);
    common::assert_within_stderr("neighbour correlation", corr, 1.0 / n.sqrt(), 0.0, 4.5);
}
