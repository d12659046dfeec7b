//! Heat-flow snapshots for `idf dataset synth --model heat_flow`: white-noise fields evolved by
//! the heat equation ∂ρ/∂t = κΔρ on the periodic lattice, a map per trajectory at each time of
//! the grid. The flow is φ⁴'s gradient term alone (a = b = h = 0) under Langevin at T = 0, the
//! explicit (FTCS) scheme ρ ← ρ + κη Δρ, with n = ⌈κt / 0.2⌉ steps of η = t / n so that
//! r = κη ≤ 0.2 < 1/4, the stability limit in 2-D. Record i of every grid point evolves the same
//! initial field (seeded by the dataset's seed), so the records of one trajectory at successive
//! times pair up through the `trajectory` column: what a forecaster learns from.

use std::path::Path;
use std::time::Instant;

use super::{grid_points, GridPoint, SynthReport, SynthSpec};
use crate::context::Context;
use crate::engine::energies::EnergyModel;
use crate::engine::field::{Field, Shape};
use crate::engine::simulation::Simulation;
use crate::engine::step_rule::StepRule;
use crate::error::{IdfError, Result};
use crate::io::atlas::AtlasWriter;

/// The largest r = κη the scheme takes (the explicit 2-D scheme is stable up to 1/4).
const MAX_R: f32 = 0.2;

/// The condition columns of a heat-flow dataset.
const COLUMNS: [&str; 3] = ["time", "kappa", "trajectory"];

/// Steps and step size that take the scheme to time `t` at diffusivity `kappa`: the fewest
/// with r = κη ≤ 0.2, up to rounding (κt/0.2 within a part in 10⁶ of a whole number takes that
/// number: 0.6/0.2 in f32 is 3.0000002, and three steps of 0.2, not four of 0.15, make the
/// records at 0.4 and 0.6 two and three steps of one scheme).
pub fn steps_to(t: f32, kappa: f32) -> (u64, f32) {
    let n = ((t as f64 * kappa as f64 / MAX_R as f64) * (1.0 - 1e-6)).ceil() as u64;
    match n {
        0 => (0, 0.0),
        n => (n, t / n as f32),
    }
}

/// The energy whose gradient flow at T = 0 is the heat equation at diffusivity `kappa`: φ⁴'s
/// gradient term alone (a = b = h = 0), E = (κ/2) Σ|∇ρ|². Errors: κ outside φ⁴'s range.
pub fn energy_model(kappa: f32) -> Result<EnergyModel> {
    EnergyModel::from_params(
        "phi4",
        &[("kappa", kappa), ("a", 0.0), ("b", 0.0), ("h", 0.0)]
            .map(|(name, v)| (name.to_string(), v.to_string())),
    )
}

/// `start` evolved by the heat equation for time `t` at diffusivity `kappa`, by the explicit
/// scheme of the datasets (φ⁴'s gradient term under Langevin at T = 0).
fn flow(ctx: &Context, start: &Field, t: f32, kappa: f32, seed: u32) -> Result<Field> {
    let model = energy_model(kappa)?;
    let (steps, eta) = steps_to(t, kappa);
    let mut sim = Simulation::new(ctx, &model, start, seed)?;
    let rule = |_| StepRule::langevin(eta, 0.0);
    sim.advance(steps, &rule, &|_| false, &mut |_, _| {})?;
    sim.field()
}

/// One map `map` (`size` = [H, W], H·W values) evolved by the heat equation for time `t` at
/// diffusivity `kappa`, by the datasets' scheme: the physics rollout a learned forecast is
/// compared with. Errors: a negative or non-finite time, a non-positive diffusivity, a map of
/// the wrong size.
pub fn evolve(
    ctx: &Context,
    map: &[f32],
    size: [usize; 2],
    t: f32,
    kappa: f32,
) -> Result<Vec<f32>> {
    if !(t.is_finite() && t >= 0.0) {
        return Err(IdfError::invalid("time", format!("{t} is not a time ≥ 0")));
    }
    if !(kappa.is_finite() && kappa > 0.0) {
        return Err(IdfError::invalid(
            "kappa",
            format!("{kappa} is not a positive diffusivity"),
        ));
    }
    let start = Field::from_vec(Shape::new(1, 1, size[0], size[1])?, map.to_vec())?;
    Ok(flow(ctx, &start, t, kappa, 0)?.data().to_vec())
}

/// Writes the heat-flow dataset `spec` describes (its shard of the grid of `time` and `kappa`)
/// into `out`. Errors: an axis other than time and kappa, no time axis, a negative or
/// non-finite time, a non-positive diffusivity; nothing is left under `out` when it fails.
pub fn synth(
    ctx: &Context,
    spec: &SynthSpec,
    out: &Path,
    progress: &mut dyn FnMut(u64, u64),
    started: Instant,
) -> Result<SynthReport> {
    let mut kappa = 1.0f32;
    for (name, value) in &spec.params {
        match (name.as_str(), value.trim().parse::<f32>()) {
            ("kappa", Ok(v)) => kappa = v,
            _ => {
                return Err(IdfError::invalid(
                    "param",
                    format!("`{name}={value}`: heat_flow takes kappa=NUMBER only"),
                ))
            }
        }
    }
    let axis = |name: &str| spec.grid.iter().position(|a| a.name == name);
    if let Some(a) = spec
        .grid
        .iter()
        .find(|a| !COLUMNS[..2].contains(&a.name.as_str()))
    {
        return Err(IdfError::invalid(
            "conditions",
            format!("`{}`: heat_flow's conditions are time and kappa", a.name),
        ));
    }
    let Some(time_axis) = axis("time") else {
        return Err(IdfError::invalid(
            "conditions",
            "heat_flow needs the times of its snapshots: --conditions 'time=FROM:TO:COUNT'",
        ));
    };
    let kappa_axis = axis("kappa");
    for a in &spec.grid {
        for v in &a.values {
            let ok = match a.name.as_str() {
                "time" => v.is_finite() && *v >= 0.0,
                _ => v.is_finite() && *v > 0.0,
            };
            if !ok {
                return Err(IdfError::invalid(
                    "conditions",
                    format!("{}={v}: times must be ≥ 0 and diffusivities > 0", a.name),
                ));
            }
        }
    }
    if !(kappa.is_finite() && kappa > 0.0) {
        return Err(IdfError::invalid(
            "kappa",
            format!("{kappa} is not a positive diffusivity"),
        ));
    }
    let [h, w] = spec.size;
    let shape = Shape::new(spec.samples, 1, h, w)?;
    let names: Vec<String> = COLUMNS.iter().map(|c| c.to_string()).collect();
    let points = grid_points(&spec.grid);
    let mine: Vec<usize> = (0..points.len()).filter(|g| spec.shard.holds(*g)).collect();
    let mut writer = AtlasWriter::create(
        out,
        mine.len() * spec.samples,
        [1, h, w],
        &names,
        &provenance(spec, kappa, points.len(), ctx),
    )?;
    let start = Field::random_normal(shape, spec.seed, 1.0)?;
    let mut report = SynthReport {
        path: out.to_path_buf(),
        samples: mine.len() * spec.samples,
        conditions: names,
        points: Vec::new(),
        shard: spec.shard.to_string(),
        wall_ms: 0.0,
    };
    progress(0, mine.len() as u64);
    for (done, &g) in mine.iter().enumerate() {
        let t = points[g][time_axis];
        let k = kappa_axis.map_or(kappa, |a| points[g][a]);
        let maps = flow(ctx, &start, t, k, spec.seed)?;
        let rows: Vec<f32> = (0..spec.samples).flat_map(|i| [t, k, i as f32]).collect();
        writer.write(
            done * spec.samples,
            maps.data(),
            &rows,
            &vec![g as u32; spec.samples],
        )?;
        report.points.push(GridPoint {
            index: g,
            conditions: vec![t, k, 0.0],
            tau_steps: 0.0,
            pilot_too_short: false,
            spacing: steps_to(t, k).0,
            acceptance: 1.0,
        });
        progress(done as u64 + 1, mine.len() as u64);
    }
    writer.finish()?;
    report.wall_ms = started.elapsed().as_secs_f64() * 1e3;
    Ok(report)
}

/// The file's provenance attributes.
fn provenance(spec: &SynthSpec, kappa: f32, points: usize, ctx: &Context) -> Vec<(String, String)> {
    let grid = super::grid_text(&spec.grid);
    [
        ("generator", "idf dataset synth".to_string()),
        ("idf_version", env!("CARGO_PKG_VERSION").to_string()),
        ("model", super::HEAT_FLOW.to_string()),
        ("params", format!("kappa={kappa}")),
        ("grid", grid),
        ("grid_points", points.to_string()),
        ("condition_names", COLUMNS.join(",")),
        (
            "integrator",
            format!(
                "explicit Euler (FTCS) heat flow: phi4 gradient term at T = 0, \
                 n = ceil(kappa t / {MAX_R}) steps of eta = t / n"
            ),
        ),
        (
            "initial",
            "white noise N(0, 1), record i alike at every grid point".into(),
        ),
        ("samples_per_point", spec.samples.to_string()),
        ("seed", spec.seed.to_string()),
        ("backend", ctx.backend().to_string()),
        ("shard", spec.shard.to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}
