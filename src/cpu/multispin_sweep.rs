//! Twin of `shaders/multispin_sweep.wgsl`: one colour of an Ising Metropolis (or heat-bath)
//! sweep on multi-spin words, in place, with `metropolis_sweep`'s decisions bit for bit.

use std::sync::atomic::{AtomicU32, Ordering};

use rayon::prelude::*;

use super::energies::EnergyEval;
use super::shared::packed_spins::PackedLayout;
use super::shared::rng::{chain_draw, unit_closed_open, STREAM_METROPOLIS};
use crate::kernels::FLAG_HEAT_BATH;

/// Updates the words of colour `e.params.parity` in `packed`; `e` gives J and h
/// (`energy_params`), the temperatures and the random-number keys.
pub fn run(e: &EnergyEval, packed: &mut [u32], status: &[AtomicU32]) {
    let p = e.params;
    let l = PackedLayout::of(p);
    let c = p.parity as usize;
    let rw = l.row_words();
    l.par_planes(packed).for_each(|(plane, even, odd)| {
        let (own, other): (&mut [u32], &[u32]) = if c == 0 { (even, odd) } else { (odd, even) };
        let chain = plane / l.channels;
        let accepted: u32 = own
            .par_chunks_mut(rw)
            .enumerate()
            .map(|(y, row)| {
                let sweep = RowSweep {
                    e,
                    colour: c,
                    chain,
                    y,
                    row_start: ((plane - chain * l.channels) * l.height + y) * l.width,
                };
                let up = &other[(if y == 0 { l.height } else { y } - 1) * rw..][..rw];
                let down = &other[(if y + 1 == l.height { 0 } else { y + 1 }) * rw..][..rw];
                let same = &other[y * rw..][..rw];
                (0..rw)
                    .map(|w| {
                        let side = if (y + c) & 1 == 0 {
                            let before = same[if w == 0 { rw } else { w } - 1];
                            (same[w] << 1) | (before >> 31)
                        } else {
                            let after = same[if w + 1 == rw { 0 } else { w + 1 }];
                            (same[w] >> 1) | (after << 31)
                        };
                        let (next, n) = sweep.word(w, row[w], [up[w], down[w], same[w], side]);
                        row[w] = next;
                        n
                    })
                    .sum::<u32>()
            })
            .sum();
        if accepted > 0 {
            status[1 + chain].fetch_add(accepted, Ordering::Relaxed);
        }
    });
}

/// One row of one colour of a plane.
struct RowSweep<'a> {
    e: &'a EnergyEval<'a>,
    colour: usize,
    chain: usize,
    y: usize,
    /// The index in its chain of the row's first site.
    row_start: usize,
}

impl RowSweep<'_> {
    /// Word `w` of the row updated from its neighbours' words (up, down, same column, side);
    /// returns it with its accepted flips.
    fn word(&self, w: usize, current: u32, neighbours: [u32; 4]) -> (u32, u32) {
        let (e, p) = (self.e, self.e.params);
        let t = e.temperature_of(self.chain);
        let draw = |b: usize| {
            let site = self.row_start + PackedLayout::column(self.colour, self.y, w, b);
            chain_draw(
                p,
                e.ladder,
                site as u32,
                self.chain as u32,
                p.step,
                STREAM_METROPOLIS,
            )
        };
        let (mut next, mut accepted) = (current, 0);
        for b in 0..32 {
            let s = (((current >> b) & 1) * 2) as f32 - 1.0;
            let ups: u32 = neighbours.iter().map(|n| (n >> b) & 1).sum();
            let sum = (ups * 2) as f32 - 4.0;
            // (proposed − s) · energy_gradient, as the Ising twin computes it.
            let d_energy = (-s - s) * (-e.energy_params[0] * sum - e.energy_params[1]);
            let mut accept = d_energy <= 0.0;
            if p.flags & FLAG_HEAT_BATH != 0 {
                accept = if t > 0.0 {
                    unit_closed_open(draw(b)[2]) * (1.0 + (d_energy / t).exp()) < 1.0
                } else {
                    d_energy < 0.0
                };
            } else if !accept && t > 0.0 {
                accept = unit_closed_open(draw(b)[2]) < (-d_energy / t).exp();
            }
            if accept {
                next ^= 1 << b;
                accepted += 1;
            }
        }
        (next, accepted)
    }
}
