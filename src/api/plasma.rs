//! `POST /diffuse` with a `plasma` key: a Hasegawa–Wakatani run (`idf plasma run`'s keys) or a
//! stability scan (`"scan": true` with lists of `alphas` and `kappas`), checked against the size
//! and work limits, answered with the run's report or the scan's maps.

use std::sync::Arc;

use axum::Json;
use serde_json::{json, Value};

use super::types::{DiffuseAnswer, PlasmaRequest, PlasmaResponse};
use super::{check_size, ApiError, ApiState};
use crate::error::IdfError;
use crate::jobs::plasma::{run_plasma, stability_scan, PlasmaSpec, ScanSpec};
use crate::kernels::spectral::ChainParams;

/// Work per site and step: four right-hand sides, each two FFTs of log2(sites) passes and a
/// 25-point stencil.
fn work_per_site_step(sites: usize) -> u64 {
    4 * (2 * (sites.max(2) as f64).log2().ceil() as u64 + 25)
}

/// A job's error about one of its keys, named as the body names it (`plasma.dt`).
fn prefixed(e: IdfError) -> IdfError {
    match e {
        IdfError::InvalidParam { name, reason } => IdfError::InvalidParam {
            name: format!("plasma.{name}"),
            reason,
        },
        other => other,
    }
}

fn refuse(key: &str, given: bool, why: &str) -> Result<(), ApiError> {
    if given {
        return Err(ApiError::bad(&format!("plasma.{key}"), why));
    }
    Ok(())
}

/// Runs the request's plasma job.
pub(super) async fn diffuse_plasma(
    state: Arc<ApiState>,
    r: PlasmaRequest,
    return_samples: bool,
) -> Result<Json<DiffuseAnswer>, ApiError> {
    if r.scan {
        refuse("alpha", r.alpha.is_some(), "a scan takes `alphas`, a list")?;
        refuse("kappa", r.kappa.is_some(), "a scan takes `kappas`, a list")?;
        for (key, given) in [
            ("noise", r.noise.is_some()),
            ("record_every", r.record_every.is_some()),
            ("amplitude", r.amplitude.is_some()),
        ] {
            refuse(
                key,
                given,
                "a scan's modes start on their eigenvectors; it takes no such key",
            )?;
        }
        let spec = ScanSpec {
            size: r.size.unwrap_or(32),
            k0: r.k0.unwrap_or(0.15),
            alphas: r.alphas.unwrap_or_else(|| vec![0.5, 1.0, 2.0]),
            kappas: r.kappas.unwrap_or_else(|| vec![1.0]),
            nu: r.nu.unwrap_or(0.0),
            modified: r.modified,
            steps: r.steps.unwrap_or(400),
            dt: r.dt,
            seed: r.seed.unwrap_or(0),
        };
        let sites = spec
            .size
            .saturating_mul(spec.size)
            .saturating_mul(spec.alphas.len().saturating_mul(spec.kappas.len()));
        check_size(
            &state,
            sites,
            (sites as u64)
                .saturating_mul(spec.steps)
                .saturating_mul(work_per_site_step(sites)),
        )?;
        let map = state
            .run(move |ctx| stability_scan(ctx, &spec, &mut |_, _| {}).map_err(prefixed))
            .await?;
        state.completed(json!({"route": "/diffuse", "model": "hasegawa_wakatani_scan", "latency_ms": map.wall_ms}));
        let report =
            serde_json::to_value(&map).map_err(|e| ApiError::bad("plasma", e.to_string()))?;
        return Ok(Json(DiffuseAnswer::Plasma(PlasmaResponse {
            report,
            fields: None,
        })));
    }
    refuse(
        "alphas",
        r.alphas.is_some(),
        "a run takes one `alpha`; give `scan: true` for a map",
    )?;
    refuse(
        "kappas",
        r.kappas.is_some(),
        "a run takes one `kappa`; give `scan: true` for a map",
    )?;
    let d = PlasmaSpec::default();
    let spec = PlasmaSpec {
        size: r.size.unwrap_or(d.size),
        k0: r.k0.unwrap_or(d.k0),
        params: ChainParams {
            alpha: r.alpha.unwrap_or(d.params.alpha),
            kappa: r.kappa.unwrap_or(d.params.kappa),
            nu: r.nu.map_or(d.params.nu, |v| v as f32),
            noise: r.noise.unwrap_or(0.0),
        },
        modified: r.modified,
        steps: r.steps.unwrap_or(d.steps),
        record_every: r.record_every.unwrap_or(d.record_every),
        dt: r.dt,
        amplitude: r.amplitude.unwrap_or(d.amplitude),
        seed: r.seed.unwrap_or(0),
        video: None,
    };
    let sites = spec.size.saturating_mul(spec.size);
    check_size(
        &state,
        sites,
        (sites as u64)
            .saturating_mul(spec.steps)
            .saturating_mul(work_per_site_step(sites)),
    )?;
    let size = spec.size;
    let report = state
        .run(move |ctx| run_plasma(ctx, &spec, &mut |_, _| {}).map_err(prefixed))
        .await?;
    state.completed(json!({"route": "/diffuse", "model": "hasegawa_wakatani", "size": size, "latency_ms": report.wall_ms}));
    let fields = return_samples.then(|| {
        let [n, zeta, phi] = &report.fields;
        json!({"shape": [size, size], "n": n, "zeta": zeta, "phi": phi})
    });
    let value: Value =
        serde_json::to_value(&report).map_err(|e| ApiError::bad("plasma", e.to_string()))?;
    Ok(Json(DiffuseAnswer::Plasma(PlasmaResponse {
        report: value,
        fields,
    })))
}
