//! Divergence is an error, not garbage: the run stops at the first step whose field is not
//! finite, names that step, and suggests a step size inside the stability limit.

use idf::{Context, EnergyModel, IdfError, Simulation, StepRule};

fn first_non_finite_step(model: &EnergyModel, init: &idf::Field, rule: StepRule) -> u64 {
    let mut sim = Simulation::new(&Context::cpu(), model, init, 3).unwrap();
    for step in 1..=500 {
        sim.advance(1, &|_| rule, &|_| false, &mut |_, _| {}).ok();
        if !sim.field().unwrap().is_finite() {
            return step;
        }
    }
    panic!("no divergence within 500 steps");
}

on_both! {
    fn unstable_step_size_stops_with_step_and_suggestion(ctx: &Context) {
        let model = EnergyModel::from_params("phi4", &[]).unwrap();
        let shape = model.shape(2, Some([16, 16])).unwrap();
        let init = model.initial_field(shape, 8).unwrap();
        let rule = StepRule::langevin(0.6, 1.0);
        let expected = first_non_finite_step(&model, &init, rule);
        let mut sim = Simulation::new(ctx, &model, &init, 3).unwrap();
        let err = sim.advance(400, &|_| rule, &|_| false, &mut |_, _| {}).unwrap_err();
        match err {
            IdfError::Diverged { step, step_size, suggested, within_bound } => {
                assert_eq!(step, expected, "reported step");
                assert_eq!(step_size, 0.6);
                assert!(!within_bound);
                assert!(suggested < 2.0 / 8.0 && suggested > 0.0, "suggested {suggested}");
                // The suggestion really is stable.
                let mut ok = Simulation::new(ctx, &model, &init, 3).unwrap();
                ok.advance(400, &|_| StepRule::langevin(suggested, 1.0), &|_| false, &mut |_, _| {})
                    .unwrap();
                assert!(ok.field().unwrap().is_finite());
            }
            other => panic!("expected Diverged, got {other}"),
        }
    }
}

#[test]
fn diverged_message_names_step_and_a_smaller_step_size() {
    let msg = IdfError::Diverged {
        step: 7,
        step_size: 0.9,
        suggested: 0.05,
        within_bound: false,
    }
    .to_string();
    assert!(
        msg.contains("step 7") && msg.contains("step size of 5.000e-2 or smaller"),
        "{msg}"
    );
}

/// A run that diverges with a step size already inside the model's bound is never told to
/// take a larger one (issue 20.6: "--step-size 1.111e-1" after 0.001 diverged).
#[test]
fn a_divergence_inside_the_bound_advises_a_smaller_step() {
    // Custom-free: φ⁴ whose start is far outside the wells diverges even at a small step.
    let model = EnergyModel::from_params("phi4", &[]).unwrap();
    let shape = model.shape(1, Some([8, 8])).unwrap();
    let wild = idf::Field::from_vec(shape, vec![1e6; shape.len()]).unwrap();
    let eta = 0.5 * model.stable_step_size();
    let mut sim = Simulation::new(&Context::cpu(), &model, &wild, 3).unwrap();
    let err = sim
        .advance(
            50,
            &|_| StepRule::langevin(eta, 0.0),
            &|_| false,
            &mut |_, _| {},
        )
        .unwrap_err();
    match err {
        IdfError::Diverged {
            step_size,
            suggested,
            within_bound,
            ..
        } => {
            assert!(within_bound);
            assert!(suggested < step_size, "{suggested} ≥ {step_size}");
            assert!(err_text(step_size, suggested).contains("already inside"));
        }
        other => panic!("expected Diverged, got {other}"),
    }
}

fn err_text(step_size: f32, suggested: f32) -> String {
    IdfError::Diverged {
        step: 1,
        step_size,
        suggested,
        within_bound: true,
    }
    .to_string()
}
