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
pub mod screenshot;
pub mod toolbar;

pub use app::{ViewerApp, ViewerOptions};

/// The window's title.
pub const WINDOW_TITLE: &str = "IDF viewer";

/// Opens the viewer window and runs it until it closes; in headless mode, an error that ended
/// the run (a diverged trajectory, a screenshot that could not be written) is returned.
pub fn run(options: ViewerOptions, size: [f32; 2]) -> anyhow::Result<()> {
    let native = eframe::NativeOptions {
        viewport: eframe::egui::ViewportBuilder::default()
            .with_title(WINDOW_TITLE)
            .with_inner_size(size),
        renderer: eframe::Renderer::Wgpu,
        ..Default::default()
    };
    let failure = std::sync::Arc::new(std::sync::Mutex::new(None::<String>));
    let slot = failure.clone();
    eframe::run_native(
        WINDOW_TITLE,
        native,
        Box::new(move |cc| {
            let app = ViewerApp::new(cc, options)?;
            Ok(Box::new(ReportOnExit { app, slot }))
        }),
    )
    .map_err(|e| anyhow::anyhow!("the viewer window failed: {e}"))?;
    let error = failure.lock().ok().and_then(|mut f| f.take());
    match error {
        Some(error) => Err(anyhow::anyhow!(error)),
        None => Ok(()),
    }
}

/// The app, handing its headless error to [`run`] when the window closes.
struct ReportOnExit {
    app: ViewerApp,
    slot: std::sync::Arc<std::sync::Mutex<Option<String>>>,
}

impl eframe::App for ReportOnExit {
    fn on_exit(&mut self) {
        self.app.on_exit();
        if let (Some(e), Ok(mut slot)) = (self.app.exit_error(), self.slot.lock()) {
            *slot = Some(e.to_string());
        }
    }

    fn ui(&mut self, ui: &mut eframe::egui::Ui, frame: &mut eframe::Frame) {
        self.app.ui(ui, frame);
    }
}
