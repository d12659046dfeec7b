//! The render pipeline: the simulation advances and colours each frame on its backend (no field
//! copy on the GPU path, only the RGBA pixels come back), while a second thread composes the
//! overlay and encodes. A bounded channel between them lets both run at once without either
//! racing ahead; a failed run drops the partial output.

use std::path::PathBuf;
use std::sync::mpsc;
use std::time::Instant;

use super::colormap::colorize;
use super::encode::{Output, Sink};
use super::layout::FrameLayout;
use super::overlay::OverlayPoint;
use crate::capsules::creative::entropy_histogram;
use crate::context::Context;
use crate::engine::simulation::Simulation;
use crate::engine::trace::{Observable, RunTrace};
use crate::engine::validation::{validate_run, Violation};
use crate::error::{IdfError, Result};
use crate::jobs::config::Config;
use crate::jobs::scene::ResolvedScene;

/// Frames that may wait between the simulation and the encoder.
const QUEUE: usize = 4;

/// What a render produced.
#[derive(Clone, Debug)]
pub struct RenderReport {
    /// The file or folder written.
    pub path: PathBuf,
    /// Frames written.
    pub frames: u64,
    /// Frame size.
    pub width: usize,
    /// Frame size.
    pub height: usize,
    /// Frames per second the video plays at (a GIF's is at most 50; see `warnings`).
    pub fps: u32,
    /// Video duration in seconds.
    pub duration_s: f64,
    /// Wall time of the render.
    pub wall_s: f64,
    /// Frames rendered per wall-clock second.
    pub frames_per_second: f64,
    /// The energy-law fidelity of the run, where a law applies.
    pub elf: Option<f64>,
    /// The laws that apply to the run.
    pub laws: Vec<&'static str>,
    /// Laws that failed.
    pub violations: Vec<Violation>,
    /// Observables at the start and at every frame.
    pub trace: RunTrace,
    /// Overlay points, one per frame.
    pub points: Vec<OverlayPoint>,
    /// Where the output differs from the scene (a GIF slowed to 50 fps).
    pub warnings: Vec<String>,
}

enum Message {
    Frame(Vec<u32>, OverlayPoint),
    Done,
}

/// Renders `job` to `output` on `ctx`; `progress(frame, frames)` after each frame.
pub fn render(
    ctx: &Context,
    job: &ResolvedScene,
    output: &Output,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<RenderReport> {
    let started = Instant::now();
    let s = &job.look;
    let layout = FrameLayout::new(s, job.shape);
    let (width, height) = layout.size();
    let mut sink = Sink::create(output, width, height, s.fps)?;
    let fps = sink.fps();
    let warnings = if fps < s.fps {
        vec![format!(
            "a GIF plays at most {fps} fps (its delays are whole centiseconds, and viewers slow \
             delays under 2 cs), so {} plays at {fps} fps, not the scene's {}; render .mp4 for {} fps",
            output.path().display(),
            s.fps,
            s.fps
        )]
    } else {
        Vec::new()
    };
    let mut sim = Simulation::new(ctx, &job.model, &job.initial_field()?, job.seed)?;
    // A resumed scene continues its random stream and its schedule.
    sim.seek(job.start.step);
    sim.set_histogram(Some(entropy_histogram(&job.model, s.range)));

    let (tx, rx) = mpsc::sync_channel::<Message>(QUEUE);
    let encoder = std::thread::spawn(move || -> Result<(Sink, bool)> {
        let mut history = Vec::new();
        for message in rx {
            match message {
                Message::Frame(pixels, point) => {
                    history.push(point);
                    let frame = layout.compose(&pixels, &history);
                    if let Err(e) = sink.push(&frame) {
                        sink.abort();
                        return Err(e);
                    }
                }
                Message::Done => return Ok((sink, true)),
            }
        }
        Ok((sink, false))
    });

    let produced = produce(ctx, job, &mut sim, &tx, progress);
    if produced.is_ok() {
        // If the encoder already failed it has hung up; its error is reported from the join.
        let _ = tx.send(Message::Done);
    }
    drop(tx);
    let joined = encoder
        .join()
        .map_err(|_| IdfError::Gpu("the encoder thread panicked".into()))?;
    let (trace, points) = match (produced, joined) {
        (Ok(result), Ok((sink, true))) => {
            sink.finish()?;
            result
        }
        (Err(e), Ok((sink, _))) => {
            sink.abort();
            return Err(e);
        }
        (_, Err(e)) => return Err(e),
        (Ok(_), Ok((sink, false))) => {
            sink.abort();
            return Err(IdfError::Gpu(
                "the encoder stopped before the last frame".into(),
            ));
        }
    };
    let verdict = validate_run(&job.model, &job.run, &Config::default().validation, &trace);
    let wall_s = started.elapsed().as_secs_f64();
    Ok(RenderReport {
        path: output.path().to_path_buf(),
        frames: s.frames,
        width,
        height,
        fps,
        duration_s: s.frames as f64 / fps as f64,
        wall_s,
        frames_per_second: s.frames as f64 / wall_s,
        elf: verdict.elf(),
        violations: verdict.violations().cloned().collect(),
        laws: verdict.laws,
        trace,
        points,
        warnings,
    })
}

/// Advances and colours every frame, sending them to the encoder; returns the trace.
fn produce(
    ctx: &Context,
    job: &ResolvedScene,
    sim: &mut Simulation,
    tx: &mpsc::SyncSender<Message>,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<(RunTrace, Vec<OverlayPoint>)> {
    let s = &job.look;
    let spf = s.steps_per_frame;
    let model = job.model.clone();
    let at = job.start.schedule_step;
    let mut parts = vec![sim.advance(
        0,
        &|i| job.run.step_rule(&model, at + i),
        &|k| k == 0,
        &mut |_, _| {},
    )?];
    let mut steps = vec![0];
    let mut points = Vec::with_capacity(s.frames as usize);
    for frame in 0..s.frames {
        let start = frame * spf;
        let trace = sim.advance(
            spf,
            &|i| job.run.step_rule(&model, at + start + i),
            &|k| k == spf,
            &mut |_, _| {},
        )?;
        let point = OverlayPoint {
            step: job.start.step + start + spf,
            temperature: trace.records[0].temperature,
            energy_per_site: trace
                .value(Observable::EnergyPerSite, 0, 0)
                .unwrap_or(f64::NAN),
            entropy: trace
                .value(Observable::HistogramEntropy, 0, 0)
                .unwrap_or(f64::NAN),
        };
        let (pixels, _) = colorize(ctx, sim, 0, s.colormap, s.range)?;
        points.push(point);
        parts.push(trace);
        steps.push(start + spf);
        if tx.send(Message::Frame(pixels, point)).is_err() {
            break;
        }
        progress(frame + 1, s.frames);
    }
    Ok((RunTrace::join(parts, &steps), points))
}
