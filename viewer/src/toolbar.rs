//! The toolbar: run controls, the scene and energy picker, the painting tools, and the file row.
//! It edits only interface state itself; what touches the trajectory comes back as [`Action`]s
//! that the app carries out.

use std::path::PathBuf;

use eframe::egui;

use crate::field_view::{Tool, ViewState};
use crate::files;

/// What the user asked for with one click.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    /// Play or pause (also the space bar).
    TogglePlay,
    /// Advance exactly one step.
    Step,
    /// Start again from the first field, with the same seed.
    Reset,
    /// After a divergence: halve the step size and continue from the last finite field.
    Recover,
    /// Start again with a new seed.
    Reseed,
    /// Open a shipped scene.
    OpenScene(PathBuf),
    /// Start a built-in energy (or the editor's custom one).
    SwitchEnergy(&'static str),
    /// Open the file named in the file field.
    Open,
    /// Save to the file named in the file field.
    Save,
    /// Start or stop recording to the file named in the file field.
    ToggleRecording,
    /// Save a screenshot of the window.
    Screenshot,
    /// Show the whole field again (no zoom).
    FitView,
    /// Take back the last brush stroke or applied energy edit (also Ctrl+Z).
    Undo,
    /// Choose the file field's path in a file dialog.
    Browse,
}

/// What the file field takes, by extension.
const FILE_KINDS: &str =
    ".yaml scene · .npy/.h5 field · .wgsl energy · .png screenshot · .mp4/.gif/folder to record";

/// The energies the picker offers besides the scenes: every registered lattice energy built by
/// name (points and graphs have no picture to paint), and the editor's custom WGSL.
pub fn picker_energies() -> Vec<&'static str> {
    idf::EnergyModel::named()
        .filter(|s| s.state.is_lattice())
        .map(|s| s.name)
        .chain(["custom"])
        .collect()
}

/// The interface state the toolbar shows and edits.
pub struct Toolbar<'a> {
    /// Whether the trajectory is playing.
    pub playing: bool,
    /// Whether a recording is running.
    pub recording: bool,
    /// The running scene's title.
    pub title: &'a str,
    /// The painting tools.
    pub view: &'a mut ViewState,
    /// Whether the WGSL editor is shown.
    pub show_editor: &'a mut bool,
    /// The file field.
    pub path: &'a mut String,
}

impl Toolbar<'_> {
    /// Draws the toolbar; returns what was clicked.
    pub fn ui(&mut self, ui: &mut egui::Ui) -> Vec<Action> {
        let mut actions = Vec::new();
        let mut click = |clicked: bool, action: Action| {
            if clicked {
                actions.push(action);
            }
        };
        ui.horizontal_wrapped(|ui| {
            let play = if self.playing { "Pause" } else { "Play" };
            // Both states' labels fit one width, so the buttons after it never move.
            let size = [56.0, ui.spacing().interact_size.y];
            click(
                ui.add_sized(size, egui::Button::new(play)).clicked(),
                Action::TogglePlay,
            );
            click(ui.button("Step").clicked(), Action::Step);
            click(ui.button("Reset").clicked(), Action::Reset);
            click(ui.button("Reseed").clicked(), Action::Reseed);
            ui.separator();
            egui::ComboBox::from_label("scene")
                .selected_text(self.title)
                .width(180.0)
                .show_ui(ui, |ui| {
                    ui.label("Scenes");
                    for path in files::shipped_scenes() {
                        let name = path.file_stem().map(|s| s.to_string_lossy().to_string());
                        let clicked = ui
                            .selectable_label(false, name.unwrap_or_default())
                            .clicked();
                        click(clicked, Action::OpenScene(path));
                    }
                    ui.separator();
                    ui.label("Energies");
                    for name in picker_energies() {
                        let clicked = ui.selectable_label(false, name).clicked();
                        click(clicked, Action::SwitchEnergy(name));
                    }
                });
            ui.separator();
            ui.selectable_value(&mut self.view.tool, Tool::Raise, "Raise");
            ui.selectable_value(&mut self.view.tool, Tool::Lower, "Lower");
            ui.selectable_value(&mut self.view.tool, Tool::Pan, "Pan");
            click(ui.button("Fit").clicked(), Action::FitView);
            click(ui.button("Undo").clicked(), Action::Undo);
            ui.menu_button("Brush", |ui| {
                ui.add(egui::Slider::new(&mut self.view.brush_radius, 1.0..=40.0).text("radius"));
                ui.add(
                    egui::Slider::new(&mut self.view.brush_strength, 0.05..=2.0).text("strength"),
                );
            });
            ui.separator();
            ui.toggle_value(self.show_editor, "WGSL editor");
        });
        ui.horizontal(|ui| {
            let label = ui.label("file");
            ui.add(egui::TextEdit::singleline(self.path).desired_width(240.0))
                .labelled_by(label.id)
                .on_hover_text(FILE_KINDS);
            click(
                ui.button("Browse…")
                    .on_hover_text("choose the file in a dialog")
                    .clicked(),
                Action::Browse,
            );
            click(
                ui.button("Open").on_hover_text(FILE_KINDS).clicked(),
                Action::Open,
            );
            click(
                ui.button("Save").on_hover_text(FILE_KINDS).clicked(),
                Action::Save,
            );
            let record = if self.recording {
                "Stop recording"
            } else {
                "Record"
            };
            let size = [112.0, ui.spacing().interact_size.y];
            click(
                ui.add_sized(size, egui::Button::new(record)).clicked(),
                Action::ToggleRecording,
            );
            click(ui.button("Screenshot").clicked(), Action::Screenshot);
        });
        actions
    }
}
