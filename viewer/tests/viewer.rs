//! The viewer driven through its interface with egui_kittest on lavapipe: a slider changes the
//! running simulation's parameter, Play changes the field, the default view matches a snapshot,
//! and a broken custom energy shows naga's error while the simulation runs on.

use std::time::Duration;

use eframe::egui;
use eframe::egui::accesskit::Role;
use egui_kittest::kittest::Queryable;
use egui_kittest::{Harness, SnapshotOptions};
use idf::engine::energies::EnergyModel;
use idf_viewer::editor::EditorStatus;
use idf_viewer::{ViewerApp, ViewerOptions};

fn harness(size: egui::Vec2) -> Harness<'static, ViewerApp> {
    crate::common::quiet_headless_vulkan();
    Harness::builder()
        .with_size(size)
        .wgpu()
        .build_eframe(|cc| ViewerApp::new(cc, ViewerOptions::default()).expect("the viewer starts"))
}

fn kappa(app: &mut ViewerApp) -> f32 {
    match app.live_mut().simulation().model() {
        EnergyModel::Phi4(p) => p.kappa,
        other => panic!("expected phi4, got {}", other.name()),
    }
}

#[test]
fn a_slider_changes_the_running_simulation() {
    let mut h = harness(egui::vec2(1400.0, 900.0));
    h.get_by_label("Play").click();
    h.run_steps(3);
    let steps_before = h.state().live().step();
    assert!(steps_before > 0, "Play advanced the trajectory");
    assert_eq!(kappa(h.state_mut()), 1.0);

    h.get_by_role_and_label(Role::Slider, "kappa")
        .set_value_accesskit(0.5);
    h.run_steps(2);
    assert_eq!(
        kappa(h.state_mut()),
        0.5,
        "the simulation's own model changed"
    );
    assert!(
        h.state().live().step() >= steps_before,
        "the trajectory carried on instead of restarting"
    );
}

#[test]
fn play_changes_the_field() {
    let mut h = harness(egui::vec2(1400.0, 900.0));
    h.run_steps(2);
    assert!(!h.state().is_playing());
    let before = h.state_mut().live_mut().simulation().field().unwrap();
    assert_eq!(h.state().live().step(), 0, "paused at start");
    h.get_by_label("Play").click();
    h.run_steps(4);
    assert!(h.state().is_playing());
    let after = h.state_mut().live_mut().simulation().field().unwrap();
    let changed = before
        .data()
        .iter()
        .zip(after.data())
        .filter(|(a, b)| a != b)
        .count();
    assert!(changed > before.data().len() / 2, "{changed} sites changed");
    h.get_by_label("Pause").click();
    h.run_steps(1);
    let paused_at = h.state().live().step();
    h.run_steps(3);
    assert_eq!(
        h.state().live().step(),
        paused_at,
        "Pause stops the trajectory"
    );
}

/// The default scene before its first step, drawn through eframe's wgpu renderer on lavapipe.
/// Colours may differ slightly between drivers (egui's default per-pixel threshold); a few
/// anti-aliased text pixels may too.
#[test]
fn the_default_view_matches_its_snapshot() {
    let mut h = harness(egui::vec2(1100.0, 760.0));
    h.run_steps(3);
    h.snapshot_options(
        "viewer_default",
        &SnapshotOptions::new().max_failed_pixels(20),
    );
}

#[test]
fn a_broken_custom_energy_shows_nagas_error_and_the_simulation_runs_on() {
    let mut h = harness(egui::vec2(1400.0, 900.0));
    h.state_mut().switch_energy("custom").unwrap();
    h.get_by_label("Play").click();
    h.run_steps(3);
    let running = h.state().live().settings.model.clone();
    assert!(matches!(running, EnergyModel::Custom(_)));
    let step = h.state().live().step();

    let editor = h.get_by_role(Role::MultilineTextInput);
    editor.focus();
    editor.type_text("fn broken( {\n");
    h.run_steps(1);
    std::thread::sleep(Duration::from_millis(450));
    h.run_steps(3);

    match h.state().editor().status() {
        EditorStatus::Invalid(d) => {
            assert_eq!(d.module, idf::engine::energies::custom::CUSTOM_MODULE);
            assert!(d.line >= 1 && d.column >= 1, "{d}");
        }
        other => panic!("expected naga's error, got {other:?}"),
    }
    assert!(
        h.query_by_label_contains("naga: energies/custom.wgsl line")
            .is_some(),
        "the error shows in the editor"
    );
    assert_eq!(
        h.state().live().settings.model,
        running,
        "the running energy was kept"
    );
    assert!(h.state().live().last_error().is_none());
    assert!(
        h.state().live().step() > step,
        "the simulation kept running"
    );
}

/// A divergence pauses with a message in the viewer's terms and a Recover button; Recover
/// halves the step size and plays on, and the message clears once the steps go well.
#[test]
fn a_divergence_offers_recover_and_its_message_clears() {
    let mut h = harness(egui::vec2(1400.0, 900.0));
    let mut unstable = h.state().live().settings.clone();
    unstable.step_size = 1.0;
    h.state_mut().live_mut().apply(unstable).unwrap();
    h.get_by_label("Play").click();
    h.run_steps(4);
    assert!(!h.state().is_playing(), "a divergence pauses");
    let (message, is_error) = h.state().message().cloned().expect("a message");
    assert!(
        is_error && message.contains("Recover halves the step size"),
        "{message}"
    );
    assert!(!message.contains("--step-size"), "{message}");
    // Recover until the step is stable: each press halves it, and an unstable one diverges
    // again within the frames run after it. From 1.0 to the stable 0.002 takes nine halvings
    // (2⁻⁹ ≈ 0.00195); eight left it at 0.0039, which diverges only sometimes within 20 frames.
    for _ in 0..12 {
        if h.query_by_label("Recover").is_none() {
            break;
        }
        h.get_by_label("Recover").click();
        h.run_steps(20);
    }
    assert!(h.state().is_playing(), "{:?}", h.state().message());
    assert!(
        h.state().message().is_none_or(|(_, is_error)| !is_error),
        "{:?}",
        h.state().message()
    );
    assert!(
        h.query_by_label("Recover").is_none(),
        "the button goes with the divergence"
    );
    assert!(h.state().live().settings.step_size < 1.0);
}

/// Step advances the trajectory by exactly one step, whatever the steps per frame.
#[test]
fn step_advances_exactly_one_step() {
    let mut h = harness(egui::vec2(1400.0, 900.0));
    h.run_steps(2);
    assert!(h.state().live().steps_per_frame() > 1);
    for expected in 1..=3 {
        h.get_by_label("Step").click();
        h.run_steps(2);
        assert_eq!(h.state().live().step(), expected);
    }
}

/// Play↔Pause keeps its width: the buttons after it stay where they were.
#[test]
fn toggling_play_does_not_move_the_toolbar() {
    let mut h = harness(egui::vec2(1400.0, 900.0));
    h.run_steps(2);
    let before = h.get_by_label("Step").rect();
    h.get_by_label("Play").click();
    h.run_steps(2);
    assert!(h.state().is_playing());
    assert_eq!(h.get_by_label("Step").rect(), before);
    assert!(h.query_by_label("Pause").is_some());
}

/// A screenshot leaves out the cursor: while it is taken, the field view draws no brush ring and
/// the status bar no read-out of the site under the pointer.
#[test]
fn a_screenshot_leaves_out_the_cursor() {
    let mut h = harness(egui::vec2(1400.0, 900.0));
    h.run_steps(2);
    // The middle of the central panel, inside the field at this window size.
    h.hover_at(egui::pos2(670.0, 400.0));
    h.run_steps(2);
    assert!(
        h.state().view().readout.is_some(),
        "hovering reads the site out"
    );
    let path = std::env::temp_dir().join(format!("idf-viewer-capture-{}.png", std::process::id()));
    h.state_mut().request_screenshot(path.clone(), false);
    h.run_steps(1);
    assert!(
        h.state().view().readout.is_none(),
        "no read-out while capturing"
    );
    h.run_steps(6);
    assert!(path.exists(), "{:?}", h.state().message());
    h.run_steps(2);
    assert!(
        h.state().view().readout.is_some(),
        "the read-out returns after the capture"
    );
    std::fs::remove_file(&path).ok();
}

/// Zooming shows in the status bar; Fit shows the whole field again, and so does a new scene.
#[test]
fn fit_and_a_new_scene_undo_the_zoom() {
    let mut h = harness(egui::vec2(1400.0, 900.0));
    h.run_steps(2);
    let zoom_in = |h: &mut Harness<'static, ViewerApp>| {
        h.hover_at(egui::pos2(670.0, 400.0));
        h.event(egui::Event::MouseWheel {
            unit: egui::MouseWheelUnit::Point,
            delta: egui::vec2(0.0, 400.0),
            phase: egui::TouchPhase::Move,
            source: egui::MouseWheelSource::Unknown,
            modifiers: egui::Modifiers::NONE,
        });
        h.run_steps(20);
        assert!(
            h.state().view().zoom > 1.5,
            "zoom {}",
            h.state().view().zoom
        );
    };
    zoom_in(&mut h);
    let shown = format!("zoom ×{:.1}", h.state().view().zoom);
    assert!(
        h.query_by_label_contains(&shown).is_some(),
        "{shown} in the status bar"
    );
    h.get_by_label("Fit").click();
    h.run_steps(2);
    assert_eq!(h.state().view().zoom, 1.0);
    zoom_in(&mut h);
    h.state_mut().switch_energy("ising").unwrap();
    h.run_steps(2);
    assert_eq!(h.state().view().zoom, 1.0, "a new energy is seen whole");
}

/// During an anneal the status bar shows the temperature the steps run at, not the target.
#[test]
fn the_status_bar_shows_the_current_temperature() {
    let mut h = harness(egui::vec2(1400.0, 900.0));
    let mut anneal = h.state().live().settings.clone();
    anneal.schedule = idf::engine::schedule::ScheduleKind::Linear;
    anneal.t_start = 2.0;
    anneal.temperature = 0.0;
    anneal.schedule_steps = 1000;
    h.state_mut().live_mut().apply(anneal).unwrap();
    h.run_steps(2);
    assert!(
        h.query_by_label_contains("T = 2.0000").is_some(),
        "starts hot"
    );
    h.state_mut().live_mut().advance(500).unwrap();
    h.run_steps(2);
    let t = h.state().live().temperature();
    assert!(
        (t - 1.0).abs() < 0.01,
        "halfway down a linear schedule: {t}"
    );
    assert!(h.query_by_label_contains(&format!("T = {t:.4}")).is_some());
}

/// Under the field, a colour bar labelled with the range the colours span (the default scene's
/// fixed −1.2 … 1.2).
#[test]
fn the_field_has_a_colour_bar_with_its_range() {
    let mut h = harness(egui::vec2(1400.0, 900.0));
    h.run_steps(2);
    assert!(h.query_by_label("-1.200").is_some());
    assert!(h.query_by_label("1.200").is_some());
}

/// On a small window the field stays the largest thing shown: wider than the plots and taller
/// than any of them (plots are at most 140 high); the window's snapshot.
fn field_has_priority_at(w: f32, h: f32, name: &str) -> Harness<'static, ViewerApp> {
    let mut harness = harness(egui::vec2(w, h));
    harness.run_steps(3);
    let field = harness.state().view().shown;
    let plots = harness.state().plot_width();
    assert!(
        field.width() > plots && field.height() > 140.0,
        "{w}×{h}: field {:?}, plots {plots} wide",
        field.size()
    );
    harness.snapshot_options(name, &SnapshotOptions::new().max_failed_pixels(20));
    harness
}

#[test]
fn at_800x600_the_field_has_priority() {
    field_has_priority_at(800.0, 600.0, "viewer_800x600");
}

/// At 1024×700 the toolbar is one row: its last button sits level with Play.
#[test]
fn at_1024x700_the_field_has_priority_and_the_toolbar_one_row() {
    let h = field_has_priority_at(1024.0, 700.0, "viewer_1024x700");
    let (play, last) = (
        h.get_by_label("Play").rect(),
        h.get_by_label("WGSL editor").rect(),
    );
    assert!(
        (play.center().y - last.center().y).abs() < 1.0 && last.max.x <= 1024.0,
        "Play at {play:?}, WGSL editor at {last:?}"
    );
}

/// The acceptance plot shows only where proposals can be rejected: not under Langevin, but
/// under MALA.
#[test]
fn the_acceptance_plot_follows_the_integrator() {
    let mut h = harness(egui::vec2(1400.0, 900.0));
    h.run_steps(2);
    assert!(
        h.query_by_label("acceptance").is_none(),
        "Langevin accepts every step"
    );
    let mut mala = h.state().live().settings.clone();
    mala.method = idf::Method::Mala;
    mala.temperature = 0.5;
    h.state_mut().live_mut().apply(mala).unwrap();
    h.run_steps(2);
    assert!(h.query_by_label("acceptance").is_some());
}

/// A valid edit in the WGSL editor does not replace a running scene's energy: it waits for
/// Apply, and the run goes on meanwhile; Apply then swaps the energy into the running field.
#[test]
fn an_edit_waits_for_apply_before_replacing_a_scenes_energy() {
    let mut h = harness(egui::vec2(1400.0, 900.0));
    h.state_mut().set_editor_open(true);
    h.get_by_label("Play").click();
    h.run_steps(3);
    let editor = h.get_by_role(Role::MultilineTextInput);
    editor.focus();
    editor.type_text("\n// a comment keeps it valid\n");
    h.run_steps(1);
    std::thread::sleep(Duration::from_millis(450));
    h.run_steps(3);
    let step = h.state().live().step();
    assert!(step > 0);
    assert_eq!(
        h.state().live().settings.model.name(),
        "phi4",
        "the scene keeps its energy"
    );
    let (message, _) = h.state().message().cloned().expect("a message");
    assert!(
        message.contains("Apply runs it in place of phi4"),
        "{message}"
    );
    h.get_by_label("Apply").click();
    h.run_steps(2);
    assert!(matches!(
        h.state().live().settings.model,
        EnergyModel::Custom(_)
    ));
    assert!(
        h.state().live().step() >= step,
        "the run carried on with the new energy"
    );
}

/// The editor numbers its lines, and a click on naga's error puts the cursor at its line and
/// column.
#[test]
fn a_click_on_the_error_goes_to_its_line() {
    let mut h = harness(egui::vec2(1400.0, 900.0));
    h.state_mut().switch_energy("custom").unwrap();
    h.state_mut().set_editor_open(true);
    h.run_steps(2);
    let lines = h.state().editor().source.lines().count();
    assert!(
        h.query_by_label_contains(&format!("{lines:>3}")).is_some(),
        "line numbers"
    );
    let editor = h.get_by_role(Role::MultilineTextInput);
    editor.focus();
    editor.type_text("fn broken( {\n");
    h.run_steps(1);
    std::thread::sleep(Duration::from_millis(450));
    h.run_steps(3);
    let EditorStatus::Invalid(d) = h.state().editor().status().clone() else {
        panic!(
            "expected naga's error, got {:?}",
            h.state().editor().status()
        );
    };
    h.get_by_label_contains("naga: energies/custom.wgsl line")
        .click();
    h.run_steps(2);
    let source = h.state().editor().source.clone();
    let start: usize = source
        .lines()
        .take(d.line - 1)
        .map(|l| l.chars().count() + 1)
        .sum();
    let state = egui::TextEdit::load_state(&h.ctx, egui::Id::unique(idf_viewer::editor::SOURCE_ID))
        .expect("the editor's state");
    let cursor = state.cursor.char_range().expect("a cursor").primary;
    assert_eq!(
        cursor.index,
        egui::text::CCursor::new(start + d.column - 1).index
    );
}

/// Ctrl+Z over the field takes back a brush stroke.
#[test]
fn ctrl_z_takes_back_a_stroke() {
    let mut h = harness(egui::vec2(1400.0, 900.0));
    h.run_steps(2);
    let before = h.state_mut().live_mut().simulation().field().unwrap();
    h.hover_at(egui::pos2(670.0, 400.0));
    h.run_steps(1);
    h.event(egui::Event::PointerButton {
        pos: egui::pos2(670.0, 400.0),
        button: egui::PointerButton::Primary,
        pressed: true,
        modifiers: egui::Modifiers::NONE,
    });
    h.run_steps(1);
    h.event(egui::Event::PointerButton {
        pos: egui::pos2(670.0, 400.0),
        button: egui::PointerButton::Primary,
        pressed: false,
        modifiers: egui::Modifiers::NONE,
    });
    h.run_steps(2);
    assert_ne!(
        h.state_mut().live_mut().simulation().field().unwrap(),
        before,
        "the click painted"
    );
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Z);
    h.run_steps(2);
    assert_eq!(
        h.state_mut().live_mut().simulation().field().unwrap(),
        before
    );
    let (message, _) = h.state().message().cloned().expect("a message");
    assert_eq!(message, "undid the last brush stroke");
}

/// Browse… opens a file dialog in the file field's folder; choosing a file there puts its path
/// in the file field.
#[test]
fn the_file_dialog_fills_the_file_field() {
    let dir = std::env::temp_dir().join(format!("idf-viewer-dialog-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("picked.npy"), b"").unwrap();
    let mut h = harness(egui::vec2(1400.0, 900.0));
    h.state_mut()
        .set_file_field(dir.join("new.yaml").display().to_string());
    h.run_steps(2);
    h.get_by_label("Browse…").click();
    h.run_steps(3);
    assert!(h.state().dialog_open());
    h.get_by_label_contains("picked.npy").click();
    h.run_steps(2);
    h.get_by_label("Choose").click();
    h.run_steps(3);
    assert!(!h.state().dialog_open(), "choosing closes the dialog");
    assert_eq!(
        h.state().file_field(),
        dir.join("picked.npy").display().to_string()
    );
    std::fs::remove_dir_all(&dir).ok();
}
