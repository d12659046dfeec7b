//! Traces: the observables a run records on its backend (`chain_observables` writes
//! [`OBSERVABLES`] raw slots per chain per record, see the `OBS_*` constants) and reads back
//! once, and what is derived from them per record: energies, moments, entropies, free energy,
//! acceptance, ΔH, and changes between records (ΔE, ΔS).

use serde::Serialize;

use crate::error::{IdfError, Result};
use crate::kernels::{
    MAX_HIST_BINS, OBSERVABLES, OBS_ACCEPTED, OBS_ENERGY, OBS_HIST_ENTROPY, OBS_LOG_ALPHA, OBS_M2,
    OBS_MAX, OBS_MIN, OBS_NONPOSITIVE, OBS_SUM, OBS_TEMPERATURE, OBS_XLNX,
};

/// Which observable to read from a trace.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Observable {
    /// The chain's energy E.
    Energy,
    /// E / sites per chain.
    EnergyPerSite,
    /// Σx over the chain (the mass of a density).
    Sum,
    /// Mean of the field over a chain (the magnetization of spins).
    Mean,
    /// Variance of the field over a chain.
    Variance,
    /// Mean of its square.
    MeanSquare,
    /// |mean|.
    AbsMagnetization,
    /// Smallest value.
    Min,
    /// Largest value.
    Max,
    /// Shannon entropy `−Σ p ln p` of the chain as a positive density, `p = x/Σx`
    /// (NaN where some x ≤ 0: it is not a density).
    DensityEntropy,
    /// Shannon entropy of the chain's fixed-bin value histogram (needs [`Histogram`]).
    HistogramEntropy,
    /// Free energy per site `E/N − T·S_hist` at the record's temperature.
    FreeEnergyPerSite,
    /// Accepted proposals / proposals since the previous record.
    Acceptance,
    /// ΔH = H_end − H_start of the last HMC trajectory (−ln α).
    DeltaH,
    /// The chain's temperature at the record (its rung of the ladder when tempering).
    Temperature,
}

/// The fixed bins of the value histogram behind [`Observable::HistogramEntropy`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Histogram {
    /// Lower edge; smaller values fall in the first bin.
    pub lo: f32,
    /// Upper edge; larger values fall in the last bin.
    pub hi: f32,
    /// Number of bins, 1 to 256.
    pub bins: u32,
}

impl Histogram {
    /// A checked histogram.
    pub fn new(lo: f32, hi: f32, bins: u32) -> Result<Self> {
        if !(lo.is_finite() && hi.is_finite() && lo < hi) {
            return Err(IdfError::invalid(
                "histogram",
                format!("[{lo}, {hi}] is not a range"),
            ));
        }
        if bins == 0 || bins > MAX_HIST_BINS {
            return Err(IdfError::invalid(
                "histogram",
                format!("{bins} bins; use 1 to {MAX_HIST_BINS}"),
            ));
        }
        Ok(Histogram { lo, hi, bins })
    }
}

/// One record of a trace.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TraceRecord {
    /// Steps completed when it was taken.
    pub step: u64,
    /// Temperature of that step.
    pub temperature: f32,
    /// Proposals per chain since the previous record (0 for unadjusted dynamics).
    pub proposals: f64,
}

/// Observables recorded during a run, read back once at its end.
#[derive(Clone, Debug)]
pub struct RunTrace {
    /// Chains.
    pub chains: usize,
    /// Values per chain.
    pub sites_per_chain: usize,
    /// The records.
    pub records: Vec<TraceRecord>,
    values: Vec<f32>,
}

impl RunTrace {
    /// A trace from its parts: `values` holds records × chains × [`OBSERVABLES`] raw slots.
    pub fn from_parts(
        chains: usize,
        sites_per_chain: usize,
        records: Vec<TraceRecord>,
        values: Vec<f32>,
    ) -> Result<Self> {
        if values.len() != records.len() * chains * OBSERVABLES {
            return Err(IdfError::invalid(
                "trace",
                format!(
                    "{} values for {} records of {chains} chains ({OBSERVABLES} each)",
                    values.len(),
                    records.len()
                ),
            ));
        }
        Ok(RunTrace {
            chains,
            sites_per_chain,
            records,
            values,
        })
    }

    /// The raw slots: records × chains × [`OBSERVABLES`] (see the `OBS_*` constants).
    pub fn raw_values(&self) -> &[f32] {
        &self.values
    }

    /// Joins traces of the same chains into one, renumbering the records' steps with `steps`
    /// (one per record, in order).
    pub fn join(parts: Vec<RunTrace>, steps: &[u64]) -> RunTrace {
        let mut parts = parts.into_iter();
        let mut joined = parts.next().unwrap_or(RunTrace {
            chains: 0,
            sites_per_chain: 0,
            records: Vec::new(),
            values: Vec::new(),
        });
        for part in parts {
            joined.append(part);
        }
        for (r, step) in joined.records.iter_mut().zip(steps) {
            r.step = *step;
        }
        joined
    }

    /// Appends the records of `other`, a trace of the same chains, after this trace's own,
    /// keeping their steps. Amortised, it costs only the appended records.
    pub fn append(&mut self, other: RunTrace) {
        debug_assert_eq!(
            (self.chains, self.sites_per_chain),
            (other.chains, other.sites_per_chain),
            "appended traces must hold the same chains"
        );
        self.records.extend(other.records);
        self.values.extend(other.values);
    }

    /// The records of chains `chains` alone, as a trace of their own (what one request of a
    /// batched run recorded).
    pub fn chain_range(&self, chains: std::ops::Range<usize>) -> RunTrace {
        let values = (0..self.records.len())
            .flat_map(|r| {
                let row = (r * self.chains + chains.start) * OBSERVABLES;
                self.values[row..row + chains.len() * OBSERVABLES]
                    .iter()
                    .copied()
            })
            .collect();
        RunTrace {
            chains: chains.len(),
            sites_per_chain: self.sites_per_chain,
            records: self.records.clone(),
            values,
        }
    }

    fn raw(&self, record: usize, chain: usize, k: usize) -> f32 {
        self.values[(record * self.chains + chain) * OBSERVABLES + k]
    }

    /// An observable of one chain at one record, or `None` where it does not apply.
    pub fn value(&self, obs: Observable, record: usize, chain: usize) -> Option<f64> {
        let n = self.sites_per_chain as f64;
        let raw = |k| self.raw(record, chain, k) as f64;
        let mean = raw(OBS_SUM) / n;
        Some(match obs {
            Observable::Energy => raw(OBS_ENERGY),
            Observable::EnergyPerSite => raw(OBS_ENERGY) / n,
            Observable::Sum => raw(OBS_SUM),
            Observable::Mean => mean,
            Observable::Variance => raw(OBS_M2) / n,
            Observable::MeanSquare => raw(OBS_M2) / n + mean * mean,
            Observable::AbsMagnetization => mean.abs(),
            Observable::Min => raw(OBS_MIN),
            Observable::Max => raw(OBS_MAX),
            Observable::DensityEntropy => {
                if self.raw(record, chain, OBS_NONPOSITIVE).to_bits() > 0 {
                    f64::NAN
                } else {
                    raw(OBS_SUM).ln() - raw(OBS_XLNX) / raw(OBS_SUM)
                }
            }
            Observable::HistogramEntropy => {
                let s = raw(OBS_HIST_ENTROPY);
                if s.is_nan() {
                    return None;
                }
                s
            }
            Observable::FreeEnergyPerSite => {
                let s = self.value(Observable::HistogramEntropy, record, chain)?;
                raw(OBS_ENERGY) / n - self.records[record].temperature as f64 * s
            }
            Observable::Acceptance => {
                let proposals = self.records[record].proposals;
                if proposals == 0.0 {
                    return None;
                }
                self.raw(record, chain, OBS_ACCEPTED).to_bits() as f64 / proposals
            }
            Observable::DeltaH => -raw(OBS_LOG_ALPHA),
            Observable::Temperature => raw(OBS_TEMPERATURE),
        })
    }

    /// The total energy of each chain at a record.
    pub fn energies(&self, record: usize) -> Vec<f64> {
        (0..self.chains)
            .map(|c| self.raw(record, c, OBS_ENERGY) as f64)
            .collect()
    }

    /// Per-chain series of an observable over records `from..`, or `None` where it does not apply.
    pub fn series(&self, obs: Observable, from: usize) -> Option<Vec<Vec<f64>>> {
        (0..self.chains)
            .map(|c| {
                (from..self.records.len())
                    .map(|r| self.value(obs, r, c))
                    .collect::<Option<Vec<f64>>>()
            })
            .collect()
    }

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
