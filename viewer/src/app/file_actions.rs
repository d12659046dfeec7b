//! The viewer's files: opening and saving what the path field names (scenes, fields,
//! energies), recording the field to video, and screenshots of the window.

use std::path::PathBuf;

use eframe::egui;

use super::ViewerApp;
use crate::files::{self, Recording};
use crate::screenshot::PendingScreenshot;

impl ViewerApp {
    /// Opens the file named in the path field by its extension.
    pub(super) fn open_path(&mut self) {
        let path = PathBuf::from(self.path.trim());
        let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
        let result = match ext {
            "yaml" | "yml" => self.open_scene(&path).map(|_| "scene opened".to_string()),
            "npy" | "h5" | "hdf5" => idf::io::read_field(&path).and_then(|field| {
                self.check_fits(field.shape())?;
                let seed = self.live.seed();
                self.live.restart(field, seed)?;
                self.redraw();
                Ok("field opened".to_string())
            }),
            "wgsl" => std::fs::read_to_string(&path)
                .map_err(|e| idf::IdfError::io(&path, e))
                .map(|text| {
                    let ctx = self.live.context().clone();
                    self.show_editor = true;
                    if let Some(energy) = self.editor.set_source(&ctx, &text) {
                        self.load_custom(energy);
                    }
                    "energy opened in the editor".to_string()
                }),
            _ => Err(idf::IdfError::invalid(
                "path",
                "open takes a scene (.yaml), a field (.npy, .h5) or an energy (.wgsl)",
            )),
        };
        match result {
            Ok(m) => self.say(format!("{m}: {}", path.display())),
            Err(e) => self.fail(e.to_string()),
        }
    }

    /// Saves to the path field by its extension.
    pub(super) fn save_path(&mut self) {
        let path = PathBuf::from(self.path.trim());
        let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
        let result = match ext {
            "yaml" | "yml" => files::save_scene(&path, &self.live, &self.title),
            "npy" | "h5" | "hdf5" => self
                .live
                .simulation()
                .field()
                .and_then(|f| idf::io::write_field(&path, &f)),
            "wgsl" => idf::io::write_atomic(&path, self.editor.source.as_bytes()),
            "png" => {
                self.request_screenshot(path.clone(), false);
                return;
            }
            _ => Err(idf::IdfError::invalid(
                "path",
                "save takes a scene (.yaml), a field (.npy, .h5), an energy (.wgsl) or a screenshot (.png)",
            )),
        };
        match result {
            Ok(()) => self.say(format!("saved {}", path.display())),
            Err(e) => self.fail(e.to_string()),
        }
    }

    /// Finishes the recording in progress, keeping the frames so far; `stopped_by` is the
    /// error that ended it, if one did.
    pub(super) fn finish_recording(&mut self, stopped_by: Option<idf::IdfError>) {
        let Some(rec) = self.recording.take() else {
            return;
        };
        let frames = rec.frames();
        match (rec.finish(), stopped_by) {
            (Ok(p), None) => self.say(format!("recorded {frames} frames to {}", p.display())),
            (Ok(p), Some(e)) => self.fail(format!(
                "recording stopped after {frames} frames, saved to {}: {e}",
                p.display()
            )),
            (Err(e), _) => self.fail(format!("recording failed: {e}")),
        }
    }

    pub(super) fn toggle_recording(&mut self) {
        if self.recording.is_some() {
            return self.finish_recording(None);
        }
        let path = PathBuf::from(self.path.trim());
        let shape = self.live.simulation().shape();
        match Recording::start(&path, (shape.width, shape.height), 30) {
            Ok(rec) => {
                self.say(format!("recording to {}", rec.path().display()));
                self.recording = Some(rec);
            }
            Err(e) => self.fail(format!("cannot record: {e}")),
        }
    }

    /// Asks the renderer for an image of the whole window, saved to `path` when it arrives.
    pub fn request_screenshot(&mut self, path: PathBuf, then_exit: bool) {
        self.screenshot = Some(PendingScreenshot::new(path, then_exit));
    }

    /// Sends a pending screenshot request, and saves the image once it has come back.
    pub(super) fn handle_screenshot(&mut self, ctx: &egui::Context) {
        let Some(pending) = &mut self.screenshot else {
            return;
        };
        let Some(saved) = pending.poll(ctx) else {
            return;
        };
        let pending = self.screenshot.take().expect("pending screenshot");
        match (saved, pending.then_exit) {
            (Ok(()), true) => {
                println!("{}", pending.path.display());
                ctx.send_viewport_cmd(egui::ViewportCommand::Close);
            }
            (Err(e), true) => {
                self.exit_error = Some(e.to_string());
                ctx.send_viewport_cmd(egui::ViewportCommand::Close);
            }
            (Ok(()), false) => self.say(format!("screenshot saved to {}", pending.path.display())),
            (Err(e), false) => self.fail(format!("screenshot failed: {e}")),
        }
    }
}
