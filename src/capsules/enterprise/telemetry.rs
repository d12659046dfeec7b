//! EIL telemetry: a time series of node readings (CPU utilisation and power drawn) that refits
//! each node's power curve, so that the placement energy prices power as measured. Read from
//! JSON (`{"readings": [{"node", "time", "utilisation", "power_w"}, …]}`) or CSV (a header
//! `time,node,utilisation,power_w` in any order); errors name the file and the reading.
//!
//! The fit is ordinary least squares of P = idle + (peak − idle)·u per node. A node whose
//! readings span less than 0.05 of utilisation keeps its slope and moves its curve through
//! their mean; a fitted slope below zero (noise around a flat curve) is taken as flat.

use std::collections::HashMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::engine::energies::placement::ServiceGraph;
use crate::error::{IdfError, Result};

/// One reading of one node.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reading {
    /// When (any text: the fit does not order readings).
    #[serde(default)]
    pub time: String,
    /// The node's name in the service graph.
    pub node: String,
    /// CPU load over CPU capacity (0 to 1, above 1 when overloaded).
    pub utilisation: f64,
    /// Power drawn, W.
    pub power_w: f64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReadingsFile {
    readings: Vec<Reading>,
}

/// A node's refitted power curve.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PowerFit {
    /// The node.
    pub node: String,
    /// Readings used.
    pub readings: usize,
    /// Idle power before and after, W.
    pub idle_power_w: (f64, f64),
    /// Peak power before and after, W.
    pub peak_power_w: (f64, f64),
    /// Root-mean-square residual of the readings about the new curve, W.
    pub rms_residual_w: f64,
}

/// Reads telemetry from a `.json` or `.csv` file.
pub fn load_readings(path: &Path) -> Result<Vec<Reading>> {
    let bad = |message: String| IdfError::Config {
        path: path.to_path_buf(),
        message,
    };
    let text = std::fs::read_to_string(path).map_err(|e| IdfError::io(path, e))?;
    let readings = if path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("csv"))
    {
        let mut reader = csv::ReaderBuilder::new()
            .trim(csv::Trim::All)
            .from_reader(text.as_bytes());
        reader
            .deserialize::<Reading>()
            .enumerate()
            .map(|(k, row)| row.map_err(|e| bad(format!("readings[{k}] (CSV row {}): {e}", k + 2))))
            .collect::<Result<Vec<_>>>()?
    } else {
        let value: serde_json::Value =
            serde_json::from_str(&text).map_err(|e| bad(format!("not JSON: {e}")))?;
        let file: ReadingsFile = serde_path_to_error::deserialize(value)
            .map_err(|e| bad(format!("{}: {}", e.path(), e.inner())))?;
        file.readings
    };
    check_readings(&readings).map_err(|e| bad(e.to_string()))?;
    Ok(readings)
}

/// Checks every reading's numbers; the error names the reading.
pub fn check_readings(readings: &[Reading]) -> Result<()> {
    if readings.is_empty() {
        return Err(IdfError::invalid("readings", "no readings"));
    }
    for (k, r) in readings.iter().enumerate() {
        for (key, v) in [("utilisation", r.utilisation), ("power_w", r.power_w)] {
            if !(v.is_finite() && v >= 0.0) {
                return Err(IdfError::invalid(
                    format!("readings[{k}].{key}"),
                    format!("{v}: must be finite and at least 0"),
                ));
            }
        }
    }
    Ok(())
}

/// The least-squares power curve of one node's readings, given its current curve.
fn fit(points: &[(f64, f64)], idle: f64, peak: f64) -> (f64, f64) {
    let n = points.len() as f64;
    let (mu, mp) = points
        .iter()
        .fold((0.0, 0.0), |(a, b), (u, p)| (a + u / n, b + p / n));
    let suu: f64 = points.iter().map(|(u, _)| (u - mu).powi(2)).sum();
    let sup: f64 = points.iter().map(|(u, p)| (u - mu) * (p - mp)).sum();
    let (lo, hi) = points
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), (u, _)| {
            (lo.min(*u), hi.max(*u))
        });
    let slope = if hi - lo >= 0.05 && suu > 0.0 {
        (sup / suu).max(0.0)
    } else {
        peak - idle
    };
    let new_idle = (mp - slope * mu).max(0.0);
    (new_idle, new_idle + slope)
}

/// Refits the power curve of every node with readings; returns the updated graph and the fits.
/// A reading of a node the graph lacks is an error naming it.
pub fn apply_telemetry(
    graph: &ServiceGraph,
    readings: &[Reading],
) -> Result<(ServiceGraph, Vec<PowerFit>)> {
    check_readings(readings)?;
    let index: HashMap<&str, usize> = graph
        .nodes
        .iter()
        .enumerate()
        .map(|(k, n)| (n.name.as_str(), k))
        .collect();
    let mut points: Vec<Vec<(f64, f64)>> = vec![Vec::new(); graph.nodes.len()];
    for (k, r) in readings.iter().enumerate() {
        let Some(&n) = index.get(r.node.as_str()) else {
            return Err(IdfError::invalid(
                format!("readings[{k}].node"),
                format!("`{}` is not a node of the service graph", r.node),
            ));
        };
        points[n].push((r.utilisation, r.power_w));
    }
    let mut updated = graph.clone();
    let mut fits = Vec::new();
    for (node, pts) in updated.nodes.iter_mut().zip(&points) {
        if pts.is_empty() {
            continue;
        }
        let (idle, peak) = fit(pts, node.idle_power_w, node.peak_power_w);
        let rms = (pts
            .iter()
            .map(|(u, p)| (p - (idle + (peak - idle) * u)).powi(2))
            .sum::<f64>()
            / pts.len() as f64)
            .sqrt();
        fits.push(PowerFit {
            node: node.name.clone(),
            readings: pts.len(),
            idle_power_w: (node.idle_power_w, idle),
            peak_power_w: (node.peak_power_w, peak),
            rms_residual_w: rms,
        });
        node.idle_power_w = idle;
        node.peak_power_w = peak;
    }
    updated.check()?;
    Ok((updated, fits))
}
