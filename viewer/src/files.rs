//! Files the viewer reads and writes: scenes (YAML, the same keys `idf render` reads), fields
//! (`.npy`, `.h5`), recordings of the field (`.mp4`, `.gif` or a folder of PNG frames, composed
//! and encoded as `idf render` does) and screenshots (PNG). Every write is atomic: a temporary file, then a rename.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use eframe::egui;
use idf::engine::schedule::ScheduleKind;
use idf::jobs::render::encode::{Output, Sink};
use idf::jobs::render::frame::RgbFrame;
use idf::jobs::render::layout::FrameLayout;
use idf::jobs::render::overlay::OverlayPoint;
use idf::jobs::scene::{Look, RangeSpec, ResumeSpec};
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

/// Files a saved scene keeps beside it, named relative to its folder.
#[derive(Clone, Debug, Default)]
pub struct Beside {
    /// The `.wgsl` file holding a custom energy's source.
    pub energy: Option<String>,
    /// The `.npy` file holding the field at the save, with the step it was taken at.
    pub field: Option<String>,
}

/// The running trajectory as a scene: the scene it started from (title, guidance, look and
/// any keys the viewer does not change), with its model and parameters, size, integrator, step
/// size, temperature and schedule, the run's length (`steps`, and `frames` × `steps_per_frame`
/// rounded up to whole frames), seed, colormap and range. A custom WGSL energy is named by
/// `beside.energy`, the `.wgsl` file its source is saved in beside the scene (without one it is
/// refused); a run past its first step is resumed from `beside.field` at its step and schedule
/// position (without one the scene starts the run over).
pub fn scene_of(live: &Live, title: &str, beside: &Beside) -> idf::Result<Scene> {
    let s = &live.settings;
    let mut scene = live.scene().clone();
    match (&s.model, &beside.energy) {
        (idf::EnergyModel::Custom(_), Some(file)) => scene.set_energy_file(file, &s.model),
        _ => scene.set_model(&s.model)?,
    }
    // Paths named relative to the opened scene must still be found from the new file.
    let base = scene.clone();
    if let Some(g) = &mut scene.guidance {
        let image = base.path_in_scene(&g.image);
        g.image = std::path::absolute(&image).map_err(|e| idf::IdfError::io(&image, e))?;
    }
    scene.resume = match &beside.field {
        Some(file) if live.step() > 0 => {
            let schedule_step = live.schedule_step();
            Some(ResumeSpec {
                field: file.into(),
                step: live.step(),
                schedule_step: (schedule_step != live.step()).then_some(schedule_step),
            })
        }
        _ => None,
    };
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

/// The file beside `path` with extension `ext`, named relative to `path`'s folder.
fn beside(path: &Path, ext: &str) -> idf::Result<String> {
    path.with_extension(ext)
        .file_name()
        .map(|f| f.to_string_lossy().to_string())
        .ok_or_else(|| idf::IdfError::invalid("path", "names no file"))
}

/// Writes the running trajectory's scene to `path`. A custom WGSL energy's source goes beside
/// it (`path` with the extension `.wgsl`), and so does the field of a run past its first step
/// (`.npy`), so that the scene continues the run where it was saved.
pub fn save_scene(path: &Path, live: &Live, title: &str) -> idf::Result<()> {
    let files = Beside {
        energy: matches!(live.settings.model, idf::EnergyModel::Custom(_))
            .then(|| beside(path, "wgsl"))
            .transpose()?,
        field: (live.step() > 0).then(|| beside(path, "npy")).transpose()?,
    };
    let text = scene_of(live, title, &files)?.to_yaml("Saved by idf-viewer");
    if let idf::EnergyModel::Custom(custom) = &live.settings.model {
        idf::io::write_atomic(&path.with_extension("wgsl"), custom.source().as_bytes())?;
    }
    if files.field.is_some() {
        idf::io::write_field(&path.with_extension("npy"), &live.field()?)?;
    }
    idf::io::write_atomic(path, text.as_bytes())
}

/// How a render of the running trajectory looks: the scene's look (scale, overlay, fps) with
/// the viewer's colormap, range and steps per frame, over the run's length.
pub fn look_of(live: &Live) -> idf::Result<Look> {
    let s = &live.settings;
    let mut scene = live.scene().clone();
    let steps = s.schedule_steps.max(1);
    let steps_per_frame = s.steps_per_frame.max(1) as u64;
    scene.frames = Some(steps.div_ceil(steps_per_frame));
    scene.steps_per_frame = Some(steps_per_frame);
    let mut look = scene.look(live.initial_shape(), steps)?;
    look.colormap = s.colormap;
    look.range = s.range;
    Ok(look)
}

/// A recording in progress: a frame of the field every `steps_per_frame` steps, composed as
/// `idf render` composes them (scale and overlay of the scene's look), into IDF's encoder.
pub struct Recording {
    sink: Sink,
    path: PathBuf,
    layout: FrameLayout,
    look: Look,
    /// The step the next frame is taken at.
    next_step: u64,
    /// Overlay points of the frames so far.
    history: Vec<OverlayPoint>,
    /// The field size it was started for; frames of another size are refused.
    size: (usize, usize),
    /// Frames per second the video plays at, and the pace frames are taken at.
    fps: u32,
    /// Frames owed to the pace, and when they were last counted.
    owed: f64,
    counted: Instant,
}

/// Wall time between two looks at the pace that counts at most (a pause, a slow frame does
/// not make the recording catch up in a burst).
const PACE_GAP: Duration = Duration::from_millis(250);
/// Frames recorded in one interface frame at most, so that the interface stays responsive.
const FRAMES_PER_UPDATE: u64 = 8;

/// The frames per second a recording plays at so that it plays at the pace the trajectory
/// runs live (`steps_per_second`, with a frame every `steps_per_frame` steps), from 1 to
/// `max_fps` (the scene's fps).
pub fn pace_fps(steps_per_second: f64, steps_per_frame: u64, max_fps: u32) -> u32 {
    let fps = steps_per_second / steps_per_frame.max(1) as f64;
    if fps.is_finite() {
        (fps.round() as u32).clamp(1, max_fps.max(1))
    } else {
        max_fps.max(1)
    }
}

impl Recording {
    /// Starts recording `live` to `path` at `fps` frames per second: `.mp4` or `.gif` makes a
    /// video, a path without an extension a folder of PNG frames; anything else is refused.
    /// Its first frame is taken one frame's steps from now.
    pub fn start(path: &Path, live: &Live, fps: u32) -> idf::Result<Self> {
        let fps = fps.clamp(1, 240);
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
        let look = look_of(live)?;
        let shape = live.initial_shape();
        let layout = FrameLayout::new(&look, shape);
        let (width, height) = layout.size();
        let sink = Sink::create(&output, width, height, fps)?;
        Ok(Recording {
            sink,
            path: path.to_path_buf(),
            layout,
            next_step: live.step() + look.steps_per_frame,
            look,
            history: Vec::new(),
            size: (shape.width, shape.height),
            fps,
            owed: 1.0,
            counted: Instant::now(),
        })
    }

    /// Frames per second the video plays at.
    pub fn fps(&self) -> u32 {
        self.fps
    }

    /// Frames due by now at the recording's pace (`fps` frames of wall time a second), so that
    /// the video plays at the pace it was watched; at most [`FRAMES_PER_UPDATE`].
    pub fn frames_due(&mut self) -> u64 {
        let now = Instant::now();
        let gap = now.duration_since(self.counted).min(PACE_GAP);
        self.counted = now;
        self.owed += gap.as_secs_f64() * self.fps as f64;
        let due = (self.owed.floor() as u64).min(FRAMES_PER_UPDATE);
        self.owed = (self.owed - due as f64).min(FRAMES_PER_UPDATE as f64);
        due
    }

    /// Steps between frames.
    pub fn steps_per_frame(&self) -> u64 {
        self.look.steps_per_frame
    }

    /// The step the next frame is taken at.
    pub fn next_step(&self) -> u64 {
        self.next_step
    }

    /// Adds the current field as a frame when the trajectory has reached the next frame's step
    /// (returns whether it did). A field of another size than the recording's is refused (a
    /// video has one size), and the frames so far stay for [`Recording::finish`].
    pub fn push(&mut self, live: &mut Live) -> idf::Result<bool> {
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
        // After a reset the trajectory is behind the next frame's step: it counts from there.
        self.next_step = self
            .next_step
            .min(live.step().saturating_add(self.look.steps_per_frame));
        if live.step() < self.next_step {
            return Ok(false);
        }
        let sample = *live.history().last().expect("an advance records its end");
        let ctx = live.context().clone();
        let (pixels, _) = idf::jobs::render::colormap::colorize(
            &ctx,
            live.simulation(),
            0,
            self.look.colormap,
            self.look.range,
        )?;
        self.history.push(OverlayPoint {
            step: sample.step,
            temperature: sample.temperature as f32,
            energy_per_site: sample.energy,
            entropy: sample.entropy,
        });
        self.sink
            .push(&self.layout.compose(&pixels, &self.history))?;
        self.next_step = live.step() + self.look.steps_per_frame;
        Ok(true)
    }

    /// Frames so far.
    pub fn frames(&self) -> u64 {
        self.history.len() as u64
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
