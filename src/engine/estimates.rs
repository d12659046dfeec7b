//! Estimators over recorded series: the mean over chains and records with a standard error that
//! accounts for autocorrelation, the integrated autocorrelation time τ and the effective sample
//! size.
//!
//! τ comes from Geyer's initial monotone sequence estimator (Geyer 1992, "Practical Markov chain
//! Monte Carlo", Stat. Sci. 7, 473): sums of adjacent pairs of autocorrelations,
//! `Γ_k = ρ(2k) + ρ(2k+1)`, are positive and decreasing for a reversible chain, so the sum is
//! cut at the first negative pair and each pair is held to its predecessor;
//! `τ = −1 + 2 Σ_k Γ_k`. Over several chains the autocorrelation combines within- and
//! between-chain variance as Stan does (Gelman et al., *Bayesian Data Analysis*, 3rd ed.,
//! §11.5), so chains that have not mixed widen the error rather than hide it. The standard error
//! of the grand mean is `√(σ² τ / N)` with N values in all, and `N / τ` is the effective sample
//! size.
//!
//! A run much shorter than its autocorrelation time cannot estimate τ: with fewer than
//! [`MIN_RECORDS_PER_TAU`] records per chain per τ the estimate says so
//! ([`Estimate::too_short`]), as emcee does with the same threshold.

use serde::Serialize;

/// Records per chain per autocorrelation time below which τ, and so the error bar, is not
/// reliable (emcee's `tol`, Foreman-Mackey et al.'s recommendation).
pub const MIN_RECORDS_PER_TAU: f64 = 50.0;

/// A mean with its standard error and what the error rests on.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Estimate {
    /// The mean over every chain and record.
    pub mean: f64,
    /// Its standard error, accounting for autocorrelation (`None` with fewer than 2 values or
    /// with non-finite ones).
    pub stderr: Option<f64>,
    /// The integrated autocorrelation time, in records (`None` where there is no error).
    pub tau: Option<f64>,
    /// The effective number of independent values, N / τ (`None` where there is no error).
    pub ess: Option<f64>,
    /// Records per chain.
    pub records_per_chain: usize,
}

impl Estimate {
    /// Whether the run is too short for its autocorrelation time: fewer than
    /// [`MIN_RECORDS_PER_TAU`] records per chain per τ, where τ and the error bar are unreliable.
    /// A series without spread (every value equal) has an exact error of 0 and is never short.
    pub fn too_short(&self) -> bool {
        let spread = self.stderr.is_some_and(|se| se > 0.0);
        spread
            && self
                .tau
                .is_some_and(|tau| (self.records_per_chain as f64) < MIN_RECORDS_PER_TAU * tau)
    }
}

/// The autocovariances `γ(t) = (1/n) Σ_{i<n−t} (x_i − x̄)(x_{i+t} − x̄)` of one series about its
/// mean, for every lag t < n, by FFT (zero-padded to 2n, so the correlation is not circular):
/// O(n log n) where the direct sum is O(n²).
fn autocovariances(series: &[f64]) -> Vec<f64> {
    use rustfft::num_complex::Complex;
    let n = series.len();
    let mean = series.iter().sum::<f64>() / n as f64;
    let size = (2 * n).next_power_of_two();
    let mut buffer: Vec<Complex<f64>> = series
        .iter()
        .map(|x| Complex::new(x - mean, 0.0))
        .chain(std::iter::repeat(Complex::new(0.0, 0.0)))
        .take(size)
        .collect();
    let mut planner = rustfft::FftPlanner::new();
    planner.plan_fft_forward(size).process(&mut buffer);
    buffer
        .iter_mut()
        .for_each(|z| *z = Complex::new(z.norm_sqr(), 0.0));
    planner.plan_fft_inverse(size).process(&mut buffer);
    buffer[..n]
        .iter()
        .map(|z| z.re / (size as f64 * n as f64))
        .collect()
}

/// The autocorrelations ρ(t) of per-chain series of equal length `n`, combined over chains with
/// the variance estimate `var⁺ = (n−1)/n · W + B/n` (W: mean within-chain variance, B: n times
/// the variance of the chain means), as `ρ(t) = 1 − (W − γ̄(t)) / var⁺` with γ̄(t) the mean
/// within-chain autocovariance at lag t. Returns var⁺ and ρ(t) for every t < n.
fn combined_autocorrelation(chains: &[&[f64]]) -> (f64, Vec<f64>) {
    let n = chains[0].len();
    let c = chains.len() as f64;
    let mut mean_autocovariance = vec![0.0; n];
    for s in chains {
        for (sum, g) in mean_autocovariance.iter_mut().zip(autocovariances(s)) {
            *sum += g / c;
        }
    }
    // Within-chain variance with the n − 1 divisor, and n times the variance of the means.
    let w = mean_autocovariance[0] * n as f64 / (n as f64 - 1.0);
    let means: Vec<f64> = chains
        .iter()
        .map(|s| s.iter().sum::<f64>() / n as f64)
        .collect();
    let grand = means.iter().sum::<f64>() / c;
    let b = if chains.len() > 1 {
        n as f64 * means.iter().map(|m| (m - grand).powi(2)).sum::<f64>() / (c - 1.0)
    } else {
        0.0
    };
    let var_plus = (n as f64 - 1.0) / n as f64 * w + b / n as f64;
    let rho = mean_autocovariance
        .iter()
        .map(|g| 1.0 - (w - g) / var_plus)
        .collect();
    (var_plus, rho)
}

/// Geyer's initial monotone sequence estimate of τ from the autocorrelations `rho[t]`.
fn initial_monotone_tau(rho: &[f64]) -> f64 {
    let n = rho.len();
    let mut sum = 0.0;
    let mut previous = f64::INFINITY;
    let mut k = 0;
    while 2 * k + 1 < n {
        let pair = rho[2 * k] + rho[2 * k + 1];
        if pair <= 0.0 {
            break;
        }
        let pair = pair.min(previous);
        sum += pair;
        previous = pair;
        k += 1;
    }
    // A perfectly anticorrelated pair structure cannot push τ below its lower bound 1/n.
    (2.0 * sum - 1.0).max(1.0 / n as f64)
}

/// The grand mean of per-chain series of recorded values, with its standard error from the
/// autocorrelation time (see the module's doc). Chains of unequal length are cut to the
/// shortest for the error (not for the mean).
pub fn estimate(series: &[Vec<f64>]) -> Estimate {
    let all: Vec<f64> = series.iter().flatten().copied().collect();
    let mean = all.iter().sum::<f64>() / all.len().max(1) as f64;
    let n = series.iter().map(Vec::len).min().unwrap_or(0);
    let no_error = Estimate {
        mean,
        stderr: None,
        tau: None,
        ess: None,
        records_per_chain: n,
    };
    if n * series.len() < 2 || n < 2 || !all.iter().all(|v| v.is_finite()) {
        return no_error;
    }
    let chains: Vec<&[f64]> = series.iter().map(|s| &s[s.len() - n..]).collect();
    let (var_plus, rho) = combined_autocorrelation(&chains);
    if var_plus <= 0.0 {
        // Every value equal: no spread, no error.
        return Estimate {
            stderr: Some(0.0),
            tau: Some(1.0),
            ess: Some((n * chains.len()) as f64),
            ..no_error
        };
    }
    let tau = initial_monotone_tau(&rho);
    let total = (n * chains.len()) as f64;
    Estimate {
        stderr: Some((var_plus * tau / total).sqrt()),
        tau: Some(tau),
        ess: Some(total / tau),
        ..no_error
    }
}

/// The integrated autocorrelation time `τ = 1 + 2 Σ_{t≥1} ρ(t)` of one series, by the initial
/// monotone sequence estimator; about 1 for an uncorrelated series.
pub fn integrated_autocorrelation_time(series: &[f64]) -> f64 {
    estimate(&[series.to_vec()]).tau.unwrap_or(1.0)
}

/// The effective number of independent samples in a series, `n / τ`.
pub fn effective_sample_size(series: &[f64]) -> f64 {
    series.len() as f64 / integrated_autocorrelation_time(series)
}

/// The mean of independent `values` and its standard error, √(s²/n) with the sample variance
/// s² (divisor n − 1; an error of 0 for a single value).
pub fn mean_and_stderr(values: &[f64]) -> (f64, f64) {
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let variance = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0).max(1.0);
    (mean, (variance / n).sqrt())
}

/// The per-site mean and standard deviation (divisor m − 1; 0 for one member) of an ensemble
/// of `members`, `[m, d]` row-major, accumulated in f64.
pub fn ensemble_moments(members: &[f32], d: usize) -> (Vec<f32>, Vec<f32>) {
    let m = members.len() / d.max(1);
    let mut mean = vec![0f64; d];
    for row in members.chunks_exact(d) {
        for (s, &v) in mean.iter_mut().zip(row) {
            *s += v as f64 / m as f64;
        }
    }
    let mut square = vec![0f64; d];
    for row in members.chunks_exact(d) {
        for ((s, &v), mu) in square.iter_mut().zip(row).zip(&mean) {
            *s += (v as f64 - mu).powi(2);
        }
    }
    let spread = square
        .iter()
        .map(|s| {
            if m > 1 {
                (s / (m - 1) as f64).sqrt() as f32
            } else {
                0.0
            }
        })
        .collect();
    (mean.iter().map(|&v| v as f32).collect(), spread)
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
