//! The Hasegawa–Wakatani integrator: the spectral Poisson solve to rounding, Arakawa's
//! Jacobian (energy and enstrophy conserved to rounding, second-order accurate), the linear
//! growth rate and frequency of single modes against the eigenvalues of the linearised system
//! for several (α, κ, ν), and GPU against CPU.

use idf::cpu::spectral::hasegawa_wakatani::jacobian;
use idf::engine::plasma::hasegawa_wakatani::HasegawaWakatani;
use idf::engine::plasma::linear::{rk4_growth, ModeProblem};
use idf::kernels::spectral::ChainParams;
use idf::Context;
use rustfft::num_complex::Complex64;

const EPS: f64 = f32::EPSILON as f64;

fn smooth_random(h: usize, w: usize, seed: u32) -> Vec<f32> {
    // A few random Fourier modes: smooth, periodic, mean zero.
    let mut f = vec![0.0f32; h * w];
    for m in 0..6u32 {
        let r = idf::cpu::shared::rng::rng_draw(m, 0, 0, seed, 31);
        let u = |b: u32| idf::cpu::shared::rng::unit_closed_open(b);
        let (kx, ky) = (1 + (r[0] % 4) as usize, (r[1] % 4) as usize);
        let (amp, phase) = (u(r[2]), std::f32::consts::TAU * u(r[3]));
        for y in 0..h {
            for x in 0..w {
                let t = std::f32::consts::TAU
                    * (kx as f32 * x as f32 / w as f32 + ky as f32 * y as f32 / h as f32);
                f[y * w + x] += amp * (t + phase).cos();
            }
        }
    }
    f
}

on_both! {
    /// −k² φ̂ = ζ̂ for every mode but the mean, checked in double precision by rustfft: the
    /// residual is at the rounding of the forward and inverse transforms (2ε·log2 N each).
    fn poisson_residual_is_at_rounding(ctx: &Context) {
        let (h, w, dx) = (64, 32, 0.7f32);
        let zeta: Vec<f32> = (0..h * w)
            .map(|i| {
                let r = idf::cpu::shared::rng::rng_draw(i as u32, 0, 0, 3, 30);
                idf::cpu::shared::rng::unit_closed_open(r[0]) - 0.3
            })
            .collect();
        let mut hw = HasegawaWakatani::new(ctx, &[ChainParams::default()], h, w, dx, false, 0).unwrap();
        hw.set_state(&vec![0.0; h * w], &zeta).unwrap();
        let phi = hw.potential().unwrap();
        let spectrum = |v: &[f32]| {
            let mut x: Vec<Complex64> = v.iter().map(|a| Complex64::new(*a as f64, 0.0)).collect();
            crate::common::fft2(&mut x, h, w, false);
            x
        };
        let (fz, fp) = (spectrum(&zeta), spectrum(&phi));
        let k = |m: usize, n: usize| {
            let s = if m > n / 2 { m as f64 - n as f64 } else { m as f64 };
            2.0 * std::f64::consts::PI * s / (n as f64 * dx as f64)
        };
        let (mut err, mut norm) = (0.0, 0.0);
        for y in 0..h {
            for x in 0..w {
                if x == 0 && y == 0 {
                    assert!(fp[0].norm() <= 1e-3, "the mean of phi is {}", fp[0]);
                    continue;
                }
                let k2 = k(x, w).powi(2) + k(y, h).powi(2);
                err += (fp[y * w + x] * -k2 - fz[y * w + x]).norm_sqr();
                norm += fz[y * w + x].norm_sqr();
            }
        }
        let rel = (err / norm).sqrt();
        let bound = 4.0 * 2.0 * EPS * ((h * w) as f64).log2();
        assert!(rel <= bound, "Poisson residual {rel:e} > {bound:e}");
    }
}

/// Σ ζ J(φ, ζ) and Σ φ J(φ, ζ) vanish to rounding (Arakawa's discrete enstrophy and energy
/// conservation): each J_i sums 24 products, each at most |φ|max·2|ζ|max and rounded at ε,
/// over 12h², so |δJ_i| ≤ 48·ε·|φ|max·2|ζ|max/(12h²); the sums are taken in f64, so
/// |Σ w_i J_i| ≤ Σ|w_i|·|δJ_i|, with a factor 4 for the additions' rounding.
#[test]
fn arakawa_conserves_energy_and_enstrophy_to_rounding() {
    let (h, w, dx) = (48, 64, 0.3f32);
    let phi = smooth_random(h, w, 1);
    let zeta = smooth_random(h, w, 2);
    let j = jacobian(&phi, &zeta, h, w, dx);
    let max = |v: &[f32]| v.iter().fold(0.0f64, |m, x| m.max(x.abs() as f64));
    let per_site = 4.0 * 48.0 * EPS * max(&phi) * 2.0 * max(&zeta) / (12.0 * (dx as f64).powi(2));
    for (name, weight) in [("enstrophy", &zeta), ("energy", &phi)] {
        let sum: f64 = weight
            .iter()
            .zip(&j)
            .map(|(a, b)| *a as f64 * *b as f64)
            .sum();
        let scale: f64 = weight
            .iter()
            .zip(&j)
            .map(|(a, b)| (*a as f64 * *b as f64).abs())
            .sum();
        let bound: f64 = weight.iter().map(|a| a.abs() as f64).sum::<f64>() * per_site;
        assert!(
            sum.abs() <= bound,
            "{name}: Σ = {sum:e} (Σ|·| = {scale:e}) > {bound:e}"
        );
        assert!(
            scale > 1e3 * bound,
            "{name}: the test's fields are too small to tell"
        );
    }
}

/// J(φ, ζ) of smooth fields converges to ∂xφ ∂yζ − ∂yφ ∂xζ at second order in h.
#[test]
fn arakawa_is_second_order_accurate() {
    let l = 2.0 * std::f64::consts::PI;
    let error = |n: usize| {
        let dx = (l / n as f64) as f32;
        let f = |g: &dyn Fn(f64, f64) -> f64| -> Vec<f32> {
            (0..n * n)
                .map(|i| g((i % n) as f64 * l / n as f64, (i / n) as f64 * l / n as f64) as f32)
                .collect()
        };
        let phi = f(&|x, y| x.sin() * (2.0 * y).cos());
        let zeta = f(&|x, y| (x + y).cos() + (2.0 * x).sin());
        let exact = f(&|x, y| {
            let (px, py) = (x.cos() * (2.0 * y).cos(), -2.0 * x.sin() * (2.0 * y).sin());
            let (zx, zy) = (-(x + y).sin() + 2.0 * (2.0 * x).cos(), -(x + y).sin());
            px * zy - py * zx
        });
        let j = jacobian(&phi, &zeta, n, n, dx);
        j.iter()
            .zip(&exact)
            .fold(0.0f64, |m, (a, b)| m.max((a - b).abs() as f64))
    };
    let (coarse, fine) = (error(32), error(64));
    let order = (coarse / fine).log2();
    assert!(
        (order - 2.0).abs() < 0.15,
        "order {order} ({coarse:e} → {fine:e})"
    );
}

/// A single mode started on the growing eigenvector grows and turns at the rate the linear
/// theory gives for the integrator's operators and the Runge–Kutta amplification
/// (`rk4_growth`), for four parameter sets (one modified, one with hyper-diffusion). The
/// tolerance is the rounding of the amplitude's logarithm, 16ε per step accumulated over the
/// run, over the run's length; the continuum eigenvalue differs from it by the operators'
/// O(h²) error and RK4's O(dt⁴), which the test also reports and bounds.
fn linear_growth(ctx: &Context) {
    let (n, k0) = (32usize, 0.15f64);
    let dx = 2.0 * std::f64::consts::PI / (n as f64 * k0);
    let cases = [
        (1.0, 1.0, 0.0, (1usize, 6usize), false),
        (0.5, 1.5, 0.0, (2, 5), false),
        (2.0, 0.8, 1e-3, (3, 6), false),
        (1.0, 1.0, 0.0, (4, 5), true),
    ];
    let params: Vec<ChainParams> = cases
        .iter()
        .map(|&(alpha, kappa, nu, _, _)| ChainParams {
            alpha,
            kappa,
            nu,
            noise: 0.0,
        })
        .collect();
    for (modified, subset) in [(false, 0..3), (true, 3..4)] {
        let chains: Vec<_> = subset.clone().collect();
        let cp: Vec<ChainParams> = chains.iter().map(|c| params[*c]).collect();
        let mut hw = HasegawaWakatani::new(ctx, &cp, n, n, dx as f32, modified, 0).unwrap();
        let plane = n * n;
        let (mut n0, mut z0) = (
            vec![0.0f32; chains.len() * plane],
            vec![0.0f32; chains.len() * plane],
        );
        let mut problems = Vec::new();
        for (slot, &c) in chains.iter().enumerate() {
            let (alpha, kappa, nu, (mx, my), modified) = cases[c];
            let (kx, ky) = (k0 * mx as f64, k0 * my as f64);
            let problem = ModeProblem {
                alpha: alpha as f64,
                kappa: kappa as f64,
                nu: nu as f64,
                kx,
                ky,
                dx: Some(dx),
                modified,
            };
            let g = problem.growth();
            let amp = 1e-4;
            for y in 0..n {
                for x in 0..n {
                    let t = kx * x as f64 * dx + ky * y as f64 * dx;
                    let phi = amp * t.cos();
                    // n = Re(r e^{iθ}) amp
                    n0[slot * plane + y * n + x] =
                        (amp * (g.n_over_phi.0 * t.cos() - g.n_over_phi.1 * t.sin())) as f32;
                    z0[slot * plane + y * n + x] = (-(kx * kx + ky * ky) * phi) as f32;
                }
            }
            problems.push((problem, mx, my));
        }
        hw.set_state(&n0, &z0).unwrap();
        let dt = 0.02f32;
        let (intervals, per) = (50, 20);
        let amplitude = |phi: &[f32], slot: usize, mx: usize, my: usize| {
            let mut a = Complex64::new(0.0, 0.0);
            for y in 0..n {
                for x in 0..n {
                    let t = 2.0 * std::f64::consts::PI * (mx * x + my * y) as f64 / n as f64;
                    a += Complex64::from_polar(phi[slot * plane + y * n + x] as f64, -t);
                }
            }
            a * (2.0 / plane as f64)
        };
        let phi = hw.potential().unwrap();
        let mut start: Vec<Complex64> = (0..chains.len())
            .map(|s| amplitude(&phi, s, problems[s].1, problems[s].2))
            .collect();
        let mut phase = vec![0.0f64; chains.len()];
        let first = start.clone();
        for _ in 0..intervals {
            hw.advance(dt, per).unwrap();
            let phi = hw.potential().unwrap();
            for s in 0..chains.len() {
                let a = amplitude(&phi, s, problems[s].1, problems[s].2);
                phase[s] += (a / start[s]).arg();
                start[s] = a;
            }
        }
        let t_total = (intervals * per) as f64 * dt as f64;
        let steps = (intervals * per) as f64;
        for s in 0..chains.len() {
            let (problem, ..) = problems[s];
            let gamma = (start[s].norm() / first[s].norm()).ln() / t_total;
            let omega = -phase[s] / t_total;
            let [lambda, _] = problem.eigenvalues();
            let (g_rk, w_rk) = rk4_growth(lambda, dt as f64);
            let tol = 16.0 * EPS * steps / t_total * 4.0;
            assert!((gamma - g_rk).abs() <= tol && (omega - w_rk).abs() <= tol,
                "{:?}: measured γ {gamma:.7} ω {omega:.7}, theory (RK4, discrete operators) γ {g_rk:.7} ω {w_rk:.7}, tolerance {tol:.1e}",
                cases[chains[s]]);
            // The continuum eigenvalue, within the operators' and the time step's error.
            let cont = ModeProblem {
                dx: None,
                ..problem
            }
            .eigenvalues()[0];
            let spatial = ((cont.0 - lambda.0).powi(2) + (cont.1 - lambda.1).powi(2)).sqrt();
            let temporal = ((g_rk - lambda.0).powi(2) + (w_rk + lambda.1).powi(2)).sqrt();
            assert!(
                ((gamma - cont.0).powi(2) + (omega + cont.1).powi(2)).sqrt()
                    <= spatial + temporal + tol,
                "continuum γ {} ω {}",
                cont.0,
                -cont.1
            );
            eprintln!("{:?}: γ {gamma:.6} ω {omega:.6} | RK4 theory γ {g_rk:.6} ω {w_rk:.6} | continuum γ {:.6} ω {:.6} | error {:.1e} {:.1e} tol {tol:.1e}", cases[chains[s]], cont.0, -cont.1, gamma - g_rk, omega - w_rk);
        }
    }
}

on_both! {
    fn single_modes_grow_at_the_linear_rate(ctx: &Context) {
        linear_growth(ctx);
    }
}

/// GPU and CPU take the same nonlinear steps: 30 steps of a random state agree to the rounding
/// of the operations per step.
#[test]
fn gpu_and_cpu_steps_agree() {
    crate::common::on_gpu(|gpu| {
        let (h, w) = (32, 64);
        let params = [ChainParams {
            alpha: 1.0,
            kappa: 1.0,
            nu: 1e-3,
            noise: 0.0,
        }; 2];
        let n0: Vec<f32> = [smooth_random(h, w, 5), smooth_random(h, w, 6)].concat();
        let z0: Vec<f32> = [smooth_random(h, w, 7), smooth_random(h, w, 8)].concat();
        let mut out = Vec::new();
        for ctx in [&Context::cpu(), gpu] {
            let mut hw = HasegawaWakatani::new(ctx, &params, h, w, 0.5, false, 1).unwrap();
            hw.set_state(&n0, &z0).unwrap();
            hw.advance(0.01, 30).unwrap();
            out.push(hw.state().unwrap());
        }
        let scale = out[0]
            .0
            .iter()
            .chain(&out[0].1)
            .fold(0.0f32, |m, v| m.max(v.abs()));
        let diff = out[0]
            .0
            .iter()
            .zip(&out[1].0)
            .chain(out[0].1.iter().zip(&out[1].1))
            .fold(0.0f32, |m, (a, b)| m.max((a - b).abs()));
        assert!(
            diff <= 1e-4 * scale,
            "GPU and CPU differ by {diff:e} of {scale}"
        );
    });
}

#[test]
fn unstable_steps_are_refused_naming_a_stable_one() {
    let params = [ChainParams {
        alpha: 1.0,
        kappa: 1.0,
        nu: 0.1,
        noise: 0.0,
    }];
    let mut hw = HasegawaWakatani::new(&Context::cpu(), &params, 16, 16, 0.5, false, 0).unwrap();
    let stable = hw.stable_step();
    let err = hw
        .advance((stable * 1.5) as f32, 1)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("dt") && err.contains(&format!("{stable:.4e}")),
        "{err}"
    );
    assert!(hw.advance((stable * 0.9) as f32, 2).is_ok());
    let bad = [ChainParams {
        alpha: -1.0,
        ..params[0]
    }];
    let err = HasegawaWakatani::new(&Context::cpu(), &bad, 16, 16, 0.5, false, 0)
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("alpha"), "{err}");
}

on_both! {
    /// The stability scan measures γ(α, κ, k_y) for 6 (α, κ) pairs × 7 modes as chains of one
    /// run; every rate matches the linear theory of the grid's operators and the Runge–Kutta
    /// step within the rounding bound of the single-mode test.
    fn the_stability_scan_measures_the_linear_growth_map(ctx: &Context) {
        let spec = idf::jobs::plasma::ScanSpec {
            size: 16,
            k0: 0.3,
            alphas: vec![0.5, 1.0, 2.0],
            kappas: vec![0.5, 1.5],
            nu: 0.0,
            modified: false,
            steps: 600,
            dt: Some(0.02),
            seed: 4,
        };
        let map = idf::jobs::plasma::stability_scan(ctx, &spec, &mut |_, _| {}).unwrap();
        assert_eq!(map.measured.len(), 3 * 2 * 7);
        let t = 600.0 * 0.02;
        let tol = 16.0 * EPS * 600.0 / t * 4.0;
        assert!(map.max_error <= tol, "largest error {:e} > {tol:e}", map.max_error);
        // Some modes grow and the map is not flat.
        assert!(map.measured.iter().any(|g| *g > 0.05) && map.measured.iter().any(|g| *g < 0.02));
    }
}

/// `idf plasma run` and `scan` write `.npy` and `.vtk` files that a reader we did not write
/// (meshio, with numpy) reads back as the same numbers.
#[test]
fn plasma_files_read_back_with_meshio() {
    let dir = std::env::temp_dir().join(format!("idf-plasma-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = |name: &str| dir.join(name).to_str().unwrap().to_string();
    let out = crate::common::idf(&[
        "plasma",
        "run",
        "--size",
        "32",
        "--steps",
        "60",
        "--record-every",
        "20",
        "--backend",
        "cpu",
        "--out",
        &p("run.vtk"),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = crate::common::idf(&[
        "plasma",
        "run",
        "--size",
        "32",
        "--steps",
        "60",
        "--record-every",
        "20",
        "--backend",
        "cpu",
        "--out",
        &p("run.npy"),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = crate::common::idf(&[
        "plasma",
        "scan",
        "--size",
        "16",
        "--alpha",
        "0.5,1",
        "--kappa",
        "1",
        "--steps",
        "50",
        "--backend",
        "cpu",
        "--out",
        &p("map.npy"),
        "--vtk",
        &p("map.vtk"),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (dims, run) = idf::io::npy::read_f32(std::path::Path::new(&p("run.npy"))).unwrap();
    assert_eq!(dims, [3, 32, 32]);
    let (map_dims, _) = idf::io::npy::read_f32(std::path::Path::new(&p("map.npy"))).unwrap();
    assert_eq!(map_dims, [3, 2, 1, 7]);
    let Some(python) = crate::common::test_tool(
        "benches/.venv/bin/python",
        "the .vtk files were not read with meshio",
    ) else {
        return;
    };
    let script = "import meshio, numpy as np, sys\n\
        run = meshio.read(sys.argv[1]); npy = np.load(sys.argv[2])\n\
        assert run.points.shape == (32 * 32, 3), run.points.shape\n\
        for k, name in enumerate(['n', 'zeta', 'phi']):\n\
        \x20   assert np.array_equal(run.point_data[name].ravel(), npy[k].ravel()), name\n\
        m = meshio.read(sys.argv[3]); mp = np.load(sys.argv[4])\n\
        for k, name in enumerate(['gamma_measured', 'gamma_theory', 'gamma_continuum']):\n\
        \x20   assert np.array_equal(m.point_data[name].ravel(), mp[k].ravel()), name\n\
        print('ok')\n";
    let out = std::process::Command::new(python)
        .args([
            "-c",
            script,
            &p("run.vtk"),
            &p("run.npy"),
            &p("map.vtk"),
            &p("map.npy"),
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(run.iter().all(|v| v.is_finite()));
}

/// The frames of a GIF file.
fn gif_frames(path: &std::path::Path) -> usize {
    let mut options = gif::DecodeOptions::new();
    options.set_color_output(gif::ColorOutput::RGBA);
    let mut decoder = options
        .read_info(std::fs::File::open(path).unwrap())
        .unwrap();
    let mut frames = 0;
    while decoder.read_next_frame().unwrap().is_some() {
        frames += 1;
    }
    frames
}

/// `idf plasma run --video` draws a frame per record (and the start).
#[test]
fn plasma_video_has_a_frame_per_record() {
    let dir = std::env::temp_dir().join(format!("idf-plasma-video-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let gif = dir.join("hw.gif");
    let out = crate::common::idf(&[
        "plasma",
        "run",
        "--size",
        "16",
        "--steps",
        "40",
        "--record-every",
        "10",
        "--backend",
        "cpu",
        "--video",
        gif.to_str().unwrap(),
        "--video-field",
        "n",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let frames = gif_frames(&gif);
    assert_eq!(frames, 5);
    let out = crate::common::idf(&[
        "plasma",
        "run",
        "--size",
        "16",
        "--steps",
        "10",
        "--video-field",
        "psi",
        "--video",
        gif.to_str().unwrap(),
    ]);
    assert!(!out.status.success() && String::from_utf8_lossy(&out.stderr).contains("video_field"));
}

/// `idf render` draws a plasma scene (a YAML file with a `plasma` key) to video; `--frames` and
/// `--size` override the file's; a wrong key names the file and the key.
#[test]
fn idf_render_draws_a_plasma_scene() {
    let dir = std::env::temp_dir().join(format!("idf-plasma-render-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let gif = dir.join("drift.gif");
    let scene = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/assets/plasma/drift_waves.yaml"
    );
    let out = crate::common::idf(&[
        "render",
        scene,
        "--out",
        gif.to_str().unwrap(),
        "--frames",
        "4",
        "--size",
        "16",
        "--backend",
        "cpu",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let frames = gif_frames(&gif);
    assert_eq!(frames, 4);
    let bad = dir.join("bad.yaml");
    std::fs::write(&bad, "plasma:\n  size: 16\n  colour: red\n").unwrap();
    let out = crate::common::idf(&[
        "render",
        bad.to_str().unwrap(),
        "--out",
        gif.to_str().unwrap(),
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && err.contains("bad.yaml") && err.contains("colour"),
        "{err}"
    );
}
