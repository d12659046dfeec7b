// Gaussian mixture in R^D: each chain is one point, its D = channels*height*width values.
// E(x) = -ln sum_k w_k N(x; m_k, v_k I), evaluated for the noised marginal at params.alpha_bar:
// m_k = sqrt(alpha_bar) mu_k, v_k = alpha_bar sigma_k^2 + (1 - alpha_bar) (alpha_bar = 1: the mixture itself).
// energy_params = [K, D, then per component: ln w_k, sigma_k, mu_k (D values)].
// CPU twin: src/cpu/energies/gmm.rs.
#import shared/lattice

const LN_TWO_PI: f32 = 1.8378771;

fn gmm_component_base(k: u32, dim: u32) -> u32 {
    return 2u + k * (dim + 2u);
}

fn gmm_variance(k: u32, dim: u32) -> f32 {
    let sigma = energy_params[gmm_component_base(k, dim) + 1u];
    return params.alpha_bar * sigma * sigma + (1.0 - params.alpha_bar);
}

// ln w_k + ln N(x; m_k, v_k I) without the -D/2 ln(2 pi) constant.
fn gmm_log_density(k: u32, dim: u32, chain_start: u32) -> f32 {
    let base = gmm_component_base(k, dim);
    let scale = sqrt(params.alpha_bar);
    let v = gmm_variance(k, dim);
    var sq = 0.0;
    for (var j = 0u; j < dim; j = j + 1u) {
        let d = src[chain_start + j] - scale * energy_params[base + 2u + j];
        sq += d * d;
    }
    return energy_params[base] - 0.5 * f32(dim) * log(v) - 0.5 * sq / v;
}

fn gmm_max_log_density(count: u32, dim: u32, chain_start: u32) -> f32 {
    var best = -3.0e38;
    for (var k = 0u; k < count; k = k + 1u) {
        best = max(best, gmm_log_density(k, dim, chain_start));
    }
    return best;
}

fn energy_gradient(i: u32) -> f32 {
    let count = u32(energy_params[0]);
    let dim = u32(energy_params[1]);
    let j = index_in_chain(i);
    let chain_start = i - j;
    let best = gmm_max_log_density(count, dim, chain_start);
    let scale = sqrt(params.alpha_bar);
    var num = 0.0;
    var den = 0.0;
    for (var k = 0u; k < count; k = k + 1u) {
        let weight = exp(gmm_log_density(k, dim, chain_start) - best);
        let mean = scale * energy_params[gmm_component_base(k, dim) + 2u + j];
        num += weight * (src[i] - mean) / gmm_variance(k, dim);
        den += weight;
    }
    return num / den;
}

// The whole chain's energy sits on its first coordinate; the others carry zero.
fn site_energy(i: u32) -> f32 {
    let j = index_in_chain(i);
    if (j != 0u) {
        return 0.0;
    }
    let count = u32(energy_params[0]);
    let dim = u32(energy_params[1]);
    let best = gmm_max_log_density(count, dim, i);
    var den = 0.0;
    for (var k = 0u; k < count; k = k + 1u) {
        den += exp(gmm_log_density(k, dim, i) - best);
    }
    return -(best + log(den)) + 0.5 * f32(dim) * LN_TWO_PI;
}
