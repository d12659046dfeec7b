//! Twin of `shaders/potts_sweep.wgsl`: one sweep of a categorical (Potts) energy's variables in
//! order, chain by chain (the chains in parallel): Metropolis moves and swaps, or heat-bath over
//! every label by the Gumbel-max trick under [`FLAG_HEAT_BATH`].

use std::sync::atomic::{AtomicU32, Ordering};

use rayon::prelude::*;

use super::energies::{EnergyEval, PottsTwin};
use super::shared::rng::{chain_draw, unit_closed_open, STREAM_POTTS};
use crate::kernels::FLAG_HEAT_BATH;

/// Gumbel noise −ln(−ln u) from u in [0, 1) (u = 0 gives −∞: never drawn).
fn gumbel(bits: u32) -> f32 {
    -(-unit_closed_open(bits).ln()).ln()
}

fn metropolis_accepts(d_energy: f32, t: f32, bits: u32) -> bool {
    d_energy <= 0.0 || (t > 0.0 && unit_closed_open(bits) < (-d_energy / t).exp())
}

/// Runs the kernel: every chain of `e.src` swept into `dst`.
pub fn run(e: &EnergyEval, dst: &mut [f32], status: &[AtomicU32]) {
    let potts = e
        .twin
        .potts()
        .expect("potts_sweep runs only energies with Potts moves; checked before dispatch");
    let n = e.lattice.per_chain;
    dst.par_chunks_mut(n)
        .zip(e.src.par_chunks(n))
        .enumerate()
        .for_each(|(chain, (out, src))| {
            out.copy_from_slice(src);
            potts.rebuild(e.energy_params, out);
            let t = e.temperature_of(chain);
            let accepted = if e.params.flags & FLAG_HEAT_BATH != 0 {
                heat_bath(e, potts, chain, t, out)
            } else {
                metropolis(e, potts, chain, t, out)
            };
            status[1 + chain].fetch_add(accepted, Ordering::Relaxed);
        });
}

fn metropolis(e: &EnergyEval, potts: &dyn PottsTwin, chain: usize, t: f32, x: &mut [f32]) -> u32 {
    let p = e.energy_params;
    let (variables, labels) = (potts.variables(p), potts.labels(p));
    if labels < 2 {
        return 0;
    }
    let mut accepted = 0;
    for r in 0..variables {
        let d = chain_draw(
            e.params,
            e.ladder,
            r as u32,
            chain as u32,
            e.params.step,
            STREAM_POTTS,
        );
        let from = x[r] as usize;
        if d[3] & 1 == 1 && variables > 1 {
            let s = (r + 1 + (d[1] % (variables as u32 - 1)) as usize) % variables;
            let to = x[s] as usize;
            if to != from {
                let mut d_energy = potts.move_change(p, x, r, to);
                potts.apply_move(p, x, r, to);
                d_energy += potts.move_change(p, x, s, from);
                if metropolis_accepts(d_energy, t, d[2]) {
                    potts.apply_move(p, x, s, from);
                    accepted += 1;
                } else {
                    potts.apply_move(p, x, r, from);
                }
            }
        } else {
            let to = (from + 1 + (d[0] % (labels as u32 - 1)) as usize) % labels;
            if metropolis_accepts(potts.move_change(p, x, r, to), t, d[2]) {
                potts.apply_move(p, x, r, to);
                accepted += 1;
            }
        }
    }
    accepted
}

fn heat_bath(e: &EnergyEval, potts: &dyn PottsTwin, chain: usize, t: f32, x: &mut [f32]) -> u32 {
    let p = e.energy_params;
    let (variables, labels) = (potts.variables(p), potts.labels(p));
    let mut accepted = 0;
    for r in 0..variables {
        let mut best: Option<(f32, usize)> = None;
        for b in 0..labels {
            let mut score = -potts.move_change(p, x, r, b);
            if t > 0.0 {
                let site = (r * labels + b) as u32;
                let d = chain_draw(
                    e.params,
                    e.ladder,
                    site,
                    chain as u32,
                    e.params.step,
                    STREAM_POTTS,
                );
                score = score / t + gumbel(d[0]);
            }
            if best.is_none_or(|(s, _)| score > s) {
                best = Some((score, b));
            }
        }
        let (_, chosen) = best.expect("at least one label");
        if chosen != x[r] as usize {
            potts.apply_move(p, x, r, chosen);
            accepted += 1;
        }
    }
    accepted
}
