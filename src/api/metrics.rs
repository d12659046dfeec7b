//! Prometheus metrics of the service: request counts and latency histograms by route and
//! status, queue depth, the ΔE, ΔS and ELF of recent runs, and the backend.

use prometheus::{
    Encoder, Gauge, HistogramOpts, HistogramVec, IntCounterVec, IntGauge, IntGaugeVec, Opts,
    Registry, TextEncoder,
};

/// The service's metrics and their registry.
pub struct Metrics {
    registry: Registry,
    /// Requests by route and status.
    pub requests: IntCounterVec,
    /// Latency by route and status, in seconds.
    pub latency: HistogramVec,
    /// Jobs waiting for or holding the device.
    pub queue_depth: IntGauge,
    /// ΔE per step of the last run.
    pub delta_e: Gauge,
    /// ΔS per step of the last run.
    pub delta_s: Gauge,
    /// ELF of the last run with a law to check.
    pub elf: Gauge,
    /// 1 for the backend in use.
    pub backend: IntGaugeVec,
    /// 1 while events reach Kafka, 0 while the broker is down.
    pub kafka_up: IntGauge,
    /// Failed Kafka connections and productions.
    pub kafka_errors: prometheus::IntCounter,
    /// Events dropped because Kafka could not take them.
    pub kafka_dropped: prometheus::IntCounter,
}

impl Metrics {
    /// Registers every metric.
    pub fn new(backend: &str) -> Self {
        let registry = Registry::new();
        let requests = IntCounterVec::new(
            Opts::new("idf_requests_total", "HTTP requests by route and status"),
            &["route", "status"],
        )
        .expect("valid metric");
        let latency = HistogramVec::new(
            HistogramOpts::new("idf_request_duration_seconds", "HTTP request latency")
                .buckets(prometheus::exponential_buckets(0.001, 2.0, 16).expect("buckets")),
            &["route", "status"],
        )
        .expect("valid metric");
        let queue_depth =
            IntGauge::new("idf_queue_depth", "jobs waiting for or holding the device")
                .expect("valid metric");
        let delta_e = Gauge::new(
            "idf_last_delta_e",
            "mean energy change per step of the last run",
        )
        .expect("valid metric");
        let delta_s = Gauge::new(
            "idf_last_delta_s",
            "mean entropy change per step of the last run",
        )
        .expect("valid metric");
        let elf = Gauge::new(
            "idf_last_elf",
            "energy-law fidelity of the last run with an applicable law",
        )
        .expect("valid metric");
        let backend_gauge =
            IntGaugeVec::new(Opts::new("idf_backend", "the backend in use"), &["backend"])
                .expect("valid metric");
        let kafka_up =
            IntGauge::new("idf_kafka_up", "1 while events reach Kafka").expect("valid metric");
        let kafka_errors = prometheus::IntCounter::new(
            "idf_kafka_errors_total",
            "failed Kafka connections and productions",
        )
        .expect("valid metric");
        let kafka_dropped = prometheus::IntCounter::new(
            "idf_kafka_dropped_events_total",
            "events Kafka could not take",
        )
        .expect("valid metric");
        for m in [
            Box::new(requests.clone()) as Box<dyn prometheus::core::Collector>,
            Box::new(latency.clone()),
            Box::new(queue_depth.clone()),
            Box::new(delta_e.clone()),
            Box::new(delta_s.clone()),
            Box::new(elf.clone()),
            Box::new(backend_gauge.clone()),
            Box::new(kafka_up.clone()),
            Box::new(kafka_errors.clone()),
            Box::new(kafka_dropped.clone()),
        ] {
            registry.register(m).expect("unique metric names");
        }
        backend_gauge.with_label_values(&[backend]).set(1);
        Metrics {
            registry,
            requests,
            latency,
            queue_depth,
            delta_e,
            delta_s,
            elf,
            backend: backend_gauge,
            kafka_up,
            kafka_errors,
            kafka_dropped,
        }
    }

    /// The Prometheus text exposition.
    pub fn render(&self) -> String {
        let mut out = Vec::new();
        TextEncoder::new()
            .encode(&self.registry.gather(), &mut out)
            .expect("text encoding");
        String::from_utf8(out).expect("utf-8 metrics")
    }
}
