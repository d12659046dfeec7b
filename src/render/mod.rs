//! Pictures and videos of runs: colormaps on the backend, frames with an overlay of energy and
//! entropy, and encoders (H.264 .mp4, GIF, PNG sequences).

pub mod colormap;
