//! Heat flow is φ⁴ with a = b = h = 0 under Langevin at T = 0: ρ ← ρ + r Δρ with r = κη.
//! A Fourier mode decays by the discrete amplification factor; mass is conserved; for r ≤ 1/4
//! the update is a doubly stochastic average, so the density entropy never decreases.

use idf::{
    EnergyModel, Field, Method, Observable, RunConfig, Shape, Simulation, TemperatureSchedule,
};

fn heat_model() -> EnergyModel {
    EnergyModel::from_params(
        "phi4",
        &[
            ("kappa".into(), "1".into()),
            ("a".into(), "0".into()),
            ("b".into(), "0".into()),
        ],
    )
    .unwrap()
}

fn heat_run(r: f32, steps: u64) -> RunConfig {
    RunConfig {
        method: Method::Langevin,
        step_size: r,
        schedule: TemperatureSchedule::constant(0.0),
        steps,
        record_every: 1,
        ..RunConfig::default()
    }
}

on_both! {
    fn fourier_mode_decays_by_the_amplification_factor(ctx: &Context) {
        let (l, steps, r) = (32usize, 50u64, 0.2f32);
        let (kx, ky) = (2.0 * std::f64::consts::PI * 3.0 / l as f64, 2.0 * std::f64::consts::PI * 2.0 / l as f64);
        let mode = |i: usize| ((kx * (i % l) as f64) + ky * (i / l) as f64).cos();
        let shape = Shape::new(1, 1, l, l).unwrap();
        let init: Vec<f32> = (0..l * l).map(|i| (1.0 + 0.1 * mode(i)) as f32).collect();
        let mut sim = Simulation::new(ctx, &heat_model(), &Field::from_vec(shape, init).unwrap(), 1).unwrap();
        sim.run(&heat_run(r, steps), &mut |_, _| {}).unwrap();
        let out = sim.field().unwrap();
        let g = 1.0 - 4.0 * r as f64 * ((kx / 2.0).sin().powi(2) + (ky / 2.0).sin().powi(2));
        let amplitude = 0.1 * g.powi(steps as i32);
        // f32 round-off: a few operations per site per step, each ≤ ε·|ρ| with |ρ| ≤ 1.1.
        let bound = steps as f64 * 6.0 * f32::EPSILON as f64 * 1.1;
        for (i, v) in out.data().iter().enumerate() {
            let exact = 1.0 + amplitude * mode(i);
            assert!((*v as f64 - exact).abs() <= bound, "site {i}: {v} vs {exact} (bound {bound:e})");
        }
        let projected: f64 = out.data().iter().enumerate().map(|(i, v)| (*v as f64 - 1.0) * mode(i)).sum::<f64>()
            / (0..l * l).map(|i| mode(i).powi(2)).sum::<f64>();
        assert!((projected - amplitude).abs() <= 1e-4 * amplitude.abs() + bound, "amplitude {projected} vs {amplitude}");
    }
}

on_both! {
    fn mass_is_conserved_and_entropy_never_decreases(ctx: &Context) {
        let shape = Shape::new(4, 1, 32, 32).unwrap();
        let mut density = Field::random_normal(shape, 4, 0.5).unwrap();
        density.data_mut().iter_mut().for_each(|v| *v = v.exp());
        for r in [0.1f32, 0.25] {
            let mut sim = Simulation::new(ctx, &heat_model(), &density, 1).unwrap();
            let trace = sim.run(&heat_run(r, 200), &mut |_, _| {}).unwrap();
            for c in 0..shape.chains {
                let m0 = trace.value(Observable::Sum, 0, c).unwrap();
                for rec in 1..trace.records.len() {
                    let m = trace.value(Observable::Sum, rec, c).unwrap();
                    assert!(((m - m0) / m0).abs() <= 1e-6, "r={r} chain {c} record {rec}: mass {m} vs {m0}");
                }
                // S ≈ ln N ≈ 7 is computed in f32: round-off ~ a few ε·ln N.
                for (steps, ds) in trace.deltas(Observable::DensityEntropy, c) {
                    assert_eq!(steps, 1);
                    assert!(ds >= -8.0 * f32::EPSILON as f64 * 7.0, "r={r} chain {c}: entropy fell by {ds:e}");
                }
                let first = trace.value(Observable::DensityEntropy, 0, c).unwrap();
                let last = trace.value(Observable::DensityEntropy, trace.records.len() - 1, c).unwrap();
                assert!(last > first + 0.01, "entropy must rise as the density smooths: {first} -> {last}");
            }
        }
    }
}

on_both! {
    fn unstable_step_lowers_entropy(ctx: &Context) {
        let shape = Shape::new(2, 1, 32, 32).unwrap();
        let mut density = Field::random_normal(shape, 4, 0.5).unwrap();
        density.data_mut().iter_mut().for_each(|v| *v = v.exp());
        let mut sim = Simulation::new(ctx, &heat_model(), &density, 1).unwrap();
        let trace = sim.run(&heat_run(0.3, 60), &mut |_, _| {}).unwrap();
        let drops = trace.deltas(Observable::DensityEntropy, 0).iter().filter(|(_, ds)| ds.is_nan() || *ds < -1e-3).count();
        assert!(drops > 0, "past r = 1/4 the checkerboard mode grows and the entropy must fall");
    }
}

/// `idf dataset synth --model heat_flow`: every snapshot is its trajectory's white-noise start
/// with each Fourier mode multiplied by the scheme's amplification factor to the power of its
/// step count, A_k = 1 − 4r(sin²(πk_x/L) + sin²(πk_y/L)) with r = κη; and two shards merge into
/// the file one worker writes.
#[test]
fn heat_flow_snapshots_decay_mode_by_mode() {
    use idf::io::atlas::Atlas;
    use idf::jobs::dataset::heat_flow::steps_to;
    use idf::jobs::dataset::{merge, synth, GridAxis, Shard, SynthSpec};
    use rustfft::num_complex::Complex64;
    let l = 16usize;
    let dir = std::env::temp_dir().join(format!("idf-heat-flow-{}", std::process::id()));
    let spec = |shard: Shard| SynthSpec {
        model: "heat_flow".into(),
        params: Vec::new(),
        temperature: 1.0,
        grid: vec![
            "kappa=0.5,1".parse::<GridAxis>().unwrap(),
            "time=0,1,2.5".parse::<GridAxis>().unwrap(),
        ],
        size: [l, l],
        samples: 3,
        chains: 1,
        burn_in: 0,
        pilot: 0,
        seed: 4,
        shard,
    };
    let whole = dir.join("whole.h5");
    let cfg = idf::Config::default();
    synth(
        &idf::Context::cpu(),
        &cfg,
        &spec(Shard::ALL),
        &whole,
        &mut |_, _| {},
    )
    .unwrap();
    // 2-D DFT of one map, in f64.
    let fft = rustfft::FftPlanner::<f64>::new().plan_fft_forward(l);
    let dft = |map: &[f32]| -> Vec<Complex64> {
        let mut c: Vec<Complex64> = map.iter().map(|v| Complex64::new(*v as f64, 0.0)).collect();
        for row in c.chunks_mut(l) {
            fft.process(row);
        }
        for x in 0..l {
            let mut col: Vec<Complex64> = (0..l).map(|y| c[y * l + x]).collect();
            fft.process(&mut col);
            for y in 0..l {
                c[y * l + x] = col[y];
            }
        }
        c
    };
    let atlas = Atlas::open(&whole).unwrap();
    let rows = atlas.conditions().to_vec();
    let maps = atlas
        .read_maps(&(0..atlas.len()).collect::<Vec<_>>())
        .unwrap();
    let map = |i: usize| &maps[i * l * l..(i + 1) * l * l];
    let start = |kappa: f32, trajectory: f32| {
        (0..atlas.len())
            .find(|&i| {
                rows[3 * i] == 0.0 && rows[3 * i + 1] == kappa && rows[3 * i + 2] == trajectory
            })
            .unwrap()
    };
    let mut checked = 0;
    for i in 0..atlas.len() {
        let (t, kappa, trajectory) = (rows[3 * i], rows[3 * i + 1], rows[3 * i + 2]);
        let (n, eta) = steps_to(t, kappa);
        let r = (kappa * eta) as f64;
        let (c0, ct) = (dft(map(start(kappa, trajectory))), dft(map(i)));
        let scale = c0.iter().map(|c| c.norm()).fold(0.0, f64::max);
        for ky in 0..l {
            for kx in 0..l {
                let s = |k: usize| (std::f64::consts::PI * k as f64 / l as f64).sin().powi(2);
                let a = (1.0 - 4.0 * r * (s(kx) + s(ky))).powi(n as i32);
                let err = (ct[ky * l + kx] - c0[ky * l + kx] * a).norm();
                // f32 rounding of n steps of a field of unit variance.
                assert!(
                    err < 1e-5 * scale * (n as f64 + 1.0),
                    "t {t}, κ {kappa}, mode ({kx}, {ky}): {err}"
                );
            }
        }
        checked += 1;
    }
    assert_eq!(checked, 2 * 3 * 3);
    let shards: Vec<_> = (0..2u32)
        .map(|index| {
            let path = dir.join(format!("shard-{index}.h5"));
            synth(
                &idf::Context::cpu(),
                &cfg,
                &spec(Shard { index, count: 2 }),
                &path,
                &mut |_, _| {},
            )
            .unwrap();
            path
        })
        .collect();
    let merged = dir.join("merged.h5");
    merge(&shards, &merged).unwrap();
    let joined = Atlas::open(&merged).unwrap();
    assert_eq!(joined.conditions(), atlas.conditions());
    assert_eq!(
        joined
            .read_maps(&(0..joined.len()).collect::<Vec<_>>())
            .unwrap(),
        maps
    );
    std::fs::remove_dir_all(&dir).ok();
}
