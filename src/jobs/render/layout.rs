//! [`FrameLayout`]: how a video frame is composed from a field's pixels — each site drawn
//! `scale × scale`, and the energy/entropy panel below when the look has the overlay. `idf
//! render` and the viewer's recordings compose their frames with it, so a scene saved in the
//! viewer renders to the frames the viewer recorded.

use super::frame::{RgbFrame, PANEL_BACKGROUND};
use super::overlay::{self, OverlayPoint};
use crate::engine::field::Shape;
use crate::jobs::scene::Look;

/// The layout of every frame of one video.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FrameLayout {
    /// Field width in sites.
    w: usize,
    /// Field height in sites.
    h: usize,
    /// Pixels per site.
    scale: usize,
    /// Overlay rows below the field (0 without the overlay).
    panel: usize,
    /// Frames the overlay's curves span (the render's length).
    frames: usize,
    /// Frame size in pixels, rounded up to even sizes for the video encoders.
    size: (usize, usize),
}

impl FrameLayout {
    /// The layout of `look` for a field of `shape` (one chain is drawn).
    pub fn new(look: &Look, shape: Shape) -> Self {
        let (w, h, scale) = (shape.width, shape.height, look.scale as usize);
        let panel = if look.overlay {
            overlay::panel_height(w * scale)
        } else {
            0
        };
        FrameLayout {
            w,
            h,
            scale,
            panel,
            frames: look.frames as usize,
            size: RgbFrame::dimensions(w, h, scale, panel),
        }
    }

    /// Frame width and height in pixels.
    pub fn size(&self) -> (usize, usize) {
        self.size
    }

    /// The frame of the field's packed RGBA8 `pixels` (`w × h`), with the overlay of `history`
    /// (one point per frame so far) when the look has one.
    pub fn compose(&self, pixels: &[u32], history: &[OverlayPoint]) -> RgbFrame {
        let (width, height) = self.size;
        let mut frame = RgbFrame::filled(width, height, PANEL_BACKGROUND);
        frame.blit_field(pixels, self.w, self.h, self.scale);
        if self.panel > 0 {
            overlay::draw(&mut frame, self.h * self.scale, history, self.frames);
        }
        frame
    }
}
