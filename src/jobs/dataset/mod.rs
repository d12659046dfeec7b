//! Energy Atlas datasets from IDF's own samplers (`idf dataset synth`), their shards joined
//! (`idf dataset merge`) and summarised (`idf dataset info`); the format is
//! `docs/energy_atlas.md`, the file layer `io::atlas`.
//!
//! A synthetic dataset covers a grid of conditions (the temperature and any model parameter,
//! each over evenly spaced values); every grid point is sampled on its own, with a seed drawn
//! from the dataset's seed and the point's index, by an exact sampler (MALA for continuous
//! fields, Metropolis for spins), after a burn-in, with samples spaced by twice the integrated
//! autocorrelation time measured at that point in a pilot run. Shard I of N takes the grid
//! points g with g mod N = I, so N workers make, point for point, what one worker makes, and
//! merging the shards gives the unsharded file.

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::context::Context;
use crate::cpu::shared::rng::rng_draw;
use crate::engine::energies::EnergyModel;
use crate::engine::estimates::estimate;
use crate::engine::field::MAX_SITES;
use crate::engine::simulation::Simulation;
use crate::engine::step_rule::{trace_fits, MAX_TRACE_BYTES};
use crate::engine::trace::Observable;
use crate::error::{IdfError, Result};
use crate::io::atlas::{Atlas, AtlasWriter};
use crate::jobs::config::Config;
use crate::jobs::scene::{Scene, SceneParam};

pub mod heat_flow;

/// The name `idf dataset synth --model` takes for heat-flow snapshots (φ⁴'s gradient term alone
/// at T = 0, [`heat_flow::synth`]).
pub const HEAT_FLOW: &str = "heat_flow";

/// One axis of the grid of conditions: a name (`temperature` or a model parameter) and its values.
#[derive(Clone, Debug, PartialEq)]
pub struct GridAxis {
    /// `temperature` or a parameter of the model.
    pub name: String,
    /// The values, in order.
    pub values: Vec<f32>,
}

impl std::str::FromStr for GridAxis {
    type Err = IdfError;

    /// `NAME=FROM:TO:COUNT` (COUNT evenly spaced values from FROM to TO, both included) or
    /// `NAME=V1,V2,…`.
    fn from_str(s: &str) -> Result<Self> {
        let bad = |why: &str| {
            IdfError::invalid(
                "conditions",
                format!("`{s}`: {why}; write NAME=FROM:TO:COUNT or NAME=V1,V2,…"),
            )
        };
        let (name, spec) = s.split_once('=').ok_or_else(|| bad("no `=`"))?;
        let number = |t: &str| -> Result<f32> {
            t.trim()
                .parse::<f32>()
                .ok()
                .filter(|v| v.is_finite())
                .ok_or_else(|| bad(&format!("`{t}` is not a finite number")))
        };
        let values = match spec.split(':').collect::<Vec<_>>()[..] {
            [from, to, count] => {
                let (from, to) = (number(from)?, number(to)?);
                let count: usize = count
                    .trim()
                    .parse()
                    .ok()
                    .filter(|c| *c >= 1)
                    .ok_or_else(|| bad("COUNT must be a whole number of at least 1"))?;
                if count > MAX_GRID_POINTS {
                    return Err(bad(&format!(
                        "COUNT {count} is over the limit of {MAX_GRID_POINTS} grid points"
                    )));
                }
                (0..count)
                    .map(|i| match count {
                        1 => from,
                        _ => from + (to - from) * i as f32 / (count - 1) as f32,
                    })
                    .collect()
            }
            [list] => list.split(',').map(number).collect::<Result<Vec<_>>>()?,
            _ => return Err(bad("expected FROM:TO:COUNT or a list")),
        };
        Ok(GridAxis {
            name: name.trim().to_string(),
            values,
        })
    }
}

/// Which part of the grid a worker makes: shard `index` of `count`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    /// 0-based.
    pub index: u32,
    /// Workers in all.
    pub count: u32,
}

impl Shard {
    /// The whole grid.
    pub const ALL: Shard = Shard { index: 0, count: 1 };

    /// Whether grid point `g` is this shard's.
    pub fn holds(&self, g: usize) -> bool {
        g % self.count as usize == self.index as usize
    }
}

impl std::str::FromStr for Shard {
    type Err = IdfError;

    /// `I/N` with 0 ≤ I < N.
    fn from_str(s: &str) -> Result<Self> {
        let parsed = s
            .split_once('/')
            .and_then(|(i, n)| Some((i.trim().parse().ok()?, n.trim().parse().ok()?)));
        match parsed {
            Some((index, count)) if count >= 1 && index < count => Ok(Shard { index, count }),
            _ => Err(IdfError::invalid(
                "shard",
                format!("`{s}`: write I/N with 0 ≤ I < N (shard I of N workers)"),
            )),
        }
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// What `idf dataset synth` makes.
#[derive(Clone, Debug)]
pub struct SynthSpec {
    /// The model's name.
    pub model: String,
    /// Parameters that hold at every grid point (`NAME`, value text).
    pub params: Vec<(String, String)>,
    /// The temperature where the grid does not set it.
    pub temperature: f32,
    /// The grid of conditions; empty: one point.
    pub grid: Vec<GridAxis>,
    /// Lattice height and width.
    pub size: [usize; 2],
    /// Samples per grid point.
    pub samples: usize,
    /// Chains per grid point (the samples are taken from all of them in turn).
    pub chains: usize,
    /// Steps before the pilot run.
    pub burn_in: u64,
    /// Steps of the pilot run that measures the autocorrelation time.
    pub pilot: u64,
    /// The dataset's seed.
    pub seed: u32,
    /// The part of the grid to make.
    pub shard: Shard,
}

/// One grid point as it was sampled.
#[derive(Clone, Debug, Serialize)]
pub struct GridPoint {
    /// Its index in the grid (the first axis varies slowest).
    pub index: usize,
    /// Its conditions, as the dataset's `conditions` columns.
    pub conditions: Vec<f32>,
    /// The integrated autocorrelation time measured in the pilot, in steps (the larger of the
    /// energy per site's and the absolute magnetisation's).
    pub tau_steps: f64,
    /// Whether the pilot was too short to measure τ reliably (fewer than 50 τ): the samples
    /// may then be closer than 2τ.
    pub pilot_too_short: bool,
    /// Steps between the samples kept.
    pub spacing: u64,
    /// The acceptance rate in the pilot.
    pub acceptance: f64,
}

/// What [`synth`] wrote.
#[derive(Clone, Debug, Serialize)]
pub struct SynthReport {
    /// The file.
    pub path: PathBuf,
    /// Samples written.
    pub samples: usize,
    /// The condition columns.
    pub conditions: Vec<String>,
    /// The grid points this shard sampled.
    pub points: Vec<GridPoint>,
    /// The shard, `I/N`.
    pub shard: String,
    /// Wall time in milliseconds.
    pub wall_ms: f64,
}

/// The grid's points, each as one value per axis (the first axis varies slowest).
/// The most grid points a dataset may have.
pub const MAX_GRID_POINTS: usize = 1 << 20;

/// The number of points of `grid`, checked against [`MAX_GRID_POINTS`] before they are listed.
fn grid_point_count(grid: &[GridAxis]) -> Result<usize> {
    grid.iter()
        .try_fold(1usize, |n, axis| n.checked_mul(axis.values.len()))
        .filter(|n| *n <= MAX_GRID_POINTS)
        .ok_or_else(|| {
            let counts: Vec<String> = grid.iter().map(|a| a.values.len().to_string()).collect();
            IdfError::invalid(
                "conditions",
                format!(
                    "{} grid points are over the limit of {MAX_GRID_POINTS}",
                    counts.join(" × ")
                ),
            )
        })
}

pub(crate) fn grid_points(grid: &[GridAxis]) -> Vec<Vec<f32>> {
    grid.iter().fold(vec![Vec::new()], |points, axis| {
        points
            .iter()
            .flat_map(|p| {
                axis.values.iter().map(move |v| {
                    let mut q = p.clone();
                    q.push(*v);
                    q
                })
            })
            .collect()
    })
}

/// The scene of grid point `values` (one per axis of `spec.grid`) with `seed`, of the model
/// `named` (the scene keys `model` and `energy` of [`Scene::command_line_model`]).
fn point_scene(
    spec: &SynthSpec,
    named: &(Option<String>, Option<EnergyModel>),
    values: &[f32],
    seed: u32,
) -> Scene {
    let mut params: std::collections::BTreeMap<String, SceneParam> = spec
        .params
        .iter()
        .map(|(k, v)| (k.clone(), SceneParam::Text(v.clone())))
        .collect();
    let mut temperature = spec.temperature;
    for (axis, v) in spec.grid.iter().zip(values) {
        if axis.name == "temperature" {
            temperature = *v;
        } else {
            params.insert(axis.name.clone(), SceneParam::Text(v.to_string()));
        }
    }
    Scene {
        model: named.0.clone(),
        energy: named.1.clone(),
        params,
        size: Some(spec.size),
        chains: Some(spec.chains),
        temperature: Some(temperature),
        burn_in: Some(0),
        steps: Some(1),
        seed: Some(seed),
        ..Scene::default()
    }
}

/// The integrator whose samples are exact: Metropolis where the model has local moves (spins),
/// MALA otherwise.
fn exact_integrator(model: &EnergyModel) -> &'static str {
    if model.module().local_moves {
        "metropolis"
    } else {
        "mala"
    }
}

/// The seed of grid point `g`: drawn from the dataset's seed, so that points are independent
/// and any worker makes the same point alike.
fn point_seed(seed: u32, g: usize) -> u32 {
    rng_draw(g as u32, 0, 0, seed, 6)[0]
}

/// Generates the dataset `spec` describes (its shard of the grid) into `out`, reporting
/// `(done, total)` grid points to `progress`. Errors: a model or parameter the registry does not
/// know, an axis that names neither `temperature` nor a parameter, zero samples or chains, and
/// whatever a run meets; nothing is left under `out` when it fails.
pub fn synth(
    ctx: &Context,
    config: &Config,
    spec: &SynthSpec,
    out: &Path,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<SynthReport> {
    let started = std::time::Instant::now();
    for (name, value) in [("samples", spec.samples), ("chains", spec.chains)] {
        if value == 0 {
            return Err(IdfError::invalid(name, "must be at least 1"));
        }
    }
    grid_point_count(&spec.grid)?;
    if spec.model == HEAT_FLOW {
        return heat_flow::synth(ctx, spec, out, progress, started);
    }
    // A user's WGSL file is read once, so that every grid point samples the same energy.
    let named = Scene::command_line_model(&spec.model)?;
    let probe = point_scene(spec, &named, &[], 0).resolve(config)?;
    let integrator = exact_integrator(&probe.model);
    let param_names: Vec<String> = probe.model.params().into_iter().map(|p| p.name).collect();
    for axis in &spec.grid {
        if axis.name != "temperature" && !param_names.contains(&axis.name) {
            return Err(IdfError::invalid(
                "conditions",
                format!(
                    "`{}` is neither temperature nor a parameter of {} ({})",
                    axis.name,
                    spec.model,
                    param_names.join(", ")
                ),
            ));
        }
    }
    let names: Vec<String> = std::iter::once("temperature".to_string())
        .chain(param_names.iter().cloned())
        .collect();
    let points = grid_points(&spec.grid);
    let mine: Vec<usize> = (0..points.len()).filter(|g| spec.shard.holds(*g)).collect();
    let [_, channels, h, w] = probe.shape.dims();
    let map = [channels, h, w];
    // A grid point's maps are held in memory, and its pilot's trace.
    if spec
        .samples
        .checked_mul(probe.shape.sites_per_chain())
        .is_none_or(|sites| sites > MAX_SITES)
    {
        return Err(IdfError::invalid(
            "samples",
            format!(
                "{} maps of {channels}×{h}×{w} per grid point are over the limit of {MAX_SITES} sites",
                spec.samples
            ),
        ));
    }
    if !trace_fits(spec.pilot, probe.shape.chains) {
        return Err(IdfError::invalid(
            "pilot",
            format!(
                "{} steps of {} chains, each recorded, are over the trace's limit of {} MiB",
                spec.pilot,
                probe.shape.chains,
                MAX_TRACE_BYTES >> 20
            ),
        ));
    }
    let provenance = provenance(spec, integrator, &names, points.len(), ctx);
    let mut writer = AtlasWriter::create(out, mine.len() * spec.samples, map, &names, &provenance)?;
    let mut report = SynthReport {
        path: out.to_path_buf(),
        samples: mine.len() * spec.samples,
        conditions: names.clone(),
        points: Vec::new(),
        shard: spec.shard.to_string(),
        wall_ms: 0.0,
    };
    progress(0, mine.len() as u64);
    for (done, &g) in mine.iter().enumerate() {
        let scene = Scene {
            integrator: Some(integrator.to_string()),
            ..point_scene(spec, &named, &points[g], point_seed(spec.seed, g))
        };
        let (maps, point) = sample_point(ctx, config, &scene, spec, g)?;
        let rows = point.conditions.repeat(spec.samples);
        writer.write(
            done * spec.samples,
            &maps,
            &rows,
            &vec![g as u32; spec.samples],
        )?;
        report.points.push(point);
        progress(done as u64 + 1, mine.len() as u64);
    }
    writer.finish()?;
    report.wall_ms = started.elapsed().as_secs_f64() * 1e3;
    Ok(report)
}

/// The grid as the `grid` provenance attribute: `NAME=V1,V2,… NAME=…`.
pub(crate) fn grid_text(grid: &[GridAxis]) -> String {
    grid.iter()
        .map(|a| {
            let values: Vec<String> = a.values.iter().map(|v| v.to_string()).collect();
            format!("{}={}", a.name, values.join(","))
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The file's provenance attributes.
fn provenance(
    spec: &SynthSpec,
    integrator: &str,
    names: &[String],
    points: usize,
    ctx: &Context,
) -> Vec<(String, String)> {
    let grid = grid_text(&spec.grid);
    let params = spec
        .params
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(",");
    [
        ("generator", "idf dataset synth".to_string()),
        ("idf_version", env!("CARGO_PKG_VERSION").to_string()),
        ("model", spec.model.clone()),
        ("params", params),
        ("temperature", spec.temperature.to_string()),
        ("grid", grid),
        ("grid_points", points.to_string()),
        ("condition_names", names.join(",")),
        ("integrator", integrator.to_string()),
        ("samples_per_point", spec.samples.to_string()),
        ("chains_per_point", spec.chains.to_string()),
        ("burn_in", spec.burn_in.to_string()),
        ("pilot", spec.pilot.to_string()),
        (
            "spacing",
            "2 tau_int steps (the larger of the energy per site's and |mean|'s), measured per grid point in the pilot".to_string(),
        ),
        ("seed", spec.seed.to_string()),
        ("backend", ctx.backend().to_string()),
        ("shard", spec.shard.to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

/// Samples grid point `g` (its resolved `scene`): burn-in, a pilot that measures τ, then
/// `spec.samples` maps spaced by 2τ, taken from the chains in turn.
fn sample_point(
    ctx: &Context,
    config: &Config,
    scene: &Scene,
    spec: &SynthSpec,
    g: usize,
) -> Result<(Vec<f32>, GridPoint)> {
    let job = scene.resolve(config)?;
    let model = &job.model;
    let run = &job.run;
    let rule = |i: u64| run.step_rule(model, i);
    let mut sim = Simulation::new(ctx, model, &job.initial_field()?, job.seed)?;
    sim.advance(spec.burn_in, &rule, &|_| false, &mut |_, _| {})?;
    let pilot = sim.advance(spec.pilot.max(1), &rule, &|_| true, &mut |_, _| {})?;
    // Observables that keep the energy's symmetries: the sign of the mean of a broken-symmetry
    // phase flips only by tunnelling, which no dataset waits for.
    let estimates: Vec<_> = [Observable::EnergyPerSite, Observable::AbsMagnetization]
        .into_iter()
        .filter_map(|obs| pilot.series(obs, 1).map(|s| estimate(&s)))
        .collect();
    let tau = estimates
        .iter()
        .map(|e| e.tau.unwrap_or(1.0))
        .fold(1.0, f64::max);
    let pilot_too_short = estimates.iter().any(|e| e.too_short());
    let acceptance = pilot
        .series(Observable::Acceptance, 1)
        .map(|s| estimate(&s).mean)
        .unwrap_or(1.0);
    // τ is counted in records, one per step here.
    let spacing = (2.0 * tau).ceil().max(1.0) as u64;
    let per_chain = spec.samples.div_ceil(spec.chains);
    let per_map = job.shape.sites_per_chain();
    let mut maps = crate::memory::reserved(spec.samples * per_map, "dataset maps")?;
    for _ in 0..per_chain {
        sim.advance(spacing, &rule, &|_| false, &mut |_, _| {})?;
        let field = sim.field()?;
        let room = spec.samples * per_map - maps.len();
        maps.extend_from_slice(&field.data()[..room.min(field.data().len())]);
    }
    let temperature = job.temperature();
    let conditions = std::iter::once(temperature)
        .chain(model.params().into_iter().map(|p| p.value))
        .collect();
    Ok((
        maps,
        GridPoint {
            index: g,
            conditions,
            tau_steps: tau,
            pilot_too_short,
            spacing,
            acceptance,
        },
    ))
}

/// What [`merge`] wrote.
#[derive(Clone, Debug, Serialize)]
pub struct MergeReport {
    /// The merged file.
    pub path: PathBuf,
    /// Shards joined.
    pub shards: usize,
    /// Samples written.
    pub samples: usize,
}

/// Joins the shards of one `idf dataset synth` run into `out`, the file one worker would have
/// written. Errors: shards of different runs (any provenance but `shard` differs), a grid
/// point in two shards or in none, a file that is not a shard of a synthetic dataset.
pub fn merge(shards: &[PathBuf], out: &Path) -> Result<MergeReport> {
    let atlases = shards
        .iter()
        .map(|p| Atlas::open(p))
        .collect::<Result<Vec<_>>>()?;
    let first = atlases
        .first()
        .ok_or_else(|| IdfError::invalid("shards", "give at least one shard"))?;
    let run_of = |a: &Atlas| {
        let mut p = a.provenance().clone();
        p.remove("shard");
        p
    };
    let points: usize = first
        .provenance()
        .get("grid_points")
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| {
            dataset_error(
                first.path(),
                "/",
                "no `grid_points`: not a shard of `idf dataset synth`",
            )
        })?;
    let mut owner: Vec<Option<(usize, Vec<usize>)>> = vec![None; points];
    for (s, a) in atlases.iter().enumerate() {
        if run_of(a) != run_of(first) || a.map_shape() != first.map_shape() {
            return Err(dataset_error(
                a.path(),
                "/",
                &format!(
                    "comes from another run than {} (its provenance or map shape differs)",
                    first.path().display()
                ),
            ));
        }
        let grid = a
            .grid_index()
            .ok_or_else(|| dataset_error(a.path(), "grid_index", "missing"))?;
        for (row, &g) in grid.iter().enumerate() {
            let g = g as usize;
            let slot = owner.get_mut(g).ok_or_else(|| {
                dataset_error(
                    a.path(),
                    "grid_index",
                    &format!("point {g} is past the grid's {points}"),
                )
            })?;
            match slot {
                Some((t, rows)) if *t == s => rows.push(row),
                Some((t, _)) => {
                    return Err(dataset_error(
                        a.path(),
                        "grid_index",
                        &format!("grid point {g} is also in {}", atlases[*t].path().display()),
                    ))
                }
                None => *slot = Some((s, vec![row])),
            }
        }
    }
    if let Some(g) = owner.iter().position(Option::is_none) {
        return Err(IdfError::invalid(
            "shards",
            format!("grid point {g} is in none of the shards: one is missing"),
        ));
    }
    let samples: usize = atlases.iter().map(Atlas::len).sum();
    let k = first.condition_names().len();
    let mut provenance: Vec<(String, String)> = first
        .provenance()
        .iter()
        .filter(|(key, _)| !matches!(key.as_str(), "format" | "format_version"))
        .map(|(key, v)| (key.clone(), v.clone()))
        .collect();
    for (key, v) in &mut provenance {
        if key == "shard" {
            *v = Shard::ALL.to_string();
        }
    }
    let mut writer = AtlasWriter::create(
        out,
        samples,
        first.map_shape(),
        first.condition_names(),
        &provenance,
    )?;
    let mut start = 0;
    for (g, slot) in owner.iter().enumerate() {
        let (s, rows) = slot.as_ref().expect("every point checked above");
        let a = &atlases[*s];
        let maps = a.read_maps(rows)?;
        let conditions: Vec<f32> = rows
            .iter()
            .flat_map(|&r| a.conditions()[r * k..(r + 1) * k].iter().copied())
            .collect();
        writer.write(start, &maps, &conditions, &vec![g as u32; rows.len()])?;
        start += rows.len();
    }
    writer.finish()?;
    Ok(MergeReport {
        path: out.to_path_buf(),
        shards: atlases.len(),
        samples,
    })
}

fn dataset_error(path: &Path, dataset: &str, message: &str) -> IdfError {
    IdfError::Dataset {
        path: path.to_path_buf(),
        dataset: dataset.to_string(),
        message: message.to_string(),
    }
}

/// What `idf dataset info` prints.
#[derive(Clone, Debug, Serialize)]
pub struct DatasetInfo {
    /// The file or directory.
    pub path: PathBuf,
    /// Samples N.
    pub samples: usize,
    /// One map's shape [C, H, W].
    pub map_shape: [usize; 3],
    /// Each condition column: its name and range.
    pub conditions: Vec<ConditionRange>,
    /// The provenance attributes.
    pub provenance: std::collections::BTreeMap<String, String>,
}

/// A condition column's name and the range of its values.
#[derive(Clone, Debug, Serialize)]
pub struct ConditionRange {
    /// The name.
    pub name: String,
    /// The smallest value.
    pub min: f32,
    /// The largest value.
    pub max: f32,
    /// Distinct values.
    pub distinct: usize,
}

/// Opens and checks a dataset (every map read once) and summarises it.
pub fn info(path: &Path) -> Result<DatasetInfo> {
    let atlas = Atlas::open(path)?;
    atlas.verify_maps()?;
    let k = atlas.condition_names().len();
    let conditions = atlas
        .condition_names()
        .iter()
        .enumerate()
        .map(|(j, name)| {
            let mut column: Vec<f32> = atlas
                .conditions()
                .iter()
                .skip(j)
                .step_by(k)
                .copied()
                .collect();
            column.sort_by(f32::total_cmp);
            column.dedup();
            ConditionRange {
                name: name.clone(),
                min: column.first().copied().unwrap_or(f32::NAN),
                max: column.last().copied().unwrap_or(f32::NAN),
                distinct: column.len(),
            }
        })
        .collect();
    Ok(DatasetInfo {
        path: path.to_path_buf(),
        samples: atlas.len(),
        map_shape: atlas.map_shape(),
        conditions,
        provenance: atlas.provenance().clone(),
    })
}
