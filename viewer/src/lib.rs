//! `idf-viewer`: IDF's desktop explorer. An eframe app on the wgpu renderer that shares its
//! device with the engine ([`idf::Context::from_wgpu`]), so the simulation's field is coloured by
//! the colormap kernel straight into the texture egui draws. It runs a trajectory live, with
//! controls that apply while it runs, plots of its observables and energy-law verdict, painting,
//! zoom and a read-out, scene and field files, recording and screenshots, and an editor for
//! energies written in WGSL. The binary (`src/bin/idf-viewer.rs`) is a thin wrapper.

pub mod app;
pub mod controls;
pub mod editor;
pub mod field_view;
pub mod files;
pub mod live;
pub mod plots;

pub use app::{ViewerApp, ViewerOptions};

/// The window's title.
pub const WINDOW_TITLE: &str = "IDF viewer";

/// Opens the viewer window and runs it until it closes.
pub fn run(options: ViewerOptions, size: [f32; 2]) -> anyhow::Result<()> {
    let native = eframe::NativeOptions {
        viewport: eframe::egui::ViewportBuilder::default()
            .with_title(WINDOW_TITLE)
            .with_inner_size(size),
        renderer: eframe::Renderer::Wgpu,
        ..Default::default()
    };
    eframe::run_native(
        WINDOW_TITLE,
        native,
        Box::new(move |cc| {
            let app = ViewerApp::new(cc, options)?;
            Ok(Box::new(app))
        }),
    )
    .map_err(|e| anyhow::anyhow!("the viewer window failed: {e}"))
}
