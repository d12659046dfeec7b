//! `idf baseline`: write the physics baseline, or check a fresh run against one.

use std::path::PathBuf;

use anyhow::{bail, Result};
use clap::Args;

/// The flags of `idf baseline`.
#[derive(Args)]
pub struct BaselineArgs {
    /// Write the baseline here (run on the CPU backend for a reproducible reference).
    #[arg(long, conflicts_with = "check")]
    out: Option<PathBuf>,
    /// Compare a fresh run with this baseline; exits non-zero on a regression.
    #[arg(long)]
    check: Option<PathBuf>,
    /// auto, gpu or cpu (default: IDF_BACKEND, else auto).
    #[arg(long)]
    backend: Option<String>,
}

/// Runs `idf baseline`.
pub fn run(args: BaselineArgs) -> Result<()> {
    let ctx = super::context(args.backend.as_deref())?;
    match (args.out, args.check) {
        (Some(path), None) => {
            idf::io::hdf5::check_h5_path(&path, "out", "a physics baseline")?;
            idf::jobs::baseline::write_baseline(&ctx, &path)?;
            println!("wrote {} on {}", path.display(), ctx.describe());
            Ok(())
        }
        (None, Some(path)) => {
            let regressions = idf::jobs::baseline::check_baseline(&ctx, &path)?;
            for r in &regressions {
                println!(
                    "regression: {} {} record {:?}: fresh {} vs baseline {} (tolerance {:e})",
                    r.scenario, r.observable, r.record, r.fresh, r.baseline, r.tolerance
                );
            }
            if regressions.is_empty() {
                println!("{}: no regression on {}", path.display(), ctx.describe());
                Ok(())
            } else {
                bail!(
                    "{} regressions against {}",
                    regressions.len(),
                    path.display()
                )
            }
        }
        _ => bail!("give --out FILE to write a baseline or --check FILE to compare with one"),
    }
}
