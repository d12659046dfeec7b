//! `idf init`: a commented idf.yaml and a starter scene.

use std::path::PathBuf;

use anyhow::{bail, Result};
use clap::Args;

use idf::jobs::config::TEMPLATE;
use idf::jobs::scene::DEFAULT_SCENE;

/// The flags of `idf init`.
#[derive(Args)]
pub struct InitArgs {
    /// Target directory (created if missing).
    #[arg(default_value = ".")]
    dir: PathBuf,
    /// Overwrite existing files.
    #[arg(long)]
    force: bool,
}

/// Runs `idf init`.
pub fn run(args: InitArgs) -> Result<()> {
    let files = [
        (args.dir.join("idf.yaml"), TEMPLATE),
        (args.dir.join("scenes").join("starter.yaml"), DEFAULT_SCENE),
    ];
    for (path, _) in &files {
        if path.exists() && !args.force {
            bail!("{} exists; pass --force to overwrite it", path.display());
        }
    }
    for (path, text) in &files {
        idf::io::write_atomic(path, text.as_bytes())?;
        println!("wrote {}", path.display());
    }
    println!(
        "next: idf sample --config {} --scene {}",
        files[0].0.display(),
        files[1].0.display()
    );
    Ok(())
}
