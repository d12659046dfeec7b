//! Ising spins on a lattice, `E = −J Σ_<ij> s_i s_j − h Σ s_i`, s = ±1. Module
//! `shaders/energies/ising.wgsl`, twin `src/cpu/energies/ising.rs`.

use std::sync::OnceLock;

use super::{
    finite, unknown_param, Energy, EnergyExample, EnergyModel, EnergySpec, ParamSpec, ParamValue,
    StateKind,
};
use crate::cpu::energies::ising::IsingTwin;
use crate::cpu::energies::EnergyTwin;
use crate::engine::field::{Field, Shape};
use crate::engine::method::Method;
use crate::error::Result;
use crate::kernels::EnergyModule;

/// Ising's registration.
pub static SPEC: EnergySpec = EnergySpec {
    name: "ising",
    summary: "Ising spins E = −J Σ_<ij> s_i s_j − h Σ s_i, s = ±1",
    params: &[
        ParamSpec::scalar(
            "J",
            "1",
            (-2.0, 2.0),
            "coupling J (positive: ferromagnetic)",
        ),
        ParamSpec::scalar("h", "0", (-1.0, 1.0), "external field h"),
    ],
    state: StateKind::Spins,
    methods: &[Method::Metropolis, Method::Anneal],
    new: Some(|| EnergyModel::Ising(Ising::default())),
    example: || EnergyExample {
        model: EnergyModel::Ising(Ising { j: 1.0, h: 0.4 }),
        size: Some([4, 4]),
        // The multilinear extension has no curvature along one coordinate.
        third_derivative: 0.0,
    },
};

/// Ising spins.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Ising {
    /// Coupling J.
    pub j: f32,
    /// External field h.
    pub h: f32,
}

impl Default for Ising {
    fn default() -> Self {
        Ising { j: 1.0, h: 0.0 }
    }
}

fn module() -> EnergyModule {
    static MODULE: OnceLock<EnergyModule> = OnceLock::new();
    MODULE
        .get_or_init(|| {
            EnergyModule::new(
                "energies/ising",
                include_str!("../../../shaders/energies/ising.wgsl"),
            )
            .with_local_moves()
            .with_stencil_gradient()
            .with_multispin()
        })
        .clone()
}

impl Energy for Ising {
    fn spec(&self) -> &'static EnergySpec {
        &SPEC
    }

    /// E = −J Σ_⟨ij⟩ s_i s_j − h Σ s_i: ∂E/∂J = −Σ s_i (s_right + s_down), ∂E/∂h = −Σ s_i.
    fn param_gradient(&self, field: &Field) -> Option<Vec<Vec<f64>>> {
        Some(super::lattice_sums(field, |s, right, down| {
            [-s * (right + down), -s]
        }))
    }

    fn module(&self) -> EnergyModule {
        module()
    }

    fn twin(&self) -> Option<&'static dyn EnergyTwin> {
        Some(&IsingTwin)
    }

    /// `[J, h]`.
    fn packed_params(&self) -> Vec<f32> {
        vec![self.j, self.h]
    }

    fn params(&self) -> Vec<ParamValue> {
        SPEC.params
            .iter()
            .zip([self.j, self.h])
            .map(|(spec, v)| ParamValue::of(spec, v))
            .collect()
    }

    /// `J` (or `j`) and `h`.
    fn set_value(&mut self, name: &str, value: f32) -> Result<()> {
        let slot = match name {
            "J" | "j" => &mut self.j,
            "h" => &mut self.h,
            _ => return Err(unknown_param(self, name)),
        };
        *slot = finite(name, value)?;
        Ok(())
    }

    fn curvature_bound(&self) -> f32 {
        8.0 * self.j.abs()
    }

    fn unsupported_reason(&self, method: Method) -> &'static str {
        match method {
            Method::Ddpm | Method::Ddim => {
                "DDPM and DDIM need the exact score of the noised marginal, which only gmm has; \
                 for field energies use --integrator anneal (annealed Langevin)"
            }
            _ => "Ising spins are discrete (±1); use --integrator metropolis or anneal",
        }
    }

    /// Random spins.
    fn initial_field(&self, shape: Shape, seed: u32) -> Result<Field> {
        Field::random_spins(shape, seed)
    }

    /// T = 2, just below the critical temperature 2.269 of the square lattice.
    fn default_temperature(&self) -> f32 {
        2.0
    }
}
