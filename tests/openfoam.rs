//! Heat flow against OpenFOAM's `laplacianFoam` on the same periodic 2-D grid, like with like.
//! IDF's heat flow (φ⁴ with a = b = h = 0 under Langevin at T = 0) is the explicit FTCS scheme;
//! `laplacianFoam` with the `Euler` scheme is implicit Euler; on a uniform periodic grid both
//! discretise the Laplacian with the same 5-point stencil (finite volumes with `Gauss linear
//! corrected` on an orthogonal mesh). Each Fourier mode of the 5-point Laplacian, eigenvalue
//! λ_k = (4/h²)(sin²(π m_x/N) + sin²(π m_y/N)), therefore decays by a known factor per step:
//! (1 − κηλ_k) for IDF, (1 + κΔtλ_k)⁻¹ for OpenFOAM, e^{−κλ_k t} for the semi-discrete (exact
//! in time) solution. The test checks each code against its own scheme's prediction (to f32
//! rounding for IDF, to the linear solver's tolerance and the written precision for OpenFOAM),
//! and both against the semi-discrete solution within their schemes' computed time errors.
//! OpenFOAM comes from Debian's `openfoam` package (`make test-tools` installs it); without it
//! the test fails in CI and says so elsewhere.

use std::path::{Path, PathBuf};
use std::process::Command;

use idf::{Context, EnergyModel, Field, Shape, Simulation, StepRule};
use rustfft::num_complex::Complex64;

const N: usize = 32;
const KAPPA: f64 = 1.0;
const T_END: f64 = 2.0;
const FOAM_DT: f64 = 0.01;

fn initial() -> Vec<f32> {
    (0..N * N)
        .map(|i| {
            let r = idf::cpu::shared::rng::rng_draw(i as u32, 0, 0, 17, 40);
            idf::cpu::shared::rng::gaussian(r)
        })
        .collect()
}

/// The field after each mode of `x` is multiplied by `factor(λ_k)`.
fn evolve(x: &[f32], factor: impl Fn(f64) -> f64) -> Vec<f64> {
    let mut v: Vec<Complex64> = x.iter().map(|a| Complex64::new(*a as f64, 0.0)).collect();
    crate::common::fft2(&mut v, N, N, false);
    for my in 0..N {
        for mx in 0..N {
            let s = |m: usize| (std::f64::consts::PI * m as f64 / N as f64).sin().powi(2);
            v[my * N + mx] *= factor(4.0 * (s(mx) + s(my)));
        }
    }
    crate::common::fft2(&mut v, N, N, true);
    v.iter().map(|c| c.re / (N * N) as f64).collect()
}

fn rel(a: &[f64], b: &[f64]) -> f64 {
    let num: f64 = a.iter().zip(b).map(|(x, y)| (x - y).powi(2)).sum();
    let den: f64 = b.iter().map(|y| y * y).sum();
    (num / den).sqrt()
}

/// Writes the case (mesh, initial field, schemes) into `dir`.
fn write_case(dir: &Path, t0: &[f32]) {
    let header = |class: &str, object: &str| {
        format!("FoamFile\n{{\n    version 2.0;\n    format ascii;\n    class {class};\n    object {object};\n}}\n")
    };
    let l = N as f64;
    let files = [
        ("system/controlDict", format!(
            "{}application laplacianFoam;\nstartFrom startTime;\nstartTime 0;\nstopAt endTime;\nendTime {T_END};\n\
             deltaT {FOAM_DT};\nwriteControl runTime;\nwriteInterval {T_END};\npurgeWrite 0;\nwriteFormat ascii;\n\
             writePrecision 15;\nwriteCompression off;\ntimeFormat general;\ntimePrecision 8;\nrunTimeModifiable false;\n",
            header("dictionary", "controlDict"))),
        ("system/fvSchemes", format!(
            "{}ddtSchemes {{ default Euler; }}\ngradSchemes {{ default Gauss linear; }}\ndivSchemes {{ default none; }}\n\
             laplacianSchemes {{ default Gauss linear corrected; }}\ninterpolationSchemes {{ default linear; }}\n\
             snGradSchemes {{ default corrected; }}\n", header("dictionary", "fvSchemes"))),
        ("system/fvSolution", format!(
            "{}solvers {{ T {{ solver PCG; preconditioner DIC; tolerance 1e-14; relTol 0; }} }}\n\
             SIMPLE {{ nNonOrthogonalCorrectors 0; }}\n", header("dictionary", "fvSolution"))),
        ("system/blockMeshDict", format!(
            "{}convertToMeters 1;\nvertices ( (0 0 0) ({l} 0 0) ({l} {l} 0) (0 {l} 0) (0 0 1) ({l} 0 1) ({l} {l} 1) (0 {l} 1) );\n\
             blocks ( hex (0 1 2 3 4 5 6 7) ({N} {N} 1) simpleGrading (1 1 1) );\nedges ();\n\
             boundary (\n left {{ type cyclic; neighbourPatch right; faces ((0 4 7 3)); }}\n\
             right {{ type cyclic; neighbourPatch left; faces ((1 2 6 5)); }}\n\
             bottom {{ type cyclic; neighbourPatch top; faces ((0 1 5 4)); }}\n\
             top {{ type cyclic; neighbourPatch bottom; faces ((3 7 6 2)); }}\n\
             frontAndBack {{ type empty; faces ((0 3 2 1) (4 5 6 7)); }}\n);\nmergePatchPairs ();\n",
            header("dictionary", "blockMeshDict"))),
        ("constant/transportProperties", format!("{}DT DT [0 2 -1 0 0 0 0] {KAPPA};\n", header("dictionary", "transportProperties"))),
        ("0/T", format!(
            "{}dimensions [0 0 0 1 0 0 0];\ninternalField nonuniform List<scalar> {} (\n{}\n);\nboundaryField\n{{\n\
             left {{ type cyclic; }}\n right {{ type cyclic; }}\n bottom {{ type cyclic; }}\n top {{ type cyclic; }}\n\
             frontAndBack {{ type empty; }}\n}}\n",
            header("volScalarField", "T"), t0.len(),
            // 17 significant digits: the f32 values themselves, as IDF starts from them.
            t0.iter().map(|v| format!("{:.16e}", *v as f64)).collect::<Vec<_>>().join("\n"))),
    ];
    for (name, text) in files {
        let path = dir.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
}

/// The values of `internalField nonuniform List<scalar> n ( … )` in an OpenFOAM field file.
fn read_field(path: &Path) -> Vec<f64> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let start = text.find("internalField").expect("internalField");
    let open = start + text[start..].find('(').expect("(");
    let close = open + text[open..].find(')').expect(")");
    text[open + 1..close]
        .split_whitespace()
        .map(|v| v.parse().unwrap())
        .collect()
}

fn openfoam() -> Option<PathBuf> {
    let path = PathBuf::from("/usr/bin/laplacianFoam");
    if path.exists() {
        return Some(path);
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "CI=true but OpenFOAM's laplacianFoam is missing: `make test-tools` installs Debian's openfoam"
    );
    eprintln!("laplacianFoam missing: the OpenFOAM comparison did not run");
    None
}

#[test]
fn heat_flow_matches_openfoam_laplacian_foam() {
    let Some(_) = openfoam() else { return };
    let t0 = initial();
    // IDF: FTCS with r = κη = 0.2, the heat-flow dataset's step.
    let steps = (T_END * KAPPA / 0.2).round() as u64;
    let eta = (T_END / steps as f64) as f32;
    let model = EnergyModel::from_params(
        "phi4",
        &[("kappa", "1"), ("a", "0"), ("b", "0"), ("h", "0")]
            .map(|(k, v)| (k.to_string(), v.to_string())),
    )
    .unwrap();
    let field = Field::from_vec(Shape::new(1, 1, N, N).unwrap(), t0.clone()).unwrap();
    let mut sim = Simulation::new(&Context::cpu(), &model, &field, 0).unwrap();
    let rule = StepRule::langevin(eta, 0.0);
    sim.advance(steps, &|_| rule, &|_| false, &mut |_, _| {})
        .unwrap();
    let idf: Vec<f64> = sim
        .field()
        .unwrap()
        .data()
        .iter()
        .map(|v| *v as f64)
        .collect();

    // OpenFOAM.
    let dir = std::env::temp_dir().join(format!("idf-openfoam-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    write_case(&dir, &t0);
    for tool in ["blockMesh", "laplacianFoam"] {
        let out = Command::new(tool)
            .args(["-case", dir.to_str().unwrap()])
            .env("WM_PROJECT_DIR", "/usr/share/openfoam")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{tool}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let foam = read_field(&dir.join(format!("{T_END}")).join("T"));
    assert_eq!(foam.len(), N * N);

    let foam_steps = (T_END / FOAM_DT).round() as i32;
    let ftcs = evolve(&t0, |l| (1.0 - KAPPA * eta as f64 * l).powi(steps as i32));
    let implicit = evolve(&t0, |l| (1.0 + KAPPA * FOAM_DT * l).powi(-foam_steps));
    let exact = evolve(&t0, |l| (-KAPPA * l * T_END).exp());
    let idf_vs_scheme = rel(&idf, &ftcs);
    let foam_vs_scheme = rel(&foam, &implicit);
    // f32 rounding: a few ε per step of a 5-point update, accumulated over the steps.
    let idf_tol = 8.0 * f32::EPSILON as f64 * steps as f64;
    // The linear solver stops at a residual of 1e-14 per step; the system I + κΔt·L has a
    // condition number of at most 1 + 8κΔt/h², so each step's solution is that close, and the
    // errors add over the steps; the result is written with 15 digits. Four times that.
    let foam_tol = 4.0 * (foam_steps as f64 * 1e-14 * (1.0 + 8.0 * KAPPA * FOAM_DT) + 1e-15);
    assert!(
        idf_vs_scheme <= idf_tol,
        "IDF vs FTCS: {idf_vs_scheme:e} > {idf_tol:e}"
    );
    assert!(
        foam_vs_scheme <= foam_tol,
        "OpenFOAM vs implicit Euler: {foam_vs_scheme:e} > {foam_tol:e}"
    );
    // Against the semi-discrete solution, each within its scheme's time error.
    let (idf_err, foam_err) = (rel(&idf, &exact), rel(&foam, &exact));
    let (ftcs_err, implicit_err) = (rel(&ftcs, &exact), rel(&implicit, &exact));
    assert!(
        (idf_err - ftcs_err).abs() <= idf_tol,
        "IDF {idf_err:e} vs its scheme's {ftcs_err:e}"
    );
    assert!(
        (foam_err - implicit_err).abs() <= foam_tol,
        "OpenFOAM {foam_err:e} vs {implicit_err:e}"
    );
    let between = rel(&idf, &foam);
    assert!(
        between <= ftcs_err + implicit_err + idf_tol + foam_tol,
        "IDF vs OpenFOAM {between:e}"
    );
    eprintln!(
        "heat flow {N}² to t = {T_END}: IDF (FTCS, {steps} steps) vs semi-discrete {idf_err:.3e} (scheme predicts {ftcs_err:.3e}); \
         OpenFOAM (implicit Euler, {foam_steps} steps) vs semi-discrete {foam_err:.3e} (scheme predicts {implicit_err:.3e}); \
         IDF vs OpenFOAM {between:.3e}; each vs its own scheme: IDF {idf_vs_scheme:.1e}, OpenFOAM {foam_vs_scheme:.1e}"
    );
}
