//! Deployment files: Helm values come from the EIL section, the chart uses every value, and the
//! Grafana dashboard queries only metrics the service exports.

use std::path::Path;

use serde::Deserialize;

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

/// The chart's dataset Job, rendered by Helm itself (`helm lint`, `helm template`), is an
/// Indexed Job whose pods, each run with its completion index, write shards that merge into the
/// dataset one worker writes.
#[test]
fn the_dataset_job_renders_and_its_pods_write_what_one_worker_writes() {
    let Some(helm) =
        crate::common::test_tool("benches/.venv/bin/helm", "the chart was not rendered")
    else {
        return;
    };
    let dir = std::env::temp_dir().join(format!("idf-helm-job-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let synth = [
        "--model",
        "ising",
        "--conditions",
        "temperature=1.5:3.5:5",
        "--size",
        "6",
        "--samples",
        "3",
        "--chains",
        "2",
        "--burn-in",
        "20",
        "--pilot",
        "40",
        "--seed",
        "4",
        "--backend",
        "cpu",
    ];
    let chart = Path::new(ROOT).join("deploy/helm/idf");
    let sets = [
        "--set".to_string(),
        "datasetJob.enabled=true".into(),
        "--set".into(),
        "datasetJob.shards=3".into(),
        "--set".into(),
        format!("datasetJob.out={}", dir.display()),
        "--set-json".into(),
        format!(
            "datasetJob.synthArgs={}",
            serde_json::to_string(&synth).unwrap()
        ),
    ];
    let helm_ok = |args: &[&str]| {
        let out = std::process::Command::new(&helm)
            .args(args)
            .args(&sets)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "helm {args:?}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    helm_ok(&["lint", "--strict", chart.to_str().unwrap()]);
    let rendered = helm_ok(&["template", "idf", chart.to_str().unwrap()]);
    let job = serde_yaml::Deserializer::from_str(&rendered)
        .map(|doc| serde_yaml::Value::deserialize(doc).unwrap())
        .find(|doc| doc["kind"] == "Job")
        .expect("the chart renders a Job when datasetJob.enabled");
    assert_eq!(job["spec"]["completionMode"], "Indexed");
    assert_eq!(job["spec"]["completions"], 3);
    let container = &job["spec"]["template"]["spec"]["containers"][0];
    assert_eq!(
        container["volumeMounts"][0]["mountPath"].as_str(),
        dir.to_str()
    );
    let args: Vec<String> = serde_yaml::from_value(container["args"].clone()).unwrap();
    // Each pod as Kubernetes starts it: $(JOB_COMPLETION_INDEX) is its index.
    let mut shards = Vec::new();
    for k in 0..3 {
        let pod: Vec<String> = args
            .iter()
            .map(|a| a.replace("$(JOB_COMPLETION_INDEX)", &k.to_string()))
            .collect();
        let pod: Vec<&str> = pod.iter().map(String::as_str).collect();
        crate::common::idf_ok(&pod);
        shards.push(dir.join(format!("shard-{k}.h5")));
    }
    let merged = dir.join("merged.h5");
    let mut merge = vec!["dataset", "merge"];
    merge.extend(shards.iter().map(|s| s.to_str().unwrap()));
    merge.extend(["--out", merged.to_str().unwrap()]);
    crate::common::idf_ok(&merge);
    let one = dir.join("one.h5");
    let mut single = vec!["dataset", "synth"];
    single.extend(synth);
    single.extend(["--out", one.to_str().unwrap()]);
    crate::common::idf_ok(&single);
    let (one, merged) = (
        idf::io::atlas::Atlas::open(&one).unwrap(),
        idf::io::atlas::Atlas::open(&merged).unwrap(),
    );
    assert_eq!(merged.len(), 5 * 3);
    assert_eq!(merged.conditions(), one.conditions());
    let all: Vec<usize> = (0..one.len()).collect();
    assert_eq!(
        merged.read_maps(&all).unwrap(),
        one.read_maps(&all).unwrap()
    );
    std::fs::remove_dir_all(&dir).ok();
}
