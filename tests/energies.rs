//! The energy registry: what every front end reads about the energies. Each registered energy
//! is named once, its documented defaults are the ones applied, and the CLI's help, the
//! unknown-model error and a scene's validation list every energy built by name.

use crate::common::idf;
use idf::{EnergyModel, REGISTRY};

#[test]
fn names_are_unique_and_every_parameter_is_documented() {
    let mut names: Vec<&str> = REGISTRY.iter().map(|s| s.name).collect();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), REGISTRY.len());
    for spec in REGISTRY {
        assert!(!spec.summary.is_empty(), "{}", spec.name);
        assert!(!spec.methods.is_empty(), "{}", spec.name);
        for p in spec.params {
            assert!(
                !p.doc.is_empty() && !p.default.is_empty(),
                "{}.{}",
                spec.name,
                p.name
            );
        }
        // The example is a model of this energy.
        assert_eq!((spec.example)().model.spec().name, spec.name);
    }
}

/// The defaults the registry documents (CLI help, `GET /energies`) are the ones applied.
#[test]
fn documented_defaults_are_the_applied_defaults() {
    for spec in EnergyModel::named() {
        let default = (spec.new.unwrap())();
        let mut documented = default.clone();
        for p in spec.params {
            documented.set_param(p.name, p.default).unwrap();
        }
        assert_eq!(documented, default, "{}", spec.name);
        assert_eq!(EnergyModel::from_params(spec.name, &[]).unwrap(), default);
    }
}

#[test]
fn front_ends_list_every_energy_built_by_name() {
    let help = String::from_utf8(idf(&["sample", "--help"]).stdout).unwrap();
    let err = EnergyModel::from_params("potts", &[])
        .unwrap_err()
        .to_string();
    let scene = idf::Scene::parse("model: potts\n", std::path::Path::new("s.yaml"))
        .unwrap_err()
        .to_string();
    for spec in EnergyModel::named() {
        assert!(help.contains(spec.name), "--model help lacks {}", spec.name);
        assert!(
            err.contains(spec.name),
            "the error lacks {}: {err}",
            spec.name
        );
        assert!(
            scene.contains(spec.name),
            "the scene error lacks {}",
            spec.name
        );
    }
}

#[test]
fn parameters_of_the_wrong_name_or_value_are_named() {
    let err = EnergyModel::from_params("ising", &[("kappa".into(), "1".into())]).unwrap_err();
    assert!(
        err.to_string().contains("`kappa`") && err.to_string().contains("J, h"),
        "{err}"
    );
    let err = EnergyModel::from_params("phi4", &[("b".into(), "inf".into())]).unwrap_err();
    assert!(err.to_string().contains("`b`"), "{err}");
}

/// Energies unbounded below are refused, naming the parameter, wherever a model is built or
/// run (issue 20.6); the bounded edge cases (heat flow, a Gaussian) are accepted.
#[test]
fn energies_unbounded_below_are_refused() {
    let phi4 = |params: &[(&str, &str)]| {
        let params: Vec<(String, String)> = params
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        EnergyModel::from_params("phi4", &params)
    };
    for (params, named) in [
        (&[("b", "-1")][..], "`b`"),
        (&[("b", "0"), ("a", "-0.5")][..], "`a`"),
        (&[("b", "0"), ("a", "1"), ("kappa", "-1")][..], "`kappa`"),
        (&[("b", "0"), ("a", "0"), ("h", "0.2")][..], "`h`"),
    ] {
        let err = phi4(params).unwrap_err().to_string();
        assert!(
            err.contains(named) && err.contains("unbounded below"),
            "{params:?}: {err}"
        );
    }
    phi4(&[("b", "0"), ("a", "0"), ("h", "0")]).expect("heat flow is bounded");
    phi4(&[("b", "0"), ("a", "1"), ("kappa", "0.5")]).expect("a Gaussian is bounded");
    // A model built directly is checked when it runs.
    let direct = EnergyModel::Phi4(idf::Phi4 {
        b: -0.5,
        ..idf::Phi4::default()
    });
    let field = idf::Field::zeros(direct.shape(1, Some([4, 4])).unwrap()).unwrap();
    let err = idf::Simulation::new(&idf::Context::cpu(), &direct, &field, 0)
        .err()
        .unwrap();
    assert!(err.to_string().contains("`b`"), "{err}");
}

/// A name from input is not echoed in full: a 1 MB model name gets a short error.
#[test]
fn long_names_are_cut_in_errors() {
    let long = "x".repeat(1 << 20);
    let err = EnergyModel::from_params(&long, &[])
        .unwrap_err()
        .to_string();
    assert!(err.len() < 400, "{} bytes", err.len());
    let err = EnergyModel::from_params("phi4", &[(long, "1".into())])
        .unwrap_err()
        .to_string();
    assert!(err.len() < 400, "{} bytes", err.len());
}
