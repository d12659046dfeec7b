//! Samplers against closed forms. Sites are independent (kappa = 0), so the exact moments are
//! one-dimensional integrals. Tolerances are 4.5 standard errors from the integrated
//! autocorrelation time (false alarm probability ~7e-6 per comparison).

use crate::common::{assert_within_stderr, boltzmann_second_moment, ising_energy, ising_spin};
use idf::jobs::config::Config;
use idf::jobs::sample::{sample, SampleReport};
use idf::jobs::scene::SceneParam;
use idf::{Context, Method, Scene};

const Z: f64 = 4.5;

/// A scene of `model` with `params` sampled by `method`: 4 chains of 32×32, 100 burn-in and
/// 1000 steps recorded every 10, at T = 1.
fn spec(model: &str, params: &[(&str, &str)], method: Method) -> Scene {
    Scene {
        model: Some(model.to_string()),
        params: params
            .iter()
            .map(|(k, v)| (k.to_string(), SceneParam::Text(v.to_string())))
            .collect(),
        size: Some([32, 32]),
        chains: Some(4),
        integrator: Some(method.name().to_string()),
        steps: Some(1000),
        burn_in: Some(100),
        record_every: Some(10),
        temperature: Some(1.0),
        seed: Some(2024),
        ..Scene::default()
    }
}

fn sampled(ctx: &Context, s: &Scene) -> SampleReport {
    let job = s.resolve(&Config::default()).unwrap();
    sample(ctx, &job, &mut |_, _| {}).unwrap()
}

fn mean_square(ctx: &Context, s: &Scene) -> idf::Estimate {
    sampled(ctx, s)
        .estimates
        .iter()
        .find(|(k, _)| *k == "mean_square")
        .unwrap()
        .1
}

const GAUSSIAN: [(&str, &str); 4] = [("kappa", "0"), ("a", "1"), ("b", "0"), ("h", "0")];
const DOUBLE_WELL: [(&str, &str); 4] = [("kappa", "0"), ("a", "-1"), ("b", "1"), ("h", "0")];

fn double_well_exact() -> f64 {
    boltzmann_second_moment(|x| -0.5 * x * x + 0.25 * x.powi(4), 1.0, 8.0)
}

on_both! {
    /// ULA on E = a x²/2 has the stationary variance T / (a (1 − ηa/2)), not T/a: the test sees
    /// the step-size bias and tells it apart from the exact value.
    fn ula_quadratic_has_the_closed_form_step_size_bias(ctx: &Context) {
        let eta = 0.2;
        let mut s = spec("phi4", &GAUSSIAN, Method::Langevin);
        s.step_size = Some(eta as f32);
        s.steps = Some(2000);
        let est = mean_square(ctx, &s);
        let biased = 1.0 / (1.0 - eta / 2.0);
        let se = est.stderr.unwrap();
        assert_within_stderr("ULA variance", est.mean, se, biased, Z);
        assert!((est.mean - 1.0).abs() > 10.0 * se, "the bias {biased} must be resolved from 1 (se {se})");
    }
}

on_both! {
    fn mala_reproduces_gaussian_moments(ctx: &Context) {
        let mut s = spec("phi4", &GAUSSIAN, Method::Mala);
        s.size = Some([4, 4]);
        s.chains = Some(1024);
        s.step_size = Some(0.4);
        s.steps = Some(600);
        s.record_every = Some(5);
        let est = mean_square(ctx, &s);
        assert_within_stderr("MALA Gaussian <x^2>", est.mean, est.stderr.unwrap(), 1.0, Z);
    }
}

on_both! {
    fn mala_reproduces_double_well_moments(ctx: &Context) {
        let mut s = spec("phi4", &DOUBLE_WELL, Method::Mala);
        s.size = Some([4, 4]);
        s.chains = Some(1024);
        s.step_size = Some(0.3);
        s.steps = Some(600);
        s.record_every = Some(5);
        let est = mean_square(ctx, &s);
        assert_within_stderr("MALA double well <x^2>", est.mean, est.stderr.unwrap(), double_well_exact(), Z);
    }
}

on_both! {
    fn metropolis_reproduces_gaussian_moments(ctx: &Context) {
        let mut s = spec("phi4", &GAUSSIAN, Method::Metropolis);
        s.step_size = Some(1.5);
        let est = mean_square(ctx, &s);
        assert_within_stderr("Metropolis Gaussian <x^2>", est.mean, est.stderr.unwrap(), 1.0, Z);
    }
}

on_both! {
    fn metropolis_reproduces_double_well_moments(ctx: &Context) {
        let mut s = spec("phi4", &DOUBLE_WELL, Method::Metropolis);
        s.step_size = Some(1.5);
        let est = mean_square(ctx, &s);
        assert_within_stderr("Metropolis double well <x^2>", est.mean, est.stderr.unwrap(), double_well_exact(), Z);
    }
}

on_both! {
    /// The reported acceptance is the fraction of proposals accepted: Ising at T → ∞ accepts all.
    fn metropolis_acceptance_is_reported(ctx: &Context) {
        let mut s = spec("ising", &[], Method::Metropolis);
        s.temperature = Some(1e6);
        s.steps = Some(20);
        s.record_every = Some(5);
        let report = sampled(ctx, &s);
        let acc = report.estimates.iter().find(|(k, _)| *k == "acceptance").unwrap().1;
        assert!(acc.mean > 0.999 && acc.mean <= 1.0, "acceptance {}", acc.mean);
    }
}

/// MALA's exact acceptance from equilibrium on E = |x|²/2 in R² at T = 1 with step ε.
///
/// The proposal is y = (1 − ε)x + √(2ε)ξ and the log ratio is −(ε/4)Σ(y² − x²). With x ~ N(0, 1),
/// y² − x² = λ₊U² + λ₋V² with λ± = (ε² ± √(ε⁴ + 8ε))/2 (the eigenvalues of diag(−1, 1)·Cov(x, y)),
/// so over two coordinates the log ratio is −(pA − qB) with A, B ~ Exp(1), p = ελ₊/2,
/// q = −ελ₋/2, and E[min(1, e^(−(pA − qB)))] = (q + p/(1 + p))/(p + q).
fn exact_mala_acceptance_2d(eps: f64) -> f64 {
    let root = (eps.powi(4) + 8.0 * eps).sqrt();
    let (p, q) = (
        eps * (eps * eps + root) / 4.0,
        -eps * (eps * eps - root) / 4.0,
    );
    (q + p / (1.0 + p)) / (p + q)
}

on_both! {
    /// MALA's acceptance on a standard Gaussian in R² against its closed form.
    fn mala_acceptance_matches_the_closed_form(ctx: &Context) {
        let eps = 1.2;
        let mut s = spec("gmm", &[("weights", "1"), ("means", "0,0"), ("stds", "1")], Method::Mala);
        s.size = None;
        s.chains = Some(1024);
        s.step_size = Some(eps as f32);
        s.steps = Some(200);
        s.record_every = Some(1);
        let report = sampled(ctx, &s);
        let acc = report.estimates.iter().find(|(k, _)| *k == "acceptance").unwrap().1;
        let exact = exact_mala_acceptance_2d(eps);
        assert!((exact - 0.5785).abs() < 1e-3, "the closed form at ε = 1.2: {exact}");
        assert_within_stderr("MALA acceptance", acc.mean, acc.stderr.unwrap(), exact, Z);
    }
}

on_both! {
    /// MALA on a one-component mixture in R²: ⟨x_j²⟩ = σ² exactly (many chains of 2 values each).
    fn mala_reproduces_gaussian_mixture_moments(ctx: &Context) {
        let mut s = spec("gmm", &[("weights", "1"), ("means", "0,0"), ("stds", "0.7")], Method::Mala);
        s.size = None;
        s.chains = Some(512);
        s.step_size = Some(0.3);
        s.steps = Some(300);
        s.record_every = Some(3);
        let est = mean_square(ctx, &s);
        assert_within_stderr("MALA mixture <x^2>", est.mean, est.stderr.unwrap(), 0.49, Z);
    }
}

/// Checkerboard Metropolis acceptance at a finite temperature, against exact enumeration of the
/// 4×4 periodic Ising model: each half sweep leaves the Boltzmann distribution π invariant, so
/// the acceptance is `E_π[(1/N) Σ_i min(1, exp(−ΔE_i/T))]` over single flips.
fn exact_ising_acceptance(l: usize, t: f64) -> f64 {
    let n = l * l;
    let (mut z, mut accepted) = (0.0, 0.0);
    for state in 0u32..(1 << n) {
        let s = |x, y| ising_spin(state, l, x, y);
        let mut mean_acceptance = 0.0;
        for y in 0..l {
            for x in 0..l {
                let neighbours = s(x + 1, y) + s(x + l - 1, y) + s(x, y + 1) + s(x, y + l - 1);
                let de = 2.0 * s(x, y) * neighbours;
                mean_acceptance += (-de / t).exp().min(1.0) / n as f64;
            }
        }
        let e = ising_energy(state, l);
        let p = (-e / t).exp();
        z += p;
        accepted += p * mean_acceptance;
    }
    accepted / z
}

on_both! {
    fn metropolis_acceptance_matches_enumeration(ctx: &Context) {
        let mut s = spec("ising", &[], Method::Metropolis);
        s.size = Some([4, 4]);
        s.chains = Some(256);
        s.temperature = Some(2.5);
        s.burn_in = Some(200);
        s.steps = Some(2000);
        s.record_every = Some(10);
        let report = sampled(ctx, &s);
        let acc = report.estimates.iter().find(|(k, _)| *k == "acceptance").unwrap().1;
        let exact = exact_ising_acceptance(4, 2.5);
        assert_within_stderr("Ising acceptance at T = 2.5", acc.mean, acc.stderr.unwrap(), exact, Z);
    }
}
