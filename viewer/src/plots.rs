//! The plots pane: energy, entropy, ΔE, ΔS, acceptance and magnetization over the trajectory's
//! frames (egui_plot), and the energy-law verdict of the run so far.

use eframe::egui;
use egui_plot::{Line, Plot, PlotPoints};

use idf::Method;

use crate::live::{LawVerdict, Live, Sample};

/// One plotted series: its title and how to read it from a frame's sample.
struct Series {
    title: &'static str,
    value: fn(&Sample) -> f64,
    color: egui::Color32,
}

const SERIES: [Series; 6] = [
    Series {
        title: "energy per site E/N",
        value: |s| s.energy,
        color: egui::Color32::from_rgb(240, 160, 70),
    },
    Series {
        title: "entropy S (value histogram)",
        value: |s| s.entropy,
        color: egui::Color32::from_rgb(110, 190, 240),
    },
    Series {
        title: "ΔE per frame",
        value: |s| s.delta_energy,
        color: egui::Color32::from_rgb(240, 120, 110),
    },
    Series {
        title: "ΔS per frame",
        value: |s| s.delta_entropy,
        color: egui::Color32::from_rgb(150, 140, 240),
    },
    Series {
        title: "acceptance",
        value: |s| s.acceptance,
        color: egui::Color32::from_rgb(120, 210, 130),
    },
    Series {
        title: "magnetization (mean of x)",
        value: |s| s.magnetization,
        color: egui::Color32::from_rgb(220, 220, 120),
    },
];

/// Whether `live`'s integrator accepts or rejects proposals (so that an acceptance exists).
fn has_acceptance(live: &Live) -> bool {
    let s = &live.settings;
    matches!(s.method, Method::Mala | Method::Hmc | Method::Metropolis)
        || s.model.uses_metropolis(s.method)
}

/// Draws the verdict and the plots that apply to the current integrator (acceptance only where
/// proposals can be rejected).
pub fn ui(ui: &mut egui::Ui, live: &Live) {
    verdict(ui, live);
    ui.separator();
    let history = live.history();
    let shown: Vec<&Series> = SERIES
        .iter()
        .filter(|s| s.title != "acceptance" || has_acceptance(live))
        .collect();
    let n = shown.len() as f32;
    let height = ((ui.available_height() - n * 22.0) / n).clamp(50.0, 140.0);
    egui::ScrollArea::vertical().show(ui, |ui| {
        for series in shown {
            ui.label(series.title);
            let points: Vec<[f64; 2]> = history
                .iter()
                .map(|s| [s.step as f64, (series.value)(s)])
                .filter(|p| p[1].is_finite())
                .collect();
            Plot::new(series.title)
                .height(height)
                .allow_scroll(false)
                .allow_drag(false)
                .allow_zoom(false)
                .show_x(true)
                .show(ui, |plot| {
                    plot.line(
                        Line::new(series.title, PlotPoints::from(points)).color(series.color),
                    );
                });
        }
    });
}

fn verdict(ui: &mut egui::Ui, live: &Live) {
    let since = live.verdict_since();
    match live.verdict() {
        LawVerdict::NoLaw => {
            ui.label(format!(
                "ELF: no energy law applies since step {since} (energy descent applies at T = 0; \
                 mass conservation and the second law to heat flow)"
            ));
        }
        LawVerdict::Held { laws } => {
            ui.colored_label(
                egui::Color32::from_rgb(110, 200, 120),
                format!("ELF 100%: {} held since step {since}", laws.join(", ")),
            );
        }
        LawVerdict::Failed { elf, violation } => {
            ui.colored_label(
                egui::Color32::from_rgb(235, 90, 80),
                format!("ELF {:.0}%: {violation}", elf * 100.0),
            );
        }
    }
}
