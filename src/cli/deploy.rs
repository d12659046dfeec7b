//! `idf deploy`: the Helm chart's values from the EIL section of idf.yaml.

use std::path::PathBuf;

use anyhow::Result;
use clap::Args;

use idf::jobs::config::Config;

/// The flags of `idf deploy`.
#[derive(Args)]
pub struct DeployArgs {
    /// Configuration file.
    #[arg(long)]
    config: Option<PathBuf>,
    /// Folder to write values.yaml into.
    #[arg(long, default_value = "deploy/rendered")]
    out: PathBuf,
}

/// Runs `idf deploy`.
pub fn run(args: DeployArgs) -> Result<()> {
    let config = match &args.config {
        Some(path) => Config::load(path)?,
        None => Config::default(),
    };
    let path = args.out.join("values.yaml");
    idf::io::write_atomic(&path, idf::jobs::deploy::helm_values(&config).as_bytes())?;
    println!(
        "wrote {}; install with: helm install idf deploy/helm/idf -f {}",
        path.display(),
        path.display()
    );
    Ok(())
}
