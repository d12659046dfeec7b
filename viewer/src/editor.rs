//! The custom-energy editor: a WGSL pane whose every edit is validated with naga (the error's
//! line and column show inline, and the running simulation is left alone), hot-reloaded into
//! a running custom energy when valid (another energy is replaced only by Apply), and checked
//! against finite differences of its energy.

use std::time::{Duration, Instant};

use eframe::egui;
use idf::engine::energies::custom::{CustomEnergy, TEMPLATE};
use idf::engine::gradient_check::{gradient_check, GradientCheck};
use idf::gpu::shader::ShaderDiagnostic;
use idf::Context;

/// Quiet time after the last keystroke before an edit is validated.
const DEBOUNCE: Duration = Duration::from_millis(400);

/// An edit time whose quiet time is already over: the text is validated on the next frame.
fn quiet_already() -> Option<Instant> {
    let now = Instant::now();
    Some(now.checked_sub(DEBOUNCE).unwrap_or(now))
}

/// What the editor knows of its current text.
#[derive(Clone, Debug, PartialEq)]
pub enum EditorStatus {
    /// Not validated yet.
    Pending,
    /// naga (or a directive) refused it.
    Invalid(ShaderDiagnostic),
    /// Valid; with the gradient check, when it ran.
    Valid {
        /// Parameters declared.
        params: usize,
        /// Gradient against finite differences.
        check: Option<GradientCheck>,
        /// Why the check could not run.
        check_error: Option<String>,
    },
}

/// The editor's state.
pub struct EnergyEditor {
    /// The WGSL text.
    pub source: String,
    /// Whether a valid edit goes straight into a running custom energy.
    pub hot_reload: bool,
    status: EditorStatus,
    edited_at: Option<Instant>,
    valid: Option<CustomEnergy>,
    user_edited: bool,
}

/// The id of the source's text field (its cursor is kept in egui's memory under it).
pub const SOURCE_ID: &str = "custom-energy-source";

/// What the editor hands the app.
#[derive(Clone, Debug)]
pub enum EditorLoad {
    /// "Apply" was pressed: run this energy in place of the current one.
    Apply(CustomEnergy),
    /// A valid edit under hot reload: it updates a running custom energy, and replaces no
    /// other energy unless the user asks.
    HotReload(CustomEnergy),
}

impl Default for EnergyEditor {
    fn default() -> Self {
        EnergyEditor {
            source: TEMPLATE.to_string(),
            hot_reload: true,
            status: EditorStatus::Pending,
            edited_at: quiet_already(),
            valid: None,
            user_edited: false,
        }
    }
}

impl EnergyEditor {
    /// The status of the current text.
    pub fn status(&self) -> &EditorStatus {
        &self.status
    }

    /// Replaces the text (as if typed) and validates it at once.
    pub fn set_source(&mut self, ctx: &Context, source: &str) -> Option<CustomEnergy> {
        self.source = source.to_string();
        self.validate(ctx)
    }

    /// Validates the text now: naga first, then the gradient check on `ctx`. Returns the energy
    /// when it is valid.
    pub fn validate(&mut self, ctx: &Context) -> Option<CustomEnergy> {
        self.edited_at = None;
        match CustomEnergy::parse(&self.source) {
            Err(d) => {
                self.status = EditorStatus::Invalid(d);
                self.valid = None;
                None
            }
            Ok(energy) => {
                let (check, check_error) = match gradient_check(ctx, &energy) {
                    Ok(c) => (Some(c), None),
                    Err(e) => (None, Some(e.to_string())),
                };
                self.status = EditorStatus::Valid {
                    params: energy.params.len(),
                    check,
                    check_error,
                };
                self.valid = Some(energy.clone());
                Some(energy)
            }
        }
    }

    /// The last valid energy.
    pub fn energy(&self) -> Option<&CustomEnergy> {
        self.valid.as_ref()
    }

    /// Draws the pane. Returns an energy to load into the simulation: a press of "Apply", or a
    /// valid edit under hot reload.
    pub fn ui(&mut self, ui: &mut egui::Ui, ctx: &Context) -> Option<EditorLoad> {
        let mut load = None;
        let title = ui
            .horizontal(|ui| {
                let title = ui.strong("Custom energy (WGSL)");
                ui.checkbox(&mut self.hot_reload, "hot reload");
                if ui
                    .add_enabled(self.valid.is_some(), egui::Button::new("Apply"))
                    .clicked()
                {
                    load = self.valid.clone().map(EditorLoad::Apply);
                }
                if ui.button("Template").clicked() {
                    self.source = TEMPLATE.to_string();
                    self.user_edited = true;
                    self.edited_at = quiet_already();
                }
                title.id
            })
            .inner;
        if let Some((line, column)) = self.status_line(ui) {
            self.go_to(ui.ctx(), line, column);
        }
        let lines = self.source.lines().count().max(1);
        let edit = egui::ScrollArea::vertical()
            .max_height(ui.available_height())
            .show(ui, |ui| {
                ui.horizontal_top(|ui| {
                    // Line numbers, in the editor's font so that they line up with its rows.
                    let numbers: Vec<String> = (1..=lines).map(|n| format!("{n:>3}")).collect();
                    ui.add_space(2.0);
                    ui.vertical(|ui| {
                        ui.add_space(2.0);
                        ui.label(egui::RichText::new(numbers.join("\n")).monospace().weak());
                    });
                    ui.add(
                        egui::TextEdit::multiline(&mut self.source)
                            .code_editor()
                            .desired_width(f32::INFINITY)
                            .desired_rows(14)
                            .id(egui::Id::unique(SOURCE_ID)),
                    )
                    .labelled_by(title)
                })
                .inner
            })
            .inner;
        if edit.changed() {
            self.user_edited = true;
            self.edited_at = Some(Instant::now());
            self.status = EditorStatus::Pending;
        }
        if let Some(at) = self.edited_at {
            if at.elapsed() >= DEBOUNCE {
                let energy = self.validate(ctx);
                // Opening the pane validates the text but loads nothing until the user edits.
                if self.hot_reload && self.user_edited {
                    load = load.or(energy.map(EditorLoad::HotReload));
                }
            } else {
                ui.ctx().request_repaint_after(DEBOUNCE);
            }
        }
        load
    }

    /// Puts the source's cursor at `line`, `column` (1-based) and focuses it.
    fn go_to(&self, ctx: &egui::Context, line: usize, column: usize) {
        let id = egui::Id::unique(SOURCE_ID);
        let start: usize = self
            .source
            .lines()
            .take(line.saturating_sub(1))
            .map(|l| l.chars().count() + 1)
            .sum();
        let at = egui::text::CCursor::new(start + column.saturating_sub(1));
        let mut state = egui::TextEdit::load_state(ctx, id).unwrap_or_default();
        state
            .cursor
            .set_char_range(Some(egui::text::CCursorRange::one(at)));
        state.store(ctx, id);
        ctx.memory_mut(|m| m.request_focus(id));
    }

    /// Shows the validation status; returns the error's (line, column) when its message was
    /// clicked, to go there.
    fn status_line(&self, ui: &mut egui::Ui) -> Option<(usize, usize)> {
        let red = egui::Color32::from_rgb(235, 90, 80);
        let amber = egui::Color32::from_rgb(230, 180, 60);
        let green = egui::Color32::from_rgb(110, 200, 120);
        match &self.status {
            EditorStatus::Pending => {
                ui.weak("validating…");
            }
            EditorStatus::Invalid(d) => {
                let text = if d.line > 0 {
                    let line = if d.module == idf::engine::energies::custom::CUSTOM_MODULE {
                        self.source.lines().nth(d.line - 1).unwrap_or("").trim()
                    } else {
                        ""
                    };
                    format!(
                        "naga: {}.wgsl line {}, column {}: {}\n  {}",
                        d.module, d.line, d.column, d.message, line
                    )
                } else {
                    format!("naga: {}", d.message)
                };
                let in_source =
                    d.line > 0 && d.module == idf::engine::energies::custom::CUSTOM_MODULE;
                let label = egui::Label::new(egui::RichText::new(text).color(red))
                    .sense(egui::Sense::click());
                let clicked = ui
                    .add(label)
                    .on_hover_text("click to go to the line")
                    .clicked();
                if clicked && in_source {
                    return Some((d.line, d.column));
                }
            }
            EditorStatus::Valid {
                params,
                check,
                check_error,
            } => {
                ui.colored_label(green, format!("valid WGSL, {params} parameter(s)"));
                match (check, check_error) {
                    (Some(c), _) if c.passed() => {
                        ui.colored_label(
                            green,
                            format!(
                                "gradient matches finite differences (worst relative error {:.1e})",
                                c.error
                            ),
                        );
                    }
                    (Some(c), _) => {
                        ui.colored_label(
                            amber,
                            format!(
                                "warning: energy_gradient does not match the energy: at site {} it gives {:.4}, finite differences {:.4}",
                                c.site, c.gradient, c.finite_difference
                            ),
                        );
                    }
                    (None, Some(e)) => {
                        ui.colored_label(amber, format!("gradient check did not run: {e}"));
                    }
                    (None, None) => {}
                }
            }
        }
        None
    }
}
