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

/// Frame delays (centiseconds) of a GIF, read by the `gif` crate's decoder.
fn gif_delays(path: &Path) -> Vec<u16> {
    let mut options = gif::DecodeOptions::new();
    options.set_color_output(gif::ColorOutput::Indexed);
    let mut decoder = options
        .read_info(std::fs::File::open(path).unwrap())
        .unwrap();
    let mut delays = Vec::new();
    while let Some(frame) = decoder.read_next_frame().unwrap() {
        delays.push(frame.delay);
    }
    delays
}

#[test]
fn gif_output_keeps_the_scene_timing_and_says_when_it_cannot() {
    // 30 fps: delays of 3 and 4 cs that add up to the exact duration, 9 frames in 30 cs.
    let mut job = small_job(9);
    job.look.fps = 30;
    let path = temp("small.gif");
    let report = render(
        &Context::cpu(),
        &job,
        &Output::File(path.clone()),
        &mut |_, _| {},
    )
    .unwrap();
    assert_eq!(&std::fs::read(&path).unwrap()[..6], b"GIF89a");
    let delays = gif_delays(&path);
    assert_eq!(delays.len(), 9);
    assert!(delays.iter().all(|d| *d == 3 || *d == 4), "{delays:?}");
    assert_eq!(delays.iter().map(|d| *d as u32).sum::<u32>(), 30);
    assert_eq!((report.fps, report.duration_s), (30, 0.3));
    assert!(report.warnings.is_empty());
    // 100 fps is faster than a GIF plays: 2 cs per frame (50 fps), reported and warned.
    job.look.fps = 100;
    let fast = temp("fast.gif");
    let report = render(
        &Context::cpu(),
        &job,
        &Output::File(fast.clone()),
        &mut |_, _| {},
    )
    .unwrap();
    assert_eq!(gif_delays(&fast), vec![2; 9]);
    assert_eq!(report.fps, 50);
    assert!(
        report.warnings[0].contains("at most 50 fps"),
        "{:?}",
        report.warnings
    );
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

/// The published table of `map`, read from its CSV here rather than through the library.
fn published_table(map: Colormap) -> Vec<[f64; 3]> {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("assets/colormaps/{}.csv", map.name()));
    let rows: Vec<[f64; 3]> = std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let v: Vec<f64> = l.split(',').map(|x| x.trim().parse().unwrap()).collect();
            [v[0], v[1], v[2]]
        })
        .collect();
    assert_eq!(rows.len(), 256, "{map:?}");
    rows
}

/// RGBA8 bytes of `v` over [lo, hi]: position t·255 in the table, linearly interpolated between
/// its two entries, each channel round(255·c), alpha 255; non-finite values are magenta.
fn reference_rgba(v: f32, lo: f64, hi: f64, table: &[[f64; 3]]) -> [u8; 4] {
    if !v.is_finite() {
        return [255, 0, 255, 255];
    }
    let x = ((v as f64 - lo) / (hi - lo)).clamp(0.0, 1.0) * 255.0;
    let i = (x.floor() as usize).min(254);
    let f = x - i as f64;
    let c = |k: usize| ((table[i][k] * (1.0 - f) + table[i + 1][k] * f) * 255.0).round() as u8;
    [c(0), c(1), c(2), 255]
}

on_both! {
    fn colormap_kernel_matches_the_published_tables(ctx: &Context) {
        let model = EnergyModel::from_params("phi4", &[]).unwrap();
        let shape = model.shape(2, Some([16, 24])).unwrap();
        let mut field = Field::random_normal(shape, 4, 1.0).unwrap();
        field.data_mut()[16 * 24 + 5] = f32::NAN;
        // Values beyond the range are clamped to the table's ends.
        field.data_mut()[16 * 24 + 6] = -7.0;
        field.data_mut()[16 * 24 + 7] = 7.0;
        let plane = field.data()[16 * 24..2 * 16 * 24].to_vec();
        for map in Colormap::ALL {
            let table = published_table(map);
            let mut on = Simulation::new(ctx, &model, &Field::zeros(shape).unwrap(), 1).unwrap();
            on.set_field(&field).unwrap();
            let (got, range) = colorize(ctx, &mut on, 1, map, ColorRange::Fixed(-2.0, 2.0)).unwrap();
            assert_eq!(range, (-2.0, 2.0));
            for (g, v) in got.iter().zip(&plane) {
                let want = reference_rgba(*v, -2.0, 2.0, &table);
                for (k, w) in want.iter().enumerate() {
                    let byte = ((g >> (8 * k)) & 255) as u8;
                    assert!(byte.abs_diff(*w) <= 1, "{map:?} at {v}: {g:08x} vs {want:?}");
                }
            }
        }
        // Anchors from matplotlib's viridis itself: #440154 at 0, #21918c at 128/255, #fde725 at 1.
        let mut anchors = Field::zeros(shape).unwrap();
        anchors.data_mut()[16 * 24..16 * 24 + 3].copy_from_slice(&[0.0, 128.0 / 255.0, 1.0]);
        let mut on = Simulation::new(ctx, &model, &Field::zeros(shape).unwrap(), 1).unwrap();
        on.set_field(&anchors).unwrap();
        let (got, _) = colorize(ctx, &mut on, 1, Colormap::Viridis, ColorRange::Fixed(0.0, 1.0)).unwrap();
        assert_eq!(&got[..3], &[0xff540144, 0xff8c9121, 0xff25e7fd]);
    }
}
