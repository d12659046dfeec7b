//! The HTTP API end to end over real HTTP on 127.0.0.1: every endpoint and alias, every bad input
//! a 4xx naming the field (and the server still answering), the queue limit under a burst,
//! bearer auth, energy-law gating, and the checked-in OpenAPI spec matching the generated one.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use idf::api::{serve, ApiState, Limits};
use idf::Context;

struct Server {
    addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn start(limits: Limits, token: Option<&str>) -> Server {
    start_with(idf::Config::default(), limits, token)
}

fn start_with(config: idf::Config, limits: Limits, token: Option<&str>) -> Server {
    start_set_up(config, limits, token, |_| {})
}

/// A server whose state `set_up` adjusts before it serves.
fn start_set_up(
    config: idf::Config,
    limits: Limits,
    token: Option<&str>,
    set_up: impl FnOnce(&ApiState) + Send + 'static,
) -> Server {
    let (tx, rx) = std::sync::mpsc::channel();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let token = token.map(str::to_string);
    let thread = std::thread::spawn(move || {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            tx.send(listener.local_addr().unwrap()).unwrap();
            let state = ApiState::new(Context::cpu(), config, limits, token);
            set_up(&state);
            serve(listener, state, async {
                let _ = stopped.await;
            })
            .await
            .unwrap();
        });
    });
    Server {
        addr: rx.recv().unwrap(),
        stop: Some(stop),
        thread: Some(thread),
    }
}

/// One HTTP/1.1 request; returns (status, headers, body).
fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    body: &str,
    token: Option<&str>,
) -> (u16, String, String) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(120))).unwrap();
    let auth = token
        .map(|t| format!("Authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    // A server that refuses an oversized body may answer and close before it is all sent.
    let _ = write!(s, "{method} {path} HTTP/1.1\r\nHost: idf\r\nContent-Type: application/json\r\n{auth}Content-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len());
    let mut raw = Vec::new();
    let _ = s.read_to_end(&mut raw);
    let text = String::from_utf8_lossy(&raw).to_string();
    let (head, rest) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head.split_whitespace().nth(1).unwrap().parse().unwrap();
    let body = if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        dechunk(rest)
    } else {
        rest.to_string()
    };
    (status, head.to_string(), body)
}

fn dechunk(mut s: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = s.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 {
            break;
        }
        out.push_str(&rest[..n]);
        s = &rest[n + 2..];
    }
    out
}

fn post(addr: SocketAddr, path: &str, body: &str) -> (u16, serde_json::Value) {
    let (status, _, body) = request(addr, "POST", path, body, None);
    (
        status,
        serde_json::from_str(&body).unwrap_or(serde_json::Value::Null),
    )
}

#[test]
fn endpoints_and_aliases_answer() {
    let server = start(Limits::default(), None);
    let a = server.addr;
    for path in ["/diffuse", "/diffusion/sample"] {
        let (status, v) = post(
            a,
            path,
            r#"{"model": "phi4", "shape": [8, 8], "chains": 2, "steps": 40, "seed": 3}"#,
        );
        assert_eq!(status, 200, "{path}: {v}");
        assert_eq!(v["shape"], serde_json::json!([2, 1, 8, 8]));
        assert_eq!(v["samples"].as_array().unwrap().len(), 128);
        assert_eq!(v["energies"].as_array().unwrap().len(), 2);
        assert!(
            v["estimates"]["energy_per_site"]["mean"].is_number()
                && v["delta_e"].is_number()
                && v["delta_s"].is_number()
        );
    }
    let (_, v) = post(
        a,
        "/diffuse",
        r#"{"model": "gmm", "chains": 64, "integrator": "ddim", "steps": 50, "return_samples": false}"#,
    );
    assert!(
        v["samples"].is_null() && v["energies"].as_array().unwrap().len() == 64,
        "{v}"
    );
    // A molecular body runs the same job as `idf molecular`, with the same numbers.
    let body = r#"{"molecular": {"particles": 108, "density": 0.8, "temperature": 1.0, "steps": 50, "cutoff": 2.0, "seed": 4}}"#;
    let (status, v) = post(a, "/diffuse", body);
    assert_eq!(status, 200, "{v}");
    let spec = idf::jobs::molecular::MolecularSpec {
        particles: 108,
        start: idf::jobs::molecular::MolecularStart::Fluid { density: 0.8 },
        temperature: 1.0,
        steps: 50,
        cutoff: 2.0,
        seed: 4,
        ..Default::default()
    };
    let local =
        idf::jobs::molecular::run_molecular(&idf::Context::cpu(), &spec, &mut |_, _| {}).unwrap();
    assert_eq!(v["particles"], 108);
    assert_eq!(v["positions"].as_array().unwrap().len(), 108 * 3);
    let mean = v["estimates"]["potential"]["mean"].as_f64().unwrap();
    // The server runs on the backend IDF_BACKEND names (the CPU twin or lavapipe): f32 rounding
    // apart, the same trajectory.
    assert!(
        (mean - local.potential.mean).abs() < 1e-3,
        "{mean} vs {}",
        local.potential.mean
    );
    assert!(
        v["rdf"]["g"].as_array().is_some_and(|g| g.len() == 100),
        "{v}"
    );
    // Replica exchange: the chains are the rungs of a ladder from `temperature` to `t_max`.
    let (status, v) = post(
        a,
        "/diffuse",
        r#"{"molecular": {"cluster": true, "particles": 13, "chains": 4, "temperature": 0.1, "t_max": 0.3, "exchange_every": 50, "steps": 2000, "cutoff": 100, "skin": 0.5}}"#,
    );
    assert_eq!(status, 200, "{v}");
    let ladder = v["replica_exchange"]["ladder"].as_array().unwrap();
    assert_eq!(ladder.len(), 4, "{v}");
    assert!((ladder[0].as_f64().unwrap() - 0.1).abs() < 1e-6, "{v}");
    assert!((ladder[3].as_f64().unwrap() - 0.3).abs() < 1e-6, "{v}");
    assert_eq!(
        v["replica_exchange"]["acceptance"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
    for path in ["/optimize", "/diffusion/optimize"] {
        let (status, v) = post(
            a,
            path,
            r#"{"graph": {"nodes": 4, "edges": [[0,1,1],[1,2,1],[2,3,1],[3,0,1]]}, "replicas": 4, "steps": 100, "method": "anneal"}"#,
        );
        assert_eq!(status, 200, "{path}: {v}");
        assert_eq!(v["cut"], 4.0);
    }
    // A QUBO with its diagonal, and an edge given twice (summed, with a warning):
    // E = −x₀ − x₁ + 2x₀x₁ has its minimum −1 at one variable set.
    let (status, v) = post(
        a,
        "/optimize",
        r#"{"graph": {"nodes": 2, "edges": [[0,1,1],[1,0,1]], "fields": [-1,-1], "objective": "qubo"}, "replicas": 4, "steps": 100, "method": "anneal"}"#,
    );
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["best_energy"], -1.0);
    assert_eq!(v["warnings"].as_array().unwrap().len(), 1, "{v}");
    let (status, v) = post(
        a,
        "/optimize",
        r#"{"graph": {"nodes": 2, "edges": [], "fields": [1]}, "steps": 10}"#,
    );
    assert_eq!(
        (status, v["field"].as_str()),
        (400, Some("graph.fields")),
        "{v}"
    );
    // Population annealing answers its free energy and its error.
    let (status, v) = post(
        a,
        "/optimize",
        r#"{"model": "ising", "shape": [4, 4], "replicas": 64, "steps": 200, "method": "population"}"#,
    );
    assert_eq!(status, 200, "{v}");
    assert!(
        v["free_energy"].is_number() && v["free_energy_stderr"].as_f64().unwrap() > 0.0,
        "{v}"
    );
    // A service graph gets a placement policy, refitted to telemetry first; its errors name
    // the path inside the body.
    let graph = serde_json::to_value(idf::engine::energies::placement::example_graph()).unwrap();
    let telemetry = serde_json::json!([{"node": "a2", "utilisation": 0.5, "power_w": 400}]);
    let body = serde_json::json!({"service_graph": graph, "telemetry": telemetry, "replicas": 8, "steps": 200});
    let (status, v) = post(a, "/optimize", &body.to_string());
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["policy"]["feasible"], true, "{v}");
    assert_eq!(v["policy"]["baselines"].as_array().unwrap().len(), 2, "{v}");
    assert_eq!(v["policy"]["power_fits"][0]["node"], "a2", "{v}");
    let mut broken = graph.clone();
    broken["services"][2]["zones"] = serde_json::json!(["mars"]);
    for (body, field) in [
        (
            serde_json::json!({"service_graph": broken}),
            "service_graph.services[2].zones[0]",
        ),
        (
            serde_json::json!({"model": "ising", "telemetry": telemetry}),
            "telemetry",
        ),
        (
            serde_json::json!({"service_graph": graph, "telemetry": [{"node": "x", "utilisation": 0.1, "power_w": 1}]}),
            "telemetry[0].node",
        ),
        (
            serde_json::json!({"service_graph": graph, "telemetry": [{"node": "a1", "utilisation": 0.1}]}),
            "telemetry[0]",
        ),
        (
            serde_json::json!({"service_graph": graph, "model": "ising"}),
            "model",
        ),
    ] {
        let (status, v) = post(a, "/optimize", &body.to_string());
        assert_eq!((status, v["field"].as_str()), (400, Some(field)), "{v}");
    }
    // A plasma body: a Hasegawa–Wakatani run with its trace and fields, a stability scan with
    // its maps; its errors name the key inside `plasma`.
    let (status, v) = post(
        a,
        "/diffuse",
        r#"{"plasma": {"size": 16, "steps": 40, "record_every": 20}}"#,
    );
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["report"]["trace"].as_array().unwrap().len(), 3, "{v}");
    assert_eq!(v["fields"]["phi"].as_array().unwrap().len(), 256, "{v}");
    let (status, v) = post(
        a,
        "/diffuse",
        r#"{"plasma": {"scan": true, "size": 16, "alphas": [0.5, 1], "steps": 20}}"#,
    );
    assert_eq!(status, 200, "{v}");
    assert_eq!(
        v["report"]["measured"].as_array().unwrap().len(),
        2 * 7,
        "{v}"
    );
    for (body, field) in [
        (r#"{"plasma": {"size": 24}}"#, "plasma.size"),
        (r#"{"plasma": {"alphas": [1]}}"#, "plasma.alphas"),
        (r#"{"plasma": {"colour": 1}}"#, "plasma.colour"),
        (
            r#"{"plasma": {"size": 16, "steps": 10, "dt": 50}}"#,
            "plasma.dt",
        ),
        (r#"{"plasma": {}, "model": "phi4"}"#, "model"),
    ] {
        let (status, v) = post(a, "/diffuse", body);
        assert_eq!(
            (status, v["field"].as_str()),
            (400, Some(field)),
            "{body}: {v}"
        );
    }
    let field: Vec<f32> = (0..36).map(|i| (i as f32 * 0.3).sin()).collect();
    let (status, v) = post(a, "/predict", &serde_json::json!({"model": "phi4", "shape": [6, 6], "field": field, "steps": 20, "ensemble": 8, "temperature": 0.5}).to_string());
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["mean"].as_array().unwrap().len(), 36);
    assert!(
        v["std"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s.as_f64().unwrap() > 0.0),
        "noise spreads the ensemble"
    );
    // At T > 0 no law of `idf validate` applies to Langevin dynamics; at T = 0, heat flow (φ⁴'s
    // gradient term alone) of a positive density keeps energy descent, mass conservation and
    // the second law, checked between the posted map and each member's forecast.
    assert!(v["verdict"]["elf"].is_null(), "{v}");
    assert_eq!(v["verdict"]["laws"], serde_json::json!([]), "{v}");
    let density: Vec<f32> = field.iter().map(|x| 1.5 + x).collect();
    let heat = |validate: &str| {
        serde_json::json!({"model": "phi4", "params": {"a": 0, "b": 0, "h": 0}, "shape": [6, 6],
            "field": density, "steps": 20, "ensemble": 2, "temperature": 0.0, "validate": validate})
        .to_string()
    };
    let (status, v) = post(a, "/predict", &heat("reject"));
    assert_eq!(status, 200, "{v}");
    assert_eq!(
        v["verdict"],
        serde_json::json!({"elf": 1.0, "laws": ["energy_descent", "mass_conservation", "second_law"], "violations": []}),
        "{v}"
    );
    let (status, v) = post(a, "/predict", &heat("maybe"));
    assert_eq!(
        (status, v["field"].as_str()),
        (400, Some("validate")),
        "{v}"
    );
    // A step beyond the explicit scheme's stability (η = 0.3 > 2/(8κ)) turns a checkerboard's
    // deviation d into (1 − 8ηκ)d = −1.4d: its energy grows 1.96× in one step, so energy
    // descent fails and `reject` answers 422 naming `validate`.
    let board: Vec<f32> = (0..36)
        .map(|i| if (i / 6 + i % 6) % 2 == 0 { 2.0 } else { 1.0 })
        .collect();
    let unstable = |steps: u64| {
        serde_json::json!({"model": "phi4", "params": {"a": 0, "b": 0, "h": 0}, "shape": [6, 6],
            "field": board, "steps": steps, "ensemble": 1, "temperature": 0.0, "step_size": 0.3,
            "validate": "reject"})
        .to_string()
    };
    let (status, v) = post(a, "/predict", &unstable(1));
    assert_eq!(
        (status, v["field"].as_str()),
        (422, Some("validate")),
        "{v}"
    );
    assert!(
        v["error"].as_str().unwrap().contains("energy_descent"),
        "{v}"
    );
    let (status, v) = post(a, "/predict", &unstable(0));
    assert_eq!((status, v["field"].as_str()), (400, Some("steps")), "{v}");
    let (status, _, body) = request(a, "GET", "/healthz", "", None);
    assert!(status == 200 && body.contains("\"ok\""));
    // The model catalogue is the registry: every model built by name, with its parameters.
    let (status, _, body) = request(a, "GET", "/energies", "", None);
    assert_eq!(status, 200);
    let listed: Vec<serde_json::Value> = serde_json::from_str(&body).unwrap();
    let names: Vec<&str> = listed.iter().map(|e| e["name"].as_str().unwrap()).collect();
    let registered: Vec<&str> = idf::EnergyModel::named().map(|s| s.name).collect();
    assert_eq!(names, registered);
    let phi4 = &listed[0];
    assert_eq!(phi4["params"][0]["name"], "kappa");
    assert_eq!(phi4["params"][0]["default"], "1");
    let (status, _, metrics) = request(a, "GET", "/metrics", "", None);
    assert_eq!(status, 200);
    for name in [
        "idf_requests_total",
        "idf_request_duration_seconds",
        "idf_queue_depth",
        "idf_run_energy_change_per_step_bucket",
        "idf_run_entropy_change_per_step_bucket",
        "idf_backend",
    ] {
        assert!(metrics.contains(name), "missing {name}");
    }
    assert!(metrics.contains("route=\"/diffuse\""));
    let (status, _, spec) = request(a, "GET", "/openapi.yaml", "", None);
    assert!(status == 200 && spec.contains("/optimize"));
}

#[test]
fn bad_inputs_are_4xx_naming_the_field_and_the_server_survives() {
    let server = start(
        Limits {
            max_sites: 1 << 16,
            ..Limits::default()
        },
        None,
    );
    let a = server.addr;
    let cases = [
        ("/diffuse", "{not json", 400, ""),
        ("/diffuse", r#"{"model": "potts"}"#, 400, "model"),
        (
            "/diffuse",
            r#"{"model": "phi4", "params": {"kappa": "nan"}}"#,
            400,
            "kappa",
        ),
        (
            "/diffuse",
            r#"{"model": "phi4", "params": {"zeta": 1}}"#,
            400,
            "params.zeta",
        ),
        (
            "/diffuse",
            r#"{"model": "phi4", "shape": [-4, 4]}"#,
            400,
            "shape",
        ),
        (
            "/diffuse",
            r#"{"model": "phi4", "shape": [4096, 4096]}"#,
            413,
            "shape",
        ),
        (
            "/diffuse",
            r#"{"model": "phi4", "shape": [0, 4]}"#,
            400,
            "shape",
        ),
        (
            "/diffuse",
            r#"{"model": "phi4", "shape": [4, 4], "initial": [1, 2, 3]}"#,
            400,
            "initial",
        ),
        (
            "/diffuse",
            r#"{"model": "phi4", "colour": 3}"#,
            400,
            "colour",
        ),
        // Sizes and counts are checked, overflow-safe, before anything is allocated (20.8).
        (
            "/optimize",
            r#"{"graph": {"nodes": 1125899906842624, "edges": []}}"#,
            413,
            "shape",
        ),
        (
            "/optimize",
            r#"{"graph": {"nodes": 4611686018427387904, "edges": []}}"#,
            413,
            "shape",
        ),
        (
            "/optimize",
            r#"{"graph": {"nodes": 30000000, "edges": []}}"#,
            413,
            "shape",
        ),
        (
            "/diffuse",
            r#"{"model": "phi4", "shape": [8, 8], "chains": 2, "burn_in": 18446744073709551615}"#,
            413,
            "steps",
        ),
        (
            "/optimize",
            r#"{"model": "ising", "steps": 0}"#,
            400,
            "steps",
        ),
        (
            "/optimize",
            r#"{"model": "ising", "shape": [8, 8], "replicas": 0}"#,
            400,
            "replicas",
        ),
        (
            "/optimize",
            r#"{"model": "ising", "shape": [8, 8], "replicas": 100000000}"#,
            413,
            "replicas",
        ),
        (
            "/predict",
            r#"{"model": "phi4", "shape": [4, 4], "field": [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], "steps": 3, "ensemble": 0}"#,
            400,
            "ensemble",
        ),
        // Type, missing and unknown keys are named by their path, on every route.
        (
            "/diffuse",
            r#"{"model": "phi4", "return_samples": "yes"}"#,
            400,
            "return_samples",
        ),
        (
            "/diffuse",
            r#"{"model": "phi4", "shape": [2, 2], "initial": [1, 2, "a", 4]}"#,
            400,
            "initial[2]",
        ),
        // A molecular body: its keys are named under `molecular`, nothing else may join it,
        // and its size and work are limited like a scene's.
        (
            "/diffuse",
            r#"{"molecular": {"particles": 32, "denisty": 0.8}}"#,
            400,
            "molecular.denisty",
        ),
        (
            "/diffuse",
            r#"{"molecular": {"particles": 32}, "model": "phi4"}"#,
            400,
            "model",
        ),
        (
            "/diffuse",
            r#"{"molecular": {"particles": 32, "integrator": "leapfrog"}}"#,
            400,
            "integrator",
        ),
        (
            "/diffuse",
            r#"{"molecular": {"particles": 4000, "steps": 100000000}}"#,
            413,
            "steps",
        ),
        (
            "/diffuse",
            r#"{"molecular": {"particles": 13, "cluster": true, "chains": 4, "t_start": 1.0, "t_max": 0.5}}"#,
            400,
            "t_max",
        ),
        // A request names no file on the server.
        (
            "/diffuse",
            r#"{"model": "ising", "resume": {"field": "/tmp/saved.npy", "step": 3}}"#,
            400,
            "resume",
        ),
        (
            "/optimize",
            r#"{"graph": {"edges": []}}"#,
            400,
            "graph.nodes",
        ),
        (
            "/optimize",
            r#"{"graph": {"nodes": 3, "edges": [], "extra": 1}}"#,
            400,
            "graph.extra",
        ),
        // A Metropolis update counts four evaluations (its measured cost): 1.3e9 site updates
        // are 5.2e9 evaluations, over the 4e9 budget (issue 20.9).
        (
            "/diffuse",
            r#"{"model": "ising", "integrator": "metropolis", "shape": [64, 64], "chains": 16, "steps": 20000}"#,
            413,
            "steps",
        ),
        // DDPM's timesteps are its steps: a schedule table of 24 GB once aborted the server.
        (
            "/diffuse",
            r#"{"model": "gmm", "integrator": "ddpm", "steps": 3000000000}"#,
            400,
            "steps",
        ),
        (
            "/diffuse",
            r#"{"model": "gmm", "integrator": "ddpm", "steps": 18446744073709551615}"#,
            400,
            "steps",
        ),
        (
            "/predict",
            r#"{"model": "phi4", "shape": [4, 4], "field": [1, 2], "steps": 3}"#,
            400,
            "field",
        ),
    ];
    for (path, body, expected, field) in cases {
        let (status, v) = post(a, path, body);
        assert_eq!(status, expected, "{body}: {v}");
        assert!(
            v["error"].is_string() || status == 400 && v.is_null() || status == 422,
            "{body}: {v}"
        );
        if !field.is_empty() {
            let named = v["field"].as_str().unwrap_or("").contains(field)
                || v["error"].as_str().unwrap_or("").contains(field);
            assert!(named, "{body}: the answer must name `{field}`: {v}");
        }
        let (ok, _, _) = request(a, "GET", "/healthz", "", None);
        assert_eq!(ok, 200, "the server still answers after {body}");
    }
    let (status, v) = post(
        a,
        "/diffuse",
        r#"{"model": "phi4", "shape": [64, 64], "chains": 4, "steps": 100000000}"#,
    );
    assert_eq!(status, 413, "{v}");
    assert_eq!(v["field"], "steps");
    // The work budget counts each step's evaluations and the energy's cost per site (20.9):
    // HMC's leapfrog steps, a mixture's components.
    let (status, v) = post(
        a,
        "/diffuse",
        r#"{"model": "phi4", "shape": [64, 64], "chains": 8, "steps": 1000, "integrator": "hmc", "leapfrog_steps": 200}"#,
    );
    assert_eq!((status, v["field"].as_str()), (413, Some("steps")), "{v}");
    let k = 300_000;
    let list = |v: &str| vec![v; k].join(",");
    let gmm = serde_json::json!({"model": "gmm", "chains": 32, "steps": 1000,
        "params": {"weights": list("1"), "means": vec!["0"; k].join(";"), "stds": list("1")}});
    let (status, v) = post(a, "/diffuse", &gmm.to_string());
    assert_eq!((status, v["field"].as_str()), (413, Some("steps")), "{v}");
    // The configured 8 MiB body limit holds (not the framework's 2 MiB), and its 413 is JSON.
    let (status, _, body) = request(a, "POST", "/diffuse", &"x".repeat(9 << 20), None);
    assert_eq!(status, 413, "oversized body");
    let v: serde_json::Value = serde_json::from_str(&body).expect("a JSON 413");
    assert_eq!(v["field"], "body");
    let padded = format!(
        r#"{{"model": "phi4", "shape": [4, 4], "chains": 1, "steps": 2, "title": "{}"}}"#,
        "x".repeat(3 << 20)
    );
    assert_eq!(
        post(a, "/diffuse", &padded).0,
        200,
        "a 3 MiB body is under the limit"
    );
    // A wrong method is a JSON 405; type, missing and unknown keys name the field (20.12).
    let (status, _, body) = request(a, "GET", "/diffuse", "", None);
    assert_eq!(status, 405);
    assert!(serde_json::from_str::<serde_json::Value>(&body).unwrap()["error"].is_string());
    for (path, body, field) in [
        (
            "/optimize",
            r#"{"model": "ising", "replicas": "many"}"#,
            "replicas",
        ),
        ("/optimize", r#"{"model": "ising", "colour": 1}"#, "colour"),
        (
            "/predict",
            r#"{"model": "phi4", "shape": [4, 4], "steps": 3}"#,
            "field",
        ),
    ] {
        let (status, v) = post(a, path, body);
        assert_eq!(
            (status, v["field"].as_str()),
            (400, Some(field)),
            "{body}: {v}"
        );
    }
}

#[test]
fn a_burst_past_the_queue_gets_503_and_every_accepted_request_an_answer() {
    let server = start(
        Limits {
            queue: 1,
            ..Limits::default()
        },
        None,
    );
    let a = server.addr;
    let handles: Vec<_> = (0..6)
        .map(|_| std::thread::spawn(move || post(a, "/diffuse", r#"{"model": "phi4", "shape": [64, 64], "chains": 4, "steps": 3000, "return_samples": false}"#).0))
        .collect();
    let statuses: Vec<u16> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    assert!(
        statuses.iter().all(|s| *s == 200 || *s == 503),
        "{statuses:?}"
    );
    assert!(
        statuses.contains(&200) && statuses.contains(&503),
        "{statuses:?}"
    );
    // A refused request says when to come back.
    let busy = std::thread::spawn(move || {
        post(
            a,
            "/diffuse",
            r#"{"model": "phi4", "shape": [64, 64], "chains": 4, "steps": 3000}"#,
        )
    });
    std::thread::sleep(Duration::from_millis(20));
    let (status, head, _) = request(
        a,
        "POST",
        "/diffuse",
        r#"{"model": "phi4", "shape": [8, 8]}"#,
        None,
    );
    if status == 503 {
        assert!(
            head.to_ascii_lowercase().contains("retry-after: 1"),
            "{head}"
        );
    }
    assert_eq!(busy.join().unwrap().0, 200);
}

#[test]
fn bearer_token_is_required_when_set() {
    let server = start(Limits::default(), Some("s3cret"));
    let a = server.addr;
    let body = r#"{"model": "phi4", "shape": [4, 4], "steps": 5}"#;
    assert_eq!(request(a, "POST", "/diffuse", body, None).0, 401);
    assert_eq!(request(a, "POST", "/diffuse", body, Some("wrong")).0, 401);
    assert_eq!(request(a, "POST", "/diffuse", body, Some("s3cret")).0, 200);
    assert_eq!(request(a, "GET", "/healthz", "", None).0, 200);
}

#[test]
fn energy_law_gating_rejects_or_flags() {
    let server = start(Limits::default(), None);
    // Heat flow past its stability limit (r = 0.3) breaks the second law.
    let body = |gate: &str| {
        format!(
            r#"{{"model": "phi4", "params": {{"kappa": 1, "a": 0, "b": 0}}, "shape": [16, 16], "chains": 1,
        "temperature": 0, "step_size": 0.3, "steps": 60, "record_every": 1, "validate": "{gate}"}}"#
        )
    };
    let (status, v) = post(server.addr, "/diffuse", &body("reject"));
    assert_eq!(status, 422, "{v}");
    assert!(v["error"].as_str().unwrap().contains("failed"), "{v}");
    let (status, v) = post(server.addr, "/diffuse", &body("flag"));
    assert_eq!(status, 200);
    assert!(
        !v["verdict"]["violations"].as_array().unwrap().is_empty() && v["verdict"]["elf"] == 0.0,
        "{v}"
    );
}

#[test]
fn checked_in_openapi_matches_the_code() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/api_docs/diffusion_openapi.yaml"
    );
    let checked_in = std::fs::read_to_string(path).unwrap();
    assert!(
        checked_in == idf::api::openapi_yaml(),
        "api_docs/diffusion_openapi.yaml is stale: regenerate it with `idf serve --openapi > api_docs/diffusion_openapi.yaml`"
    );
}

/// A request that times out stops its job at the next segment and frees the device: the next
/// small request is answered at once, not after the abandoned one (issue 20.10).
#[test]
fn a_timed_out_request_frees_the_device() {
    let server = start(
        Limits {
            timeout: Duration::from_secs(2),
            ..Limits::default()
        },
        None,
    );
    let a = server.addr;
    // About 1.3e9 site updates: some 18 s on these CPUs, about 0.9 s per segment.
    let long = r#"{"model": "phi4", "shape": [64, 64], "chains": 16, "steps": 20000, "record_every": 1000, "return_samples": false}"#;
    let started = std::time::Instant::now();
    let (status, v) = post(a, "/diffuse", long);
    assert_eq!(status, 504, "{v}");
    let (status, v) = post(
        a,
        "/diffuse",
        r#"{"model": "phi4", "shape": [4, 4], "chains": 1, "steps": 2}"#,
    );
    assert_eq!(status, 200, "{v}");
    // Without the stop the small request would wait for the whole long job, past its own 2 s.
    let waited = started.elapsed();
    assert!(
        waited < Duration::from_secs(6),
        "the small request waited {waited:?}"
    );
}

/// A request cannot make its error answer as large as itself: strings it sends are echoed cut
/// (issue 20, smaller).
#[test]
fn long_strings_are_not_echoed_in_full() {
    let server = start(Limits::default(), None);
    let big = "x".repeat(200_000);
    for (path, body) in [
        ("/diffuse", format!(r#"{{"integrator": "{big}"}}"#)),
        ("/diffuse", format!(r#"{{"{big}": 1}}"#)),
        (
            "/diffuse",
            format!(r#"{{"model": "phi4", "params": {{"kappa": "{big}"}}}}"#),
        ),
        (
            "/optimize",
            format!(r#"{{"model": "ising", "method": "{big}"}}"#),
        ),
    ] {
        let (status, _, answer) = request(server.addr, "POST", path, &body, None);
        assert_eq!(status, 400, "{path}");
        assert!(answer.len() < 2_000, "{path}: {} bytes", answer.len());
        assert!(answer.contains("bytes cut"), "{path}: {answer}");
    }
}

/// An abandoned `/optimize` run stops too, population annealing and annealing included: their
/// runs end a segment after about 0.1 s of CPU work, however large the field (issue 20.10).
#[test]
fn an_abandoned_optimization_frees_the_device() {
    let server = start(Limits::default(), None);
    for method in ["population", "anneal", "tempering"] {
        let body = format!(
            r#"{{"model": "ising", "shape": [128, 128], "replicas": 16, "method": "{method}", "steps": 10000}}"#
        );
        let mut s = TcpStream::connect(server.addr).unwrap();
        write!(s, "POST /optimize HTTP/1.1\r\nHost: idf\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}", body.len()).unwrap();
        std::thread::sleep(Duration::from_millis(500));
        drop(s);
        let started = std::time::Instant::now();
        let (status, v) = post(
            server.addr,
            "/diffuse",
            r#"{"model": "phi4", "shape": [4, 4], "chains": 1, "steps": 2}"#,
        );
        assert_eq!(status, 200, "{method}: {v}");
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "{method}: the next request waited {:?}",
            started.elapsed()
        );
    }
}

/// The service uses the configuration it is given: `Diffusion.batchSize` sets the default
/// chains of a scene, and the `Serve` section the limits (issue 20.12).
#[test]
fn the_service_uses_its_configuration() {
    let config = idf::Config::parse(
        "Diffusion:\n  batchSize: 3\nServe:\n  maxSites: 100\n",
        std::path::Path::new("idf.yaml"),
    )
    .unwrap();
    let limits = Limits::from(&config.serve);
    assert_eq!(limits.max_sites, 100);
    let server = start_with(config, limits, None);
    let (status, v) = post(
        server.addr,
        "/diffuse",
        r#"{"model": "phi4", "shape": [4, 4], "steps": 2}"#,
    );
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["shape"][0], 3, "chains from Diffusion.batchSize");
    let (status, v) = post(
        server.addr,
        "/diffuse",
        r#"{"model": "phi4", "shape": [8, 8], "chains": 2, "steps": 2}"#,
    );
    assert_eq!((status, v["field"].as_str()), (413, Some("shape")), "{v}");
}

/// The metrics pass `promtool check metrics` (Prometheus's own linter, which `make test-tools`
/// unpacks into benches/.tools), with every series present (issue 20.15).
#[test]
fn metrics_pass_promtool() {
    let promtool =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/.tools/usr/bin/promtool");
    if !promtool.exists() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "CI=true but promtool is missing: `make test-tools` unpacks it"
        );
        eprintln!("promtool missing: the metrics were not linted");
        return;
    }
    let metrics = idf::api::metrics::Metrics::new("cpu");
    metrics
        .requests
        .with_label_values(&["/diffuse", "200"])
        .inc();
    metrics
        .latency
        .with_label_values(&["/diffuse", "200"])
        .observe(0.01);
    metrics.delta_e.observe(-0.02);
    metrics.delta_s.observe(0.001);
    metrics.elf.observe(1.0);
    let mut child = std::process::Command::new(promtool)
        .args(["check", "metrics"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(metrics.render().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success() && said.trim().is_empty(),
        "promtool: {said}"
    );
}

/// The checked-in spec is valid OpenAPI, by a validator we did not write (openapi-spec-validator
/// from PyPI, which `make test` installs into benches/.venv), and every served route is in it.
#[test]
fn the_spec_is_valid_openapi_and_lists_every_route() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let spec = root.join("api_docs/diffusion_openapi.yaml");
    let text = std::fs::read_to_string(&spec).unwrap();
    for route in [
        "/diffuse",
        "/diffusion/sample",
        "/optimize",
        "/diffusion/optimize",
        "/predict",
        "/energies",
        "/healthz",
        "/metrics",
        "/openapi.yaml",
    ] {
        assert!(
            text.contains(&format!("\n  {route}:\n")),
            "{route} is not in the spec"
        );
    }
    let Some(python) =
        crate::common::test_tool("benches/.venv/bin/python", "the spec was not validated")
    else {
        return;
    };
    let out = std::process::Command::new(python)
        .args([
            "-c",
            "import sys\nfrom openapi_spec_validator import validate\n\
             from openapi_spec_validator.readers import read_from_filename\n\
             validate(read_from_filename(sys.argv[1])[0])",
        ])
        .arg(&spec)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "openapi-spec-validator rejects the spec:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `idf serve` on SIGTERM (what Kubernetes sends) answers the requests it accepted and exits,
/// even with a client that never finishes its body: the drain has a deadline (issue 20.11).
#[test]
fn sigterm_drains_accepted_requests_and_exits() {
    let mut server = std::process::Command::new(env!("CARGO_BIN_EXE_idf"))
        .env("IDF_CACHE_DIR", "")
        .args([
            "serve",
            "--addr",
            "127.0.0.1:0",
            "--backend",
            "cpu",
            "--timeout-s",
            "5",
        ])
        .env_remove("IDF_API_TOKEN")
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = std::io::BufReader::new(server.stderr.take().unwrap());
    let mut first = String::new();
    std::io::BufRead::read_line(&mut lines, &mut first).unwrap();
    let addr: SocketAddr = first
        .split("http://")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("no address in {first:?}"))
        .parse()
        .unwrap();
    // An accepted request of about a second in a dev build (several under the load of a
    // parallel test run, hence the 5 s timeout), and a client that sends half its body and waits.
    let accepted = std::thread::spawn(move || {
        post(
            addr,
            "/diffuse",
            r#"{"model": "phi4", "shape": [64, 64], "chains": 8, "steps": 500, "record_every": 100, "return_samples": false}"#,
        )
    });
    let mut stalled = TcpStream::connect(addr).unwrap();
    write!(stalled, "POST /diffuse HTTP/1.1\r\nHost: idf\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{{\"model\"").unwrap();
    std::thread::sleep(Duration::from_millis(300));
    let term = std::process::Command::new("kill")
        .args(["-TERM", &server.id().to_string()])
        .status()
        .unwrap();
    assert!(term.success());
    let (status, v) = accepted.join().unwrap();
    assert_eq!(status, 200, "the accepted request is answered: {v}");
    // The drain waits at most the request timeout and its 5 s grace for the stalled client.
    let started = std::time::Instant::now();
    let exit = loop {
        if let Some(exit) = server.try_wait().unwrap() {
            break exit;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "idf serve did not exit"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(exit.success(), "{exit:?}");
}

#[test]
fn shutdown_finishes_accepted_requests() {
    let mut server = start(Limits::default(), None);
    let a = server.addr;
    let slow = std::thread::spawn(move || {
        post(a, "/diffuse", r#"{"model": "phi4", "shape": [64, 64], "chains": 4, "steps": 3000, "return_samples": false}"#).0
    });
    std::thread::sleep(Duration::from_millis(100));
    let _ = server.stop.take().unwrap().send(());
    assert_eq!(
        slow.join().unwrap(),
        200,
        "the request in flight is answered"
    );
    server.thread.take().unwrap().join().unwrap();
    assert!(
        TcpStream::connect(a).is_err(),
        "the server has stopped listening"
    );
}

/// Requests that wait for the device with one run configuration are served by one run, and each
/// gets the answer a service without batching gives it (issue 20.13).
#[test]
fn waiting_requests_share_a_run_and_keep_their_answers() {
    let batching = start(Limits::default(), None);
    let alone = start(
        Limits {
            batch: false,
            ..Limits::default()
        },
        None,
    );
    let a = batching.addr;
    // Holds the device (another configuration) while the small requests queue up behind it.
    let blocker = std::thread::spawn(move || {
        post(a, "/diffuse", r#"{"model": "phi4", "shape": [64, 64], "chains": 8, "steps": 2000, "return_samples": false}"#).0
    });
    std::thread::sleep(Duration::from_millis(300));
    let body = |seed: u32| {
        format!(
            r#"{{"model": "phi4", "shape": [16, 16], "chains": 2, "steps": 100, "seed": {seed}}}"#
        )
    };
    let waiting: Vec<_> = (0..6u32)
        .map(|seed| {
            let body = body(seed);
            std::thread::spawn(move || post(a, "/diffuse", &body))
        })
        .collect();
    let answers: Vec<(u16, serde_json::Value)> =
        waiting.into_iter().map(|h| h.join().unwrap()).collect();
    assert_eq!(blocker.join().unwrap(), 200);
    for (seed, (status, got)) in answers.iter().enumerate() {
        assert_eq!(*status, 200, "{got}");
        let (status, own) = post(alone.addr, "/diffuse", &body(seed as u32));
        assert_eq!(status, 200, "{own}");
        for key in [
            "samples",
            "energies",
            "entropy",
            "estimates",
            "delta_e",
            "delta_s",
            "verdict",
        ] {
            assert_eq!(got[key], own[key], "seed {seed}: {key}");
        }
    }
    let (_, _, metrics) = request(a, "GET", "/metrics", "", None);
    let value = |name: &str| -> f64 {
        metrics
            .lines()
            .find_map(|l| l.strip_prefix(name)?.trim().parse().ok())
            .unwrap()
    };
    let (requests, runs) = (
        value("idf_run_batch_requests_sum"),
        value("idf_run_batch_requests_count"),
    );
    assert_eq!(requests, 7.0, "{metrics}");
    assert!(runs < 7.0, "7 requests took {runs} runs");
}

/// A connection that sends nothing, or stalls within a request's head, is closed after the
/// head timeout, and the server answers others meanwhile (issue 20.11).
#[test]
fn stalled_connections_are_closed() {
    let server = start(Limits::default(), None);
    let stalled: Vec<_> = [&b""[..], b"POST /diffuse HTTP/1.1\r\nHost"]
        .into_iter()
        .map(|sent| {
            let mut s = TcpStream::connect(server.addr).unwrap();
            s.write_all(sent).unwrap();
            s.set_read_timeout(Some(idf::api::HEADER_READ_TIMEOUT + Duration::from_secs(5)))
                .unwrap();
            s
        })
        .collect();
    let (status, _, _) = request(server.addr, "GET", "/healthz", "", None);
    assert_eq!(status, 200);
    let started = std::time::Instant::now();
    for mut s in stalled {
        let mut buf = [0u8; 64];
        // Closed: the read ends with no bytes (or a reset), not by the read timeout.
        match s.read(&mut buf) {
            Ok(n) => assert_eq!(n, 0, "{:?}", String::from_utf8_lossy(&buf[..n])),
            Err(e) => assert!(
                !matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ),
                "still open after {:?}",
                started.elapsed()
            ),
        }
    }
}

/// With a forecaster checkpoint (`idf serve --checkpoint`), POST /predict forecasts with the
/// network: the ensemble mean and spread of a heat-flow map two leads ahead; the physics keys,
/// another shape, unknown conditions and bad sampler steps are 400s naming the field. Without
/// one, `conditions` is refused and `model` is required.
#[cfg(feature = "neural")]
#[test]
fn predict_uses_a_forecaster_checkpoint() {
    use idf::jobs::dataset::{synth, GridAxis, Shard, SynthSpec};
    use idf::jobs::denoiser::forecast::{forecast_dataset, Forecaster};
    let path = std::env::temp_dir().join(format!("idf-api-forecast-{}.h5", std::process::id()));
    let spec = SynthSpec {
        model: "heat_flow".into(),
        params: Vec::new(),
        temperature: 1.0,
        grid: vec!["time=0.2,0.4,0.6".parse::<GridAxis>().unwrap()],
        size: [6, 6],
        samples: 40,
        chains: 40,
        burn_in: 0,
        pilot: 0,
        seed: 1,
        shard: Shard::ALL,
    };
    synth(
        &Context::cpu(),
        &idf::Config::default(),
        &spec,
        &path,
        &mut |_, _| {},
    )
    .unwrap();
    let atlas = idf::io::atlas::Atlas::open(&path).unwrap();
    let (data, pairs) = forecast_dataset(&atlas, 1).unwrap();
    let denoiser = idf::neural::train_denoiser(
        &data,
        idf::neural::DenoiserShape::default(),
        &idf::EnergyScheduler::cosine(100).unwrap(),
        &idf::neural::TrainingOptions {
            steps: 50,
            batch_size: 32,
            ..Default::default()
        },
        &mut |_, _| {},
    )
    .unwrap()
    .denoiser;
    let forecaster = Forecaster {
        path: "heat.ckpt".into(),
        denoiser,
        map_shape: [1, 6, 6],
        condition_names: pairs.condition_names.clone(),
        condition_range: vec![[1.0, 1.0], [0.2, 0.2]],
        lead: 1,
        dynamics: Some("heat_flow".into()),
    };
    let server = start_set_up(
        idf::Config::default(),
        Limits::default(),
        None,
        move |state| state.set_forecaster(forecaster),
    );
    let a = server.addr;
    let field: Vec<f32> = atlas.read_maps(&[0]).unwrap();
    let body = |extra: serde_json::Value| {
        let mut v = serde_json::json!({"shape": [6, 6], "field": field, "steps": 2, "ensemble": 4, "sampler_steps": 10});
        for (k, x) in extra.as_object().unwrap() {
            v[k] = x.clone();
        }
        v.to_string()
    };
    let (status, v) = post(a, "/predict", &body(serde_json::json!({})));
    assert_eq!(status, 200, "{v}");
    assert!(
        v["method"]
            .as_str()
            .unwrap()
            .contains("forecaster heat.ckpt"),
        "{v}"
    );
    let (mean, std) = (v["mean"].as_array().unwrap(), v["std"].as_array().unwrap());
    assert_eq!((mean.len(), std.len()), (36, 36));
    assert!(std.iter().any(|s| s.as_f64().unwrap() > 0.0));
    // Each member's forecast is checked against the laws the heat equation's own rollout keeps
    // on this map (energy descent and mass conservation on any map); the ELF is the share of
    // members that broke none, and `validate: reject` turns a broken law into a 422.
    let verdict = &v["verdict"];
    let laws = verdict["laws"].as_array().unwrap();
    assert!(
        laws.contains(&"energy_descent".into()) && laws.contains(&"mass_conservation".into()),
        "{verdict}"
    );
    let violations: Vec<&str> = verdict["violations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_str().unwrap())
        .collect();
    let members_broken: std::collections::BTreeSet<&str> = violations
        .iter()
        .map(|x| {
            x.split("for chain ")
                .nth(1)
                .unwrap()
                .split(' ')
                .next()
                .unwrap()
        })
        .collect();
    assert_eq!(
        verdict["elf"].as_f64(),
        Some(1.0 - members_broken.len() as f64 / 4.0),
        "{verdict}"
    );
    let (status, rejected) = post(
        a,
        "/predict",
        &body(serde_json::json!({"validate": "reject"})),
    );
    match violations.first() {
        None => assert_eq!(status, 200, "{rejected}"),
        Some(first) => {
            assert_eq!(
                (status, rejected["field"].as_str()),
                (422, Some("validate")),
                "{rejected}"
            );
            assert!(rejected["error"].as_str().unwrap().contains(first));
        }
    }
    for (extra, field) in [
        (serde_json::json!({"model": "phi4"}), "model"),
        (serde_json::json!({"temperature": 1.0}), "temperature"),
        (serde_json::json!({"shape": [8, 8]}), "shape"),
        (
            serde_json::json!({"conditions": {"bogus": 1.0}}),
            "conditions",
        ),
        (serde_json::json!({"sampler_steps": 0}), "sampler_steps"),
        (serde_json::json!({"steps": 0}), "steps"),
    ] {
        let (status, v) = post(a, "/predict", &body(extra.clone()));
        assert_eq!(
            (status, v["field"].as_str()),
            (400, Some(field)),
            "{extra}: {v}"
        );
    }
    drop(server);
    let plain = start(Limits::default(), None);
    let (status, v) = post(
        plain.addr,
        "/predict",
        &body(serde_json::json!({"model": "phi4", "conditions": {"kappa": 1.0}})),
    );
    assert_eq!(
        (status, v["field"].as_str()),
        (400, Some("conditions")),
        "{v}"
    );
    let (status, v) = post(
        plain.addr,
        "/predict",
        &serde_json::json!({"shape": [2, 2], "field": [0.0, 0.0, 0.0, 0.0], "steps": 1})
            .to_string(),
    );
    assert_eq!((status, v["field"].as_str()), (400, Some("model")), "{v}");
    std::fs::remove_file(&path).ok();
}
