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
        let init = model.initial_field(shape, 8);
        let rule = StepRule::langevin(0.6, 1.0);
        let expected = first_non_finite_step(&model, &init, rule);
        let mut sim = Simulation::new(ctx, &model, &init, 3).unwrap();
        let err = sim.advance(400, &|_| rule, &|_| false, &mut |_, _| {}).unwrap_err();
        match err {
            IdfError::Diverged { step, step_size, suggested } => {
                assert_eq!(step, expected, "reported step");
                assert_eq!(step_size, 0.6);
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
fn diverged_message_names_step_and_flag() {
    let msg = IdfError::Diverged {
        step: 7,
        step_size: 0.9,
        suggested: 0.05,
    }
    .to_string();
    assert!(
        msg.contains("step 7") && msg.contains("--step-size 5.000e-2"),
        "{msg}"
    );
}
