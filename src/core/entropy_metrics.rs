//! Reductions and entropy: per-chain statistics computed on the backend (the `chain_observables`
//! kernel and its twin), Shannon entropies, free energy, per-step ΔE and ΔS over traces, and the
//! estimators of a correlated series (integrated autocorrelation time, effective sample size).

use serde::Serialize;

use crate::core::diffusion_dynamics::{Histogram, Observable, RunTrace, Simulation, StepRule};
use crate::core::estimates::{batch_means, Estimate};
use crate::cpu::chain_histogram::histogram_bin;
use crate::error::Result;
use crate::kernels::{Aux, Dispatch, Kernel};

/// Statistics of one chain's field, reduced on the backend.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct ChainStats {
    /// Total energy E.
    pub energy: f64,
    /// Σx.
    pub sum: f64,
    /// Mean (the magnetization of spins).
    pub mean: f64,
    /// Variance about the mean.
    pub variance: f64,
    /// Smallest value.
    pub min: f64,
    /// Largest value.
    pub max: f64,
    /// Shannon entropy of the chain as a positive density (NaN if some value is ≤ 0).
    pub density_entropy: f64,
    /// Shannon entropy of the value histogram (NaN without one).
    pub histogram_entropy: f64,
}

impl Simulation {
    /// Reduces every chain of the current field on the backend: one dispatch, one read-back.
    pub fn chain_stats(&mut self, histogram: Option<Histogram>) -> Result<Vec<ChainStats>> {
        let saved = self.histogram();
        self.set_histogram(histogram);
        let trace = self.advance(
            0,
            &|_| StepRule::langevin(0.0, 0.0),
            &|k| k == 0,
            &mut |_, _| {},
        );
        self.set_histogram(saved);
        let trace = trace?;
        Ok((0..trace.chains)
            .map(|c| {
                let v = |o| trace.value(o, 0, c).unwrap_or(f64::NAN);
                ChainStats {
                    energy: v(Observable::Energy),
                    sum: v(Observable::Sum),
                    mean: v(Observable::Mean),
                    variance: v(Observable::Variance),
                    min: v(Observable::Min),
                    max: v(Observable::Max),
                    density_entropy: v(Observable::DensityEntropy),
                    histogram_entropy: v(Observable::HistogramEntropy),
                }
            })
            .collect())
    }
}

impl Simulation {
    /// Per-chain fixed-bin histograms of the current field, counted on the backend.
    pub fn histograms(&mut self, h: Histogram) -> Result<Vec<Vec<u32>>> {
        let chains = self.shape().chains;
        let cur = self.current_slot();
        let mut params = self.params_for(&StepRule::langevin(0.0, 0.0));
        params.hist_lo = h.lo;
        params.hist_hi = h.hi;
        params.hist_bins = h.bins;
        let exec = self.executor();
        exec.execute(&[Dispatch {
            kernel: Kernel::ChainHistogram,
            params,
            src: cur,
            dst: cur.other(),
            aux: Aux::Scratch,
        }])?;
        let bins = h.bins as usize;
        let counts = exec.read_scratch(chains * bins)?;
        Ok(counts
            .chunks(bins)
            .map(|c| c.iter().map(|v| *v as u32).collect())
            .collect())
    }
}

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

impl RunTrace {
    /// Per-chain changes of an observable between consecutive records (ΔE, ΔS, …), with the
    /// number of steps each spans.
    pub fn deltas(&self, obs: Observable, chain: usize) -> Vec<(u64, f64)> {
        (1..self.records.len())
            .map(|r| {
                let steps = self.records[r].step - self.records[r - 1].step;
                let a = self.value(obs, r - 1, chain).unwrap_or(f64::NAN);
                let b = self.value(obs, r, chain).unwrap_or(f64::NAN);
                (steps, b - a)
            })
            .collect()
    }
}

/// The integrated autocorrelation time `τ = 1 + 2 Σ_{t≥1} ρ(t)` of a series, with Sokal's
/// automatic window (the smallest W with W ≥ 5τ(W)). 1 for an uncorrelated series.
pub fn integrated_autocorrelation_time(series: &[f64]) -> f64 {
    let n = series.len();
    if n < 4 {
        return 1.0;
    }
    let mean = series.iter().sum::<f64>() / n as f64;
    let var = series.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n as f64;
    if var == 0.0 {
        return 1.0;
    }
    let mut tau = 1.0;
    for t in 1..n / 2 {
        let c = (0..n - t)
            .map(|i| (series[i] - mean) * (series[i + t] - mean))
            .sum::<f64>()
            / (n as f64 * var);
        tau += 2.0 * c;
        if t as f64 >= 5.0 * tau {
            break;
        }
    }
    tau.max(1.0)
}

/// The effective number of independent samples in a series, `n / τ`.
pub fn effective_sample_size(series: &[f64]) -> f64 {
    series.len() as f64 / integrated_autocorrelation_time(series)
}

/// Everything the estimators say about one observable over chains.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct SeriesSummary {
    /// Mean and batch-means standard error.
    pub estimate: Estimate,
    /// Integrated autocorrelation time in records, averaged over chains.
    pub autocorrelation_time: f64,
    /// Effective sample size, summed over chains.
    pub effective_samples: f64,
}

/// Summarises per-chain series of an observable.
pub fn summarize(series: &[Vec<f64>]) -> SeriesSummary {
    let taus: Vec<f64> = series
        .iter()
        .map(|s| integrated_autocorrelation_time(s))
        .collect();
    SeriesSummary {
        estimate: batch_means(series),
        autocorrelation_time: taus.iter().sum::<f64>() / taus.len().max(1) as f64,
        effective_samples: series.iter().map(|s| effective_sample_size(s)).sum(),
    }
}
