//! Entropies and free energy on the host, in f64: the Shannon entropy of a probability vector,
//! of a positive density and of a fixed-bin value histogram, and `F = ⟨E⟩ − T S`. The backend
//! computes the same per chain in `chain_observables`; these are the references tests hold it to.

use crate::cpu::chain_histogram::histogram_bin;
use crate::engine::trace::Histogram;

/// `−Σ p ln p` of a probability vector (zero entries contribute nothing), in f64.
pub fn shannon_entropy(p: &[f64]) -> f64 {
    p.iter().filter(|q| **q > 0.0).map(|q| -q * q.ln()).sum()
}

/// Shannon entropy of a positive density `ρ`, `p = ρ/Σρ`, in f64; NaN if some `ρ ≤ 0`.
pub fn density_entropy(rho: &[f32]) -> f64 {
    if rho.iter().any(|r| r.is_nan() || *r <= 0.0) {
        return f64::NAN;
    }
    let total: f64 = rho.iter().map(|r| *r as f64).sum();
    let p: Vec<f64> = rho.iter().map(|r| *r as f64 / total).collect();
    shannon_entropy(&p)
}

/// Shannon entropy of the fixed-bin histogram of `values` (out-of-range values go to the edge
/// bins), in f64.
pub fn histogram_entropy(values: &[f32], h: Histogram) -> f64 {
    let mut counts = vec![0usize; h.bins as usize];
    for v in values {
        counts[histogram_bin(*v, h.lo, h.hi, h.bins)] += 1;
    }
    let n = values.len() as f64;
    let p: Vec<f64> = counts.iter().map(|c| *c as f64 / n).collect();
    shannon_entropy(&p)
}

/// Free energy `F = ⟨E⟩ − T S`.
pub fn free_energy(mean_energy: f64, temperature: f64, entropy: f64) -> f64 {
    mean_energy - temperature * entropy
}
