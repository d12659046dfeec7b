//! Heat flow is φ⁴ with a = b = h = 0 under Langevin at T = 0: ρ ← ρ + r Δρ with r = κη.
//! A Fourier mode decays by the discrete amplification factor; mass is conserved; for r ≤ 1/4
//! the update is a doubly stochastic average, so the density entropy never decreases.

use idf::{
    EnergyModel, Field, Method, Observable, RunConfig, Shape, Simulation, TemperatureSchedule,
};

fn heat_model() -> EnergyModel {
    EnergyModel::from_params(
        "phi4",
        &[
            ("kappa".into(), "1".into()),
            ("a".into(), "0".into()),
            ("b".into(), "0".into()),
        ],
    )
    .unwrap()
}

fn heat_run(r: f32, steps: u64) -> RunConfig {
    RunConfig {
        method: Method::Langevin,
        step_size: r,
        schedule: TemperatureSchedule::constant(0.0),
        steps,
        record_every: 1,
        ..RunConfig::default()
    }
}

on_both! {
    fn fourier_mode_decays_by_the_amplification_factor(ctx: &Context) {
        let (l, steps, r) = (32usize, 50u64, 0.2f32);
        let (kx, ky) = (2.0 * std::f64::consts::PI * 3.0 / l as f64, 2.0 * std::f64::consts::PI * 2.0 / l as f64);
        let mode = |i: usize| ((kx * (i % l) as f64) + ky * (i / l) as f64).cos();
        let shape = Shape::new(1, 1, l, l).unwrap();
        let init: Vec<f32> = (0..l * l).map(|i| (1.0 + 0.1 * mode(i)) as f32).collect();
        let mut sim = Simulation::new(ctx, &heat_model(), &Field::from_vec(shape, init).unwrap(), 1).unwrap();
        sim.run(&heat_run(r, steps), &mut |_, _| {}).unwrap();
        let out = sim.field().unwrap();
        let g = 1.0 - 4.0 * r as f64 * ((kx / 2.0).sin().powi(2) + (ky / 2.0).sin().powi(2));
        let amplitude = 0.1 * g.powi(steps as i32);
        // f32 round-off: a few operations per site per step, each ≤ ε·|ρ| with |ρ| ≤ 1.1.
        let bound = steps as f64 * 6.0 * f32::EPSILON as f64 * 1.1;
        for (i, v) in out.data().iter().enumerate() {
            let exact = 1.0 + amplitude * mode(i);
            assert!((*v as f64 - exact).abs() <= bound, "site {i}: {v} vs {exact} (bound {bound:e})");
        }
        let projected: f64 = out.data().iter().enumerate().map(|(i, v)| (*v as f64 - 1.0) * mode(i)).sum::<f64>()
            / (0..l * l).map(|i| mode(i).powi(2)).sum::<f64>();
        assert!((projected - amplitude).abs() <= 1e-4 * amplitude.abs() + bound, "amplitude {projected} vs {amplitude}");
    }
}

on_both! {
    fn mass_is_conserved_and_entropy_never_decreases(ctx: &Context) {
        let shape = Shape::new(4, 1, 32, 32).unwrap();
        let mut density = Field::random_normal(shape, 4, 0.5).unwrap();
        density.data_mut().iter_mut().for_each(|v| *v = v.exp());
        for r in [0.1f32, 0.25] {
            let mut sim = Simulation::new(ctx, &heat_model(), &density, 1).unwrap();
            let trace = sim.run(&heat_run(r, 200), &mut |_, _| {}).unwrap();
            for c in 0..shape.chains {
                let m0 = trace.value(Observable::Sum, 0, c).unwrap();
                for rec in 1..trace.records.len() {
                    let m = trace.value(Observable::Sum, rec, c).unwrap();
                    assert!(((m - m0) / m0).abs() <= 1e-6, "r={r} chain {c} record {rec}: mass {m} vs {m0}");
                }
                // S ≈ ln N ≈ 7 is computed in f32: round-off ~ a few ε·ln N.
                for (steps, ds) in trace.deltas(Observable::DensityEntropy, c) {
                    assert_eq!(steps, 1);
                    assert!(ds >= -8.0 * f32::EPSILON as f64 * 7.0, "r={r} chain {c}: entropy fell by {ds:e}");
                }
                let first = trace.value(Observable::DensityEntropy, 0, c).unwrap();
                let last = trace.value(Observable::DensityEntropy, trace.records.len() - 1, c).unwrap();
                assert!(last > first + 0.01, "entropy must rise as the density smooths: {first} -> {last}");
            }
        }
    }
}

on_both! {
    fn unstable_step_lowers_entropy(ctx: &Context) {
        let shape = Shape::new(2, 1, 32, 32).unwrap();
        let mut density = Field::random_normal(shape, 4, 0.5).unwrap();
        density.data_mut().iter_mut().for_each(|v| *v = v.exp());
        let mut sim = Simulation::new(ctx, &heat_model(), &density, 1).unwrap();
        let trace = sim.run(&heat_run(0.3, 60), &mut |_, _| {}).unwrap();
        let drops = trace.deltas(Observable::DensityEntropy, 0).iter().filter(|(_, ds)| ds.is_nan() || *ds < -1e-3).count();
        assert!(drops > 0, "past r = 1/4 the checkerboard mode grows and the entropy must fall");
    }
}
