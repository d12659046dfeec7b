//! Pictures and videos of runs: colormaps on the backend, frames with an overlay of energy and
//! entropy, encoders (H.264 .mp4, GIF, PNG sequences), and the pipeline that overlaps
//! simulation, colouring and encoding.

pub mod colormap;
pub mod curves;
pub mod encode;
pub mod frame;
pub mod job;
pub mod layout;
pub mod overlay;
pub mod particles;
pub mod pipeline;
pub mod plasma;
