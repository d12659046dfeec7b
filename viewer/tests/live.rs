//! The live trajectory on lavapipe: a new look or pace keeps the verdict and the schedule while
//! new dynamics restart both, and painting restarts the verdict only, so that a brush stroke at
//! T = 0 is not judged as a rise of energy by the dynamics; a stroke records nothing while paused.

use crate::common::default_live;
use idf::engine::schedule::ScheduleKind;
use idf::kernels::{ColorRange, Colormap};
use idf_viewer::field_view::paint;
use idf_viewer::live::{LawVerdict, Live};

fn held(live: &Live) -> bool {
    matches!(live.verdict(), LawVerdict::Held { .. })
}

#[test]
fn the_look_keeps_the_verdict_and_new_dynamics_restart_it() {
    let mut live = default_live();
    live.advance(20).unwrap();
    assert!(held(&live), "{:?}", live.verdict());
    let mut look = live.settings.clone();
    look.colormap = Colormap::Viridis;
    look.adaptive = false;
    look.steps_per_frame = 3;
    live.apply(look).unwrap();
    assert_eq!(live.verdict_since(), 0, "a new look is not a new run");
    live.advance(5).unwrap();
    assert!(held(&live), "{:?}", live.verdict());
    let mut dynamics = live.settings.clone();
    dynamics.step_size = 0.05;
    live.apply(dynamics).unwrap();
    assert_eq!(live.verdict_since(), 25, "new dynamics start a new verdict");
}

#[test]
fn painting_starts_a_new_verdict() {
    let mut live = default_live();
    live.advance(40).unwrap();
    let samples = live.history().len();
    // A stroke: several edits while paused record nothing.
    for x in [30, 32, 34] {
        paint(&mut live, (x, 32), 8.0, 1.0).unwrap();
    }
    assert_eq!(live.history().len(), samples);
    assert_eq!(live.verdict_since(), 40);
    live.advance(10).unwrap();
    let history = live.history();
    assert_eq!(history.len(), samples + 2, "the new start, then step 50");
    let (before, after) = (history[samples - 1], history[samples]);
    assert_eq!((before.step, after.step), (40, 40));
    assert!(
        after.energy > before.energy,
        "the stroke raises the energy: {} → {}",
        before.energy,
        after.energy
    );
    assert!(
        held(&live),
        "the dynamics after the stroke still descend: {:?}",
        live.verdict()
    );
}

#[test]
fn only_new_dynamics_restart_the_schedule() {
    let mut live = default_live();
    let mut annealing = live.settings.clone();
    annealing.schedule = ScheduleKind::Linear;
    annealing.t_start = 2.0;
    annealing.temperature = 0.0;
    annealing.schedule_steps = 101;
    live.apply(annealing).unwrap();
    let temperature = |live: &Live| live.history().last().unwrap().temperature;
    live.advance(50).unwrap();
    // Step 50 of 101 from 2 to 0 (steps count from 0, so the 50th step is i = 49).
    assert!((temperature(&live) - 2.0 * (1.0 - 49.0 / 100.0)).abs() < 1e-5);
    let mut look = live.settings.clone();
    look.colormap = Colormap::Magma;
    look.range = ColorRange::PerFrame;
    live.apply(look).unwrap();
    live.advance(1).unwrap();
    assert!((temperature(&live) - 2.0 * (1.0 - 50.0 / 100.0)).abs() < 1e-5);
    assert_eq!(live.verdict_since(), 0, "a new look is not a new run");
    let mut dynamics = live.settings.clone();
    dynamics.step_size = 0.05;
    live.apply(dynamics).unwrap();
    live.advance(1).unwrap();
    assert!(
        (temperature(&live) - 2.0).abs() < 1e-5,
        "{}",
        temperature(&live)
    );
    live.advance(200).unwrap();
    assert_eq!(temperature(&live), 0.0, "past its end the schedule holds");
}

/// Applies the current settings with step size `eta`.
fn set_step_size(live: &mut Live, eta: f32) {
    let mut settings = live.settings.clone();
    settings.step_size = eta;
    live.apply(settings).unwrap();
}

/// After a divergence, Recover halves the step size and continues from the last finite field
/// (here the start, the only one kept within a second), keeping the step count; the error goes
/// with the first good steps.
#[test]
fn a_divergence_recovers_from_the_last_finite_field() {
    let mut live = default_live();
    let start = live.simulation().field().unwrap();
    set_step_size(&mut live, 8.0);
    let err = live.advance(20).unwrap_err();
    assert!(matches!(err, idf::IdfError::Diverged { .. }), "{err}");
    assert!(live.last_error().is_some());
    let diverged_at = live.step();
    assert_eq!(live.last_finite_step(), 0);
    // Each Recover halves η; from 8 it takes several to reach a stable step.
    let mut recoveries = 0;
    loop {
        let eta = live.recover().unwrap();
        recoveries += 1;
        assert_eq!(eta, 8.0 / f32::powi(2.0, recoveries));
        assert_eq!(
            live.simulation().field().unwrap(),
            start,
            "back at the last finite field"
        );
        if live.advance(20).is_ok() {
            break;
        }
        assert!(recoveries < 10, "still diverging at η = {eta}");
    }
    assert!(live.last_error().is_none(), "good steps clear the error");
    assert!(live.step() >= diverged_at, "the step count carries on");
    assert!(live
        .simulation()
        .field()
        .unwrap()
        .data()
        .iter()
        .all(|v| v.is_finite()));
}

/// A copy of the field taken during a blow-up is finite but may be beyond any step size's
/// reach: Recover returns to a field the dynamics ran on from without diverging, not to the
/// copy taken just before the divergence.
#[test]
fn recover_skips_a_copy_taken_during_the_blow_up() {
    let mut live = default_live();
    let start = live.simulation().field().unwrap();
    set_step_size(&mut live, 8.0);
    live.advance(0).unwrap();
    // One step at η = 8 stays finite; a second has passed, so its field is copied.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    live.advance(1).unwrap();
    let copied = live.simulation().field().unwrap();
    assert_ne!(copied, start);
    assert!(live.advance(20).is_err(), "η = 8 diverges");
    live.recover().unwrap();
    assert_eq!(live.last_finite_step(), 0);
    assert_eq!(live.simulation().field().unwrap(), start);
}

/// Undo takes back brush strokes and applied energy edits, latest first, and says when nothing
/// is left.
#[test]
fn undo_takes_back_strokes_and_energy_edits() {
    let mut live = default_live();
    live.advance(10).unwrap();
    let before = live.simulation().field().unwrap();
    live.remember_field().unwrap();
    paint(&mut live, (20, 20), 6.0, 1.0).unwrap();
    assert_ne!(live.simulation().field().unwrap(), before);
    let old = live.settings.clone();
    let mut edited = old.clone();
    edited.step_size = 0.02;
    live.apply(edited).unwrap();
    live.remember_settings(old.clone());
    assert_eq!(live.undo().unwrap(), Some("the last energy edit"));
    assert_eq!(live.settings.step_size, old.step_size);
    assert_eq!(live.undo().unwrap(), Some("the last brush stroke"));
    assert_eq!(live.simulation().field().unwrap(), before);
    assert_eq!(live.step(), 10, "the step count carries on");
    assert_eq!(live.undo().unwrap(), None);
}
