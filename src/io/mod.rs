//! Files: atomic writes and the array formats IDF reads and writes.

pub mod atlas;
pub mod frames;
pub mod h5md;
pub mod hdf5;
pub mod npy;
pub mod vtk;
pub mod xyz;

use std::path::Path;

pub use crate::atomic_file::{temporary_beside, write_atomic};
use crate::error::{IdfError, Result};

/// Writes a field as `.npy` or, for `.h5`/`.hdf5`, as HDF5, by the file's extension.
pub fn write_field(path: &Path, field: &crate::engine::field::Field) -> Result<()> {
    check_field_path(path)?;
    match path.extension().and_then(|e| e.to_str()) {
        Some("h5" | "hdf5") => hdf5::write_field(path, field),
        _ => npy::write_field(path, field),
    }
}

/// Checks that `path` names a field file IDF writes (`.npy`, `.h5`, `.hdf5`): before a run, so
/// that a long one is not lost to the name.
pub fn check_field_path(path: &Path) -> Result<()> {
    match path.extension().and_then(|e| e.to_str()) {
        Some("h5" | "hdf5" | "npy") => Ok(()),
        _ => Err(IdfError::invalid(
            "out",
            format!("{}: use a .npy, .h5 or .hdf5 file name", path.display()),
        )),
    }
}

/// Checks that `path`, given as `param`, ends in one of `extensions` (without the dot), the
/// names of the format that `what` ("an H5MD trajectory is written as HDF5") is written in:
/// before any work, so that a file's name says what it holds and a long run is not lost to it.
pub fn check_extension(path: &Path, param: &str, what: &str, extensions: &[&str]) -> Result<()> {
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
    if extensions.contains(&ext) {
        return Ok(());
    }
    let names: Vec<String> = extensions.iter().map(|e| format!(".{e}")).collect();
    Err(IdfError::invalid(
        param,
        format!("{}: {what}; name it {}", path.display(), names.join(" or ")),
    ))
}

/// Reads a field from `.npy` or `.h5`/`.hdf5`, by the file's extension.
pub fn read_field(path: &Path) -> Result<crate::engine::field::Field> {
    match path.extension().and_then(|e| e.to_str()) {
        Some("h5" | "hdf5") => hdf5::read_field(path),
        _ => npy::read_field(path),
    }
}
