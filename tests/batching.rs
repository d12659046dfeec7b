//! Batched sampling: jobs that share a run configuration run as one simulation with their
//! chains side by side, and each gets exactly the answer it gets alone (the same random
//! numbers, so the same fields and traces bit for bit) on both backends.

use idf::jobs::sample::{sample, sample_batch, BatchKey};
use idf::jobs::scene::{ResolvedScene, SceneParam};
use idf::{Config, Context, Scene};

fn job(model: &str, method: &str, seed: u32, chains: usize) -> ResolvedScene {
    let scene = Scene {
        model: Some(model.into()),
        integrator: Some(method.into()),
        size: Some([8, 12]),
        chains: Some(chains),
        burn_in: Some(10),
        steps: Some(40),
        record_every: Some(5),
        seed: Some(seed),
        ..Scene::default()
    };
    scene.resolve(&Config::default()).unwrap()
}

on_both! {
    fn every_job_of_a_batch_gets_its_own_answer(ctx: &Context) {
        for (model, method) in [
            ("phi4", "langevin"),
            ("phi4", "mala"),
            ("phi4", "hmc"),
            ("phi4", "anneal"),
            ("ising", "metropolis"),
        ] {
            let mut jobs = vec![
                job(model, method, 3, 2),
                job(model, method, 11, 1),
                job(model, method, 3, 3),
            ];
            // A job with its own starting field keeps it.
            let start = jobs[1].initial_field().unwrap();
            let mut own = start.data().to_vec();
            own.iter_mut().for_each(|v| *v = -*v);
            jobs[1].initial = Some(idf::Field::from_vec(start.shape(), own).unwrap());
            let batched = sample_batch(ctx, &jobs, &mut |_, _| {}).unwrap();
            assert_eq!(batched.len(), jobs.len());
            for (job, got) in jobs.iter().zip(&batched) {
                let alone = sample(ctx, job, &mut |_, _| {}).unwrap();
                let what = format!("{model}/{method}, seed {}, {} chains", job.seed, job.shape.chains);
                assert_eq!(got.field.shape(), alone.field.shape(), "{what}");
                assert_eq!(got.field.data(), alone.field.data(), "{what}: field");
                // Bit for bit: slots that do not apply hold NaN.
                let bits = |t: &idf::RunTrace| -> Vec<u32> {
                    t.raw_values().iter().map(|v| v.to_bits()).collect()
                };
                assert_eq!(bits(&got.trace), bits(&alone.trace), "{what}: trace");
                assert_eq!(got.trace.records, alone.trace.records, "{what}: records");
                for ((k, a), (_, b)) in got.estimates.iter().zip(&alone.estimates) {
                    assert_eq!(
                        (a.mean.to_bits(), a.stderr.map(f64::to_bits)),
                        (b.mean.to_bits(), b.stderr.map(f64::to_bits)),
                        "{what}: {k}"
                    );
                }
            }
        }
    }
}

#[test]
fn only_jobs_with_one_run_configuration_share_a_batch() {
    let a = job("phi4", "langevin", 1, 2);
    let b = job("phi4", "langevin", 9, 4);
    assert_eq!(BatchKey::of(&a), BatchKey::of(&b));
    assert!(BatchKey::of(&job("phi4", "ddpm", 1, 2)).is_none());
    for other in [
        job("phi4", "mala", 1, 2),
        job("ising", "langevin", 1, 2),
        Scene {
            params: [("kappa".to_string(), SceneParam::Text("0.7".into()))]
                .into_iter()
                .collect(),
            model: Some("phi4".into()),
            integrator: Some("langevin".into()),
            size: Some([8, 12]),
            chains: Some(2),
            burn_in: Some(10),
            steps: Some(40),
            record_every: Some(5),
            ..Scene::default()
        }
        .resolve(&Config::default())
        .unwrap(),
    ] {
        assert_ne!(BatchKey::of(&a), BatchKey::of(&other));
        let refused = sample_batch(&Context::cpu(), &[a.clone(), other], &mut |_, _| {})
            .unwrap_err()
            .to_string();
        assert!(refused.contains("same energy"), "{refused}");
    }
}

/// A run shared by several requests stops when every one of them has stopped, not before.
#[test]
fn a_shared_run_stops_only_when_all_its_requests_do() {
    let (a, b) = (idf::Cancel::new(), idf::Cancel::new());
    let shared = idf::Cancel::all_of(vec![a.clone(), b.clone()]);
    let jobs = [job("phi4", "langevin", 1, 1), job("phi4", "langevin", 2, 1)];
    let ctx = Context::cpu().with_cancel(shared.clone());
    a.cancel();
    assert!(!shared.is_cancelled());
    assert!(sample_batch(&ctx, &jobs, &mut |_, _| {}).is_ok());
    b.cancel();
    assert!(shared.is_cancelled());
    let stopped = sample_batch(&ctx, &jobs, &mut |_, _| {}).unwrap_err();
    assert!(
        matches!(stopped, idf::IdfError::Cancelled { .. }),
        "{stopped}"
    );
}

/// A service keeps the GPU buffers of finished requests for the next ones
/// (`Context::keep_gpu_buffers`): runs on reused buffers, dirtied by a run before them, give
/// the answers of runs on fresh ones, bit for bit, and the pool stays within its capacity.
#[test]
fn reused_gpu_buffers_change_no_answer() {
    crate::common::on_gpu(|fresh| {
        let pooled = Context::gpu().unwrap();
        pooled.keep_gpu_buffers(64 << 20);
        let bits = |r: &idf::jobs::sample::SampleReport| -> (Vec<u32>, Vec<u32>) {
            (
                r.field.data().iter().map(|v| v.to_bits()).collect(),
                r.trace.raw_values().iter().map(|v| v.to_bits()).collect(),
            )
        };
        for (model, method) in [
            ("phi4", "hmc"),
            ("phi4", "langevin"),
            ("phi4", "mala"),
            ("phi4", "hmc"),
            ("ising", "metropolis"),
        ] {
            // The run before leaves its values in every buffer it gives back.
            sample(&pooled, &job("phi4", "hmc", 99, 2), &mut |_, _| {}).unwrap();
            let target = job(model, method, 5, 2);
            let reused = sample(&pooled, &target, &mut |_, _| {}).unwrap();
            let alone = sample(fresh, &target, &mut |_, _| {}).unwrap();
            assert!(bits(&reused) == bits(&alone), "{model}/{method}");
        }
        // Buffers come back cleared: a ladder another simulation wrote reads as a fresh one.
        let model = idf::EnergyModel::from_params("phi4", &[]).unwrap();
        let start = idf::Field::zeros(idf::Shape::new(4, 1, 8, 8).unwrap()).unwrap();
        let mut hot = idf::Simulation::new(&pooled, &model, &start, 1).unwrap();
        hot.set_temperatures(&[1.0, 2.0, 3.0, 4.0]).unwrap();
        drop(hot);
        let ladder = |ctx: &Context| {
            let sim = idf::Simulation::new(ctx, &model, &start, 1).unwrap();
            sim.ladder_state().unwrap()
        };
        assert_eq!(ladder(&pooled), ladder(fresh));
        let stats = pooled.gpu_buffer_pool().unwrap();
        assert!(stats.reused >= 40, "{stats:?}");
        assert!(stats.held_bytes <= stats.capacity_bytes, "{stats:?}");
        pooled.keep_gpu_buffers(256);
        let small = pooled.gpu_buffer_pool().unwrap();
        assert!(
            small.held_bytes <= 256 && small.buffers < stats.buffers,
            "{small:?}"
        );
        pooled.keep_gpu_buffers(0);
        assert_eq!(pooled.gpu_buffer_pool().unwrap().held_bytes, 0);
    });
    assert!(Context::cpu().gpu_buffer_pool().is_none());
}
