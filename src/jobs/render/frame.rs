//! RGB frames: the coloured field upscaled, with room for the overlay panel below it, and simple
//! drawing (lines, text from an 8×8 bitmap font) that needs no display.

/// An RGB image, 3 bytes a pixel, row-major.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RgbFrame {
    /// Width in pixels (even, as H.264 in yuv420p needs).
    pub width: usize,
    /// Height in pixels (even).
    pub height: usize,
    /// Pixels, `[r, g, b]` per pixel.
    pub data: Vec<u8>,
}

/// The background of the overlay panel.
pub const PANEL_BACKGROUND: [u8; 3] = [18, 18, 24];

impl RgbFrame {
    /// A frame filled with one colour.
    pub fn filled(width: usize, height: usize, rgb: [u8; 3]) -> Self {
        RgbFrame {
            width,
            height,
            data: rgb
                .iter()
                .copied()
                .cycle()
                .take(width * height * 3)
                .collect(),
        }
    }

    /// Frame dimensions for a `w × h` field at `scale` pixels per site, with a panel of
    /// `panel` rows below it, rounded up to even sizes.
    pub fn dimensions(w: usize, h: usize, scale: usize, panel: usize) -> (usize, usize) {
        let even = |n: usize| n + n % 2;
        (even(w * scale), even(h * scale + panel))
    }

    /// Copies packed RGBA8 field pixels (`w × h`, r in the low byte) into the top of the frame,
    /// each site `scale × scale` pixels.
    pub fn blit_field(&mut self, pixels: &[u32], w: usize, h: usize, scale: usize) {
        for y in 0..h * scale {
            let row = &pixels[(y / scale) * w..(y / scale + 1) * w];
            let out = &mut self.data[y * self.width * 3..];
            for x in 0..w * scale {
                let p = row[x / scale];
                out[x * 3] = p as u8;
                out[x * 3 + 1] = (p >> 8) as u8;
                out[x * 3 + 2] = (p >> 16) as u8;
            }
        }
    }

    /// The colour at (x, y).
    pub fn pixel(&self, x: usize, y: usize) -> [u8; 3] {
        let i = (y * self.width + x) * 3;
        [self.data[i], self.data[i + 1], self.data[i + 2]]
    }

    /// Sets (x, y) if it is inside the frame.
    pub fn put(&mut self, x: isize, y: isize, rgb: [u8; 3]) {
        if x >= 0 && y >= 0 && (x as usize) < self.width && (y as usize) < self.height {
            let i = (y as usize * self.width + x as usize) * 3;
            self.data[i..i + 3].copy_from_slice(&rgb);
        }
    }

    /// A line from (x0, y0) to (x1, y1) (Bresenham), `thickness` pixels wide.
    pub fn line(
        &mut self,
        (x0, y0): (isize, isize),
        (x1, y1): (isize, isize),
        rgb: [u8; 3],
        thickness: isize,
    ) {
        let (dx, dy) = ((x1 - x0).abs(), -(y1 - y0).abs());
        let (sx, sy) = (if x0 < x1 { 1 } else { -1 }, if y0 < y1 { 1 } else { -1 });
        let (mut x, mut y, mut err) = (x0, y0, dx + dy);
        loop {
            for t in 0..thickness {
                self.put(x, y + t, rgb);
            }
            if x == x1 && y == y1 {
                break;
            }
            let e2 = 2 * err;
            if e2 >= dy {
                err += dy;
                x += sx;
            }
            if e2 <= dx {
                err += dx;
                y += sy;
            }
        }
    }

    /// Draws ASCII `text` with its top-left corner at (x, y), each font pixel `scale` pixels.
    pub fn text(&mut self, x: usize, y: usize, text: &str, rgb: [u8; 3], scale: usize) {
        for (k, ch) in text.chars().enumerate() {
            let glyph = font8x8::legacy::BASIC_LEGACY[(ch as usize).min(127)];
            for (row, bits) in glyph.iter().enumerate() {
                for col in 0..8 {
                    if bits >> col & 1 == 1 {
                        for sy in 0..scale {
                            for sx in 0..scale {
                                let px = x + (k * 8 + col) * scale + sx;
                                let py = y + row * scale + sy;
                                self.put(px as isize, py as isize, rgb);
                            }
                        }
                    }
                }
            }
        }
    }
}
