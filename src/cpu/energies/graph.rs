//! Graph energies (Ising, Max-Cut, QUBO in CSR), the twin of `shaders/energies/graph.wgsl`.

use super::{EnergyEval, EnergyTwin};

fn u(e: &EnergyEval, k: usize) -> usize {
    e.energy_params[k].to_bits() as usize
}

fn layout(e: &EnergyEval) -> (usize, usize) {
    let n = u(e, 1);
    (n, u(e, 3 + n))
}

fn coupling(e: &EnergyEval, i: usize) -> f32 {
    let (n, m2) = layout(e);
    let node = e.lattice.index_in_chain(i);
    let start = i - node;
    let (col0, w0) = (4 + n, 4 + n + m2);
    let mut sum = 0.0f32;
    for edge in u(e, 3 + node)..u(e, 4 + node) {
        sum += e.energy_params[w0 + edge] * e.src[start + u(e, col0 + edge)];
    }
    sum
}

fn diag(e: &EnergyEval, i: usize) -> f32 {
    let (n, m2) = layout(e);
    e.energy_params[4 + n + 2 * m2 + e.lattice.index_in_chain(i)]
}

fn is_ising(e: &EnergyEval) -> bool {
    u(e, 0) == 0
}

/// The graph energies' twin.
pub struct GraphTwin;

impl EnergyTwin for GraphTwin {
    /// ∂E/∂x_i.
    fn energy_gradient(&self, e: &EnergyEval, i: usize) -> f32 {
        if is_ising(e) {
            -coupling(e, i) - diag(e, i)
        } else {
            diag(e, i) + coupling(e, i)
        }
    }

    /// Node i's share of the energy (each edge split between its ends).
    fn site_energy(&self, e: &EnergyEval, i: usize) -> f32 {
        let v = e.src[i];
        if is_ising(e) {
            -0.5 * v * coupling(e, i) - diag(e, i) * v
        } else {
            diag(e, i) * v + 0.5 * v * coupling(e, i)
        }
    }

    /// E(x_i → proposed) − E(x): the energy is linear in x_i.
    fn local_energy_change(&self, e: &EnergyEval, i: usize, proposed: f32) -> f32 {
        (proposed - e.src[i]) * self.energy_gradient(e, i)
    }

    /// A spin flip, or x → 1 − x for QUBO.
    fn metropolis_proposal(&self, e: &EnergyEval, current: f32, _r: [u32; 4]) -> f32 {
        if is_ising(e) {
            -current
        } else {
            1.0 - current
        }
    }

    /// The node's colour.
    fn site_color(&self, e: &EnergyEval, i: usize) -> u32 {
        let (n, m2) = layout(e);
        u(e, 4 + 2 * n + 2 * m2 + e.lattice.index_in_chain(i)) as u32
    }
}
