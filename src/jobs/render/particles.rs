//! Videos of particle trajectories (`idf render TRAJECTORY.xyz|.h5`): each frame the particles
//! projected on the x–y plane, drawn as discs of diameter σ from the back (low z) to the front,
//! coloured by their potential energy over the trajectory's range (by depth when the file has no
//! energies), with a line of text under the picture (step, particles, potential energy per
//! particle).

use std::path::PathBuf;

use super::encode::{Output, Sink};
use super::frame::{RgbFrame, PANEL_BACKGROUND};
use crate::error::{IdfError, Result};
use crate::io::frames::ParticleFrame;
use crate::kernels::Colormap;

/// How a particle video looks.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ParticleLook {
    /// Width and height of the picture in pixels.
    pub size: usize,
    /// Frames per second.
    pub fps: u32,
    /// The colormap of the energies.
    pub colormap: Colormap,
}

impl Default for ParticleLook {
    fn default() -> Self {
        ParticleLook {
            size: 512,
            fps: 30,
            colormap: Colormap::Viridis,
        }
    }
}

impl ParticleLook {
    /// Checks the values: `fps` 1 to 240 (as a scene's), `size` 16 to 4096 pixels.
    pub fn check(&self) -> Result<()> {
        if !(1..=240).contains(&self.fps) {
            return Err(IdfError::invalid(
                "fps",
                format!("{}: expected 1 to 240", self.fps),
            ));
        }
        if !(16..=4096).contains(&self.size) {
            return Err(IdfError::invalid(
                "size",
                format!("{} pixels: expected 16 to 4096", self.size),
            ));
        }
        Ok(())
    }
}

/// Rows of the text line under the picture.
const PANEL: usize = 20;

/// What a particle render wrote.
#[derive(Clone, Debug, PartialEq)]
pub struct ParticleRenderReport {
    /// The file or folder.
    pub path: PathBuf,
    /// Frames.
    pub frames: usize,
    /// Frame width.
    pub width: usize,
    /// Frame height.
    pub height: usize,
    /// Frames per second it plays at.
    pub fps: u32,
}

/// The x–y window every frame is drawn in: the periodic box, or the bounding square of every
/// frame's particles with a margin of one σ.
fn window(frames: &[ParticleFrame]) -> ([f32; 2], f32) {
    if let Some(l) = frames[0].lattice {
        return ([0.0, 0.0], l[0].max(l[1]));
    }
    let (mut lo, mut hi) = ([f32::INFINITY; 2], [f32::NEG_INFINITY; 2]);
    for p in frames.iter().flat_map(|f| &f.position) {
        for k in 0..2 {
            lo[k] = lo[k].min(p[k]);
            hi[k] = hi[k].max(p[k]);
        }
    }
    let extent = (hi[0] - lo[0]).max(hi[1] - lo[1]) + 2.0;
    ([lo[0] - 1.0, lo[1] - 1.0], extent)
}

/// Renders `frames` to `output`; `progress(done, total)` after each frame. Errors: a look out
/// of range ([`ParticleLook::check`]), no frames, frames of different particle counts, the
/// encoder's.
pub fn render_particles(
    frames: &[ParticleFrame],
    output: &Output,
    look: &ParticleLook,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<ParticleRenderReport> {
    look.check()?;
    let first = frames
        .first()
        .ok_or_else(|| IdfError::invalid("frames", "no frame to render"))?;
    let n = first.position.len();
    if frames.iter().any(|f| f.position.len() != n) {
        return Err(IdfError::invalid(
            "frames",
            "every frame must hold the same particles",
        ));
    }
    let size = look.size & !1;
    let (width, height) = (size, size + PANEL);
    let (origin, extent) = window(frames);
    let scale = size as f32 / extent;
    let by_energy = frames.iter().all(|f| f.energies.is_some());
    let values = |f: &ParticleFrame| -> Vec<f32> {
        match &f.energies {
            Some(e) if by_energy => e.clone(),
            _ => f.position.iter().map(|p| p[2]).collect(),
        }
    };
    let (lo, hi) = frames
        .iter()
        .flat_map(values)
        .filter(|v| v.is_finite())
        .fold((f32::INFINITY, f32::NEG_INFINITY), |(a, b), v| {
            (a.min(v), b.max(v))
        });
    let span = if hi > lo { hi - lo } else { 1.0 };
    let table = look.colormap.table();
    let radius = (0.5 * scale).max(1.0);
    let mut sink = Sink::create(output, width, height, look.fps)?;
    for (k, f) in frames.iter().enumerate() {
        let mut frame = RgbFrame::filled(width, height, PANEL_BACKGROUND);
        let v = values(f);
        let mut order: Vec<usize> = (0..n).collect();
        order.sort_by(|&a, &b| f.position[a][2].total_cmp(&f.position[b][2]));
        for i in order {
            let p = f.position[i];
            let t = ((v[i] - lo) / span).clamp(0.0, 1.0);
            let c = table[(t * 255.0).round() as usize];
            let rgb = [0, 1, 2].map(|k| (c[k] * 255.0).round() as u8);
            let cx = (p[0] - origin[0]) * scale;
            let cy = size as f32 - (p[1] - origin[1]) * scale;
            disc(&mut frame, cx, cy, radius, rgb, size);
        }
        let energy = f
            .energy
            .map_or(String::new(), |e| format!("  U/N {:.4}", e / n as f64));
        frame.text(
            4,
            size + 6,
            &format!("step {}  N {n}{energy}", f.step),
            [230, 230, 230],
            1,
        );
        if let Err(e) = sink.push(&frame) {
            sink.abort();
            return Err(e);
        }
        progress(k as u64 + 1, frames.len() as u64);
    }
    let fps = sink.fps();
    let path = sink.finish()?;
    Ok(ParticleRenderReport {
        path,
        frames: frames.len(),
        width,
        height,
        fps,
    })
}

/// A filled disc centred at (cx, cy) with a darker rim (so overlapping particles stay apart),
/// clipped to the picture's `size × size`.
fn disc(frame: &mut RgbFrame, cx: f32, cy: f32, r: f32, rgb: [u8; 3], size: usize) {
    let (x0, x1) = ((cx - r).floor() as isize, (cx + r).ceil() as isize);
    let (y0, y1) = ((cy - r).floor() as isize, (cy + r).ceil() as isize);
    let rim = rgb.map(|c| (c as f32 * 0.45) as u8);
    let inner = (r - 1.5).max(0.0);
    for y in y0.max(0)..y1.min(size as isize) {
        for x in x0.max(0)..x1.min(size as isize) {
            let (dx, dy) = (x as f32 + 0.5 - cx, y as f32 + 0.5 - cy);
            let d2 = dx * dx + dy * dy;
            if d2 <= r * r {
                frame.put(x, y, if d2 > inner * inner { rim } else { rgb });
            }
        }
    }
}
