//! Kafka events (feature `kafka`): every completed request publishes a JSON event (request id,
//! route, model, shape, steps, ΔE, ΔS, verdict, latency) to the topic `energy.diffusion.events`.
//! Handlers hand events to a bounded channel and never wait on Kafka; a background task connects,
//! creates the topic if needed and produces. While the broker is down the service keeps serving:
//! the task logs it, sets `idf_kafka_up` to 0, counts `idf_kafka_errors_total` and events it had
//! to drop, and reconnects.

use std::collections::BTreeMap;
use std::time::Duration;

use prometheus::{IntCounter, IntGauge};
use rskafka::client::partition::{Compression, UnknownTopicHandling};
use rskafka::client::ClientBuilder;
use rskafka::record::Record;
use tokio::sync::mpsc;

/// The topic events go to.
pub const TOPIC: &str = "energy.diffusion.events";
const QUEUE: usize = 1024;
const TIMEOUT: Duration = Duration::from_secs(5);

/// Where handlers put events.
#[derive(Clone)]
pub struct EventSink {
    tx: mpsc::Sender<serde_json::Value>,
    dropped: IntCounter,
}

impl EventSink {
    /// Starts the producer task for `brokers` (host:port, comma-separated) on the current runtime.
    pub fn start(brokers: &str, up: IntGauge, errors: IntCounter, dropped: IntCounter) -> Self {
        let (tx, rx) = mpsc::channel(QUEUE);
        let brokers: Vec<String> = brokers.split(',').map(|b| b.trim().to_string()).collect();
        tokio::spawn(produce_forever(brokers, rx, up, errors));
        EventSink { tx, dropped }
    }

    /// Queues an event; if the queue is full (the broker is down or slow) it is dropped and counted.
    pub fn publish(&self, event: serde_json::Value) {
        if self.tx.try_send(event).is_err() {
            self.dropped.inc();
        }
    }
}

async fn produce_forever(
    brokers: Vec<String>,
    mut rx: mpsc::Receiver<serde_json::Value>,
    up: IntGauge,
    errors: IntCounter,
) {
    loop {
        let connected = async {
            let client = tokio::time::timeout(TIMEOUT, ClientBuilder::new(brokers.clone()).build())
                .await
                .map_err(|_| "timed out".to_string())?
                .map_err(|e| e.to_string())?;
            if let Ok(controller) = client.controller_client() {
                // "Already exists" is fine; anything else shows up when producing.
                let _ = tokio::time::timeout(TIMEOUT, controller.create_topic(TOPIC, 1, 1, 5_000))
                    .await;
            }
            tokio::time::timeout(
                TIMEOUT,
                client.partition_client(TOPIC, 0, UnknownTopicHandling::Retry),
            )
            .await
            .map_err(|_| "timed out".to_string())?
            .map_err(|e| e.to_string())
        }
        .await;
        let partition = match connected {
            Ok(p) => p,
            Err(e) => {
                up.set(0);
                errors.inc();
                eprintln!(
                    "idf serve: Kafka at {} unavailable ({e}); serving without events, retrying",
                    brokers.join(",")
                );
                tokio::time::sleep(TIMEOUT).await;
                continue;
            }
        };
        up.set(1);
        while let Some(event) = rx.recv().await {
            let record = Record {
                key: event["request_id"]
                    .as_u64()
                    .map(|id| id.to_string().into_bytes()),
                value: Some(event.to_string().into_bytes()),
                headers: BTreeMap::new(),
                timestamp: chrono::Utc::now(),
            };
            let sent = tokio::time::timeout(
                TIMEOUT,
                partition.produce(vec![record], Compression::NoCompression),
            )
            .await;
            if !matches!(sent, Ok(Ok(_))) {
                up.set(0);
                errors.inc();
                eprintln!("idf serve: producing to Kafka failed; reconnecting");
                break;
            }
        }
        if rx.is_closed() {
            return;
        }
    }
}
