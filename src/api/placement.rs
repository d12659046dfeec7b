//! `POST /optimize` with a `service_graph`: the placement policy of `optimize_entropy`, with the
//! bin-packing baselines beside it (the exact solver is left to the CLI: its time is unbounded
//! by the work budget). Errors name the key under `service_graph` or `telemetry`.

use std::sync::Arc;

use serde_json::json;

use super::types::{OptimizeAnswer, OptimizeRequest, PlacementResponse};
use super::{check_chains, check_size, ApiError, ApiState};
use crate::capsules::enterprise::telemetry::{apply_telemetry, Reading};
use crate::engine::energies::placement::{PlacementEnergy, ServiceGraph};
use crate::engine::energies::EnergyModel;
use crate::engine::step_rule::METROPOLIS_EVALUATIONS;
use crate::error::IdfError;
use crate::jobs::placement::{optimize_entropy, PlacementOptions};

/// An error of part `key` of the body, its path inside that part named.
fn under(key: &str, e: IdfError) -> ApiError {
    match e {
        IdfError::InvalidParam { name, reason } => ApiError::bad(&format!("{key}.{name}"), reason),
        other => ApiError::bad(key, other.to_string()),
    }
}

/// Places the request's service graph.
pub(super) async fn optimize_placement(
    state: &Arc<ApiState>,
    req: OptimizeRequest,
    graph: serde_json::Value,
) -> Result<OptimizeAnswer, ApiError> {
    for (key, given) in [
        ("model", req.model.is_some()),
        ("graph", req.graph.is_some()),
        ("shape", req.shape.is_some()),
        ("params", !req.params.is_empty()),
    ] {
        if given {
            return Err(ApiError::bad(
                key,
                "a service_graph request places services; it takes no model, graph, shape or params",
            ));
        }
    }
    let mut graph = ServiceGraph::from_json(graph).map_err(|e| under("service_graph", e))?;
    let mut fits = Vec::new();
    if let Some(readings) = req.telemetry {
        let readings: Vec<Reading> =
            serde_path_to_error::deserialize(serde_json::Value::Array(readings)).map_err(|e| {
                ApiError::bad(&format!("telemetry{}", e.path()), e.inner().to_string())
            })?;
        let (refit, f) = apply_telemetry(&graph, &readings).map_err(|e| match e {
            IdfError::InvalidParam { name, reason } => {
                ApiError::bad(&name.replacen("readings", "telemetry", 1), reason)
            }
            other => ApiError::bad("telemetry", other.to_string()),
        })?;
        graph = refit;
        fits = f;
    }
    let chains = req.replicas.unwrap_or(8);
    check_chains("replicas", chains)?;
    let steps = req.steps.unwrap_or(1000);
    let energy = PlacementEnergy::new(graph.clone()).map_err(|e| under("service_graph", e))?;
    let model = EnergyModel::Placement(energy);
    let sites = model.shape(chains, None)?.len();
    let work = (sites as u64)
        .saturating_mul(steps)
        .saturating_mul(METROPOLIS_EVALUATIONS)
        .saturating_mul(model.cost_per_site());
    check_size(state, sites, work)?;
    let options = PlacementOptions {
        method: req.method.as_deref().unwrap_or("tempering").parse()?,
        chains,
        steps,
        seed: req.seed.unwrap_or(0),
        baselines: true,
        exact_time_limit: None,
        ..PlacementOptions::default()
    };
    let mut policy = state
        .run(move |ctx| optimize_entropy(ctx, &graph, &options, &mut |_, _| {}))
        .await?;
    policy.power_fits = fits;
    state.completed(json!({
        "route": "/optimize", "model": "placement", "replicas": policy.raw_assignment.len(),
        "nodes": policy.nodes.len(), "steps": steps, "cost": policy.costs.total,
        "feasible": policy.feasible, "latency_ms": policy.found_by.wall_ms,
    }));
    Ok(OptimizeAnswer::Placement(PlacementResponse {
        policy: serde_json::to_value(&policy)
            .map_err(|e| ApiError::bad("service_graph", e.to_string()))?,
    }))
}
