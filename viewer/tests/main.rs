//! The integration tests of `idf-viewer`, in one binary (one link of eframe, wgpu and FFmpeg):
//! the app under egui_kittest, the headless binary under Xvfb, the live trajectory and files.

mod common;

mod files;
mod headless;
mod live;
mod viewer;
