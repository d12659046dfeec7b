//! Energy Atlas datasets: synthetic generation (sharded equals unsharded), the loader's
//! streaming and shuffling, the `.npy` directory form, and every kind of bad file refused with
//! an error naming the file and the dataset.

use std::path::{Path, PathBuf};

use hdf5_metno as hdf5;
use idf::io::atlas::{Atlas, Minibatches};
use idf::jobs::dataset::{merge, synth, GridAxis, Shard, SynthSpec};
use idf::{Config, Context};

use crate::common::idf;

fn dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("idf-datasets-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn spec(shard: Shard) -> SynthSpec {
    SynthSpec {
        model: "ising".into(),
        params: vec![("h".into(), "0.1".into())],
        temperature: 2.0,
        grid: vec![
            "temperature=1.5:3.5:3".parse().unwrap(),
            "J=0.8,1.0".parse().unwrap(),
        ],
        size: [8, 6],
        samples: 5,
        chains: 2,
        burn_in: 20,
        pilot: 60,
        seed: 7,
        shard,
    }
}

fn make(ctx: &Context, spec: &SynthSpec, out: &Path) {
    synth(ctx, &Config::default(), spec, out, &mut |_, _| {}).unwrap();
}

#[test]
fn sharded_generation_equals_unsharded_record_for_record() {
    let d = dir("shards");
    let ctx = Context::cpu();
    make(&ctx, &spec(Shard::ALL), &d.join("one.h5"));
    let shards: Vec<PathBuf> = (0..3)
        .map(|i| {
            let path = d.join(format!("shard-{i}.h5"));
            make(&ctx, &spec(Shard { index: i, count: 3 }), &path);
            path
        })
        .collect();
    // In any order.
    merge(
        &[shards[2].clone(), shards[0].clone(), shards[1].clone()],
        &d.join("merged.h5"),
    )
    .unwrap();
    let (one, merged) = (
        Atlas::open(&d.join("one.h5")).unwrap(),
        Atlas::open(&d.join("merged.h5")).unwrap(),
    );
    assert_eq!(one.len(), 6 * 5);
    assert_eq!(one.map_shape(), [1, 8, 6]);
    assert_eq!(one.condition_names(), ["temperature", "J", "h"]);
    assert_eq!(merged.len(), one.len());
    assert_eq!(merged.conditions(), one.conditions());
    assert_eq!(merged.grid_index(), one.grid_index());
    assert_eq!(merged.provenance(), one.provenance());
    let all: Vec<usize> = (0..one.len()).collect();
    assert_eq!(
        merged.read_maps(&all).unwrap(),
        one.read_maps(&all).unwrap()
    );
    // The true parameters are stored with each sample: grid point 3 is T = 2.5, J = 1.0.
    let row = 3 * 5;
    assert_eq!(&one.conditions()[row * 3..row * 3 + 3], &[2.5, 1.0, 0.1]);
    // Spins.
    assert!(one.read_maps(&[0]).unwrap().iter().all(|s| s.abs() == 1.0));

    // A shard missing, or given twice, is refused.
    let missing = merge(&shards[..2], &d.join("bad.h5"))
        .unwrap_err()
        .to_string();
    assert!(
        missing.contains("grid point 2") && missing.contains("missing"),
        "{missing}"
    );
    let twice = merge(&[shards[0].clone(), shards[0].clone()], &d.join("bad.h5"))
        .unwrap_err()
        .to_string();
    assert!(twice.contains("also in"), "{twice}");
    // Shards of another run are refused.
    let other = d.join("other.h5");
    make(
        &ctx,
        &SynthSpec {
            seed: 8,
            ..spec(Shard { index: 1, count: 3 })
        },
        &other,
    );
    let mixed = merge(
        &[shards[0].clone(), other, shards[2].clone()],
        &d.join("bad.h5"),
    )
    .unwrap_err()
    .to_string();
    assert!(mixed.contains("another run"), "{mixed}");
    assert!(!d.join("bad.h5").exists());
    std::fs::remove_dir_all(&d).ok();
}

#[test]
fn minibatches_are_seeded_shuffles_that_resume_at_their_cursor() {
    let d = dir("batches");
    let path = d.join("data.h5");
    make(&Context::cpu(), &spec(Shard::ALL), &path);
    let atlas = Atlas::open(&path).unwrap();
    let n = atlas.len();
    let mut stream = Minibatches::new(&atlas, 4, 11).unwrap();
    // Each epoch visits every sample once.
    let mut epoch: Vec<usize> = Vec::new();
    let mut batches = Vec::new();
    while epoch.len() < 2 * n {
        let b = stream.next_batch().unwrap();
        assert_eq!(b.maps.len(), 4 * 48);
        assert_eq!(b.conditions.len(), 4 * 3);
        for (j, &i) in b.indices.iter().enumerate() {
            assert_eq!(
                b.maps[j * 48..(j + 1) * 48],
                atlas.read_maps(&[i]).unwrap()[..]
            );
            assert_eq!(
                b.conditions[j * 3..(j + 1) * 3],
                atlas.conditions()[i * 3..i * 3 + 3]
            );
        }
        epoch.extend(&b.indices);
        batches.push(b);
    }
    for e in 0..2 {
        let mut seen = epoch[e * n..(e + 1) * n].to_vec();
        seen.sort();
        assert_eq!(seen, (0..n).collect::<Vec<_>>(), "epoch {e}");
    }
    assert_ne!(epoch[..n], epoch[n..2 * n], "each epoch its own order");
    assert_ne!(epoch[..n], (0..n).collect::<Vec<_>>()[..], "shuffled");
    // The same seed gives the same stream; a cursor resumes it.
    let mut again = Minibatches::new(&atlas, 4, 11).unwrap();
    assert_eq!(again.next_batch().unwrap(), batches[0]);
    let cursor = again.cursor();
    let mut resumed = Minibatches::new(&atlas, 4, 11).unwrap();
    resumed.seek(cursor).unwrap();
    assert_eq!(resumed.next_batch().unwrap(), batches[1]);
    assert_ne!(
        Minibatches::new(&atlas, 4, 12)
            .unwrap()
            .next_batch()
            .unwrap()
            .indices,
        batches[0].indices
    );
    std::fs::remove_dir_all(&d).ok();
}

#[test]
fn a_directory_of_npy_maps_reads_like_a_file() {
    let d = dir("npy");
    let maps: Vec<Vec<f32>> = (0..3)
        .map(|i| (0..12).map(|j| (i * 12 + j) as f32 * 0.5).collect())
        .collect();
    for (i, m) in maps.iter().enumerate() {
        std::fs::write(
            d.join(format!("map-{i:03}.npy")),
            idf::io::npy::encode_f32(&[3, 4], m),
        )
        .unwrap();
    }
    std::fs::write(
        d.join("conditions.csv"),
        "temperature,load\n1.0,5\n2.0,6\n3.0,7\n",
    )
    .unwrap();
    let atlas = Atlas::open(&d).unwrap();
    assert_eq!((atlas.len(), atlas.map_shape()), (3, [1, 3, 4]));
    assert_eq!(atlas.condition_names(), ["temperature", "load"]);
    assert_eq!(
        atlas.read_maps(&[2, 0]).unwrap(),
        [maps[2].clone(), maps[0].clone()].concat()
    );
    // A row short, and a map of another shape, are refused naming the file.
    std::fs::write(d.join("conditions.csv"), "temperature,load\n1.0,5\n2.0,6\n").unwrap();
    let e = Atlas::open(&d).err().unwrap().to_string();
    assert!(
        e.contains("conditions.csv") && e.contains("2 rows for 3"),
        "{e}"
    );
    std::fs::write(
        d.join("conditions.csv"),
        "temperature,load\n1.0,5\n2.0,6\n3.0,7\n",
    )
    .unwrap();
    std::fs::write(
        d.join("map-001.npy"),
        idf::io::npy::encode_f32(&[4, 3], &maps[1]),
    )
    .unwrap();
    let e = Atlas::open(&d)
        .unwrap()
        .read_maps(&[1])
        .unwrap_err()
        .to_string();
    assert!(e.contains("map-001.npy") && e.contains("shape"), "{e}");
    std::fs::remove_dir_all(&d).ok();
}

/// Writes an HDF5 file with the given `maps` and `conditions` shapes and values.
fn write_raw(
    path: &Path,
    maps: Option<(&[usize], Vec<f32>)>,
    conditions: Option<(&[usize], Vec<f32>)>,
    names: &str,
) {
    let file = hdf5::File::create(path).unwrap();
    if let Some((shape, data)) = maps {
        file.new_dataset::<f32>()
            .shape(shape)
            .create("maps")
            .unwrap()
            .write_raw(&data)
            .unwrap();
    }
    if let Some((shape, data)) = conditions {
        let ds = file
            .new_dataset::<f32>()
            .shape(shape)
            .create("conditions")
            .unwrap();
        ds.write_raw(&data).unwrap();
        let names: hdf5::types::VarLenUnicode = names.parse().unwrap();
        ds.new_attr::<hdf5::types::VarLenUnicode>()
            .create("names")
            .unwrap()
            .write_scalar(&names)
            .unwrap();
    }
}

/// Writes one bad file at the path it is given.
type WriteFile<'a> = dyn Fn(&Path) + 'a;

#[test]
fn bad_datasets_are_clear_errors_naming_file_and_dataset() {
    let d = dir("bad");
    let good_maps = || Some((&[4usize, 1, 2, 2][..], vec![0.5f32; 16]));
    let good_cond = || Some((&[4usize, 1][..], vec![1.0f32; 4]));
    let mut nan_maps = vec![0.5f32; 16];
    nan_maps[2 * 4 + 3] = f32::NAN;
    let mut inf_cond = vec![1.0f32; 4];
    inf_cond[3] = f32::INFINITY;
    let cases: Vec<(&str, Box<WriteFile<'_>>, &str, &[&str])> = vec![
        (
            "missing_maps",
            Box::new(|p| write_raw(p, None, good_cond(), "t")),
            "maps",
            &["missing"],
        ),
        (
            "missing_conditions",
            Box::new(|p| write_raw(p, good_maps(), None, "t")),
            "conditions",
            &["missing"],
        ),
        (
            "rank",
            Box::new(|p| write_raw(p, Some((&[4, 4], vec![0.5; 16])), good_cond(), "t")),
            "maps",
            &["4-D", "[4, 4]"],
        ),
        (
            "count",
            Box::new(|p| write_raw(p, good_maps(), Some((&[3, 1], vec![1.0; 3])), "t")),
            "conditions",
            &["3 rows for 4 maps"],
        ),
        (
            "names",
            Box::new(|p| write_raw(p, good_maps(), good_cond(), "t,u")),
            "conditions",
            &["2 names"],
        ),
        (
            "inf_condition",
            Box::new(move |p| write_raw(p, good_maps(), Some((&[4, 1], inf_cond.clone())), "t")),
            "conditions",
            &["sample 3", "not finite"],
        ),
        (
            "nan_map",
            Box::new(move |p| {
                write_raw(p, Some((&[4, 1, 2, 2], nan_maps.clone())), good_cond(), "t")
            }),
            "maps",
            &["sample 2", "not finite"],
        ),
        (
            "not_hdf5",
            Box::new(|p| std::fs::write(p, b"not an hdf5 file").unwrap()),
            "/",
            &["HDF5"],
        ),
    ];
    for (name, write, dataset, needles) in cases {
        let path = d.join(format!("{name}.h5"));
        write(&path);
        // Through the library, and through `idf dataset info` with a non-zero exit.
        let e = match Atlas::open(&path) {
            Err(e) => e.to_string(),
            Ok(a) => a.verify_maps().unwrap_err().to_string(),
        };
        assert!(e.contains(&path.display().to_string()), "{name}: {e}");
        assert!(e.contains(&format!("dataset `{dataset}`")), "{name}: {e}");
        for needle in needles {
            assert!(e.contains(needle), "{name}: `{needle}` in {e}");
        }
        let out = idf(&["dataset", "info", path.to_str().unwrap()]);
        assert!(!out.status.success(), "{name}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains(&format!("dataset `{dataset}`")),
            "{name}: {stderr}"
        );
    }
    std::fs::remove_dir_all(&d).ok();
}

#[test]
fn a_failed_generation_leaves_no_file() {
    let d = dir("failed");
    let out = d.join("data.h5");
    let bogus = SynthSpec {
        grid: vec!["bogus=1:2:2".parse::<GridAxis>().unwrap()],
        ..spec(Shard::ALL)
    };
    let e = synth(
        &Context::cpu(),
        &Config::default(),
        &bogus,
        &out,
        &mut |_, _| {},
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("bogus") && e.contains("neither temperature nor a parameter"),
        "{e}"
    );
    // Stopped in the middle of its runs.
    let cancel = idf::Cancel::new();
    cancel.cancel();
    let stopped = Context::cpu().with_cancel(cancel);
    assert!(synth(
        &stopped,
        &Config::default(),
        &spec(Shard::ALL),
        &out,
        &mut |_, _| {}
    )
    .is_err());
    assert_eq!(
        std::fs::read_dir(&d).unwrap().count(),
        0,
        "nothing left behind"
    );
    // The flags are checked too.
    for (args, needle) in [
        (vec!["--shard", "3/3"], "shard"),
        (vec!["--conditions", "temperature=1:2"], "conditions"),
        (vec!["--samples", "0"], "samples"),
    ] {
        let mut all = vec![
            "dataset",
            "synth",
            "--model",
            "ising",
            "--size",
            "8",
            "--backend",
            "cpu",
            "--out",
        ];
        let out = out.to_str().unwrap().to_string();
        all.push(&out);
        if !args.contains(&"--samples") {
            all.extend(["--samples", "2"]);
        }
        all.extend(args.iter().copied());
        let run = idf(&all);
        assert!(!run.status.success(), "{args:?}");
        let stderr = String::from_utf8_lossy(&run.stderr);
        assert!(stderr.contains(needle), "{args:?}: {stderr}");
    }
    assert!(!Path::new(&out).exists());
    std::fs::remove_dir_all(&d).ok();
}

/// h5py, a reader we did not write, reads what `idf dataset synth` writes as the format says.
#[test]
fn h5py_reads_the_dataset_as_documented() {
    let Some(python) = crate::common::test_tool(
        "benches/.venv/bin/python",
        "the dataset was not read with h5py",
    ) else {
        return;
    };
    let d = dir("h5py");
    let path = d.join("data.h5");
    make(&Context::cpu(), &spec(Shard::ALL), &path);
    let atlas = Atlas::open(&path).unwrap();
    let script = "import sys, json, h5py\n\
        f = h5py.File(sys.argv[1], 'r')\n\
        m, c = f['maps'], f['conditions']\n\
        print(json.dumps({'maps': [list(m.shape), str(m.dtype)], 'conditions': [list(c.shape), str(c.dtype)],\n\
          'names': c.attrs['names'], 'format': f.attrs['format'], 'version': int(f.attrs['format_version']),\n\
          'model': f.attrs['model'], 'shard': f.attrs['shard'], 'grid': f['grid_index'][:].tolist(),\n\
          'first_map': m[0].ravel().tolist(), 'last_conditions': c[-1].tolist()}))";
    let out = std::process::Command::new(python)
        .args(["-c", script])
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["maps"], serde_json::json!([[30, 1, 8, 6], "float32"]));
    assert_eq!(v["conditions"], serde_json::json!([[30, 3], "float32"]));
    assert_eq!(v["names"], "temperature,J,h");
    assert_eq!(
        (v["format"].as_str(), v["version"].as_u64()),
        (Some("idf-energy-atlas"), Some(1))
    );
    assert_eq!(
        (v["model"].as_str(), v["shard"].as_str()),
        (Some("ising"), Some("0/1"))
    );
    let grid: Vec<u32> = serde_json::from_value(v["grid"].clone()).unwrap();
    assert_eq!(grid, atlas.grid_index().unwrap());
    let first: Vec<f32> = serde_json::from_value(v["first_map"].clone()).unwrap();
    assert_eq!(first, atlas.read_maps(&[0]).unwrap());
    let last: Vec<f32> = serde_json::from_value(v["last_conditions"].clone()).unwrap();
    assert_eq!(last, atlas.conditions()[29 * 3..]);
    std::fs::remove_dir_all(&d).ok();
}
