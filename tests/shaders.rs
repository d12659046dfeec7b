//! Every composed shader parses and validates with naga; a broken one reports line and column.

use idf::gpu::shader::{compose, compose_with};
use idf::kernels::Kernel;
use idf::EnergyKind;

#[test]
fn every_composed_kernel_validates() {
    let mut checked = 0;
    for kernel in Kernel::ALL {
        let energies: &[EnergyKind] = if kernel.uses_energy() {
            &EnergyKind::ALL
        } else {
            &[EnergyKind::Phi4]
        };
        for &energy in energies {
            if (kernel.needs_local_moves() && !energy.is_local())
                || (kernel.needs_stencil() && !energy.has_stencil_gradient())
            {
                continue;
            }
            let shader = compose(kernel, energy).unwrap();
            shader
                .validate()
                .unwrap_or_else(|e| panic!("{}: {e}", shader.name));
            assert!(
                !shader.source.contains("#import"),
                "{}: unresolved import",
                shader.name
            );
            checked += 1;
        }
    }
    // Seven kernels take an energy (five each; Metropolis needs local moves, which gmm and
    // Swift-Hohenberg lack, and the fused step a 5-point stencil, which only phi4 and Ising have);
    // the rest take none.
    let energy_free = Kernel::ALL.iter().filter(|k| !k.uses_energy()).count();
    assert_eq!(energy_free, 6);
    assert_eq!(checked, 7 * 5 - 2 - 3 + energy_free);
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
