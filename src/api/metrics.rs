//! Prometheus metrics of the service: request counts and latency histograms by route and
//! status, queue depth, distributions of the ΔE, ΔS and ELF of the runs served (a server runs
//! many requests at once, so a "last run" gauge would say little), the requests each run
//! served (batching), and the backend. Names
//! follow Prometheus's conventions, which `promtool check metrics` holds them to in a test.

use prometheus::{
    Encoder, Histogram, HistogramOpts, HistogramVec, IntCounterVec, IntGauge, IntGaugeVec, Opts,
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
    /// Mean energy change per step and chain of each run.
    pub delta_e: Histogram,
    /// Mean entropy change per step and chain of each run.
    pub delta_s: Histogram,
    /// Energy-law fidelity of each run with a law to check.
    pub elf: Histogram,
    /// `/diffuse` requests served by each run (compatible requests share one).
    pub batch_requests: Histogram,
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
        // Changes per step are signed and span decades: symmetric logarithmic buckets.
        let signed: Vec<f64> = (-6..=2)
            .rev()
            .map(|k| -(10f64).powi(k))
            .chain([0.0])
            .chain((-6..=2).map(|k| (10f64).powi(k)))
            .collect();
        let histogram = |name: &str, help: &str, buckets: Vec<f64>| {
            Histogram::with_opts(HistogramOpts::new(name, help).buckets(buckets))
                .expect("valid metric")
        };
        let delta_e = histogram(
            "idf_run_energy_change_per_step",
            "mean energy change per step and chain of each run served",
            signed.clone(),
        );
        let delta_s = histogram(
            "idf_run_entropy_change_per_step",
            "mean value-histogram entropy change per step and chain of each run served",
            signed,
        );
        let elf = histogram(
            "idf_run_energy_law_fidelity_ratio",
            "fraction of chains for which every applicable energy law held, per run with a law",
            vec![0.5, 0.9, 0.99, 0.999, 1.0],
        );
        let batch_requests = histogram(
            "idf_run_batch_requests",
            "/diffuse requests served by each run (compatible waiting requests share one)",
            vec![1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0],
        );
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
            Box::new(batch_requests.clone()),
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
            batch_requests,
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
