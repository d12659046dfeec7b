//! Screenshots of the whole window: asked of egui's renderer, saved as PNG (atomically, through
//! IDF's writer) when the image comes back a frame or two later.

use std::path::PathBuf;
use std::sync::mpsc;
use std::sync::Arc;

use eframe::egui;

use crate::files;

/// A screenshot on its way: where it goes, whether the app exits after it, and the channel the
/// renderer answers on.
pub struct PendingScreenshot {
    /// Where the PNG goes.
    pub path: PathBuf,
    /// Whether the viewer closes once it is saved (headless mode).
    pub then_exit: bool,
    image: Option<mpsc::Receiver<Arc<egui::ColorImage>>>,
}

impl PendingScreenshot {
    /// A screenshot to `path`, not asked for yet.
    pub fn new(path: PathBuf, then_exit: bool) -> Self {
        PendingScreenshot {
            path,
            then_exit,
            image: None,
        }
    }

    /// Asks the renderer on the first call; once the image has come back, saves it and returns
    /// whether that worked. `None` while it is on its way.
    pub fn poll(&mut self, ctx: &egui::Context) -> Option<idf::Result<()>> {
        match &self.image {
            None => {
                let (tx, rx) = mpsc::channel();
                let repaint = ctx.clone();
                ctx.request_screenshot(move |image| {
                    let _ = tx.send(image);
                    repaint.request_repaint();
                });
                self.image = Some(rx);
                ctx.request_repaint();
                None
            }
            Some(rx) => match rx.try_recv() {
                Ok(image) => Some(files::save_screenshot(&self.path, &image)),
                Err(_) => {
                    ctx.request_repaint();
                    None
                }
            },
        }
    }
}
