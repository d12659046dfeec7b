//! The plasma capsule's jobs (`idf plasma`): a Hasegawa–Wakatani run with its diagnostics
//! trace, and a stability scan — the linear growth rate γ(α, κ, k_y) measured on the backend,
//! every (α, κ) pair a chain, beside the analytic map (`engine::plasma::linear`).
//!
//! The box is square, `size` points a side with spacing dx = 2π/(size·k0): the lowest
//! wavenumber is k0 and the modes are k = k0·(m_x, m_y).

use serde::Serialize;

use crate::context::Context;
use crate::cpu::shared::rng::{gaussian, rng_draw, unit_closed_open, STREAM_INIT};
use crate::engine::field::{MAX_CHAINS, MAX_SITES};
use crate::engine::plasma::hasegawa_wakatani::{HasegawaWakatani, HwDiagnostics};
use crate::engine::plasma::linear::{rk4_growth, ModeProblem};
use crate::error::{IdfError, Result};
use crate::jobs::render::encode::Output;
use crate::jobs::render::plasma::{PlasmaField, PlasmaPanel, PlasmaVideo};
use crate::jobs::scene::load_capsule_scene;
use crate::kernels::spectral::ChainParams;

/// The CFL number of the adaptive step: dt·max|∇φ| ≤ CFL·dx.
pub const CFL: f64 = 0.5;

/// A Hasegawa–Wakatani run.
#[derive(Clone, Debug)]
pub struct PlasmaSpec {
    /// Points per side (a power of two).
    pub size: usize,
    /// The lowest wavenumber (the box is 2π/k0 a side).
    pub k0: f64,
    /// The physics.
    pub params: ChainParams,
    /// The modified model (no zonal coupling).
    pub modified: bool,
    /// Steps.
    pub steps: u64,
    /// Diagnostics every this many steps (the step adapts there).
    pub record_every: u64,
    /// A fixed step (default: half the linear limit, and the CFL condition at each record).
    pub dt: Option<f32>,
    /// Standard deviation of the initial random n and ζ.
    pub amplitude: f32,
    /// Seed.
    pub seed: u32,
    /// A video of one field, a frame per record (`.mp4`, `.gif` or a PNG folder).
    pub video: Option<(Output, PlasmaField)>,
}

impl Default for PlasmaSpec {
    /// 128² with k0 = 0.15, α = 1, κ = 1, ν = 10⁻⁴, 2000 steps recorded every 50, initial noise
    /// 10⁻³.
    fn default() -> Self {
        PlasmaSpec {
            size: 128,
            k0: 0.15,
            params: ChainParams {
                alpha: 1.0,
                kappa: 1.0,
                nu: 1e-4,
                noise: 0.0,
            },
            modified: false,
            steps: 2000,
            record_every: 50,
            dt: None,
            amplitude: 1e-3,
            seed: 0,
            video: None,
        }
    }
}

/// One record of a run.
#[derive(Clone, Debug, Serialize)]
pub struct PlasmaRecord {
    /// Steps taken.
    pub step: u64,
    /// Time.
    pub time: f64,
    /// The step in use.
    pub dt: f64,
    /// Energy, enstrophy, flux, largest E×B speed.
    #[serde(flatten)]
    pub diagnostics: HwDiagnostics,
}

/// One mode's growth in a run's linear phase.
#[derive(Clone, Debug, Serialize)]
pub struct ModeGrowthOut {
    /// Wavenumbers.
    pub kx: f64,
    /// Wavenumbers.
    pub ky: f64,
    /// The least-squares slope of ln|φ̂_k| over the records of the linear phase.
    pub measured: f64,
    /// The growing root of the linear theory on the grid's operators.
    pub theory: f64,
}

/// A run's result.
#[derive(Clone, Debug, Serialize)]
pub struct PlasmaReport {
    /// The diagnostics every `record_every` steps (and at the start).
    pub trace: Vec<PlasmaRecord>,
    /// The growth rate of the energy over the first records while it grows exponentially
    /// (twice the fastest mode's γ), with the analytic fastest 2γ on the grid beside it.
    pub energy_growth: Option<(f64, f64)>,
    /// The growth rate of each mode (k0, m·k0), m = 1 … min(size/2 − 1, 16), over the records
    /// of the linear phase (the energy below 10⁴ times its start), beside the linear theory; the
    /// random start excites both branches, so the early records carry the decaying one too.
    pub mode_growth: Vec<ModeGrowthOut>,
    /// Grid spacing.
    pub dx: f64,
    /// Wall time, ms.
    pub wall_ms: f64,
    /// Time per step, ms.
    pub ms_per_step: f64,
    /// `cpu` or `gpu`.
    pub backend: String,
    /// Final n, ζ, φ (`[size][size]` each).
    #[serde(skip)]
    pub fields: [Vec<f32>; 3],
}

fn check_grid(size: usize, k0: f64) -> Result<f64> {
    if !(k0.is_finite() && k0 > 0.0) {
        return Err(IdfError::invalid(
            "k0",
            format!("{k0}: need a wavenumber above 0"),
        ));
    }
    if size < 4 || !size.is_power_of_two() {
        return Err(IdfError::invalid(
            "size",
            format!("{size}: need a power of two, at least 4"),
        ));
    }
    if size.checked_mul(size).is_none_or(|sites| sites > MAX_SITES) {
        return Err(IdfError::invalid(
            "size",
            format!("{size}x{size} is over the limit of {MAX_SITES} sites"),
        ));
    }
    Ok(2.0 * std::f64::consts::PI / (size as f64 * k0))
}

/// Runs a Hasegawa–Wakatani simulation from small random n and ζ; `progress` gets (done,
/// total) steps.
pub fn run_plasma(
    ctx: &Context,
    spec: &PlasmaSpec,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<PlasmaReport> {
    let dx = check_grid(spec.size, spec.k0)?;
    if spec.steps == 0 || spec.record_every == 0 {
        return Err(IdfError::invalid(
            if spec.steps == 0 {
                "steps"
            } else {
                "record_every"
            },
            "must be at least 1",
        ));
    }
    if !(spec.amplitude.is_finite() && spec.amplitude >= 0.0) {
        return Err(IdfError::invalid(
            "amplitude",
            format!("{}: need a finite value ≥ 0", spec.amplitude),
        ));
    }
    let n = spec.size;
    let mut hw = HasegawaWakatani::new(
        ctx,
        &[spec.params],
        n,
        n,
        dx as f32,
        spec.modified,
        spec.seed,
    )?;
    let noise = |stream: u32| -> Vec<f32> {
        (0..n * n)
            .map(|i| {
                spec.amplitude * gaussian(rng_draw(i as u32, stream, 0, spec.seed, STREAM_INIT))
            })
            .collect()
    };
    hw.set_state(&noise(0), &noise(1))?;
    let linear_dt = 0.5 * hw.stable_step();
    if let Some(dt) = spec.dt {
        if !(dt.is_finite() && dt > 0.0) || dt as f64 > 2.0 * linear_dt {
            return Err(IdfError::invalid(
                "dt",
                format!(
                    "{dt} is not a stable step; the linear terms need dt ≤ {:.4e}",
                    2.0 * linear_dt
                ),
            ));
        }
    }
    let started = std::time::Instant::now();
    let mut trace = Vec::new();
    let mut time = 0.0;
    let mut done = 0;
    let mut video = match &spec.video {
        Some((output, _)) => {
            let frames = spec.steps.div_ceil(spec.record_every) as usize + 1;
            Some(PlasmaVideo::create(output, n, frames, 30)?)
        }
        None => None,
    };
    let mut fields = hw.fields()?;
    let mut d = hw.diagnostics_of(&fields)[0];
    let modes: Vec<usize> = (1..(n / 2).min(17)).collect();
    let mut amplitudes: Vec<Vec<f64>> = Vec::new();
    loop {
        let spectrum = hw.potential_spectrum()?;
        amplitudes.push(
            modes
                .iter()
                .map(|&m| {
                    let v = spectrum[m * n + 1];
                    ((v[0] as f64).powi(2) + (v[1] as f64).powi(2)).sqrt()
                })
                .collect(),
        );
        if let (Some(v), Some((_, which))) = (&mut video, &spec.video) {
            let values = &fields[match which {
                PlasmaField::Density => 0,
                PlasmaField::Vorticity => 1,
                PlasmaField::Potential => 2,
            }];
            v.push(
                *which,
                values,
                PlasmaPanel {
                    time,
                    energy: d.energy,
                    enstrophy: d.enstrophy,
                    flux: d.flux,
                },
            )?;
        }
        let dt = match spec.dt {
            Some(dt) => dt as f64,
            None => linear_dt.min(CFL * dx / d.max_speed.max(1e-30)),
        };
        trace.push(PlasmaRecord {
            step: done,
            time,
            dt,
            diagnostics: d,
        });
        if done >= spec.steps {
            break;
        }
        let n_steps = spec.record_every.min(spec.steps - done);
        hw.advance(dt as f32, n_steps)?;
        done += n_steps;
        time += dt * n_steps as f64;
        progress(done, spec.steps);
        fields = hw.fields()?;
        d = hw.diagnostics_of(&fields)[0];
        if !d.energy.is_finite() {
            return Err(IdfError::Diverged {
                step: done,
                step_size: dt as f32,
                suggested: (0.5 * dt) as f32,
                within_bound: dt <= 2.0 * linear_dt,
            });
        }
    }
    let wall_ms = started.elapsed().as_secs_f64() * 1e3;
    if let Some(v) = video {
        v.finish()?;
    }
    let linear = trace
        .iter()
        .take_while(|r| r.diagnostics.energy < 1e4 * trace[0].diagnostics.energy)
        .count();
    let times: Vec<f64> = trace.iter().map(|r| r.time).collect();
    let mode_growth = modes
        .iter()
        .enumerate()
        .filter(|_| linear >= 3)
        .map(|(k, &m)| {
            let points: Vec<(f64, f64)> = (1..linear)
                .map(|r| (times[r], amplitudes[r][k].max(1e-300).ln()))
                .collect();
            ModeGrowthOut {
                kx: spec.k0,
                ky: spec.k0 * m as f64,
                measured: slope(&points),
                theory: ModeProblem {
                    alpha: spec.params.alpha as f64,
                    kappa: spec.params.kappa as f64,
                    nu: spec.params.nu as f64,
                    kx: spec.k0,
                    ky: spec.k0 * m as f64,
                    dx: Some(dx),
                    modified: spec.modified,
                }
                .growth()
                .gamma,
            }
        })
        .collect();
    Ok(PlasmaReport {
        mode_growth,
        energy_growth: energy_growth(&trace, spec, dx),
        dx,
        wall_ms,
        ms_per_step: wall_ms / spec.steps as f64,
        backend: ctx.backend().to_string(),
        trace,
        fields,
    })
}

/// The energy's growth rate over the records while it is still below 10⁴ times its start (the
/// linear phase), by least squares on ln E, beside twice the fastest analytic γ on the grid.
fn energy_growth(trace: &[PlasmaRecord], spec: &PlasmaSpec, dx: f64) -> Option<(f64, f64)> {
    let e0 = trace.first()?.diagnostics.energy;
    let linear: Vec<(f64, f64)> = trace
        .iter()
        .skip(trace.len().min(2))
        .take_while(|r| r.diagnostics.energy < 1e4 * e0)
        .map(|r| (r.time, r.diagnostics.energy.ln()))
        .collect();
    if linear.len() < 3 {
        return None;
    }
    let n = linear.len() as f64;
    let (mt, me) = linear
        .iter()
        .fold((0.0, 0.0), |a, p| (a.0 + p.0 / n, a.1 + p.1 / n));
    let slope = linear.iter().map(|p| (p.0 - mt) * (p.1 - me)).sum::<f64>()
        / linear.iter().map(|p| (p.0 - mt).powi(2)).sum::<f64>();
    let mut fastest: f64 = 0.0;
    for my in 0..spec.size / 2 {
        for mx in 0..spec.size / 2 {
            if mx + my == 0 {
                continue;
            }
            let g = ModeProblem {
                alpha: spec.params.alpha as f64,
                kappa: spec.params.kappa as f64,
                nu: spec.params.nu as f64,
                kx: spec.k0 * mx as f64,
                ky: spec.k0 * my as f64,
                dx: Some(dx),
                modified: spec.modified,
            }
            .growth();
            fastest = fastest.max(g.gamma);
        }
    }
    Some((slope, 2.0 * fastest))
}

/// The least-squares slope of `points` (x, y).
fn slope(points: &[(f64, f64)]) -> f64 {
    let n = points.len() as f64;
    let (mx, my) = points
        .iter()
        .fold((0.0, 0.0), |a, p| (a.0 + p.0 / n, a.1 + p.1 / n));
    points.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum::<f64>()
        / points.iter().map(|p| (p.0 - mx).powi(2)).sum::<f64>()
}

/// A stability scan.
#[derive(Clone, Debug)]
pub struct ScanSpec {
    /// Points per side.
    pub size: usize,
    /// The lowest wavenumber; the scan's modes are (k0, m·k0) for m = 1 … size/2 − 1.
    pub k0: f64,
    /// The adiabaticities.
    pub alphas: Vec<f64>,
    /// The density gradients.
    pub kappas: Vec<f64>,
    /// Hyper-diffusion.
    pub nu: f64,
    /// The modified model.
    pub modified: bool,
    /// Steps of the measurement.
    pub steps: u64,
    /// The step (default: half the linear limit of the hardest chain).
    pub dt: Option<f32>,
    /// Seed of the modes' random phases.
    pub seed: u32,
}

/// The measured and analytic γ(α, κ, k_y).
#[derive(Clone, Debug, Serialize)]
pub struct StabilityMap {
    /// α values.
    pub alphas: Vec<f64>,
    /// κ values.
    pub kappas: Vec<f64>,
    /// k_x of every mode.
    pub kx: f64,
    /// k_y values.
    pub ky: Vec<f64>,
    /// Measured γ, `[alphas][kappas][ky]`.
    pub measured: Vec<f64>,
    /// Measured ω, the same shape.
    pub measured_omega: Vec<f64>,
    /// γ of the discrete operators with the Runge–Kutta step (what the measurement estimates).
    pub theory: Vec<f64>,
    /// γ of the continuum equations.
    pub continuum: Vec<f64>,
    /// The largest |measured − theory|.
    pub max_error: f64,
    /// Step and steps.
    pub dt: f64,
    /// Steps.
    pub steps: u64,
    /// Wall time, ms.
    pub wall_ms: f64,
    /// `cpu` or `gpu`.
    pub backend: String,
}

/// Measures γ(α, κ, k_y) on the backend: every (α, κ) pair is a chain whose modes
/// (k0, m·k0) start on their growing eigenvectors with random phases at amplitude 10⁻⁵ (a
/// linear superposition: the bracket of the modes is of second order in the amplitude); γ and
/// ω come from each mode's complex amplitude at the start and the end.
pub fn stability_scan(
    ctx: &Context,
    spec: &ScanSpec,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<StabilityMap> {
    let dx = check_grid(spec.size, spec.k0)?;
    for (name, v) in [("alpha", &spec.alphas), ("kappa", &spec.kappas)] {
        if v.is_empty() {
            return Err(IdfError::invalid(name, "give at least one value"));
        }
    }
    if spec.steps == 0 {
        return Err(IdfError::invalid("steps", "must be at least 1"));
    }
    // Every (α, κ) pair is a chain of the spectral grid: count them before listing them.
    let pair_count = spec.alphas.len().checked_mul(spec.kappas.len());
    if pair_count.is_none_or(|c| c > MAX_CHAINS) {
        return Err(IdfError::invalid(
            "alpha",
            format!(
                "{} α × {} κ values are over the limit of {MAX_CHAINS} (α, κ) pairs",
                spec.alphas.len(),
                spec.kappas.len()
            ),
        ));
    }
    let n = spec.size;
    let plane = n * n;
    let kys: Vec<usize> = (1..n / 2).collect();
    let pairs: Vec<(f64, f64)> = spec
        .alphas
        .iter()
        .flat_map(|a| spec.kappas.iter().map(move |k| (*a, *k)))
        .collect();
    let params: Vec<ChainParams> = pairs
        .iter()
        .map(|&(alpha, kappa)| ChainParams {
            alpha: alpha as f32,
            kappa: kappa as f32,
            nu: spec.nu as f32,
            noise: 0.0,
        })
        .collect();
    let mut hw = HasegawaWakatani::new(ctx, &params, n, n, dx as f32, spec.modified, spec.seed)?;
    let problem = |c: usize, my: usize, grid: bool| ModeProblem {
        alpha: pairs[c].0,
        kappa: pairs[c].1,
        nu: spec.nu,
        kx: spec.k0,
        ky: spec.k0 * my as f64,
        dx: grid.then_some(dx),
        modified: spec.modified,
    };
    let (mut dens, mut zeta) = (
        vec![0.0f32; pairs.len() * plane],
        vec![0.0f32; pairs.len() * plane],
    );
    let amp = 1e-5;
    for c in 0..pairs.len() {
        for &my in &kys {
            let g = problem(c, my, true).growth();
            let phase = std::f64::consts::TAU
                * unit_closed_open(rng_draw(my as u32, c as u32, 0, spec.seed, STREAM_INIT)[0])
                    as f64;
            let k2 = spec.k0 * spec.k0 * (1 + my * my) as f64;
            for y in 0..n {
                for x in 0..n {
                    let t = spec.k0 * dx * (x + my * y) as f64 + phase;
                    let (c_t, s_t) = (t.cos(), t.sin());
                    let i = c * plane + y * n + x;
                    dens[i] += (amp * (g.n_over_phi.0 * c_t - g.n_over_phi.1 * s_t)) as f32;
                    zeta[i] += (-k2 * amp * c_t) as f32;
                }
            }
        }
    }
    hw.set_state(&dens, &zeta)?;
    let dt = match spec.dt {
        Some(dt) => dt,
        None => (0.5 * hw.stable_step()) as f32,
    };
    // Each chain's modes (k0, m·k0) from the backend's FFT of φ.
    let amplitudes = |spectrum: &[[f32; 2]]| -> Vec<(f64, f64)> {
        (0..pairs.len())
            .flat_map(|c| {
                kys.iter().map(move |&my| {
                    let v = spectrum[c * plane + my * n + 1];
                    (v[0] as f64, v[1] as f64)
                })
            })
            .collect()
    };
    let started = std::time::Instant::now();
    let first = amplitudes(&hw.potential_spectrum()?);
    // The phase is followed in intervals short enough that no mode turns by π in one.
    let fastest_omega = (0..pairs.len())
        .flat_map(|c| kys.iter().map(move |&my| (c, my)))
        .map(|(c, my)| problem(c, my, true).growth().omega.abs())
        .fold(0.0f64, f64::max);
    let interval = ((1.0 / (fastest_omega * dt as f64).max(1e-12)) as u64).clamp(1, spec.steps);
    let mut last = first.clone();
    let mut turned = vec![0.0f64; first.len()];
    let mut done = 0;
    while done < spec.steps {
        let k = interval.min(spec.steps - done);
        hw.advance(dt, k)?;
        done += k;
        progress(done, spec.steps);
        let now = amplitudes(&hw.potential_spectrum()?);
        for ((t, a), b) in turned.iter_mut().zip(&now).zip(&last) {
            // arg(a / b)
            let re = a.0 * b.0 + a.1 * b.1;
            let im = a.1 * b.0 - a.0 * b.1;
            *t += im.atan2(re);
        }
        last = now;
    }
    let total = dt as f64 * spec.steps as f64;
    let norm = |z: &(f64, f64)| (z.0 * z.0 + z.1 * z.1).sqrt();
    let measured: Vec<f64> = last
        .iter()
        .zip(&first)
        .map(|(a, b)| (norm(a) / norm(b)).ln() / total)
        .collect();
    let measured_omega: Vec<f64> = turned.iter().map(|t| -t / total).collect();
    let mut theory = Vec::new();
    let mut continuum = Vec::new();
    for c in 0..pairs.len() {
        for &my in &kys {
            let lambda = problem(c, my, true).eigenvalues()[0];
            theory.push(rk4_growth(lambda, dt as f64).0);
            continuum.push(problem(c, my, false).growth().gamma);
        }
    }
    let max_error = measured
        .iter()
        .zip(&theory)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f64::max);
    Ok(StabilityMap {
        alphas: spec.alphas.clone(),
        kappas: spec.kappas.clone(),
        kx: spec.k0,
        ky: kys.iter().map(|m| spec.k0 * *m as f64).collect(),
        measured,
        measured_omega,
        theory,
        continuum,
        max_error,
        dt: dt as f64,
        steps: spec.steps,
        wall_ms: started.elapsed().as_secs_f64() * 1e3,
        backend: ctx.backend().to_string(),
    })
}

/// A plasma scene file: `idf render FILE.yaml` with a top-level `plasma` key holds a
/// Hasegawa–Wakatani run's keys and the field its video shows; the keys' defaults are
/// [`PlasmaSpec::default`]'s, `field` is `phi`.
#[derive(Clone, Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlasmaScene {
    /// The run.
    pub plasma: PlasmaSceneKeys,
}

/// The keys under `plasma` in a plasma scene.
#[derive(Clone, Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlasmaSceneKeys {
    /// Points per side (a power of two).
    pub size: Option<usize>,
    /// The lowest wavenumber.
    pub k0: Option<f64>,
    /// α.
    pub alpha: Option<f32>,
    /// κ.
    pub kappa: Option<f32>,
    /// ν.
    pub nu: Option<f32>,
    /// The modified model.
    #[serde(default)]
    pub modified: bool,
    /// Stochastic forcing.
    pub noise: Option<f32>,
    /// Steps.
    pub steps: Option<u64>,
    /// Steps between frames.
    pub record_every: Option<u64>,
    /// A fixed time step.
    pub dt: Option<f32>,
    /// Initial noise.
    pub amplitude: Option<f32>,
    /// Seed.
    pub seed: Option<u32>,
    /// n, zeta or phi.
    pub field: Option<String>,
}

impl PlasmaScene {
    /// The plasma scene in `path`, or `None` when the YAML file has no top-level `plasma` key
    /// (a lattice scene). Errors name the file and the key.
    pub fn load(path: &std::path::Path) -> Result<Option<Self>> {
        load_capsule_scene(path, "plasma")
    }

    /// The run that renders it to `output`, with `frames` (default: one per `record_every`,
    /// 50 steps), `size` and `seed` overriding the file's.
    pub fn spec(
        &self,
        output: Output,
        frames: Option<u64>,
        size: Option<usize>,
        seed: Option<u32>,
    ) -> Result<PlasmaSpec> {
        let k = &self.plasma;
        let d = PlasmaSpec::default();
        let steps = k.steps.unwrap_or(d.steps);
        let record_every = match frames {
            Some(0 | 1) => return Err(IdfError::invalid("frames", "need at least 2 frames")),
            Some(f) => steps.div_ceil(f - 1).max(1),
            None => k.record_every.unwrap_or(d.record_every),
        };
        let field: PlasmaField = k.field.as_deref().unwrap_or("phi").parse()?;
        Ok(PlasmaSpec {
            size: size.or(k.size).unwrap_or(d.size),
            k0: k.k0.unwrap_or(d.k0),
            params: ChainParams {
                alpha: k.alpha.unwrap_or(d.params.alpha),
                kappa: k.kappa.unwrap_or(d.params.kappa),
                nu: k.nu.unwrap_or(d.params.nu),
                noise: k.noise.unwrap_or(0.0),
            },
            modified: k.modified,
            steps,
            record_every,
            dt: k.dt,
            amplitude: k.amplitude.unwrap_or(d.amplitude),
            seed: seed.or(k.seed).unwrap_or(0),
            video: Some((output, field)),
        })
    }
}
