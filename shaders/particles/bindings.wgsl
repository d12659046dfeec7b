// The particle kernels' bindings and parameters. Keep in sync with src/kernels/particles.rs
// (ParticleParams and the buffer layouts documented there).

struct ParticleParams {
    n: u32,
    chains: u32,
    species: u32,
    capacity: u32,
    cells: vec3<u32>,
    flags: u32,
    box_len: vec3<f32>,
    cutoff: f32,
    origin: vec3<f32>,
    skin: f32,
    dt: f32,
    gamma: f32,
    temperature: f32,
    step: u32,
    seed: u32,
    mass: f32,
    fraction: f32,
    _pad: u32,
}

const PARTICLE_PERIODIC: u32 = 1u;

@group(0) @binding(0) var<uniform> pp: ParticleParams;
@group(0) @binding(1) var<storage, read_write> position: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> velocity: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> force: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read_write> virial: array<f32>;
@group(0) @binding(5) var<storage, read_write> anchor: array<vec4<f32>>;
@group(0) @binding(6) var<storage, read_write> neighbors: array<u32>;
@group(0) @binding(7) var<storage, read_write> neighbor_count: array<u32>;
@group(0) @binding(8) var<storage, read_write> cell_start: array<atomic<u32>>;
@group(0) @binding(9) var<storage, read_write> cell_particles: array<u32>;
@group(0) @binding(10) var<storage, read> pair_table: array<vec4<f32>>;
// [0]: the largest squared displacement's bits; from 1: each cell's fill cursor.
@group(0) @binding(11) var<storage, read_write> scratch: array<atomic<u32>>;
// Each chain's bath temperature as a multiple of pp.temperature (1 unless the chains are the
// rungs of a replica-exchange ladder).
@group(0) @binding(12) var<storage, read> chain_temperature: array<f32>;

// Invocations per workgroup of every particle kernel (1-D over particles or cells).
const PARTICLE_WORKGROUP: u32 = 64u;

fn periodic() -> bool {
    return (pp.flags & PARTICLE_PERIODIC) != 0u;
}

fn cells_per_chain() -> u32 {
    return pp.cells.x * pp.cells.y * pp.cells.z;
}

// The displacement b − a, by minimum image in a periodic box (positions are kept in [0, L), so
// one image shift by comparison suffices).
fn separation(a: vec4<f32>, b: vec4<f32>) -> vec3<f32> {
    var d = b.xyz - a.xyz;
    if (periodic()) {
        let half = 0.5 * pp.box_len;
        d = d - select(vec3<f32>(0.0), pp.box_len, d > half) + select(vec3<f32>(0.0), pp.box_len, d < -half);
    }
    return d;
}

// The cell coordinates of a position, clamped into the grid.
fn cell_of(p: vec4<f32>) -> vec3<u32> {
    let x = floor((p.xyz - pp.origin) / pp.box_len * vec3<f32>(pp.cells));
    return min(vec3<u32>(max(x, vec3<f32>(0.0))), pp.cells - vec3<u32>(1u));
}

fn cell_index(c: vec3<u32>) -> u32 {
    return c.x + pp.cells.x * (c.y + pp.cells.y * c.z);
}

// The flat invocation index of a 1-D dispatch that may span several rows of workgroups.
fn flat_index(id: vec3<u32>, groups: vec3<u32>) -> u32 {
    return id.x + id.y * groups.x * PARTICLE_WORKGROUP;
}
