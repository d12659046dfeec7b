//! Temperature schedules: endpoints, shape and bad input.

use idf::{ScheduleKind, TemperatureSchedule};

#[test]
fn schedules_run_from_start_to_end() {
    for kind in [
        ScheduleKind::Linear,
        ScheduleKind::Geometric,
        ScheduleKind::Cosine,
    ] {
        let s = TemperatureSchedule::new(kind, 8.0, 0.5).unwrap();
        let n = 101;
        assert!(
            (s.at(0, n) - 8.0).abs() < 1e-5,
            "{kind:?} start {}",
            s.at(0, n)
        );
        assert!(
            (s.at(n - 1, n) - 0.5).abs() < 1e-5,
            "{kind:?} end {}",
            s.at(n - 1, n)
        );
        assert!(
            (1..n).all(|i| s.at(i, n) <= s.at(i - 1, n)),
            "{kind:?} is not monotone"
        );
        // Past the last step the end temperature holds (a run that goes on, as the viewer's).
        assert!(
            [n, n + 5, 10 * n]
                .iter()
                .all(|&i| s.at(i, n) == s.at(n - 1, n)),
            "{kind:?} past its end: {}",
            s.at(n + 5, n)
        );
    }
    let c = TemperatureSchedule::constant(2.0);
    assert!((0..10).all(|i| c.at(i, 10) == 2.0));
}

#[test]
fn shapes_differ_as_documented() {
    let n = 101;
    let linear = TemperatureSchedule::new(ScheduleKind::Linear, 8.0, 0.5).unwrap();
    let geometric = TemperatureSchedule::new(ScheduleKind::Geometric, 8.0, 0.5).unwrap();
    let cosine = TemperatureSchedule::new(ScheduleKind::Cosine, 8.0, 0.5).unwrap();
    assert!((linear.at(50, n) - 4.25).abs() < 1e-5);
    assert!(
        (geometric.at(50, n) - 2.0).abs() < 1e-5,
        "geometric midpoint is the geometric mean"
    );
    // Cosine follows the noise schedule: T = T_end + (T_start − T_end)(1 − ᾱ(1 − s)).
    let ab = idf::engine::schedule::cosine_alpha_bar(0.5);
    assert!((cosine.at(50, n) as f64 - (0.5 + 7.5 * (1.0 - ab))).abs() < 1e-5);
}

#[test]
fn bad_schedules_are_errors() {
    assert!(TemperatureSchedule::new(ScheduleKind::Geometric, 1.0, 0.0).is_err());
    assert!(TemperatureSchedule::new(ScheduleKind::Linear, f32::NAN, 1.0).is_err());
    assert!(TemperatureSchedule::new(ScheduleKind::Linear, 1.0, -1.0).is_err());
    assert!("exponential".parse::<ScheduleKind>().is_err());
}

/// Every record of an annealing run carries the temperature of the step that made its state:
/// the trace's per-record temperature equals the one the kernel recorded beside the state, and
/// record k (after k steps) has the schedule's temperature of step k − 1 (issue 20.3).
#[test]
fn records_carry_the_temperature_of_the_state_they_record() {
    let scene = idf::Scene {
        model: Some("ising".into()),
        size: Some([8, 8]),
        chains: Some(2),
        integrator: Some("anneal".into()),
        schedule: Some("linear".into()),
        t_start: Some(5.0),
        temperature: Some(1.5),
        steps: Some(10),
        burn_in: Some(0),
        record_every: Some(1),
        seed: Some(1),
        ..idf::Scene::default()
    };
    let job = scene.resolve(&idf::Config::default()).unwrap();
    let report = idf::jobs::sample::sample(&idf::Context::cpu(), &job, &mut |_, _| {}).unwrap();
    let trace = &report.trace;
    assert_eq!(trace.records.len(), 11);
    for (r, record) in trace.records.iter().enumerate() {
        let made_by = r.saturating_sub(1) as u64;
        let expected = job.run.schedule.at(made_by, 10);
        assert_eq!(record.step, r as u64);
        assert_eq!(record.temperature, expected, "record {r}");
        for c in 0..2 {
            let beside = trace.value(idf::Observable::Temperature, r, c).unwrap();
            assert_eq!(beside as f32, record.temperature, "record {r} chain {c}");
        }
    }
}

on_both! {
    /// A scene resumed from a saved field at its step and schedule position continues the
    /// anneal exactly: the field after the remaining steps equals the unbroken run's, and the
    /// resumed trace's temperatures are the unbroken run's from that step on. A scene that
    /// names a field of another shape is refused naming `resume.field`.
    fn a_resumed_scene_continues_the_unbroken_run(ctx: &Context) {
        let dir = std::env::temp_dir().join(format!("idf-resume-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let scene = idf::Scene {
            model: Some("ising".into()),
            size: Some([8, 8]),
            chains: Some(2),
            integrator: Some("anneal".into()),
            schedule: Some("linear".into()),
            t_start: Some(5.0),
            temperature: Some(1.5),
            steps: Some(40),
            seed: Some(4),
            ..idf::Scene::default()
        };
        let config = idf::Config::default();
        let whole = scene.resolve(&config).unwrap();
        let unbroken = idf::jobs::sample::sample(ctx, &whole, &mut |_, _| {}).unwrap();
        // The first 15 steps, saved as the viewer saves them.
        let mut sim =
            idf::Simulation::new(ctx, &whole.model, &whole.initial_field().unwrap(), 4).unwrap();
        let rule = |i: u64| whole.run.step_rule(&whole.model, i);
        sim.advance(15, &rule, &|_| false, &mut |_, _| {}).unwrap();
        let saved = dir.join(format!("at15-{}.npy", ctx.describe().len()));
        idf::io::write_field(&saved, &sim.field().unwrap()).unwrap();
        let mut resumed = scene.clone();
        resumed.resume = Some(idf::jobs::scene::ResumeSpec {
            field: saved.clone(),
            step: 15,
            schedule_step: None,
        });
        let job = resumed.resolve(&config).unwrap();
        assert_eq!(job.start.schedule_step, 15);
        let rest = idf::jobs::sample::sample(ctx, &job, &mut |_, _| {}).unwrap();
        assert_eq!(rest.field, unbroken.field, "the same field after step 40");
        assert_eq!(rest.trace.records.len(), 26, "the state at step 15 and the 25 after");
        // Records after k resumed steps carry the whole run's temperature of step 15 + k − 1.
        for (r, record) in rest.trace.records.iter().enumerate().skip(1) {
            assert_eq!(record.temperature, unbroken.trace.records[15 + r].temperature);
        }
        let mut wrong = resumed.clone();
        wrong.size = Some([4, 4]);
        let e = wrong.resolve(&config).unwrap_err().to_string();
        assert!(e.contains("resume.field"), "{e}");
        let mut over = resumed.clone();
        over.steps = Some(15);
        let job = over.resolve(&config).unwrap();
        let e = idf::jobs::sample::sample(ctx, &job, &mut |_, _| {}).unwrap_err().to_string();
        assert!(e.contains("resume.schedule_step") && e.contains("raise steps"), "{e}");
    }
}
