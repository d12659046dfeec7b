//! Fitting energies to data (`idf train`): parameters recovered from synthetic data made at
//! known values (φ⁴, Ising, Swift–Hohenberg), within their reported standard errors; the parameter gradients each energy
//! gives agree with its energy; Ising's contrastive-divergence and pseudo-likelihood estimates
//! agree.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;

use idf::io::atlas::Atlas;
use idf::jobs::dataset::{synth, Shard, SynthSpec};
use idf::jobs::train::{ising_pseudo_likelihood, train_diffusion, FittedParam, TrainSpec};
use idf::{Config, Context, EnergyModel, Field, Shape, Simulation};

/// Samples of `model` at `params` and temperature `t` on a `size`² lattice (32 chains, seed 3).
fn synth_spec(
    model: &str,
    params: &[(&str, &str)],
    t: f32,
    size: usize,
    samples: usize,
) -> SynthSpec {
    SynthSpec {
        model: model.into(),
        params: params
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        temperature: t,
        grid: Vec::new(),
        size: [size, size],
        samples,
        chains: 32,
        burn_in: 500,
        pilot: 500,
        seed: 3,
        shard: Shard::ALL,
    }
}

/// [`synth_spec`]'s dataset, written to a temporary file named after `name`.
fn data(
    name: &str,
    model: &str,
    params: &[(&str, &str)],
    t: f32,
    size: usize,
    samples: usize,
) -> PathBuf {
    write_data(name, &synth_spec(model, params, t, size, samples))
}

/// `spec`'s dataset, made on the CPU, in a temporary file named after `name`.
fn write_data(name: &str, spec: &SynthSpec) -> PathBuf {
    let path = std::env::temp_dir().join(format!("idf-train-{name}-{}.h5", std::process::id()));
    synth(
        &Context::cpu(),
        &Config::default(),
        spec,
        &path,
        &mut |_, _| {},
    )
    .unwrap();
    path
}

/// A dataset that several tests fit (the CPU and GPU variants of one test, and the WGSL fit):
/// synthesised once per test run by whichever asks first (the others wait for it), and removed
/// by the last of its `users`.
struct SharedData {
    path: OnceLock<PathBuf>,
    users: AtomicUsize,
}

impl SharedData {
    const fn new(users: usize) -> Self {
        SharedData {
            path: OnceLock::new(),
            users: AtomicUsize::new(users),
        }
    }

    /// The dataset's path, synthesised by `make` on first use.
    fn path(&self, make: impl FnOnce() -> PathBuf) -> &Path {
        self.path.get_or_init(make)
    }

    /// One user is done with the file; the last one removes it.
    fn release(&self) {
        if self.users.fetch_sub(1, Ordering::SeqCst) == 1 {
            std::fs::remove_file(self.path.get().unwrap()).ok();
        }
    }
}

/// Ising at J = 1, h = 0.1, T = 3 (16², 256 samples), for both variants of the Ising fit.
static ISING_DATA: SharedData = SharedData::new(2);
/// φ⁴ at κ = a = b = 0.5, h = 0, T = 1 (16², 256 samples), for both variants of the φ⁴ fit and
/// the WGSL fit.
static PHI4_DATA: SharedData = SharedData::new(3);
const PHI4_TRUTH: [(&str, &str); 4] = [("kappa", "0.5"), ("a", "0.5"), ("b", "0.5"), ("h", "0")];
/// Swift–Hohenberg at ε = 0.3, g = 0.5, T = 1 (16², 256 samples), for both variants of its fit.
static SH_DATA: SharedData = SharedData::new(2);

/// A fit from `start` over `steps` updates: minibatches of 32, 32 persistent chains, one
/// sampler step between updates, learning rate 0.01, seed 5.
fn fit_spec(start: EnergyModel, steps: u64) -> TrainSpec {
    TrainSpec {
        model: start,
        fixed: Vec::new(),
        bounds: Vec::new(),
        select: Vec::new(),
        steps,
        batch_size: 32,
        chains: 32,
        sampler_steps: 1,
        learning_rate: 0.01,
        seed: 5,
    }
}

fn fit(
    ctx: &Context,
    path: &Path,
    start: EnergyModel,
    fixed: &[&str],
    steps: u64,
) -> Vec<FittedParam> {
    let atlas = Atlas::open(path).unwrap();
    let spec = TrainSpec {
        fixed: fixed.iter().map(|s| s.to_string()).collect(),
        ..fit_spec(start, steps)
    };
    train_diffusion(ctx, &Config::default(), &atlas, &spec, &mut |_, _, _| {})
        .unwrap()
        .params
}

fn assert_recovered(what: &str, fitted: &[FittedParam], truth: &[(&str, f64)]) {
    for (name, value) in truth {
        let p = fitted.iter().find(|p| p.name == *name).unwrap();
        let z = (p.mean - value) / p.stderr;
        eprintln!(
            "{what}: {name} = {:.4} ± {:.4} (true {value}, z = {z:.2})",
            p.mean, p.stderr
        );
        assert!(p.stderr.is_finite() && p.stderr > 0.0, "{what}: {p:?}");
        assert!(
            z.abs() < 4.0,
            "{what}: {name} = {} ± {}, true {value}",
            p.mean,
            p.stderr
        );
    }
}

on_both! {
    fn ising_couplings_are_recovered_and_agree_with_pseudo_likelihood(ctx: &Context) {
    let path = ISING_DATA.path(|| data("ising", "ising", &[("J", "1"), ("h", "0.1")], 3.0, 16, 256));
    let start = EnergyModel::from_params("ising", &[("J".into(), "0.5".into()), ("h".into(), "0".into())]).unwrap();
    let cd = fit(ctx, path, start, &[], 3000);
    assert_recovered("Ising CD", &cd, &[("J", 1.0), ("h", 0.1)]);
    let pl = ising_pseudo_likelihood(&Atlas::open(path).unwrap(), &[]).unwrap();
    assert_recovered("Ising PL", &pl, &[("J", 1.0), ("h", 0.1)]);
    // The two estimates of J agree within their combined error.
    let (a, b) = (&cd[0], &pl[0]);
    assert!((a.mean - b.mean).abs() < 4.0 * (a.stderr.powi(2) + b.stderr.powi(2)).sqrt(), "{a:?} {b:?}");
    ISING_DATA.release();
    }
}

on_both! {
    fn phi4_couplings_are_recovered(ctx: &Context) {
    let path = PHI4_DATA.path(|| data("phi4", "phi4", &PHI4_TRUTH, 1.0, 16, 256));
    let start = EnergyModel::from_params(
        "phi4",
        &[
            ("kappa".into(), "0.3".into()),
            ("a".into(), "1".into()),
            ("b".into(), "0.2".into()),
            ("h".into(), "0".into()),
        ],
    )
    .unwrap();
    let fitted = fit(ctx, path, start, &["h"], 3000);
    assert_recovered(&format!("φ⁴ on {}", ctx.backend()), &fitted, &[("kappa", 0.5), ("a", 0.5), ("b", 0.5)]);
    let h = fitted.iter().find(|p| p.name == "h").unwrap();
    assert!(h.fixed && h.mean == 0.0 && h.stderr == 0.0, "{h:?}");
    PHI4_DATA.release();
    }
}

on_both! {
    fn swift_hohenberg_couplings_are_recovered(ctx: &Context) {
    let path = SH_DATA.path(|| data("sh", "swift_hohenberg", &[("epsilon", "0.3"), ("g", "0.5")], 1.0, 16, 256));
    let start = EnergyModel::from_params(
        "swift_hohenberg",
        &[("epsilon".into(), "0.1".into()), ("g".into(), "0".into())],
    )
    .unwrap();
    let fitted = fit(ctx, path, start, &[], 3000);
    assert_recovered(&format!("Swift–Hohenberg on {}", ctx.backend()), &fitted, &[("epsilon", 0.3), ("g", 0.5)]);
    SH_DATA.release();
    }
}

on_both! {
    /// The energies of several parameter settings, submitted together as central differences in
    /// θ submit them, are bit for bit the energies each setting gives alone; the simulation keeps
    /// its own parameters, and a model of another energy is refused.
    fn energies_under_several_settings_equal_each_settings_own(ctx: &Context) {
    let start = EnergyModel::from_params("phi4", &[("kappa".into(), "0.5".into())]).unwrap();
    let shape = Shape::new(4, 1, 8, 8).unwrap();
    let values = (0..shape.len()).map(|i| (i * 37 % 101) as f32 / 50.0 - 1.0).collect();
    let field = Field::from_vec(shape, values).unwrap();
    let alone = |m: &EnergyModel| Simulation::new(ctx, m, &field, 1).unwrap().energies().unwrap();
    let settings: Vec<EnergyModel> = [("kappa", 0.3), ("a", -1.0), ("b", 2.0), ("h", 0.25)]
        .iter()
        .map(|(name, value)| {
            let mut m = start.clone();
            m.set_value(name, *value).unwrap();
            m
        })
        .collect();
    let mut sim = Simulation::new(ctx, &start, &field, 1).unwrap();
    let together = sim.energies_under(&settings).unwrap();
    assert_eq!(together.len(), settings.len());
    for (m, e) in settings.iter().zip(&together) {
        assert_eq!(e, &alone(m), "{m:?}");
    }
    assert_ne!(together[0], together[1]);
    assert_eq!(sim.energies().unwrap(), alone(&start));
    let ising = EnergyModel::from_params("ising", &[]).unwrap();
    let refused = sim.energies_under(&[ising]).unwrap_err().to_string();
    assert!(refused.contains("models") && refused.contains("ising"), "{refused}");
    }
}

/// Both energies are linear in their parameters, so E = Σ_j θ_j ∂E/∂θ_j: the gradients each
/// energy's host code gives must add up to the energy its kernels compute.
#[test]
fn parameter_gradients_add_up_to_the_energy() {
    for (name, params) in [
        (
            "phi4",
            vec![("kappa", "0.7"), ("a", "-0.4"), ("b", "0.9"), ("h", "0.3")],
        ),
        ("ising", vec![("J", "0.8"), ("h", "-0.2")]),
    ] {
        let params: Vec<(String, String)> = params
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let model = EnergyModel::from_params(name, &params).unwrap();
        let field = model
            .initial_field(model.shape(3, Some([12, 10])).unwrap(), 4)
            .unwrap();
        let grads = model.param_gradient(&field).unwrap();
        let theta: Vec<f64> = model.params().iter().map(|p| p.value as f64).collect();
        let energies = Simulation::new(&Context::cpu(), &model, &field, 0)
            .unwrap()
            .energies()
            .unwrap();
        for (chain, (g, e)) in grads.iter().zip(&energies).enumerate() {
            let from_gradients: f64 = g.iter().zip(&theta).map(|(g, t)| g * t).sum();
            assert!(
                (from_gradients - e).abs() <= 1e-4 * e.abs().max(1.0),
                "{name} chain {chain}: Σ θ ∂E/∂θ = {from_gradients}, E = {e}"
            );
        }
    }
}

/// A fit resumed from a checkpoint takes the updates an uninterrupted one takes, bit for bit on
/// the CPU; a file that is not a checkpoint is refused naming it.
#[test]
fn a_resumed_fit_equals_an_uninterrupted_one() {
    use idf::jobs::train::TrainState;
    use idf::jobs::train::{train_resumable, Checkpoints};
    let path = data("resume", "ising", &[("J", "1"), ("h", "0.1")], 3.0, 8, 64);
    let atlas = Atlas::open(&path).unwrap();
    let spec = TrainSpec {
        model: EnergyModel::from_params("ising", &[]).unwrap(),
        fixed: Vec::new(),
        // A bound travels through the checkpoints (wide enough not to act).
        bounds: vec!["J=-5:5".parse().unwrap()],
        // So does a selection (every record holds J = 1).
        select: vec!["J=1".parse().unwrap()],
        steps: 60,
        batch_size: 8,
        chains: 8,
        sampler_steps: 2,
        learning_rate: 0.01,
        seed: 9,
    };
    // The configuration travels too: a resume runs under the checkpoint's, whatever it is given.
    let config = Config::parse("Diffusion:\n  timesteps: 321\n", Path::new("idf.yaml")).unwrap();
    let ctx = Context::cpu();
    let mut saved: Vec<TrainState> = Vec::new();
    let mut keep = |s: &TrainState| {
        saved.push(s.clone());
        Ok(())
    };
    let (whole, _) = train_resumable(
        &ctx,
        &config,
        &atlas,
        &spec,
        None,
        &mut Checkpoints {
            every: 25,
            save: Some(&mut keep),
        },
        &mut |_, _, _| {},
    )
    .unwrap();
    assert_eq!(
        saved.iter().map(|s| s.next_step).collect::<Vec<_>>(),
        [25, 50, 60]
    );
    // Through the file, as `idf train --resume` reads it.
    let ckpt = std::env::temp_dir().join(format!("idf-train-{}.ckpt", std::process::id()));
    saved[0].write(&ckpt).unwrap();
    let state = TrainState::read(&ckpt).unwrap();
    assert_eq!(
        (&state.spec.bounds, &state.spec.select),
        (&spec.bounds, &spec.select)
    );
    let (resumed, _) = train_resumable(
        &ctx,
        &Config::default(),
        &atlas,
        // Settings other than the end come from the checkpoint, whatever the caller passes.
        &TrainSpec {
            batch_size: 3,
            learning_rate: 0.5,
            seed: 77,
            ..spec.clone()
        },
        Some(state),
        &mut Checkpoints::none(),
        &mut |_, _, _| {},
    )
    .unwrap();
    let bits = |r: &idf::jobs::train::TrainReport| -> Vec<(u64, u64, Vec<u64>)> {
        r.curve
            .iter()
            .map(|c| {
                (
                    c.step,
                    c.loss.to_bits(),
                    c.params.iter().map(|p| p.to_bits()).collect(),
                )
            })
            .collect()
    };
    assert_eq!(bits(&resumed), bits(&whole));
    assert_eq!(resumed.params, whole.params);
    // Not a checkpoint: the dataset itself.
    let e = TrainState::read(&path).unwrap_err().to_string();
    assert!(
        e.contains(&path.display().to_string()) && e.contains("not an IDF training checkpoint"),
        "{e}"
    );
    std::fs::remove_file(&ckpt).ok();
    std::fs::remove_file(&path).ok();
}

/// `idf train` writes its checkpoints and metrics, `--resume` continues to the same numbers,
/// `idf sample --checkpoint` samples the fitted energy, and bad checkpoints and data are clear
/// errors.
#[test]
fn the_train_command_checkpoints_resumes_and_samples() {
    use crate::common::{idf, idf_json};
    let path = data("cli", "ising", &[("J", "1"), ("h", "0.1")], 3.0, 8, 32);
    let fields = data("cli-fields", "phi4", &[], 1.0, 8, 8);
    let dir = std::env::temp_dir().join(format!("idf-train-cli-{}", std::process::id()));
    let at = |name: &str| dir.join(name).to_str().unwrap().to_string();
    let common = [
        "--backend",
        "cpu",
        "--learning-rate",
        "0.01",
        "--batch-size",
        "8",
        "--chains",
        "8",
    ];
    let (m1, out1, first) = (at("m1.json"), at("whole.ckpt"), at("first.ckpt"));
    let fit = |steps: &str, out: &str| {
        let mut args = vec![
            "train",
            "--model",
            "ising",
            "--data",
            path.to_str().unwrap(),
        ];
        args.extend(["--steps", steps, "--json", "--metrics", &m1, "--out", out]);
        args.extend(common);
        idf_json(&args)
    };
    let a = fit("40", &out1);
    fit("15", &first);
    let (m2, out2) = (at("m2.json"), at("resumed.ckpt"));
    let b = idf_json(&[
        "train",
        "--resume",
        &first,
        "--steps",
        "40",
        "--backend",
        "cpu",
        "--json",
        "--metrics",
        &m2,
        "--out",
        &out2,
    ]);
    assert_eq!(a["params"], b["params"], "resumed: {b}\nwhole: {a}");
    let curve: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&m2).unwrap()).unwrap();
    assert_eq!(curve["curve"].as_array().unwrap().len(), 40);
    let sampled = idf_json(&[
        "sample",
        "--checkpoint",
        &out1,
        "--integrator",
        "metropolis",
        "--size",
        "8",
        "--chains",
        "2",
        "--steps",
        "10",
        "--backend",
        "cpu",
        "--json",
    ]);
    let j = a["params"]["J"]["mean"].as_f64().unwrap();
    assert!(
        (sampled["params"]["J"].as_f64().unwrap() - j).abs() < 1e-6,
        "{sampled}"
    );
    // A bound holds J below its true value; the curves are drawn beside the metrics.
    let (m3, out3) = (at("m3.json"), at("bounded.ckpt"));
    let mut args = vec![
        "train",
        "--model",
        "ising",
        "--data",
        path.to_str().unwrap(),
    ];
    args.extend(["--steps", "40", "--json", "--metrics", &m3, "--out", &out3]);
    args.extend([
        "--bound",
        "J=0:0.8",
        "--param",
        "J=0.5",
        "--learning-rate",
        "0.05",
    ]);
    args.extend(&common[..2]);
    let bounded = idf_json(&args);
    let curve: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&m3).unwrap()).unwrap();
    for record in curve["curve"].as_array().unwrap() {
        let j = record["params"][0].as_f64().unwrap();
        assert!((0.0..=0.8).contains(&j), "{record}");
    }
    assert!(
        bounded["params"]["J"]["mean"].as_f64().unwrap() > 0.7,
        "{bounded}"
    );
    let png = std::fs::File::open(at("m3.png")).unwrap();
    let info = png::Decoder::new(std::io::BufReader::new(png))
        .read_info()
        .unwrap()
        .info()
        .clone();
    // One panel for the loss and one per parameter (J, h).
    assert_eq!((info.width, info.height), (720, 3 * 150));
    let bounded = |bound: &str| -> Vec<String> {
        let data = path.to_str().unwrap();
        [
            "train", "--model", "ising", "--data", data, "--bound", bound,
        ]
        .map(String::from)
        .to_vec()
    };
    for (args, needle) in [
        (
            vec![
                "train".to_string(),
                "--resume".into(),
                path.to_str().unwrap().into(),
            ],
            "not an IDF training checkpoint",
        ),
        (bounded("J=2:1"), "MIN 2 is not below MAX 1"),
        (bounded("q=0:1"), "ising has no parameter `q`"),
        (
            bounded("J=2:"),
            "the starting value of J (1) is outside its bound [2, inf]",
        ),
        (
            vec![
                "train".into(),
                "--resume".into(),
                out1.clone(),
                "--model".into(),
                "phi4".into(),
            ],
            "fits ising, not phi4",
        ),
        (
            vec!["sample".into(), "--checkpoint".into(), at("missing.ckpt")],
            "missing.ckpt",
        ),
        // A spin model refuses maps that are not spins.
        (
            [
                "train",
                "--model",
                "ising",
                "--data",
                fields.to_str().unwrap(),
            ]
            .map(String::from)
            .to_vec(),
            "not a spin: ising fits maps of ±1 only",
        ),
        // A resumed fit keeps its selection and configuration.
        (
            vec![
                "train".into(),
                "--resume".into(),
                out1.clone(),
                "--select".into(),
                "J=1".into(),
            ],
            "cannot be used with",
        ),
    ] {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = idf(&args);
        assert!(!out.status.success(), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(needle), "{args:?}: {stderr}");
    }
    std::fs::remove_dir_all(&dir).ok();
    std::fs::remove_file(&path).ok();
    std::fs::remove_file(&fields).ok();
}

/// Each energy's ∂E/∂θ against central differences of the energy its kernels compute, in θ:
/// the check a fitted energy's parameter gradient must pass.
#[test]
fn parameter_gradients_match_finite_differences_of_the_energy() {
    for name in ["phi4", "ising", "swift_hohenberg"] {
        let model = EnergyModel::from_params(name, &[]).unwrap();
        let field = model
            .initial_field(model.shape(2, Some([10, 12])).unwrap(), 6)
            .unwrap();
        let field = if name == "ising" {
            field
        } else {
            // Values of order one, where every term of the energy matters.
            let data = field.data().iter().map(|v| v * 8.0).collect();
            idf::Field::from_vec(field.shape(), data).unwrap()
        };
        let grads = model.param_gradient(&field).unwrap();
        for (j, p) in model.params().iter().enumerate() {
            let energy_at = |value: f32| {
                let mut m = model.clone();
                m.set_value(&p.name, value).unwrap();
                Simulation::new(&Context::cpu(), &m, &field, 0)
                    .unwrap()
                    .energies()
                    .unwrap()
            };
            let d = 0.01f32;
            let (up, down) = (energy_at(p.value + d), energy_at(p.value - d));
            for chain in 0..2 {
                let numeric = (up[chain] - down[chain]) / (2.0 * d as f64);
                let analytic = grads[chain][j];
                assert!(
                    (numeric - analytic).abs() <= 2e-3 * analytic.abs().max(1.0),
                    "{name} chain {chain}: ∂E/∂{} = {analytic}, finite differences {numeric}",
                    p.name
                );
            }
        }
    }
}

/// The φ⁴ of `tests/fixtures/phi4.wgsl`, written as a user would.
fn custom_phi4() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/phi4.wgsl")
}

/// A user's WGSL energy, fitted with ∂E/∂θ from central differences of its energy in θ on the
/// GPU, recovers the parameters of φ⁴ data; the command line fits it, checkpoints its source
/// and samples the checkpoint; the CPU refuses it.
#[test]
fn a_wgsl_energy_is_fitted_by_differences_in_theta() {
    crate::common::on_gpu(|ctx| {
        use crate::common::{idf, idf_json};
        let path = PHI4_DATA.path(|| data("phi4", "phi4", &PHI4_TRUTH, 1.0, 16, 256));
        let wgsl = custom_phi4();
        let wgsl = wgsl.to_str().unwrap();
        let start = [("kappa", "0.3"), ("a", "1"), ("b", "0.2")]
            .map(|(k, v)| (k.to_string(), v.to_string()));
        let start = EnergyModel::from_params(wgsl, &start).unwrap();
        assert_eq!(start.name(), "custom");
        let fitted = fit(ctx, path, start, &["h"], 1500);
        assert_recovered(
            "WGSL φ⁴ on the GPU",
            &fitted,
            &[("kappa", 0.5), ("a", 0.5), ("b", 0.5)],
        );
        let dir = std::env::temp_dir().join(format!("idf-train-wgsl-{}", std::process::id()));
        let at = |name: &str| dir.join(name).to_str().unwrap().to_string();
        let (metrics, out) = (at("m.json"), at("custom.ckpt"));
        let mut args = vec!["train", "--model", wgsl, "--data", path.to_str().unwrap()];
        args.extend([
            "--steps",
            "20",
            "--fix",
            "h",
            "--batch-size",
            "8",
            "--chains",
            "8",
        ]);
        args.extend(["--metrics", &metrics, "--out", &out, "--json"]);
        let trained = idf_json(&[&args[..], &["--backend", "gpu"]].concat());
        let kappa = trained["params"]["kappa"]["mean"].as_f64().unwrap();
        let sampled = idf_json(&[
            "sample",
            "--checkpoint",
            &out,
            "--integrator",
            "mala",
            "--size",
            "16",
            "--chains",
            "2",
            "--steps",
            "10",
            "--backend",
            "gpu",
            "--json",
        ]);
        assert_eq!(sampled["model"], "custom", "{sampled}");
        let sampled_kappa = sampled["params"]["kappa"].as_f64().unwrap();
        assert!((sampled_kappa - kappa).abs() < 1e-6, "{sampled}");
        args.extend(["--backend", "cpu"]);
        let refused = idf(&args);
        assert!(!refused.status.success());
        let stderr = String::from_utf8_lossy(&refused.stderr);
        assert!(stderr.contains("no CPU twin"), "{stderr}");
        std::fs::remove_dir_all(&dir).ok();
        PHI4_DATA.release();
    });
}

/// An energy whose dependence on a parameter jumps where the fit starts is refused, naming the
/// parameter: central differences in θ with steps δ and δ/2 disagree there.
#[test]
fn a_wgsl_energy_that_jumps_in_theta_is_refused() {
    crate::common::on_gpu(|ctx| {
        let source = "#import shared/lattice
// @param a = 0.3 in [0, 1]
// @curvature 4
fn site_energy(i: u32) -> f32 {
    return select(0.5, 1.0, energy_params[0] > 0.3) * src[i] * src[i];
}
fn energy_gradient(i: u32) -> f32 {
    return select(1.0, 2.0, energy_params[0] > 0.3) * src[i];
}
";
        let model = EnergyModel::Custom(
            idf::engine::energies::custom::CustomEnergy::parse(source).unwrap(),
        );
        let path = data("jump", "phi4", &[], 1.0, 8, 32);
        let atlas = Atlas::open(&path).unwrap();
        let spec = TrainSpec {
            model,
            fixed: Vec::new(),
            bounds: Vec::new(),
            select: Vec::new(),
            steps: 5,
            batch_size: 4,
            chains: 4,
            sampler_steps: 1,
            learning_rate: 0.01,
            seed: 1,
        };
        let err = train_diffusion(ctx, &Config::default(), &atlas, &spec, &mut |_, _, _| {})
            .unwrap_err()
            .to_string();
        assert!(err.contains("not smooth in its parameter `a`"), "{err}");
        std::fs::remove_file(&path).ok();
    });
}

/// A dataset made over a grid is fitted one grid point at a time: a fit over records that mix
/// temperatures or parameter values is refused naming the column and its values, `select`
/// picks a point (by library and CLI), and the contrastive-divergence and pseudo-likelihood fits
/// of that point recover its true couplings from its records alone.
#[test]
fn a_grid_dataset_is_fitted_at_the_selected_point() {
    use idf::jobs::dataset::GridAxis;
    use idf::jobs::train::ConditionValue;
    let path = write_data(
        "grid",
        &SynthSpec {
            grid: vec![
                "temperature=2.5,3".parse::<GridAxis>().unwrap(),
                "J=0.5,1".parse::<GridAxis>().unwrap(),
            ],
            ..synth_spec("ising", &[("h", "0.1")], 1.0, 16, 256)
        },
    );
    let atlas = Atlas::open(&path).unwrap();
    let start = EnergyModel::from_params(
        "ising",
        &[("J".into(), "0.5".into()), ("h".into(), "0".into())],
    )
    .unwrap();
    let fit_select = |select: &[&str], steps: u64| {
        let spec = TrainSpec {
            select: select.iter().map(|c| c.parse().unwrap()).collect(),
            ..fit_spec(start.clone(), steps)
        };
        train_diffusion(
            &Context::cpu(),
            &Config::default(),
            &atlas,
            &spec,
            &mut |_, _, _| {},
        )
    };
    for (select, needle) in [
        (&[][..], "the `temperature` column holds [2.5, 3.0]"),
        (&["temperature=3"][..], "the `J` column holds [0.5, 1.0]"),
        (
            &["T=3"][..],
            "has no condition `T` (its conditions: temperature, J, h)",
        ),
        (&["temperature=2"][..], "no record"),
    ] {
        let err = fit_select(select, 2).unwrap_err().to_string();
        assert!(err.contains(needle), "{select:?}: {err}");
        if select.len() == 1 && select[0] == "temperature=3" {
            assert!(err.contains("--select J=VALUE"), "{err}");
        }
    }
    let report = fit_select(&["temperature=3", "J=1"], 3000).unwrap();
    assert_eq!((report.samples, report.temperature), (256, 3.0));
    assert_recovered(
        "Ising CD at (T = 3, J = 1)",
        &report.params,
        &[("J", 1.0), ("h", 0.1)],
    );
    let point: Vec<ConditionValue> = vec!["temperature=3".parse().unwrap(), "J=1".parse().unwrap()];
    let pl = ising_pseudo_likelihood(&atlas, &point).unwrap();
    assert_recovered("Ising PL at (T = 3, J = 1)", &pl, &[("J", 1.0), ("h", 0.1)]);
    // The CLI: the same refusal, naming the flag that resolves it.
    let run = crate::common::idf(&[
        "train",
        "--model",
        "ising",
        "--data",
        path.to_str().unwrap(),
        "--steps",
        "2",
        "--backend",
        "cpu",
        "--out",
        "/nonexistent/never.ckpt",
    ]);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(
        !run.status.success() && stderr.contains("--select temperature=VALUE"),
        "{stderr}"
    );
    std::fs::remove_file(&path).ok();
}
