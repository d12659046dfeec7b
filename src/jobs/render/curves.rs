//! Line charts of training curves as a picture: one panel per series (the loss, each fitted
//! parameter), its values over the updates, the estimate and its ±1 standard-error band as
//! horizontal lines, and where the estimate's averaging window starts. Drawn with the overlay's
//! primitives, written as PNG by [`super::encode::write_png`].

use super::frame::{RgbFrame, PANEL_BACKGROUND};
use super::overlay::Rect;

/// Width of a chart in pixels.
pub const CHART_WIDTH: usize = 720;
/// Height of one panel in pixels.
pub const PANEL_HEIGHT: usize = 150;

const CURVE_COLOUR: [u8; 3] = [255, 170, 60];
const ESTIMATE_COLOUR: [u8; 3] = [90, 200, 255];
const BAND_COLOUR: [u8; 3] = [45, 100, 130];
const WINDOW_COLOUR: [u8; 3] = [110, 110, 130];
const TEXT_COLOUR: [u8; 3] = [230, 230, 230];
const AXIS_COLOUR: [u8; 3] = [70, 70, 85];

/// One panel: a titled series, with an estimate and its standard error when there is one.
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    /// The title drawn above the curve.
    pub title: String,
    /// One value per update.
    pub values: Vec<f64>,
    /// The estimate and its standard error, drawn as a line and a band.
    pub estimate: Option<(f64, f64)>,
}

/// The chart of `series` stacked top to bottom, the x axis spanning the updates, with a vertical
/// mark at update `window_start` (where the estimate's average begins).
pub fn chart(series: &[Series], window_start: usize) -> RgbFrame {
    let height = PANEL_HEIGHT * series.len().max(1);
    let mut frame = RgbFrame::filled(CHART_WIDTH, height, PANEL_BACKGROUND);
    for (k, s) in series.iter().enumerate() {
        draw_panel(&mut frame, k * PANEL_HEIGHT, s, window_start);
    }
    frame
}

/// The value range a panel shows: the finite values and the estimate's band, padded by 5 %.
fn value_range(s: &Series) -> (f64, f64) {
    let band = s
        .estimate
        .map(|(m, e)| [m - e, m + e])
        .into_iter()
        .flatten();
    let finite: Vec<f64> = s
        .values
        .iter()
        .copied()
        .chain(band)
        .filter(|v| v.is_finite())
        .collect();
    let lo = finite.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = finite.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if !(lo.is_finite() && hi.is_finite()) {
        return (0.0, 1.0);
    }
    let pad = if hi > lo { 0.05 * (hi - lo) } else { 0.5 };
    (lo - pad, hi + pad)
}

fn draw_panel(frame: &mut RgbFrame, top: usize, s: &Series, window_start: usize) {
    let margin = 8;
    let label_width = 11 * 8;
    let rect = Rect {
        x: margin + label_width,
        y: top + 8 + 2 * margin,
        w: CHART_WIDTH - 2 * margin - label_width,
        h: PANEL_HEIGHT - 8 - 4 * margin - 8,
    };
    let title = match s.estimate {
        Some((m, e)) => format!("{}  {m:.5} +- {e:.5}", s.title),
        None => s.title.clone(),
    };
    frame.text(margin, top + margin, &title, TEXT_COLOUR, 1);
    let (lo, hi) = value_range(s);
    let y_of = |v: f64| {
        let t = ((v - lo) / (hi - lo)).clamp(0.0, 1.0);
        ((rect.y + rect.h - 1) as f64 - t * (rect.h - 1) as f64).round() as isize
    };
    let (left, right, bottom) = (
        rect.x as isize,
        (rect.x + rect.w - 1) as isize,
        (rect.y + rect.h - 1) as isize,
    );
    let total = s.values.len();
    if let Some((m, e)) = s.estimate {
        for v in [m - e, m + e] {
            frame.line((left, y_of(v)), (right, y_of(v)), BAND_COLOUR, 1);
        }
        frame.line((left, y_of(m)), (right, y_of(m)), ESTIMATE_COLOUR, 1);
    }
    if total > 1 && window_start < total {
        let x = (rect.x + window_start * (rect.w - 1) / (total - 1)) as isize;
        frame.line((x, rect.y as isize), (x, bottom), WINDOW_COLOUR, 1);
    }
    frame.line((left, bottom), (right, bottom), AXIS_COLOUR, 1);
    frame.line((left, rect.y as isize), (left, bottom), AXIS_COLOUR, 1);
    let x_of = |k: usize| (rect.x + k * (rect.w - 1) / (total.max(2) - 1)) as isize;
    let points: Vec<(isize, isize)> = s
        .values
        .iter()
        .enumerate()
        .filter(|(_, v)| v.is_finite())
        .map(|(k, v)| (x_of(k), y_of(*v)))
        .collect();
    for pair in points.windows(2) {
        frame.line(pair[0], pair[1], CURVE_COLOUR, 1);
    }
    frame.text(margin, rect.y, &format!("{hi:>10.4}"), TEXT_COLOUR, 1);
    frame.text(
        margin,
        rect.y + rect.h - 8,
        &format!("{lo:>10.4}"),
        TEXT_COLOUR,
        1,
    );
    frame.text(rect.x, rect.y + rect.h + 4, "0", TEXT_COLOUR, 1);
    let end = format!("{total} updates");
    frame.text(
        rect.x + rect.w - 8 * end.len(),
        rect.y + rect.h + 4,
        &end,
        TEXT_COLOUR,
        1,
    );
}
