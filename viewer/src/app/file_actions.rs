//! The viewer's files: opening and saving what the path field names (scenes, fields,
//! energies), the file dialog that fills the path field, recording the field to video, and
//! screenshots of the window.

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
        // The video plays at the pace the trajectory runs now.
        let steps_per_second = self.live.steps_per_frame() as f64 / self.frame_dt as f64;
        let started = files::look_of(&self.live).and_then(|look| {
            let fps = files::pace_fps(steps_per_second, look.steps_per_frame, look.fps);
            Recording::start(&path, &self.live, fps)
        });
        match started {
            Ok(rec) => {
                self.say(format!(
                    "recording to {}: a frame every {} steps, {} fps",
                    rec.path().display(),
                    rec.steps_per_frame(),
                    rec.fps()
                ));
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

    /// Opens the file dialog in the file field's folder, with its file name filled in.
    pub(super) fn open_dialog(&mut self) {
        let typed = std::path::absolute(self.path.trim()).unwrap_or_default();
        let folder = typed
            .parent()
            .filter(|p| p.is_dir())
            .map(PathBuf::from)
            .or_else(|| std::env::current_dir().ok())
            .unwrap_or_default();
        let name = typed
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default();
        // A save dialog, so that a new name can be typed; the file field's buttons then say
        // what happens to it.
        let mut dialog = egui_file::FileDialog::save_file()
            .title("Choose a file for the file field")
            .save_button_text("Choose".into())
            .initial_path(folder)
            .default_filename(name);
        dialog.open();
        self.dialog = Some(dialog);
    }

    /// Shows the open file dialog; a chosen path goes into the file field.
    pub(super) fn show_dialog(&mut self, ctx: &egui::Context) {
        let Some(dialog) = &mut self.dialog else {
            return;
        };
        dialog.show(ctx);
        if dialog.selected() {
            if let Some(path) = dialog.path() {
                self.path = path.display().to_string();
                self.say(format!(
                    "chose {}: Open, Save, Record or Screenshot use it",
                    self.path
                ));
            }
            self.dialog = None;
        } else if !dialog.visible() {
            self.dialog = None;
        }
    }

    /// Whether the file dialog is open.
    pub fn dialog_open(&self) -> bool {
        self.dialog.is_some()
    }
}
