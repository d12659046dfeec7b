//! [`EnergyModule`]: an energy as the kernels see it, a WGSL module that the kernels importing
//! `energy` are composed with, and what it provides. The engine's host file of each energy
//! builds one; the GPU backend composes and caches pipelines under its [`EnergyModule::key`].

use std::hash::{Hash, Hasher};
use std::sync::Arc;

/// A WGSL energy module and its capabilities.
///
/// Every module defines `energy_gradient(i)` and `site_energy(i)`. A module with
/// [`local_moves`](Self::local_moves) also defines `local_energy_change(i, proposed)`,
/// `metropolis_proposal(i, current, r)` and `site_color(i)` (checkerboard Metropolis); one with
/// a [`stencil_gradient`](Self::stencil_gradient) defines `local_gradient(x, neighbour_sum, i)`
/// (the fused Langevin kernel). See `shaders/energies/phi4.wgsl` for the signatures. One with
/// [`potts_moves`](Self::potts_moves) defines `potts_variables()`, `potts_labels()`,
/// `potts_rebuild(base)`, `potts_move_change(base, r, to)` and `potts_apply_move(base, r, to)`
/// on the chain at `base` in `dst` (see `shaders/energies/placement.wgsl`).
#[derive(Clone, Debug)]
pub struct EnergyModule {
    /// The import name, as messages show it: `energies/phi4`.
    pub name: &'static str,
    /// The WGSL source.
    pub source: Arc<str>,
    /// Single sites have local moves and a colouring into independent sets (Metropolis).
    pub local_moves: bool,
    /// The gradient is a 5-point lattice stencil (the fused Langevin kernel applies).
    pub stencil_gradient: bool,
    /// Categorical variables with moves between labels (`potts_sweep`).
    pub potts_moves: bool,
    /// The lattice Ising energy with `energy_params = [J, h]`: ±1 fields sweep by multi-spin
    /// coding (`multispin_sweep`), with the decisions of `metropolis_sweep` on this module.
    pub multispin: bool,
    key: u64,
}

impl EnergyModule {
    /// A module named `name` with WGSL `source`; it has neither local moves nor a stencil
    /// gradient until [`with_local_moves`](Self::with_local_moves) or
    /// [`with_stencil_gradient`](Self::with_stencil_gradient) says so.
    pub fn new(name: &'static str, source: impl Into<Arc<str>>) -> Self {
        let source = source.into();
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        (name, &*source).hash(&mut hasher);
        EnergyModule {
            name,
            source,
            local_moves: false,
            stencil_gradient: false,
            potts_moves: false,
            multispin: false,
            key: hasher.finish(),
        }
    }

    /// The same module, declaring local moves (Metropolis).
    pub fn with_local_moves(self) -> Self {
        EnergyModule {
            local_moves: true,
            ..self
        }
    }

    /// The same module, declaring categorical moves (`potts_sweep`).
    pub fn with_potts_moves(self) -> Self {
        EnergyModule {
            potts_moves: true,
            ..self
        }
    }

    /// The same module, declaring that it is the lattice Ising energy with `energy_params =
    /// [J, h]`, so that `multispin_sweep` may sweep its ±1 fields.
    pub fn with_multispin(self) -> Self {
        EnergyModule {
            multispin: true,
            ..self
        }
    }

    /// The same module, declaring a 5-point stencil gradient (fused Langevin).
    pub fn with_stencil_gradient(self) -> Self {
        EnergyModule {
            stencil_gradient: true,
            ..self
        }
    }

    /// A key that differs between modules (name and source): pipelines are cached under it.
    pub fn key(&self) -> u64 {
        self.key
    }
}

impl PartialEq for EnergyModule {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key && self.name == other.name && self.source == other.source
    }
}
