// The work buffers as f32: `aux` (per-site scratch, or the trace of observables, as the dispatch
// binds it) and `momentum` (HMC). shared/packed_spins views binding 5 as u32 words instead.
// Keep in sync with the binding table in src/kernels/mod.rs.
#import shared/bindings

@group(0) @binding(5) var<storage, read_write> aux: array<f32>;
@group(0) @binding(6) var<storage, read_write> momentum: array<f32>;
