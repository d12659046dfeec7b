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
    // A flag's bad value is the flag's, not the scene's it overrides (here the default scene).
    let out = idf(&with_small(&["--model", "phi4", "--param", "kappa=nan"]));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("`kappa`") && stderr.contains("not finite") && !stderr.contains(".yaml"),
        "{stderr}"
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
    for (i, params) in ["{kappa: x}", "{nope: 1}", "{b: -1}", "{kappa: .nan}"]
        .iter()
        .enumerate()
    {
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
    // Three steps of 100 leave φ finite (about 1e23) but φ⁴ past f32: a divergence too, not a
    // success with null estimates.
    let overflows = |backend: &str| {
        let out = idf(&[
            "sample",
            "--backend",
            backend,
            "--model",
            "phi4",
            "--size",
            "4",
            "--chains",
            "2",
            "--steps",
            "3",
            "--record-every",
            "1",
            "--step-size",
            "100",
            "--json",
        ]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            !out.status.success(),
            "{backend}: exit 0:\n{}",
            String::from_utf8_lossy(&out.stdout)
        );
        assert!(stderr.contains("diverged at step 3"), "{backend}: {stderr}");
    };
    overflows("cpu");
    crate::common::on_gpu(|_| overflows("gpu"));
    // Two particles in one place have no finite energy: the start is refused, not run to NaN.
    let start = std::env::temp_dir().join(format!("idf-coincident-{}.xyz", std::process::id()));
    std::fs::write(&start, "2\n\nAr 0 0 0\nAr 0 0 0\n").unwrap();
    fails_with(
        &[
            "molecular",
            "--backend",
            "cpu",
            "--cutoff",
            "100",
            "--steps",
            "20",
            "--start",
            start.to_str().unwrap(),
        ],
        "two particles coincide",
    );
    std::fs::remove_file(&start).ok();
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
    // A continuous field's Metropolis move has a width, the step size: that is what to reduce.
    let wide = idf_json(&[
        "sample",
        "--backend",
        "cpu",
        "--model",
        "phi4",
        "--integrator",
        "metropolis",
        "--step-size",
        "100",
        "--size",
        "8",
        "--chains",
        "2",
        "--steps",
        "40",
        "--json",
    ]);
    let said = wide["warnings"].to_string();
    assert!(
        said.contains("frozen") && said.contains("reduce the step size"),
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
        "`steps`",
    );
}

/// Counts from the command line that overflow, or pass a limit, are errors naming them on every
/// command, before anything is allocated for them (issue 20.8's kind, found by a second probe).
#[test]
fn huge_counts_are_errors_naming_them_on_every_command() {
    const HUGE: &str = "18446744073709551615";
    let molecular = |extra: &[&'static str]| {
        let mut v = vec!["molecular", "--backend", "cpu", "--steps", "5"];
        v.extend_from_slice(extra);
        v
    };
    fails_with(
        &molecular(&["--cluster", "--cutoff", "100", "--particles", HUGE]),
        "`particles`",
    );
    fails_with(
        &molecular(&[
            "--cluster",
            "--cutoff",
            "100",
            "--particles",
            "8",
            "--chains",
            HUGE,
        ]),
        "`chains`",
    );
    fails_with(
        &molecular(&["--particles", "8", "--chains", HUGE]),
        "`chains`",
    );
    // A box too small for its skin alone names the skin, not the cutoff.
    fails_with(
        &molecular(&["--particles", "256", "--skin", "1e9"]),
        "`skin`",
    );
    fails_with(
        &[
            "plasma",
            "run",
            "--backend",
            "cpu",
            "--steps",
            "5",
            "--size",
            "4294967296",
        ],
        "`size`",
    );
    let scan = |extra: &[&'static str]| {
        let mut v = vec!["plasma", "scan", "--backend", "cpu", "--steps", "5"];
        v.extend_from_slice(extra);
        v
    };
    fails_with(&scan(&["--size", "4294967296"]), "`size`");
    fails_with(
        &scan(&["--size", "8", "--alpha", "1:2:18446744073709551615"]),
        "--alpha",
    );
    fails_with(
        &scan(&[
            "--size",
            "8",
            "--alpha",
            "1:2:60000",
            "--kappa",
            "1:2:60000",
        ]),
        "(α, κ) pairs",
    );
    let dir = std::env::temp_dir().join(format!("idf-huge-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let data = dir.join("d.h5");
    let data = data.to_str().unwrap();
    let synth = |extra: &[&'static str]| {
        let mut v = vec![
            "dataset",
            "synth",
            "--backend",
            "cpu",
            "--model",
            "ising",
            "--size",
            "4",
            "--burn-in",
            "10",
            "--out",
            data,
        ];
        v.extend_from_slice(extra);
        v
    };
    fails_with(
        &synth(&[
            "--samples",
            "2",
            "--conditions",
            "temperature=1:2:18446744073709551615",
        ]),
        "`conditions`",
    );
    fails_with(
        &synth(&[
            "--samples",
            "2",
            "--conditions",
            "temperature=1:2:2000",
            "--conditions",
            "J=0:1:2000",
        ]),
        "grid points are over the limit",
    );
    fails_with(&synth(&["--pilot", "20", "--samples", HUGE]), "`samples`");
    fails_with(&synth(&["--samples", "2", "--pilot", HUGE]), "`pilot`");
    assert_eq!(
        std::fs::read_dir(&dir).unwrap().count(),
        0,
        "a refused synth left a file"
    );
    idf_ok(&synth(&["--pilot", "20", "--samples", "4"]));
    fails_with(
        &[
            "train",
            "--backend",
            "cpu",
            "--model",
            "ising",
            "--data",
            data,
            "--steps",
            "3",
            "--batch-size",
            HUGE,
        ],
        "`batch_size`",
    );
    std::fs::remove_dir_all(&dir).ok();
    let graph = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/assets/service_graphs/shop.json"
    );
    for limit in ["inf", "nan", "1e30"] {
        fails_with(
            &[
                "optimize",
                "--backend",
                "cpu",
                "--service-graph",
                graph,
                "--steps",
                "10",
                "--exact-time-limit",
                limit,
            ],
            "--exact-time-limit",
        );
    }
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
    // Every writer's name says its format.
    let md = [
        "molecular",
        "--backend",
        "cpu",
        "--steps",
        "5",
        "--particles",
        "8",
    ];
    for (flag, name, needle) in [
        ("--h5md", "m.xyz", "H5MD trajectory is written as HDF5"),
        (
            "--xyz",
            "m.h5",
            "extended XYZ trajectory is written as text",
        ),
        ("--out", "m.yaml", "written as JSON"),
        ("--video", "m.avi", "`video`"),
    ] {
        let mut args = md.to_vec();
        args.extend([flag, name]);
        fails_with(&args, needle);
        assert!(
            !std::path::Path::new(name).exists(),
            "{flag} {name} was written"
        );
    }
    fails_with(
        &["dataset", "merge", "missing.h5", "--out", "merged.txt"],
        "written as HDF5",
    );
    fails_with(
        &[
            "train",
            "--model",
            "ising",
            "--data",
            "missing.h5",
            "--plot",
            "p.txt",
        ],
        "drawn as PNG",
    );
    // PNG frames into a folder that is a file: refused before any frame, nothing left beside it.
    let dir = std::env::temp_dir().join(format!("idf-outdir-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("frames");
    std::fs::write(&file, "not a folder").unwrap();
    fails_with(
        &[
            "render",
            "--backend",
            "cpu",
            "--frames",
            "2",
            "--size",
            "8",
            "--out-dir",
            file.to_str().unwrap(),
        ],
        "`out_dir`",
    );
    assert_eq!(
        std::fs::read_dir(&dir).unwrap().count(),
        1,
        "a partial output was left"
    );
    std::fs::remove_dir_all(&dir).ok();
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
