//! The plan file: fusion plans kept on disk, so that a timing made by one process (an `idf`
//! command, a server) serves the next ones on the same adapter, energy and shape.
//!
//! A process keeps its plans in memory; with a plan file set ([`keep_plans_in`]; the `idf`
//! binary sets [`default_plan_file`]) a plan missing from memory is looked up in the file before
//! it is timed, and a new timing is added to the file. A stored plan is valid for the adapter and
//! driver it was timed on (wgpu's adapter description), the composed WGSL of both candidate
//! kernels with the energy (a CRC-32 of the sources), the field's shape and IDF's version;
//! anything else is timed again. Delete the file, or set `IDF_FUSED_STEPS`, to override it.
//!
//! The file is JSON (`{"format": 1, "plans": [...]}`), written atomically after a
//! read-merge, at most [`MAX_STORED_PLANS`] plans (the oldest go first). Two processes that time
//! at once may each write: the last rename wins and the other plan is timed again later. The
//! file is a cache: one that cannot be read or parsed is replaced, and a write that fails leaves
//! the run's plan as it is; both are said in the plan's `note`.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use crate::atomic_file::write_atomic;

/// The environment variable naming the folder of the plan file; empty: no plan file.
pub const CACHE_DIR_ENV: &str = "IDF_CACHE_DIR";

/// The plan file's name in its folder.
pub const PLAN_FILE_NAME: &str = "fusion_plans.json";

/// The most plans a file keeps.
pub const MAX_STORED_PLANS: usize = 256;

/// The layout version of the file; a file of another is replaced.
const FORMAT: u32 = 1;

/// Where the process keeps its plans on disk (`None`: in memory only, the library's default).
static PLAN_FILE: Mutex<Option<PathBuf>> = Mutex::new(None);

/// Keeps this process's fusion plans in `path` (`None`: in memory only). The `idf` binary calls
/// it with [`default_plan_file`] at start-up.
pub fn keep_plans_in(path: Option<PathBuf>) {
    *PLAN_FILE.lock().unwrap_or_else(|e| e.into_inner()) = path;
}

/// The plan file this process uses, if any.
pub fn plan_file() -> Option<PathBuf> {
    PLAN_FILE.lock().unwrap_or_else(|e| e.into_inner()).clone()
}

/// The usual place of the plan file: `$IDF_CACHE_DIR/fusion_plans.json`, else
/// `$XDG_CACHE_HOME/idf/…`, else `$HOME/.cache/idf/…`; `None` when `IDF_CACHE_DIR` is set and
/// empty, or when none of these is set.
pub fn default_plan_file() -> Option<PathBuf> {
    let var = |name: &str| std::env::var_os(name);
    let dir = match var(CACHE_DIR_ENV) {
        Some(dir) if dir.is_empty() => return None,
        Some(dir) => PathBuf::from(dir),
        None => match var("XDG_CACHE_HOME").filter(|d| !d.is_empty()) {
            Some(dir) => PathBuf::from(dir).join("idf"),
            None => PathBuf::from(var("HOME").filter(|d| !d.is_empty())?).join(".cache/idf"),
        },
    };
    Some(dir.join(PLAN_FILE_NAME))
}

/// What a stored plan is valid for.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(super) struct StoredKey {
    /// wgpu's description of the adapter, driver included.
    pub adapter: String,
    /// The energy's module name.
    pub energy: String,
    /// CRC-32 of the composed `langevin_step` and `langevin_fused` sources with the energy.
    pub kernels: String,
    /// `[chains, channels, height, width]`.
    pub shape: [usize; 4],
    /// The IDF version that timed it.
    pub idf: String,
}

/// One stored plan.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(super) struct StoredPlan {
    #[serde(flatten)]
    pub key: StoredKey,
    pub fused_steps: u32,
    pub ms_per_step: Vec<(u32, f64)>,
}

#[derive(Serialize, Deserialize)]
struct PlanFile {
    format: u32,
    plans: Vec<StoredPlan>,
}

/// The plans in `path`: none when it does not exist; `Err` with the reason when it cannot be
/// read or is not a plan file of this format (the caller then replaces it).
pub(super) fn load(path: &Path) -> std::result::Result<Vec<StoredPlan>, String> {
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(format!("plan file {} unreadable: {e}", path.display())),
    };
    match serde_json::from_slice::<PlanFile>(&bytes) {
        Ok(file) if file.format == FORMAT => Ok(file.plans),
        Ok(file) => Err(format!(
            "plan file {} has format {}, not {FORMAT}: replaced",
            path.display(),
            file.format
        )),
        Err(e) => Err(format!(
            "plan file {} is not a plan file ({e}): replaced",
            path.display()
        )),
    }
}

/// Adds `plan` to the file at `path` (replacing a plan of the same key), keeping at most
/// [`MAX_STORED_PLANS`]; `Err` with the reason when the file cannot be written.
pub(super) fn add(path: &Path, plan: StoredPlan) -> std::result::Result<(), String> {
    let mut plans = load(path).unwrap_or_default();
    plans.retain(|p| p.key != plan.key);
    plans.push(plan);
    let excess = plans.len().saturating_sub(MAX_STORED_PLANS);
    plans.drain(..excess);
    let text = serde_json::to_string_pretty(&PlanFile {
        format: FORMAT,
        plans,
    })
    .map_err(|e| e.to_string())?;
    write_atomic(path, text.as_bytes()).map_err(|e| format!("plan file not kept: {e}"))
}
