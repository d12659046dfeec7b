//! NVP forecasting (`predict_next_state`): a forecaster trained on heat-flow trajectories
//! (`idf dataset synth --model heat_flow`) beats persistence on held-out trajectories, by RMSE
//! and CRPS, each by more than 3 standard errors of the paired difference; the ensemble CRPS
//! matches its closed form for a Gaussian; pairs are cut from trajectories as documented.

use std::path::{Path, PathBuf};

use idf::engine::diffusion::EnergyScheduler;
use idf::engine::validation::ValidationConfig;
use idf::io::atlas::Atlas;
use idf::jobs::dataset::{synth, GridAxis, Shard, SynthSpec};
use idf::jobs::denoiser::forecast::{
    evaluate_forecasts, forecast_dataset, forecast_pairs, Physics,
};
use idf::jobs::denoiser::forecast_laws::{forecast_law_verdicts, laws_kept_by_physics};
use idf::neural::forecast::crps_ensemble;
use idf::neural::{train_denoiser, DenoiserShape, NeuralSampler, TrainingOptions};
use idf::{Config, Context};

/// Heat-flow trajectories on 8×8 (κ = 1), `trajectories` of them, recorded at `times`.
fn heat_flow(path: &Path, times: &str, trajectories: usize, seed: u32) -> Atlas {
    let spec = SynthSpec {
        model: "heat_flow".into(),
        params: Vec::new(),
        temperature: 1.0,
        grid: vec![format!("time={times}").parse::<GridAxis>().unwrap()],
        size: [8, 8],
        samples: trajectories,
        chains: trajectories,
        burn_in: 0,
        pilot: 0,
        seed,
        shard: Shard::ALL,
    };
    synth(
        &Context::cpu(),
        &Config::default(),
        &spec,
        path,
        &mut |_, _| {},
    )
    .unwrap();
    Atlas::open(path).unwrap()
}

fn temp(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("idf-forecast-{name}-{}.h5", std::process::id()))
}

/// The heat equation's laws catch what breaks them: of three forecasts of one map, the
/// physics rollout keeps energy descent and mass conservation, the rollout plus 0.05 at every
/// site breaks mass conservation only, and three times the rollout breaks energy descent (nine
/// times the rollout's energy, where the scheme keeps about 28 % of a t = 0.2 map's energy
/// over the next 0.2 at κ = 1 on 8×8: Σλ(1 − ηλ)⁴ / Σλ(1 − ηλ)² over the modes λ, η = 0.2).
#[test]
fn forecast_laws_catch_mass_and_energy_gained() {
    let path = temp("laws");
    let atlas = heat_flow(&path, "0.2", 1, 3);
    let now = atlas.read_maps(&[0]).unwrap();
    let ctx = Context::cpu();
    let next = idf::jobs::dataset::heat_flow::evolve(&ctx, &now, [8, 8], 0.2, 1.0).unwrap();
    let members: Vec<f32> = next
        .iter()
        .copied()
        .chain(next.iter().map(|v| v + 0.05))
        .chain(next.iter().map(|v| 3.0 * v))
        .collect();
    let model = idf::jobs::dataset::heat_flow::energy_model(1.0).unwrap();
    let verdict = forecast_law_verdicts(
        &ctx,
        &model,
        [1, 8, 8],
        &now,
        &members,
        None,
        &ValidationConfig::default(),
    )
    .unwrap();
    assert_eq!(verdict.verdicts.len(), 3);
    let broken = |member: usize| -> Vec<String> {
        let mut laws: Vec<String> = verdict.verdicts[member]
            .violations
            .iter()
            .map(|v| v.law.clone())
            .filter(|law| law != "second_law")
            .collect();
        laws.sort();
        laws
    };
    assert!(broken(0).is_empty(), "{verdict:?}");
    assert_eq!(broken(1), ["mass_conservation"], "{verdict:?}");
    assert!(
        broken(2).contains(&"energy_descent".to_string()),
        "{verdict:?}"
    );
    let wrong = forecast_law_verdicts(
        &ctx,
        &model,
        [1, 8, 8],
        &now,
        &members[..10],
        None,
        &ValidationConfig::default(),
    );
    assert!(wrong.unwrap_err().to_string().contains("members"));
    std::fs::remove_file(&path).ok();
}

/// A law the physics rollout (the last chain) breaks on a map is held against no member
/// forecast: its violations go, and it leaves the laws checked; the others stay as they were.
#[test]
fn laws_the_rollout_breaks_are_not_held_against_forecasts() {
    use idf::engine::validation::{RunVerdict, Verdict, Violation};
    let laws = vec!["energy_descent", "mass_conservation", "second_law"];
    let broken = |chain: usize, law: &str| Violation {
        law: law.into(),
        chain,
        step: 1,
        value: 1.0,
        limit: 0.5,
    };
    let verdict = |chain: usize, violations: Vec<Violation>| Verdict {
        chain,
        checked: laws.clone(),
        violations,
    };
    let kept = laws_kept_by_physics(RunVerdict {
        laws: laws.clone(),
        verdicts: vec![
            verdict(0, vec![broken(0, "second_law")]),
            verdict(
                1,
                vec![broken(1, "mass_conservation"), broken(1, "second_law")],
            ),
            verdict(2, vec![broken(2, "second_law")]),
        ],
    });
    assert_eq!(kept.laws, ["energy_descent", "mass_conservation"]);
    assert_eq!(kept.verdicts.len(), 2, "the rollout's own verdict is gone");
    assert!(kept.verdicts[0].passed());
    assert_eq!(
        kept.verdicts[1].violations,
        [broken(1, "mass_conservation")]
    );
    assert_eq!(kept.verdicts[1].checked, kept.laws);
}

/// Trained on 400 trajectories (times 0.2 to 0.8, three pairs each), the forecaster's
/// ensemble mean and ensemble beat persistence on 120 held-out trajectories (one pair each, so
/// the pairs are independent) from t = 0.4 to 0.6: the mean paired differences of squared error
/// and of CRPS are below zero by more than 3 of their standard errors. The physics rollout
/// (the same explicit scheme) is reported as the floor.
#[test]
fn forecast_beats_persistence_on_held_out_heat_flow() {
    let (train_path, test_path) = (temp("train"), temp("test"));
    let train = heat_flow(&train_path, "0.2,0.4,0.6,0.8", 400, 1);
    let test = heat_flow(&test_path, "0.4,0.6", 120, 2);
    let (data, pairs) = forecast_dataset(&train, 1).unwrap();
    assert_eq!(pairs.pairs.len(), 1200);
    assert_eq!(pairs.condition_names, ["kappa", "lead_time"]);
    let schedule = EnergyScheduler::cosine(1000).unwrap();
    let options = TrainingOptions {
        steps: 2000,
        batch_size: 128,
        learning_rate: 2e-3,
        ..TrainingOptions::default()
    };
    let forecaster = train_denoiser(
        &data,
        DenoiserShape::default(),
        &schedule,
        &options,
        &mut |_, _| {},
    )
    .unwrap()
    .denoiser;
    let ctx = Context::cpu();
    let rollout = |now: &[f32], conditions: &[f32]| {
        idf::jobs::dataset::heat_flow::evolve(&ctx, now, [8, 8], conditions[1], conditions[0])
    };
    let energy = |conditions: &[f32]| idf::jobs::dataset::heat_flow::energy_model(conditions[0]);
    let physics = Physics {
        rollout: &rollout,
        energy: Some(&energy),
        ctx: &ctx,
    };
    let skill = evaluate_forecasts(
        &forecaster,
        &test,
        1,
        8,
        NeuralSampler::Ddim { steps: 50 },
        Some(&physics),
        &mut |_, _| {},
    )
    .unwrap();
    eprintln!("{skill:?}");
    assert_eq!(skill.pairs, 120);
    // The heat equation's laws on the forecasts: the rollout keeps energy descent and mass
    // conservation on every pair; white-noise maps are no positive densities, so the second
    // law (of a density's entropy) is not held against them.
    let laws = skill.energy_laws.as_ref().unwrap();
    assert_eq!(
        laws.laws,
        ["energy_descent", "mass_conservation"],
        "{laws:?}"
    );
    assert_eq!(laws.broken_by_physics, ["second_law"], "{laws:?}");
    assert_eq!(laws.forecasts, 120 * 8);
    assert!((0.0..=1.0).contains(&laws.elf), "{laws:?}");
    let (difference, se) = skill.squared_error_difference;
    assert!(
        difference + 3.0 * se < 0.0,
        "RMSE {} vs persistence {}: difference {difference} ± {se}",
        skill.rmse,
        skill.rmse_persistence
    );
    let (difference, se) = skill.crps_difference;
    assert!(
        difference + 3.0 * se < 0.0,
        "CRPS {} vs persistence {}: difference {difference} ± {se}",
        skill.crps,
        skill.crps_persistence
    );
    let physics = skill.rmse_physics.unwrap();
    assert!(
        physics < 1e-5,
        "the rollout repeats the data's scheme: {physics}"
    );
    std::fs::remove_file(&train_path).ok();
    std::fs::remove_file(&test_path).ok();
}

/// The fair CRPS of a large ensemble from N(μ, σ²) tends to the Gaussian's closed form
/// σ [z(2Φ(z) − 1) + 2φ(z) − 1/√π], z = (y − μ)/σ (Gneiting & Raftery 2007); one member gives
/// the absolute error.
#[test]
fn ensemble_crps_matches_the_gaussian_closed_form() {
    assert_eq!(crps_ensemble(&[1.5], 0.25), 1.25);
    let m = 20_000;
    let members: Vec<f32> = (0..m)
        .map(|i| {
            let r = idf::cpu::shared::rng::rng_draw(i, 0, 0, 3, 1);
            2.0 * idf::cpu::shared::rng::gaussian(r) + 1.0
        })
        .collect();
    let (mu, sigma, y) = (1.0f64, 2.0f64, 2.2f64);
    let z = (y - mu) / sigma;
    // Φ by the error function's Abramowitz–Stegun 7.1.26 approximation (|error| < 1.5e-7).
    let erf = |x: f64| {
        let t = 1.0 / (1.0 + 0.3275911 * x.abs());
        let poly = t
            * (0.254829592
                + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
        (1.0 - poly * (-x * x).exp()).copysign(x)
    };
    let cdf = 0.5 * (1.0 + erf(z / std::f64::consts::SQRT_2));
    let pdf = (-z * z / 2.0).exp() / (2.0 * std::f64::consts::PI).sqrt();
    let exact = sigma * (z * (2.0 * cdf - 1.0) + 2.0 * pdf - 1.0 / std::f64::consts::PI.sqrt());
    let crps = crps_ensemble(&members, y as f32);
    // The estimator's sd is below σ/√m (each term is bounded by the spread): 4 of them.
    assert!(
        (crps - exact).abs() < 4.0 * sigma / (m as f64).sqrt(),
        "{crps} vs {exact}"
    );
}

/// Pairs join the records of one trajectory `lead` recorded times apart; a dataset without a
/// `time` condition, or with two records of one trajectory at one time, is refused naming it.
#[test]
fn pairs_follow_trajectories() {
    let path = temp("pairs");
    let atlas = heat_flow(&path, "0,0.5,1", 3, 4);
    let one = forecast_pairs(&atlas, 1).unwrap();
    let two = forecast_pairs(&atlas, 2).unwrap();
    assert_eq!((one.pairs.len(), two.pairs.len()), (6, 3));
    let k = atlas.condition_names().len();
    let row = |i: usize| &atlas.conditions()[i * k..(i + 1) * k];
    for &(i, j) in &two.pairs {
        // time, kappa, trajectory: the same trajectory, from t = 0 to t = 1.
        assert_eq!((row(i)[0], row(j)[0]), (0.0, 1.0));
        assert_eq!(row(i)[2], row(j)[2]);
    }
    assert_eq!(two.conditions.chunks(2).next().unwrap(), [1.0, 1.0]);
    assert!(forecast_pairs(&atlas, 3)
        .unwrap_err()
        .to_string()
        .contains("no trajectory"));
    std::fs::remove_file(&path).ok();
    let path = temp("no-time");
    let spec = SynthSpec {
        model: "phi4".into(),
        params: Vec::new(),
        temperature: 1.0,
        grid: Vec::new(),
        size: [4, 4],
        samples: 4,
        chains: 4,
        burn_in: 10,
        pilot: 10,
        seed: 0,
        shard: Shard::ALL,
    };
    synth(
        &Context::cpu(),
        &Config::default(),
        &spec,
        &path,
        &mut |_, _| {},
    )
    .unwrap();
    let e = forecast_pairs(&Atlas::open(&path).unwrap(), 1)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("no `time` condition") && e.contains("conditions"),
        "{e}"
    );
    std::fs::remove_file(&path).ok();
}

/// `idf train --forecast` learns from a heat-flow dataset, scores itself on a held-out one
/// (`--eval`: RMSE and CRPS against persistence and the physics rollout, in the metrics), and
/// its checkpoint is a forecaster: `idf sample` sends it to POST /predict, and `--lead`
/// beyond the data's trajectories is refused naming the dataset.
#[test]
fn idf_train_forecast_scores_itself_on_held_out_trajectories() {
    let d = std::env::temp_dir().join(format!("idf-forecast-cli-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    heat_flow(&d.join("train.h5"), "0.2,0.4,0.6", 100, 1);
    heat_flow(&d.join("test.h5"), "0.2,0.4", 20, 2);
    let ckpt = d.join("f.ckpt");
    let path = |name: &str| d.join(name).to_str().unwrap().to_string();
    let v = crate::common::idf_json(&[
        "train",
        "--forecast",
        "--data",
        &path("train.h5"),
        "--eval",
        &path("test.h5"),
        "--steps",
        "300",
        "--batch-size",
        "64",
        "--learning-rate",
        "2e-3",
        "--checkpoint-every",
        "0",
        "--out",
        ckpt.to_str().unwrap(),
        "--metrics",
        &path("m.json"),
        "--json",
    ]);
    assert_eq!(v["kind"], "forecaster");
    assert_eq!(v["lead"], 1);
    assert_eq!(
        v["network"]["condition_names"],
        serde_json::json!(["kappa", "lead_time"])
    );
    let e = &v["evaluation"];
    assert_eq!(e["pairs"], 20);
    for key in [
        "rmse",
        "rmse_persistence",
        "crps",
        "crps_persistence",
        "rmse_physics",
    ] {
        assert!(e[key].as_f64().unwrap().is_finite(), "{key}: {e}");
    }
    assert_eq!(
        e["energy_laws"]["laws"],
        serde_json::json!(["energy_descent", "mass_conservation"]),
        "{e}"
    );
    let metrics: serde_json::Value =
        serde_json::from_slice(&std::fs::read(d.join("m.json")).unwrap()).unwrap();
    assert_eq!(metrics["evaluation"], *e);
    // Lead times are differences of recorded f32 times (0.4 − 0.2 and 0.6 − 0.4 differ in the
    // last bits): the one lead time of the data still needs no value.
    let forecaster = idf::jobs::denoiser::forecast::Forecaster::load(&ckpt).unwrap();
    let defaults = forecaster.conditions(&[]).unwrap();
    assert_eq!(defaults.len(), 2);
    assert!(
        (defaults[0] - 1.0).abs() < 1e-6 && (defaults[1] - 0.2).abs() < 1e-6,
        "{defaults:?}"
    );
    let out = crate::common::idf(&["sample", "--checkpoint", ckpt.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("POST /predict"));
    let out = crate::common::idf(&[
        "train",
        "--forecast",
        "--lead",
        "3",
        "--data",
        &path("train.h5"),
        "--steps",
        "1",
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && stderr.contains("train.h5") && stderr.contains("no trajectory"),
        "{stderr}"
    );
    std::fs::remove_dir_all(&d).ok();
}
