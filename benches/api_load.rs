//! Load on the HTTP API: N concurrent clients send a fixed count of `/diffuse` requests to a
//! server on 127.0.0.1; reports throughput, p50/p99 latency and the answers by status, and fails
//! if any request got no answer. `cargo bench --bench api_load`; under `cargo test` a small run.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use idf::api::{serve, ApiState, Limits};
use idf::Context;

fn post(addr: SocketAddr, body: &str) -> Option<u16> {
    let mut s = TcpStream::connect(addr).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(120))).ok()?;
    write!(s, "POST /diffuse HTTP/1.1\r\nHost: idf\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len()).ok()?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).ok()?;
    String::from_utf8_lossy(&raw)
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let (clients, per_client) = if full { (16, 50) } else { (4, 5) };
    let (tx, rx) = std::sync::mpsc::channel();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = std::thread::spawn(move || {
        tokio::runtime::Runtime::new()
            .unwrap()
            .block_on(async move {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                tx.send(listener.local_addr().unwrap()).unwrap();
                let state = ApiState::new(
                    Context::cpu(),
                    idf::Config::default(),
                    Limits {
                        queue: 32,
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
        .map(|_| {
            std::thread::spawn(move || {
                (0..per_client)
                    .map(|_| {
                        let t = Instant::now();
                        (post(addr, body), t.elapsed().as_secs_f64() * 1e3)
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
    let _ = stop.send(());
    server.join().unwrap();
    let lost = results.iter().filter(|(s, _)| s.is_none()).count();
    let ok = results.iter().filter(|(s, _)| *s == Some(200)).count();
    let busy = results.iter().filter(|(s, _)| *s == Some(503)).count();
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
    println!(
        "{clients} clients x {per_client} requests: {} answered ({ok} ok, {busy} busy), {lost} lost; {:.1} requests/s; p50 {:.1} ms, p99 {:.1} ms",
        results.len() - lost,
        results.len() as f64 / wall,
        pct(0.5),
        pct(0.99)
    );
    assert_eq!(lost, 0, "every request must be answered");
}
