//! Shared by the viewer's integration tests: the default scene's live trajectory on lavapipe.

use idf::capsules::creative::{RenderJob, RenderOverrides};
use idf::{Context, Scene};
use idf_viewer::live::Live;

/// The default scene (φ⁴ quenched at T = 0, where energy descent is the law) on 64×64, on the
/// GPU; fails when there is no adapter.
pub fn default_live() -> Live {
    std::env::set_var("NODEVICE_SELECT", "1");
    let ctx = Context::gpu().expect("a GPU adapter (lavapipe in CI)");
    let mut scene = Scene::default_scene();
    scene.size = Some([64, 64]);
    let job = RenderJob::from_scene(&scene, &RenderOverrides::default()).unwrap();
    Live::new(ctx, &job).unwrap()
}
