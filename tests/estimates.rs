//! The standard error every estimate reports, tested for calibration: over many seeds, the
//! truth lies within ±1.96 reported standard errors about 95 % of the time, and the reported
//! variance matches the spread of the estimates, on AR(1) series of known autocorrelation time
//! and on a sampler whose mean is known by symmetry. A run too short for its autocorrelation
//! time says so.

use idf::jobs::sample::sample;
use idf::{estimate, Config, Context, Estimate, Field, Scene, Shape};

/// AR(1) chains `x_t = φ x_{t−1} + √(1−φ²) z_t` started in equilibrium: mean 0, variance 1,
/// τ = (1+φ)/(1−φ).
fn ar1(chains: usize, n: usize, phi: f64, seed: u32) -> Vec<Vec<f64>> {
    let z = Field::random_normal(Shape::new(chains, 1, 1, n + 1).unwrap(), seed, 1.0).unwrap();
    (0..chains)
        .map(|c| {
            let zc = z.chain(c);
            let mut x = zc[0] as f64;
            (1..=n)
                .map(|i| {
                    x = phi * x + (1.0 - phi * phi).sqrt() * zc[i] as f64;
                    x
                })
                .collect()
        })
        .collect()
}

/// Coverage of zero by ±1.96 se, and the variance of the estimates over the mean reported se².
fn calibration(estimates: &[Estimate]) -> (f64, f64) {
    let k = estimates.len() as f64;
    let covered = estimates
        .iter()
        .filter(|e| e.mean.abs() <= 1.96 * e.stderr.unwrap())
        .count() as f64;
    let spread = estimates.iter().map(|e| e.mean * e.mean).sum::<f64>() / k;
    let reported = estimates
        .iter()
        .map(|e| e.stderr.unwrap().powi(2))
        .sum::<f64>()
        / k;
    (covered / k, spread / reported)
}

/// Bounds for `k` runs, 4.5 standard deviations of each statistic wide: the coverage is a
/// binomial fraction, sd √(0.95·0.05/k); the variance ratio of k squared normal means has sd
/// √(2/k).
fn assert_calibrated(what: &str, estimates: &[Estimate]) {
    let k = estimates.len() as f64;
    let (coverage, ratio) = calibration(estimates);
    let coverage_sd = (0.95f64 * 0.05 / k).sqrt();
    assert!(
        (coverage - 0.95).abs() <= 4.5 * coverage_sd,
        "{what}: ±1.96 se covered the truth in {coverage:.3} of {k} runs"
    );
    assert!(
        (ratio - 1.0).abs() <= 4.5 * (2.0 / k).sqrt(),
        "{what}: the estimates spread {ratio:.3} times the reported variance"
    );
}

#[test]
fn ar1_errors_are_calibrated_and_tau_is_recovered() {
    let (phi, n) = (0.9, 5000);
    let exact_tau = (1.0 + phi) / (1.0 - phi);
    let estimates: Vec<Estimate> = (0..200)
        .map(|seed| estimate(&ar1(2, n, phi, seed)))
        .collect();
    assert_calibrated("AR(1), τ = 19", &estimates);
    let taus: Vec<f64> = estimates.iter().map(|e| e.tau.unwrap()).collect();
    let mean_tau = taus.iter().sum::<f64>() / taus.len() as f64;
    let sd = (taus.iter().map(|t| (t - mean_tau).powi(2)).sum::<f64>() / 199.0).sqrt();
    crate::common::assert_within_stderr("mean τ", mean_tau, sd / 200f64.sqrt(), exact_tau, 4.5);
    assert!(
        estimates.iter().all(|e| !e.too_short()),
        "n = 263 τ is long enough"
    );
    // The old fixed 16 batches per chain would be fine here (batches of 312 ≫ τ); with batches
    // shorter than τ they were not: the estimator must not depend on such a choice.
    let short_batches: Vec<Estimate> = (0..200)
        .map(|seed| estimate(&ar1(2, 800, 0.98, 1000 + seed)))
        .collect();
    assert!(
        short_batches.iter().all(|e| e.too_short()),
        "n = 8 τ must be flagged"
    );
}

/// φ⁴ with b = 0 is Gaussian and even: ⟨φ⟩ = 0 exactly. 64 seeds of 4 chains sampled by
/// Langevin long enough for their τ (about 39 records for the field's mean).
#[test]
fn sampler_errors_are_calibrated_against_a_mean_known_by_symmetry() {
    let estimates: Vec<Estimate> = (0..64)
        .map(|seed| {
            let scene = Scene {
                model: Some("phi4".into()),
                params: [("kappa", "0.5"), ("a", "1"), ("b", "0"), ("h", "0")]
                    .into_iter()
                    .map(|(k, v)| (k.into(), idf::jobs::scene::SceneParam::Text(v.into())))
                    .collect(),
                size: Some([8, 8]),
                chains: Some(4),
                step_size: Some(0.05),
                temperature: Some(1.0),
                burn_in: Some(200),
                steps: Some(4000),
                seed: Some(seed),
                ..Scene::default()
            };
            let job = scene.resolve(&Config::default()).unwrap();
            let report = sample(&Context::cpu(), &job, &mut |_, _| {}).unwrap();
            let (_, mean) = report.estimates.iter().find(|(k, _)| *k == "mean").unwrap();
            assert!(!mean.too_short(), "seed {seed}: {:?}", report.warnings);
            *mean
        })
        .collect();
    assert_calibrated("φ⁴ Gaussian ⟨φ⟩ = 0", &estimates);
}

/// The outside tester's run (φ⁴ 16², 2 chains, T = 1, η = 0.02, 3000 records after 500
/// burn-in): τ of the mean is about 250 records, so the run is far too short for a reliable
/// error bar, and the report says so.
#[test]
fn a_run_too_short_for_its_tau_says_so() {
    let scene = Scene {
        model: Some("phi4".into()),
        size: Some([16, 16]),
        chains: Some(2),
        step_size: Some(0.02),
        temperature: Some(1.0),
        burn_in: Some(500),
        steps: Some(3000),
        seed: Some(0),
        ..Scene::default()
    };
    let job = scene.resolve(&Config::default()).unwrap();
    let report = sample(&Context::cpu(), &job, &mut |_, _| {}).unwrap();
    let (_, mean) = report.estimates.iter().find(|(k, _)| *k == "mean").unwrap();
    assert!(mean.too_short(), "τ = {:?}", mean.tau);
    assert!(
        report
            .warnings
            .iter()
            .any(|w| w.starts_with("mean: the run is too short")),
        "{:?}",
        report.warnings
    );
    assert!(report.to_json()["estimates"]["mean"]["ess"].is_number());
}
