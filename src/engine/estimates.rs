//! Estimators over recorded series: the mean over chains and records, with its standard error
//! by batch means (correlated records within a chain are grouped into batches whose means are
//! nearly independent; chains are independent), the integrated autocorrelation time and the
//! effective sample size.

use serde::Serialize;

/// A mean with its standard error (`None` where one sample gives no error).
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Estimate {
    /// The mean.
    pub mean: f64,
    /// Its standard error.
    pub stderr: Option<f64>,
}

/// Batches per chain used by [`batch_means`] when a chain has enough records.
pub const BATCHES_PER_CHAIN: usize = 16;

/// The grand mean of per-chain series and its batch-means standard error.
///
/// Each chain's series is cut into up to [`BATCHES_PER_CHAIN`] equal batches (at least 1 record
/// each; the remainder at the start is dropped from the error, not from the mean); the standard
/// error is the standard deviation of all batch means over √(number of batches).
pub fn batch_means(series: &[Vec<f64>]) -> Estimate {
    let all: Vec<f64> = series.iter().flatten().copied().collect();
    let mean = all.iter().sum::<f64>() / all.len().max(1) as f64;
    let mut batch_values = Vec::new();
    for s in series {
        let batches = BATCHES_PER_CHAIN.min(s.len());
        if batches == 0 {
            continue;
        }
        let size = s.len() / batches;
        let skip = s.len() - size * batches;
        for b in 0..batches {
            let chunk = &s[skip + b * size..skip + (b + 1) * size];
            batch_values.push(chunk.iter().sum::<f64>() / size as f64);
        }
    }
    let m = batch_values.len();
    let stderr = (m >= 2).then(|| {
        let bm = batch_values.iter().sum::<f64>() / m as f64;
        let var = batch_values.iter().map(|v| (v - bm).powi(2)).sum::<f64>() / (m - 1) as f64;
        (var / m as f64).sqrt()
    });
    Estimate { mean, stderr }
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

/// The index and value of the smallest of per-chain values (the lowest energy of a population);
/// NaN counts as larger than every number. Panics on an empty slice, which no simulation has.
pub fn lowest(values: &[f64]) -> (usize, f64) {
    values
        .iter()
        .copied()
        .enumerate()
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .expect("at least one chain")
}
