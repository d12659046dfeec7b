//! Jobs: what `idf` and the HTTP API run end to end, each from one request type, the
//! [`Scene`](scene::Scene): sampling, optimisation, rendering, the energy-law suite, the
//! physics baseline; and the project configuration (`idf.yaml`) with its deployment values.

pub mod baseline;
pub mod checkpoint;
pub mod config;
pub mod dataset;
#[cfg(feature = "neural")]
pub mod denoiser;
pub mod deploy;
pub mod elf;
pub mod molecular;
pub mod optimize;
pub mod placement;
pub mod plasma;
pub mod render;
pub mod sample;
pub mod scene;
pub mod train;
