//! The creative capsule: energy-guided generative art that grows out of noise. Scenes name an
//! energy (φ⁴ for spinodal decomposition, Swift–Hohenberg for Turing stripes and spots, Ising
//! for coarsening domains, φ⁴ with a guidance image for a picture revealed by reverse annealing);
//! this capsule turns a guidance image into the target plane of the φ⁴ guidance term, and picks
//! the value histogram whose entropy a picture's overlay shows.

use std::path::Path;

use crate::engine::energies::{EnergyModel, StateKind};
use crate::engine::trace::Histogram;
use crate::error::{IdfError, Result};
use crate::kernels::ColorRange;

/// The value histogram whose entropy a picture's overlay (and the viewer's plot) shows: the
/// fixed colour range, or else a fixed range around the values the model's fields take (±1.5
/// for spins, ±2 otherwise), so that entropies of different frames compare.
pub fn entropy_histogram(model: &EnergyModel, range: ColorRange) -> Histogram {
    let (lo, hi) = match range {
        ColorRange::Fixed(lo, hi) => (lo, hi),
        _ if model.state() == StateKind::Spins => (-1.5, 1.5),
        _ => (-2.0, 2.0),
    };
    Histogram { lo, hi, bins: 64 }
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
