//! Deployment files: Helm values come from the EIL section, the chart uses every value, and the
//! Grafana dashboard queries only metrics the service exports.

use std::path::Path;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

#[test]
fn values_come_from_the_eil_section_and_the_chart_uses_them() {
    let config = idf::Config::parse(
        "EIL:\n  cluster: eu-1\n  namespace: prod\n  serviceAccount: idf-runner\n  gpu: 2\n  maxLatencyMs: 250\n",
        Path::new("idf.yaml"),
    )
    .unwrap();
    let values: serde_yaml::Value =
        serde_yaml::from_str(&idf::jobs::deploy::helm_values(&config)).unwrap();
    assert_eq!(values["cluster"], "eu-1");
    assert_eq!(values["namespace"], "prod");
    assert_eq!(values["serviceAccount"], "idf-runner");
    assert_eq!(values["gpu"], 2);
    assert_eq!(values["maxLatencyMs"], 250);
    let templates: String = std::fs::read_dir(Path::new(ROOT).join("deploy/helm/idf/templates"))
        .unwrap()
        .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
        .collect();
    for key in values.as_mapping().unwrap().keys() {
        let key = key.as_str().unwrap();
        assert!(
            templates.contains(&format!(".Values.{key}")),
            "the chart never uses `{key}`"
        );
    }
    assert!(
        templates.contains("nvidia.com/gpu"),
        "gpu becomes a GPU resource limit"
    );
    let chart_values: serde_yaml::Value = serde_yaml::from_str(
        &std::fs::read_to_string(Path::new(ROOT).join("deploy/helm/idf/values.yaml")).unwrap(),
    )
    .unwrap();
    let default_values: serde_yaml::Value =
        serde_yaml::from_str(&idf::jobs::deploy::helm_values(&idf::Config::default())).unwrap();
    assert_eq!(
        chart_values, default_values,
        "the chart's default values.yaml is what `idf deploy` renders for the default config"
    );
}

#[test]
fn deploy_command_writes_values() {
    let dir = std::env::temp_dir().join(format!("idf-deploy-{}", std::process::id()));
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_idf"))
        .args(["deploy", "--out", dir.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(std::fs::read_to_string(dir.join("values.yaml"))
        .unwrap()
        .contains("namespace: idf"));
}

#[cfg(feature = "server")]
#[test]
fn dashboard_queries_only_exported_metrics() {
    let dashboard: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(Path::new(ROOT).join("deploy/grafana/idf-dashboard.json"))
            .unwrap(),
    )
    .unwrap();
    // Labelled series appear once used: record one request, as a running service would.
    let metrics = idf::api::metrics::Metrics::new("cpu");
    metrics
        .requests
        .with_label_values(&["/diffuse", "200"])
        .inc();
    metrics
        .latency
        .with_label_values(&["/diffuse", "200"])
        .observe(0.01);
    let exported = metrics.render();
    let mut titles = Vec::new();
    for panel in dashboard["panels"].as_array().unwrap() {
        titles.push(panel["title"].as_str().unwrap().to_string());
        for target in panel["targets"].as_array().unwrap() {
            let expr = target["expr"].as_str().unwrap();
            let name = expr
                .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .find(|w| w.starts_with("idf_"))
                .unwrap_or_else(|| panic!("no idf metric in `{expr}`"));
            assert!(
                exported.contains(name),
                "the dashboard queries `{name}`, which the service does not export"
            );
        }
    }
    for needed in ["ΔE", "ΔS", "ELF", "Latency", "Queue"] {
        assert!(
            titles.iter().any(|t| t.contains(needed)),
            "no {needed} panel"
        );
    }
}
