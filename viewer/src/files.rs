//! Files the viewer reads and writes: scenes (YAML, the same keys `idf render` reads), fields
//! (`.npy`, `.h5`), recordings of the field (`.mp4`, `.gif` or a folder of PNG frames, through
//! IDF's encoder) and screenshots (PNG). Every write is atomic: a temporary file, then a rename.

use std::path::{Path, PathBuf};

use eframe::egui;
use idf::engine::schedule::ScheduleKind;
use idf::jobs::render::encode::{Output, Sink};
use idf::jobs::render::frame::RgbFrame;
use idf::jobs::scene::RangeSpec;
use idf::kernels::ColorRange;
use idf::Scene;

use crate::live::Live;

/// The scenes shipped in `assets/scenes/`, found from the working directory or from the source
/// tree the viewer was built in.
pub fn shipped_scenes() -> Vec<PathBuf> {
    let candidates = [
        PathBuf::from("assets/scenes"),
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../assets/scenes"),
    ];
    for dir in candidates {
        if let Ok(entries) = std::fs::read_dir(&dir) {
            let mut scenes: Vec<PathBuf> = entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
                .collect();
            scenes.sort();
            return scenes;
        }
    }
    Vec::new()
}

/// The running trajectory as a scene: the scene it started from (title, guidance, look and
/// any keys the viewer does not change), with its model and parameters, size, integrator, step
/// size, temperature and schedule, the run's length (`steps`, and `frames` × `steps_per_frame`
/// rounded up to whole frames), seed, colormap and range. A custom WGSL energy is named by
/// `energy_file`, the `.wgsl` file its source is saved in beside the scene (without one it is
/// refused).
pub fn scene_of(live: &Live, title: &str, energy_file: Option<&str>) -> idf::Result<Scene> {
    let s = &live.settings;
    let mut scene = live.scene().clone();
    match (&s.model, energy_file) {
        (idf::EnergyModel::Custom(_), Some(file)) => scene.set_energy_file(file, &s.model),
        _ => scene.set_model(&s.model)?,
    }
    // A guidance image named relative to the opened scene must still be found from the new file.
    let base = scene.clone();
    if let Some(g) = &mut scene.guidance {
        let image = base.path_in_scene(&g.image);
        g.image = std::path::absolute(&image).map_err(|e| idf::IdfError::io(&image, e))?;
    }
    let shape = live.initial_shape();
    scene.title = Some(title.to_string());
    scene.size = Some([shape.height, shape.width]);
    scene.integrator = Some(s.method.name().to_string());
    scene.leapfrog_steps = Some(s.leapfrog_steps);
    scene.step_size = Some(s.step_size);
    scene.temperature = Some(s.temperature);
    scene.schedule = Some(s.schedule.name().to_string());
    scene.t_start = (s.schedule != ScheduleKind::Constant).then_some(s.t_start);
    // The run's length: `idf sample` reads `steps`, a render (and the viewer) spans
    // frames × steps_per_frame steps.
    let steps = s.schedule_steps.max(1);
    let steps_per_frame = s.steps_per_frame.max(1) as u64;
    scene.steps = Some(steps);
    scene.frames = Some(steps.div_ceil(steps_per_frame));
    scene.steps_per_frame = Some(steps_per_frame);
    scene.seed = Some(live.seed());
    scene.colormap = Some(s.colormap.name().to_string());
    scene.range = Some(match s.range {
        ColorRange::PerFrame => RangeSpec::Named("auto".into()),
        ColorRange::Symmetric => RangeSpec::Named("symmetric".into()),
        ColorRange::Fixed(lo, hi) => RangeSpec::Fixed([lo, hi]),
    });
    Ok(scene)
}

/// Writes the running trajectory's scene to `path`; a custom WGSL energy's source goes beside
/// it, as `path` with the extension `.wgsl`, which the scene names.
pub fn save_scene(path: &Path, live: &Live, title: &str) -> idf::Result<()> {
    if let idf::EnergyModel::Custom(custom) = &live.settings.model {
        let wgsl = path.with_extension("wgsl");
        let file = wgsl
            .file_name()
            .map(|f| f.to_string_lossy().to_string())
            .ok_or_else(|| idf::IdfError::invalid("path", "names no file"))?;
        let text = scene_of(live, title, Some(&file))?.to_yaml("Saved by idf-viewer");
        idf::io::write_atomic(&wgsl, custom.source().as_bytes())?;
        return idf::io::write_atomic(path, text.as_bytes());
    }
    let text = scene_of(live, title, None)?.to_yaml("Saved by idf-viewer");
    idf::io::write_atomic(path, text.as_bytes())
}

/// A recording in progress: every frame of the field, coloured, into IDF's encoder.
pub struct Recording {
    sink: Sink,
    path: PathBuf,
    frames: u64,
    /// The field size it was started for; frames of another size are refused.
    size: (usize, usize),
}

/// Video encoders want even sizes: a field of odd size is drawn at twice its size.
fn pixel_scale((width, height): (usize, usize)) -> usize {
    if width % 2 == 1 || height % 2 == 1 {
        2
    } else {
        1
    }
}

impl Recording {
    /// Starts recording to `path`: `.mp4` or `.gif` makes a video, a path without an extension
    /// a folder of PNG frames; anything else is refused.
    pub fn start(path: &Path, (width, height): (usize, usize), fps: u32) -> idf::Result<Self> {
        let output = match path.extension().and_then(|e| e.to_str()) {
            Some("mp4") | Some("gif") => Output::File(path.to_path_buf()),
            None => Output::PngDir(path.to_path_buf()),
            Some(other) => {
                return Err(idf::IdfError::invalid(
                    "path",
                    format!(
                        "cannot record to a .{other} file: name an .mp4 or .gif file, or a folder (no extension) for PNG frames"
                    ),
                ))
            }
        };
        let scale = pixel_scale((width, height));
        let sink = Sink::create(&output, width * scale, height * scale, fps)?;
        Ok(Recording {
            sink,
            path: path.to_path_buf(),
            frames: 0,
            size: (width, height),
        })
    }

    /// Adds the current field as a frame; a field of another size than the recording's is
    /// refused (a video has one size), and the frames so far stay for [`Recording::finish`].
    pub fn push(&mut self, live: &mut Live) -> idf::Result<()> {
        let shape = live.simulation().shape();
        let (w, h) = (shape.width, shape.height);
        if (w, h) != self.size {
            return Err(idf::IdfError::invalid(
                "recording",
                format!(
                    "the field is now {w}×{h}, the recording is {}×{}: a video keeps one size",
                    self.size.0, self.size.1
                ),
            ));
        }
        let ctx = live.context().clone();
        let map = live.settings.colormap;
        let (lo, hi) = live.color_range();
        let range = ColorRange::Fixed(lo, hi);
        let (pixels, _) =
            idf::jobs::render::colormap::colorize(&ctx, live.simulation(), 0, map, range)?;
        let scale = pixel_scale((w, h));
        let mut frame = RgbFrame::filled(w * scale, h * scale, [0, 0, 0]);
        frame.blit_field(&pixels, w, h, scale);
        self.sink.push(&frame)?;
        self.frames += 1;
        Ok(())
    }

    /// Frames so far.
    pub fn frames(&self) -> u64 {
        self.frames
    }

    /// Where it goes.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Finishes the file (renamed into place) and returns its path.
    pub fn finish(self) -> idf::Result<PathBuf> {
        self.sink.finish()
    }
}

/// Writes a screenshot (egui's image of the whole window) as PNG.
pub fn save_screenshot(path: &Path, image: &egui::ColorImage) -> idf::Result<()> {
    let [w, h] = image.size;
    let mut frame = RgbFrame::filled(w, h, [0, 0, 0]);
    for (i, c) in image.pixels.iter().enumerate() {
        frame.put((i % w) as isize, (i / w) as isize, [c.r(), c.g(), c.b()]);
    }
    idf::jobs::render::encode::write_png(path, &frame)
}
