// One radix-2 Stockham pass (autosort: no bit reversal) of the 2-D FFT of every chain's
// complex grid, along rows (axis 0) or columns (axis 1); log2(length) passes with spans
// 1, 2, 4, ... give the DFT in natural order (Stockham 1966; the GPU formulation of
// Govindaraju et al., SC 2008). One invocation per butterfly: for butterfly j of a transform
// of length L, k = j mod span, a = x[j], b = x[j + L/2] times the twiddle e^{-2 pi i k/(2 span)}
// (conjugated for the inverse); a + b goes to (j - k) 2 + k, a - b to that + span. Passes
// ping-pong between spec_a and spec_b (SPECTRAL_FLIP reads spec_b). Forward: X_k =
// sum_j x_j e^{-2 pi i jk/L}; the inverse omits the 1/L. CPU twin: src/cpu/spectral/fft.rs.
#import spectral/bindings

fn fft_read(i: u32) -> vec2<f32> {
    if ((sp.flags & SPECTRAL_FLIP) != 0u) {
        return spec_b[i];
    }
    return spec_a[i];
}

fn fft_write(i: u32, v: vec2<f32>) {
    if ((sp.flags & SPECTRAL_FLIP) != 0u) {
        spec_a[i] = v;
    } else {
        spec_b[i] = v;
    }
}

@compute @workgroup_size(64)
fn fft_pass(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let t = invocation(gid, groups);
    var len = sp.width;
    var other = sp.height;
    var stride = 1u;
    var table = 0u;
    if (sp.axis == 1u) {
        len = sp.height;
        other = sp.width;
        stride = sp.width;
        table = sp.width / 2u;
    }
    let half = len / 2u;
    if (t >= sp.chains * other * half) {
        return;
    }
    let j = t % half;
    let transform = t / half;
    let chain = transform / other;
    let line = transform % other;
    // Rows: line is the row, elements 1 apart; columns: line is the column, `width` apart.
    var base = chain * plane() + line * sp.width;
    if (sp.axis == 1u) {
        base = chain * plane() + line;
    }
    let k = j % sp.span;
    var w = twiddle[table + k * (half / sp.span)];
    if ((sp.flags & SPECTRAL_INVERSE) != 0u) {
        w.y = -w.y;
    }
    let a = fft_read(base + j * stride);
    let b = cmul(w, fft_read(base + (j + half) * stride));
    let out = (j - k) * 2u + k;
    fft_write(base + out * stride, a + b);
    fft_write(base + (out + sp.span) * stride, a - b);
}
