//! Colormaps and colour ranges. The perceptual maps are the published 256-entry tables of
//! viridis, magma, inferno and cividis (`assets/colormaps/*.csv`); `coolwarm` is a diverging map
//! for signed fields. Colouring runs on the backend: the `colormap` kernel or its CPU twin.

use std::str::FromStr;
use std::sync::OnceLock;

use crate::context::Context;
use crate::core::diffusion_dynamics::Simulation;
use crate::error::{IdfError, Result};

/// A colormap.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Colormap {
    /// Perceptually uniform, blue–green–yellow.
    Viridis,
    /// Perceptually uniform, black–purple–cream.
    Magma,
    /// Perceptually uniform, black–red–yellow.
    Inferno,
    /// Perceptually uniform and colour-vision-deficiency friendly, blue–yellow.
    Cividis,
    /// Diverging blue–white–red, for signed fields centred on zero.
    Coolwarm,
}

impl Colormap {
    /// Every colormap.
    pub const ALL: [Colormap; 5] = [
        Colormap::Viridis,
        Colormap::Magma,
        Colormap::Inferno,
        Colormap::Cividis,
        Colormap::Coolwarm,
    ];

    /// The colormap's name.
    pub fn name(self) -> &'static str {
        match self {
            Colormap::Viridis => "viridis",
            Colormap::Magma => "magma",
            Colormap::Inferno => "inferno",
            Colormap::Cividis => "cividis",
            Colormap::Coolwarm => "coolwarm",
        }
    }

    fn csv(self) -> &'static str {
        match self {
            Colormap::Viridis => include_str!("../../assets/colormaps/viridis.csv"),
            Colormap::Magma => include_str!("../../assets/colormaps/magma.csv"),
            Colormap::Inferno => include_str!("../../assets/colormaps/inferno.csv"),
            Colormap::Cividis => include_str!("../../assets/colormaps/cividis.csv"),
            Colormap::Coolwarm => include_str!("../../assets/colormaps/coolwarm.csv"),
        }
    }

    /// The 256 RGBA entries (alpha 1), parsed once.
    pub fn table(self) -> &'static [[f32; 4]; 256] {
        static TABLES: OnceLock<Vec<[[f32; 4]; 256]>> = OnceLock::new();
        let tables = TABLES.get_or_init(|| Colormap::ALL.iter().map(|m| parse(m.csv())).collect());
        &tables[self as usize]
    }
}

fn parse(csv: &str) -> [[f32; 4]; 256] {
    let mut table = [[0.0, 0.0, 0.0, 1.0]; 256];
    let rows = csv
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty());
    for (entry, row) in table.iter_mut().zip(rows) {
        for (c, v) in entry.iter_mut().zip(row.split(',')) {
            *c = v.trim().parse().expect("colormap tables are numbers");
        }
    }
    table
}

impl FromStr for Colormap {
    type Err = IdfError;
    fn from_str(s: &str) -> Result<Self> {
        Colormap::ALL
            .into_iter()
            .find(|m| m.name() == s)
            .ok_or_else(|| {
                IdfError::invalid(
                    "colormap",
                    format!("`{s}` is not one of viridis, magma, inferno, cividis, coolwarm"),
                )
            })
    }
}

/// How values map to the colormap's ends.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ColorRange {
    /// A fixed [lo, hi] for every frame.
    Fixed(f32, f32),
    /// Each frame's own [min, max].
    PerFrame,
    /// Each frame's [−m, m] with m its largest |value|: zero stays in the middle.
    Symmetric,
}

/// Colours plane `plane` (chain × channel) of the simulation's current field on its backend into
/// packed RGBA8 pixels (`r` in the low byte), and returns the range used.
pub fn colorize(
    ctx: &Context,
    sim: &mut Simulation,
    plane: usize,
    map: Colormap,
    range: ColorRange,
) -> Result<(Vec<u32>, (f32, f32))> {
    let shape = sim.shape();
    let (w, h) = (shape.width, shape.height);
    if plane >= shape.chains * shape.channels {
        return Err(IdfError::invalid(
            "plane",
            format!("{plane} is past the field's planes"),
        ));
    }
    let (lo, hi) = match range {
        ColorRange::Fixed(lo, hi) => (lo, hi),
        ColorRange::PerFrame | ColorRange::Symmetric => {
            let stats = sim.chain_stats(None)?;
            let chain = plane / shape.channels;
            let (lo, hi) = (stats[chain].min as f32, stats[chain].max as f32);
            if range == ColorRange::Symmetric {
                let m = lo.abs().max(hi.abs());
                (-m, m)
            } else {
                (lo, hi)
            }
        }
    };
    let (lo, hi) = if hi > lo {
        (lo, hi)
    } else {
        (lo - 0.5, lo + 0.5)
    };
    let offset = plane * w * h;
    let pixels = match (ctx.gpu_context(), sim.gpu_buffer()) {
        (Some(gpu), Some(buffer)) => {
            gpu.colorize(buffer, offset as u32, w as u32, h as u32, lo, hi, map)?
        }
        _ => {
            let field = sim.field()?;
            let mut pixels = vec![0u32; w * h];
            crate::cpu::colormap::run(
                &field.data()[offset..offset + w * h],
                lo,
                hi,
                map.table(),
                &mut pixels,
            );
            pixels
        }
    };
    Ok((pixels, (lo, hi)))
}
