//! The overlay under the field: a line of text (step, T, E, S) and a live plot of the energy and
//! entropy over the frames so far, drawn into the frame without a display.

use super::frame::{RgbFrame, PANEL_BACKGROUND};

/// Colour of the energy curve.
pub const ENERGY_COLOUR: [u8; 3] = [255, 170, 60];
/// Colour of the entropy curve.
pub const ENTROPY_COLOUR: [u8; 3] = [90, 200, 255];
const TEXT_COLOUR: [u8; 3] = [230, 230, 230];
const AXIS_COLOUR: [u8; 3] = [70, 70, 85];

/// What the overlay shows of one frame.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct OverlayPoint {
    /// Steps taken.
    pub step: u64,
    /// Temperature.
    pub temperature: f32,
    /// Energy per site.
    pub energy_per_site: f64,
    /// Entropy of the value histogram.
    pub entropy: f64,
}

/// A rectangle in pixels.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rect {
    /// Left edge.
    pub x: usize,
    /// Top edge.
    pub y: usize,
    /// Width.
    pub w: usize,
    /// Height.
    pub h: usize,
}

/// Rows of the overlay panel for a frame `width` pixels wide.
pub fn panel_height(width: usize) -> usize {
    let h = (width / 4).max(96);
    h + h % 2
}

fn text_scale(width: usize) -> usize {
    if width >= 640 {
        2
    } else {
        1
    }
}

/// The plot area inside a panel that starts at row `top` of a frame `width` wide.
pub fn plot_rect(width: usize, top: usize) -> Rect {
    let s = text_scale(width);
    let margin = 6 * s;
    let text = 8 * s + 2 * margin;
    Rect {
        x: margin,
        y: top + text,
        w: width - 2 * margin,
        h: panel_height(width) - text - margin,
    }
}

/// Pixel positions of a curve of `values` (one per frame so far) in `rect`, the x axis spanning
/// `total` frames and the y axis the values' own range (a flat series sits in the middle).
pub fn curve_points(values: &[f64], rect: Rect, total: usize) -> Vec<(isize, isize)> {
    let finite = values.iter().filter(|v| v.is_finite());
    let lo = finite.clone().fold(f64::INFINITY, |a, b| a.min(*b));
    let hi = finite.fold(f64::NEG_INFINITY, |a, b| a.max(*b));
    let span = (total.max(2) - 1) as f64;
    values
        .iter()
        .enumerate()
        .map(|(k, v)| {
            let x = rect.x as f64 + k as f64 / span * (rect.w - 1) as f64;
            let t = if hi > lo && v.is_finite() {
                (v - lo) / (hi - lo)
            } else {
                0.5
            };
            let y = (rect.y + rect.h - 1) as f64 - t * (rect.h - 1) as f64;
            (x.round() as isize, y.round() as isize)
        })
        .collect()
}

/// Draws the panel for `history` (one point per frame so far) below row `top`.
pub fn draw(frame: &mut RgbFrame, top: usize, history: &[OverlayPoint], total_frames: usize) {
    let width = frame.width;
    for y in top..frame.height {
        for x in 0..width {
            frame.put(x as isize, y as isize, PANEL_BACKGROUND);
        }
    }
    let s = text_scale(width);
    if let Some(last) = history.last() {
        let line = format!(
            "step {}  T {:.3}  E/N {:.4}  S {:.4}",
            last.step, last.temperature, last.energy_per_site, last.entropy
        );
        frame.text(6 * s, top + 6 * s, &line, TEXT_COLOUR, s);
    }
    let rect = plot_rect(width, top);
    let (l, r, b) = (
        rect.x as isize,
        (rect.x + rect.w - 1) as isize,
        (rect.y + rect.h - 1) as isize,
    );
    frame.line((l, b), (r, b), AXIS_COLOUR, 1);
    frame.line((l, rect.y as isize), (l, b), AXIS_COLOUR, 1);
    let energy: Vec<f64> = history.iter().map(|p| p.energy_per_site).collect();
    let entropy: Vec<f64> = history.iter().map(|p| p.entropy).collect();
    for (values, colour) in [(energy, ENERGY_COLOUR), (entropy, ENTROPY_COLOUR)] {
        let points = curve_points(&values, rect, total_frames);
        for pair in points.windows(2) {
            frame.line(pair[0], pair[1], colour, s as isize);
        }
        if let [only] = points[..] {
            frame.put(only.0, only.1, colour);
        }
    }
    let legend_x = width.saturating_sub(12 * 8 * s);
    frame.text(legend_x, top + 6 * s, "E", ENERGY_COLOUR, s);
    frame.text(legend_x + 16 * s, top + 6 * s, "S", ENTROPY_COLOUR, s);
}
