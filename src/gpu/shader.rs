//! WGSL composition and validation.
//!
//! Kernels import shared modules with `#import NAME` lines (`shared/rng`, `shared/lattice`, …) and
//! the energy with `#import energy`, which resolves to the chosen energy module. Each module is
//! included once. Every composed module is validated by naga before wgpu sees it, so a broken
//! shader fails with naga's message and the line and column in the module it came from.

use std::collections::HashSet;

use crate::error::{IdfError, Result};
use crate::kernels::{EnergyModule, Kernel};

/// The kernels and shared WGSL modules shipped with IDF, by import name (energy modules come
/// with their [`EnergyModule`]).
const MODULES: &[(&str, &str)] = &[
    (
        "shared/bindings",
        include_str!("../../shaders/shared/bindings.wgsl"),
    ),
    (
        "shared/work_buffers",
        include_str!("../../shaders/shared/work_buffers.wgsl"),
    ),
    (
        "shared/accept_counts",
        include_str!("../../shaders/shared/accept_counts.wgsl"),
    ),
    (
        "shared/packed_spins",
        include_str!("../../shaders/shared/packed_spins.wgsl"),
    ),
    (
        "shared/lattice",
        include_str!("../../shaders/shared/lattice.wgsl"),
    ),
    ("shared/rng", include_str!("../../shaders/shared/rng.wgsl")),
    (
        "shared/reduce",
        include_str!("../../shaders/shared/reduce.wgsl"),
    ),
    ("shared/pcg", include_str!("../../shaders/shared/pcg.wgsl")),
    (
        "shared/observe",
        include_str!("../../shaders/shared/observe.wgsl"),
    ),
    (
        "spectral/bindings",
        include_str!("../../shaders/spectral/bindings.wgsl"),
    ),
    (
        "spectral/fft",
        include_str!("../../shaders/spectral/fft.wgsl"),
    ),
    (
        "spectral/poisson",
        include_str!("../../shaders/spectral/poisson.wgsl"),
    ),
    (
        "spectral/hasegawa_wakatani",
        include_str!("../../shaders/spectral/hasegawa_wakatani.wgsl"),
    ),
    (
        "particles/bindings",
        include_str!("../../shaders/particles/bindings.wgsl"),
    ),
    (
        "particles/cell_list",
        include_str!("../../shaders/particles/cell_list.wgsl"),
    ),
    (
        "particles/neighbor_list",
        include_str!("../../shaders/particles/neighbor_list.wgsl"),
    ),
    (
        "particles/lj_forces",
        include_str!("../../shaders/particles/lj_forces.wgsl"),
    ),
    (
        "particles/integrate",
        include_str!("../../shaders/particles/integrate.wgsl"),
    ),
    ("colormap", include_str!("../../shaders/colormap.wgsl")),
    (
        "denoiser_reverse_step",
        include_str!("../../shaders/denoiser_reverse_step.wgsl"),
    ),
    (
        "langevin_step",
        include_str!("../../shaders/langevin_step.wgsl"),
    ),
    (
        "langevin_fused",
        include_str!("../../shaders/langevin_fused.wgsl"),
    ),
    ("mala_terms", include_str!("../../shaders/mala_terms.wgsl")),
    (
        "mala_accept",
        include_str!("../../shaders/mala_accept.wgsl"),
    ),
    (
        "chain_block_sums",
        include_str!("../../shaders/chain_block_sums.wgsl"),
    ),
    (
        "mala_select",
        include_str!("../../shaders/mala_select.wgsl"),
    ),
    (
        "metropolis_sweep",
        include_str!("../../shaders/metropolis_sweep.wgsl"),
    ),
    (
        "chain_observable_blocks",
        include_str!("../../shaders/chain_observable_blocks.wgsl"),
    ),
    (
        "chain_observables",
        include_str!("../../shaders/chain_observables.wgsl"),
    ),
    (
        "chain_histogram",
        include_str!("../../shaders/chain_histogram.wgsl"),
    ),
    (
        "hmc_momentum",
        include_str!("../../shaders/hmc_momentum.wgsl"),
    ),
    (
        "hmc_leapfrog",
        include_str!("../../shaders/hmc_leapfrog.wgsl"),
    ),
    (
        "boltzmann_weight",
        include_str!("../../shaders/boltzmann_weight.wgsl"),
    ),
    (
        "replica_swap",
        include_str!("../../shaders/replica_swap.wgsl"),
    ),
    (
        "potts_sweep",
        include_str!("../../shaders/potts_sweep.wgsl"),
    ),
    (
        "resample_chains",
        include_str!("../../shaders/resample_chains.wgsl"),
    ),
    (
        "multispin_pack",
        include_str!("../../shaders/multispin_pack.wgsl"),
    ),
    (
        "multispin_sweep",
        include_str!("../../shaders/multispin_sweep.wgsl"),
    ),
    (
        "multispin_unpack",
        include_str!("../../shaders/multispin_unpack.wgsl"),
    ),
];

/// The source of a shipped module, by import name.
pub fn module_source(name: &str) -> Option<&'static str> {
    MODULES.iter().find(|(n, _)| *n == name).map(|(_, s)| *s)
}

/// Where a shader error points and what naga said.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShaderDiagnostic {
    /// The module the error is in (`energies/custom`, `langevin_step`, …).
    pub module: String,
    /// Its line in that module, 1-based (0 where naga gave no location).
    pub line: usize,
    /// Its column, 1-based (0 where naga gave no location).
    pub column: usize,
    /// naga's message in one line.
    pub message: String,
    /// naga's full report with the source excerpt.
    pub rendered: String,
}

impl ShaderDiagnostic {
    /// `module.wgsl:line:column`, where naga gave a location.
    pub fn location(&self) -> Option<String> {
        (self.line > 0).then(|| format!("{}.wgsl:{}:{}", self.module, self.line, self.column))
    }
}

impl std::fmt::Display for ShaderDiagnostic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let Some(at) = self.location() {
            write!(f, "{at}: ")?;
        }
        f.write_str(&self.message)
    }
}

/// A kernel with its imports resolved into one WGSL source.
#[derive(Clone, Debug)]
pub struct ComposedShader {
    /// `kernel+energy`, used in labels and messages.
    pub name: String,
    /// The composed WGSL.
    pub source: String,
    /// For each line of `source`: the module it came from and its line there (1-based).
    origins: Vec<(String, usize)>,
}

impl ComposedShader {
    /// Parses and validates the composed module with naga.
    pub fn validate(&self) -> Result<naga::Module> {
        self.check().map_err(|d| {
            let at = d.location().map(|l| format!("at {l} ")).unwrap_or_default();
            self.error(format!("{at}{}", d.rendered))
        })
    }

    /// Parses and validates with naga, answering a failure with where it points (the module
    /// and its own line and column) and naga's message: what an editor shows inline.
    pub fn check(&self) -> std::result::Result<naga::Module, ShaderDiagnostic> {
        let module = naga::front::wgsl::parse_str(&self.source).map_err(|e| {
            self.diagnostic(
                e.location(&self.source),
                e.message().to_string(),
                e.emit_to_string_with_path(&self.source, &self.name),
            )
        })?;
        naga::valid::Validator::new(
            naga::valid::ValidationFlags::all(),
            naga::valid::Capabilities::default(),
        )
        .validate(&module)
        .map_err(|e| {
            let mut message = e.as_inner().to_string();
            let mut cause = std::error::Error::source(e.as_inner());
            while let Some(c) = cause {
                message.push_str(": ");
                message.push_str(&c.to_string());
                cause = c.source();
            }
            self.diagnostic(
                e.location(&self.source),
                message,
                e.emit_to_string_with_path(&self.source, &self.name),
            )
        })?;
        Ok(module)
    }

    fn diagnostic(
        &self,
        at: Option<naga::SourceLocation>,
        message: String,
        rendered: String,
    ) -> ShaderDiagnostic {
        let (module, line) = at
            .and_then(|l| self.origins.get((l.line_number as usize).wrapping_sub(1)))
            .cloned()
            .unwrap_or_else(|| (self.name.clone(), 0));
        ShaderDiagnostic {
            module,
            line,
            column: at.map_or(0, |l| l.line_position as usize),
            message,
            rendered,
        }
    }

    fn error(&self, message: String) -> IdfError {
        IdfError::Shader {
            name: self.name.clone(),
            message,
        }
    }
}

/// Composes a shipped module that imports no energy (the colormap kernel).
pub fn compose_standalone(kernel: &str) -> Result<ComposedShader> {
    compose_with(
        kernel,
        (
            "none",
            "// no energy: a kernel that imports it fails to validate\n",
        ),
    )
}

/// Composes a shipped kernel with an energy module (kernels that use no energy ignore it).
pub fn compose(kernel: Kernel, energy: &EnergyModule) -> Result<ComposedShader> {
    compose_with(kernel.name(), (energy.name, &energy.source))
}

/// Composes the shipped kernel `kernel` with an energy module given by name and source, which
/// may be a user's own (it must define the functions documented in `shaders/energies/phi4.wgsl`).
pub fn compose_with(kernel: &str, energy: (&str, &str)) -> Result<ComposedShader> {
    let main = module_source(kernel).ok_or_else(|| IdfError::Shader {
        name: kernel.to_string(),
        message: format!("no kernel named `{kernel}` in shaders/"),
    })?;
    let mut shader = ComposedShader {
        name: format!("{kernel}+{}", energy.0),
        source: String::new(),
        origins: Vec::new(),
    };
    let mut seen = HashSet::new();
    append_module(&mut shader, &mut seen, kernel, main, energy)?;
    Ok(shader)
}

fn append_module(
    shader: &mut ComposedShader,
    seen: &mut HashSet<String>,
    name: &str,
    source: &str,
    energy: (&str, &str),
) -> Result<()> {
    if !seen.insert(name.to_string()) {
        return Ok(());
    }
    for (number, line) in source.lines().enumerate() {
        if let Some(import) = line.trim().strip_prefix("#import ") {
            let import = import.trim();
            let (import_name, import_source) = if import == "energy" {
                energy
            } else {
                let s = module_source(import).ok_or_else(|| IdfError::Shader {
                    name: name.to_string(),
                    message: format!("at {name}.wgsl:{}: unknown import `{import}`", number + 1),
                })?;
                (import, s)
            };
            append_module(shader, seen, import_name, import_source, energy)?;
        } else {
            shader.source.push_str(line);
            shader.source.push('\n');
            shader.origins.push((name.to_string(), number + 1));
        }
    }
    Ok(())
}
