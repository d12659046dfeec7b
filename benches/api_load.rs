//! Load on the HTTP API: N concurrent clients send a fixed count of `/diffuse` requests to a
//! server on 127.0.0.1, once with every request run alone (`batch: false`, the service before
//! batching) and once with compatible waiting requests batched into one multi-chain run;
//! reports throughput, p50/p99 latency, the answers by status and the mean requests per run,
//! and the ratios of the two in one run. Fails if any request got no answer. The CPU backend
//! unless `IDF_BACKEND` names another.
//! `cargo bench --bench api_load`; under `cargo test` a small run.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use idf::api::{serve, ApiState, Limits};
use idf::Context;

/// Sends one request; the status and the body, or `None` if no answer came.
fn request(addr: SocketAddr, method: &str, path: &str, body: &str) -> Option<(u16, String)> {
    let mut s = TcpStream::connect(addr).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(120))).ok()?;
    write!(s, "{method} {path} HTTP/1.1\r\nHost: idf\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len()).ok()?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).ok()?;
    let text = String::from_utf8_lossy(&raw).to_string();
    let status = text.split_whitespace().nth(1)?.parse().ok()?;
    let body = text.split_once("\r\n\r\n").map(|(_, b)| b.to_string())?;
    Some((status, body))
}

/// What one load run measured.
struct Load {
    answered: usize,
    ok: usize,
    busy: usize,
    lost: usize,
    per_second: f64,
    p50_ms: f64,
    p99_ms: f64,
    requests_per_run: f64,
}

/// `clients` clients each send `per_client` requests to a fresh server on `ctx`.
fn load(ctx: &Context, batch: bool, clients: usize, per_client: usize) -> Load {
    let ctx = ctx.clone();
    let (tx, rx) = std::sync::mpsc::channel();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = std::thread::spawn(move || {
        tokio::runtime::Runtime::new()
            .unwrap()
            .block_on(async move {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                tx.send(listener.local_addr().unwrap()).unwrap();
                let state = ApiState::new(
                    ctx,
                    idf::Config::default(),
                    Limits {
                        queue: 32,
                        batch,
                        ..Limits::default()
                    },
                    None,
                );
                serve(listener, state, async {
                    let _ = stopped.await;
                })
                .await
                .unwrap();
            })
    });
    let addr = rx.recv().unwrap();
    let body = r#"{"model": "phi4", "shape": [32, 32], "chains": 2, "steps": 200, "return_samples": false}"#;
    let started = Instant::now();
    let handles: Vec<_> = (0..clients)
        .map(|c| {
            std::thread::spawn(move || {
                (0..per_client)
                    .map(|k| {
                        // Each client its own seeds: the answers differ, the run configuration
                        // does not.
                        let body = body.replace('}', &format!(", \"seed\": {}}}", c * 1000 + k));
                        let t = Instant::now();
                        let status = request(addr, "POST", "/diffuse", &body).map(|(s, _)| s);
                        (status, t.elapsed().as_secs_f64() * 1e3)
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let results: Vec<(Option<u16>, f64)> = handles
        .into_iter()
        .flat_map(|h| h.join().unwrap())
        .collect();
    let wall = started.elapsed().as_secs_f64();
    let metrics = request(addr, "GET", "/metrics", "").map_or(String::new(), |(_, b)| b);
    let metric = |name: &str| -> f64 {
        metrics
            .lines()
            .find_map(|l| l.strip_prefix(name)?.trim().parse().ok())
            .unwrap_or(f64::NAN)
    };
    let requests_per_run =
        metric("idf_run_batch_requests_sum") / metric("idf_run_batch_requests_count");
    let _ = stop.send(());
    server.join().unwrap();
    let lost = results.iter().filter(|(s, _)| s.is_none()).count();
    let mut latencies: Vec<f64> = results
        .iter()
        .filter(|(s, _)| *s == Some(200))
        .map(|(_, t)| *t)
        .collect();
    latencies.sort_by(f64::total_cmp);
    let pct = |p: f64| {
        latencies
            .get(((latencies.len() as f64 - 1.0) * p).round() as usize)
            .copied()
            .unwrap_or(f64::NAN)
    };
    Load {
        answered: results.len() - lost,
        ok: results.iter().filter(|(s, _)| *s == Some(200)).count(),
        busy: results.iter().filter(|(s, _)| *s == Some(503)).count(),
        lost,
        per_second: results.len() as f64 / wall,
        p50_ms: pct(0.5),
        p99_ms: pct(0.99),
        requests_per_run,
    }
}

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let (clients, per_client) = if full { (16, 50) } else { (4, 5) };
    // The CPU unless IDF_BACKEND names another (gpu: lavapipe here, a real GPU elsewhere).
    let ctx = match std::env::var("IDF_BACKEND") {
        Ok(_) => Context::new().expect("the backend IDF_BACKEND names"),
        Err(_) => Context::cpu(),
    };
    let body = "φ⁴ 32×32, 2 chains, 200 steps";
    println!(
        "{clients} clients x {per_client} POST /diffuse ({body}) on {}",
        ctx.describe()
    );
    let mut runs = Vec::new();
    for (name, batch) in [("alone", false), ("batched", true)] {
        let l = load(&ctx, batch, clients, per_client);
        println!(
            "  {name:8} {} answered ({} ok, {} busy), {} lost; {:.1} requests/s; p50 {:.1} ms, \
             p99 {:.1} ms; {:.2} requests per run",
            l.answered, l.ok, l.busy, l.lost, l.per_second, l.p50_ms, l.p99_ms, l.requests_per_run
        );
        assert_eq!(l.lost, 0, "every request must be answered");
        runs.push(l);
    }
    let (alone, batched) = (&runs[0], &runs[1]);
    println!(
        "  batched / alone: {:.2}x the requests/s, {:.2}x the p99 latency",
        batched.per_second / alone.per_second,
        batched.p99_ms / alone.p99_ms
    );
}
