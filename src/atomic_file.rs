//! Atomic file writes: a temporary file beside the target, flushed, then renamed, so that an
//! interrupted write never leaves a partial file under the final name. At the bottom of the
//! layers so that every layer (the engine's plan cache, the file formats of `io`) writes this way.

use std::io::Write;
use std::path::Path;

use crate::error::{IdfError, Result};

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
