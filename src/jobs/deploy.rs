//! Deployment: the Helm chart in `deploy/helm/idf` takes its values from the `EIL` section of
//! `idf.yaml` (cluster, namespace, serviceAccount, gpu → the pods' GPU limit, maxLatencyMs);
//! `idf deploy` renders them into a `values.yaml` for `helm install -f`. The chart also holds an
//! Indexed Job (`datasetJob`, off by default) that runs `idf dataset synth` as N shards, the
//! completion index as the shard, for `idf dataset merge` to join.

use serde::Serialize;

use crate::jobs::config::Config;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Image {
    repository: &'static str,
    tag: &'static str,
}

/// The sharded dataset Job's values.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct DatasetJob {
    enabled: bool,
    shards: u32,
    synth_args: Vec<&'static str>,
    out: &'static str,
    volume_claim: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct HelmValues<'a> {
    cluster: &'a str,
    namespace: &'a str,
    service_account: &'a str,
    gpu: u32,
    max_latency_ms: u64,
    image: Image,
    replicas: u32,
    port: u16,
    dataset_job: DatasetJob,
}

/// The chart's `values.yaml` for `config`.
pub fn helm_values(config: &Config) -> String {
    let eil = &config.eil;
    let values = HelmValues {
        cluster: &eil.cluster,
        namespace: &eil.namespace,
        service_account: &eil.service_account,
        gpu: eil.gpu,
        max_latency_ms: eil.max_latency_ms,
        image: Image {
            repository: "idf",
            tag: env!("CARGO_PKG_VERSION"),
        },
        replicas: 1,
        port: 8080,
        dataset_job: DatasetJob {
            enabled: false,
            shards: 4,
            synth_args: vec![
                "--model",
                "ising",
                "--conditions",
                "temperature=1.5:3.5:16",
                "--size",
                "64",
                "--samples",
                "256",
            ],
            out: "/data",
            volume_claim: "idf-datasets",
        },
    };
    let yaml = serde_yaml::to_string(&values).expect("values serialise");
    format!("# Rendered by `idf deploy` from the EIL section of idf.yaml; use with\n# helm install idf deploy/helm/idf -f THIS_FILE\n{yaml}")
}
