//! H5MD trajectories (de Buyl, Colberg & Höfling, "H5MD: a structured, efficient, and portable
//! file format for molecular data", Comput. Phys. Commun. 185, 1546 (2014); version 1.1):
//! `/h5md` (version, author, creator), `/particles/all` with `box` (dimension, boundary, edges),
//! `species`, and the time-dependent `position`, `velocity` and per-particle `potential_energy`
//! (each `step`, `time`, `value`), and `/observables/potential_energy` per frame. Written
//! atomically; the last frame reads back as a starting state.

use std::path::Path;

use hdf5::types::VarLenUnicode;
use hdf5_metno as hdf5;

use super::frames::ParticleFrame;
use super::hdf5::{open, write_text_attr, write_with};
use crate::error::{IdfError, Result};

/// Writes `frames` (of one system; `dt` the time per step) to `path`.
pub fn write_h5md(path: &Path, frames: &[ParticleFrame], dt: f64) -> Result<()> {
    let first = frames
        .first()
        .ok_or_else(|| IdfError::invalid("frames", "no frame to write"))?;
    let n = first.position.len();
    if frames.iter().any(|f| f.position.len() != n) {
        return Err(IdfError::invalid(
            "frames",
            "every frame must hold the same particles",
        ));
    }
    write_with(path, |file| {
        let h5md = file.create_group("h5md")?;
        h5md.new_attr::<i32>()
            .shape(2)
            .create("version")?
            .write(&[1, 1])?;
        let author = h5md.create_group("author")?;
        write_text_attr(&author, "name", "IDF")?;
        let creator = h5md.create_group("creator")?;
        write_text_attr(&creator, "name", "idf")?;
        write_text_attr(&creator, "version", env!("CARGO_PKG_VERSION"))?;

        let all = file.create_group("particles")?.create_group("all")?;
        let domain = all.create_group("box")?;
        domain
            .new_attr::<i32>()
            .create("dimension")?
            .write_scalar(&3)?;
        let boundary: Vec<VarLenUnicode> = (0..3)
            .map(|_| {
                let b = if first.lattice.is_some() {
                    "periodic"
                } else {
                    "none"
                };
                b.parse().expect("ASCII")
            })
            .collect();
        domain
            .new_attr::<VarLenUnicode>()
            .shape(3)
            .create("boundary")?
            .write(&boundary)?;
        if let Some(l) = first.lattice {
            domain
                .new_dataset::<f32>()
                .shape(3)
                .create("edges")?
                .write(&l)?;
        }
        let species: Vec<i32> = first.position.iter().map(|p| p[3] as i32).collect();
        all.new_dataset::<i32>()
            .shape(n)
            .create("species")?
            .write(&species)?;

        let steps: Vec<i64> = frames.iter().map(|f| f.step as i64).collect();
        let times: Vec<f64> = frames.iter().map(|f| f.step as f64 * dt).collect();
        let element = |group: &hdf5::Group, name: &str| -> hdf5::Result<hdf5::Group> {
            let g = group.create_group(name)?;
            g.new_dataset::<i64>()
                .shape(frames.len())
                .create("step")?
                .write(&steps)?;
            g.new_dataset::<f64>()
                .shape(frames.len())
                .create("time")?
                .write(&times)?;
            Ok(g)
        };
        let vectors = |rows: &dyn Fn(&ParticleFrame) -> Vec<[f32; 4]>| -> Vec<f32> {
            frames
                .iter()
                .flat_map(|f| rows(f).into_iter().flat_map(|p| [p[0], p[1], p[2]]))
                .collect()
        };
        element(&all, "position")?
            .new_dataset::<f32>()
            .shape([frames.len(), n, 3])
            .create("value")?
            .write_raw(&vectors(&|f| f.position.clone()))?;
        if frames.iter().all(|f| f.velocity.is_some()) {
            element(&all, "velocity")?
                .new_dataset::<f32>()
                .shape([frames.len(), n, 3])
                .create("value")?
                .write_raw(&vectors(&|f| f.velocity.clone().unwrap_or_default()))?;
        }
        if frames.iter().all(|f| f.energies.is_some()) {
            let e: Vec<f32> = frames
                .iter()
                .flat_map(|f| f.energies.clone().unwrap_or_default())
                .collect();
            element(&all, "potential_energy")?
                .new_dataset::<f32>()
                .shape([frames.len(), n])
                .create("value")?
                .write_raw(&e)?;
        }
        if frames.iter().all(|f| f.energy.is_some()) {
            let e: Vec<f64> = frames
                .iter()
                .map(|f| f.energy.unwrap_or(f64::NAN))
                .collect();
            element(&file.create_group("observables")?, "potential_energy")?
                .new_dataset::<f64>()
                .shape(frames.len())
                .create("value")?
                .write(&e)?;
        }
        Ok(())
    })
}

/// Reads every frame of an H5MD file's `/particles/all` (positions, species, velocities and
/// per-particle energies where present, the box, the steps). Errors name the file and the
/// dataset that is missing or malformed.
pub fn read_h5md(path: &Path) -> Result<Vec<ParticleFrame>> {
    let file = open(path)?;
    let bad = |dataset: &str, message: String| IdfError::Config {
        path: path.to_path_buf(),
        message: format!("{dataset}: {message}"),
    };
    let h5 = |dataset: &str| {
        let dataset = dataset.to_string();
        move |e: hdf5::Error| IdfError::Config {
            path: path.to_path_buf(),
            message: format!("{dataset}: {e}"),
        }
    };
    file.group("h5md")
        .map_err(|_| bad("/h5md", "missing: not an H5MD file".into()))?;
    const POSITION: &str = "/particles/all/position/value";
    let value = file.dataset(POSITION).map_err(h5(POSITION))?;
    let shape = value.shape();
    let [frames, n, 3] = shape[..] else {
        return Err(bad(
            POSITION,
            format!("shape {shape:?}, expected [frames, particles, 3]"),
        ));
    };
    if frames == 0 {
        return Err(bad(POSITION, "no frame".into()));
    }
    let species: Vec<i32> = match file.dataset("particles/all/species") {
        Ok(ds) => ds.read_raw().map_err(h5("/particles/all/species"))?,
        Err(_) => vec![0; n],
    };
    if species.len() != n || species.iter().any(|&s| s < 0) {
        return Err(bad(
            "/particles/all/species",
            format!(
                "{} entries for {n} particles (non-negative integers)",
                species.len()
            ),
        ));
    }
    // Per frame, rows of [x, y, z, w].
    let frames_of = |flat: Vec<f32>, w: &dyn Fn(usize) -> f32| -> Vec<Vec<[f32; 4]>> {
        flat.chunks(3 * n)
            .map(|frame| {
                frame
                    .chunks(3)
                    .enumerate()
                    .map(|(i, c)| [c[0], c[1], c[2], w(i)])
                    .collect()
            })
            .collect()
    };
    let positions = frames_of(value.read_raw().map_err(h5(POSITION))?, &|i| {
        species[i] as f32
    });
    const VELOCITY: &str = "/particles/all/velocity/value";
    let velocities = match file.dataset(VELOCITY) {
        Ok(ds) if ds.shape() == shape => {
            Some(frames_of(ds.read_raw().map_err(h5(VELOCITY))?, &|_| 0.0))
        }
        Ok(ds) => {
            return Err(bad(
                VELOCITY,
                format!("shape {:?}, the positions' is {shape:?}", ds.shape()),
            ))
        }
        Err(_) => None,
    };
    const ENERGY: &str = "/particles/all/potential_energy/value";
    let energies: Option<Vec<f32>> = match file.dataset(ENERGY) {
        Ok(ds) if ds.shape() == [frames, n] => Some(ds.read_raw().map_err(h5(ENERGY))?),
        Ok(ds) => {
            return Err(bad(
                ENERGY,
                format!("shape {:?}, expected [{frames}, {n}]", ds.shape()),
            ))
        }
        Err(_) => None,
    };
    let totals: Option<Vec<f64>> = file
        .dataset("observables/potential_energy/value")
        .and_then(|ds| ds.read_raw())
        .ok()
        .filter(|t: &Vec<f64>| t.len() == frames);
    let steps: Vec<u64> = file
        .dataset("particles/all/position/step")
        .and_then(|ds| ds.read_raw::<i64>())
        .ok()
        .filter(|s| s.len() == frames)
        .map(|s| s.into_iter().map(|x| x.max(0) as u64).collect())
        .unwrap_or_else(|| (0..frames as u64).collect());
    let lattice = match file.dataset("particles/all/box/edges") {
        Ok(ds) => {
            let e: Vec<f32> = ds.read_raw().map_err(h5("/particles/all/box/edges"))?;
            if e.len() != 3 || e.iter().any(|x| !(x.is_finite() && *x > 0.0)) {
                return Err(bad(
                    "/particles/all/box/edges",
                    format!("{e:?}: expected three positive edge lengths (an orthorhombic box)"),
                ));
            }
            Some([e[0], e[1], e[2]])
        }
        Err(_) => None,
    };
    Ok(positions
        .into_iter()
        .enumerate()
        .map(|(k, position)| ParticleFrame {
            lattice,
            position,
            velocity: velocities.as_ref().map(|v| v[k].clone()),
            energies: energies.as_ref().map(|e| e[k * n..(k + 1) * n].to_vec()),
            step: steps[k],
            energy: totals.as_ref().map(|t| t[k]),
        })
        .collect())
}

/// The last frame of an H5MD file (see [`read_h5md`]).
pub fn read_h5md_last(path: &Path) -> Result<ParticleFrame> {
    let mut frames = read_h5md(path)?;
    Ok(frames.pop().expect("read_h5md returns at least one frame"))
}
