// The Poisson solve of a pseudo-spectral step, in three kernels around the FFT's passes:
// load_vorticity puts each chain's vorticity (channel 1 of `stage`) into spec_a;
// poisson multiplies each mode of the spectrum (in spec_a, or spec_b under SPECTRAL_FLIP) by
// -1/k^2, k the continuous wavenumber 2 pi m / (n dx) with m taken in (-n/2, n/2], and zeroes
// the mean; store_potential writes the real part of the inverse transform (in spec_a, or spec_b
// under SPECTRAL_FLIP) over height x width into phi. Then laplacian(phi) = zeta - mean(zeta).
// CPU twin: src/cpu/spectral/poisson.rs.
#import spectral/bindings

fn wavenumber(m: u32, n: u32) -> f32 {
    var signed = f32(m);
    if (m > n / 2u) {
        signed = f32(m) - f32(n);
    }
    return 6.283185307179586 * signed / (f32(n) * sp.dx);
}

@compute @workgroup_size(64)
fn load_vorticity(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let i = invocation(gid, groups);
    if (i >= sp.chains * plane()) {
        return;
    }
    let chain = i / plane();
    let site = i % plane();
    spec_a[i] = vec2<f32>(stage[(2u * chain + 1u) * plane() + site], 0.0);
}

@compute @workgroup_size(64)
fn poisson(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let i = invocation(gid, groups);
    if (i >= sp.chains * plane()) {
        return;
    }
    let site = i % plane();
    let kx = wavenumber(site % sp.width, sp.width);
    let ky = wavenumber(site / sp.width, sp.height);
    let k2 = kx * kx + ky * ky;
    var scale = 0.0;
    if (site != 0u) {
        scale = -1.0 / k2;
    }
    if ((sp.flags & SPECTRAL_FLIP) != 0u) {
        spec_b[i] = spec_b[i] * scale;
    } else {
        spec_a[i] = spec_a[i] * scale;
    }
}

@compute @workgroup_size(64)
fn store_potential(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let i = invocation(gid, groups);
    if (i >= sp.chains * plane()) {
        return;
    }
    var v = spec_a[i];
    if ((sp.flags & SPECTRAL_FLIP) != 0u) {
        v = spec_b[i];
    }
    phi[i] = v.x / f32(plane());
}
