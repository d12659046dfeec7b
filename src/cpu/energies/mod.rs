//! CPU twins of `shaders/energies/`: each energy's gradient, per-site energy and, for local
//! energies, the Metropolis energy change and proposal.

pub mod gmm;
pub mod graph;
pub mod ising;
pub mod phi4;
pub mod swift_hohenberg;

use super::shared::lattice::Lattice;
use crate::core::energy_field::EnergyKind;
use crate::kernels::StepParams;

/// An energy evaluated on one field buffer, as a kernel sees it.
pub struct EnergyEval<'a> {
    /// Which energy.
    pub kind: EnergyKind,
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

/// Custom WGSL energies have no twin: `Executor::new` refuses them on the CPU backend.
const NO_CUSTOM_TWIN: &str =
    "custom energies run on the GPU only; Executor::new refuses them on the CPU";

impl<'a> EnergyEval<'a> {
    /// Binds an energy to a field.
    pub fn new(
        kind: EnergyKind,
        energy_params: &'a [f32],
        params: &'a StepParams,
        src: &'a [f32],
    ) -> Self {
        EnergyEval {
            kind,
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
        if self.params.flags & crate::kernels::FLAG_TEMPERING != 0 {
            f32::from_bits(self.ladder[chain])
        } else {
            self.params.temperature
        }
    }

    /// ∂E/∂x_i.
    pub fn energy_gradient(&self, i: usize) -> f32 {
        match self.kind {
            EnergyKind::Phi4 => phi4::energy_gradient(self, i),
            EnergyKind::Ising => ising::energy_gradient(self, i),
            EnergyKind::Gmm => gmm::energy_gradient(self, i),
            EnergyKind::SwiftHohenberg => swift_hohenberg::energy_gradient(self, i),
            EnergyKind::Graph => graph::energy_gradient(self, i),
            EnergyKind::Custom(_) => unreachable!("{NO_CUSTOM_TWIN}"),
        }
    }

    /// Site `i`'s share of the energy (the shares sum to E).
    pub fn site_energy(&self, i: usize) -> f32 {
        match self.kind {
            EnergyKind::Phi4 => phi4::site_energy(self, i),
            EnergyKind::Ising => ising::site_energy(self, i),
            EnergyKind::Gmm => gmm::site_energy(self, i),
            EnergyKind::SwiftHohenberg => swift_hohenberg::site_energy(self, i),
            EnergyKind::Graph => graph::site_energy(self, i),
            EnergyKind::Custom(_) => unreachable!("{NO_CUSTOM_TWIN}"),
        }
    }

    /// E(x with x_i = proposed) − E(x), for local energies.
    pub fn local_energy_change(&self, i: usize, proposed: f32) -> f32 {
        match self.kind {
            EnergyKind::Phi4 => phi4::local_energy_change(self, i, proposed),
            EnergyKind::Ising => ising::local_energy_change(self, i, proposed),
            EnergyKind::Graph => graph::local_energy_change(self, i, proposed),
            EnergyKind::Gmm | EnergyKind::SwiftHohenberg | EnergyKind::Custom(_) => {
                unreachable!("only local energies have Metropolis moves; checked before dispatch")
            }
        }
    }

    /// The colour of site `i` in a Metropolis sweep: the checkerboard, or the graph colouring.
    pub fn site_color(&self, i: usize) -> u32 {
        match self.kind {
            EnergyKind::Graph => graph::site_color(self, i),
            _ => self.lattice.parity_of(i),
        }
    }

    /// The Metropolis proposal for site `i`, for local energies.
    pub fn metropolis_proposal(&self, current: f32, r: [u32; 4]) -> f32 {
        match self.kind {
            EnergyKind::Phi4 => phi4::metropolis_proposal(self, current, r),
            EnergyKind::Ising => -current,
            EnergyKind::Graph => graph::metropolis_proposal(self, current),
            EnergyKind::Gmm | EnergyKind::SwiftHohenberg | EnergyKind::Custom(_) => {
                unreachable!("only local energies have Metropolis moves; checked before dispatch")
            }
        }
    }
}
