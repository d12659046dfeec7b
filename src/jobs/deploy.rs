//! Deployment: the Helm chart in `deploy/helm/idf` takes its values from the `EIL` section of
//! `idf.yaml` (cluster, namespace, serviceAccount, gpu → the pods' GPU limit, maxLatencyMs);
//! `idf deploy` renders them into a `values.yaml` for `helm install -f`.

use serde::Serialize;

use crate::jobs::config::Config;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Image {
    repository: &'static str,
    tag: &'static str,
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
    };
    let yaml = serde_yaml::to_string(&values).expect("values serialise");
    format!("# Rendered by `idf deploy` from the EIL section of idf.yaml; use with\n# helm install idf deploy/helm/idf -f THIS_FILE\n{yaml}")
}
