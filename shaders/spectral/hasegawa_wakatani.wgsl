// The Hasegawa-Wakatani right-hand side (Hasegawa & Wakatani, PRL 50, 682, 1983) on a periodic
// grid of spacing dx, for density n and vorticity zeta = laplacian(phi) at `stage`, with phi
// from the Poisson solve:
//   dn/dt    = -[phi, n]    + alpha (phi - n) - kappa d(phi)/dy - nu laplacian^2 n
//   dzeta/dt = -[phi, zeta] + alpha (phi - n)                    - nu laplacian^2 zeta
// [a, b] = da/dx db/dy - da/dy db/dx by Arakawa's 9-point Jacobian (J++ + J+x + Jx+)/3 (Arakawa,
// J. Comput. Phys. 1, 119, 1966), which conserves energy and enstrophy; d/dy by central
// differences; laplacian^2 by the 13-point square of the 5-point Laplacian. The modified model
// (SPECTRAL_MODIFIED) couples only the non-zonal parts: alpha (phi~ - n~), f~ = f minus its mean
// over y at each x. alpha, kappa, nu come per chain from chain_params. rk_update combines
// stages of the classical Runge-Kutta method (mode 0 first, 1 middle, 2 last, 3 stage = state)
// and adds the stochastic forcing after the last stage: noise * stage_coef * xi per value, the
// last stage's stage_coef being sqrt(dt) (a Wiener increment; chain_params[3] is the noise). x runs along rows (width), y along
// columns (height). CPU twin: src/cpu/spectral/hasegawa_wakatani.rs.
#import spectral/bindings
#import shared/pcg

// Value of channel `c` of the chain's stage at column x, row y (periodic).
fn at(base: u32, x: i32, y: i32) -> f32 {
    let w = i32(sp.width);
    let h = i32(sp.height);
    let xx = u32((x % w + w) % w);
    let yy = u32((y % h + h) % h);
    return stage[base + yy * sp.width + xx];
}

fn phi_at(base: u32, x: i32, y: i32) -> f32 {
    let w = i32(sp.width);
    let h = i32(sp.height);
    let xx = u32((x % w + w) % w);
    let yy = u32((y % h + h) % h);
    return phi[base + yy * sp.width + xx];
}

// Arakawa's Jacobian [phi, f] at (x, y), f channel at `fb` of stage, phi at `pb`.
fn arakawa(pb: u32, fb: u32, x: i32, y: i32) -> f32 {
    let a_e = phi_at(pb, x + 1, y);
    let a_w = phi_at(pb, x - 1, y);
    let a_n = phi_at(pb, x, y + 1);
    let a_s = phi_at(pb, x, y - 1);
    let a_ne = phi_at(pb, x + 1, y + 1);
    let a_nw = phi_at(pb, x - 1, y + 1);
    let a_se = phi_at(pb, x + 1, y - 1);
    let a_sw = phi_at(pb, x - 1, y - 1);
    let b_e = at(fb, x + 1, y);
    let b_w = at(fb, x - 1, y);
    let b_n = at(fb, x, y + 1);
    let b_s = at(fb, x, y - 1);
    let b_ne = at(fb, x + 1, y + 1);
    let b_nw = at(fb, x - 1, y + 1);
    let b_se = at(fb, x + 1, y - 1);
    let b_sw = at(fb, x - 1, y - 1);
    let jpp = (a_e - a_w) * (b_n - b_s) - (a_n - a_s) * (b_e - b_w);
    let jpx = a_e * (b_ne - b_se) - a_w * (b_nw - b_sw) - a_n * (b_ne - b_nw) + a_s * (b_se - b_sw);
    let jxp = a_ne * (b_n - b_e) - a_sw * (b_w - b_s) - a_nw * (b_n - b_w) + a_se * (b_e - b_s);
    return (jpp + jpx + jxp) / (12.0 * sp.dx * sp.dx);
}

// The 13-point biharmonic of channel `fb` at (x, y).
fn biharmonic(fb: u32, x: i32, y: i32) -> f32 {
    let c = at(fb, x, y);
    let near = at(fb, x + 1, y) + at(fb, x - 1, y) + at(fb, x, y + 1) + at(fb, x, y - 1);
    let diag = at(fb, x + 1, y + 1) + at(fb, x - 1, y + 1) + at(fb, x + 1, y - 1) + at(fb, x - 1, y - 1);
    let far = at(fb, x + 2, y) + at(fb, x - 2, y) + at(fb, x, y + 2) + at(fb, x, y - 2);
    let h2 = sp.dx * sp.dx;
    return (20.0 * c - 8.0 * near + 2.0 * diag + far) / (h2 * h2);
}

// The mean over y of column x of a stage channel (fb) or of phi (is_phi).
fn zonal_mean(base: u32, x: i32, is_phi: bool) -> f32 {
    var sum = 0.0;
    for (var y = 0; y < i32(sp.height); y = y + 1) {
        if (is_phi) {
            sum = sum + phi_at(base, x, y);
        } else {
            sum = sum + at(base, x, y);
        }
    }
    return sum / f32(sp.height);
}

@compute @workgroup_size(64)
fn hw_rhs(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let i = invocation(gid, groups);
    if (i >= sp.chains * plane()) {
        return;
    }
    let chain = i / plane();
    let site = i % plane();
    let x = i32(site % sp.width);
    let y = i32(site / sp.width);
    let nb = 2u * chain * plane();
    let zb = nb + plane();
    let pb = chain * plane();
    let alpha = chain_params[CHAIN_PARAMS * chain];
    let kappa = chain_params[CHAIN_PARAMS * chain + 1u];
    let nu = chain_params[CHAIN_PARAMS * chain + 2u];
    var coupling = phi[i] - stage[nb + site];
    if ((sp.flags & SPECTRAL_MODIFIED) != 0u) {
        coupling = coupling - (zonal_mean(pb, x, true) - zonal_mean(nb, x, false));
    }
    coupling = alpha * coupling;
    let dphi_dy = (phi_at(pb, x, y + 1) - phi_at(pb, x, y - 1)) / (2.0 * sp.dx);
    rhs[nb + site] = -arakawa(pb, nb, x, y) + coupling - kappa * dphi_dy - nu * biharmonic(nb, x, y);
    rhs[zb + site] = -arakawa(pb, zb, x, y) + coupling - nu * biharmonic(zb, x, y);
}

@compute @workgroup_size(64)
fn rk_update(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let i = invocation(gid, groups);
    if (i >= 2u * sp.chains * plane()) {
        return;
    }
    switch sp.mode {
        case 0u: {
            accum[i] = state[i] + sp.sum_coef * rhs[i];
            stage[i] = state[i] + sp.stage_coef * rhs[i];
        }
        case 1u: {
            accum[i] = accum[i] + sp.sum_coef * rhs[i];
            stage[i] = state[i] + sp.stage_coef * rhs[i];
        }
        case 2u: {
            var next = accum[i] + sp.sum_coef * rhs[i];
            let chain = i / (2u * plane());
            let noise = chain_params[CHAIN_PARAMS * chain + 3u];
            if (noise > 0.0) {
                next = next + noise * sp.stage_coef * gaussian(rng_draw(i, chain, sp.step, sp.seed, STREAM_NOISE));
            }
            state[i] = next;
            stage[i] = next;
        }
        default: {
            stage[i] = state[i];
        }
    }
}
