//! `idf-viewer --scene FILE --frames N --screenshot out.png` under Xvfb: the window runs N
//! frames, saves a PNG of itself and exits; the image has the window's size and is not blank.

use std::path::Path;
use std::process::Command;

fn decode(path: &Path) -> (u32, u32, Vec<u8>, png::ColorType) {
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(path).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut data = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut data).unwrap();
    data.truncate(info.buffer_size());
    (info.width, info.height, data, info.color_type)
}

/// Runs `idf-viewer --scene SCENE --frames N --size WxH --screenshot OUT` under Xvfb.
fn run_headless(scene: &Path, frames: u32, size: &str, out: &Path) -> std::process::Output {
    Command::new("xvfb-run")
        .args(["-a", "-s", "-screen 0 1280x800x24"])
        .arg(env!("CARGO_BIN_EXE_idf-viewer"))
        .arg("--scene")
        .arg(scene)
        .args([
            "--frames",
            &frames.to_string(),
            "--size",
            size,
            "--screenshot",
        ])
        .arg(out)
        .env("NODEVICE_SELECT", "1")
        .output()
        .expect("xvfb-run is installed (apt-get install xvfb; `make setup` does it)")
}

#[test]
fn headless_screenshot_under_xvfb() {
    let dir = std::env::temp_dir().join(format!("idf-viewer-headless-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let out = dir.join("viewer.png");
    let scene = Path::new(env!("CARGO_MANIFEST_DIR")).join("../assets/scenes/turing_patterns.yaml");
    let status = run_headless(&scene, 12, "1000x700", &out);
    assert!(
        status.status.success(),
        "idf-viewer failed: {}",
        String::from_utf8_lossy(&status.stderr)
    );
    let (w, h, data, color) = decode(&out);
    assert_eq!((w, h), (1000, 700), "the whole window");
    assert_eq!(color, png::ColorType::Rgb);
    let mut colors = std::collections::HashSet::new();
    for px in data.chunks(3) {
        colors.insert([px[0], px[1], px[2]]);
    }
    assert!(colors.len() > 500, "only {} distinct colours", colors.len());
    // The field fills the middle of the window: its pixels vary there.
    let (cx, cy) = (w as usize / 2, h as usize / 2);
    let mut middle = std::collections::HashSet::new();
    for y in cy - 50..cy + 50 {
        for x in cx - 50..cx + 50 {
            let i = (y * w as usize + x) * 3;
            middle.insert([data[i], data[i + 1], data[i + 2]]);
        }
    }
    assert!(
        middle.len() > 50,
        "the field area is flat: {} colours",
        middle.len()
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A headless run whose trajectory diverges closes its window and exits non-zero with the
/// error (the library returns it; only the binary exits), writing no screenshot.
#[test]
fn a_diverging_headless_run_exits_with_the_error() {
    let dir = std::env::temp_dir().join(format!("idf-viewer-diverge-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let scene = dir.join("diverges.yaml");
    std::fs::write(
        &scene,
        "model: phi4\nsize: [32, 32]\nstep_size: 5.0\ntemperature: 0.0\nsteps_per_frame: 50\n",
    )
    .unwrap();
    let out = dir.join("never.png");
    let run = run_headless(&scene, 4, "800x600", &out);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(!run.status.success(), "a diverged run must fail: {stderr}");
    assert!(stderr.contains("diverged"), "{stderr}");
    assert!(!out.exists());
    std::fs::remove_dir_all(&dir).unwrap();
}
