//! Energy Atlas datasets (`docs/energy_atlas.md`): an HDF5 file with `maps` [N, C, H, W] f32,
//! `conditions` [N, K] f32 (the K names in its `names` attribute) and provenance attributes on
//! the file; or a directory of `.npy` maps with a `conditions.csv`. [`Atlas`] opens either and
//! checks its structure, reads samples by index (one hyperslab per sample, never the whole file)
//! and refuses non-finite values naming the sample; [`Minibatches`] streams seeded, shuffled
//! minibatches. [`AtlasWriter`] writes a file block by block under a temporary name and renames
//! it when complete, so a failed run leaves nothing under the final name.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use hdf5::types::VarLenUnicode;
use hdf5_metno as hdf5;

use crate::cpu::shared::rng::rng_draw;
use crate::engine::field::MAX_CHAINS;
use crate::error::{IdfError, Result};
use crate::io::hdf5::{unlocked, write_text_attr as text_attr};
use crate::memory;

/// The `format` attribute of an Energy Atlas file.
pub const FORMAT: &str = "idf-energy-atlas";
/// The `format_version` attribute this build writes and reads.
pub const FORMAT_VERSION: u64 = 1;
/// The conditions file of a `.npy` directory.
pub const CONDITIONS_CSV: &str = "conditions.csv";

fn bad(path: &Path, dataset: &str, message: impl Into<String>) -> IdfError {
    IdfError::Dataset {
        path: path.to_path_buf(),
        dataset: dataset.to_string(),
        message: message.into(),
    }
}

fn h5<'a>(path: &'a Path, dataset: &str) -> impl Fn(hdf5::Error) -> IdfError + 'a {
    let dataset = dataset.to_string();
    move |e| bad(path, &dataset, format!("HDF5: {e}"))
}

/// Writes an Energy Atlas file of `n` samples, block by block.
pub struct AtlasWriter {
    file: Option<hdf5::File>,
    tmp: PathBuf,
    path: PathBuf,
    n: usize,
    map: [usize; 3],
    k: usize,
}

impl AtlasWriter {
    /// Creates the file for `n` maps of `map` = [C, H, W] with one condition per name in
    /// `names`, and writes the provenance (`format` and `format_version` are added). It takes
    /// its final name only at [`finish`](Self::finish).
    pub fn create(
        path: &Path,
        n: usize,
        map: [usize; 3],
        names: &[String],
        provenance: &[(String, String)],
    ) -> Result<Self> {
        let tmp = crate::io::temporary_beside(path)?;
        let mut writer = AtlasWriter {
            file: None,
            tmp,
            path: path.to_path_buf(),
            n,
            map,
            k: names.len(),
        };
        let file = hdf5::File::with_options()
            .with_fapl(unlocked)
            .create(&writer.tmp)
            .map_err(h5(path, "/"))?;
        let per_sample = map.iter().product::<usize>().max(1);
        // Chunks of whole samples (about 256 KiB), so that one sample is one or a few reads.
        let rows = (65_536 / per_sample).clamp(1, n.max(1));
        file.new_dataset::<f32>()
            .chunk([rows, map[0], map[1], map[2]])
            .shape([n, map[0], map[1], map[2]])
            .create("maps")
            .map_err(h5(path, "maps"))?;
        let conditions = file
            .new_dataset::<f32>()
            .shape([n, names.len()])
            .create("conditions")
            .map_err(h5(path, "conditions"))?;
        text_attr(&conditions, "names", &names.join(",")).map_err(h5(path, "conditions"))?;
        file.new_dataset::<u32>()
            .shape([n])
            .create("grid_index")
            .map_err(h5(path, "grid_index"))?;
        file.new_attr::<u64>()
            .create("format_version")
            .and_then(|a| a.write_scalar(&FORMAT_VERSION))
            .map_err(h5(path, "/"))?;
        text_attr(&file, "format", FORMAT).map_err(h5(path, "/"))?;
        for (key, value) in provenance {
            text_attr(&file, key, value).map_err(h5(path, "/"))?;
        }
        writer.file = Some(file);
        Ok(writer)
    }

    /// Writes samples `start..start + rows`: their maps ([rows, C, H, W] flat), conditions
    /// ([rows, K]) and the grid point each came from.
    pub fn write(
        &mut self,
        start: usize,
        maps: &[f32],
        conditions: &[f32],
        grid: &[u32],
    ) -> Result<()> {
        let rows = grid.len();
        let [c, h, w] = self.map;
        let end = start + rows;
        if end > self.n || maps.len() != rows * c * h * w || conditions.len() != rows * self.k {
            return Err(bad(
                &self.path,
                "maps",
                format!("a block of {rows} samples at {start} does not fit the file's layout"),
            ));
        }
        let file = self.file.as_ref().expect("open until finished");
        let path = &self.path;
        let maps = ndarray::ArrayView4::from_shape((rows, c, h, w), maps)
            .map_err(|e| bad(path, "maps", e.to_string()))?;
        file.dataset("maps")
            .and_then(|d| d.write_slice(maps, (start..end, .., .., ..)))
            .map_err(h5(path, "maps"))?;
        let conditions = ndarray::ArrayView2::from_shape((rows, self.k), conditions)
            .map_err(|e| bad(path, "conditions", e.to_string()))?;
        file.dataset("conditions")
            .and_then(|d| d.write_slice(conditions, (start..end, ..)))
            .map_err(h5(path, "conditions"))?;
        file.dataset("grid_index")
            .and_then(|d| d.write_slice(grid, start..end))
            .map_err(h5(path, "grid_index"))
    }

    /// Closes the file and gives it its final name.
    pub fn finish(mut self) -> Result<()> {
        if let Some(file) = self.file.take() {
            file.close().map_err(h5(&self.path, "/"))?;
        }
        std::fs::rename(&self.tmp, &self.path).map_err(|e| IdfError::io(&self.path, e))
    }
}

impl Drop for AtlasWriter {
    /// An unfinished file is removed: nothing partial is left behind.
    fn drop(&mut self) {
        if self.file.take().is_some() {
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

/// Where an atlas's maps are read from.
enum Source {
    Hdf5(hdf5::Dataset),
    Npy(Vec<PathBuf>),
}

/// An opened dataset: its structure checked, its conditions in memory, its maps read on demand.
pub struct Atlas {
    path: PathBuf,
    source: Source,
    n: usize,
    map: [usize; 3],
    names: Vec<String>,
    conditions: Vec<f32>,
    grid: Option<Vec<u32>>,
    provenance: BTreeMap<String, String>,
}

impl Atlas {
    /// Opens an Energy Atlas `.h5`/`.hdf5` file or a directory of `.npy` maps with a
    /// `conditions.csv`. Errors name the file and dataset: missing datasets, wrong ranks, a
    /// sample count that differs between maps and conditions, condition names that do not match
    /// the columns, non-finite conditions (with the sample's index), another format version.
    pub fn open(path: &Path) -> Result<Atlas> {
        if path.is_dir() {
            Self::open_npy_dir(path)
        } else {
            Self::open_hdf5(path)
        }
    }

    fn open_hdf5(path: &Path) -> Result<Atlas> {
        if !path.exists() {
            return Err(IdfError::io(
                path,
                std::io::Error::from(std::io::ErrorKind::NotFound),
            ));
        }
        let file = hdf5::File::with_options()
            .with_fapl(unlocked)
            .open(path)
            .map_err(h5(path, "/"))?;
        let maps = file
            .dataset("maps")
            .map_err(|_| bad(path, "maps", "missing"))?;
        let dims = maps.shape();
        let [n, c, h, w] = dims[..] else {
            return Err(bad(
                path,
                "maps",
                format!("must be 4-D [N, C, H, W], has shape {dims:?}"),
            ));
        };
        let cond = file
            .dataset("conditions")
            .map_err(|_| bad(path, "conditions", "missing"))?;
        let cdims = cond.shape();
        let [cn, k] = cdims[..] else {
            return Err(bad(
                path,
                "conditions",
                format!("must be 2-D [N, K], has shape {cdims:?}"),
            ));
        };
        if cn != n {
            return Err(bad(
                path,
                "conditions",
                format!(
                    "{cn} rows for {n} maps: `maps` and `conditions` must hold as many samples"
                ),
            ));
        }
        let names_text = cond
            .attr("names")
            .and_then(|a| a.read_scalar::<VarLenUnicode>())
            .map_err(|_| bad(path, "conditions", "has no `names` attribute"))?
            .to_string();
        let names: Vec<String> = if names_text.is_empty() {
            Vec::new()
        } else {
            names_text
                .split(',')
                .map(|s| s.trim().to_string())
                .collect()
        };
        let conditions = cond.read_raw::<f32>().map_err(h5(path, "conditions"))?;
        let grid = match file.dataset("grid_index") {
            Ok(d) => Some(d.read_raw::<u32>().map_err(h5(path, "grid_index"))?),
            Err(_) => None,
        };
        let mut provenance = BTreeMap::new();
        for name in file.attr_names().map_err(h5(path, "/"))? {
            let attr = file.attr(&name).map_err(h5(path, "/"))?;
            let value = match attr.read_scalar::<VarLenUnicode>() {
                Ok(text) => text.to_string(),
                Err(_) => match attr.read_scalar::<u64>() {
                    Ok(v) => v.to_string(),
                    Err(_) => continue,
                },
            };
            provenance.insert(name, value);
        }
        if let Some(v) = provenance.get("format_version") {
            if v != &FORMAT_VERSION.to_string() {
                return Err(bad(
                    path,
                    "/",
                    format!("format version {v}; this IDF reads version {FORMAT_VERSION}"),
                ));
            }
        }
        let atlas = Atlas {
            path: path.to_path_buf(),
            source: Source::Hdf5(maps),
            n,
            map: [c, h, w],
            names,
            conditions,
            grid,
            provenance,
        };
        atlas.check_conditions(k)?;
        Ok(atlas)
    }

    fn open_npy_dir(dir: &Path) -> Result<Atlas> {
        let csv_path = dir.join(CONDITIONS_CSV);
        let text = std::fs::read_to_string(&csv_path)
            .map_err(|e| bad(dir, CONDITIONS_CSV, format!("cannot be read: {e}")))?;
        let mut lines = text.lines().filter(|l| !l.trim().is_empty());
        let names: Vec<String> = lines
            .next()
            .map(|h| h.split(',').map(|s| s.trim().to_string()).collect())
            .unwrap_or_default();
        let mut conditions = Vec::new();
        let mut rows = 0;
        for (i, line) in lines.enumerate() {
            let values: Vec<&str> = line.split(',').map(str::trim).collect();
            if values.len() != names.len() {
                return Err(bad(
                    dir,
                    CONDITIONS_CSV,
                    format!(
                        "row {i} has {} values for {} names",
                        values.len(),
                        names.len()
                    ),
                ));
            }
            for v in values {
                conditions.push(v.parse::<f32>().map_err(|_| {
                    bad(
                        dir,
                        CONDITIONS_CSV,
                        format!("row {i}: `{v}` is not a number"),
                    )
                })?);
            }
            rows += 1;
        }
        let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
            .map_err(|e| IdfError::io(dir, e))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "npy"))
            .collect();
        files.sort();
        if files.len() != rows {
            return Err(bad(
                dir,
                CONDITIONS_CSV,
                format!(
                    "{rows} rows for {} .npy maps: each map needs its row",
                    files.len()
                ),
            ));
        }
        let map = match files.first() {
            Some(first) => npy_map_shape(first)?,
            None => [1, 1, 1],
        };
        let atlas = Atlas {
            path: dir.to_path_buf(),
            source: Source::Npy(files),
            n: rows,
            map,
            names: names.clone(),
            conditions,
            grid: None,
            provenance: BTreeMap::from([("generator".to_string(), "npy directory".to_string())]),
        };
        atlas.check_conditions(names.len())?;
        Ok(atlas)
    }

    fn check_conditions(&self, k: usize) -> Result<()> {
        if self.names.len() != k {
            return Err(bad(
                &self.path,
                "conditions",
                format!(
                    "{} names ({}) for {k} columns",
                    self.names.len(),
                    self.names.join(",")
                ),
            ));
        }
        if let Some(i) = self.conditions.iter().position(|v| !v.is_finite()) {
            return Err(bad(
                &self.path,
                "conditions",
                format!(
                    "value `{}` at sample {}, column `{}` is not finite",
                    self.conditions[i],
                    i / k.max(1),
                    self.names[i % k.max(1)]
                ),
            ));
        }
        Ok(())
    }

    /// The file or directory it was opened from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Samples N.
    pub fn len(&self) -> usize {
        self.n
    }

    /// Whether it holds no sample.
    pub fn is_empty(&self) -> bool {
        self.n == 0
    }

    /// The shape of one map, [C, H, W].
    pub fn map_shape(&self) -> [usize; 3] {
        self.map
    }

    /// The K condition names, in column order.
    pub fn condition_names(&self) -> &[String] {
        &self.names
    }

    /// The conditions of every sample, [N, K] row-major.
    pub fn conditions(&self) -> &[f32] {
        &self.conditions
    }

    /// The grid point each sample came from, for generated datasets.
    pub fn grid_index(&self) -> Option<&[u32]> {
        self.grid.as_deref()
    }

    /// The file's attributes: generator, model, parameters, seed, IDF version….
    pub fn provenance(&self) -> &BTreeMap<String, String> {
        &self.provenance
    }

    /// The maps of samples `indices`, [B, C, H, W] row-major, each read on its own; a
    /// non-finite value is an error naming the sample.
    pub fn read_maps(&self, indices: &[usize]) -> Result<Vec<f32>> {
        let per = self.map.iter().product::<usize>();
        let mut out = memory::reserved(indices.len().saturating_mul(per), "minibatch")?;
        for &i in indices {
            if i >= self.n {
                return Err(bad(
                    &self.path,
                    "maps",
                    format!("sample {i} is past the {} it holds", self.n),
                ));
            }
            let start = out.len();
            match &self.source {
                Source::Hdf5(ds) => {
                    let one = ds
                        .read_slice::<f32, _, ndarray::Ix4>((i..i + 1, .., .., ..))
                        .map_err(h5(&self.path, "maps"))?;
                    out.extend(one.iter());
                }
                Source::Npy(files) => {
                    let (dims, data) = crate::io::npy::read_f32(&files[i])?;
                    shape_of(&dims).filter(|s| *s == self.map).ok_or_else(|| {
                        bad(
                            &self.path,
                            &npy_name(&files[i]),
                            format!("shape {dims:?}, where the first map has {:?}", self.map),
                        )
                    })?;
                    out.extend(data);
                }
            }
            self.check_finite(&out[start..], i)?;
        }
        Ok(out)
    }

    /// An error naming the first non-finite value of `values`, the maps of the samples from
    /// `first` on.
    fn check_finite(&self, values: &[f32], first: usize) -> Result<()> {
        let Some(j) = values.iter().position(|v| !v.is_finite()) else {
            return Ok(());
        };
        let per = self.map.iter().product::<usize>().max(1);
        let sample = first + j / per;
        let dataset = match &self.source {
            Source::Hdf5(_) => "maps".to_string(),
            Source::Npy(files) => npy_name(&files[sample]),
        };
        Err(bad(
            &self.path,
            &dataset,
            format!(
                "value `{}` at sample {sample} (flat index {} of the map) is not finite",
                values[j],
                j % per
            ),
        ))
    }

    /// Reads every map once, in blocks (one hyperslab each for a file), to find a non-finite
    /// value before a long job meets it.
    pub fn verify_maps(&self) -> Result<()> {
        let block = 256;
        let mut start = 0;
        while start < self.n {
            let end = (start + block).min(self.n);
            match &self.source {
                Source::Hdf5(ds) => {
                    let maps = ds
                        .read_slice::<f32, _, ndarray::Ix4>((start..end, .., .., ..))
                        .map_err(h5(&self.path, "maps"))?;
                    let values: Vec<f32> = maps.iter().copied().collect();
                    self.check_finite(&values, start)?;
                }
                Source::Npy(_) => {
                    self.read_maps(&(start..end).collect::<Vec<_>>())?;
                }
            }
            start = end;
        }
        Ok(())
    }
}

fn npy_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default()
}

/// [C, H, W] of a map stored as [H, W] or [C, H, W].
fn shape_of(dims: &[usize]) -> Option<[usize; 3]> {
    match dims {
        [h, w] => Some([1, *h, *w]),
        [c, h, w] => Some([*c, *h, *w]),
        _ => None,
    }
}

fn npy_map_shape(path: &Path) -> Result<[usize; 3]> {
    let (dims, _) = crate::io::npy::read_f32(path)?;
    shape_of(&dims).ok_or_else(|| {
        bad(
            path.parent().unwrap_or(path),
            &npy_name(path),
            format!("a map must be [H, W] or [C, H, W], has shape {dims:?}"),
        )
    })
}

/// One minibatch: the samples' indices, maps [B, C, H, W] and conditions [B, K].
#[derive(Clone, Debug, PartialEq)]
pub struct Batch {
    /// Indices of the samples in the atlas.
    pub indices: Vec<usize>,
    /// Their maps, row-major.
    pub maps: Vec<f32>,
    /// Their conditions, row-major.
    pub conditions: Vec<f32>,
}

/// Seeded, shuffled minibatches that run through the atlas one epoch after another: each epoch
/// visits every sample once in an order drawn from (seed, epoch), so a cursor (epoch, position)
/// says exactly where a stream is and [`seek`](Self::seek) returns to it.
pub struct Minibatches<'a> {
    atlas: &'a Atlas,
    records: Vec<usize>,
    batch: usize,
    seed: u32,
    epoch: u64,
    position: usize,
    order: Vec<usize>,
}

impl<'a> Minibatches<'a> {
    /// Batches of `batch` samples from `atlas`, shuffled with `seed`.
    pub fn new(atlas: &'a Atlas, batch: usize, seed: u32) -> Result<Self> {
        Self::over(atlas, (0..atlas.len()).collect(), batch, seed)
    }

    /// Batches of `batch` samples from the records `records` of `atlas` (each epoch visits each
    /// of them once), shuffled with `seed`; over every record this is [`new`](Self::new).
    pub fn over(atlas: &'a Atlas, records: Vec<usize>, batch: usize, seed: u32) -> Result<Self> {
        if batch == 0 {
            return Err(IdfError::invalid("batch_size", "must be at least 1"));
        }
        // A batch becomes a field of `batch` chains.
        if batch > MAX_CHAINS {
            return Err(IdfError::invalid(
                "batch_size",
                format!("{batch} is over the limit of {MAX_CHAINS} samples per batch"),
            ));
        }
        if records.is_empty() {
            return Err(bad(atlas.path(), "maps", "holds no sample"));
        }
        if let Some(&i) = records.iter().find(|&&i| i >= atlas.len()) {
            return Err(bad(
                atlas.path(),
                "maps",
                format!("has no record {i} ({} samples)", atlas.len()),
            ));
        }
        let mut stream = Minibatches {
            atlas,
            records,
            batch,
            seed,
            epoch: 0,
            position: 0,
            order: Vec::new(),
        };
        stream.order = stream.permutation(0);
        Ok(stream)
    }

    /// The order of epoch `epoch`: a Fisher–Yates shuffle driven by the counter-based generator.
    fn permutation(&self, epoch: u64) -> Vec<usize> {
        let n = self.records.len();
        let mut order = self.records.clone();
        for i in (1..n).rev() {
            let r = rng_draw(i as u32, epoch as u32, (epoch >> 32) as u32, self.seed, 5);
            let j = (((r[0] as u64) << 32 | r[1] as u64) % (i as u64 + 1)) as usize;
            order.swap(i, j);
        }
        order
    }

    /// Where the stream is: (epoch, position within it).
    pub fn cursor(&self) -> (u64, usize) {
        (self.epoch, self.position)
    }

    /// Moves the stream to `cursor`, as [`cursor`](Self::cursor) gave it.
    pub fn seek(&mut self, (epoch, position): (u64, usize)) -> Result<()> {
        if position > self.records.len() {
            return Err(IdfError::invalid(
                "cursor",
                format!(
                    "position {position} is past the {} samples",
                    self.records.len()
                ),
            ));
        }
        if epoch != self.epoch {
            self.order = self.permutation(epoch);
        }
        self.epoch = epoch;
        self.position = position;
        Ok(())
    }

    /// The next minibatch; it continues into the next epoch when this one runs out.
    pub fn next_batch(&mut self) -> Result<Batch> {
        let mut indices = Vec::with_capacity(self.batch);
        while indices.len() < self.batch {
            if self.position == self.order.len() {
                self.epoch += 1;
                self.position = 0;
                self.order = self.permutation(self.epoch);
            }
            indices.push(self.order[self.position]);
            self.position += 1;
        }
        let k = self.atlas.names.len();
        let conditions = indices
            .iter()
            .flat_map(|&i| self.atlas.conditions[i * k..(i + 1) * k].iter().copied())
            .collect();
        Ok(Batch {
            maps: self.atlas.read_maps(&indices)?,
            conditions,
            indices,
        })
    }
}
