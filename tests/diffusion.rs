//! Diffusion against closed forms: the cosine schedule, forward marginals, and DDPM/DDIM with the
//! exact mixture score turning N(0, I) noise back into the mixture.

use crate::common::assert_within_stderr;
use idf::{
    Context, EnergyDiffusionModel, EnergyModel, EnergyScheduler, Field, GaussianMixture,
    ReverseMethod, Shape,
};

const Z: f64 = 4.5;

#[test]
fn cosine_schedule_matches_its_definition() {
    let s = EnergyScheduler::cosine(1000).unwrap();
    let f = |t: f64| {
        ((t / 1000.0 + 0.008) / 1.008 * std::f64::consts::FRAC_PI_2)
            .cos()
            .powi(2)
    };
    for t in [1usize, 10, 250, 500, 900, 990] {
        let exact = f(t as f64) / f(0.0);
        assert!(
            (s.alpha_bar(t) - exact).abs() < 1e-12,
            "t={t}: {} vs {exact}",
            s.alpha_bar(t)
        );
    }
    assert_eq!(s.alpha_bar(0), 1.0);
    assert!((1..=1000).all(|t| s.beta(t) <= 0.999 && s.beta(t) > 0.0));
    assert_eq!(s.beta(1000), 0.999, "the last beta is clipped");
    assert!(s.alpha_bar(1000) < 1e-6);
}

on_both! {
    fn forward_marginal_has_the_scheduled_mean_and_variance(ctx: &Context) {
        let model = EnergyModel::from_params("phi4", &[]).unwrap();
        let diffusion = EnergyDiffusionModel::new(model, EnergyScheduler::cosine(1000).unwrap());
        let shape = Shape::new(4, 1, 64, 64).unwrap();
        let x0 = Field::from_vec(shape, vec![1.5; shape.len()]).unwrap();
        for t in [100usize, 500, 900] {
            let xt = diffusion.forward_diffuse(ctx, &x0, t, 77).unwrap();
            let ab = diffusion.scheduler.alpha_bar(t);
            let n = xt.data().len() as f64;
            let mean = xt.data().iter().map(|v| *v as f64).sum::<f64>() / n;
            let var = xt.data().iter().map(|v| (*v as f64 - mean).powi(2)).sum::<f64>() / (n - 1.0);
            let (exact_mean, exact_var) = (ab.sqrt() * 1.5, 1.0 - ab);
            assert_within_stderr(&format!("t={t} mean"), mean, (exact_var / n).sqrt(), exact_mean, Z);
            assert_within_stderr(&format!("t={t} variance"), var, exact_var * (2.0 / n).sqrt(), exact_var, Z);
        }
    }
}

/// Checks samples against the mixture, within Z sample standard errors: mean responsibilities
/// equal the weights; each coordinate's mean and second moment match; and each component's
/// variance, through the identity `E_p[r_k(x) (x_j − μ_kj)²] = w_k σ_k²` (since
/// `p(x) r_k(x) = w_k N_k(x)`, exact whatever the overlap of the components).
fn assert_is_mixture(samples: &Field, g: &GaussianMixture, what: &str) {
    let n = samples.shape().chains;
    let d = g.dim();
    let mut resp = vec![Vec::with_capacity(n); g.weights.len()];
    for c in 0..n {
        let x = samples.chain(c);
        let logs: Vec<f64> = (0..g.weights.len())
            .map(|k| {
                let s2 = (g.stds[k] as f64).powi(2);
                let sq: f64 = (0..d)
                    .map(|j| (x[j] as f64 - g.means[k][j] as f64).powi(2))
                    .sum();
                (g.weights[k] as f64).ln() - 0.5 * d as f64 * s2.ln() - 0.5 * sq / s2
            })
            .collect();
        let m = logs.iter().cloned().fold(f64::MIN, f64::max);
        let z: f64 = logs.iter().map(|l| (l - m).exp()).sum();
        for (k, l) in logs.iter().enumerate() {
            resp[k].push((l - m).exp() / z);
        }
    }
    let mean_se = |v: &[f64]| {
        let m = v.iter().sum::<f64>() / v.len() as f64;
        let var = v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (v.len() - 1) as f64;
        (m, (var / v.len() as f64).sqrt())
    };
    for (k, r) in resp.iter().enumerate() {
        let (m, se) = mean_se(r);
        assert_within_stderr(
            &format!("{what}: weight {k}"),
            m,
            se,
            g.weights[k] as f64,
            Z,
        );
    }
    let exact_mean = g.marginal_mean(1.0);
    for (j, exact_mean_j) in exact_mean.iter().enumerate() {
        let xs: Vec<f64> = (0..n).map(|c| samples.chain(c)[j] as f64).collect();
        let (m, se) = mean_se(&xs);
        assert_within_stderr(&format!("{what}: mean[{j}]"), m, se, *exact_mean_j, Z);
        let sq: Vec<f64> = xs.iter().map(|x| x * x).collect();
        let exact_sq: f64 = (0..g.weights.len())
            .map(|k| {
                g.weights[k] as f64 * ((g.means[k][j] as f64).powi(2) + (g.stds[k] as f64).powi(2))
            })
            .sum();
        let (m2, se2) = mean_se(&sq);
        assert_within_stderr(&format!("{what}: second moment[{j}]"), m2, se2, exact_sq, Z);
        for (k, r) in resp.iter().enumerate() {
            let spread: Vec<f64> = (0..n)
                .map(|c| r[c] * (xs[c] - g.means[k][j] as f64).powi(2))
                .collect();
            let (v, se) = mean_se(&spread);
            let exact = g.weights[k] as f64 * (g.stds[k] as f64).powi(2);
            assert_within_stderr(
                &format!("{what}: component {k} variance[{j}]"),
                v,
                se,
                exact,
                Z,
            );
        }
    }
}

fn reverse(ctx: &Context, method: ReverseMethod, what: &str) {
    let model = EnergyModel::from_params("gmm", &[]).unwrap();
    let EnergyModel::Gmm(g) = model.clone() else {
        unreachable!()
    };
    // 8192 samples: a component variance 30 % off is then over eight standard errors away.
    let shape = model.shape(8192, None).unwrap();
    let noise = Field::random_normal(shape, 99, 1.0).unwrap();
    let diffusion = EnergyDiffusionModel::new(model, EnergyScheduler::cosine(1000).unwrap());
    let (samples, _) = diffusion
        .reverse_denoise(ctx, &noise, method, 5, &mut |_, _| {})
        .unwrap();
    assert_is_mixture(&samples, &g, what);
}

on_both! {
    fn ddpm_with_exact_score_recovers_the_mixture(ctx: &Context) {
        reverse(ctx, ReverseMethod::Ddpm, "DDPM");
    }
}

on_both! {
    fn ddim_with_exact_score_recovers_the_mixture(ctx: &Context) {
        reverse(ctx, ReverseMethod::Ddim { steps: 200 }, "DDIM");
    }
}

#[test]
fn noise_alone_is_not_the_mixture() {
    // The checks above must be able to fail: pure noise is rejected.
    let model = EnergyModel::from_params("gmm", &[]).unwrap();
    let EnergyModel::Gmm(g) = model.clone() else {
        unreachable!()
    };
    let noise = Field::random_normal(model.shape(8192, None).unwrap(), 99, 1.0).unwrap();
    assert!(std::panic::catch_unwind(|| assert_is_mixture(&noise, &g, "noise")).is_err());
    // And so is the mixture with one component's spread 30 % too large in variance.
    let wide = GaussianMixture::new(
        g.weights.clone(),
        g.means.clone(),
        vec![g.stds[0] * 1.3f32.sqrt(), g.stds[1]],
    )
    .unwrap();
    let wide_model = EnergyModel::Gmm(wide);
    let diffusion = EnergyDiffusionModel::new(wide_model, EnergyScheduler::cosine(1000).unwrap());
    let (samples, _) = diffusion
        .reverse_denoise(
            &Context::cpu(),
            &noise,
            ReverseMethod::Ddpm,
            5,
            &mut |_, _| {},
        )
        .unwrap();
    assert!(std::panic::catch_unwind(|| assert_is_mixture(&samples, &g, "wide")).is_err());
}

/// DDPM with the exact score is, for a single Gaussian N(μ, σ²), a linear Gaussian map of the
/// noise: `x_{t−1} = a_t x_t + b_t + c_t z` with `a_t = (1 − β_t / s_t)/√α_t`,
/// `b_t = β_t m_t / (s_t √α_t)`, `c_t² = β̃_t` (0 at t = 1), where `m_t = √ᾱ_t μ` and
/// `s_t = ᾱ_t σ² + 1 − ᾱ_t` are the noised marginal's mean and variance. Its output's mean and
/// variance follow that recursion exactly (discretisation included): the samples must match it.
fn single_gaussian_follows_the_exact_recursion(ctx: &Context) {
    let (mu, sigma) = (1.5f64, 0.6f64);
    let model = EnergyModel::from_params(
        "gmm",
        &[
            ("weights".into(), "1".into()),
            ("means".into(), mu.to_string()),
            ("stds".into(), sigma.to_string()),
        ],
    )
    .unwrap();
    let scheduler = EnergyScheduler::cosine(1000).unwrap();
    let (mut mean, mut var) = (0.0f64, 1.0f64);
    for t in (1..=scheduler.timesteps()).rev() {
        let (beta, ab) = (scheduler.beta(t), scheduler.alpha_bar(t));
        let (m_t, s_t) = (ab.sqrt() * mu, ab * sigma * sigma + 1.0 - ab);
        let root = (1.0 - beta).sqrt();
        let a = (1.0 - beta / s_t) / root;
        let b = beta * m_t / (s_t * root);
        let c2 = if t > 1 {
            scheduler.posterior_variance(t)
        } else {
            0.0
        };
        mean = a * mean + b;
        var = a * a * var + c2;
    }
    let n = 8192;
    let noise = Field::random_normal(model.shape(n, None).unwrap(), 21, 1.0).unwrap();
    let diffusion = EnergyDiffusionModel::new(model, scheduler);
    let (samples, _) = diffusion
        .reverse_denoise(ctx, &noise, ReverseMethod::Ddpm, 8, &mut |_, _| {})
        .unwrap();
    let xs: Vec<f64> = samples.data().iter().map(|v| *v as f64).collect();
    let m = xs.iter().sum::<f64>() / n as f64;
    let v = xs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1) as f64;
    assert_within_stderr("DDPM mean", m, (var / n as f64).sqrt(), mean, Z);
    assert_within_stderr(
        "DDPM variance",
        v,
        var * (2.0 / (n - 1) as f64).sqrt(),
        var,
        Z,
    );
}

on_both! {
    fn ddpm_of_a_single_gaussian_follows_its_linear_recursion(ctx: &Context) {
        single_gaussian_follows_the_exact_recursion(ctx);
    }
}
