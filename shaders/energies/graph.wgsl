// Energies on an arbitrary weighted graph, one chain per configuration of its n nodes:
//   Ising (kind 0): E = -sum_{i<j} J_ij s_i s_j - sum_i h_i s_i, s = +-1 (Max-Cut: J = -w);
//   QUBO  (kind 1): E = sum_i Q_ii x_i + sum_{i<j} Q_ij x_i x_j, x in {0, 1}.
// Adjacency in CSR, both directions stored. energy_params (integers as f32 bit patterns):
//   [kind, n, colours, then row_ptr (n + 1), col (m2), weight (m2), diag h_i or Q_ii (n), colour (n)].
// Sites of one colour share no edge, so a colour updates at once (block Metropolis).
// CPU twin: src/cpu/energies/graph.rs.
#import shared/lattice

fn graph_u32(k: u32) -> u32 {
    return bitcast<u32>(energy_params[k]);
}

fn graph_nodes() -> u32 {
    return graph_u32(1u);
}

fn graph_edges2() -> u32 {
    return graph_u32(3u + graph_nodes());
}

// Sum over the neighbours j of node i of weight_ij * value_j, for the chain holding site i.
fn graph_coupling(i: u32) -> f32 {
    let n = graph_nodes();
    let node = index_in_chain(i);
    let start = i - node;
    let m2 = graph_edges2();
    let col0 = 4u + n;
    let w0 = col0 + m2;
    var sum = 0.0;
    for (var e = graph_u32(3u + node); e < graph_u32(4u + node); e = e + 1u) {
        sum += energy_params[w0 + e] * src[start + graph_u32(col0 + e)];
    }
    return sum;
}

fn graph_diag(i: u32) -> f32 {
    let n = graph_nodes();
    return energy_params[4u + n + 2u * graph_edges2() + index_in_chain(i)];
}

fn energy_gradient(i: u32) -> f32 {
    if (graph_u32(0u) == 0u) {
        return -graph_coupling(i) - graph_diag(i);
    }
    return graph_diag(i) + graph_coupling(i);
}

fn site_energy(i: u32) -> f32 {
    let v = src[i];
    if (graph_u32(0u) == 0u) {
        return -0.5 * v * graph_coupling(i) - graph_diag(i) * v;
    }
    return graph_diag(i) * v + 0.5 * v * graph_coupling(i);
}

fn local_energy_change(i: u32, proposed: f32) -> f32 {
    return (proposed - src[i]) * energy_gradient(i);
}

fn metropolis_proposal(i: u32, current: f32, r: vec4<u32>) -> f32 {
    if (graph_u32(0u) == 0u) {
        return -current;
    }
    return 1.0 - current;
}

fn site_color(i: u32) -> u32 {
    let n = graph_nodes();
    return graph_u32(4u + 2u * n + 2u * graph_edges2() + index_in_chain(i));
}
