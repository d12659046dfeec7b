// Cell lists: clear, count, scan, fill, sort. Twin: src/cpu/particles/cell_list.rs (which
// produces the sorted lists directly). cell_start has cells + 1 entries per chain.
#import particles/bindings

// One invocation per cell-start entry of every chain: zero.
@compute @workgroup_size(64)
fn cell_clear(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let k = flat_index(id, groups);
    if (k >= pp.chains * (cells_per_chain() + 1u)) {
        return;
    }
    atomicStore(&cell_start[k], 0u);
}

// One invocation per particle: count it in its cell's next entry.
@compute @workgroup_size(64)
fn cell_count(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let g = flat_index(id, groups);
    if (g >= pp.chains * pp.n) {
        return;
    }
    let chain = g / pp.n;
    let cell = cell_index(cell_of(position[g]));
    atomicAdd(&cell_start[chain * (cells_per_chain() + 1u) + cell + 1u], 1u);
}

// One invocation per chain: the prefix sum of the counts, and each cell's fill cursor.
@compute @workgroup_size(64)
fn cell_scan(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let chain = flat_index(id, groups);
    if (chain >= pp.chains) {
        return;
    }
    let cells = cells_per_chain();
    let base = chain * (cells + 1u);
    var total = 0u;
    for (var c = 0u; c < cells; c = c + 1u) {
        total = total + atomicLoad(&cell_start[base + c + 1u]);
        atomicStore(&cell_start[base + c + 1u], total);
        atomicStore(&scratch[1u + chain * cells + c], atomicLoad(&cell_start[base + c]));
    }
}

// One invocation per particle: its slot in its cell (in arrival order).
@compute @workgroup_size(64)
fn cell_fill(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let g = flat_index(id, groups);
    if (g >= pp.chains * pp.n) {
        return;
    }
    let chain = g / pp.n;
    let cell = cell_index(cell_of(position[g]));
    let slot = atomicAdd(&scratch[1u + chain * cells_per_chain() + cell], 1u);
    cell_particles[chain * pp.n + slot] = g - chain * pp.n;
}

// One invocation per cell of every chain: sorts the cell's particles by index, so the lists
// are the CPU twin's whatever the arrival order.
@compute @workgroup_size(64)
fn cell_sort(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let k = flat_index(id, groups);
    let cells = cells_per_chain();
    if (k >= pp.chains * cells) {
        return;
    }
    let chain = k / cells;
    let cell = k - chain * cells;
    let base = chain * (cells + 1u);
    let first = chain * pp.n + atomicLoad(&cell_start[base + cell]);
    let last = chain * pp.n + atomicLoad(&cell_start[base + cell + 1u]);
    for (var i = first + 1u; i < last; i = i + 1u) {
        let x = cell_particles[i];
        var j = i;
        while (j > first && cell_particles[j - 1u] > x) {
            cell_particles[j] = cell_particles[j - 1u];
            j = j - 1u;
        }
        cell_particles[j] = x;
    }
}
