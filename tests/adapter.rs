//! GPU tests never skip silently: in CI (`CI=true`) a missing adapter is a failure.

#[test]
fn ci_has_gpu_adapter() {
    let result = idf::Context::gpu();
    if std::env::var("CI").as_deref() == Ok("true") {
        let ctx = result.expect("CI must have a GPU adapter (lavapipe from mesa-vulkan-drivers)");
        assert_eq!(ctx.backend(), idf::Backend::Gpu);
        eprintln!("GPU adapter: {}", ctx.adapter_name());
    } else if let Err(e) = result {
        eprintln!("no GPU adapter here: {e}");
    }
}

#[test]
fn cpu_backend_is_always_available_and_named() {
    let ctx = idf::Context::with_backend(idf::BackendChoice::Cpu).unwrap();
    assert_eq!(ctx.backend(), idf::Backend::Cpu);
    assert!(ctx.describe().starts_with("cpu"));
}

#[test]
fn unknown_backend_is_an_error() {
    let err = "tpu".parse::<idf::BackendChoice>().unwrap_err().to_string();
    assert!(err.contains("auto, gpu or cpu"), "{err}");
}
