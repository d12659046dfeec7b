//! [`Method`]: how samples are drawn, the `integrator` of a scene and of `idf sample`.

use std::fmt;
use std::str::FromStr;

use crate::error::{IdfError, Result};

/// How samples are drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Method {
    /// Unadjusted Langevin: `x ← x − η∇E + √(2ηT) ξ`.
    Langevin,
    /// Metropolis-adjusted Langevin (Roberts & Tweedie 1996), one accept decision per chain.
    Mala,
    /// Checkerboard single-site Metropolis.
    Metropolis,
    /// Reverse DDPM with the exact score (Ho et al. 2020; Gaussian mixtures).
    Ddpm,
    /// Deterministic reverse DDIM with the exact score (Song et al. 2021; Gaussian mixtures).
    Ddim,
    /// Annealing from hot to the target temperature along a schedule (cosine by default):
    /// annealed Langevin for continuous fields, annealed Metropolis for spins.
    Anneal,
    /// Hamiltonian Monte Carlo (Duane et al. 1987): leapfrog trajectories with a per-chain
    /// Metropolis decision.
    Hmc,
}

impl Method {
    /// Every method, in the order help texts list them.
    pub const ALL: [Method; 7] = [
        Method::Langevin,
        Method::Mala,
        Method::Metropolis,
        Method::Hmc,
        Method::Ddpm,
        Method::Ddim,
        Method::Anneal,
    ];

    /// The method's name.
    pub fn name(self) -> &'static str {
        match self {
            Method::Langevin => "langevin",
            Method::Mala => "mala",
            Method::Metropolis => "metropolis",
            Method::Ddpm => "ddpm",
            Method::Ddim => "ddim",
            Method::Anneal => "anneal",
            Method::Hmc => "hmc",
        }
    }

    /// Every method's name, comma-separated, for help texts and errors.
    pub fn names() -> String {
        Method::ALL.map(Method::name).join(", ")
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Method {
    type Err = IdfError;
    fn from_str(s: &str) -> Result<Self> {
        Method::ALL
            .into_iter()
            .find(|m| m.name() == s)
            .ok_or_else(|| {
                IdfError::invalid(
                    "integrator",
                    format!("`{s}` is not one of {}", Method::names()),
                )
            })
    }
}
