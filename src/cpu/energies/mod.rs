//! CPU twins of `shaders/energies/`: each energy's gradient, per-site energy and, for energies
//! with local moves, the Metropolis energy change, proposal and colouring. An energy's twin is a
//! unit struct implementing [`EnergyTwin`]; the engine's host file of the energy hands it to the
//! executor, so this module lists no energies.

pub mod gmm;
pub mod graph;
pub mod ising;
pub mod phi4;
pub mod placement;
pub mod swift_hohenberg;

use std::sync::atomic::AtomicU32;

use super::shared::lattice::Lattice;
use crate::kernels::{StepParams, FLAG_TEMPERING};

/// The CPU twin of one WGSL energy module: the same functions of a site, in Rust.
///
/// The Metropolis functions are only called for modules with local moves; the engine refuses
/// Metropolis for the others before anything is dispatched.
pub trait EnergyTwin: Send + Sync {
    /// ∂E/∂x_i.
    fn energy_gradient(&self, e: &EnergyEval, i: usize) -> f32;

    /// Site `i`'s share of the energy (the shares sum to E).
    fn site_energy(&self, e: &EnergyEval, i: usize) -> f32;

    /// E(x with x_i = proposed) − E(x).
    fn local_energy_change(&self, _e: &EnergyEval, _i: usize, _proposed: f32) -> f32 {
        unreachable!(
            "only energies with local moves have Metropolis moves; checked before dispatch"
        )
    }

    /// The Metropolis proposal for a site holding `current`, from the site's random integers.
    fn metropolis_proposal(&self, _e: &EnergyEval, _current: f32, _r: [u32; 4]) -> f32 {
        unreachable!(
            "only energies with local moves have Metropolis moves; checked before dispatch"
        )
    }

    /// The colour of site `i` in a Metropolis sweep: the checkerboard's by default.
    fn site_color(&self, e: &EnergyEval, i: usize) -> u32 {
        e.lattice.parity_of(i)
    }

    /// The categorical moves of a Potts energy (`potts_sweep`), if it has them.
    fn potts(&self) -> Option<&dyn PottsTwin> {
        None
    }

    /// A faster `langevin_step` that computes the same numbers as the generic twin, if the
    /// energy has one (φ⁴ does); see [`crate::cpu::langevin_step::run_fastest`].
    fn fast_langevin_step(&self) -> Option<LangevinStep> {
        None
    }
}

/// The twin of an energy module's `potts_*` functions: categorical variables (the first
/// `variables` values of a chain, each a label below `labels`) followed by state they imply,
/// on one chain's values `chain` with the packed parameters `p`.
pub trait PottsTwin: Send + Sync {
    /// Variables per chain.
    fn variables(&self, p: &[f32]) -> usize;

    /// Labels each variable can take.
    fn labels(&self, p: &[f32]) -> usize;

    /// Recomputes the implied state from the labels.
    fn rebuild(&self, p: &[f32], chain: &mut [f32]);

    /// E(variable `r` set to `to`) − E(now).
    fn move_change(&self, p: &[f32], chain: &[f32], r: usize, to: usize) -> f32;

    /// Sets variable `r` to `to`, keeping the implied state in step.
    fn apply_move(&self, p: &[f32], chain: &mut [f32], r: usize, to: usize);
}

/// A `langevin_step` twin: the whole field of `e` stepped into `dst`, divergence in `status`.
pub type LangevinStep = fn(&EnergyEval, &mut [f32], &[AtomicU32]);

/// An energy evaluated on one field buffer, as a kernel sees it.
pub struct EnergyEval<'a> {
    /// The energy's twin.
    pub twin: &'a dyn EnergyTwin,
    /// The packed energy parameters (`energy_params` binding).
    pub energy_params: &'a [f32],
    /// The dispatch's parameters.
    pub params: &'a StepParams,
    /// The field (`src` binding).
    pub src: &'a [f32],
    /// Its layout.
    pub lattice: Lattice,
    /// The replica-exchange ladder (empty unless tempering).
    pub ladder: &'a [u32],
}

impl<'a> EnergyEval<'a> {
    /// Binds an energy to a field.
    pub fn new(
        twin: &'a dyn EnergyTwin,
        energy_params: &'a [f32],
        params: &'a StepParams,
        src: &'a [f32],
    ) -> Self {
        EnergyEval {
            twin,
            energy_params,
            params,
            src,
            lattice: Lattice::of(params),
            ladder: &[],
        }
    }

    /// The same with the replica-exchange ladder bound.
    pub fn with_ladder(self, ladder: &'a [u32]) -> Self {
        EnergyEval { ladder, ..self }
    }

    /// The temperature of `chain`: its rung when tempering, else the dispatch's.
    pub fn temperature_of(&self, chain: usize) -> f32 {
        if self.params.flags & FLAG_TEMPERING != 0 {
            f32::from_bits(self.ladder[chain])
        } else {
            self.params.temperature
        }
    }

    /// ∂E/∂x_i.
    pub fn energy_gradient(&self, i: usize) -> f32 {
        self.twin.energy_gradient(self, i)
    }

    /// Site `i`'s share of the energy (the shares sum to E).
    pub fn site_energy(&self, i: usize) -> f32 {
        self.twin.site_energy(self, i)
    }

    /// E(x with x_i = proposed) − E(x), for energies with local moves.
    pub fn local_energy_change(&self, i: usize, proposed: f32) -> f32 {
        self.twin.local_energy_change(self, i, proposed)
    }

    /// The colour of site `i` in a Metropolis sweep.
    pub fn site_color(&self, i: usize) -> u32 {
        self.twin.site_color(self, i)
    }

    /// The Metropolis proposal for a site holding `current`, for energies with local moves.
    pub fn metropolis_proposal(&self, current: f32, r: [u32; 4]) -> f32 {
        self.twin.metropolis_proposal(self, current, r)
    }
}
