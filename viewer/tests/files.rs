//! The viewer's files on lavapipe: a saved scene reads back into the same trajectory settings,
//! a recording of the live field is an H.264 video with one frame per pushed frame, and a
//! recording refuses a field of another size while keeping the frames it has.

use crate::common::default_live;
use idf::engine::schedule::ScheduleKind;
use idf::jobs::render::job::render_job;
use idf::{Field, Scene, Shape};
use idf_viewer::files::{save_scene, Recording};
use idf_viewer::live::Live;

fn temp(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("idf-viewer-files-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

#[test]
fn a_saved_scene_reads_back_into_the_same_settings() {
    let mut live = default_live();
    let mut settings = live.settings.clone();
    if let idf::EnergyModel::Phi4(p) = &mut settings.model {
        p.kappa = 0.6;
    }
    settings.temperature = 0.3;
    settings.step_size = 0.05;
    settings.schedule = ScheduleKind::Geometric;
    settings.t_start = 2.0;
    settings.schedule_steps = 3000;
    settings.steps_per_frame = 10;
    live.apply(settings).unwrap();
    let path = temp("scene.yaml");
    save_scene(&path, &live, "saved").unwrap();
    let scene = Scene::load(&path).unwrap();
    assert_eq!((scene.steps, scene.frames), (Some(3000), Some(300)));
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(
        text.contains("kappa: 0.6\n"),
        "parameters as written:\n{text}"
    );
    let job = render_job(&scene).unwrap();
    let reread = Live::new(live.context().clone(), &scene, &job).unwrap();
    let (a, b) = (&live.settings, &reread.settings);
    assert_eq!(a.model, b.model);
    assert_eq!(
        (a.method, a.step_size, a.temperature, a.colormap, a.range),
        (b.method, b.step_size, b.temperature, b.colormap, b.range)
    );
    assert_eq!(
        (a.schedule, a.t_start, a.schedule_steps, a.steps_per_frame),
        (b.schedule, b.t_start, b.schedule_steps, b.steps_per_frame)
    );
    assert_eq!(reread.initial_shape(), live.initial_shape());
    assert_eq!(reread.seed(), live.seed());
}

/// The guided-image scene saved unchanged from another folder keeps its guidance block, with
/// an image path that still resolves, so the picture still appears when it is opened again.
#[test]
fn a_saved_guided_scene_keeps_its_guidance() {
    let shipped =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../assets/scenes/guided_image.yaml");
    let mut scene = Scene::load(&shipped).unwrap();
    scene.size = Some([32, 32]);
    let job = render_job(&scene).unwrap();
    let ctx = idf::Context::gpu().expect("a GPU adapter (lavapipe in CI)");
    let live = Live::new(ctx, &scene, &job).unwrap();
    let path = temp("guided.yaml");
    save_scene(&path, &live, "guided").unwrap();
    let saved = Scene::load(&path).unwrap();
    let guidance = saved.guidance.clone().expect("the guidance block is saved");
    assert!(guidance.image.is_absolute(), "{:?}", guidance.image);
    assert_eq!(guidance.lambda, scene.guidance.unwrap().lambda);
    let reread = render_job(&saved).unwrap();
    assert_eq!(
        reread.model, job.model,
        "the same guided energy, target included"
    );
}

/// A custom WGSL energy is not a scene model: saving it is refused, not written as φ⁴.
/// Opens `path` as the viewer does and runs it `frames` frames of 10 steps: the field then.
fn run_scene(live: &Live, path: &std::path::Path, frames: usize) -> (Live, Field) {
    let scene = Scene::load(path).unwrap();
    let job = render_job(&scene).unwrap();
    let mut opened = Live::new(live.context().clone(), &scene, &job).unwrap();
    for _ in 0..frames {
        opened.advance(10).unwrap();
    }
    let field = opened.simulation().field().unwrap();
    (opened, field)
}

/// A custom WGSL energy saves its source beside the scene, which names it; the scene opens to
/// the same energy, and saved and opened again it runs to the same field.
#[test]
fn a_custom_energy_scene_round_trips() {
    let mut live = default_live();
    let mut settings = live.settings.clone();
    let energy =
        idf::engine::energies::CustomEnergy::parse(idf::engine::energies::custom::TEMPLATE)
            .unwrap();
    settings.model = idf::EnergyModel::Custom(energy);
    live.apply(settings).unwrap();
    let path = temp("custom.yaml");
    save_scene(&path, &live, "custom").unwrap();
    let wgsl = path.with_extension("wgsl");
    assert_eq!(
        std::fs::read_to_string(&wgsl).unwrap(),
        idf::engine::energies::custom::TEMPLATE
    );
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains("model: custom.wgsl"), "{text}");
    let (opened, first) = run_scene(&live, &path, 5);
    assert_eq!(
        opened.settings.model, live.settings.model,
        "the same energy"
    );
    let again = temp("custom-again.yaml");
    save_scene(&again, &opened, "custom").unwrap();
    let (_, second) = run_scene(&live, &again, 5);
    assert_eq!(first, second, "save → open runs to the same field");
}

#[test]
fn a_recording_holds_every_pushed_frame() {
    let mut live = default_live();
    let path = temp("recording.mp4");
    let mut rec = Recording::start(&path, (64, 64), 30).unwrap();
    for _ in 0..6 {
        live.advance(5).unwrap();
        rec.push(&mut live).unwrap();
    }
    assert_eq!(rec.finish().unwrap(), path);
    let info = idf::jobs::render::encode::probe(&path).unwrap();
    assert_eq!(info.codec, "h264");
    assert_eq!((info.width, info.height, info.frames), (64, 64, 6));
    let refused = Recording::start(&temp("scene.yaml"), (64, 64), 30)
        .err()
        .unwrap();
    assert!(refused.to_string().contains(".mp4"), "{refused}");
}

#[test]
fn a_recording_refuses_a_field_of_another_size_and_keeps_its_frames() {
    let mut live = default_live();
    let path = temp("resized.mp4");
    let mut rec = Recording::start(&path, (64, 64), 30).unwrap();
    for _ in 0..2 {
        live.advance(5).unwrap();
        rec.push(&mut live).unwrap();
    }
    let smaller = Field::random_normal(Shape::new(1, 1, 32, 32).unwrap(), 3, 0.1).unwrap();
    let seed = live.seed();
    live.restart(smaller, seed).unwrap();
    let refused = rec.push(&mut live).unwrap_err().to_string();
    assert!(
        refused.contains("32×32") && refused.contains("64×64"),
        "{refused}"
    );
    assert_eq!(rec.finish().unwrap(), path);
    let info = idf::jobs::render::encode::probe(&path).unwrap();
    assert_eq!((info.width, info.height, info.frames), (64, 64, 2));
}
