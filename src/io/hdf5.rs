//! HDF5 files (hdf5-metno): fields as a 4-D dataset `field` [chains, channels, height, width];
//! traces as a group with `step`, `temperature`, `proposals` and `values` [records, chains,
//! observables] (slot names in the `observables` attribute). Files are written to a temporary
//! name and renamed when complete.

use std::path::Path;

use hdf5::types::VarLenUnicode;
use hdf5_metno as hdf5;

use crate::engine::field::{Field, Shape};
use crate::engine::trace::{RunTrace, TraceRecord};
use crate::error::{IdfError, Result};
use crate::kernels::OBSERVABLES;

/// Names of the trace slots, in order (see `OBS_*` in `src/kernels/mod.rs`).
pub const OBSERVABLE_NAMES: [&str; OBSERVABLES] = [
    "energy",
    "sum",
    "centred_second_moment",
    "accepted_u32",
    "min",
    "max",
    "sum_x_ln_x",
    "histogram_entropy",
    "log_alpha",
    "nonpositive_u32",
    "temperature",
];

/// File access without HDF5's file locks. A file is written under a private temporary name and
/// renamed when complete, so no reader ever meets it half-written; and a lock would outlive
/// its file in any child process started meanwhile (the descriptor is inherited), refusing a
/// later open of the finished file.
pub(crate) fn unlocked(
    fapl: &mut hdf5::plist::FileAccessBuilder,
) -> &mut hdf5::plist::FileAccessBuilder {
    fapl.file_locking(false)
}

fn h5err(path: &Path, e: hdf5::Error) -> IdfError {
    IdfError::Config {
        path: path.to_path_buf(),
        message: format!("HDF5: {e}"),
    }
}

/// Creates `path` through a temporary file: `fill` writes into the open file, then it is renamed.
pub fn write_with(path: &Path, fill: impl FnOnce(&hdf5::File) -> hdf5::Result<()>) -> Result<()> {
    let tmp = super::temporary_beside(path)?;
    let result = hdf5::File::with_options()
        .with_fapl(unlocked)
        .create(&tmp)
        .and_then(|file| {
            fill(&file)?;
            file.close()
        });
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(h5err(path, e));
    }
    std::fs::rename(&tmp, path).map_err(|e| IdfError::io(path, e))
}

pub(crate) fn write_text_attr(loc: &hdf5::Location, name: &str, text: &str) -> hdf5::Result<()> {
    let value: VarLenUnicode = text
        .parse()
        .map_err(|e| hdf5::Error::from(format!("{e}")))?;
    loc.new_attr::<VarLenUnicode>()
        .create(name)?
        .write_scalar(&value)
}

/// Writes a field into `group` as the dataset `field`.
pub fn put_field(group: &hdf5::Group, field: &Field) -> hdf5::Result<()> {
    let ds = group
        .new_dataset::<f32>()
        .shape(field.shape().dims().to_vec())
        .create("field")?;
    ds.write_raw(field.data())?;
    write_text_attr(
        &ds,
        "layout",
        "[chains, channels, height, width], row-major, periodic",
    )
}

/// Reads the dataset `field` of `group`.
pub fn get_field(group: &hdf5::Group, path: &Path) -> Result<Field> {
    let ds = group.dataset("field").map_err(|e| h5err(path, e))?;
    let dims = ds.shape();
    let [c, ch, h, w] = dims[..] else {
        return Err(IdfError::InvalidShape(format!(
            "{}: `field` must be 4-D [chains, channels, height, width], got {dims:?}",
            path.display()
        )));
    };
    let data = ds.read_raw::<f32>().map_err(|e| h5err(path, e))?;
    Field::from_vec(Shape::new(c, ch, h, w)?, data)
}

/// Writes a trace into `group`.
pub fn put_trace(group: &hdf5::Group, trace: &RunTrace) -> hdf5::Result<()> {
    let steps: Vec<u64> = trace.records.iter().map(|r| r.step).collect();
    let temps: Vec<f32> = trace.records.iter().map(|r| r.temperature).collect();
    let proposals: Vec<f64> = trace.records.iter().map(|r| r.proposals).collect();
    let n = trace.records.len();
    group
        .new_dataset::<u64>()
        .shape(n)
        .create("step")?
        .write_raw(&steps)?;
    group
        .new_dataset::<f32>()
        .shape(n)
        .create("temperature")?
        .write_raw(&temps)?;
    group
        .new_dataset::<f64>()
        .shape(n)
        .create("proposals")?
        .write_raw(&proposals)?;
    let values = group
        .new_dataset::<f32>()
        .shape([n, trace.chains, OBSERVABLES])
        .create("values")?;
    values.write_raw(trace.raw_values())?;
    write_text_attr(&values, "observables", &OBSERVABLE_NAMES.join(","))?;
    group
        .new_attr::<u64>()
        .create("sites_per_chain")?
        .write_scalar(&(trace.sites_per_chain as u64))
}

/// Reads a trace written by [`put_trace`].
pub fn get_trace(group: &hdf5::Group, path: &Path) -> Result<RunTrace> {
    let e = |err| h5err(path, err);
    let steps = group
        .dataset("step")
        .and_then(|d| d.read_raw::<u64>())
        .map_err(e)?;
    let temps = group
        .dataset("temperature")
        .and_then(|d| d.read_raw::<f32>())
        .map_err(e)?;
    let proposals = group
        .dataset("proposals")
        .and_then(|d| d.read_raw::<f64>())
        .map_err(e)?;
    let values_ds = group.dataset("values").map_err(e)?;
    let slots = values_ds
        .attr("observables")
        .and_then(|a| a.read_scalar::<VarLenUnicode>())
        .map_err(e)?;
    if slots.as_str() != OBSERVABLE_NAMES.join(",") {
        return Err(h5err(
            path,
            hdf5::Error::from(format!(
                "the trace's slots are `{slots}`, not this IDF's `{}`",
                OBSERVABLE_NAMES.join(",")
            )),
        ));
    }
    let dims = values_ds.shape();
    let values = values_ds.read_raw::<f32>().map_err(e)?;
    let spc = group
        .attr("sites_per_chain")
        .and_then(|a| a.read_scalar::<u64>())
        .map_err(e)?;
    if dims.len() != 3 || dims[2] != OBSERVABLES || dims[0] != steps.len() {
        return Err(IdfError::InvalidShape(format!(
            "{}: trace `values` must be [records, chains, {OBSERVABLES}], got {dims:?}",
            path.display()
        )));
    }
    let records = steps
        .iter()
        .zip(&temps)
        .zip(&proposals)
        .map(|((s, t), p)| TraceRecord {
            step: *s,
            temperature: *t,
            proposals: *p,
        })
        .collect();
    RunTrace::from_parts(dims[1], spc as usize, records, values)
}

/// The named attributes and datasets of an open file, read for a format's reader: each error
/// names the file and the missing (or mistyped) item.
pub struct Items<'a> {
    file: &'a hdf5::File,
    path: &'a Path,
}

impl<'a> Items<'a> {
    /// The items of `file`, opened from `path`.
    pub fn new(file: &'a hdf5::File, path: &'a Path) -> Self {
        Items { file, path }
    }

    /// An error about the file.
    pub fn error(&self, message: String) -> IdfError {
        IdfError::Config {
            path: self.path.to_path_buf(),
            message,
        }
    }

    /// A text attribute.
    pub fn text(&self, name: &str) -> Result<String> {
        self.file
            .attr(name)
            .and_then(|a| a.read_scalar::<VarLenUnicode>())
            .map(|v| v.to_string())
            .map_err(|_| self.error(format!("no `{name}` attribute")))
    }

    /// Whether the file has the attribute `name` (one newer files add).
    pub fn has_attr(&self, name: &str) -> bool {
        self.file
            .attr_names()
            .is_ok_and(|names| names.iter().any(|n| n == name))
    }

    /// A scalar attribute.
    pub fn scalar<T: hdf5::H5Type>(&self, name: &str) -> Result<T> {
        self.file
            .attr(name)
            .and_then(|a| a.read_scalar::<T>())
            .map_err(|_| self.error(format!("no `{name}` attribute")))
    }

    /// An attribute's values.
    pub fn attr_values<T: hdf5::H5Type>(&self, name: &str) -> Result<Vec<T>> {
        self.file
            .attr(name)
            .and_then(|a| a.read_raw::<T>())
            .map_err(|_| self.error(format!("no `{name}` attribute")))
    }

    /// A dataset's values, flattened.
    pub fn values<T: hdf5::H5Type>(&self, name: &str) -> Result<Vec<T>> {
        self.file
            .dataset(name)
            .and_then(|d| d.read_raw::<T>())
            .map_err(|_| self.error(format!("no `{name}` dataset")))
    }
}

/// Opens an HDF5 file to read, without file locks (see [`unlocked`]).
pub fn open(path: &Path) -> Result<hdf5::File> {
    hdf5::File::with_options()
        .with_fapl(unlocked)
        .open(path)
        .map_err(|e| h5err(path, e))
}

/// Writes a field to an `.h5` file.
pub fn write_field(path: &Path, field: &Field) -> Result<()> {
    write_with(path, |f| put_field(f, field))
}

/// Reads a field from an `.h5` file.
pub fn read_field(path: &Path) -> Result<Field> {
    let file = open(path)?;
    get_field(&file, path)
}

/// Writes a trace to an `.h5` file.
pub fn write_trace(path: &Path, trace: &RunTrace) -> Result<()> {
    check_trace_path(path)?;
    write_with(path, |f| put_trace(f, trace))
}

/// Checks that `path` names an HDF5 file (`.h5` or `.hdf5`), where a trace is written: before a
/// run, so that a long one is not lost to the name.
pub fn check_trace_path(path: &Path) -> Result<()> {
    check_h5_path(path, "trace", "a trace")
}

/// Checks that `path`, given as `param`, names an HDF5 file (`.h5` or `.hdf5`) for `what`
/// (“a trace”), before anything is computed for it.
pub fn check_h5_path(path: &Path, param: &str, what: &str) -> Result<()> {
    crate::io::check_extension(
        path,
        param,
        &format!("{what} is written as HDF5"),
        &["h5", "hdf5"],
    )
}

/// Reads a trace from an `.h5` file.
pub fn read_trace(path: &Path) -> Result<RunTrace> {
    let file = open(path)?;
    get_trace(&file, path)
}
