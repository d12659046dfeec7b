//! The viewer application: panels around the live field (controls on the left, plots on the
//! right, the custom-energy editor below), the toolbar, the status bar with its recovery
//! actions, and the headless screenshot mode; files, recording and screenshots are in
//! `app/file_actions.rs`.

use std::path::{Path, PathBuf};

use eframe::egui;
use eframe::egui_wgpu::RenderState;
use idf::engine::energies::EnergyModel;
use idf::engine::method::Method;
use idf::engine::schedule::ScheduleKind;
use idf::jobs::render::job::render_job;
use idf::{Context, Scene};

use crate::controls;
use crate::editor::{EditorLoad, EnergyEditor};
use crate::field_view::{self, FieldTexture, ViewState};
use crate::files::Recording;
use crate::live::{Live, Settings};
use crate::screenshot::PendingScreenshot;
use crate::toolbar::{self, Action};

mod file_actions;

/// How the viewer starts.
#[derive(Clone, Debug, Default)]
pub struct ViewerOptions {
    /// A scene to open instead of the embedded default.
    pub scene: Option<PathBuf>,
    /// Headless mode: frames to run before the screenshot.
    pub frames: Option<u64>,
    /// Headless mode: where the screenshot of the whole window goes; the viewer then exits.
    pub screenshot: Option<PathBuf>,
    /// Start playing at once.
    pub play: bool,
}

/// The viewer.
pub struct ViewerApp {
    render_state: RenderState,
    live: Live,
    texture: FieldTexture,
    title: String,
    playing: bool,
    step_once: bool,
    view: ViewState,
    editor: EnergyEditor,
    show_editor: bool,
    path: String,
    recording: Option<Recording>,
    message: Option<(String, bool)>,
    headless: Option<(u64, PathBuf)>,
    frames_run: u64,
    screenshot: Option<PendingScreenshot>,
    next_seed: u32,
    /// Headless mode: the error that ends the run (the window closes and `run` returns it).
    exit_error: Option<String>,
    /// The run diverged and waits for Recover or Reset (the status bar offers both).
    diverged: bool,
    /// The width the plots were last drawn in.
    plot_width: f32,
    /// Seconds the last interface frame took (the live pace a recording keeps).
    frame_dt: f32,
    /// The file dialog, while it is open: its choice goes into the file field.
    dialog: Option<egui_file::FileDialog>,
}

impl ViewerApp {
    /// Builds the app on eframe's wgpu device, which the simulation shares.
    pub fn new(cc: &eframe::CreationContext<'_>, options: ViewerOptions) -> anyhow::Result<Self> {
        let render_state = cc.wgpu_render_state.clone().ok_or_else(|| {
            anyhow::anyhow!("idf-viewer needs eframe's wgpu renderer (no wgpu render state)")
        })?;
        let ctx = Context::from_wgpu(
            &render_state.adapter,
            render_state.device.clone(),
            render_state.queue.clone(),
        );
        let scene = match &options.scene {
            Some(path) => Scene::load(path)?,
            None => Scene::default_scene(),
        };
        let job = render_job(&scene)?;
        let shape = job.shape;
        let texture = FieldTexture::new(&render_state, (shape.width as u32, shape.height as u32))?;
        let mut live = Live::new(ctx, &scene, &job)?;
        // Scripts and docs get the same picture on every machine: the scene's own pace.
        if options.screenshot.is_some() {
            live.settings.adaptive = false;
        }
        let mut app = ViewerApp {
            render_state,
            live,
            texture,
            title: job.title.clone(),
            playing: options.play || options.screenshot.is_some(),
            step_once: false,
            view: ViewState::default(),
            editor: EnergyEditor::default(),
            show_editor: false,
            path: "idf-scene.yaml".to_string(),
            recording: None,
            message: None,
            headless: options
                .screenshot
                .map(|p| (options.frames.unwrap_or(60), p)),
            frames_run: 0,
            screenshot: None,
            exit_error: None,
            next_seed: job.seed.wrapping_add(1),
            diverged: false,
            plot_width: 0.0,
            frame_dt: 1.0 / 30.0,
            dialog: None,
        };
        app.redraw();
        Ok(app)
    }

    /// The file field: the path Open, Save, Record and Screenshot use.
    pub fn file_field(&self) -> &str {
        &self.path
    }

    /// Sets the file field.
    pub fn set_file_field(&mut self, path: impl Into<String>) {
        self.path = path.into();
    }

    /// Headless mode: the error that ended the run, if one did.
    pub fn exit_error(&self) -> Option<&str> {
        self.exit_error.as_deref()
    }

    /// The running trajectory.
    pub fn live(&self) -> &Live {
        &self.live
    }

    /// The running trajectory, mutably.
    pub fn live_mut(&mut self) -> &mut Live {
        &mut self.live
    }

    /// Whether the trajectory advances every frame.
    pub fn is_playing(&self) -> bool {
        self.playing
    }

    /// Frames the simulation has advanced since start.
    pub fn frames_run(&self) -> u64 {
        self.frames_run
    }

    /// The editor pane.
    pub fn editor(&self) -> &EnergyEditor {
        &self.editor
    }

    /// The width the plots were last drawn in (each plot is as wide).
    pub fn plot_width(&self) -> f32 {
        self.plot_width
    }

    /// The field view's state: zoom, tool, the site under the cursor.
    pub fn view(&self) -> &ViewState {
        &self.view
    }

    /// The status line: the last message and whether it is an error.
    pub fn message(&self) -> Option<&(String, bool)> {
        self.message.as_ref()
    }

    /// Shows or hides the custom-energy editor.
    pub fn set_editor_open(&mut self, open: bool) {
        self.show_editor = open;
    }

    fn say(&mut self, text: impl Into<String>) {
        self.message = Some((text.into(), false));
    }

    fn fail(&mut self, text: impl Into<String>) {
        self.message = Some((text.into(), true));
    }

    /// A fresh start ends a divergence: its message and its Recover button go.
    fn clear_divergence(&mut self) {
        if std::mem::take(&mut self.diverged) {
            self.message = None;
        }
    }

    /// Refuses a field this device cannot show, before it replaces the running one.
    fn check_fits(&self, shape: idf::Shape) -> idf::Result<()> {
        field_view::check_fits(&self.render_state.device, (shape.width, shape.height))
    }

    fn redraw(&mut self) {
        let shape = self.live.simulation().shape();
        let size = (shape.width as u32, shape.height as u32);
        if self.texture.size() != size {
            // Sizes are checked against the device before a field is opened.
            match FieldTexture::new(&self.render_state, size) {
                Ok(texture) => {
                    self.texture.free(&self.render_state);
                    self.texture = texture;
                }
                Err(e) => return self.fail(format!("cannot show the field: {e}")),
            }
            self.view = ViewState {
                tool: self.view.tool,
                ..ViewState::default()
            };
        }
        let map = self.live.settings.colormap;
        if let Err(e) = self.texture.update(&mut self.live, map) {
            self.fail(format!("drawing the field failed: {e}"));
        }
    }

    /// Opens a scene file: a new trajectory with its model, run and look.
    pub fn open_scene(&mut self, path: &Path) -> idf::Result<()> {
        let scene = Scene::load(path)?;
        let job = render_job(&scene)?;
        self.check_fits(job.shape)?;
        let live = Live::new(self.live.context().clone(), &scene, &job)?;
        self.live = live;
        self.title = job.title;
        self.next_seed = job.seed.wrapping_add(1);
        // A new scene is seen whole, not through the last one's zoom.
        self.view.fit();
        self.redraw();
        Ok(())
    }

    /// Starts a trajectory of a built-in energy (or the editor's custom one) with its defaults,
    /// on a field of the current size.
    pub fn switch_energy(&mut self, name: &str) -> idf::Result<()> {
        let model = if name == "custom" {
            let ctx = self.live.context().clone();
            let energy = match self.editor.energy() {
                Some(e) => e.clone(),
                None => self.editor.validate(&ctx).ok_or_else(|| {
                    idf::IdfError::invalid("custom", "the editor's WGSL does not validate")
                })?,
            };
            self.show_editor = true;
            EnergyModel::Custom(energy)
        } else {
            EnergyModel::from_params(name, &[])?
        };
        let shape = self.live.initial_shape();
        let method = controls::methods_for(&model)
            .into_iter()
            .next()
            .unwrap_or(Method::Langevin);
        let temperature = model.default_temperature();
        let settings = Settings {
            step_size: model.default_step_size(method, temperature),
            method,
            temperature,
            schedule: ScheduleKind::Constant,
            t_start: 10.0 * temperature.max(0.1),
            schedule_steps: 5000,
            model: model.clone(),
            ..self.live.settings.clone()
        };
        let seed = self.live.seed();
        let initial = model.initial_field(shape, seed)?;
        let scene = Scene {
            title: Some(name.to_string()),
            ..Scene::default()
        };
        self.live =
            Live::with_settings(self.live.context().clone(), scene, settings, initial, seed)?;
        self.title = name.to_string();
        self.view.fit();
        self.redraw();
        Ok(())
    }

    /// Applies changed settings to the running trajectory.
    pub fn apply_settings(&mut self, settings: Settings) {
        if let Err(e) = self.live.apply(settings) {
            self.fail(e.to_string());
        }
        self.redraw();
    }

    /// Loads a custom energy into the running trajectory, keeping the field and the values of
    /// parameters that keep their names. The step size stays through edits of one energy and
    /// becomes the new energy's stable default when its declared curvature changes.
    pub fn load_custom(&mut self, mut energy: idf::engine::energies::custom::CustomEnergy) {
        let mut same_curvature = false;
        if let EnergyModel::Custom(old) = &self.live.settings.model {
            same_curvature = old.curvature == energy.curvature;
            for p in &mut energy.params {
                if let Some(o) = old.params.iter().find(|o| o.name == p.name) {
                    p.value = o.value.clamp(p.min, p.max);
                }
            }
        }
        let mut settings = self.live.settings.clone();
        let before = settings.clone();
        settings.model = EnergyModel::Custom(energy);
        let supported = controls::methods_for(&settings.model).contains(&settings.method);
        if !supported {
            settings.method = Method::Langevin;
        }
        if !supported || !same_curvature {
            settings.step_size = settings
                .model
                .default_step_size(settings.method, settings.temperature);
        }
        match self.live.apply(settings) {
            Ok(()) => {
                self.live.remember_settings(before);
                self.say("custom energy loaded into the running trajectory (Ctrl+Z takes it back)");
            }
            Err(e) => self.fail(format!("custom energy not loaded: {e}")),
        }
    }

    /// Advances one frame; while recording, the frames the recording's pace has made due, each
    /// one frame's steps and recorded.
    pub fn advance_frame(&mut self) {
        let Some(rec) = &mut self.recording else {
            let result = self.live.advance_frame();
            return self.after_advance(result);
        };
        for _ in 0..rec.frames_due() {
            let Some(rec) = &self.recording else { break };
            // A reset takes the step back: never more than one frame's steps at once.
            let n =
                (rec.next_step().saturating_sub(self.live.step())).clamp(1, rec.steps_per_frame());
            let result = self.live.advance(n);
            let failed = result.is_err();
            self.after_advance(result);
            if failed {
                break;
            }
        }
    }

    /// Advances exactly one step (the Step button), shown and recorded as a frame.
    fn advance_one_step(&mut self) {
        let result = self.live.advance(1);
        self.after_advance(result);
    }

    /// Counts, records and shows an advance, or pauses on its error.
    fn after_advance(&mut self, result: idf::Result<()>) {
        match result {
            Ok(()) => {
                self.frames_run += 1;
                if std::mem::take(&mut self.diverged) {
                    // Good steps again: the divergence no longer describes the run.
                    self.message = None;
                }
                if let Some(rec) = &mut self.recording {
                    if let Err(e) = rec.push(&mut self.live) {
                        self.finish_recording(Some(e));
                    }
                }
            }
            Err(e) => {
                self.playing = false;
                match &e {
                    idf::IdfError::Diverged {
                        step,
                        step_size,
                        suggested,
                        ..
                    } => {
                        self.diverged = true;
                        self.fail(format!(
                            "paused: the field became NaN or infinite at step {step} with step \
                             size {step_size}. Recover halves the step size and continues from \
                             step {}, the last finite field; Reset starts again. Step sizes of \
                             {suggested:.3} or less keep this energy stable.",
                            self.live.last_finite_step()
                        ));
                    }
                    _ => self.fail(format!("paused: {e}")),
                }
                if self.headless.is_some() {
                    self.exit_error = Some(e.to_string());
                }
            }
        }
        self.redraw();
    }

    fn toolbar(&mut self, ui: &mut egui::Ui) {
        let mut bar = toolbar::Toolbar {
            playing: self.playing,
            recording: self.recording.is_some(),
            title: &self.title,
            view: &mut self.view,
            show_editor: &mut self.show_editor,
            path: &mut self.path,
        };
        for action in bar.ui(ui) {
            self.act(action);
        }
    }

    /// Carries out what the toolbar asked for.
    fn act(&mut self, action: Action) {
        let result = match action {
            Action::TogglePlay => {
                self.playing = !self.playing;
                Ok(())
            }
            Action::Step => {
                self.step_once = true;
                Ok(())
            }
            Action::Reset => self.live.reset().map(|()| self.clear_divergence()),
            Action::FitView => {
                self.view.fit();
                Ok(())
            }
            Action::Undo => self.live.undo().map(|undone| {
                match undone {
                    Some(what) => self.say(format!("undid {what}")),
                    None => self.say("nothing to undo"),
                }
                self.redraw();
            }),
            Action::Recover => self.live.recover().map(|step_size| {
                self.diverged = false;
                self.say(format!(
                    "recovered: step size {step_size}, continuing from step {}",
                    self.live.last_finite_step()
                ));
                self.playing = true;
            }),
            Action::Reseed => {
                let seed = self.next_seed;
                self.next_seed = seed.wrapping_add(1);
                self.live.reseed(seed).map(|()| self.clear_divergence())
            }
            Action::OpenScene(path) => self.open_scene(&path).map(|()| self.clear_divergence()),
            Action::SwitchEnergy(name) => {
                self.switch_energy(name).map(|()| self.clear_divergence())
            }
            Action::Open => {
                self.open_path();
                Ok(())
            }
            Action::Save => {
                self.save_path();
                Ok(())
            }
            Action::ToggleRecording => {
                self.toggle_recording();
                Ok(())
            }
            Action::Browse => {
                self.open_dialog();
                Ok(())
            }
            Action::Screenshot => {
                // The file field's path when it names a PNG, else a numbered file here.
                let typed = PathBuf::from(self.path.trim());
                let path = if typed.extension().is_some_and(|e| e == "png") {
                    typed
                } else {
                    PathBuf::from(format!("idf-screenshot-{}.png", self.live.step()))
                };
                self.request_screenshot(path, false);
                Ok(())
            }
        };
        if let Err(e) = result {
            self.fail(e.to_string());
        }
        self.redraw();
    }

    fn status_bar(&mut self, ui: &mut egui::Ui) {
        ui.horizontal(|ui| {
            let dt = ui.input(|i| i.stable_dt).max(1e-3);
            ui.label(format!(
                "step {} · T = {:.4} · zoom ×{:.1} · {} steps/frame · {:.0} fps · {}",
                self.live.step(),
                self.live.temperature(),
                self.view.zoom,
                self.live.steps_per_frame(),
                1.0 / dt,
                self.live.context().describe()
            ));
            if let Some((x, y, v)) = self.view.readout {
                ui.separator();
                ui.monospace(format!("({x}, {y}) = {v:.5}"));
            }
            if let Some(rec) = &self.recording {
                ui.separator();
                ui.colored_label(
                    egui::Color32::from_rgb(235, 90, 80),
                    format!("REC {} frames", rec.frames()),
                );
            }
        });
        // The app's own message, in the viewer's terms, before the library's.
        let red = egui::Color32::from_rgb(235, 90, 80);
        if let Some((m, is_error)) = &self.message {
            let color = if *is_error {
                red
            } else {
                ui.visuals().text_color()
            };
            ui.colored_label(color, m.as_str());
        } else if let Some(e) = self.live.last_error() {
            ui.colored_label(red, e.to_string());
        }
        if self.diverged {
            ui.horizontal(|ui| {
                if ui.button("Recover").clicked() {
                    self.act(Action::Recover);
                }
                if ui.button("Reset").clicked() {
                    self.act(Action::Reset);
                }
            });
        }
    }
}

impl eframe::App for ViewerApp {
    fn on_exit(&mut self) {
        // Closing the window with a recording running keeps what was recorded.
        if self.recording.is_some() {
            self.finish_recording(None);
            if let Some((message, _)) = &self.message {
                eprintln!("idf-viewer: {message}");
            }
        }
    }

    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        let ctx = ui.ctx().clone();
        if self.exit_error.is_some() {
            ctx.send_viewport_cmd(egui::ViewportCommand::Close);
            return;
        }
        self.frame_dt = ctx.input(|i| i.stable_dt).max(1e-3);
        if ctx.input(|i| i.key_pressed(egui::Key::Space)) && !ctx.egui_wants_keyboard_input() {
            self.playing = !self.playing;
        }
        // Ctrl+Z outside the editor (whose own undo takes text edits back).
        if ctx.input(|i| i.modifiers.command && i.key_pressed(egui::Key::Z))
            && !ctx.egui_wants_keyboard_input()
        {
            self.act(Action::Undo);
        }
        let headless_done = self
            .headless
            .as_ref()
            .is_some_and(|(frames, _)| self.frames_run >= *frames);
        if self.playing && !headless_done {
            self.advance_frame();
        } else if std::mem::take(&mut self.step_once) {
            self.advance_one_step();
        }
        if headless_done && self.screenshot.is_none() {
            if let Some((_, path)) = self.headless.take() {
                self.playing = false;
                self.request_screenshot(path, true);
            }
        }
        self.handle_screenshot(&ctx);
        self.show_dialog(&ctx);
        // Captures show the field, not the cursor over it.
        self.view.capturing = self.screenshot.is_some();

        egui::Panel::top("toolbar").show(ui, |ui| self.toolbar(ui));
        egui::Panel::bottom("status").show(ui, |ui| self.status_bar(ui));
        let mut settings = self.live.settings.clone();
        // The side panels give way on small windows, so the field stays the largest thing shown.
        let width = ui.available_width();
        egui::Panel::left("controls")
            .resizable(true)
            .default_size((0.22 * width).clamp(190.0, 270.0))
            .show(ui, |ui| {
                egui::ScrollArea::vertical().show(ui, |ui| controls::ui(ui, &mut settings));
            });
        if settings.method != self.live.settings.method {
            settings.step_size = settings
                .model
                .default_step_size(settings.method, settings.temperature);
        }
        if settings != self.live.settings {
            self.apply_settings(settings);
        }
        egui::Panel::right("plots")
            .resizable(true)
            .default_size((0.25 * width).clamp(200.0, 330.0))
            .show(ui, |ui| {
                self.plot_width = ui.available_width();
                crate::plots::ui(ui, &self.live)
            });
        if self.show_editor {
            let gpu = self.live.context().clone();
            let mut load = None;
            egui::Panel::bottom("editor")
                .resizable(true)
                .default_size(300.0)
                .show(ui, |ui| load = self.editor.ui(ui, &gpu));
            match load {
                Some(EditorLoad::Apply(energy)) => self.load_custom(energy),
                Some(EditorLoad::HotReload(energy)) => {
                    if matches!(self.live.settings.model, EnergyModel::Custom(_)) {
                        self.load_custom(energy);
                    } else {
                        // The running scene keeps its energy until the user asks.
                        self.say(format!(
                            "valid WGSL: Apply runs it in place of {}",
                            self.live.settings.model.name()
                        ));
                    }
                }
                None => {}
            }
        }
        egui::CentralPanel::default().show(ui, |ui| {
            match field_view::show(ui, &self.texture, &mut self.live, &mut self.view) {
                // Playing redraws every frame anyway.
                Ok(true) if !self.playing => self.redraw(),
                Ok(_) => {}
                Err(e) => self.fail(format!("painting failed: {e}")),
            }
        });
        if self.playing || self.headless.is_some() || self.screenshot.is_some() {
            ctx.request_repaint();
        }
    }
}
