//! The 2D Ising model with checkerboard Metropolis on a periodic 64×64 lattice against Onsager's
//! exact energy per site and Yang's spontaneous magnetization, below and above T_c = 2/ln(1+√2).
//! Tolerances are 4.5 batch-means standard errors; finite-size corrections at these temperatures
//! decay like exp(−L/ξ) with ξ of a few sites, far below the statistical error.

use crate::common::assert_within_stderr;
use idf::{
    Context, EnergyModel, Field, Method, Observable, RunConfig, Simulation, TemperatureSchedule,
};

/// Complete elliptic integral of the first kind K(k) by the arithmetic-geometric mean.
fn elliptic_k(k: f64) -> f64 {
    let (mut a, mut b) = (1.0f64, (1.0 - k * k).sqrt());
    for _ in 0..40 {
        let (an, bn) = ((a + b) / 2.0, (a * b).sqrt());
        a = an;
        b = bn;
    }
    std::f64::consts::PI / (2.0 * a)
}

/// Onsager's energy per site of the square-lattice ferromagnet (J = 1).
fn onsager_energy(t: f64) -> f64 {
    let b2 = 2.0 / t;
    let k = 2.0 * b2.sinh() / b2.cosh().powi(2);
    let th = b2.tanh();
    -(1.0 / th) * (1.0 + (2.0 / std::f64::consts::PI) * (2.0 * th * th - 1.0) * elliptic_k(k))
}

/// Yang's spontaneous magnetization (0 above T_c).
fn yang_magnetization(t: f64) -> f64 {
    let s = (2.0 / t).sinh();
    let x = 1.0 - s.powi(-4);
    if x > 0.0 {
        x.powf(0.125)
    } else {
        0.0
    }
}

fn measure(ctx: &Context, t: f32) -> (idf::Estimate, idf::Estimate) {
    let model = EnergyModel::from_params("ising", &[]).unwrap();
    let shape = model.shape(4, Some([64, 64])).unwrap();
    let tc = 2.0 / (1.0 + 2f32.sqrt()).ln();
    // Below T_c start ordered (a hot start can freeze into stripes); above, start hot.
    let init = if t < tc {
        Field::from_vec(shape, vec![1.0; shape.len()]).unwrap()
    } else {
        Field::random_spins(shape, 8).unwrap()
    };
    let mut sim = Simulation::new(ctx, &model, &init, 21).unwrap();
    let run = RunConfig {
        method: Method::Metropolis,
        step_size: 1.0,
        schedule: TemperatureSchedule::constant(t),
        burn_in: 300,
        steps: 2000,
        record_every: 4,
        ..RunConfig::default()
    };
    let trace = sim.run(&run, &mut |_, _| {}).unwrap();
    // 64² fields sweep in multi-spin coding (tests/multispin.rs): these checks hold on it.
    assert_eq!(sim.multispin_sweeps(), 2300, "the sweeps should run packed");
    (
        idf::estimate(&trace.series(Observable::EnergyPerSite, 1).unwrap()),
        idf::estimate(&trace.series(Observable::AbsMagnetization, 1).unwrap()),
    )
}

#[test]
fn exact_references_are_right() {
    let tc = 2.0 / (1.0 + 2f64.sqrt()).ln();
    // u is continuous at T_c with u(T_c) = −√2 (the specific heat diverges only logarithmically).
    for t in [tc - 1e-4, tc + 1e-4] {
        assert!(
            (onsager_energy(t) + 2f64.sqrt()).abs() < 1e-2,
            "u({t}) = {}",
            onsager_energy(t)
        );
    }
    assert!((onsager_energy(0.5) + 2.0).abs() < 1e-6);
    assert!((yang_magnetization(2.0) - 0.911_319_8).abs() < 1e-6);
}

on_both! {
    fn below_tc_matches_onsager_and_yang(ctx: &Context) {
        let t = 2.0;
        let (e, m) = measure(ctx, t as f32);
        assert_within_stderr("energy per site at T=2", e.mean, e.stderr.unwrap(), onsager_energy(t), 4.5);
        assert_within_stderr("|m| at T=2", m.mean, m.stderr.unwrap(), yang_magnetization(t), 4.5);
    }
}

on_both! {
    fn above_tc_matches_onsager_and_has_no_magnetization(ctx: &Context) {
        let t = 3.0;
        let (e, m) = measure(ctx, t as f32);
        assert_within_stderr("energy per site at T=3", e.mean, e.stderr.unwrap(), onsager_energy(t), 4.5);
        // Above T_c the infinite lattice has m = 0; a finite one keeps ⟨|m|⟩ ≈ √(2χT/(πN)), a few
        // percent here (χT ≈ 2.5 at T = 3), so it must be small but not below zero.
        assert!(m.mean < 4.0 / 64.0, "⟨|m|⟩ = {} should be O(1/L) above T_c", m.mean);
    }
}
