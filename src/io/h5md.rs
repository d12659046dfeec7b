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

/// Reads the last frame of an H5MD file's `/particles/all` (positions, species, velocities if
/// present, the box). Errors name the file and the dataset that is missing or malformed.
pub fn read_h5md_last(path: &Path) -> Result<ParticleFrame> {
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
    let value = file
        .dataset("particles/all/position/value")
        .map_err(h5("/particles/all/position/value"))?;
    let shape = value.shape();
    let [frames, n, 3] = shape[..] else {
        return Err(bad(
            "/particles/all/position/value",
            format!("shape {shape:?}, expected [frames, particles, 3]"),
        ));
    };
    if frames == 0 {
        return Err(bad("/particles/all/position/value", "no frame".into()));
    }
    let last = |ds: &hdf5::Dataset, name: &str| -> Result<Vec<f32>> {
        let all = ds.read_raw::<f32>().map_err(h5(name))?;
        Ok(all[(frames - 1) * n * 3..frames * n * 3].to_vec())
    };
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
    let rows = |flat: Vec<f32>, w: &dyn Fn(usize) -> f32| -> Vec<[f32; 4]> {
        flat.chunks(3)
            .enumerate()
            .map(|(i, c)| [c[0], c[1], c[2], w(i)])
            .collect()
    };
    let position = rows(last(&value, "/particles/all/position/value")?, &|i| {
        species[i] as f32
    });
    let velocity = match file.dataset("particles/all/velocity/value") {
        Ok(ds) if ds.shape() == shape => {
            Some(rows(last(&ds, "/particles/all/velocity/value")?, &|_| 0.0))
        }
        Ok(ds) => {
            return Err(bad(
                "/particles/all/velocity/value",
                format!("shape {:?}, the positions' is {shape:?}", ds.shape()),
            ))
        }
        Err(_) => None,
    };
    let step = file
        .dataset("particles/all/position/step")
        .and_then(|ds| ds.read_raw::<i64>())
        .ok()
        .and_then(|s| s.last().copied())
        .unwrap_or(0)
        .max(0) as u64;
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
    Ok(ParticleFrame {
        lattice,
        position,
        velocity,
        energies: None,
        step,
        energy: None,
    })
}
