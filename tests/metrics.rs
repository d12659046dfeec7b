//! Reductions and entropies on both backends against f64 sums and exact values; Boltzmann weights
//! and resampling; the autocorrelation estimators.

use crate::common;

use idf::engine::entropy::{density_entropy, histogram_entropy, shannon_entropy};
use idf::{
    boltzmann_weight, effective_sample_size, integrated_autocorrelation_time, systematic_resample,
    Context, EnergyModel, Field, Histogram, Shape, Simulation,
};

fn stats(ctx: &Context, field: &Field, h: Option<Histogram>) -> Vec<idf::ChainStats> {
    let model = EnergyModel::from_params("phi4", &[]).unwrap();
    let mut sim = Simulation::new(ctx, &model, field, 1).unwrap();
    sim.chain_stats(h).unwrap()
}

/// Checks each chain's reductions against f64 values: sums within `levels` workgroup sums'
/// bound of (2 + log2 64)·ε·Σ|x| each (Kahan partials, then a tree of 64), the variance within
/// 4 times that relative, min and max exactly, the entropies to 1e-5 (relative, or absolute
/// below 1: one site's is 0) and no histogram entropy without a histogram.
fn assert_stats_match_f64(
    field: &Field,
    h: Option<Histogram>,
    got: &[idf::ChainStats],
    levels: f64,
) {
    let eps = f32::EPSILON as f64;
    for (c, s) in got.iter().enumerate() {
        let x: Vec<f64> = field.chain(c).iter().map(|v| *v as f64).collect();
        let n = x.len() as f64;
        let sum: f64 = x.iter().sum();
        let abs: f64 = x.iter().map(|v| v.abs()).sum();
        let mean = sum / n;
        let var = x.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n;
        let bound = levels * 8.0 * eps * abs;
        assert!(
            (s.sum - sum).abs() <= bound,
            "chain {c}: sum {} vs {sum}: bound {bound:e}",
            s.sum
        );
        assert!(
            (s.mean - mean).abs() <= bound / n,
            "chain {c}: mean {} vs {mean}",
            s.mean
        );
        assert!(
            (s.variance - var).abs() <= levels * 8.0 * eps * var * 4.0,
            "chain {c}: variance {} vs {var}",
            s.variance
        );
        let min = field.chain(c).iter().cloned().fold(f32::MAX, f32::min) as f64;
        let max = field.chain(c).iter().cloned().fold(f32::MIN, f32::max) as f64;
        assert_eq!((s.min, s.max), (min, max), "chain {c}");
        let s_exact = density_entropy(field.chain(c));
        assert!(
            (s.density_entropy - s_exact).abs() <= 1e-5 * s_exact.max(1.0),
            "chain {c}: density entropy {} vs {s_exact}",
            s.density_entropy
        );
        match h {
            Some(h) => {
                let h_exact = histogram_entropy(field.chain(c), h);
                assert!(
                    (s.histogram_entropy - h_exact).abs() <= 1e-5 * h_exact,
                    "chain {c}: histogram entropy {} vs {h_exact}",
                    s.histogram_entropy
                );
            }
            None => assert!(
                s.histogram_entropy.is_nan(),
                "chain {c}: a histogram entropy without one"
            ),
        }
    }
}

on_both! {
    /// 16 384-site sums in f32 (one workgroup per chain) with compensated partials and a tree
    /// stay within (2 + log2 64)·ε·Σ|x| of the f64 sum; a plain running f32 sum may be off by up
    /// to n·ε·Σ|x|.
    fn reductions_match_f64(ctx: &Context) {
        let shape = Shape::new(2, 1, 128, 128).unwrap();
        let mut field = Field::random_normal(shape, 3, 1.0).unwrap();
        field.data_mut().iter_mut().for_each(|v| *v = 4.0 + 0.5 * *v); // positive, mean far from 0: cancellation-prone
        let h = Histogram::new(-2.0, 8.0, 64).unwrap();
        let got = stats(ctx, &field, Some(h));
        assert_stats_match_f64(&field, Some(h), &got, 1.0);
    }
}

on_both! {
    /// Chains of fewer than 64 sites, observed without a histogram, share a workgroup
    /// (`observe_lanes`): 37 chains of 3×5 sites (four to a workgroup, the last part full), 100
    /// of 1×3 and 3 of one site. Each chain is offset by its index, so a chain reduced from
    /// another's sites, or written to another's slot, fails.
    fn short_chains_sharing_a_workgroup_reduce_to_their_own_values(ctx: &Context) {
        for (chains, height, width) in [(37, 3, 5), (100, 1, 3), (3, 1, 1)] {
            let shape = Shape::new(chains, 1, height, width).unwrap();
            let n = shape.sites_per_chain();
            let mut field = Field::random_normal(shape, 7, 1.0).unwrap();
            field.data_mut().iter_mut().enumerate().for_each(|(i, v)| *v = 10.0 + (i / n) as f32 + 0.5 * *v);
            let got = stats(ctx, &field, None);
            assert_eq!(got.len(), chains);
            assert_stats_match_f64(&field, None, &got, 1.0);
        }
    }
}

on_both! {
    /// A chain of more than 16 384 sites is reduced a block at a time (`chain_observable_blocks`)
    /// and then over its blocks: each level adds at most the (2 + log2 64)·ε·Σ|x| of a
    /// workgroup's sum, so the sums stay within twice the bound above; the second moment is
    /// Σ_b [M2_b + n_b (mean_b − mean)²], exact in exact arithmetic.
    fn long_chains_reduce_by_blocks_to_f64_values(ctx: &Context) {
        // 300² = 90 000 sites: five full blocks of 16 384 and one of 8 080.
        let shape = Shape::new(2, 1, 300, 300).unwrap();
        let mut field = Field::random_normal(shape, 5, 1.0).unwrap();
        let n = shape.sites_per_chain();
        // Chain 1 has a step in its mean between blocks 4 and 5: the between-block term matters.
        field.data_mut().iter_mut().enumerate().for_each(|(i, v)| {
            let shift = if i >= n && i - n >= 65_536 { 2.0 } else { 0.0 };
            *v = 4.0 + shift + 0.5 * *v;
        });
        let h = Histogram::new(-2.0, 10.0, 200).unwrap();
        let got = stats(ctx, &field, Some(h));
        let eps = f32::EPSILON as f64;
        assert_stats_match_f64(&field, Some(h), &got, 2.0);
        // The energy against φ⁴'s in f64, E = Σ (κ/2)|∇φ|² + (a/2)φ² + (b/4)φ⁴ − hφ, for
        // κ = 1, a = −1, b = 0.5, h = 0.25 (each site's f32 terms round at ε relative).
        let param = |k: &str, v: &str| (k.to_string(), v.to_string());
        let model = EnergyModel::from_params(
            "phi4",
            &[param("kappa", "1"), param("a", "-1"), param("b", "0.5"), param("h", "0.25")],
        )
        .unwrap();
        let mut sim = Simulation::new(ctx, &model, &field, 1).unwrap();
        for (c, e) in sim.energies().unwrap().iter().enumerate() {
            let phi = |y: usize, x: usize| field.chain(c)[(y % 300) * 300 + x % 300] as f64;
            let (mut exact, mut abs) = (0.0, 0.0);
            for y in 0..300 {
                for x in 0..300 {
                    let p = phi(y, x);
                    let (dr, dd) = (p - phi(y, x + 1), p - phi(y + 1, x));
                    let site = 0.5 * (dr * dr + dd * dd) - 0.5 * p * p + 0.125 * p.powi(4) - 0.25 * p;
                    exact += site;
                    abs += site.abs();
                }
            }
            let bound = 2.0 * 8.0 * eps * abs + 8.0 * eps * abs;
            assert!((e - exact).abs() <= bound, "chain {c}: energy {e} vs {exact}: bound {bound:e}");
        }
    }
}

on_both! {
    fn entropies_of_known_distributions_are_exact(ctx: &Context) {
        let shape = Shape::new(1, 1, 64, 64).unwrap();
        let n = shape.len() as f64;
        // Uniform density: S = ln N.
        let uniform = Field::from_vec(shape, vec![2.5; shape.len()]).unwrap();
        let s = &stats(ctx, &uniform, Some(Histogram::new(-4.0, 4.0, 8).unwrap()))[0];
        assert!((s.density_entropy - n.ln()).abs() < 1e-5, "uniform density {} vs ln N {}", s.density_entropy, n.ln());
        assert_eq!(s.histogram_entropy, 0.0, "a single value fills one bin");
        // Two-point values ±1 in equal numbers: histogram entropy ln 2; as a density (1 and 3),
        // S = ln(2N) − (3/4) ln 3.
        let two: Vec<f32> = (0..shape.len()).map(|i| if i % 2 == 0 { 1.0 } else { 3.0 }).collect();
        let s = &stats(ctx, &Field::from_vec(shape, two).unwrap(), Some(Histogram::new(0.0, 4.0, 2).unwrap()))[0];
        assert!((s.histogram_entropy - 2f64.ln()).abs() < 1e-6, "two-point histogram {}", s.histogram_entropy);
        let exact = (2.0 * n).ln() - 0.75 * 3f64.ln();
        assert!((s.density_entropy - exact).abs() < 1e-5, "two-point density {} vs {exact}", s.density_entropy);
        // A density with a non-positive value has no entropy.
        let mut bad = vec![1.0f32; shape.len()];
        bad[7] = 0.0;
        assert!(stats(ctx, &Field::from_vec(shape, bad).unwrap(), None)[0].density_entropy.is_nan());
        assert!((shannon_entropy(&[0.5, 0.5]) - 2f64.ln()).abs() < 1e-15);
    }
}

on_both! {
    fn boltzmann_weights_are_stable_and_give_the_ess(ctx: &Context) {
        let energies = [1e4, -1e4, 0.0, 5.0, -1e4 + 2.0];
        let w = boltzmann_weight(ctx, &energies, 1.0).unwrap();
        assert!(w.log_weights.iter().all(|l| l.is_finite() || *l == f64::NEG_INFINITY));
        // Exact in f64: ln Z = 1e4 + ln(1 + e^-2) to the precision of f32 at 1e4.
        let exact = 1e4 + (1.0 + (-2f64).exp()).ln();
        assert!((w.log_z - exact).abs() <= 1e4 * f32::EPSILON as f64 * 2.0, "ln Z {} vs {exact}", w.log_z);
        let total: f64 = w.weights().iter().sum();
        assert!((total - 1.0).abs() < 1e-5);
        let single = boltzmann_weight(ctx, &[0.0, 1e4, 1e4, 1e4], 1.0).unwrap();
        assert!((single.ess - 1.0).abs() < 1e-6, "one dominant weight: ESS {}", single.ess);
        let equal = boltzmann_weight(ctx, &[3.0; 1000], 2.0).unwrap();
        assert!((equal.ess - 1000.0).abs() < 1e-2, "equal weights: ESS {}", equal.ess);
        assert!((equal.log_z - (1000f64.ln() - 1.5)).abs() < 1e-5);
        assert!(boltzmann_weight(ctx, &[f64::NAN], 1.0).is_err());
    }
}

on_both! {
    fn resampling_copies_ancestors(ctx: &Context) {
        let model = EnergyModel::from_params("phi4", &[]).unwrap();
        let shape = model.shape(4, Some([4, 4])).unwrap();
        let field = Field::random_normal(shape, 5, 1.0).unwrap();
        let mut sim = Simulation::new(ctx, &model, &field, 1).unwrap();
        sim.resample(&[2, 2, 0, 3]).unwrap();
        let out = sim.field().unwrap();
        for (c, a) in [2usize, 2, 0, 3].iter().enumerate() {
            assert_eq!(out.chain(c), field.chain(*a));
        }
        assert!(sim.resample(&[0, 1, 2, 4]).is_err(), "ancestor out of range");
        // One chain of very low energy takes over.
        let energies = sim.energies().unwrap();
        let best = energies.iter().enumerate().min_by(|a, b| a.1.total_cmp(b.1)).unwrap().0;
        let w = sim.resample_by_weight(ctx, 1e-3, 0.5).unwrap();
        assert!(w.ess < 1.0 + 1e-6);
        let winner = sim.energies().unwrap();
        assert!(winner.iter().all(|e| (e - energies[best]).abs() < 1e-3), "{winner:?} vs {}", energies[best]);
    }
}

#[test]
fn systematic_resampling_is_proportional() {
    let a = systematic_resample(&[0.5, 0.25, 0.25, 0.0], 0.5);
    assert_eq!(a, vec![0, 0, 1, 2]);
    let b = systematic_resample(&[0.0, 0.0, 1.0, 0.0], 0.1);
    assert_eq!(b, vec![2, 2, 2, 2]);
}

#[test]
fn autocorrelation_time_of_ar1_matches_closed_form() {
    // x_t = ρ x_{t−1} + √(1−ρ²) z_t has τ = (1+ρ)/(1−ρ).
    let rho = 0.8;
    let z = Field::random_normal(Shape::new(1, 1, 1, 200_000).unwrap(), 9, 1.0).unwrap();
    let mut x = 0.0f64;
    let series: Vec<f64> = z
        .data()
        .iter()
        .map(|zi| {
            x = rho * x + (1.0 - rho * rho).sqrt() * *zi as f64;
            x
        })
        .collect();
    let tau = integrated_autocorrelation_time(&series);
    let exact = (1.0 + rho) / (1.0 - rho);
    // Sokal: var(τ̂) ≈ 2(2W+1)/n · τ² with W ≈ 5τ.
    let se = (2.0 * (10.0 * exact + 1.0) / series.len() as f64).sqrt() * exact;
    common::assert_within_stderr("tau", tau, se, exact, 4.5);
    let ess = effective_sample_size(&series);
    assert!((ess - series.len() as f64 / tau).abs() < 1e-9);
    let white: Vec<f64> = z.data().iter().map(|v| *v as f64).collect();
    assert!((integrated_autocorrelation_time(&white) - 1.0).abs() < 0.05);
}

on_both! {
    fn histograms_count_every_value_in_its_bin(ctx: &Context) {
        let shape = Shape::new(3, 1, 20, 20).unwrap();
        let field = Field::random_normal(shape, 12, 1.5).unwrap();
        let h = Histogram::new(-3.0, 3.0, 24).unwrap();
        let model = EnergyModel::from_params("phi4", &[]).unwrap();
        let mut sim = Simulation::new(ctx, &model, &field, 1).unwrap();
        let counts = sim.histograms(h).unwrap();
        for (c, got) in counts.iter().enumerate() {
            let mut expected = vec![0u32; 24];
            for x in field.chain(c) {
                let b = ((x + 3.0) / 6.0 * 24.0).floor().clamp(0.0, 23.0) as usize;
                expected[b] += 1;
            }
            assert_eq!(got, &expected, "chain {c}");
            assert_eq!(got.iter().sum::<u32>(), 400);
        }
    }
}
