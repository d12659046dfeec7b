//! `idf-viewer`: opens the desktop explorer, or with `--screenshot` runs it headless for a
//! number of frames, saves an image of the whole window and exits.

use std::path::PathBuf;

use clap::Parser;

/// IDF's desktop explorer: run energy-based trajectories live.
#[derive(Parser, Debug)]
#[command(version, about)]
struct Cli {
    /// A scene (YAML) to open; the embedded default scene otherwise.
    #[arg(long)]
    scene: Option<PathBuf>,
    /// With --screenshot: frames to run before it is taken.
    #[arg(long, default_value_t = 60)]
    frames: u64,
    /// Run the frames, save a PNG of the whole window here and exit.
    #[arg(long)]
    screenshot: Option<PathBuf>,
    /// Window size in logical pixels, WIDTHxHEIGHT.
    #[arg(long, default_value = "1400x900", value_parser = parse_size)]
    size: [f32; 2],
    /// Start playing at once.
    #[arg(long)]
    play: bool,
}

fn parse_size(s: &str) -> Result<[f32; 2], String> {
    let (w, h) = s
        .split_once('x')
        .ok_or_else(|| format!("`{s}`: expected WIDTHxHEIGHT, such as 1400x900"))?;
    let n = |v: &str| {
        v.parse::<f32>()
            .ok()
            .filter(|v| (200.0..=8192.0).contains(v))
            .ok_or_else(|| format!("`{s}`: width and height must be 200 to 8192"))
    };
    Ok([n(w)?, n(h)?])
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    if let Some(scene) = &cli.scene {
        // Fail before a window opens when the scene is broken.
        idf::Scene::load(scene)?;
    }
    idf_viewer::run(
        idf_viewer::ViewerOptions {
            scene: cli.scene,
            frames: Some(cli.frames),
            screenshot: cli.screenshot,
            play: cli.play,
        },
        cli.size,
    )
}
