// Verlet lists: each particle's neighbours within r_c + skin through the cell list, and its
// anchor. Twin: src/cpu/particles/neighbor_list.rs (same cell order, same lists).
#import particles/bindings

// The linear index of the neighbour cell (dx, dy, dz) of c, or a value ≥ cells_per_chain()
// when it lies outside a free-space grid.
fn neighbor_cell(c: vec3<u32>, d: vec3<i32>) -> u32 {
    let n = vec3<i32>(pp.cells);
    var q = vec3<i32>(c) + d;
    if (periodic()) {
        q = ((q % n) + n) % n;
    } else if (any(q < vec3<i32>(0)) || any(q >= n)) {
        return 0xffffffffu;
    }
    return cell_index(vec3<u32>(q));
}

// One invocation per particle.
@compute @workgroup_size(64)
fn neighbor_build(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let g = flat_index(id, groups);
    if (g >= pp.chains * pp.n) {
        return;
    }
    let chain = g / pp.n;
    let i = g - chain * pp.n;
    let xi = position[g];
    let c = cell_of(xi);
    let cells = cells_per_chain();
    let base = chain * (cells + 1u);
    let reach = pp.cutoff + pp.skin;
    let reach2 = reach * reach;
    var seen: array<u32, 27>;
    var visited = 0u;
    var found = 0u;
    for (var dz = -1; dz <= 1; dz = dz + 1) {
        for (var dy = -1; dy <= 1; dy = dy + 1) {
            for (var dx = -1; dx <= 1; dx = dx + 1) {
                let cell = neighbor_cell(c, vec3<i32>(dx, dy, dz));
                if (cell >= cells) {
                    continue;
                }
                // A grid of fewer than 3 cells on an axis wraps onto the same cell twice.
                var again = false;
                for (var s = 0u; s < visited; s = s + 1u) {
                    if (seen[s] == cell) {
                        again = true;
                    }
                }
                if (again) {
                    continue;
                }
                seen[visited] = cell;
                visited = visited + 1u;
                let first = atomicLoad(&cell_start[base + cell]);
                let last = atomicLoad(&cell_start[base + cell + 1u]);
                for (var k = first; k < last; k = k + 1u) {
                    let j = cell_particles[chain * pp.n + k];
                    if (j == i) {
                        continue;
                    }
                    let d = separation(xi, position[chain * pp.n + j]);
                    if (dot(d, d) < reach2) {
                        if (found < pp.capacity) {
                            neighbors[g * pp.capacity + found] = j;
                        }
                        found = found + 1u;
                    }
                }
            }
        }
    }
    neighbor_count[g] = found;
    anchor[g] = xi;
}

// One invocation per particle: the largest squared displacement from the anchors, into
// scratch[0] (as bits: a non-negative float's bits order as the float).
@compute @workgroup_size(64)
fn max_displacement(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let g = flat_index(id, groups);
    if (g >= pp.chains * pp.n) {
        return;
    }
    let d = separation(anchor[g], position[g]);
    atomicMax(&scratch[0], bitcast<u32>(dot(d, d)));
}
