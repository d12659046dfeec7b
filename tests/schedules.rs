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
