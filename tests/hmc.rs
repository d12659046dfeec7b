//! HMC on a Gaussian: the mean energy error ⟨ΔH⟩ of leapfrog on a harmonic oscillator has a closed
//! form, and the sampler reproduces the exact moments; GPU and CPU agree.

use crate::common;

use crate::common::assert_within_stderr;
use idf::{
    Context, EnergyModel, Field, Method, Observable, RunConfig, Simulation, TemperatureSchedule,
};

/// ⟨ΔH⟩ per degree of freedom after `l` leapfrog steps of size `eps` for H = ω²x²/2 + p²/2 from
/// equilibrium: ½ tr(D A D⁻¹ Aᵀ) − 1 with A the leapfrog matrix to the power l and D = diag(ω², 1).
fn leapfrog_mean_delta_h(omega2: f64, eps: f64, l: u32) -> f64 {
    let m = [
        [1.0 - eps * eps * omega2 / 2.0, eps],
        [
            -eps * omega2 * (1.0 - eps * eps * omega2 / 4.0),
            1.0 - eps * eps * omega2 / 2.0,
        ],
    ];
    let mul = |a: [[f64; 2]; 2], b: [[f64; 2]; 2]| {
        let mut c = [[0.0; 2]; 2];
        for i in 0..2 {
            for j in 0..2 {
                c[i][j] = a[i][0] * b[0][j] + a[i][1] * b[1][j];
            }
        }
        c
    };
    let mut a = [[1.0, 0.0], [0.0, 1.0]];
    for _ in 0..l {
        a = mul(m, a);
    }
    let d = [omega2, 1.0];
    let mut tr = 0.0;
    for i in 0..2 {
        for k in 0..2 {
            tr += d[i] * a[i][k] * a[i][k] / d[k];
        }
    }
    0.5 * tr - 1.0
}

fn gaussian() -> EnergyModel {
    EnergyModel::from_params(
        "phi4",
        &[
            ("kappa".into(), "0".into()),
            ("a".into(), "1".into()),
            ("b".into(), "0".into()),
        ],
    )
    .unwrap()
}

fn hmc_run(eps: f32, l: u32, steps: u64) -> RunConfig {
    RunConfig {
        method: Method::Hmc,
        step_size: eps,
        schedule: TemperatureSchedule::constant(1.0),
        burn_in: 20,
        steps,
        record_every: 1,
        leapfrog_steps: l,
    }
}

on_both! {
    fn mean_delta_h_and_moments_match_closed_forms(ctx: &Context) {
        let (eps, l) = (0.9f32, 4u32);
        let model = gaussian();
        let shape = model.shape(256, Some([4, 4])).unwrap();
        let mut sim = Simulation::new(ctx, &model, &Field::random_normal(shape, 2, 1.0).unwrap(), 3).unwrap();
        let trace = sim.run(&hmc_run(eps, l, 300), &mut |_, _| {}).unwrap();
        let dh = idf::estimate(&trace.series(Observable::DeltaH, 1).unwrap());
        let exact = shape.sites_per_chain() as f64 * leapfrog_mean_delta_h(1.0, eps as f64, l);
        assert!(exact > 0.05, "the step must make ⟨ΔH⟩ measurable: {exact}");
        assert_within_stderr("<ΔH>", dh.mean, dh.stderr.unwrap(), exact, 4.5);
        let m2 = idf::estimate(&trace.series(Observable::MeanSquare, 1).unwrap());
        assert_within_stderr("<x^2>", m2.mean, m2.stderr.unwrap(), 1.0, 4.5);
        // The exact identity of a volume-preserving, reversible integrator from equilibrium:
        // ⟨e^(−ΔH)⟩ = 1; and the mean acceptance is ⟨min(1, e^(−ΔH))⟩ of the same trajectories.
        let dh_series = trace.series(Observable::DeltaH, 1).unwrap();
        let boltzmann: Vec<Vec<f64>> = dh_series
            .iter()
            .map(|c| c.iter().map(|d| (-d).exp()).collect())
            .collect();
        let w = idf::estimate(&boltzmann);
        assert_within_stderr("<exp(−ΔH)>", w.mean, w.stderr.unwrap(), 1.0, 4.5);
        // Each trajectory's accept decision (0 or 1) minus its probability has mean 0.
        let decisions = trace.series(Observable::Acceptance, 1).unwrap();
        let surprise: Vec<Vec<f64>> = decisions
            .iter()
            .zip(&dh_series)
            .map(|(a, d)| a.iter().zip(d).map(|(a, d)| a - (-d).exp().min(1.0)).collect())
            .collect();
        let e = idf::estimate(&surprise);
        assert_within_stderr("acceptance − min(1, e^(−ΔH))", e.mean, e.stderr.unwrap(), 0.0, 4.5);
    }
}

#[test]
fn gpu_and_cpu_hmc_agree() {
    common::on_gpu(|gpu| {
        let model = EnergyModel::from_params("phi4", &[]).unwrap();
        let shape = model.shape(4, Some([8, 8])).unwrap();
        let init = Field::random_normal(shape, 6, 1.0).unwrap();
        let cfg = RunConfig {
            burn_in: 0,
            ..hmc_run(0.05, 10, 10)
        };
        let mut fields = Vec::new();
        for ctx in [&Context::cpu(), gpu] {
            let mut sim = Simulation::new(ctx, &model, &init, 4).unwrap();
            let trace = sim.run(&cfg, &mut |_, _| {}).unwrap();
            fields.push((sim.field().unwrap(), trace));
        }
        let d = fields[0]
            .0
            .data()
            .iter()
            .zip(fields[1].0.data())
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f32::max);
        assert!(d <= 1e-4, "HMC fields differ by {d:e}");
        for r in 1..fields[0].1.records.len() {
            for c in 0..4 {
                let (a, b) = (
                    fields[0].1.value(Observable::DeltaH, r, c).unwrap(),
                    fields[1].1.value(Observable::DeltaH, r, c).unwrap(),
                );
                assert!((a - b).abs() <= 1e-3, "ΔH record {r} chain {c}: {a} vs {b}");
            }
        }
    });
}
