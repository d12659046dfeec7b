//! The progress bar every long subcommand shows (indicatif).

use indicatif::{ProgressBar, ProgressStyle};

/// A bar of `len` `units` (0: set later) labelled `message`.
pub fn bar(len: u64, units: &str, message: impl Into<String>) -> ProgressBar {
    let bar = ProgressBar::new(len);
    bar.set_style(
        ProgressStyle::with_template(&format!(
            "{{spinner}} {{msg}} [{{bar:40}}] {{pos}}/{{len}} {units} ({{per_sec}}, eta {{eta}})"
        ))
        .expect("a valid template")
        .progress_chars("=> "),
    );
    bar.set_message(message.into());
    bar
}
