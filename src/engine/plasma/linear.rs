//! The linear theory of the Hasegawa–Wakatani model. A Fourier mode e^{i(k_x x + k_y y)} of
//! small amplitude obeys d/dt [n, φ] = M [n, φ] with
//!
//! ```text
//! M = [ −α − ν L²        α − iκ s_y   ]
//!     [  α / K           −α / K − ν L² ]
//! ```
//!
//! from dn/dt = α(φ − n) − κ ∂φ/∂y − ν∇⁴n and dζ/dt = α(φ − n) − ν∇⁴ζ with ζ = −Kφ (the
//! bracket of a single mode with itself vanishes). In the continuum s_y = k_y, K = k² and
//! L = k²; on the grid of spacing h the integrator's operators give s_y = sin(k_y h)/h (central
//! difference), K = k² (spectral Poisson solve) and L = (4/h²)(sin²(k_x h/2) + sin²(k_y h/2))
//! (the 5-point Laplacian, squared for the biharmonic). The eigenvalues λ = γ − iω are the
//! roots of λ² − tr(M) λ + det(M); the unstable drift wave is the root of larger real part.
//! In the modified model a zonal mode (k_y = 0) has no coupling (α acts on non-zonal parts).

use serde::Serialize;

/// A complex number as (re, im).
pub type Complex = (f64, f64);

fn mul(a: Complex, b: Complex) -> Complex {
    (a.0 * b.0 - a.1 * b.1, a.0 * b.1 + a.1 * b.0)
}

fn sqrt(z: Complex) -> Complex {
    let r = (z.0 * z.0 + z.1 * z.1).sqrt();
    let re = ((r + z.0) / 2.0).max(0.0).sqrt();
    let im = ((r - z.0) / 2.0).max(0.0).sqrt();
    (re, if z.1 < 0.0 { -im } else { im })
}

/// The parameters of one mode's linear problem.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ModeProblem {
    /// Adiabaticity α.
    pub alpha: f64,
    /// Density gradient κ.
    pub kappa: f64,
    /// Hyper-diffusion ν.
    pub nu: f64,
    /// Wavenumbers.
    pub kx: f64,
    /// Wavenumbers.
    pub ky: f64,
    /// The grid spacing of the discrete operators (`None`: the continuum).
    pub dx: Option<f64>,
    /// The modified model (no coupling of zonal modes).
    pub modified: bool,
}

/// One mode's growing eigen-solution.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct ModeGrowth {
    /// Growth rate γ = Re λ.
    pub gamma: f64,
    /// Real frequency ω = −Im λ (the mode goes as e^{γt − iωt}).
    pub omega: f64,
    /// The eigenvector's density component per unit potential, n/φ.
    pub n_over_phi: Complex,
}

impl ModeProblem {
    /// The matrix M (row-major: M_nn, M_nφ, M_φn, M_φφ).
    pub fn matrix(&self) -> [Complex; 4] {
        let k2 = self.kx * self.kx + self.ky * self.ky;
        let (sy, l) = match self.dx {
            Some(h) => (
                (self.ky * h).sin() / h,
                4.0 / (h * h)
                    * ((self.kx * h / 2.0).sin().powi(2) + (self.ky * h / 2.0).sin().powi(2)),
            ),
            None => (self.ky, k2),
        };
        let alpha = if self.modified && self.ky == 0.0 {
            0.0
        } else {
            self.alpha
        };
        let damp = self.nu * l * l;
        [
            (-alpha - damp, 0.0),
            (alpha, -self.kappa * sy),
            (alpha / k2, 0.0),
            (-alpha / k2 - damp, 0.0),
        ]
    }

    /// Both eigenvalues, the one of larger real part first.
    pub fn eigenvalues(&self) -> [Complex; 2] {
        let [a, b, c, d] = self.matrix();
        let tr = (a.0 + d.0, a.1 + d.1);
        let ad = mul(a, d);
        let bc = mul(b, c);
        let det = (ad.0 - bc.0, ad.1 - bc.1);
        let tr2 = mul(tr, tr);
        let disc = sqrt((tr2.0 - 4.0 * det.0, tr2.1 - 4.0 * det.1));
        let l1 = ((tr.0 + disc.0) / 2.0, (tr.1 + disc.1) / 2.0);
        let l2 = ((tr.0 - disc.0) / 2.0, (tr.1 - disc.1) / 2.0);
        if l1.0 >= l2.0 {
            [l1, l2]
        } else {
            [l2, l1]
        }
    }

    /// The growing root: its rate, frequency and eigenvector.
    pub fn growth(&self) -> ModeGrowth {
        let [lambda, _] = self.eigenvalues();
        let [a, b, ..] = self.matrix();
        // (M_nn − λ) n + M_nφ φ = 0 → n/φ = M_nφ / (λ − M_nn).
        let den = (lambda.0 - a.0, lambda.1 - a.1);
        let norm = den.0 * den.0 + den.1 * den.1;
        let n_over_phi = mul(b, (den.0 / norm, -den.1 / norm));
        ModeGrowth {
            gamma: lambda.0,
            omega: -lambda.1,
            n_over_phi,
        }
    }
}

/// The classical Runge–Kutta method's amplification of e^{λt} over one step: R(λ dt) =
/// 1 + z + z²/2 + z³/6 + z⁴/24; the growth and frequency it gives per unit time.
pub fn rk4_growth(lambda: Complex, dt: f64) -> (f64, f64) {
    let z = (lambda.0 * dt, lambda.1 * dt);
    let z2 = mul(z, z);
    let z3 = mul(z2, z);
    let z4 = mul(z3, z);
    let r = (
        1.0 + z.0 + z2.0 / 2.0 + z3.0 / 6.0 + z4.0 / 24.0,
        z.1 + z2.1 / 2.0 + z3.1 / 6.0 + z4.1 / 24.0,
    );
    let modulus = (r.0 * r.0 + r.1 * r.1).sqrt();
    (modulus.ln() / dt, -r.1.atan2(r.0) / dt)
}
