//! Shared by the viewer's integration tests: the default scene's live trajectory on lavapipe.

use idf::jobs::render::job::render_job;
use idf::{Context, Scene};
use idf_viewer::live::Live;

/// The default scene (φ⁴ quenched at T = 0, where energy descent is the law) on 64×64, on the
/// GPU; fails when there is no adapter.
pub fn default_live() -> Live {
    quiet_headless_vulkan();
    let ctx = Context::gpu().expect("a GPU adapter (lavapipe in CI)");
    let mut scene = Scene::default_scene();
    scene.size = Some([64, 64]);
    let job = render_job(&scene).unwrap();
    Live::new(ctx, &scene, &job).unwrap()
}

/// Turns off Mesa's device-select layer, which prints Wayland errors without a display (the
/// Makefile sets it already; set here for a bare `cargo test`).
pub fn quiet_headless_vulkan() {
    if std::env::var_os("NODEVICE_SELECT").is_none() {
        std::env::set_var("NODEVICE_SELECT", "1");
    }
}
