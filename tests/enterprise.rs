//! The enterprise capsule end to end: `optimize_entropy` against exact enumeration and the CBC
//! integer program, feasibility and its report, telemetry and migration, the JSON Schema (read
//! by Python's `jsonschema`, a validator we did not write) and the CLI.

use std::time::Duration;

use idf::capsules::enterprise::exact::{solve_exact, ExactOutcome};
use idf::capsules::enterprise::instances::generate;
use idf::capsules::enterprise::telemetry::{apply_telemetry, Reading};
use idf::engine::energies::placement::{example_graph, PlacementEnergy, ServiceGraph};
use idf::jobs::optimize::OptMethod;
use idf::jobs::placement::{optimize_entropy, PlacementOptions, PlacementPolicy};
use idf::Context;
use serde_json::json;

/// The lowest energy over every assignment, and one assignment with it.
fn enumerate(energy: &PlacementEnergy) -> (f64, Vec<u32>) {
    let (r, k) = (energy.replicas.len(), energy.nodes());
    let mut best = (f64::INFINITY, Vec::new());
    for mut code in 0..k.pow(r as u32) {
        let a: Vec<u32> = (0..r)
            .map(|_| {
                let v = (code % k) as u32;
                code /= k;
                v
            })
            .collect();
        let c = energy.costs(&a).total;
        if c < best.0 {
            best = (c, a);
        }
    }
    best
}

fn options(method: OptMethod, steps: u64) -> PlacementOptions {
    PlacementOptions {
        method,
        chains: 8,
        steps,
        seed: 3,
        baselines: false,
        ..PlacementOptions::default()
    }
}

/// The policy of `graph` by `method` on the CPU.
fn place(graph: &ServiceGraph, method: OptMethod, steps: u64) -> PlacementPolicy {
    optimize_entropy(
        &Context::cpu(),
        graph,
        &options(method, steps),
        &mut |_, _| {},
    )
    .unwrap()
}

/// Instances small enough to enumerate (at most 3⁷ or 4⁶ states): the example with every kind of
/// term and generated ones.
fn small_instances() -> Vec<ServiceGraph> {
    let mut out = vec![example_graph()];
    for seed in [1, 2] {
        let mut g = generate(6, seed);
        g.nodes.truncate(4);
        for n in &mut g.nodes {
            n.cpu = n.cpu.max(16.0);
            n.memory_gib = 64.0;
        }
        out.push(g);
    }
    out
}

on_both! {
    fn idf_finds_the_enumerated_optimum(ctx: &Context) {
        for graph in small_instances() {
            let energy = PlacementEnergy::new(graph.clone()).unwrap();
            let (best, _) = enumerate(&energy);
            for method in [OptMethod::Tempering, OptMethod::Anneal, OptMethod::Population] {
                let policy = optimize_entropy(ctx, &graph, &options(method, 300), &mut |_, _| {}).unwrap();
                assert!(
                    (policy.costs.total - best).abs() <= 1e-9 * best.abs().max(1.0),
                    "{}: {} found {} but the optimum is {best}",
                    graph.services.len(),
                    method.name(),
                    policy.costs.total
                );
                assert!(policy.feasible);
            }
        }
    }
}

/// The CBC integer program proves the enumerated optimum (instances without the entropy
/// reward, which is not linear).
#[test]
fn the_integer_program_finds_the_enumerated_optimum() {
    for mut graph in small_instances() {
        graph.weights.entropy = 0.0;
        let energy = PlacementEnergy::new(graph).unwrap();
        let (best, _) = enumerate(&energy);
        let (outcome, _) = solve_exact(&energy, Duration::from_secs(30)).unwrap();
        let ExactOutcome::Solved {
            assignment,
            optimal,
        } = outcome
        else {
            panic!("a feasible instance was called infeasible");
        };
        assert!(optimal);
        let cost = energy.costs(&assignment).total;
        assert!(
            (cost - best).abs() <= 1e-6 * best.abs().max(1.0),
            "ILP {cost} vs {best}"
        );
        assert!(energy.violations(&assignment).is_empty());
    }
    let mut graph = example_graph();
    graph.weights.entropy = 0.0;
    graph.nodes[0].cpu = 1.0; // db (2 cores) now fits no node of zone a
    let energy = PlacementEnergy::new(graph).unwrap();
    let (outcome, _) = solve_exact(&energy, Duration::from_secs(30)).unwrap();
    assert_eq!(outcome, ExactOutcome::Infeasible);
}

/// Generated instances with room to spare always get feasible policies, from every method.
#[test]
fn feasible_instances_give_feasible_policies() {
    let ctx = Context::cpu();
    for (size, seed) in [(20, 5), (60, 6), (150, 7)] {
        let graph = generate(size, seed);
        for method in [
            OptMethod::Tempering,
            OptMethod::Anneal,
            OptMethod::Population,
        ] {
            let policy =
                optimize_entropy(&ctx, &graph, &options(method, 200), &mut |_, _| {}).unwrap();
            assert!(
                policy.feasible,
                "{size} replicas by {}: {:?}",
                method.name(),
                policy.violations
            );
            assert!(policy.cannot_meet.is_empty());
        }
    }
}

/// An instance that cannot be placed returns the least-broken placement and says which rule
/// broke and which cannot be met.
#[test]
fn infeasible_instances_name_the_rule_that_cannot_be_met() {
    let mut graph = example_graph();
    graph.services[0].cpu = 6.0; // web: 18 cores of 20, with api and db: 26 > 20
    let policy = place(&graph, OptMethod::Tempering, 200);
    assert!(!policy.feasible);
    assert!(
        policy.violations.iter().any(|v| v.rule == "capacity"),
        "{:?}",
        policy.violations
    );
    assert!(
        policy
            .cannot_meet
            .iter()
            .any(|w| w.starts_with("capacity") && w.contains("CPU")),
        "{:?}",
        policy.cannot_meet
    );
    let mut graph = example_graph();
    graph.services[0].replicas = 4; // anti-affine web on 3 nodes
    let policy = place(&graph, OptMethod::Tempering, 200);
    assert_eq!(policy.violations.len(), 1, "{:?}", policy.violations);
    assert_eq!(policy.violations[0].rule, "anti_affinity");
    assert!(policy
        .cannot_meet
        .iter()
        .any(|w| w.starts_with("anti_affinity")));
}

/// Two equal nodes, one slightly cheaper at idle: the policy packs onto it (one node's idle
/// power instead of two). When telemetry shows that node drawing more than the other, the load
/// leaves it.
#[test]
fn telemetry_moves_load_off_a_node_whose_power_rises() {
    let graph = ServiceGraph::from_json(json!({
        "nodes": [
            {"name": "a", "cpu": 8, "memory_gib": 32, "idle_power_w": 100, "peak_power_w": 200},
            {"name": "b", "cpu": 8, "memory_gib": 32, "idle_power_w": 110, "peak_power_w": 210}
        ],
        "services": [{"name": "s", "replicas": 4, "cpu": 1, "memory_gib": 2}]
    }))
    .unwrap();
    let before = place(&graph, OptMethod::Tempering, 200);
    assert_eq!(before.nodes[0].replicas, 4);
    let readings: Vec<Reading> = [(0.1, 150.0), (0.3, 170.0), (0.5, 190.0), (0.7, 210.0)]
        .iter()
        .map(|&(u, p)| Reading {
            time: String::new(),
            node: "a".into(),
            utilisation: u,
            power_w: p,
        })
        .collect();
    let (refit, fits) = apply_telemetry(&graph, &readings).unwrap();
    // P = 140 + 100 u exactly.
    assert!(
        (fits[0].idle_power_w.1 - 140.0).abs() < 1e-9
            && (fits[0].peak_power_w.1 - 240.0).abs() < 1e-9
    );
    let after = place(&refit, OptMethod::Tempering, 200);
    assert_eq!(after.nodes[0].replicas, 0, "{:?}", after.nodes);
    assert_eq!(after.nodes[1].replicas, 4);
    // A reading of an unknown node is named.
    let mut bad = readings.clone();
    bad[2].node = "zz".into();
    let err = apply_telemetry(&graph, &bad).unwrap_err().to_string();
    assert!(
        err.contains("readings[2].node") && err.contains("zz"),
        "{err}"
    );
}

/// Everything runs on node a (idle 150 W); node b idles at 50 W. Moving all four replicas
/// saves 100 W: at 20 per move the policy moves them all, at 30 per move (120 > 100) it moves
/// none; the enumerated optimum agrees each time.
#[test]
fn the_migration_penalty_limits_the_moves() {
    for (cost, moves) in [(0.0, 4), (20.0, 4), (30.0, 0)] {
        let graph = ServiceGraph::from_json(json!({
            "nodes": [
                {"name": "a", "cpu": 8, "idle_power_w": 150, "peak_power_w": 250},
                {"name": "b", "cpu": 8, "idle_power_w": 50, "peak_power_w": 150}
            ],
            "services": [{"name": "s", "replicas": 4, "cpu": 1}],
            "weights": {"migration": cost},
            "current": {"s": ["a", "a", "a", "a"]}
        }))
        .unwrap();
        let policy = place(&graph, OptMethod::Anneal, 200);
        let energy = PlacementEnergy::new(graph).unwrap();
        let (_, best) = enumerate(&energy);
        let want = best.iter().filter(|n| **n != 0).count();
        assert_eq!(want, moves);
        assert_eq!(policy.moved_replicas, Some(moves), "migration cost {cost}");
    }
}

/// The JSON Schema in docs/ accepts the graphs IDF accepts and refuses malformed ones, as read
/// by Python's jsonschema.
#[test]
fn the_json_schema_agrees_with_the_reader() {
    let Some(python) = crate::common::test_tool(
        "benches/.venv/bin/python",
        "the service-graph schema was not checked with jsonschema",
    ) else {
        return;
    };
    let schema = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/docs/service_graph.schema.json"
    );
    let good = vec![
        serde_json::to_value(example_graph()).unwrap(),
        serde_json::to_value(generate(30, 1)).unwrap(),
    ];
    let bad = vec![
        json!({"nodes": [], "services": [{"name": "a", "replicas": 1, "cpu": 1}]}),
        json!({"nodes": [{"name": "n", "cpu": 1, "idle_power_w": 1, "peak_power_w": 2}],
               "services": [{"name": "a", "replicas": 0, "cpu": 1}]}),
        json!({"nodes": [{"name": "n", "cpu": 1, "idle_power_w": 1, "peak_power_w": 2, "colour": 1}],
               "services": [{"name": "a", "replicas": 1, "cpu": 1}]}),
    ];
    for g in &good {
        ServiceGraph::from_json(g.clone()).unwrap();
    }
    for g in &bad {
        assert!(ServiceGraph::from_json(g.clone()).is_err());
    }
    let script = format!(
        "import json, jsonschema, sys\nschema = json.load(open({schema:?}))\n\
         jsonschema.Draft202012Validator.check_schema(schema)\n\
         v = jsonschema.Draft202012Validator(schema)\n\
         good = json.loads(sys.argv[1]); bad = json.loads(sys.argv[2])\n\
         assert all(v.is_valid(g) for g in good), [list(v.iter_errors(g)) for g in good]\n\
         assert not any(v.is_valid(g) for g in bad)\nprint('ok')\n"
    );
    let out = std::process::Command::new(python)
        .args([
            "-c",
            &script,
            &json!(good).to_string(),
            &json!(bad).to_string(),
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `idf optimize --service-graph` writes a policy that re-reads as the `current` placement of
/// the graph, and names the JSON path of a malformed graph.
#[test]
fn the_cli_writes_a_policy_and_names_malformed_input() {
    let dir = std::env::temp_dir().join(format!("idf-enterprise-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let graph_path = dir.join("graph.json");
    std::fs::write(
        &graph_path,
        serde_json::to_string(&example_graph()).unwrap(),
    )
    .unwrap();
    let policy_path = dir.join("policy.json");
    let out = crate::common::idf(&[
        "optimize",
        "--service-graph",
        graph_path.to_str().unwrap(),
        "--steps",
        "100",
        "--backend",
        "cpu",
        "--out",
        policy_path.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let policy: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&policy_path).unwrap()).unwrap();
    assert_eq!(policy["feasible"], json!(true));
    let methods: Vec<&str> = policy["baselines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["method"].as_str().unwrap())
        .collect();
    assert_eq!(methods, ["first-fit-decreasing", "best-fit-decreasing"]);
    let mut graph = serde_json::to_value(example_graph()).unwrap();
    graph["current"] = policy["assignment"].clone();
    ServiceGraph::from_json(graph).unwrap();

    let mut broken = serde_json::to_value(example_graph()).unwrap();
    broken["services"][2]["zones"] = json!(["mars"]);
    std::fs::write(&graph_path, broken.to_string()).unwrap();
    let out = crate::common::idf(&["optimize", "--service-graph", graph_path.to_str().unwrap()]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("graph.json") && err.contains("services[2].zones[0]"),
        "{err}"
    );
}
