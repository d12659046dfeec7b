//! Rendering end to end: videos decode with the expected codec, size, frame count and fps;
//! frames change; the overlay's entropy curve is the run's trace; renders are reproducible;
//! broken scenes and failed runs leave no output; colormaps agree between GPU and CPU.

use std::path::{Path, PathBuf};

use idf::jobs::render::colormap::colorize;
use idf::jobs::render::encode::{decode_frames, probe, Output};
use idf::jobs::render::job::render_job;
use idf::jobs::render::overlay::{curve_points, plot_rect, ENTROPY_COLOUR};
use idf::jobs::render::pipeline::render;
use idf::jobs::scene::ResolvedScene;
use idf::kernels::{ColorRange, Colormap};
use idf::{Context, EnergyModel, Field, Observable, Scene, Simulation};

fn temp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("idf-render-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

fn small_job(frames: u64) -> ResolvedScene {
    let mut scene = Scene::default_scene();
    scene.frames = Some(frames);
    scene.size = Some([32, 32]);
    scene.scale = Some(4);
    render_job(&scene).unwrap()
}

fn read_png(path: &Path) -> idf::jobs::render::frame::RgbFrame {
    let mut reader = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(path).unwrap()))
        .read_info()
        .unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    buf.truncate(info.buffer_size());
    idf::jobs::render::frame::RgbFrame {
        width: info.width as usize,
        height: info.height as usize,
        data: buf,
    }
}

#[test]
fn mp4_decodes_with_the_expected_stream() {
    let job = small_job(12);
    let path = temp("small.mp4");
    let report = render(
        &Context::cpu(),
        &job,
        &Output::File(path.clone()),
        &mut |_, _| {},
    )
    .unwrap();
    let info = probe(&path).unwrap();
    assert_eq!(info.codec, "h264");
    assert_eq!(
        (info.width as usize, info.height as usize),
        (report.width, report.height)
    );
    assert_eq!((info.width % 2, info.height % 2), (0, 0));
    assert_eq!(info.frames, 12);
    assert!((info.fps - 30.0).abs() < 1e-9, "fps {}", info.fps);
    let frames = decode_frames(&path).unwrap();
    let field_rows = 32 * 4 * report.width * 3;
    for pair in frames.windows(2) {
        let diff = pair[0].data[..field_rows]
            .iter()
            .zip(&pair[1].data[..field_rows])
            .filter(|(a, b)| a != b)
            .count();
        assert!(diff > 0, "consecutive frames must differ");
    }
}

#[test]
fn overlay_entropy_curve_is_the_trace() {
    let job = small_job(10);
    let dir = temp("overlay_frames");
    let report = render(
        &Context::cpu(),
        &job,
        &Output::PngDir(dir.clone()),
        &mut |_, _| {},
    )
    .unwrap();
    let from_trace: Vec<f64> = (1..report.trace.records.len())
        .map(|r| {
            report
                .trace
                .value(Observable::HistogramEntropy, r, 0)
                .unwrap()
        })
        .collect();
    let shown: Vec<f64> = report.points.iter().map(|p| p.entropy).collect();
    assert_eq!(shown, from_trace);
    let last = read_png(&dir.join("frame_00009.png"));
    let rect = plot_rect(last.width, 32 * 4);
    for (x, y) in curve_points(&shown, rect, 10) {
        assert_eq!(
            last.pixel(x as usize, y as usize),
            ENTROPY_COLOUR,
            "curve point ({x}, {y})"
        );
    }
}

#[test]
fn same_scene_seed_and_backend_give_identical_frames() {
    let job = small_job(5);
    let (a, b) = (temp("same_a"), temp("same_b"));
    render(
        &Context::cpu(),
        &job,
        &Output::PngDir(a.clone()),
        &mut |_, _| {},
    )
    .unwrap();
    render(
        &Context::cpu(),
        &job,
        &Output::PngDir(b.clone()),
        &mut |_, _| {},
    )
    .unwrap();
    for k in 0..5 {
        let name = format!("frame_{k:05}.png");
        assert_eq!(
            std::fs::read(a.join(&name)).unwrap(),
            std::fs::read(b.join(&name)).unwrap(),
            "{name}"
        );
    }
}

#[test]
fn gif_output_is_written() {
    let job = small_job(4);
    let path = temp("small.gif");
    render(
        &Context::cpu(),
        &job,
        &Output::File(path.clone()),
        &mut |_, _| {},
    )
    .unwrap();
    let bytes = std::fs::read(&path).unwrap();
    assert_eq!(&bytes[..6], b"GIF89a");
}

#[test]
fn a_failed_run_leaves_no_file() {
    let mut job = small_job(20);
    job.run.step_size = 5.0; // far past the stability limit: the run diverges mid-render
    let path = temp("diverged.mp4");
    let err = render(
        &Context::cpu(),
        &job,
        &Output::File(path.clone()),
        &mut |_, _| {},
    )
    .unwrap_err();
    assert!(err.to_string().contains("diverged"), "{err}");
    assert!(!path.exists());
    let leftovers: Vec<_> = std::fs::read_dir(path.parent().unwrap())
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().contains("diverged.mp4"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

use crate::common::{idf, idf_ok};

#[test]
fn broken_scenes_fail_clearly_and_write_nothing() {
    let cases = [
        (
            "unknown_key.yaml",
            "model: phi4\nframez: 10\n",
            "unknown field `framez`",
        ),
        (
            "bad_value.yaml",
            "model: phi4\ncolormap: rainbow\n",
            "colormap",
        ),
        ("bad_range.yaml", "model: phi4\nrange: [2, 1]\n", "range"),
        (
            "missing_image.yaml",
            "model: phi4\nguidance:\n  image: nowhere.png\n  lambda: 0.5\n",
            "nowhere.png",
        ),
    ];
    for (name, text, needle) in cases {
        let scene = temp(name);
        std::fs::write(&scene, text).unwrap();
        let out = temp(&format!("{name}.mp4"));
        let result = idf(&[
            "render",
            scene.to_str().unwrap(),
            "--backend",
            "cpu",
            "--out",
            out.to_str().unwrap(),
        ]);
        let stderr = String::from_utf8_lossy(&result.stderr);
        assert!(!result.status.success(), "{name} should fail");
        assert!(
            stderr.contains(needle) && stderr.contains(name),
            "{name}: {stderr}"
        );
        assert!(!out.exists(), "{name} left {out:?}");
    }
}

#[test]
fn render_command_writes_and_summarises() {
    let out = temp("cli.mp4");
    let result = idf_ok(&[
        "render",
        "--backend",
        "cpu",
        "--frames",
        "6",
        "--size",
        "32",
        "--out",
        out.to_str().unwrap(),
    ]);
    let stdout = String::from_utf8_lossy(&result.stdout);
    assert!(
        stdout.contains("frames/s") && stdout.contains("ELF 100.00%") && stdout.contains("cli.mp4"),
        "{stdout}"
    );
    assert_eq!(probe(&out).unwrap().frames, 6);
}

#[test]
fn every_shipped_scene_is_valid() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/scenes");
    let mut count = 0;
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let scene = Scene::load(&entry.path()).unwrap();
        render_job(&scene).unwrap_or_else(|e| panic!("{:?}: {e}", entry.path()));
        count += 1;
    }
    assert!(count >= 4, "at least four scenes ship");
}

on_both! {
    fn colormap_kernel_matches_its_twin(ctx: &Context) {
        let model = EnergyModel::from_params("phi4", &[]).unwrap();
        let shape = model.shape(2, Some([16, 24])).unwrap();
        let mut field = Field::random_normal(shape, 4, 1.0);
        field.data_mut()[5] = f32::NAN;
        for map in Colormap::ALL {
            let plane = &field.data()[16 * 24..2 * 16 * 24];
            let mut expected = vec![0u32; plane.len()];
            idf::cpu::colormap::run(plane, -2.0, 2.0, map.table(), &mut expected);
            let mut on = Simulation::new(ctx, &model, &Field::zeros(shape), 1).unwrap();
            on.set_field(&field).unwrap();
            let (got, range) = colorize(ctx, &mut on, 1, map, ColorRange::Fixed(-2.0, 2.0)).unwrap();
            assert_eq!(range, (-2.0, 2.0));
            for (g, e) in got.iter().zip(&expected) {
                for k in 0..4 {
                    let (a, b) = ((g >> (8 * k)) & 255, (e >> (8 * k)) & 255);
                    assert!(a.abs_diff(b) <= 1, "{map:?}: {g:08x} vs {e:08x}");
                }
            }
        }
        // Table ends: the lowest value gets entry 0, the highest entry 255; NaN is magenta.
        let t = Colormap::Viridis.table();
        let lo = idf::cpu::colormap::colour(-5.0, -1.0, 1.0, t);
        assert_eq!(lo, idf::cpu::colormap::pack_unorm([t[0][0], t[0][1], t[0][2], 1.0]));
        assert_eq!(idf::cpu::colormap::colour(f32::NAN, -1.0, 1.0, t), 0xffff00ff);
    }
}
