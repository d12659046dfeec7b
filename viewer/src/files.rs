//! Files the viewer reads and writes: scenes (YAML, the same keys `idf render` reads), fields
//! (`.npy`, `.h5`), recordings of the field (`.mp4`, `.gif` or a folder of PNG frames, through
//! IDF's encoder) and screenshots (PNG). Every write is atomic: a temporary file, then a rename.

use std::path::{Path, PathBuf};

use eframe::egui;
use idf::engine::energies::EnergyModel;
use idf::engine::schedule::ScheduleKind;
use idf::jobs::render::colormap::ColorRange;
use idf::jobs::render::encode::{Output, Sink};
use idf::jobs::render::frame::RgbFrame;

use crate::live::{Live, Settings};

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

/// The scene YAML of the running trajectory: model, parameters, size, integrator, step size,
/// temperature and schedule, the run's length (`steps`, and `frames` × `steps_per_frame`
/// rounded up to whole frames), seed and look. A custom energy is not a scene model: the scene names φ⁴ in its
/// place, and the energy itself is saved from the editor as a `.wgsl` file.
pub fn scene_yaml(settings: &Settings, size: (usize, usize), seed: u32, title: &str) -> String {
    use serde_yaml::{Mapping, Value};
    let mut m = Mapping::new();
    let mut put = |k: &str, v: Value| {
        m.insert(Value::from(k), v);
    };
    put("title", Value::from(title));
    let mut params = Mapping::new();
    let model_name = match &settings.model {
        EnergyModel::Custom(_) => "phi4",
        other => other.name(),
    };
    if let Some(obj) = settings.model.params_json().as_object() {
        if !matches!(settings.model, EnergyModel::Custom(_)) {
            for (k, v) in obj {
                if let Some(x) = v.as_f64() {
                    params.insert(Value::from(k.as_str()), Value::from(x));
                }
            }
        }
    }
    put("model", Value::from(model_name));
    put("params", Value::Mapping(params));
    put(
        "size",
        Value::Sequence(vec![Value::from(size.1 as u64), Value::from(size.0 as u64)]),
    );
    put("integrator", Value::from(settings.method.name()));
    put("step_size", Value::from(settings.step_size as f64));
    put("temperature", Value::from(settings.temperature as f64));
    if settings.schedule != ScheduleKind::Constant {
        put("schedule", Value::from(settings.schedule.name()));
        put("t_start", Value::from(settings.t_start as f64));
    }
    // The run's length: `idf sample` reads `steps`, a render (and the viewer) spans
    // frames × steps_per_frame steps.
    let steps = settings.schedule_steps.max(1);
    let steps_per_frame = settings.steps_per_frame.max(1) as u64;
    put("steps", Value::from(steps));
    put("frames", Value::from(steps.div_ceil(steps_per_frame)));
    put("steps_per_frame", Value::from(steps_per_frame));
    put("seed", Value::from(seed as u64));
    put("colormap", Value::from(settings.colormap.name()));
    match settings.range {
        ColorRange::PerFrame => put("range", Value::from("auto")),
        ColorRange::Symmetric => put("range", Value::from("symmetric")),
        ColorRange::Fixed(lo, hi) => put(
            "range",
            Value::Sequence(vec![Value::from(lo as f64), Value::from(hi as f64)]),
        ),
    }
    format!(
        "# Saved by idf-viewer; `idf render` and `idf sample --scene` read it.\n{}",
        serde_yaml::to_string(&Value::Mapping(m)).expect("a mapping of plain values serialises")
    )
}

/// Writes the running trajectory's scene to `path`.
pub fn save_scene(path: &Path, live: &Live, title: &str) -> idf::Result<()> {
    let shape = live.initial_shape();
    let text = scene_yaml(
        &live.settings,
        (shape.width, shape.height),
        live.seed(),
        title,
    );
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
