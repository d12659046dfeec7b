//! Videos of a Hasegawa–Wakatani run (`idf plasma run --video`): each frame the chosen field
//! (n, ζ or φ) in the diverging colormap over ±its largest magnitude, and a panel with the
//! time, energy, enstrophy and flux and the curves of ln E and Γ_n so far.

use std::path::PathBuf;

use super::encode::{Output, Sink};
use super::frame::{RgbFrame, PANEL_BACKGROUND};
use super::overlay::{curve_points, panel_height, plot_rect, ENERGY_COLOUR, ENTROPY_COLOUR};
use crate::error::Result;
use crate::kernels::Colormap;

/// The field a plasma video shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PlasmaField {
    /// The density fluctuation n.
    Density,
    /// The vorticity ζ.
    Vorticity,
    /// The potential φ.
    Potential,
}

impl PlasmaField {
    /// Its name: `n`, `zeta` or `phi`.
    pub fn name(self) -> &'static str {
        match self {
            PlasmaField::Density => "n",
            PlasmaField::Vorticity => "zeta",
            PlasmaField::Potential => "phi",
        }
    }
}

impl std::str::FromStr for PlasmaField {
    type Err = crate::error::IdfError;
    fn from_str(s: &str) -> Result<Self> {
        Ok(match s {
            "n" => PlasmaField::Density,
            "zeta" => PlasmaField::Vorticity,
            "phi" => PlasmaField::Potential,
            other => {
                return Err(crate::error::IdfError::invalid(
                    "video_field",
                    format!("`{other}` is not n, zeta or phi"),
                ))
            }
        })
    }
}

/// What one frame's panel says.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PlasmaPanel {
    /// Time.
    pub time: f64,
    /// Energy.
    pub energy: f64,
    /// Enstrophy.
    pub enstrophy: f64,
    /// Particle flux.
    pub flux: f64,
}

/// A plasma video being written.
pub struct PlasmaVideo {
    sink: Sink,
    size: usize,
    scale: usize,
    total: usize,
    history: Vec<PlasmaPanel>,
}

const TEXT: [u8; 3] = [230, 230, 230];

impl PlasmaVideo {
    /// A video of `total` frames of `size × size` grids, scaled to about 512 pixels.
    pub fn create(output: &Output, size: usize, total: usize, fps: u32) -> Result<Self> {
        let scale = (512 / size).max(1);
        let (w, h) = RgbFrame::dimensions(size, size, scale, panel_height(size * scale));
        Ok(PlasmaVideo {
            sink: Sink::create(output, w, h, fps)?,
            size,
            scale,
            total,
            history: Vec::new(),
        })
    }

    /// Adds a frame of `values` (`size × size`) with its panel.
    pub fn push(&mut self, field: PlasmaField, values: &[f32], panel: PlasmaPanel) -> Result<()> {
        let n = self.size;
        let (w, h) = RgbFrame::dimensions(n, n, self.scale, panel_height(n * self.scale));
        let mut frame = RgbFrame::filled(w, h, PANEL_BACKGROUND);
        let m = values
            .iter()
            .fold(0.0f32, |a, v| a.max(v.abs()))
            .max(f32::MIN_POSITIVE);
        let table = Colormap::Coolwarm.table();
        let pixels: Vec<u32> = values
            .iter()
            .map(|v| {
                let k = (((v / m + 1.0) / 2.0) * 255.0).round().clamp(0.0, 255.0) as usize;
                let c = table[k].map(|x| (x * 255.0).round() as u32);
                c[0] | c[1] << 8 | c[2] << 16 | 255 << 24
            })
            .collect();
        frame.blit_field(&pixels, n, n, self.scale);
        self.history.push(panel);
        let top = n * self.scale;
        let s = if w >= 640 { 2 } else { 1 };
        frame.text(
            6 * s,
            top + 6 * s,
            &format!(
                "{} t {:.2}  E {:.3e}  U {:.3e}  flux {:.3e}",
                field.name(),
                panel.time,
                panel.energy,
                panel.enstrophy,
                panel.flux
            ),
            TEXT,
            s,
        );
        let rect = plot_rect(w, top);
        let energy: Vec<f64> = self
            .history
            .iter()
            .map(|p| p.energy.max(1e-300).ln())
            .collect();
        let flux: Vec<f64> = self.history.iter().map(|p| p.flux).collect();
        for (series, colour) in [(energy, ENERGY_COLOUR), (flux, ENTROPY_COLOUR)] {
            for pair in curve_points(&series, rect, self.total).windows(2) {
                frame.line(pair[0], pair[1], colour, s as isize);
            }
        }
        self.sink.push(&frame)
    }

    /// Closes the file; returns its path.
    pub fn finish(self) -> Result<PathBuf> {
        self.sink.finish()
    }
}
