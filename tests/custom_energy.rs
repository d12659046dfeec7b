//! User-written WGSL energies: naga's diagnostics point into the user's module, the directives
//! are checked, a custom φ⁴ reproduces the shipped φ⁴ step for step on the GPU, the
//! finite-difference check passes a right gradient and catches a wrong one, the CPU refuses
//! custom energies with a clear error, a hot reload keeps the running trajectory, and the
//! command line samples a WGSL file and makes a dataset of it.

use crate::common::{idf, idf_json, on_gpu};
use idf::engine::energies::custom::{CustomEnergy, CUSTOM_MODULE, TEMPLATE};
use idf::engine::energies::Energy;
use idf::engine::energies::{EnergyModel, Phi4};
use idf::engine::gradient_check::gradient_check;
use idf::{Context, Field, Method, RunConfig, Shape, Simulation, TemperatureSchedule};

/// φ⁴ written as a user would: the same energy as `shaders/energies/phi4.wgsl` without guidance.
const PHI4: &str = include_str!("fixtures/phi4.wgsl");

fn custom(source: &str) -> CustomEnergy {
    CustomEnergy::parse(source).unwrap_or_else(|d| panic!("{d}"))
}

fn line_of(source: &str, needle: &str) -> usize {
    source
        .lines()
        .position(|l| l.contains(needle))
        .expect("needle in source")
        + 1
}

#[test]
fn template_and_phi4_validate_with_their_parameters() {
    let t = custom(TEMPLATE);
    let names: Vec<_> = t.params.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["kappa", "a", "b", "c"]);
    assert_eq!(t.curvature, 12.0);
    assert_eq!(custom(PHI4).packed(), vec![1.0, -1.0, 1.0, 0.0]);
}

#[test]
fn naga_errors_point_into_the_users_module() {
    let broken = PHI4.replace("let phi2 = phi * phi;", "let phi2 = phi * undefined_thing;");
    let d = CustomEnergy::parse(&broken).expect_err("an undefined identifier is refused");
    assert_eq!(d.module, CUSTOM_MODULE);
    assert_eq!(d.line, line_of(&broken, "undefined_thing"));
    assert_eq!(d.column, 22, "{d}");
    assert!(d.message.contains("undefined_thing"), "{d}");

    let unparsable = PHI4.replace("let dd = phi", "let dd phi");
    let d = CustomEnergy::parse(&unparsable).expect_err("a syntax error is refused");
    assert_eq!(d.module, CUSTOM_MODULE);
    assert_eq!(d.line, line_of(&unparsable, "let dd phi"), "{d}");

    let typed = PHI4.replace("- energy_params[3];\n}", "- 1u;\n}");
    let d = CustomEnergy::parse(&typed).expect_err("a type error is refused");
    assert!(d.line > 0 && d.module == CUSTOM_MODULE, "{d}");
}

#[test]
fn directives_are_checked() {
    let bad = PHI4.replace("// @param b = 1.0 in [0, 3]", "// @param b = one in [0, 3]");
    let d = CustomEnergy::parse(&bad).expect_err("a bad value is refused");
    assert_eq!(d.line, 4);
    assert!(d.message.contains("@param"), "{d}");
    let reversed = PHI4.replace("in [0, 3]", "in [3, 0]");
    assert!(CustomEnergy::parse(&reversed).is_err());
    let curvature = PHI4.replace("// @curvature 16", "// @curvature -1");
    assert_eq!(CustomEnergy::parse(&curvature).unwrap_err().line, 6);
    let import = format!("#import shared/nothing\n{PHI4}");
    assert_eq!(CustomEnergy::parse(&import).unwrap_err().line, 1);
    let twice = PHI4.replace("// @param h = 0.0", "// @param a = 0.0");
    let d = CustomEnergy::parse(&twice).expect_err("a parameter declared twice is refused");
    assert_eq!(d.line, 5);
    assert!(d.message.contains("declared twice"), "{d}");
    let mut e = custom(PHI4);
    assert!(
        e.set_value("kappa", 5.0).is_err(),
        "outside its declared range"
    );
    assert!(e.set_value("nope", 1.0).is_err());
    assert!(e.set_value("kappa", 0.5).is_ok());
}

#[test]
fn the_cpu_refuses_custom_energies_by_name() {
    let model = EnergyModel::Custom(custom(PHI4));
    let field = Field::zeros(Shape::new(1, 1, 8, 8).unwrap()).unwrap();
    let err = Simulation::new(&Context::cpu(), &model, &field, 0)
        .err()
        .expect("no CPU twin");
    assert!(err.to_string().contains("no CPU twin"), "{err}");
    let shape = Shape::new(1, 1, 8, 8).unwrap();
    assert!(model.check_method(Method::Metropolis, shape).is_err());
    assert!(model.check_method(Method::Mala, shape).is_ok());
}

/// The custom φ⁴ and the shipped one compose into different shaders from the same arithmetic,
/// so 100 noisy Langevin steps agree to float rounding (the shipped kernel comparison's 1e-4).
#[test]
fn custom_phi4_matches_the_shipped_phi4_on_the_gpu() {
    on_gpu(|ctx| {
        let shape = Shape::new(2, 1, 32, 32).unwrap();
        let initial = Field::random_normal(shape, 3, 0.5).unwrap();
        let run = RunConfig {
            method: Method::Langevin,
            step_size: 0.02,
            schedule: TemperatureSchedule::constant(0.5),
            steps: 100,
            ..RunConfig::default()
        };
        let shipped = EnergyModel::Phi4(Phi4 {
            kappa: 1.0,
            a: -1.0,
            b: 1.0,
            h: 0.0,
            guidance: None,
        });
        let mut a = Simulation::new(ctx, &shipped, &initial, 9).unwrap();
        a.set_fusion(1);
        let ta = a.run(&run, &mut |_, _| {}).unwrap();
        let mut b = Simulation::new(ctx, &EnergyModel::Custom(custom(PHI4)), &initial, 9).unwrap();
        let tb = b.run(&run, &mut |_, _| {}).unwrap();
        let (fa, fb) = (a.field().unwrap(), b.field().unwrap());
        let worst = fa
            .data()
            .iter()
            .zip(fb.data())
            .map(|(x, y)| (x - y).abs())
            .fold(0.0f32, f32::max);
        assert!(worst <= 1e-4, "fields differ by {worst}");
        let (ea, eb) = (ta.energies(100), tb.energies(100));
        for (x, y) in ea.iter().zip(&eb) {
            assert!((x - y).abs() <= 1e-3 * x.abs().max(1.0), "{x} vs {y}");
        }
    });
}

#[test]
fn gradient_check_passes_right_gradients_and_catches_wrong_ones() {
    on_gpu(|ctx| {
        for source in [TEMPLATE, PHI4] {
            let check = gradient_check(ctx, &custom(source)).unwrap();
            assert!(check.passed(), "{check:?}");
        }
        // A slip users make: the Laplacian's centre term dropped.
        let wrong = PHI4.replace("neighbour_sum(i) - 4.0 * phi", "neighbour_sum(i)");
        let check = gradient_check(ctx, &custom(&wrong)).unwrap();
        assert!(!check.passed(), "{check:?}");
        assert!(check.error > 10.0 * check.tolerance, "{check:?}");
        // An energy that overflows f32 has no derivative to compare: the check fails.
        let overflowing = PHI4.replace(
            "fn site_energy(i: u32) -> f32 {\n    let phi = src[i];",
            "fn site_energy(i: u32) -> f32 {\n    let phi = src[i] * 1e30;",
        );
        assert_ne!(overflowing, PHI4);
        let check = gradient_check(ctx, &custom(&overflowing)).unwrap();
        assert!(!check.passed(), "{check:?}");
    });
}

#[test]
fn hot_reload_keeps_the_trajectory() {
    on_gpu(|ctx| {
        let shape = Shape::new(1, 1, 16, 16).unwrap();
        let initial = Field::random_normal(shape, 1, 0.3).unwrap();
        let mut sim =
            Simulation::new(ctx, &EnergyModel::Custom(custom(PHI4)), &initial, 4).unwrap();
        sim.run(
            &RunConfig {
                steps: 20,
                ..RunConfig::default()
            },
            &mut |_, _| {},
        )
        .unwrap();
        let before = sim.field().unwrap();
        let edited = custom(&TEMPLATE.replace("c * x * x;", "c * x * x + 0.0;"));
        sim.set_model(ctx, &EnergyModel::Custom(edited.clone()))
            .unwrap();
        assert_eq!(sim.steps_taken(), 20);
        assert_eq!(sim.field().unwrap(), before);
        // New parameters of the same module are written in place and take effect.
        let mut flat = edited;
        for p in &mut flat.params {
            p.value = 0.0;
        }
        flat.set_value("b", 0.1).unwrap();
        sim.set_model(ctx, &EnergyModel::Custom(flat)).unwrap();
        let g = sim.energy_gradient(1.0).unwrap();
        for (x, gx) in before.data().iter().zip(g.data()) {
            let expected = 0.1 * x * x * x;
            assert!((gx - expected).abs() <= 1e-6, "{gx} vs {expected}");
        }
    });
}

/// A WGSL file named by `--model` on the command line is read from the working directory, with
/// `--param` over its declared defaults: `idf sample` runs it on the GPU (the CPU refuses it)
/// and `idf dataset synth` writes an Energy Atlas of it.
#[test]
fn the_command_line_samples_a_wgsl_file_and_makes_a_dataset_of_it() {
    on_gpu(|_| {
        let wgsl = "tests/fixtures/phi4.wgsl";
        let run = [
            "--model",
            wgsl,
            "--param",
            "kappa=0.5",
            "--size",
            "8",
            "--chains",
            "2",
        ];
        let sampled = idf_json(
            &[
                &["sample"],
                &run[..],
                &["--steps", "20", "--backend", "gpu", "--json"],
            ]
            .concat(),
        );
        assert_eq!(sampled["model"], "custom", "{sampled}");
        assert_eq!(sampled["params"]["kappa"], 0.5, "{sampled}");
        let refused = idf(&[
            &["sample"],
            &run[..],
            &["--steps", "20", "--backend", "cpu"],
        ]
        .concat());
        let stderr = String::from_utf8_lossy(&refused.stderr);
        assert!(
            !refused.status.success() && stderr.contains("no CPU twin"),
            "{stderr}"
        );
        let dir = std::env::temp_dir().join(format!("idf-wgsl-dataset-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let out = dir.join("custom.h5");
        let made = idf_json(
            &[
                &["dataset", "synth"],
                &run[..],
                &[
                    "--samples",
                    "4",
                    "--burn-in",
                    "20",
                    "--out",
                    out.to_str().unwrap(),
                    "--backend",
                    "gpu",
                    "--json",
                ],
            ]
            .concat(),
        );
        assert_eq!(made["samples"], 4, "{made}");
        assert!(out.is_file(), "{made}");
        std::fs::remove_dir_all(&dir).ok();
    });
}
