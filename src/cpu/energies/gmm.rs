//! Gaussian mixture in R^D, the twin of `shaders/energies/gmm.wgsl`: each chain is one point.
//! `energy_params = [K, D, then per component: ln w_k, σ_k, μ_k (D values)]`, evaluated for the
//! noised marginal at `alpha_bar` (means √ᾱ μ_k, variances ᾱσ_k² + 1 − ᾱ).

use super::{EnergyEval, EnergyTwin};

const LN_TWO_PI: f32 = 1.837_877_1;

fn component_base(k: usize, dim: usize) -> usize {
    2 + k * (dim + 2)
}

fn variance(e: &EnergyEval, k: usize, dim: usize) -> f32 {
    let sigma = e.energy_params[component_base(k, dim) + 1];
    let ab = e.params.alpha_bar;
    ab * sigma * sigma + (1.0 - ab)
}

fn log_density(e: &EnergyEval, k: usize, dim: usize, chain_start: usize) -> f32 {
    let base = component_base(k, dim);
    let scale = e.params.alpha_bar.sqrt();
    let v = variance(e, k, dim);
    let mut sq = 0.0f32;
    for j in 0..dim {
        let d = e.src[chain_start + j] - scale * e.energy_params[base + 2 + j];
        sq += d * d;
    }
    e.energy_params[base] - 0.5 * dim as f32 * v.ln() - 0.5 * sq / v
}

fn max_log_density(e: &EnergyEval, count: usize, dim: usize, chain_start: usize) -> f32 {
    (0..count).fold(-3.0e38f32, |best, k| {
        best.max(log_density(e, k, dim, chain_start))
    })
}

fn sizes(e: &EnergyEval) -> (usize, usize) {
    (e.energy_params[0] as usize, e.energy_params[1] as usize)
}

/// The Gaussian mixture's twin.
pub struct GmmTwin;

impl EnergyTwin for GmmTwin {
    /// ∂E/∂x_j = Σ_k r_k (x_j − m_kj)/v_k with responsibilities r_k.
    fn energy_gradient(&self, e: &EnergyEval, i: usize) -> f32 {
        let (count, dim) = sizes(e);
        let j = e.lattice.index_in_chain(i);
        let chain_start = i - j;
        let best = max_log_density(e, count, dim, chain_start);
        let scale = e.params.alpha_bar.sqrt();
        let (mut num, mut den) = (0.0f32, 0.0f32);
        for k in 0..count {
            let weight = (log_density(e, k, dim, chain_start) - best).exp();
            let mean = scale * e.energy_params[component_base(k, dim) + 2 + j];
            num += weight * (e.src[i] - mean) / variance(e, k, dim);
            den += weight;
        }
        num / den
    }

    /// The chain's energy on its first coordinate, zero on the others.
    fn site_energy(&self, e: &EnergyEval, i: usize) -> f32 {
        if e.lattice.index_in_chain(i) != 0 {
            return 0.0;
        }
        let (count, dim) = sizes(e);
        let best = max_log_density(e, count, dim, i);
        let den: f32 = (0..count)
            .map(|k| (log_density(e, k, dim, i) - best).exp())
            .sum();
        -(best + den.ln()) + 0.5 * dim as f32 * LN_TWO_PI
    }
}
