//! Ising's couplings by maximum pseudo-likelihood: an estimate independent of contrastive
//! divergence, with sandwich standard errors.

use super::fisher::invert;
use super::{check_spins, select, ConditionValue, FittedParam};
use crate::error::{IdfError, Result};
use crate::io::atlas::Atlas;

/// Ising's (J, h) by maximum pseudo-likelihood (Besag 1975, "Statistical analysis of non-lattice
/// data", The Statistician 24, 179): each spin's conditional law given its four neighbours,
/// p(s_i | rest) = σ(2 s_i (J n_i + h)/T), maximised over the dataset by Newton's method. The
/// standard errors are the sandwich H⁻¹ (Σ_samples u uᵀ) H⁻¹ with u each sample's score, which
/// holds although the sites within a sample are dependent. It uses the records `selection`
/// picks, with the same errors as [`select`].
pub fn ising_pseudo_likelihood(
    atlas: &Atlas,
    selection: &[ConditionValue],
) -> Result<[FittedParam; 2]> {
    let records = select(atlas, selection, &["J".into(), "h".into()])?;
    let t = records.temperature;
    let n = records.indices.len();
    let [c, h, w] = atlas.map_shape();
    let maps = atlas.read_maps(&records.indices)?;
    check_spins(atlas, &records.indices, &maps, "ising")?;
    let per = c * h * w;
    // Per sample, per site: (s_i, n_i).
    let sites = |sample: usize| {
        let m = &maps[sample * per..(sample + 1) * per];
        (0..h * w).map(move |i| {
            let (y, x) = (i / w, i % w);
            let at = |yy: usize, xx: usize| m[yy * w + xx] as f64;
            let n = at(y, (x + 1) % w)
                + at(y, (x + w - 1) % w)
                + at((y + 1) % h, x)
                + at((y + h - 1) % h, x);
            (m[i] as f64, n)
        })
    };
    let mut theta = [0.0f64; 2];
    let sigmoid = |z: f64| 1.0 / (1.0 + (-z).exp());
    let mut hess = [[0.0f64; 2]; 2];
    for _ in 0..50 {
        let mut grad = [0.0f64; 2];
        hess = [[0.0; 2]; 2];
        for sample in 0..n {
            for (s, n) in sites(sample) {
                let x = [2.0 * s * n / t, 2.0 * s / t];
                let z = theta[0] * x[0] + theta[1] * x[1];
                let p = sigmoid(z);
                for a in 0..2 {
                    grad[a] += (1.0 - p) * x[a];
                    for b in 0..2 {
                        hess[a][b] -= p * (1.0 - p) * x[a] * x[b];
                    }
                }
            }
        }
        let inv = invert(hess.iter().map(|r| r.to_vec()).collect()).ok_or_else(|| {
            IdfError::invalid(
                "data",
                "the pseudo-likelihood is flat: the maps carry no information on J and h",
            )
        })?;
        let delta = [
            inv[0][0] * grad[0] + inv[0][1] * grad[1],
            inv[1][0] * grad[0] + inv[1][1] * grad[1],
        ];
        theta = [theta[0] - delta[0], theta[1] - delta[1]];
        if delta[0].abs().max(delta[1].abs()) < 1e-12 {
            break;
        }
    }
    // The sandwich.
    let mut meat = [[0.0f64; 2]; 2];
    for sample in 0..n {
        let mut u = [0.0f64; 2];
        for (s, n) in sites(sample) {
            let x = [2.0 * s * n / t, 2.0 * s / t];
            let p = sigmoid(theta[0] * x[0] + theta[1] * x[1]);
            u[0] += (1.0 - p) * x[0];
            u[1] += (1.0 - p) * x[1];
        }
        for a in 0..2 {
            for b in 0..2 {
                meat[a][b] += u[a] * u[b];
            }
        }
    }
    let inv = invert(hess.iter().map(|r| r.to_vec()).collect())
        .ok_or_else(|| IdfError::invalid("data", "the pseudo-likelihood is flat"))?;
    let cov = |a: usize| {
        (0..2)
            .flat_map(|i| (0..2).map(move |j| (i, j)))
            .map(|(i, j)| inv[a][i] * meat[i][j] * inv[j][a])
            .sum::<f64>()
    };
    let param = |name: &str, j: usize| FittedParam {
        name: name.to_string(),
        mean: theta[j],
        stderr: cov(j).sqrt(),
        stderr_data: cov(j).sqrt(),
        stderr_optimizer: 0.0,
        fixed: false,
    };
    Ok([param("J", 0), param("h", 1)])
}
