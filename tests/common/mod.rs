//! Test helpers: every backend test is written once and run on the CPU twin and on the GPU.
#![allow(dead_code)]

use std::sync::OnceLock;

use idf::Context;

/// The shared GPU context, or `None` where no adapter exists. An adapter whose device cannot
/// be opened is a failure, not an absence: it panics with the reason.
pub fn gpu() -> Option<&'static Context> {
    static GPU: OnceLock<Option<Context>> = OnceLock::new();
    GPU.get_or_init(|| match Context::gpu() {
        Ok(ctx) => Some(ctx),
        Err(idf::IdfError::NoAdapter(_)) => None,
        Err(e) => panic!("a GPU adapter exists but could not be opened: {e}"),
    })
    .as_ref()
}

/// Runs `body` on the GPU. Without an adapter it fails in CI and, elsewhere, says the GPU
/// variant was skipped (on stderr; Rust's harness has no skipped state).
pub fn on_gpu(body: impl FnOnce(&Context)) {
    match gpu() {
        Some(ctx) => body(ctx),
        None => {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "CI=true but no GPU adapter was found: install mesa-vulkan-drivers"
            );
            eprintln!("SKIPPED: no GPU adapter, the GPU variant did not run");
        }
    }
}

/// Declares `NAME::cpu` and `NAME::gpu` tests that run `body(&Context)` on each backend.
#[macro_export]
macro_rules! on_both {
    ($(#[$meta:meta])* fn $name:ident($ctx:ident: &Context) $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            fn run($ctx: &idf::Context) $body
            $(#[$meta])*
            #[test]
            fn cpu() {
                run(&idf::Context::cpu());
            }
            $(#[$meta])*
            #[test]
            fn gpu() {
                $crate::common::on_gpu(run);
            }
        }
    };
}

/// Runs the `idf` binary (headless, its fusion plans in memory only: the tests' timings, taken
/// on a loaded machine, stay out of the user's plan file) and returns its output.
pub fn idf(args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_idf"))
        .args(args)
        .env("NODEVICE_SELECT", "1")
        .env("IDF_CACHE_DIR", "")
        .output()
        .expect("idf runs")
}

/// Runs the `idf` binary, asserts that it succeeded (showing its stderr if not) and returns its
/// output.
pub fn idf_ok(args: &[&str]) -> std::process::Output {
    let out = idf(args);
    assert!(
        out.status.success(),
        "idf {args:?} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Runs the `idf` binary with `--json` among `args`, asserts success and parses its output.
pub fn idf_json(args: &[&str]) -> serde_json::Value {
    serde_json::from_slice(&idf_ok(args).stdout).expect("idf prints one JSON object")
}

/// Asserts `|estimate − exact| ≤ z·stderr`, the statistical tolerance used throughout.
pub fn assert_within_stderr(what: &str, estimate: f64, stderr: f64, exact: f64, z: f64) {
    assert!(
        stderr.is_finite() && stderr > 0.0,
        "{what}: no standard error"
    );
    let dev = (estimate - exact).abs() / stderr;
    assert!(
        dev <= z,
        "{what}: estimate {estimate:.6} vs exact {exact:.6} is {dev:.2} standard errors ({stderr:.2e}) off, more than {z}"
    );
}

/// ⟨x²⟩ under exp(−V(x)/T) by Simpson's rule on [−L, L] (the reference for independent sites).
pub fn boltzmann_second_moment(v: impl Fn(f64) -> f64, t: f64, half_width: f64) -> f64 {
    let n = 20_000;
    let h = 2.0 * half_width / n as f64;
    let (mut z, mut m2) = (0.0, 0.0);
    for i in 0..=n {
        let x = -half_width + i as f64 * h;
        let w = if i == 0 || i == n {
            1.0
        } else if i % 2 == 1 {
            4.0
        } else {
            2.0
        };
        let p = (-v(x) / t).exp();
        z += w * p;
        m2 += w * p * x * x;
    }
    m2 / z
}

/// Spin (±1) at (x, y) of the periodic L×L Ising configuration whose bit `y·L + x` of `state`
/// is set for +1; coordinates wrap, so `x + 1` and `x + L − 1` are the two neighbours.
pub fn ising_spin(state: u32, l: usize, x: usize, y: usize) -> f64 {
    if state >> ((y % l) * l + x % l) & 1 == 1 {
        1.0
    } else {
        -1.0
    }
}

/// Energy `−Σ_<ij> s_i s_j` (J = 1, each bond once) of the periodic L×L Ising configuration `state`.
pub fn ising_energy(state: u32, l: usize) -> f64 {
    let s = |x, y| ising_spin(state, l, x, y);
    let mut e = 0.0;
    for y in 0..l {
        for x in 0..l {
            e -= s(x, y) * (s(x + 1, y) + s(x, y + 1));
        }
    }
    e
}

/// A tool `make test-tools` installs under the repository (`benches/.venv/bin/python`, …), or
/// `None` where it is missing outside CI (the check is then skipped, saying what went
/// unchecked); under `CI=true` a missing tool fails the test.
pub fn test_tool(relative: &str, unchecked: &str) -> Option<std::path::PathBuf> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(relative);
    if path.exists() {
        return Some(path);
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "CI=true but {relative} is missing: `make test-tools` installs it"
    );
    eprintln!("{relative} missing: {unchecked}");
    None
}

/// The 2-D DFT of every `h × w` plane of `x` in place (rows, then columns), or its inverse
/// without 1/(h·w), in double precision by rustfft: the reference of the spectral tests.
pub fn fft2(x: &mut [rustfft::num_complex::Complex64], h: usize, w: usize, inverse: bool) {
    let mut planner = rustfft::FftPlanner::<f64>::new();
    let (row, col) = if inverse {
        (planner.plan_fft_inverse(w), planner.plan_fft_inverse(h))
    } else {
        (planner.plan_fft_forward(w), planner.plan_fft_forward(h))
    };
    for plane in x.chunks_mut(h * w) {
        for r in plane.chunks_mut(w) {
            row.process(r);
        }
        for c in 0..w {
            let mut column: Vec<_> = (0..h).map(|y| plane[y * w + c]).collect();
            col.process(&mut column);
            for (y, v) in column.into_iter().enumerate() {
                plane[y * w + c] = v;
            }
        }
    }
}
