//! The controls pane: a slider for every parameter of the energy, the temperature, the step
//! size, the integrator, the schedule and the look. Sliders clamp only what the user enters
//! (but for a custom energy's declared ranges, which always hold): a scene's value outside a
//! slider's range stays as it is. It edits a copy of the settings; the app
//! applies the copy to the running trajectory when it differs.

use eframe::egui;
use idf::core::diffusion_dynamics::{Method, ScheduleKind};
use idf::core::energy_field::EnergyModel;
use idf::render::colormap::{ColorRange, Colormap};

use crate::live::Settings;

/// A parameter of the energy as a slider: its label, range and a way to reach its value.
pub struct ParamSlider {
    /// The parameter's name.
    pub name: String,
    /// Slider range.
    pub range: std::ops::RangeInclusive<f32>,
}

/// The sliders of a model's parameters.
pub fn energy_sliders(model: &EnergyModel) -> Vec<ParamSlider> {
    let s = |name: &str, lo: f32, hi: f32| ParamSlider {
        name: name.to_string(),
        range: lo..=hi,
    };
    match model {
        EnergyModel::Phi4(_) => vec![
            s("kappa", 0.0, 2.0),
            s("a", -3.0, 3.0),
            s("b", 0.0, 3.0),
            s("h", -1.0, 1.0),
        ],
        EnergyModel::GuidedPhi4(..) => vec![
            s("kappa", 0.0, 2.0),
            s("a", -3.0, 3.0),
            s("b", 0.0, 3.0),
            s("h", -1.0, 1.0),
            s("lambda", 0.0, 5.0),
        ],
        EnergyModel::Ising(_) => vec![s("J", -2.0, 2.0), s("h", -1.0, 1.0)],
        EnergyModel::SwiftHohenberg(_) => vec![s("epsilon", -1.0, 1.0), s("g", -2.0, 2.0)],
        EnergyModel::Custom(c) => c.params.iter().map(|p| s(&p.name, p.min, p.max)).collect(),
        EnergyModel::Gmm(_) | EnergyModel::Graph(_) => Vec::new(),
    }
}

/// The value of parameter `name` of `model`.
pub fn param_mut<'m>(model: &'m mut EnergyModel, name: &str) -> Option<&'m mut f32> {
    match (model, name) {
        (EnergyModel::Phi4(p) | EnergyModel::GuidedPhi4(p, _), "kappa") => Some(&mut p.kappa),
        (EnergyModel::Phi4(p) | EnergyModel::GuidedPhi4(p, _), "a") => Some(&mut p.a),
        (EnergyModel::Phi4(p) | EnergyModel::GuidedPhi4(p, _), "b") => Some(&mut p.b),
        (EnergyModel::Phi4(p) | EnergyModel::GuidedPhi4(p, _), "h") => Some(&mut p.h),
        (EnergyModel::GuidedPhi4(_, g), "lambda") => Some(&mut g.lambda),
        (EnergyModel::Ising(p), "J") => Some(&mut p.j),
        (EnergyModel::Ising(p), "h") => Some(&mut p.h),
        (EnergyModel::SwiftHohenberg(p), "epsilon") => Some(&mut p.epsilon),
        (EnergyModel::SwiftHohenberg(p), "g") => Some(&mut p.g),
        (EnergyModel::Custom(c), name) => c
            .params
            .iter_mut()
            .find(|p| p.name == name)
            .map(|p| &mut p.value),
        _ => None,
    }
}

/// The integrators offered for a model: those its energy supports.
pub fn methods_for(model: &EnergyModel) -> Vec<Method> {
    let shape = idf::Shape::new(1, 1, 8, 8).expect("8×8 is a valid shape");
    [
        Method::Langevin,
        Method::Mala,
        Method::Hmc,
        Method::Metropolis,
        Method::Anneal,
    ]
    .into_iter()
    .filter(|m| model.check_method(*m, shape).is_ok())
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
    // A custom energy declares its parameters' ranges: those always hold.
    let clamping = if matches!(settings.model, EnergyModel::Custom(_)) {
        egui::SliderClamping::Always
    } else {
        egui::SliderClamping::Edits
    };
    for slider in energy_sliders(&settings.model) {
        if let Some(v) = param_mut(&mut settings.model, &slider.name) {
            ui.add(
                egui::Slider::new(v, slider.range)
                    .clamping(clamping)
                    .text(slider.name.as_str()),
            );
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
