//! The fused GPU kernel (several Langevin steps per dispatch, tiles in workgroup memory) agrees
//! with the plain kernel and with the CPU path for the same seed.

use crate::common;

use idf::engine::fusion_plan::{plan, PlanSource};
use idf::{Context, EnergyModel, Field, Simulation, StepRule};

fn run(
    ctx: &Context,
    model: &EnergyModel,
    init: &Field,
    fusion: u32,
    steps: u64,
    rule: StepRule,
) -> Field {
    let mut sim = Simulation::new(ctx, model, init, 17).unwrap();
    sim.set_fusion(fusion);
    sim.advance(steps, &|_| rule, &|k| k == steps / 2, &mut |_, _| {})
        .unwrap();
    sim.field().unwrap()
}

fn max_diff(a: &Field, b: &Field) -> f32 {
    a.data()
        .iter()
        .zip(b.data())
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}

#[test]
fn fused_matches_plain_and_cpu() {
    common::on_gpu(|gpu| {
        let target: Vec<f32> = (0..40 * 24)
            .map(|i| ((i % 40) as f32 * 0.3).sin())
            .collect();
        let guided = EnergyModel::from_params("phi4", &[])
            .unwrap()
            .with_guidance(idf::engine::energies::Guidance {
                lambda: 0.5,
                target,
                height: 24,
                width: 40,
            })
            .unwrap();
        let cases = [
            (
                EnergyModel::from_params("phi4", &[]).unwrap(),
                [24usize, 40usize],
                3usize,
            ),
            (EnergyModel::from_params("phi4", &[]).unwrap(), [8, 8], 2),
            // Three tile centres across, two down, the last of each partial.
            (EnergyModel::from_params("phi4", &[]).unwrap(), [40, 72], 1),
            (guided, [24, 40], 2),
        ];
        for (model, [h, w], chains) in cases {
            let init = model
                .initial_field(model.shape(chains, Some([h, w])).unwrap(), 5)
                .unwrap();
            for rule in [StepRule::langevin(0.02, 0.0), StepRule::langevin(0.02, 1.0)] {
                let fused = run(gpu, &model, &init, 8, 101, rule);
                let plain = run(gpu, &model, &init, 1, 101, rule);
                let cpu = run(&Context::cpu(), &model, &init, 8, 101, rule);
                let (d_plain, d_cpu) = (max_diff(&fused, &plain), max_diff(&fused, &cpu));
                assert!(
                    d_plain <= 1e-5,
                    "{h}x{w}: fused vs plain kernel {d_plain:e}"
                );
                assert!(d_cpu <= 1e-4, "{h}x{w}: fused vs CPU {d_cpu:e}");
            }
        }
        // Two channels: a plane's chain is its index over the channel count, and each chain
        // draws its own noise.
        let phi4 = EnergyModel::from_params("phi4", &[]).unwrap();
        let shape = idf::Shape::new(2, 2, 24, 40).unwrap();
        let values = (0..shape.len())
            .map(|i| ((i * 7919) % 1000) as f32 / 500.0 - 1.0)
            .collect();
        let init = Field::from_vec(shape, values).unwrap();
        let rule = StepRule::langevin(0.02, 1.0);
        let fused = run(gpu, &phi4, &init, 8, 101, rule);
        let plain = run(gpu, &phi4, &init, 1, 101, rule);
        let cpu = run(&Context::cpu(), &phi4, &init, 8, 101, rule);
        let (d_plain, d_cpu) = (max_diff(&fused, &plain), max_diff(&fused, &cpu));
        assert!(d_plain <= 1e-5, "two channels: fused vs plain {d_plain:e}");
        assert!(d_cpu <= 1e-4, "two channels: fused vs CPU {d_cpu:e}");
    });
}

#[test]
fn fused_divergence_names_the_exact_step() {
    common::on_gpu(|gpu| {
        let model = EnergyModel::from_params("phi4", &[]).unwrap();
        let init = model
            .initial_field(model.shape(1, Some([16, 16])).unwrap(), 8)
            .unwrap();
        let rule = StepRule::langevin(0.6, 1.0);
        let step = |fusion| {
            let mut sim = Simulation::new(gpu, &model, &init, 3).unwrap();
            sim.set_fusion(fusion);
            match sim.advance(400, &|_| rule, &|_| false, &mut |_, _| {}) {
                Err(idf::IdfError::Diverged { step, .. }) => step,
                other => panic!("expected divergence, got {other:?}"),
            }
        };
        assert_eq!(step(8), step(1));
    });
}

#[test]
fn fast_cpu_path_matches_the_generic_twin() {
    use idf::cpu::energies::EnergyEval;
    use idf::kernels::{initial_status, StepParams};
    use std::sync::atomic::AtomicU32;

    let model = EnergyModel::from_params("phi4", &[("h".into(), "0.2".into())]).unwrap();
    let shape = model.shape(2, Some([20, 36])).unwrap();
    let src = Field::random_normal(shape, 4, 1.0).unwrap();
    let packed = model.packed_params();
    let status: Vec<AtomicU32> = initial_status(2).into_iter().map(AtomicU32::new).collect();
    for (c_noise, tolerance) in [(0.0f32, 0.0f32), (0.3, 1e-6)] {
        let p = StepParams {
            chains: 2,
            channels: 1,
            height: 20,
            width: 36,
            step: 9,
            seed: 4,
            c_x: 1.0,
            c_grad: 0.05,
            c_noise,
            ..Default::default()
        };
        let e = EnergyEval::new(&idf::cpu::energies::phi4::Phi4Twin, &packed, &p, src.data());
        let (mut fast, mut generic) = (vec![0.0; shape.len()], vec![0.0; shape.len()]);
        idf::cpu::fast_phi4::run(&e, &mut fast, &status);
        idf::cpu::langevin_step::run(&e, &mut generic, &status);
        let d = fast
            .iter()
            .zip(&generic)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f32::max);
        assert!(
            d <= tolerance,
            "noise {c_noise}: fast path differs from the twin by {d:e}"
        );
    }
}

/// Chains with their own random-number keys (batched runs) draw in the fused kernel what the
/// plain kernel draws for them: two chains keyed (0, 5) and (0, 9) end as runs of one chain
/// seeded 5 and 9.
#[test]
fn fused_steps_keep_each_chains_random_numbers() {
    common::on_gpu(|gpu| {
        let model = EnergyModel::from_params("phi4", &[]).unwrap();
        let one = model.shape(1, Some([24, 40])).unwrap();
        let starts = [5u32, 9].map(|s| model.initial_field(one, s).unwrap());
        let rule = StepRule::langevin(0.02, 1.0);
        let mut both =
            Simulation::new(gpu, &model, &Field::concat_chains(&starts).unwrap(), 0).unwrap();
        both.set_fusion(8);
        both.set_chain_keys(&[(0, 5), (0, 9)]).unwrap();
        both.advance(64, &|_| rule, &|k| k == 32, &mut |_, _| {})
            .unwrap();
        let both = both.field().unwrap();
        for (chain, seed) in [(0, 5u32), (1, 9)] {
            let mut alone = Simulation::new(gpu, &model, &starts[chain], seed).unwrap();
            alone.set_fusion(1);
            alone
                .advance(64, &|_| rule, &|k| k == 32, &mut |_, _| {})
                .unwrap();
            let d = max_diff(&both.chain_field(chain), &alone.field().unwrap());
            assert!(d <= 1e-5, "chain {chain}: fused batch vs plain alone {d:e}");
        }
    });
}

/// The CPU fast path's Box–Muller approximations of ln u and cos 2πv agree with libm over the
/// 2¹⁶ uniforms of a grid as fine as the 24-bit draws they are fed.
#[test]
fn fast_ln_and_cos_match_libm() {
    use idf::cpu::fast_phi4::{fast_cos_turns, fast_ln};
    let (mut worst_ln, mut worst_cos) = (0.0f32, 0.0f32);
    for k in 1..=(1u32 << 16) {
        let u = (k << 8) as f32 / (1u32 << 24) as f32;
        worst_ln = worst_ln.max((fast_ln(u) - u.ln()).abs() / u.ln().abs().max(1.0));
        let v = (k - 1) as f32 / 65_536.0;
        worst_cos = worst_cos.max((fast_cos_turns(v) - (std::f32::consts::TAU * v).cos()).abs());
    }
    assert!(worst_ln < 4e-7, "ln {worst_ln:e}");
    // Both sides round the argument 2πv in f32: up to ε·2π ≈ 7.5e-7 apart.
    assert!(
        worst_cos < f32::EPSILON * std::f32::consts::TAU,
        "cos {worst_cos:e}"
    );
}

/// The planner (issue 13.3) times 1, 2, 4 and 8 steps per dispatch on the run's own adapter,
/// energy and shape, keeps the fastest of its own timings, reuses the plan for the next
/// simulation of the same key, and gives way to `set_fusion`; the CPU and energies without a
/// stencil gradient have no plan.
#[test]
fn the_fusion_planner_keeps_the_fastest_of_its_timings() {
    let model = EnergyModel::from_params("phi4", &[]).unwrap();
    // A shape no other test plans, so the first plan here is timed, not reused.
    let init = model
        .initial_field(model.shape(2, Some([20, 36])).unwrap(), 3)
        .unwrap();
    let rule = StepRule::langevin(0.02, 1.0);
    let planned = |ctx: &Context, fusion: Option<u32>| {
        let mut sim = Simulation::new(ctx, &model, &init, 17).unwrap();
        if let Some(k) = fusion {
            sim.set_fusion(k);
        }
        sim.advance(24, &|_| rule, &|k| k == 24, &mut |_, _| {})
            .unwrap();
        sim.fusion_plan().cloned()
    };
    assert_eq!(planned(&Context::cpu(), None), None, "the CPU has no plan");
    common::on_gpu(|gpu| {
        let first = planned(gpu, None).expect("a drift run on a GPU is planned");
        assert_eq!(first.source, PlanSource::Measured);
        // 1, 2, 4 and 8 in order, up to the first fused choice 2× slower than the plain path.
        let steps: Vec<u32> = first.ms_per_step.iter().map(|&(k, _)| k).collect();
        assert!(
            steps.len() >= 2 && steps[..] == [1, 2, 4, 8][..steps.len()],
            "{first:?}"
        );
        let (best, best_ms) = first
            .ms_per_step
            .iter()
            .copied()
            .fold((0, f64::INFINITY), |a, b| if b.1 < a.1 { b } else { a });
        assert!(best_ms.is_finite() && best_ms > 0.0, "{first:?}");
        assert_eq!(first.fused_steps, best, "not the fastest: {first:?}");

        let again = planned(gpu, None).unwrap();
        assert_eq!(again.source, PlanSource::Cached);
        assert_eq!(again.fused_steps, first.fused_steps);
        assert_eq!(again.ms_per_step, first.ms_per_step);

        let set = planned(gpu, Some(4)).unwrap();
        assert_eq!((set.source, set.fused_steps), (PlanSource::Override, 4));
        assert!(set.ms_per_step.is_empty());

        let gmm = EnergyModel::from_params("gmm", &[]).unwrap();
        let shape = gmm.shape(4, None).unwrap();
        assert_eq!(plan(gpu, &gmm, shape).unwrap(), None, "gmm has no stencil");
    });
}

/// `idf sample --json` and `idf info --json` say how drift runs were dispatched;
/// `IDF_FUSED_STEPS` overrides the planner, and a bad value is an error that names it. A plan
/// timed by one command is read back from the plan file by the next; a file that is not a plan
/// file is said in the plan's note and replaced.
#[test]
fn the_fusion_plan_is_reported_and_can_be_overridden() {
    let cache = std::env::temp_dir().join(format!("idf-plan-cache-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&cache);
    let idf = |fused_steps: Option<&str>, args: &[&str]| {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_idf"));
        cmd.args(args)
            .env("NODEVICE_SELECT", "1")
            .env("IDF_CACHE_DIR", &cache);
        if let Some(k) = fused_steps {
            cmd.env("IDF_FUSED_STEPS", k);
        }
        cmd.output().expect("idf runs")
    };
    let json = |out: &std::process::Output| -> serde_json::Value {
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let sample = [
        "sample",
        "--backend",
        "gpu",
        "--model",
        "phi4",
        "--size",
        "16",
        "--steps",
        "40",
        "--record-every",
        "20",
        "--json",
    ];
    common::on_gpu(|_| {
        let v = json(&idf(Some("2"), &sample));
        assert_eq!(v["fusion"]["fused_steps"], 2, "{v}");
        assert_eq!(v["fusion"]["source"], "override", "{v}");

        let bad = idf(Some("9"), &sample);
        assert!(!bad.status.success());
        let stderr = String::from_utf8_lossy(&bad.stderr);
        assert!(stderr.contains("IDF_FUSED_STEPS"), "{stderr}");

        let file = cache.join("fusion_plans.json");
        let info = json(&idf(None, &["info", "--json"]));
        let plan = &info["fusion"]["plan"];
        assert_eq!(plan["source"], "measured", "{info}");
        assert!(
            [1, 2, 4, 8].contains(&plan["fused_steps"].as_u64().unwrap()),
            "{info}"
        );
        assert_eq!(info["fusion"]["model"], "phi4");
        assert_eq!(info["fusion"]["plan_file"], file.to_str().unwrap());

        let again = json(&idf(None, &["info", "--json"]));
        let stored = &again["fusion"]["plan"];
        assert_eq!(stored["source"], "stored", "{again}");
        assert_eq!(stored["fused_steps"], plan["fused_steps"]);
        assert_eq!(stored["ms_per_step"], plan["ms_per_step"]);
        let kept: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
        assert_eq!(kept["plans"].as_array().unwrap().len(), 1, "{kept}");
        let energy = kept["plans"][0]["energy"].as_str().unwrap_or_default();
        assert!(energy.ends_with("phi4"), "{kept}");

        std::fs::write(&file, "{ not json").unwrap();
        let replaced = json(&idf(None, &["info", "--json"]));
        let plan = &replaced["fusion"]["plan"];
        assert_eq!(plan["source"], "measured", "{replaced}");
        let note = plan["note"].as_str().unwrap_or_default();
        assert!(note.contains("fusion_plans.json"), "{replaced}");
        let kept: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
        assert_eq!(kept["plans"].as_array().unwrap().len(), 1, "{kept}");
    });
    let _ = std::fs::remove_dir_all(&cache);
}
