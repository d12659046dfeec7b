//! Replica exchange: the ladder buffer that gives every chain its own temperature, and
//! [`LadderState`], what the backend left in it. After every observation of a run the
//! `replica_swap` kernel swaps neighbouring rungs with probability
//! min(1, exp((β_i − β_j)(E_i − E_j))) and counts attempts, acceptances and round trips.
//!
//! Layout (`shaders/shared/bindings.wgsl`), for `c` chains: each chain's temperature (f32 bits),
//! the chain at each rank coldest first, then per pair (k, k+1) attempts and accepts, a direction
//! flag per chain, and each chain's round trips.

use crate::error::{IdfError, Result};
use crate::kernels::ladder_len;

/// The replica-exchange ladder as the backend left it.
#[derive(Clone, Debug, PartialEq)]
pub struct LadderState {
    /// Each chain's temperature.
    pub temperatures: Vec<f32>,
    /// The chain at each rank, coldest first.
    pub chain_at_rank: Vec<usize>,
    /// Swap attempts of the pair (rank k, k + 1).
    pub attempts: Vec<u32>,
    /// Accepted swaps of the pair (rank k, k + 1).
    pub accepts: Vec<u32>,
    /// Each chain's completed round trips between the hottest and the coldest rung.
    pub round_trips: Vec<u32>,
}

impl LadderState {
    /// Reads a ladder buffer of `chains` chains.
    pub(crate) fn decode(buffer: &[u32], chains: usize) -> Self {
        let c = chains;
        LadderState {
            temperatures: buffer[..c].iter().map(|b| f32::from_bits(*b)).collect(),
            chain_at_rank: buffer[c..2 * c].iter().map(|r| *r as usize).collect(),
            attempts: buffer[2 * c..3 * c].to_vec(),
            accepts: buffer[3 * c..4 * c].to_vec(),
            round_trips: buffer[5 * c..6 * c].to_vec(),
        }
    }

    /// The ladder's temperatures, coldest first.
    pub fn ladder(&self) -> Vec<f32> {
        self.chain_at_rank
            .iter()
            .map(|c| self.temperatures[*c])
            .collect()
    }

    /// Swap acceptance of each neighbouring pair (NaN where none was attempted).
    pub fn acceptance(&self) -> Vec<f64> {
        self.accepts
            .iter()
            .zip(&self.attempts)
            .map(|(a, n)| *a as f64 / *n as f64)
            .take(self.chain_at_rank.len().saturating_sub(1))
            .collect()
    }
}

/// A fresh ladder buffer giving chain `k` the temperature `temperatures[k]`, ranked by
/// temperature, with every counter at zero.
pub(crate) fn new_ladder(temperatures: &[f32], chains: usize) -> Result<Vec<u32>> {
    let c = chains;
    if temperatures.len() != c {
        return Err(IdfError::invalid(
            "temperatures",
            format!("{} temperatures for {c} chains", temperatures.len()),
        ));
    }
    if let Some(t) = temperatures.iter().find(|t| !(t.is_finite() && **t > 0.0)) {
        return Err(IdfError::invalid(
            "temperatures",
            format!("{t} is not a positive temperature"),
        ));
    }
    let mut ranks: Vec<usize> = (0..c).collect();
    ranks.sort_by(|a, b| temperatures[*a].total_cmp(&temperatures[*b]));
    let mut ladder = vec![0u32; ladder_len(c)];
    for (chain, t) in temperatures.iter().enumerate() {
        ladder[chain] = t.to_bits();
    }
    for (rank, chain) in ranks.iter().enumerate() {
        ladder[c + rank] = *chain as u32;
    }
    Ok(ladder)
}

/// Gives rung `k` (coldest first) of the ladder buffer `state` the temperature `ladder[k]`,
/// keeping which chain holds which rung and the counters.
pub(crate) fn retune(state: &mut [u32], ladder: &[f32]) -> Result<()> {
    if ladder
        .windows(2)
        .any(|w| !(w[0] > 0.0 && w[0] < w[1] && w[1].is_finite()))
    {
        return Err(IdfError::invalid(
            "ladder",
            "temperatures must be positive and increasing",
        ));
    }
    let c = ladder.len();
    for (k, t) in ladder.iter().enumerate() {
        let chain = state[c + k] as usize;
        state[chain] = t.to_bits();
    }
    Ok(())
}
