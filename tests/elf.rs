//! The ELF suite: ≥ 99.9 % on stable settings, violations reported past the heat-flow stability
//! limit; and the `idf validate` report.

use idf::jobs::config::Config;
use idf::jobs::elf::{run_suite, ElfConfig};

on_both! {
    fn stable_suite_reaches_target(ctx: &Context) {
        let cfg = ElfConfig::from_config(&Config::default());
        assert!(cfg.trajectories >= 1000);
        let report = run_suite(ctx, &cfg, &mut |_, _, _| {}).unwrap();
        assert!(report.trajectories >= 1000);
        assert!(report.elf >= 0.999, "ELF {} on stable settings: {:#?}", report.elf, report.domains);
        for d in &report.domains {
            assert!(!d.laws.is_empty(), "{}: no law was checked", d.name);
            assert!(d.laws.values().all(|c| c.checked == d.trajectories), "{}: every trajectory is checked", d.name);
        }
    }
}

on_both! {
    fn unstable_heat_flow_is_reported(ctx: &Context) {
        let cfg = ElfConfig { heat_flow_r: 0.3, trajectories: 60, ..ElfConfig::from_config(&Config::default()) };
        let report = run_suite(ctx, &cfg, &mut |_, _, _| {}).unwrap();
        let heat = report.domains.iter().find(|d| d.name == "heat_flow").unwrap();
        assert!(heat.elf < 0.5, "heat flow at r = 0.3 must fail: {heat:?}");
        assert!(heat.laws["second_law"].violated > 0);
        let v = heat.first_violation.as_ref().unwrap();
        assert!(v.step > 0 && v.step <= 100, "the violation names a step of the run: {v}");
        assert!(["second_law", "mass_conservation"].contains(&v.law.as_str()), "{v}");
        assert!(report.elf < 0.999);
        let others: Vec<_> = report.domains.iter().filter(|d| d.name != "heat_flow").collect();
        assert!(others.iter().all(|d| d.elf == 1.0), "only heat flow changed: {others:?}");
    }
}

#[test]
fn validate_command_writes_the_report() {
    let dir = std::env::temp_dir().join(format!("idf-elf-{}", std::process::id()));
    let out = dir.join("metrics/energy_fidelity.json");
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_idf"))
        .env("IDF_CACHE_DIR", "")
        .args([
            "validate",
            "--backend",
            "cpu",
            "--trajectories",
            "60",
            "--out",
            out.to_str().unwrap(),
        ])
        .env("NODEVICE_SELECT", "1")
        .output()
        .unwrap();
    assert!(
        status.status.success(),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    for key in [
        "elf",
        "trajectories",
        "domains",
        "energy_tolerance",
        "entropy_drift_max",
        "backend",
        "seed",
        "command",
    ] {
        assert!(!v[key].is_null(), "missing {key}");
    }
    assert_eq!(v["domains"].as_array().unwrap().len(), 6);
    assert!(v["domains"][0]["laws"]["second_law"]["checked"].is_number());
    assert!(v["command"].as_str().unwrap().contains("validate"));
    std::fs::remove_dir_all(dir).ok();
}
