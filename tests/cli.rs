//! The `idf` binary end to end: JSON output, files, and every bad input a clear error with a
//! non-zero exit.

use crate::common::{idf, idf_json, idf_ok};

fn fails_with(args: &[&str], needle: &str) {
    let out = idf(args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{args:?} should fail");
    assert!(
        stderr.contains(needle),
        "{args:?}: stderr lacks `{needle}`:\n{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{args:?} panicked:\n{stderr}");
}

const SMALL: [&str; 8] = [
    "--backend",
    "cpu",
    "--size",
    "8",
    "--steps",
    "20",
    "--chains",
    "2",
];

fn with_small<'a>(extra: &[&'a str]) -> Vec<&'a str> {
    let mut v = vec!["sample"];
    v.extend_from_slice(&SMALL);
    v.extend_from_slice(extra);
    v
}

#[test]
fn sample_json_has_every_field() {
    let v = idf_json(&with_small(&[
        "--model",
        "ising",
        "--integrator",
        "metropolis",
        "--record-every",
        "2",
        "--json",
    ]));
    for key in [
        "backend",
        "adapter",
        "model",
        "params",
        "integrator",
        "shape",
        "steps",
        "seed",
        "wall_ms",
    ] {
        assert!(!v[key].is_null(), "missing {key}: {v}");
    }
    for key in ["energy_per_site", "mean", "variance"] {
        assert!(v["final"][key].is_number(), "final.{key}: {v}");
    }
    for key in [
        "energy_per_site",
        "mean",
        "mean_square",
        "abs_magnetization",
        "acceptance",
    ] {
        assert!(
            v["estimates"][key]["mean"].is_number(),
            "estimates.{key}: {v}"
        );
        assert!(
            v["estimates"][key]["stderr"].is_number(),
            "estimates.{key}.stderr: {v}"
        );
    }
    assert_eq!(v["backend"], "cpu");
    assert_eq!(v["shape"], serde_json::json!([2, 1, 8, 8]));
    assert_eq!(v["model"], "ising");
}

#[test]
fn langevin_has_no_acceptance_and_out_writes_npy() {
    let dir = std::env::temp_dir().join(format!("idf-cli-{}", std::process::id()));
    let path = dir.join("field.npy");
    let v = idf_json(&with_small(&[
        "--model",
        "phi4",
        "--json",
        "--out",
        path.to_str().unwrap(),
    ]));
    assert!(v["estimates"]["acceptance"].is_null());
    let field = idf::io::npy::read_field(&path).unwrap();
    assert_eq!(field.shape().dims(), [2, 1, 8, 8]);
    assert!(field.is_finite());
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn bad_inputs_are_clear_errors() {
    fails_with(&with_small(&["--model", "potts"]), "unknown model `potts`");
    fails_with(
        &with_small(&["--model", "phi4", "--param", "zeta=1"]),
        "has no parameter `zeta`",
    );
    fails_with(
        &with_small(&["--model", "phi4", "--param", "kappa=nan"]),
        "not finite",
    );
    fails_with(
        &with_small(&["--model", "phi4", "--param", "kappa"]),
        "KEY=VALUE",
    );
    fails_with(
        &[
            "sample",
            "--backend",
            "cpu",
            "--model",
            "phi4",
            "--size",
            "0",
        ],
        "at least 1",
    );
    fails_with(
        &[
            "sample",
            "--backend",
            "cpu",
            "--model",
            "phi4",
            "--shape",
            "8x0",
        ],
        "at least 1",
    );
    fails_with(
        &with_small(&["--model", "phi4", "--step-size", "nan"]),
        "step-size",
    );
    fails_with(
        &with_small(&["--model", "phi4", "--temperature", "-1"]),
        "temperature",
    );
    fails_with(
        &with_small(&["--model", "ising", "--integrator", "langevin"]),
        "discrete",
    );
    fails_with(
        &with_small(&["--model", "phi4", "--integrator", "ddpm"]),
        "exact score",
    );
    fails_with(
        &with_small(&["--model", "phi4", "--integrator", "leapfrog"]),
        "not one of",
    );
    fails_with(&["sample", "--backend", "quantum"], "auto, gpu or cpu");
    fails_with(
        &["sample", "--scene", "/nonexistent/scene.yaml"],
        "/nonexistent/scene.yaml",
    );
    // A scene file's parameter errors name the file, as its other keys' do.
    let dir = std::env::temp_dir().join(format!("idf-scene-params-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for (i, params) in ["{kappa: x}", "{nope: 1}", "{b: -1}"].iter().enumerate() {
        let scene = dir.join(format!("s{i}.yaml"));
        std::fs::write(&scene, format!("model: phi4\nparams: {params}\n")).unwrap();
        let path = scene.to_str().unwrap();
        fails_with(&["sample", "--scene", path, "--backend", "cpu"], path);
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn diverging_step_size_names_the_step_and_a_stable_one() {
    let out = idf(&[
        "sample",
        "--backend",
        "cpu",
        "--model",
        "phi4",
        "--size",
        "16",
        "--steps",
        "300",
        "--step-size",
        "0.9",
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("diverged at step") && stderr.contains("try a step size of"),
        "{stderr}"
    );
}

#[test]
fn init_writes_a_config_that_loads_and_refuses_to_overwrite() {
    let dir = std::env::temp_dir().join(format!("idf-init-{}", std::process::id()));
    let d = dir.to_str().unwrap();
    assert!(idf(&["init", d]).status.success());
    let config = idf::Config::load(&dir.join("idf.yaml")).unwrap();
    assert_eq!(config, idf::Config::default());
    idf::Scene::load(&dir.join("scenes/starter.yaml")).unwrap();
    fails_with(&["init", d], "--force");
    assert!(idf(&["init", d, "--force"]).status.success());
    idf_ok(&[
        "sample",
        "--backend",
        "cpu",
        "--config",
        &format!("{d}/idf.yaml"),
        "--scene",
        &format!("{d}/scenes/starter.yaml"),
        "--steps",
        "5",
        "--burn-in",
        "0",
        "--size",
        "8",
    ]);
    std::fs::write(dir.join("bad.yaml"), "Diffusion:\n  timestep: 10\n").unwrap();
    fails_with(
        &["sample", "--config", &format!("{d}/bad.yaml")],
        "unknown field `timestep`",
    );
    std::fs::write(dir.join("bad_scene.yaml"), "model: phi4\ntemprature: 1\n").unwrap();
    fails_with(
        &["sample", "--scene", &format!("{d}/bad_scene.yaml")],
        "unknown field `temprature`",
    );
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn info_json_lists_backends() {
    let out = idf(&["info", "--json"]);
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["version"], env!("CARGO_PKG_VERSION"));
    assert!(v["selected"]["backend"].is_string());
    assert!(v["adapters"].is_array());
}

/// A frozen sampler (MALA far past its step size: every proposal rejected) is not reported as a
/// plain success: the JSON carries a warning, the estimates no null mean (issue 20.4).
#[test]
fn a_frozen_sampler_warns() {
    let v = idf_json(&[
        "sample",
        "--backend",
        "cpu",
        "--model",
        "phi4",
        "--integrator",
        "mala",
        "--step-size",
        "5",
        "--size",
        "32",
        "--chains",
        "4",
        "--steps",
        "500",
        "--json",
    ]);
    let warnings: Vec<&str> = v["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w.as_str().unwrap())
        .collect();
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("frozen") && w.contains("step size")),
        "{warnings:?}"
    );
    // Spins near T = 0 are frozen by the target itself: no step size to blame.
    let cold = idf_json(&[
        "sample",
        "--backend",
        "cpu",
        "--model",
        "ising",
        "--integrator",
        "metropolis",
        "--temperature",
        "0.001",
        "--size",
        "16",
        "--chains",
        "2",
        "--steps",
        "200",
        "--json",
    ]);
    let said = cold["warnings"].to_string();
    assert!(
        said.contains("frozen") && !said.contains("step size"),
        "{said}"
    );
    for (name, e) in v["estimates"].as_object().unwrap() {
        assert!(e["mean"].is_number(), "{name}: {e}");
    }
    // HMC whose trajectories overflow: ΔH is not finite, so it is left out and named.
    let v = idf_json(&[
        "sample",
        "--backend",
        "cpu",
        "--model",
        "phi4",
        "--integrator",
        "hmc",
        "--step-size",
        "3",
        "--size",
        "8",
        "--chains",
        "2",
        "--steps",
        "20",
        "--json",
    ]);
    for (name, e) in v["estimates"].as_object().unwrap() {
        assert!(e["mean"].is_number(), "{name}: {e}");
    }
}

/// One validation per parameter on every path, naming it (issue 20.7): a leapfrog count of 0,
/// a frame rate out of range (and no file written), a NaN step size for every optimizer, zero
/// steps named as steps.
#[test]
fn every_path_validates_its_parameters() {
    fails_with(
        &with_small(&[
            "--model",
            "phi4",
            "--integrator",
            "hmc",
            "--leapfrog-steps",
            "0",
        ]),
        "leapfrog_steps",
    );
    let out = std::env::temp_dir().join(format!("idf-fps-{}.mp4", std::process::id()));
    for fps in ["0", "100000"] {
        fails_with(
            &[
                "render",
                "--backend",
                "cpu",
                "--fps",
                fps,
                "--out",
                out.to_str().unwrap(),
            ],
            "`fps`",
        );
        assert!(!out.exists(), "--fps {fps} wrote a file");
    }
    for method in ["tempering", "anneal", "population", "baseline-greedy"] {
        fails_with(
            &[
                "optimize",
                "--backend",
                "cpu",
                "--size",
                "8",
                "--method",
                method,
                "--step-size",
                "nan",
            ],
            "`step_size`",
        );
    }
    fails_with(
        &[
            "optimize",
            "--backend",
            "cpu",
            "--size",
            "8",
            "--steps",
            "0",
        ],
        "`steps`",
    );
    // Counts that overflow, or a trace that could not be allocated, are errors, not panics.
    fails_with(
        &with_small(&["--model", "phi4", "--burn-in", "18446744073709551615"]),
        "`burn_in`",
    );
    fails_with(
        &[
            "sample",
            "--backend",
            "cpu",
            "--model",
            "phi4",
            "--size",
            "8",
            "--steps",
            "100000000000",
        ],
        "`record_every`",
    );
}

/// Output names that cannot be written are refused before the run, not after it; printing
/// into a closed pipe ends quietly instead of panicking (issue 20, smaller).
#[test]
fn outputs_are_checked_before_the_run_and_pipes_close_quietly() {
    fails_with(
        &with_small(&["--model", "phi4", "--trace", "tr.npy"]),
        "`trace`",
    );
    fails_with(&with_small(&["--model", "phi4", "--out", "f.txt"]), "`out`");
    fails_with(
        &[
            "optimize",
            "--backend",
            "cpu",
            "--size",
            "8",
            "--out",
            "best.txt",
        ],
        "`out`",
    );
    fails_with(
        &["baseline", "--backend", "cpu", "--out", "b.npy"],
        "a physics baseline is written as HDF5",
    );
    fails_with(
        &["validate", "--backend", "cpu", "--out", "v.h5"],
        "written as JSON",
    );
    assert!(!std::path::Path::new("b.npy").exists() && !std::path::Path::new("v.h5").exists());
    for t in ["nan", "inf", "0"] {
        fails_with(
            &[
                "optimize",
                "--backend",
                "cpu",
                "--size",
                "8",
                "--method",
                "population",
                "--t-start",
                t,
            ],
            "`t_start`",
        );
    }
    // `true` exits at once, long before idf has found its adapters and prints.
    let err = std::env::temp_dir().join(format!("idf-pipe-{}.txt", std::process::id()));
    let status = std::process::Command::new("sh")
        .args(["-c", "\"$0\" info 2>\"$1\" | true"])
        .arg(env!("CARGO_BIN_EXE_idf"))
        .arg(&err)
        .status()
        .unwrap();
    assert!(status.success());
    let stderr = std::fs::read_to_string(&err).unwrap();
    std::fs::remove_file(&err).ok();
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn running_out_of_memory_is_an_error_naming_the_buffer() {
    // Under a 3 GB address-space limit a 16000² field (0.95 GiB per buffer) fits once but
    // not the three times a run needs: the allocation that fails is named, nothing aborts.
    let out = std::process::Command::new("sh")
        .args(["-c", "ulimit -v 3000000 && exec \"$0\" \"$@\""])
        .arg(env!("CARGO_BIN_EXE_idf"))
        .args(["sample", "--model", "phi4", "--size", "16000"])
        .args(["--chains", "1", "--steps", "1", "--backend", "cpu"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("out of memory") && stderr.contains("needs 0.95 GiB"),
        "{stderr}"
    );
    assert!(stderr.contains("CPU field"), "{stderr}");
}
