//! Extended XYZ (the format ASE and OVITO read): per frame a particle count, a comment line of
//! `key=value` pairs (`Lattice` for a periodic box, `Properties`, `pbc`, `step`, `energy`),
//! and a row per particle with its species, position and optionally velocity and energy. A
//! file of frames is a trajectory; any frame reads back as a starting state. Written atomically.

use std::fmt::Write as _;
use std::path::Path;

use super::frames::ParticleFrame;
use crate::error::{IdfError, Result};

/// The element symbols species are written as (species 0 is argon, the Lennard-Jones fluid's
/// usual stand-in).
pub const SPECIES_SYMBOLS: [&str; 8] = ["Ar", "Kr", "Xe", "Ne", "He", "Rn", "Og", "Fr"];

/// Appends `frame` as extended XYZ text.
fn write_frame(frame: &ParticleFrame, out: &mut String) {
    let n = frame.position.len();
    let mut properties = String::from("species:S:1:pos:R:3");
    if frame.velocity.is_some() {
        properties.push_str(":velo:R:3");
    }
    if frame.energies.is_some() {
        properties.push_str(":energies:R:1");
    }
    let _ = writeln!(out, "{n}");
    match frame.lattice {
        Some([a, b, c]) => {
            let _ = write!(out, "Lattice=\"{a} 0 0 0 {b} 0 0 0 {c}\" pbc=\"T T T\" ");
        }
        None => out.push_str("pbc=\"F F F\" "),
    }
    let _ = write!(out, "Properties={properties} step={}", frame.step);
    if let Some(e) = frame.energy {
        let _ = write!(out, " energy={e}");
    }
    out.push('\n');
    for (i, p) in frame.position.iter().enumerate() {
        let symbol = SPECIES_SYMBOLS[(p[3] as usize).min(SPECIES_SYMBOLS.len() - 1)];
        let _ = write!(out, "{symbol} {} {} {}", p[0], p[1], p[2]);
        if let Some(v) = &frame.velocity {
            let _ = write!(out, " {} {} {}", v[i][0], v[i][1], v[i][2]);
        }
        if let Some(e) = &frame.energies {
            let _ = write!(out, " {}", e[i]);
        }
        out.push('\n');
    }
}

/// Writes `frames` to `path` (atomically).
pub fn write_xyz(path: &Path, frames: &[ParticleFrame]) -> Result<()> {
    let mut text = String::new();
    for f in frames {
        write_frame(f, &mut text);
    }
    crate::io::write_atomic(path, text.as_bytes())
}

/// The `key=value` pairs of a comment line (values may be double-quoted).
fn comment_pairs(line: &str) -> Vec<(String, String)> {
    let mut pairs = Vec::new();
    let mut rest = line.trim();
    while !rest.is_empty() {
        let Some(eq) = rest.find('=') else { break };
        let key = rest[..eq].trim().to_string();
        rest = &rest[eq + 1..];
        let value;
        if let Some(stripped) = rest.strip_prefix('"') {
            let end = stripped.find('"').unwrap_or(stripped.len());
            value = stripped[..end].to_string();
            rest = stripped.get(end + 1..).unwrap_or("");
        } else {
            let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
            value = rest[..end].to_string();
            rest = &rest[end..];
        }
        pairs.push((key, value));
        rest = rest.trim_start();
    }
    pairs
}

/// Reads every frame of an extended XYZ file. Errors name the file and line: a bad count, a
/// missing or unsupported `Properties` column, a non-orthorhombic lattice, a short row, a
/// number that does not parse, an unknown species symbol.
pub fn read_xyz(path: &Path) -> Result<Vec<ParticleFrame>> {
    let text = std::fs::read_to_string(path).map_err(|e| IdfError::io(path, e))?;
    let bad = |line: usize, message: String| IdfError::Config {
        path: path.to_path_buf(),
        message: format!("line {line}: {message}"),
    };
    let lines: Vec<&str> = text.lines().collect();
    let mut frames = Vec::new();
    let mut at = 0;
    while at < lines.len() {
        if lines[at].trim().is_empty() {
            at += 1;
            continue;
        }
        let n: usize = lines[at].trim().parse().map_err(|_| {
            bad(
                at + 1,
                format!("`{}` is not a particle count", lines[at].trim()),
            )
        })?;
        let comment = lines
            .get(at + 1)
            .ok_or_else(|| bad(at + 2, "the comment line is missing".into()))?;
        let pairs = comment_pairs(comment);
        let get = |key: &str| {
            pairs
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(key))
                .map(|(_, v)| v.as_str())
        };
        let lattice = match get("Lattice") {
            None => None,
            Some(l) => {
                let v: Vec<f32> = l
                    .split_whitespace()
                    .map(|x| x.parse::<f32>())
                    .collect::<std::result::Result<_, _>>()
                    .map_err(|_| bad(at + 2, format!("Lattice=\"{l}\" is not 9 numbers")))?;
                let diagonal_only = v.len() == 9 && [1, 2, 3, 5, 6, 7].iter().all(|&k| v[k] == 0.0);
                if !diagonal_only {
                    return Err(bad(
                        at + 2,
                        format!("Lattice=\"{l}\": only orthorhombic boxes (a diagonal lattice) are supported"),
                    ));
                }
                Some([v[0], v[4], v[8]])
            }
        };
        let properties = get("Properties").unwrap_or("species:S:1:pos:R:3");
        let columns = parse_properties(properties).map_err(|m| bad(at + 2, m))?;
        let step = get("step").and_then(|s| s.parse().ok()).unwrap_or(0);
        let energy = get("energy").and_then(|s| s.parse().ok());
        let mut frame = ParticleFrame {
            lattice,
            position: Vec::with_capacity(n),
            velocity: columns.velo.map(|_| Vec::with_capacity(n)),
            energies: columns.energies.map(|_| Vec::with_capacity(n)),
            step,
            energy,
        };
        for k in 0..n {
            let number = at + 3 + k;
            let row = lines
                .get(number - 1)
                .ok_or_else(|| bad(number, format!("the file ends after {k} of {n} particles")))?;
            let fields: Vec<&str> = row.split_whitespace().collect();
            if fields.len() < columns.width {
                return Err(bad(
                    number,
                    format!(
                        "{} columns, the Properties name {}",
                        fields.len(),
                        columns.width
                    ),
                ));
            }
            let num = |c: usize| {
                fields[c]
                    .parse::<f32>()
                    .map_err(|_| bad(number, format!("`{}` is not a number", fields[c])))
            };
            let symbol = fields[columns.species];
            let species = SPECIES_SYMBOLS
                .iter()
                .position(|s| *s == symbol)
                .ok_or_else(|| {
                    bad(
                        number,
                        format!(
                            "species `{symbol}` is not one of {}",
                            SPECIES_SYMBOLS.join(", ")
                        ),
                    )
                })?;
            let p = columns.pos;
            frame
                .position
                .push([num(p)?, num(p + 1)?, num(p + 2)?, species as f32]);
            if let (Some(v), Some(out)) = (columns.velo, &mut frame.velocity) {
                out.push([num(v)?, num(v + 1)?, num(v + 2)?, 0.0]);
            }
            if let (Some(e), Some(out)) = (columns.energies, &mut frame.energies) {
                out.push(num(e)?);
            }
        }
        frames.push(frame);
        at += 2 + n;
    }
    if frames.is_empty() {
        return Err(bad(1, "no frame".into()));
    }
    Ok(frames)
}

/// Where the columns IDF reads are in a row.
struct Columns {
    species: usize,
    pos: usize,
    velo: Option<usize>,
    energies: Option<usize>,
    width: usize,
}

fn parse_properties(spec: &str) -> std::result::Result<Columns, String> {
    let parts: Vec<&str> = spec.split(':').collect();
    if !parts.len().is_multiple_of(3) {
        return Err(format!("Properties={spec} is not name:type:count triples"));
    }
    let (mut species, mut pos, mut velo, mut energies) = (None, None, None, None);
    let mut column = 0;
    for t in parts.chunks(3) {
        let count: usize = t[2]
            .parse()
            .map_err(|_| format!("Properties={spec}: `{}` is not a column count", t[2]))?;
        match t[0] {
            "species" => species = Some(column),
            "pos" => pos = Some(column),
            "velo" | "vel" | "velocities" => velo = Some(column),
            "energies" => energies = Some(column),
            _ => {}
        }
        column += count;
    }
    Ok(Columns {
        species: species.ok_or_else(|| format!("Properties={spec} has no species column"))?,
        pos: pos.ok_or_else(|| format!("Properties={spec} has no pos column"))?,
        velo,
        energies,
        width: column,
    })
}
