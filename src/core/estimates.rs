//! Estimators over recorded series: the mean over chains and records, with its standard error
//! by batch means (correlated records within a chain are grouped into batches whose means are
//! nearly independent; chains are independent).

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
