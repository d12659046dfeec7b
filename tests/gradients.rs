//! Every registered energy's gradient (GPU kernel and CPU twin) against central finite
//! differences of its energy, with the example and third-derivative bound its host file gives. The tolerance is the finite-difference error bound: truncation h²/6·max|E'''| plus
//! f32 round-off 2·ε·Σ|site energies|/h, doubled.

use idf::{Context, EnergyModel, Simulation};

fn check_gradient(
    ctx: &Context,
    model: &EnergyModel,
    size: Option<[usize; 2]>,
    third_derivative: f64,
) {
    let shape = model.shape(1, size).unwrap();
    let x = idf::Field::random_normal(shape, 17, 0.8).unwrap();
    let mut sim = Simulation::new(ctx, model, &x, 1).unwrap();
    let grad = sim.energy_gradient(1.0).unwrap();
    let e0 = sim.energies().unwrap()[0];
    let h = 1e-2f64;
    for i in 0..shape.len() {
        let mut energy_at = |delta: f64| {
            let mut y = x.clone();
            y.data_mut()[i] += delta as f32;
            let actual = (y.data()[i] - x.data()[i]) as f64;
            sim.set_field(&y).unwrap();
            (sim.energies().unwrap()[0], actual)
        };
        let ((ep, dp), (em, dm)) = (energy_at(h), energy_at(-h));
        let fd = (ep - em) / (dp - dm);
        let scale = e0.abs() + ep.abs() + 10.0;
        let tol = 2.0 * (h * h / 6.0 * third_derivative + 2.0 * f32::EPSILON as f64 * scale / h);
        let g = grad.data()[i] as f64;
        assert!(
            (g - fd).abs() <= tol,
            "{} site {i}: gradient {g} vs finite difference {fd} (tolerance {tol:e})",
            model.name()
        );
    }
}

on_both! {
    fn every_registered_energy_gradient(ctx: &Context) {
        for spec in idf::REGISTRY {
            let example = (spec.example)();
            if ctx.backend() == idf::Backend::Cpu && example.model.energy().twin().is_none() {
                continue; // GPU only (a custom WGSL energy)
            }
            if example.model.state().is_categorical() {
                continue; // labels have no gradient (tests/placement.rs checks move deltas)
            }
            check_gradient(ctx, &example.model, example.size, example.third_derivative);
        }
    }
}

on_both! {
    fn guided_phi4_gradient(ctx: &Context) {
        let target: Vec<f32> = (0..24).map(|i| (i as f32 * 0.37).sin()).collect();
        let guidance = idf::engine::energies::Guidance { lambda: 0.8, target, height: 4, width: 6 };
        let model = EnergyModel::from_params("phi4", &[]).unwrap().with_guidance(guidance).unwrap();
        // The guidance term is quadratic: the third derivative is φ⁴'s 6bφ.
        check_gradient(ctx, &model, Some([4, 6]), 6.0 * 4.0);
    }
}
