//! Files: atomic writes and the array formats IDF reads and writes.

pub mod atlas;
pub mod frames;
pub mod h5md;
pub mod hdf5;
pub mod npy;
pub mod vtk;
pub mod xyz;

use std::io::Write;
use std::path::Path;

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

/// Reads a field from `.npy` or `.h5`/`.hdf5`, by the file's extension.
pub fn read_field(path: &Path) -> Result<crate::engine::field::Field> {
    match path.extension().and_then(|e| e.to_str()) {
        Some("h5" | "hdf5") => hdf5::read_field(path),
        _ => npy::read_field(path),
    }
}

/// The temporary name beside `path` that a file is written under before it is renamed to
/// `path` (its folder is created): hidden, and private to this process.
pub fn temporary_beside(path: &Path) -> Result<std::path::PathBuf> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| IdfError::io(dir, e))?;
    let name = path.file_name().ok_or_else(|| {
        IdfError::invalid("out", format!("{} is not a file path", path.display()))
    })?;
    Ok(dir.join(format!(
        ".{}.{}.tmp",
        name.to_string_lossy(),
        std::process::id()
    )))
}

/// Writes `bytes` to `path` atomically: a temporary file beside it, flushed, then renamed, so an
/// interrupted write never leaves a partial file under the final name.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = temporary_beside(path)?;
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    result.map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        IdfError::io(path, e)
    })
}
