//! The creative capsule: energy-guided generative art that grows out of noise. A scene names an
//! energy (φ⁴ for spinodal decomposition, Swift–Hohenberg for Turing stripes and spots, Ising
//! for coarsening domains, φ⁴ with a guidance image for a picture revealed by reverse annealing),
//! a dynamics and a schedule; a [`RenderJob`] runs it frame by frame for `idf render`.

use std::path::Path;

use crate::engine::energies::{EnergyModel, StateKind};
use crate::engine::field::Field;
use crate::engine::step_rule::RunConfig;
use crate::engine::trace::Histogram;
use crate::engine::validation::{laws_for_run, Validator};
use crate::error::{IdfError, Result};
use crate::jobs::config::Config;
use crate::jobs::render::colormap::{ColorRange, Colormap};
use crate::jobs::sample::SampleSpec;
use crate::jobs::scene::Scene;

/// How the frames of a render look.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RenderSettings {
    /// Frames to render.
    pub frames: u64,
    /// Simulation steps between frames.
    pub steps_per_frame: u64,
    /// Frames per second of the video.
    pub fps: u32,
    /// Colormap.
    pub colormap: Colormap,
    /// Colour range.
    pub range: ColorRange,
    /// Whether the energy/entropy overlay is drawn.
    pub overlay: bool,
    /// Pixels per lattice site.
    pub scale: u32,
}

/// Command-line overrides of a scene's keys.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct RenderOverrides {
    /// Frames.
    pub frames: Option<u64>,
    /// Frames per second.
    pub fps: Option<u32>,
    /// Lattice size N×N.
    pub size: Option<usize>,
    /// Seed.
    pub seed: Option<u32>,
}

/// A scene ready to render: the model, the starting field, the run and the look.
#[derive(Clone, Debug)]
pub struct RenderJob {
    /// The scene's title.
    pub title: String,
    /// The energy.
    pub model: EnergyModel,
    /// The starting field (one chain).
    pub initial: Field,
    /// The run: frames × steps per frame, observed at every frame.
    pub run: RunConfig,
    /// Seed.
    pub seed: u32,
    /// The look.
    pub settings: RenderSettings,
}

impl RenderJob {
    /// The job a scene describes, with `overrides` applied.
    pub fn from_scene(scene: &Scene, overrides: &RenderOverrides) -> Result<Self> {
        let mut scene = scene.clone();
        if let Some(n) = overrides.size {
            scene.size = Some([n, n]);
        }
        scene.seed = overrides.seed.or(scene.seed);
        scene.chains = Some(1);
        let origin = scene.source.clone().unwrap_or_default();
        let invalid = |message: String| IdfError::Config {
            path: origin.clone(),
            message,
        };
        if scene.model.as_deref() == Some("gmm") {
            return Err(invalid("model: gmm samples points, which have no picture; render phi4, ising or swift_hohenberg".into()));
        }
        let frames = overrides.frames.or(scene.frames).unwrap_or(120);
        let steps_per_frame = scene.steps_per_frame.unwrap_or(10);
        let mut spec = SampleSpec::from_scene(&scene, &Config::default())?;
        spec.burn_in = 0;
        spec.record_every = steps_per_frame;
        let run = spec.run_config(frames * steps_per_frame)?;
        let shape = spec.model.shape(1, spec.size.or(Some([256, 256])))?;
        run.check(&spec.model, shape)?;
        let width = shape.width as u32;
        let settings = RenderSettings {
            frames,
            steps_per_frame,
            fps: overrides.fps.or(scene.fps).unwrap_or(30),
            colormap: scene.colormap.as_deref().unwrap_or("viridis").parse()?,
            range: scene.color_range().map_err(invalid)?,
            overlay: scene.overlay.unwrap_or(true),
            scale: scene.scale.unwrap_or_else(|| (512 / width).clamp(1, 8)),
        };
        Ok(RenderJob {
            title: scene
                .title
                .clone()
                .unwrap_or_else(|| spec.model.name().to_string()),
            initial: spec.model.initial_field(shape, spec.seed),
            model: spec.model,
            run,
            seed: spec.seed,
            settings,
        })
    }

    /// The value histogram whose entropy the overlay shows: a fixed range around the values the
    /// model's fields take, so that entropies of different frames compare.
    pub fn entropy_histogram(&self) -> Histogram {
        let (lo, hi) = match self.settings.range {
            ColorRange::Fixed(lo, hi) => (lo, hi),
            _ if self.model.state() == StateKind::Spins => (-1.5, 1.5),
            _ => (-2.0, 2.0),
        };
        Histogram { lo, hi, bins: 64 }
    }

    /// The energy laws that apply to this run (see [`laws_for_run`]).
    pub fn laws(&self) -> Vec<Box<dyn Validator>> {
        laws_for_run(&self.model, &self.run, &Config::default().validation)
    }
}

/// Reads a PNG as a target plane of `height × width` values in [−1, 1] (black −1, white 1),
/// resampled bilinearly.
pub fn load_target(path: &Path, height: usize, width: usize) -> Result<Vec<f32>> {
    let file = std::fs::File::open(path).map_err(|e| IdfError::io(path, e))?;
    let bad = |why: String| IdfError::Config {
        path: path.to_path_buf(),
        message: why,
    };
    let mut decoder = png::Decoder::new(std::io::BufReader::new(file));
    decoder.set_transformations(png::Transformations::normalize_to_color8());
    let mut reader = decoder
        .read_info()
        .map_err(|e| bad(format!("not a PNG image: {e}")))?;
    let mut buf = vec![
        0;
        reader
            .output_buffer_size()
            .ok_or_else(|| bad("image too large".into()))?
    ];
    let info = reader
        .next_frame(&mut buf)
        .map_err(|e| bad(format!("unreadable PNG: {e}")))?;
    let (w, h) = (info.width as usize, info.height as usize);
    let channels = info.color_type.samples();
    let luminance: Vec<f32> = buf[..info.buffer_size()]
        .chunks(channels)
        .map(|px| match channels {
            1 | 2 => px[0] as f32 / 255.0,
            _ => (0.2126 * px[0] as f32 + 0.7152 * px[1] as f32 + 0.0722 * px[2] as f32) / 255.0,
        })
        .collect();
    let sample = |x: f32, y: f32| {
        let (x0, y0) = (x.floor().max(0.0) as usize, y.floor().max(0.0) as usize);
        let (x1, y1) = ((x0 + 1).min(w - 1), (y0 + 1).min(h - 1));
        let (fx, fy) = (x - x0 as f32, y - y0 as f32);
        let at = |xx: usize, yy: usize| luminance[yy * w + xx];
        (at(x0, y0) * (1.0 - fx) + at(x1, y0) * fx) * (1.0 - fy)
            + (at(x0, y1) * (1.0 - fx) + at(x1, y1) * fx) * fy
    };
    Ok((0..height * width)
        .map(|i| {
            let x = ((i % width) as f32 + 0.5) * w as f32 / width as f32 - 0.5;
            let y = ((i / width) as f32 + 0.5) * h as f32 / height as f32 - 0.5;
            2.0 * sample(x.clamp(0.0, (w - 1) as f32), y.clamp(0.0, (h - 1) as f32)) - 1.0
        })
        .collect())
}
