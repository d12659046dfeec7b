//! The controls pane: a slider for every parameter of the energy, the temperature, the step
//! size, the integrator, the schedule and the look. Sliders clamp only what the user enters
//! (but for a custom energy's declared ranges, which always hold): a scene's value outside a
//! slider's range stays as it is. It edits a copy of the settings; the app
//! applies the copy to the running trajectory when it differs.

use eframe::egui;
use idf::engine::energies::EnergyModel;
use idf::engine::method::Method;
use idf::engine::schedule::ScheduleKind;
use idf::kernels::{ColorRange, Colormap};

use crate::live::Settings;

/// The integrators offered for a model: those its energy supports.
pub fn methods_for(model: &EnergyModel) -> Vec<Method> {
    // The equilibrium integrators and annealing the energy supports; DDPM and DDIM run a
    // whole reverse process, not a trajectory.
    model
        .spec()
        .methods
        .iter()
        .copied()
        .filter(|m| !matches!(m, Method::Ddpm | Method::Ddim))
        .collect()
}

/// A logarithmic slider for a positive quantity.
fn log_slider(
    ui: &mut egui::Ui,
    value: &mut f32,
    range: std::ops::RangeInclusive<f32>,
    text: &str,
) {
    ui.add(
        egui::Slider::new(value, range)
            .logarithmic(true)
            .clamping(egui::SliderClamping::Edits)
            .text(text),
    );
}

/// Draws the controls over `settings`.
pub fn ui(ui: &mut egui::Ui, settings: &mut Settings) {
    ui.strong(format!("Energy: {}", settings.model.name()));
    // Every scalar parameter the energy's host file declares, over its slider range; a
    // custom energy's declared ranges always hold.
    for param in settings.model.params() {
        let clamping = if param.strict {
            egui::SliderClamping::Always
        } else {
            egui::SliderClamping::Edits
        };
        let mut value = param.value;
        let (lo, hi) = param.range;
        let slider = egui::Slider::new(&mut value, lo..=hi)
            .clamping(clamping)
            .text(param.name.as_str());
        if ui.add(slider).changed() {
            // A value the energy refuses (NaN typed in) keeps the old one.
            let _ = settings.model.set_value(&param.name, value);
        }
    }
    ui.separator();
    ui.strong("Dynamics");
    egui::ComboBox::from_label("integrator")
        .selected_text(settings.method.name())
        .show_ui(ui, |ui| {
            for m in methods_for(&settings.model) {
                ui.selectable_value(&mut settings.method, m, m.name());
            }
        });
    ui.add(
        egui::Slider::new(&mut settings.temperature, 0.0..=5.0)
            .clamping(egui::SliderClamping::Edits)
            .text("temperature T"),
    );
    log_slider(ui, &mut settings.step_size, 1e-4..=2.0, "step size η");
    // Explicit dynamics have a stability bound; a Metropolis width does not.
    if settings.method != Method::Metropolis && !settings.model.state().is_discrete() {
        let stable = settings.model.stable_step_size();
        let text = format!("stable for η ≤ {stable:.3}");
        if settings.step_size > stable {
            ui.colored_label(
                egui::Color32::from_rgb(235, 90, 80),
                format!("{text}: η is past it"),
            );
        } else {
            ui.weak(text);
        }
    }
    if settings.method == Method::Hmc {
        ui.add(
            egui::Slider::new(&mut settings.leapfrog_steps, 1..=50)
                .clamping(egui::SliderClamping::Edits)
                .text("leapfrog steps"),
        );
    }
    egui::ComboBox::from_label("schedule")
        .selected_text(settings.schedule.name())
        .show_ui(ui, |ui| {
            for k in [
                ScheduleKind::Constant,
                ScheduleKind::Linear,
                ScheduleKind::Geometric,
                ScheduleKind::Cosine,
            ] {
                ui.selectable_value(&mut settings.schedule, k, k.name());
            }
        });
    if settings.schedule != ScheduleKind::Constant {
        ui.add(
            egui::Slider::new(&mut settings.t_start, 0.01..=20.0)
                .clamping(egui::SliderClamping::Edits)
                .text("start T"),
        );
        ui.add(
            egui::Slider::new(&mut settings.schedule_steps, 10..=100_000)
                .logarithmic(true)
                .clamping(egui::SliderClamping::Edits)
                .text("schedule steps"),
        );
    }
    ui.checkbox(&mut settings.adaptive, "adapt steps per frame");
    ui.add_enabled(
        !settings.adaptive,
        egui::Slider::new(&mut settings.steps_per_frame, 1..=4096)
            .logarithmic(true)
            .clamping(egui::SliderClamping::Edits)
            .text("steps per frame"),
    );
    ui.separator();
    ui.strong("Look");
    egui::ComboBox::from_label("colormap")
        .selected_text(settings.colormap.name())
        .show_ui(ui, |ui| {
            for m in Colormap::ALL {
                ui.selectable_value(&mut settings.colormap, m, m.name());
            }
        });
    let range_name = match settings.range {
        ColorRange::PerFrame => "auto",
        ColorRange::Symmetric => "symmetric",
        ColorRange::Fixed(..) => "fixed",
    };
    egui::ComboBox::from_label("range")
        .selected_text(range_name)
        .show_ui(ui, |ui| {
            ui.selectable_value(&mut settings.range, ColorRange::PerFrame, "auto");
            ui.selectable_value(&mut settings.range, ColorRange::Symmetric, "symmetric");
            if !matches!(settings.range, ColorRange::Fixed(..))
                && ui.selectable_label(false, "fixed").clicked()
            {
                settings.range = ColorRange::Fixed(-1.0, 1.0);
            }
        });
    if let ColorRange::Fixed(lo, hi) = &mut settings.range {
        ui.add(
            egui::Slider::new(lo, -5.0..=5.0)
                .clamping(egui::SliderClamping::Edits)
                .text("low"),
        );
        ui.add(
            egui::Slider::new(hi, -5.0..=5.0)
                .clamping(egui::SliderClamping::Edits)
                .text("high"),
        );
        if *hi <= *lo {
            *hi = *lo + 0.01;
        }
    }
}
