// Lennard-Jones forces, energies and virials from the Verlet lists:
// u(r) = 4ε[(σ/r)¹² − (σ/r)⁶] − shift for r < r_c. Twin: src/cpu/particles/lj_forces.rs.
#import particles/bindings

// One invocation per particle: force[g] = (F, its half of the pair energies), virial[g] its
// half of Σ r·f.
@compute @workgroup_size(64)
fn lj_forces(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let g = flat_index(id, groups);
    if (g >= pp.chains * pp.n) {
        return;
    }
    let chain = g / pp.n;
    let xi = position[g];
    let si = u32(xi.w);
    let cutoff2 = pp.cutoff * pp.cutoff;
    var f = vec3<f32>(0.0);
    var u = 0.0;
    var w = 0.0;
    let count = min(neighbor_count[g], pp.capacity);
    for (var k = 0u; k < count; k = k + 1u) {
        let xj = position[chain * pp.n + neighbors[g * pp.capacity + k]];
        let d = separation(xi, xj);
        let r2 = dot(d, d);
        if (r2 < cutoff2) {
            let entry = pair_table[si * pp.species + u32(xj.w)];
            let inv_r2 = 1.0 / r2;
            let s2 = entry.y * inv_r2;
            let s6 = s2 * s2 * s2;
            let uij = 4.0 * entry.x * (s6 * s6 - s6) - entry.z;
            let f_over_r = 24.0 * entry.x * (2.0 * s6 * s6 - s6) * inv_r2;
            f = f - f_over_r * d;
            u = u + 0.5 * uij;
            w = w + 0.5 * f_over_r * r2;
        }
    }
    force[g] = vec4<f32>(f, u);
    virial[g] = w;
}
