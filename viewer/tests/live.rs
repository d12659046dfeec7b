//! The live trajectory on lavapipe: a new look or pace keeps the verdict and the schedule while
//! new dynamics restart both, and painting restarts the verdict only, so that a brush stroke at
//! T = 0 is not judged as a rise of energy by the dynamics.

mod common;

use common::default_live;
use idf::render::colormap::Colormap;
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
    paint(&mut live, (32, 32), 8.0, 2.0).unwrap();
    assert_eq!(live.verdict_since(), 40);
    let history = live.history();
    let (before, after) = (history[history.len() - 2], history[history.len() - 1]);
    assert!(
        after.energy > before.energy,
        "the stroke raises the energy: {} → {}",
        before.energy,
        after.energy
    );
    live.advance(10).unwrap();
    assert!(
        held(&live),
        "the dynamics after the stroke still descend: {:?}",
        live.verdict()
    );
}
