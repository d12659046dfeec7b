//! Fields and traces round-trip through HDF5 (and .npy); a fresh run matches the physics baseline
//! in assets/, and a tampered baseline is caught.

use std::path::{Path, PathBuf};

use hdf5_metno as hdf5;
use idf::io::hdf5::{read_trace, write_trace, write_with};
use idf::jobs::baseline::{check_baseline, write_traces, Scenario};
use idf::{Context, EnergyModel, Field, RunConfig, RunTrace, Simulation};

const BASELINE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/assets/baselines/physics.h5");

fn temp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("idf-h5-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

#[test]
fn fields_round_trip_through_h5_and_npy() {
    let model = EnergyModel::from_params("phi4", &[]).unwrap();
    let field = Field::random_normal(model.shape(3, Some([5, 7])).unwrap(), 1, 1.0).unwrap();
    for name in ["f.h5", "f.hdf5", "f.npy"] {
        let path = temp(name);
        idf::io::write_field(&path, &field).unwrap();
        assert_eq!(idf::io::read_field(&path).unwrap(), field, "{name}");
        assert!(!path
            .with_file_name(format!(".{name}.{}.tmp", std::process::id()))
            .exists());
    }
    assert!(
        idf::io::write_field(&temp("f.txt"), &field).is_err(),
        "unknown extension"
    );
}

#[test]
fn traces_round_trip_through_h5() {
    let model = EnergyModel::from_params("ising", &[]).unwrap();
    let shape = model.shape(2, Some([8, 8])).unwrap();
    let mut sim = Simulation::new(
        &Context::cpu(),
        &model,
        &Field::random_spins(shape, 3).unwrap(),
        3,
    )
    .unwrap();
    let cfg = RunConfig {
        method: idf::Method::Metropolis,
        step_size: 1.0,
        steps: 20,
        record_every: 5,
        ..RunConfig::default()
    };
    let trace = sim.run(&cfg, &mut |_, _| {}).unwrap();
    let path = temp("trace.h5");
    write_trace(&path, &trace).unwrap();
    let back = read_trace(&path).unwrap();
    assert_eq!(back.records, trace.records);
    assert_eq!(back.raw_values().len(), trace.raw_values().len());
    assert!(back
        .raw_values()
        .iter()
        .zip(trace.raw_values())
        .all(|(a, b)| a.to_bits() == b.to_bits()));
    assert_eq!(
        (back.chains, back.sites_per_chain),
        (trace.chains, trace.sites_per_chain)
    );
}

#[test]
fn missing_or_foreign_files_are_clear_errors() {
    let err = idf::io::read_field(Path::new("/nonexistent/field.h5"))
        .unwrap_err()
        .to_string();
    assert!(err.contains("/nonexistent/field.h5"), "{err}");
    let path = temp("not_a_trace.h5");
    write_with(&path, |f| f.create_group("x").map(|_| ())).unwrap();
    assert!(read_trace(&path).is_err());
}

on_both! {
    fn fresh_run_matches_the_physics_baseline(ctx: &Context) {
        let regressions = check_baseline(ctx, Path::new(BASELINE)).unwrap();
        assert!(regressions.is_empty(), "{regressions:#?}");
    }
}

#[test]
fn a_tampered_baseline_is_caught() {
    let ctx = Context::cpu();
    let traces: Vec<(Scenario, RunTrace)> = Scenario::ALL
        .iter()
        .map(|s| (*s, s.run(&ctx).unwrap()))
        .collect();
    // Unchanged, the written baseline passes.
    let clean = temp("clean.h5");
    write_traces(&clean, &traces).unwrap();
    assert!(check_baseline(&ctx, &clean).unwrap().is_empty());
    // A 0.1 % mass change in heat flow's record 0, written as if it were the physics.
    let path = temp("tampered.h5");
    let tampered: Vec<(Scenario, RunTrace)> = traces
        .iter()
        .map(|(s, t)| {
            let mut values = t.raw_values().to_vec();
            if *s == Scenario::HeatFlow {
                values[idf::kernels::OBS_SUM] *= 1.001;
            }
            let t = RunTrace::from_parts(t.chains, t.sites_per_chain, t.records.clone(), values);
            (*s, t.unwrap())
        })
        .collect();
    write_traces(&path, &tampered).unwrap();
    let regressions = check_baseline(&ctx, &path).unwrap();
    assert!(
        regressions
            .iter()
            .any(|r| r.scenario == "heat_flow" && r.record == Some(0)),
        "{regressions:#?}"
    );
    // One stored value of the stochastic scenario set to 1e9 after writing, as the outside tester
    // did with h5py (issue 20.5): the stored trace no longer has its recorded means.
    let edited = temp("edited.h5");
    std::fs::copy(&clean, &edited).unwrap();
    {
        let file = hdf5::File::open_rw(&edited).unwrap();
        let values = file.dataset("ising_t2/values").unwrap();
        let mut data = values.read_dyn::<f32>().unwrap();
        data[[50, 0, 0]] = 1e9;
        values.write(&data).unwrap();
    }
    let regressions = check_baseline(&ctx, &edited).unwrap();
    assert!(
        regressions
            .iter()
            .any(|r| r.scenario == "ising_t2" && r.observable.contains("recorded mean")),
        "{regressions:#?}"
    );
    // Every other stored number is guarded too (the tampers a re-test found passing): the
    // slots no estimate reads, the steps and temperatures, the attributes, and an infinite
    // recorded error, which made every tolerance infinite.
    type Edit = fn(&hdf5::File);
    let edits: [(&str, Edit); 6] = [
        ("entropy slot", |f| {
            let values = f.dataset("ising_t2/values").unwrap();
            let mut data = values.read_dyn::<f32>().unwrap();
            data[[10, 0, 7]] = 1e9;
            values.write(&data).unwrap();
        }),
        ("temperature", |f| {
            let d = f.dataset("ising_t2/temperature").unwrap();
            let mut t = d.read_raw::<f32>().unwrap();
            t[10] = 9.0;
            d.write_raw(&t).unwrap();
        }),
        ("step", |f| {
            let d = f.dataset("ising_t2/step").unwrap();
            let mut t = d.read_raw::<u64>().unwrap();
            t[10] = 12345;
            d.write_raw(&t).unwrap();
        }),
        ("sites_per_chain", |f| {
            f.group("ising_t2")
                .unwrap()
                .attr("sites_per_chain")
                .unwrap()
                .write_scalar(&7u64)
                .unwrap();
        }),
        ("infinite stderr and a shift", |f| {
            let se = f.dataset("ising_t2/estimate_stderr").unwrap();
            let mut e = se.read_raw::<f64>().unwrap();
            e[0] = f64::INFINITY;
            se.write_raw(&e).unwrap();
            let values = f.dataset("ising_t2/values").unwrap();
            let mut data = values.read_dyn::<f32>().unwrap();
            data.index_axis_mut(ndarray::Axis(2), 0)
                .mapv_inplace(|v| v - 128.0);
            values.write(&data).unwrap();
        }),
        ("slot names", |f| {
            let names: hdf5::types::VarLenUnicode =
                "sum,energy,centred_second_moment,accepted_u32,min,max,sum_x_ln_x,histogram_entropy,log_alpha,nonpositive_u32,temperature"
                    .parse()
                    .unwrap();
            f.dataset("ising_t2/values")
                .unwrap()
                .attr("observables")
                .unwrap()
                .write_scalar(&names)
                .unwrap();
        }),
    ];
    for (what, edit) in edits {
        let path = temp(&format!("edit-{}.h5", what.replace(' ', "-")));
        std::fs::copy(&clean, &path).unwrap();
        edit(&hdf5::File::open_rw(&path).unwrap());
        match check_baseline(&ctx, &path) {
            Ok(regressions) => assert!(!regressions.is_empty(), "{what} passed"),
            Err(e) => assert!(
                e.to_string().contains(&path.display().to_string()),
                "{what}: {e}"
            ),
        }
    }
}
