//! Every composed shader parses and validates with naga, for every registered energy; a broken
//! one reports line and column.

use idf::gpu::shader::{compose, compose_with};
use idf::kernels::Kernel;
use idf::REGISTRY;

#[test]
fn every_kernel_validates_with_every_registered_energy() {
    let mut checked = 0;
    let mut expected = 0;
    for spec in REGISTRY {
        let module = (spec.example)().model.module();
        // Six kernels take any energy; Metropolis needs local moves, the fused step a stencil,
        // the Potts sweep categorical moves.
        expected += 6
            + module.local_moves as usize
            + module.stencil_gradient as usize
            + module.potts_moves as usize;
        for kernel in Kernel::ALL.into_iter().filter(|k| k.uses_energy()) {
            if (kernel.needs_local_moves() && !module.local_moves)
                || (kernel.needs_stencil() && !module.stencil_gradient)
                || (kernel.needs_potts_moves() && !module.potts_moves)
            {
                continue;
            }
            let shader = compose(kernel, &module).unwrap();
            shader
                .validate()
                .unwrap_or_else(|e| panic!("{} ({}): {e}", shader.name, spec.name));
            assert!(
                !shader.source.contains("#import"),
                "{}: unresolved import",
                shader.name
            );
            checked += 1;
        }
    }
    assert_eq!(checked, expected);
    assert_eq!(Kernel::ALL.iter().filter(|k| k.uses_energy()).count(), 9);
}

#[test]
fn every_kernel_without_an_energy_validates() {
    let any = idf::EnergyModel::default().module();
    let free: Vec<Kernel> = Kernel::ALL
        .into_iter()
        .filter(|k| !k.uses_energy())
        .collect();
    assert_eq!(free.len(), 10);
    for kernel in free {
        let shader = compose(kernel, &any).unwrap();
        shader
            .validate()
            .unwrap_or_else(|e| panic!("{}: {e}", shader.name));
    }
}

#[test]
fn colormap_kernel_validates() {
    idf::gpu::shader::compose_standalone("colormap")
        .unwrap()
        .validate()
        .unwrap();
}

#[test]
fn broken_energy_reports_line_and_column_in_its_own_file() {
    let broken = "#import shared/lattice\nfn energy_gradient(i: u32) -> f32 {\n    return src[i] * ;\n}\nfn site_energy(i: u32) -> f32 { return 0.0; }\n";
    let err = compose_with("langevin_step", ("my_energy", broken))
        .unwrap()
        .validate()
        .unwrap_err()
        .to_string();
    assert!(err.contains("my_energy.wgsl:3:"), "{err}");
}

#[test]
fn missing_energy_function_is_a_validation_error() {
    let incomplete = "#import shared/lattice\nfn site_energy(i: u32) -> f32 { return 0.0; }\n";
    let err = compose_with("langevin_step", ("partial", incomplete))
        .unwrap()
        .validate()
        .unwrap_err()
        .to_string();
    assert!(err.contains("energy_gradient"), "{err}");
}
