//! The colormap kernel's tables (`shaders/colormap.wgsl` ↔ `src/cpu/colormap.rs`): the
//! published 256-entry tables of viridis, magma, inferno and cividis
//! (`assets/colormaps/*.csv`, from matplotlib's CC0 data), and `coolwarm`, a diverging map for
//! signed fields (Moreland's endpoints interpolated in CIELAB); and [`ColorRange`], how values
//! map to a table's ends.

use std::str::FromStr;
use std::sync::OnceLock;

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

    /// Every colormap's name, comma-separated, for help texts and errors.
    pub fn names() -> String {
        Colormap::ALL.map(Colormap::name).join(", ")
    }

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
                    format!("`{s}` is not one of {}", Colormap::names()),
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
