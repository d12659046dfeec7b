// Colours one plane of a field (width x height values from `offset`) through a 256-entry colormap
// table, linearly interpolated, into packed RGBA8 pixels. Values map from [lo, hi] to [0, 1] and
// are clamped; non-finite values are drawn magenta. Keep in sync with src/gpu/colormap.rs
// (ColormapParams). CPU twin: src/cpu/colormap.rs.

struct ColormapParams {
    width: u32,
    height: u32,
    offset: u32,
    _pad0: u32,
    lo: f32,
    hi: f32,
    _pad1: f32,
    _pad2: f32,
}

@group(0) @binding(0) var<uniform> cp: ColormapParams;
@group(0) @binding(1) var<storage, read> field: array<f32>;
@group(0) @binding(2) var<storage, read> table: array<vec4<f32>, 256>;
@group(0) @binding(3) var<storage, read_write> pixels: array<u32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let p = gid.x + gid.y * groups.x * 64u;
    if (p >= cp.width * cp.height) {
        return;
    }
    let v = field[cp.offset + p];
    if ((bitcast<u32>(v) & 0x7f800000u) == 0x7f800000u) {
        pixels[p] = pack4x8unorm(vec4<f32>(1.0, 0.0, 1.0, 1.0));
        return;
    }
    let t = clamp((v - cp.lo) / (cp.hi - cp.lo), 0.0, 1.0);
    let x = t * 255.0;
    let i = min(u32(floor(x)), 254u);
    let c = mix(table[i], table[i + 1u], x - f32(i));
    pixels[p] = pack4x8unorm(vec4<f32>(c.rgb, 1.0));
}
