//! Drift-wave turbulence: the Hasegawa–Wakatani model on the spectral grid
//! ([`hasegawa_wakatani`]: the integrator, its diagnostics) and its linear theory
//! ([`linear`]: the eigenvalues of each Fourier mode, for the discrete operators the integrator
//! uses and in the continuum).

pub mod hasegawa_wakatani;
pub mod linear;
