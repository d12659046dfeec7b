//! The placement energy and its Potts sweeps: the backends' single-precision energies and move
//! deltas against the double-precision terms, GPU against CPU, the sweeps' stationary law
//! against exact enumeration, and service graphs that are malformed.

use idf::cpu::energies::placement::PlacementTwin;
use idf::cpu::energies::PottsTwin;
use idf::engine::energies::placement::{example_graph, PlacementEnergy, ServiceGraph};
use idf::{Context, EnergyModel, Field, Simulation, StepRule};
use serde_json::json;

fn example() -> PlacementEnergy {
    PlacementEnergy::new(example_graph()).unwrap()
}

/// Every assignment of `r` replicas to `k` nodes, in lexicographic order.
fn all_assignments(r: usize, k: usize) -> Vec<Vec<u32>> {
    let total = k.pow(r as u32);
    (0..total)
        .map(|mut code| {
            (0..r)
                .map(|_| {
                    let v = (code % k) as u32;
                    code /= k;
                    v
                })
                .collect()
        })
        .collect()
}

/// The f32 energies of several assignments are the f64 sum of the terms, within the rounding
/// of summing the sites' shares in single precision.
fn energies_match(ctx: &Context) {
    let energy = example();
    let assignments: Vec<Vec<u32>> = all_assignments(energy.replicas.len(), energy.nodes())
        .into_iter()
        .step_by(37)
        .collect();
    let field = energy.field(&assignments).unwrap();
    let model = EnergyModel::Placement(energy.clone());
    let mut sim = Simulation::new(ctx, &model, &field, 0).unwrap();
    let got = sim.energies().unwrap();
    for (a, e) in assignments.iter().zip(got) {
        let c = energy.costs(a);
        let scale = c.power.abs() + c.price + c.traffic + c.penalty + c.entropy.abs() + 1.0;
        assert!(
            (e - c.total).abs() <= 1e-5 * scale,
            "{a:?}: backend {e} vs terms {}",
            c.total
        );
    }
}

on_both! {
    fn backend_energies_are_the_terms(ctx: &Context) {
        energies_match(ctx);
    }
}

/// The twin's move and swap deltas are differences of the f64 energy.
#[test]
fn move_and_swap_deltas_are_energy_differences() {
    let energy = example();
    let p = energy.packed();
    let twin = PlacementTwin;
    let (r_count, k) = (energy.replicas.len(), energy.nodes());
    for a in all_assignments(r_count, k).into_iter().step_by(11) {
        let mut chain = energy.field(std::slice::from_ref(&a)).unwrap().into_vec();
        let e0 = energy.costs(&a).total;
        for r in 0..r_count {
            for to in 0..k {
                let mut b = a.clone();
                b[r] = to as u32;
                let want = energy.costs(&b).total - e0;
                let got = twin.move_change(&p, &chain, r, to) as f64;
                assert!(
                    (got - want).abs() <= 1e-4 * (1.0 + want.abs() + energy.penalty * 1e-2),
                    "{a:?}: replica {r} to {to}: {got} vs {want}"
                );
            }
        }
        // A swap is two moves: the second's delta after the first.
        let (r, s) = (0, r_count - 1);
        let (u, v) = (a[r] as usize, a[s] as usize);
        let mut b = a.clone();
        b.swap(r, s);
        let want = energy.costs(&b).total - e0;
        let mut got = twin.move_change(&p, &chain, r, v);
        twin.apply_move(&p, &mut chain, r, v);
        got += twin.move_change(&p, &chain, s, u);
        twin.apply_move(&p, &mut chain, s, u);
        assert!(
            (got as f64 - want).abs() <= 1e-3 * (1.0 + want.abs()),
            "swap {got} vs {want}"
        );
        // The node state follows the moves.
        let rebuilt = energy.field(&[b]).unwrap().into_vec();
        for (x, y) in chain.iter().zip(&rebuilt) {
            assert!(
                (x - y).abs() <= 1e-5 * (1.0 + y.abs()),
                "{chain:?} vs {rebuilt:?}"
            );
        }
    }
}

/// GPU and CPU sweep the same chains to the same assignments from the same random numbers:
/// 20 Metropolis sweeps and 20 heat-bath sweeps at T = 30, then 5 heat-bath sweeps at T = 0.
/// The example graph runs 70 chains (a Metropolis sweep's chains fill one workgroup of
/// `POTTS_WORKGROUP` and part of a second); a graph of 70 nodes has more labels than a
/// heat-bath workgroup has invocations, so each invocation scores several.
#[test]
fn gpu_and_cpu_sweeps_agree() {
    crate::common::on_gpu(|gpu| {
        for (energy, chains) in [(example(), 70), (many_nodes(70), 3)] {
            let model = EnergyModel::Placement(energy.clone());
            let shape = model.shape(chains, None).unwrap();
            let init = model.initial_field(shape, 3).unwrap();
            for rule in [
                StepRule::Metropolis {
                    step_size: 1.0,
                    temperature: 30.0,
                },
                StepRule::HeatBath { temperature: 30.0 },
                StepRule::HeatBath { temperature: 0.0 },
            ] {
                let mut out = Vec::new();
                for ctx in [&Context::cpu(), gpu] {
                    let mut sim = Simulation::new(ctx, &model, &init, 9).unwrap();
                    sim.advance(20, &|_| rule, &|_| false, &mut |_, _| {})
                        .unwrap();
                    let f = sim.field().unwrap();
                    let assignments: Vec<Vec<u32>> = (0..shape.chains)
                        .map(|c| energy.assignment(f.chain(c)))
                        .collect();
                    out.push((assignments, sim.energies().unwrap()));
                }
                assert_eq!(out[0].0, out[1].0, "{rule:?}: assignments differ");
                for (a, b) in out[0].1.iter().zip(&out[1].1) {
                    assert!(
                        (a - b).abs() <= 1e-5 * (1.0 + a.abs()),
                        "{rule:?}: {a} vs {b}"
                    );
                }
            }
        }
    });
}

/// `nodes` nodes in two zones, of distinct powers and prices, and 6 replicas of two services
/// that exchange traffic.
fn many_nodes(nodes: usize) -> PlacementEnergy {
    let node_list: Vec<serde_json::Value> = (0..nodes)
        .map(|n| {
            json!({
                "name": format!("n{n}"),
                "zone": if n % 2 == 0 { "a" } else { "b" },
                "cpu": 2 + n % 3,
                "memory_gib": 8,
                "idle_power_w": 1.0 + 0.01 * n as f64,
                "peak_power_w": 3.0 + 0.02 * n as f64,
                "price_per_hour": 0.1 * (n % 5) as f64
            })
        })
        .collect();
    let graph = ServiceGraph::from_json(json!({
        "nodes": node_list,
        "services": [
            {"name": "s", "replicas": 4, "cpu": 1, "memory_gib": 2},
            {"name": "t", "replicas": 2, "cpu": 0.5, "memory_gib": 1}
        ],
        "traffic": [{"from": "s", "to": "t", "rate": 2}]
    }))
    .unwrap();
    PlacementEnergy::new(graph).unwrap()
}

/// A small instance whose every term is of order T, with a penalty low enough that infeasible
/// states carry weight: 5 replicas on 3 nodes, 243 states.
fn small() -> PlacementEnergy {
    let graph = ServiceGraph::from_json(json!({
        "nodes": [
            {"name": "n0", "zone": "a", "cpu": 2, "memory_gib": 4, "idle_power_w": 1, "peak_power_w": 3},
            {"name": "n1", "zone": "a", "cpu": 3, "memory_gib": 4, "idle_power_w": 1.5, "peak_power_w": 2.5},
            {"name": "n2", "zone": "b", "cpu": 2, "memory_gib": 8, "idle_power_w": 0.5, "peak_power_w": 4}
        ],
        "services": [
            {"name": "s", "replicas": 2, "cpu": 1, "memory_gib": 2, "anti_affinity": true},
            {"name": "t", "replicas": 2, "cpu": 0.5, "memory_gib": 3, "zones": ["a"]},
            {"name": "u", "replicas": 1, "cpu": 1.5, "memory_gib": 1, "affinity": ["s"]}
        ],
        "traffic": [{"from": "s", "to": "t", "rate": 2}, {"from": "u", "to": "t", "rate": 1}],
        "weights": {"penalty": 2, "entropy": 1, "affinity": 0.5, "price": 0}
    }))
    .unwrap();
    PlacementEnergy::new(graph).unwrap()
}

/// The sweeps sample exp(−E/T): the mean energy and the ground state's probability over 64
/// independent chains match exact enumeration of the 243 states, within 4 standard errors of
/// the chains' means (independent chains: the errors need no autocorrelation correction).
fn samples_boltzmann(ctx: &Context, rule: StepRule) {
    let energy = small();
    let t = rule.temperature() as f64;
    let states = all_assignments(energy.replicas.len(), energy.nodes());
    let e: Vec<f64> = states.iter().map(|a| energy.costs(a).total).collect();
    let e_min = e.iter().cloned().fold(f64::INFINITY, f64::min);
    let w: Vec<f64> = e.iter().map(|x| (-(x - e_min) / t).exp()).collect();
    let z: f64 = w.iter().sum();
    let mean_exact: f64 = e.iter().zip(&w).map(|(x, w)| x * w).sum::<f64>() / z;
    let ground: f64 = e
        .iter()
        .zip(&w)
        .filter(|(x, _)| **x == e_min)
        .map(|(_, w)| w)
        .sum::<f64>()
        / z;

    let model = EnergyModel::Placement(energy.clone());
    let chains = 64;
    let init = model
        .initial_field(model.shape(chains, None).unwrap(), 1)
        .unwrap();
    let mut sim = Simulation::new(ctx, &model, &init, 2).unwrap();
    sim.advance(50, &|_| rule, &|_| false, &mut |_, _| {})
        .unwrap();
    let sweeps = 300;
    let mut sums = vec![(0.0, 0.0); chains];
    for _ in 0..sweeps {
        sim.advance(1, &|_| rule, &|_| false, &mut |_, _| {})
            .unwrap();
        for (s, x) in sums.iter_mut().zip(sim.energies().unwrap()) {
            s.0 += x;
            s.1 += ((x - e_min).abs() < 1e-4) as u32 as f64;
        }
    }
    for (k, (name, exact)) in [
        ("mean energy", mean_exact),
        ("ground-state probability", ground),
    ]
    .into_iter()
    .enumerate()
    {
        let means: Vec<f64> = sums
            .iter()
            .map(|s| if k == 0 { s.0 } else { s.1 } / sweeps as f64)
            .collect();
        let m = means.iter().sum::<f64>() / chains as f64;
        let var = means.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (chains - 1) as f64;
        let stderr = (var / chains as f64).sqrt();
        assert!(
            (m - exact).abs() <= 4.0 * stderr,
            "{rule:?}: {name} {m} ± {stderr} vs exact {exact}"
        );
    }
}

on_both! {
    fn metropolis_sweeps_sample_the_boltzmann_law(ctx: &Context) {
        samples_boltzmann(ctx, StepRule::Metropolis { step_size: 1.0, temperature: 1.5 });
    }
}

on_both! {
    fn heat_bath_sweeps_sample_the_boltzmann_law(ctx: &Context) {
        samples_boltzmann(ctx, StepRule::HeatBath { temperature: 1.5 });
    }
}

/// Malformed service graphs are errors that name the JSON path of the fault.
#[test]
fn malformed_service_graphs_name_the_json_path() {
    let base = || {
        json!({
            "nodes": [{"name": "n", "zone": "z", "cpu": 4, "idle_power_w": 1, "peak_power_w": 2}],
            "services": [{"name": "a", "replicas": 2, "cpu": 1}, {"name": "b", "replicas": 1, "cpu": 1}],
            "traffic": [{"from": "a", "to": "b", "rate": 1}]
        })
    };
    type Edit = Box<dyn Fn(&mut serde_json::Value)>;
    let cases: Vec<(Edit, &str)> = vec![
        (
            Box::new(|g| {
                g["nodes"][0].as_object_mut().unwrap().remove("cpu");
            }),
            "nodes[0].cpu",
        ),
        (
            Box::new(|g| g["services"][1]["colour"] = json!("red")),
            "services[1]",
        ),
        (
            Box::new(|g| g["services"][0]["replicas"] = json!(0)),
            "services[0].replicas",
        ),
        (
            Box::new(|g| g["services"][0]["replicas"] = json!(-1)),
            "services[0].replicas",
        ),
        (
            Box::new(|g| g["nodes"][0]["cpu"] = json!(-4)),
            "nodes[0].cpu",
        ),
        (
            Box::new(|g| g["traffic"][0]["to"] = json!("c")),
            "traffic[0].to",
        ),
        (
            Box::new(|g| g["traffic"][0]["to"] = json!("a")),
            "traffic[0].to",
        ),
        (
            Box::new(|g| g["services"][1]["name"] = json!("a")),
            "services[1].name",
        ),
        (
            Box::new(|g| g["services"][0]["zones"] = json!(["z", "y"])),
            "services[0].zones[1]",
        ),
        (
            Box::new(|g| g["services"][0]["affinity"] = json!(["a"])),
            "services[0].affinity[0]",
        ),
        (
            Box::new(|g| g["weights"] = json!({"power": -1})),
            "weights.power",
        ),
        (
            Box::new(|g| g["weights"] = json!({"penalty": 0})),
            "weights.penalty",
        ),
        (
            Box::new(|g| g["current"] = json!({"a": ["n"]})),
            "current.a",
        ),
        (
            Box::new(|g| g["current"] = json!({"a": ["n", "m"]})),
            "current.a[1]",
        ),
        (Box::new(|g| g["nodes"] = json!([])), "nodes"),
        (
            Box::new(|g| g["nodes"][0]["cpu"] = json!("four")),
            "nodes[0].cpu",
        ),
    ];
    assert!(ServiceGraph::from_json(base()).is_ok());
    for (edit, path) in cases {
        let mut g = base();
        edit(&mut g);
        let err = ServiceGraph::from_json(g.clone()).unwrap_err().to_string();
        assert!(err.contains(path), "{g}: `{err}` does not name {path}");
    }
    // A file's errors name the file too.
    let dir = std::env::temp_dir().join("idf-service-graph-test");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("broken.json");
    std::fs::write(&file, "{\"nodes\": [}").unwrap();
    let err = ServiceGraph::load(&file).unwrap_err().to_string();
    assert!(
        err.contains("broken.json") && err.contains("not JSON"),
        "{err}"
    );
}

/// The field a placement keeps is the assignment and the node state it implies.
#[test]
fn the_field_holds_the_assignment_and_node_loads() {
    let energy = small();
    let f: Field = energy.field(&[vec![0, 1, 0, 1, 2]]).unwrap();
    assert_eq!(&f.data()[..5], &[0.0, 1.0, 0.0, 1.0, 2.0]);
    // n0: two replicas (s0 cpu 1, t0 cpu 0.5), memory 2 + 3.
    assert_eq!(&f.data()[5..9], &[2.0, 1.5, 5.0, 0.0]);
    assert!(energy.field(&[vec![0, 1, 0, 1, 3]]).is_err());
}
