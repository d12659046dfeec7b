//! `idf.yaml`: defaults, the commented template, and errors naming the key.

use std::path::Path;

use idf::jobs::config::{Config, TEMPLATE};

#[test]
fn template_parses_to_the_documented_defaults() {
    let c = Config::parse(TEMPLATE, Path::new("idf.yaml")).unwrap();
    assert_eq!(c, Config::default());
    assert_eq!(c.diffusion.learning_rate, 1e-4);
    assert_eq!(c.diffusion.noise_schedule, "cosine");
    assert_eq!(c.diffusion.timesteps, 1000);
    assert_eq!(c.diffusion.batch_size, 32);
    assert_eq!(
        (c.diffusion.denoiser_width, c.diffusion.denoiser_depth),
        (128, 2)
    );
    assert_eq!(
        (
            c.diffusion.denoiser_network.as_str(),
            c.diffusion.denoiser_channels
        ),
        ("mlp", 32)
    );
    assert_eq!(c.validation.energy_tolerance, 0.01);
    assert_eq!(c.validation.entropy_drift_max, -0.001);
    assert_eq!(c.eil.service_account, "idf");
    assert_eq!(c.serve.queue, 8);
    assert_eq!(c.serve.max_body_bytes, 8 << 20);
}

#[test]
fn unknown_keys_and_bad_values_name_the_key() {
    let cases = [
        ("EIL:\n  clusterName: a\n", "clusterName"),
        ("Diffusion:\n  timesteps: 0\n", "Diffusion.timesteps"),
        ("Diffusion:\n  noiseSchedule: sigmoid\n", "sigmoid"),
        (
            "Diffusion:\n  denoiserWidth: 0\n",
            "Diffusion.denoiserWidth",
        ),
        (
            "Diffusion:\n  denoiserDepth: 17\n",
            "Diffusion.denoiserDepth",
        ),
        (
            "Validation:\n  energyTolerance: .nan\n",
            "Validation.energyTolerance",
        ),
        ("Sampling: {}\n", "Sampling"),
        ("Serve:\n  queue: 0\n", "Serve.queue"),
        ("Serve:\n  maxBody: 10\n", "maxBody"),
    ];
    for (text, needle) in cases {
        let err = Config::parse(text, Path::new("x/idf.yaml"))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains(needle) && err.contains("x/idf.yaml"),
            "{text:?}: {err}"
        );
    }
}

#[test]
fn partial_config_keeps_other_defaults() {
    let c = Config::parse("Diffusion:\n  timesteps: 50\n", Path::new("idf.yaml")).unwrap();
    assert_eq!(c.diffusion.timesteps, 50);
    assert_eq!(c.diffusion.batch_size, 32);
}
