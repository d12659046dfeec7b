//! The viewer's files on lavapipe: a saved scene reads back into the same trajectory settings
//! and, saved mid-run, continues the same run; `idf render` of a saved scene gives the frames
//! the viewer recorded; a recording of the live field is an H.264 video with one frame per
//! frame's steps, and refuses a field of another size while keeping the frames it has.

use crate::common::default_live;
use idf::engine::schedule::ScheduleKind;
use idf::jobs::render::job::render_job;
use idf::{Field, Scene, Shape};
use idf_viewer::files::{pace_fps, save_scene, shipped_scenes, Recording};
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
    let (mut opened, first) = run_scene(&live, &path, 5);
    assert_eq!(
        opened.settings.model, live.settings.model,
        "the same energy"
    );
    let (_, again) = run_scene(&live, &path, 5);
    assert_eq!(first, again, "open → run gives the same field");
    // Saved mid-run, it continues the run: the field beside it, its step.
    let mid = temp("custom-mid.yaml");
    save_scene(&mid, &opened, "custom").unwrap();
    let (_, resumed) = run_scene(&live, &mid, 5);
    for _ in 0..5 {
        opened.advance(10).unwrap();
    }
    assert_eq!(
        opened.field().unwrap(),
        resumed,
        "save mid-run → open continues the run"
    );
}

/// Opens `scene` on `ctx` as the viewer does.
fn open(ctx: &idf::Context, scene: &Scene) -> Live {
    let job = render_job(scene).unwrap();
    Live::new(ctx.clone(), scene, &job).unwrap()
}

/// Advances `frames` frames of 10 steps.
fn run_frames(live: &mut Live, frames: usize) {
    for _ in 0..frames {
        live.advance(10).unwrap();
    }
}

/// Every shipped scene (at 32×32), run a few frames and saved, opens at the same step and
/// temperature (an anneal's schedule position included) and runs on to the same field as the
/// unbroken run.
#[test]
fn every_shipped_scene_saved_mid_run_continues_the_same_run() {
    let ctx = idf::Context::gpu().expect("a GPU adapter (lavapipe in CI)");
    let shipped = shipped_scenes();
    assert!(shipped.len() >= 4, "{shipped:?}");
    for path in shipped {
        let mut scene = Scene::load(&path).unwrap();
        scene.size = Some([32, 32]);
        let mut live = open(&ctx, &scene);
        run_frames(&mut live, 3);
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let saved = temp(&format!("mid-{name}"));
        save_scene(&saved, &live, "saved").unwrap();
        let reread = Scene::load(&saved).unwrap();
        let resume = reread.resume.clone().expect("a run past step 0 is resumed");
        assert_eq!(resume.step, live.step(), "{name}");
        let mut opened = open(&ctx, &reread);
        assert_eq!(opened.step(), live.step(), "{name}");
        assert_eq!(
            opened.temperature(),
            live.temperature(),
            "{name}: schedule position"
        );
        run_frames(&mut live, 3);
        run_frames(&mut opened, 3);
        assert_eq!(opened.field().unwrap(), live.field().unwrap(), "{name}");
        // Reset goes back to where the saved run was opened.
        opened.reset().unwrap();
        assert_eq!(opened.step(), resume.step, "{name}");
    }
}

/// Records `live` to `out` as the viewer does (a frame every steps-per-frame steps) until the
/// recording holds `frames` frames.
fn record(live: &mut Live, out: &std::path::Path, frames: u64) {
    let mut rec = Recording::start(out, live, 30).unwrap();
    while rec.frames() < frames {
        let n = rec.next_step() - live.step();
        live.advance(n).unwrap();
        rec.push(live).unwrap();
    }
    rec.finish().unwrap();
}

/// The PNG frames of a folder, by name.
fn png_frames(dir: &std::path::Path) -> Vec<(String, Vec<u8>)> {
    let mut frames: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let p = e.unwrap().path();
            (
                p.file_name().unwrap().to_string_lossy().to_string(),
                std::fs::read(&p).unwrap(),
            )
        })
        .collect();
    frames.sort();
    frames
}

/// A scene saved in the viewer mid-run and rendered by `idf render` gives, frame for frame,
/// the pixels the viewer recorded from that point (overlay included): for every shipped scene
/// (the anneals' temperatures fall during the recording) and for a custom WGSL energy.
#[test]
fn idf_render_of_a_saved_scene_gives_the_frames_the_viewer_recorded() {
    let ctx = idf::Context::gpu().expect("a GPU adapter (lavapipe in CI)");
    let mut lives: Vec<(String, Live)> = shipped_scenes()
        .iter()
        .map(|path| {
            let mut scene = Scene::load(path).unwrap();
            scene.size = Some([32, 32]);
            let name = path.file_name().unwrap().to_string_lossy().to_string();
            (name, open(&ctx, &scene))
        })
        .collect();
    let mut custom = open(&ctx, &{
        let mut scene = Scene::default_scene();
        scene.size = Some([32, 32]);
        scene
    });
    let mut settings = custom.settings.clone();
    settings.model = idf::EnergyModel::Custom(
        idf::engine::energies::CustomEnergy::parse(idf::engine::energies::custom::TEMPLATE)
            .unwrap(),
    );
    custom.apply(settings).unwrap();
    lives.push(("custom.yaml".into(), custom));
    assert!(lives.len() >= 5);
    for (name, mut live) in lives {
        let name = name.as_str();
        let mut settings = live.settings.clone();
        settings.schedule_steps = 80;
        settings.steps_per_frame = 10;
        live.apply(settings).unwrap();
        run_frames(&mut live, 2);
        let saved = temp(&format!("recorded-{name}"));
        save_scene(&saved, &live, "recorded").unwrap();
        let saved = Scene::load(&saved).unwrap();
        let frames = saved.frames.unwrap();
        let recorded = temp(&format!("recorded-{}", name.trim_end_matches(".yaml")));
        record(&mut live, &recorded, frames);
        let rendered = temp(&format!("rendered-{}", name.trim_end_matches(".yaml")));
        let job = render_job(&saved).unwrap();
        let output = idf::jobs::render::encode::Output::PngDir(rendered.clone());
        let report =
            idf::jobs::render::pipeline::render(&ctx, &job, &output, &mut |_, _| {}).unwrap();
        assert_eq!(report.frames, frames, "{name}");
        let (a, b) = (png_frames(&recorded), png_frames(&rendered));
        assert_eq!(a.len() as u64, frames, "{name}");
        assert!(a == b, "{name}: the recording and the render differ");
    }
}

/// The recording's pace: a video plays at the pace the trajectory ran live, within 1 fps and
/// the scene's fps.
#[test]
fn a_recording_plays_at_the_live_pace() {
    assert_eq!(pace_fps(200.0, 10, 30), 20);
    assert_eq!(pace_fps(6.0, 10, 30), 1);
    assert_eq!(pace_fps(1e6, 10, 30), 30);
    assert_eq!(pace_fps(f64::NAN, 10, 30), 30);
}

#[test]
fn a_recording_holds_every_pushed_frame() {
    let mut live = default_live();
    let path = temp("recording.mp4");
    let mut rec = Recording::start(&path, &live, 30).unwrap();
    let spf = rec.steps_per_frame();
    assert!(!rec.push(&mut live).unwrap(), "no frame before its step");
    for _ in 0..6 {
        live.advance(spf).unwrap();
        assert!(rec.push(&mut live).unwrap());
    }
    assert_eq!(rec.finish().unwrap(), path);
    let info = idf::jobs::render::encode::probe(&path).unwrap();
    assert_eq!(info.codec, "h264");
    let look = idf_viewer::files::look_of(&live).unwrap();
    let size = idf::jobs::render::layout::FrameLayout::new(&look, live.initial_shape()).size();
    assert_eq!(
        (info.width, info.height, info.frames),
        (size.0 as u32, size.1 as u32, 6)
    );
    let refused = Recording::start(&temp("scene.yaml"), &live, 30)
        .err()
        .unwrap();
    assert!(refused.to_string().contains(".mp4"), "{refused}");
}

#[test]
fn a_recording_refuses_a_field_of_another_size_and_keeps_its_frames() {
    let mut live = default_live();
    let path = temp("resized.mp4");
    let mut rec = Recording::start(&path, &live, 30).unwrap();
    for _ in 0..2 {
        live.advance(rec.steps_per_frame()).unwrap();
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
    assert_eq!(info.frames, 2);
}
