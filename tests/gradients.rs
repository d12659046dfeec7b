//! Every energy's gradient (GPU kernel and CPU twin) against central finite differences of its
//! energy. The tolerance is the finite-difference error bound: truncation h²/6·max|E'''| plus
//! f32 round-off 2·ε·Σ|site energies|/h, doubled.

mod common;

use idf::{Context, EnergyModel, Simulation};

fn check_gradient(
    ctx: &Context,
    model: &EnergyModel,
    size: Option<[usize; 2]>,
    third_derivative: f64,
) {
    let shape = model.shape(1, size).unwrap();
    let x = idf::Field::random_normal(shape, 17, 0.8);
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
    fn phi4_gradient(ctx: &Context) {
        let model = EnergyModel::from_params("phi4", &[("kappa".into(), "0.7".into()), ("h".into(), "0.3".into())]).unwrap();
        // E''' = 6bφ per site; |φ| < 4 for these draws.
        check_gradient(ctx, &model, Some([4, 6]), 6.0 * 4.0);
    }
}

on_both! {
    fn ising_gradient(ctx: &Context) {
        let model = EnergyModel::from_params("ising", &[("h".into(), "0.4".into())]).unwrap();
        // The multilinear extension has no curvature along one coordinate.
        check_gradient(ctx, &model, Some([4, 4]), 0.0);
    }
}

on_both! {
    fn gmm_gradient(ctx: &Context) {
        let model = EnergyModel::from_params("gmm", &[]).unwrap();
        // |E'''| of −ln of a mixture is bounded by a few /σ_min³ = 8; take 8·8.
        check_gradient(ctx, &model, None, 64.0);
    }
}

on_both! {
    fn swift_hohenberg_gradient(ctx: &Context) {
        let model = EnergyModel::from_params("swift_hohenberg", &[("epsilon".into(), "0.2".into()), ("g".into(), "0.5".into())]).unwrap();
        // The third derivative is 6ψ − 2g per site (the (1+Δ)² part is quadratic); |ψ| < 4 here.
        check_gradient(ctx, &model, Some([6, 6]), 6.0 * 4.0 + 1.0);
    }
}

on_both! {
    fn guided_phi4_gradient(ctx: &Context) {
        let target: Vec<f32> = (0..24).map(|i| (i as f32 * 0.37).sin()).collect();
        let guidance = idf::core::energy_field::Guidance { lambda: 0.8, target, height: 4, width: 6 };
        let model = EnergyModel::from_params("phi4", &[]).unwrap().with_guidance(guidance).unwrap();
        // The guidance term is quadratic: the third derivative is φ⁴'s 6bφ.
        check_gradient(ctx, &model, Some([4, 6]), 6.0 * 4.0);
    }
}
