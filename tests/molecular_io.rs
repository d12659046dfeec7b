//! The molecular capsule's files: extended XYZ and H5MD written by `idf molecular` read back
//! identically (and as a starting state), are read as their formats say by readers we did not
//! write (ASE for extended XYZ, h5py for H5MD), and malformed ones are errors naming the line
//! or the dataset.

use std::path::{Path, PathBuf};

use idf::io::frames::ParticleFrame;
use idf::io::h5md::{read_h5md_last, write_h5md};
use idf::io::xyz::{read_xyz, write_xyz};
use idf::jobs::molecular::{run_molecular, MolecularSpec, MolecularStart};

fn dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("idf-molecular-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// A short BAOAB run of a 108-particle fluid writing both trajectories.
fn run_small(d: &Path) -> (PathBuf, PathBuf) {
    let spec = MolecularSpec {
        particles: 108,
        start: MolecularStart::Fluid { density: 0.8 },
        steps: 40,
        record_every: 10,
        temperature: 1.0,
        cutoff: 2.0,
        xyz: Some(d.join("run.xyz")),
        h5md: Some(d.join("run.h5")),
        video: Some(idf::jobs::render::encode::Output::File(d.join("run.gif"))),
        ..MolecularSpec::default()
    };
    run_molecular(&idf::Context::cpu(), &spec, &mut |_, _| {}).unwrap();
    (d.join("run.xyz"), d.join("run.h5"))
}

#[test]
fn written_trajectories_read_back_identically() {
    let d = dir("roundtrip");
    let (xyz, h5) = run_small(&d);
    let frames = read_xyz(&xyz).unwrap();
    assert_eq!(frames.len(), 5, "the start and a frame every 10 steps");
    let gif = gif::DecodeOptions::new()
        .read_info(std::fs::File::open(d.join("run.gif")).unwrap())
        .unwrap();
    assert_eq!(
        gif.into_iter().count(),
        5,
        "the video has a frame per record"
    );
    assert_eq!(frames[4].step, 40);
    assert!(frames
        .iter()
        .all(|f| f.position.len() == 108 && f.lattice.is_some()));
    // Written again and read again: the same frames, bit for bit.
    let again = d.join("again.xyz");
    write_xyz(&again, &frames).unwrap();
    assert_eq!(read_xyz(&again).unwrap(), frames);
    let last = read_h5md_last(&h5).unwrap();
    assert_eq!(last.position, frames[4].position);
    assert_eq!(last.velocity, frames[4].velocity);
    assert_eq!((last.lattice, last.step), (frames[4].lattice, 40));
    let copy = d.join("again.h5");
    write_h5md(&copy, std::slice::from_ref(&last), 0.005).unwrap();
    assert_eq!(read_h5md_last(&copy).unwrap().position, last.position);
    // Either continues as a starting state.
    for start in [xyz, h5] {
        let spec = MolecularSpec {
            particles: 0,
            start: MolecularStart::File(start.clone()),
            steps: 10,
            cutoff: 2.0,
            ..MolecularSpec::default()
        };
        let report = run_molecular(&idf::Context::cpu(), &spec, &mut |_, _| {}).unwrap();
        assert_eq!(report.particles, 108, "{}", start.display());
    }
    std::fs::remove_dir_all(&d).ok();
}

#[test]
fn malformed_files_name_the_line_or_dataset() {
    let d = dir("malformed");
    let cases = [
        ("count.xyz", "x\n", "line 1"),
        (
            "short.xyz",
            "2\nProperties=species:S:1:pos:R:3\nAr 0 0 0\n",
            "line 4",
        ),
        (
            "number.xyz",
            "1\nProperties=species:S:1:pos:R:3\nAr 0 zero 0\n",
            "line 3: `zero`",
        ),
        (
            "species.xyz",
            "1\nProperties=species:S:1:pos:R:3\nQq 0 0 0\n",
            "line 3: species `Qq`",
        ),
        (
            "lattice.xyz",
            "1\nLattice=\"1 1 0 0 1 0 0 0 1\" Properties=species:S:1:pos:R:3\nAr 0 0 0\n",
            "line 2",
        ),
    ];
    for (name, text, needle) in cases {
        let path = d.join(name);
        std::fs::write(&path, text).unwrap();
        let e = read_xyz(&path).unwrap_err().to_string();
        assert!(e.contains(needle) && e.contains(name), "{name}: {e}");
    }
    let not_h5md = d.join("plain.h5");
    idf::io::write_field(
        &not_h5md,
        &idf::Field::zeros(idf::Shape::new(1, 1, 2, 2).unwrap()).unwrap(),
    )
    .unwrap();
    let e = read_h5md_last(&not_h5md).unwrap_err().to_string();
    assert!(e.contains("/h5md") && e.contains("plain.h5"), "{e}");
    std::fs::remove_dir_all(&d).ok();
}

/// ASE reads the extended XYZ (frames, cell, periodicity, positions) and h5py the H5MD as the
/// format lays it out.
#[test]
fn ase_and_h5py_read_the_trajectories() {
    let Some(python) = crate::common::test_tool(
        "benches/.venv/bin/python",
        "the trajectories were not read by ASE and h5py",
    ) else {
        return;
    };
    let d = dir("readers");
    let (xyz, h5) = run_small(&d);
    let script = "import sys, json, ase.io, h5py\n\
        frames = ase.io.read(sys.argv[1], index=':')\n\
        f = h5py.File(sys.argv[2], 'r')\n\
        pos = f['particles/all/position/value']\n\
        print(json.dumps({'frames': len(frames), 'symbols': sorted(set(frames[-1].get_chemical_symbols())),\n\
          'cell': frames[-1].cell.lengths().tolist(), 'pbc': frames[-1].pbc.tolist(),\n\
          'last': frames[-1].positions[:3].ravel().tolist(),\n\
          'version': f['h5md'].attrs['version'].tolist(), 'boundary': [str(b) for b in f['particles/all/box'].attrs['boundary']],\n\
          'h5_shape': list(pos.shape), 'h5_last': pos[-1, :3].ravel().tolist(),\n\
          'steps': f['particles/all/position/step'][:].tolist()}))";
    let out = std::process::Command::new(python)
        .args(["-c", script])
        .args([&xyz, &h5])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let frames = read_xyz(&xyz).unwrap();
    let last: &ParticleFrame = frames.last().unwrap();
    let ours: Vec<f64> = last.position[..3]
        .iter()
        .flat_map(|p| [p[0] as f64, p[1] as f64, p[2] as f64])
        .collect();
    assert_eq!(v["frames"], 5);
    assert_eq!(v["symbols"], serde_json::json!(["Ar"]));
    assert_eq!(v["pbc"], serde_json::json!([true, true, true]));
    let cell: Vec<f64> = serde_json::from_value(v["cell"].clone()).unwrap();
    let l = last.lattice.unwrap()[0] as f64;
    assert!(cell.iter().all(|c| (c - l).abs() < 1e-5), "{cell:?} vs {l}");
    for key in ["last", "h5_last"] {
        let theirs: Vec<f64> = serde_json::from_value(v[key].clone()).unwrap();
        for (a, b) in theirs.iter().zip(&ours) {
            assert!(
                (a - b).abs() < 1e-5 * (1.0 + b.abs()),
                "{key}: {theirs:?} vs {ours:?}"
            );
        }
    }
    assert_eq!(v["version"], serde_json::json!([1, 1]));
    assert_eq!(
        v["boundary"],
        serde_json::json!(["periodic", "periodic", "periodic"])
    );
    assert_eq!(v["h5_shape"], serde_json::json!([5, 108, 3]));
    assert_eq!(v["steps"], serde_json::json!([0, 10, 20, 30, 40]));
    std::fs::remove_dir_all(&d).ok();
}

/// `idf render` draws a trajectory: one frame per recorded frame, the particles in colour over
/// the background, a line of text under them.
#[test]
fn a_trajectory_renders_one_frame_per_record() {
    let d = dir("render");
    let (xyz, h5) = run_small(&d);
    for (path, out) in [(&xyz, d.join("xyz-frames")), (&h5, d.join("h5-frames"))] {
        let output = crate::common::idf(&[
            "render",
            path.to_str().unwrap(),
            "--out-dir",
            out.to_str().unwrap(),
            "--size",
            "128",
        ]);
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let mut names: Vec<_> = std::fs::read_dir(&out)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        names.sort();
        assert_eq!(names.len(), 5, "{names:?}");
        let decoder = png::Decoder::new(std::io::BufReader::new(
            std::fs::File::open(&names[4]).unwrap(),
        ));
        let mut reader = decoder.read_info().unwrap();
        let mut pixels = vec![0; reader.output_buffer_size().unwrap()];
        let info = reader.next_frame(&mut pixels).unwrap();
        assert_eq!((info.width, info.height), (128, 148));
        let background = [18u8, 18, 24];
        let coloured = pixels[..128 * 128 * 3]
            .chunks(3)
            .filter(|p| *p != background)
            .count();
        assert!(
            coloured > 128 * 128 / 2,
            "a dense fluid covers most of the picture: {coloured}"
        );
    }
    let mixed = crate::common::idf(&[
        "render",
        xyz.to_str().unwrap(),
        "assets/scenes/default.yaml",
    ]);
    assert!(!mixed.status.success());
    std::fs::remove_dir_all(&d).ok();
}

/// `idf render` runs a molecular scene (a YAML file with a `molecular` key): the LJ19 asset,
/// replica exchange then a FIRE quench, draws `--frames` records of the coldest rung and the
/// quenched structure, whose panel reports the global minimum per particle (−72.659782 / 19 =
/// −3.8242). Out-of-range `fps` and `size` and unknown keys are errors naming them, and write
/// nothing.
#[test]
fn idf_render_runs_a_molecular_scene() {
    let d = dir("scene");
    let scene = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/assets/molecular/lj19_cluster.yaml"
    );
    let out = d.join("frames");
    let output = crate::common::idf(&[
        "render",
        scene,
        "--out-dir",
        out.to_str().unwrap(),
        "--frames",
        "5",
        "--size",
        "96",
        "--backend",
        "cpu",
    ]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("minimised -72.6597"), "{stdout}");
    let frames = std::fs::read_dir(out.join("lj19_cluster")).unwrap().count();
    assert_eq!(frames, 6, "5 records and the quenched structure");
    for (flag, value, named) in [("--fps", "0", "fps"), ("--size", "100000", "size")] {
        let bad = d.join(format!("bad-{named}.gif"));
        let output = crate::common::idf(&[
            "render",
            scene,
            "--out",
            bad.to_str().unwrap(),
            flag,
            value,
            "--backend",
            "cpu",
        ]);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            !output.status.success() && stderr.contains(named),
            "{stderr}"
        );
        assert!(!bad.exists());
    }
    let typo = d.join("typo.yaml");
    std::fs::write(&typo, "molecular:\n  particle: 13\n").unwrap();
    let output = crate::common::idf(&["render", typo.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        !output.status.success() && stderr.contains("particle") && stderr.contains("typo.yaml"),
        "{stderr}"
    );
    std::fs::remove_dir_all(&d).ok();
}
