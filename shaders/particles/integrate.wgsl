// The integrators' stages: kick (B), drift (A), thermostat (O), Brownian step. Twin:
// src/cpu/particles/integrate.rs. Noise: pcg4d keyed by (3 × particle + axis, chain, step,
// seed), as every IDF kernel's.
#import particles/bindings
#import shared/pcg

// x wrapped into [0, l).
fn wrap(x: f32, l: f32) -> f32 {
    let y = x - l * floor(x / l);
    return select(y, y - l, y >= l);
}

fn wrap3(x: vec3<f32>) -> vec3<f32> {
    if (!periodic()) {
        return x;
    }
    return vec3<f32>(wrap(x.x, pp.box_len.x), wrap(x.y, pp.box_len.y), wrap(x.z, pp.box_len.z));
}

fn particle_noise(chain: u32, i: u32) -> vec3<f32> {
    return vec3<f32>(
        gaussian(rng_draw(3u * i, chain, pp.step, pp.seed, STREAM_NOISE)),
        gaussian(rng_draw(3u * i + 1u, chain, pp.step, pp.seed, STREAM_NOISE)),
        gaussian(rng_draw(3u * i + 2u, chain, pp.step, pp.seed, STREAM_NOISE)),
    );
}

// B: v += fraction · dt · F / m.
@compute @workgroup_size(64)
fn kick(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let g = flat_index(id, groups);
    if (g >= pp.chains * pp.n) {
        return;
    }
    let h = pp.fraction * pp.dt / pp.mass;
    velocity[g] = vec4<f32>(velocity[g].xyz + h * force[g].xyz, velocity[g].w);
}

// A: x += fraction · dt · v, wrapped into a periodic box.
@compute @workgroup_size(64)
fn drift(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let g = flat_index(id, groups);
    if (g >= pp.chains * pp.n) {
        return;
    }
    let h = pp.fraction * pp.dt;
    position[g] = vec4<f32>(wrap3(position[g].xyz + h * velocity[g].xyz), position[g].w);
}

// O: v ← e^{−γ dt} v + √((1 − e^{−2γ dt}) T / m) ξ, T the chain's bath temperature.
@compute @workgroup_size(64)
fn thermostat(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let g = flat_index(id, groups);
    if (g >= pp.chains * pp.n) {
        return;
    }
    let chain = g / pp.n;
    let c1 = exp(-pp.gamma * pp.dt);
    let c2 = sqrt((1.0 - c1 * c1) * pp.temperature * chain_temperature[chain] / pp.mass);
    let xi = particle_noise(chain, g - chain * pp.n);
    velocity[g] = vec4<f32>(c1 * velocity[g].xyz + c2 * xi, velocity[g].w);
}

// Overdamped Langevin with mobility 1/γ: x += dt F / γ + √(2 T dt / γ) ξ.
@compute @workgroup_size(64)
fn brownian(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let g = flat_index(id, groups);
    if (g >= pp.chains * pp.n) {
        return;
    }
    let chain = g / pp.n;
    let xi = particle_noise(chain, g - chain * pp.n);
    let drift = pp.dt / pp.gamma;
    let noise = sqrt(2.0 * pp.temperature * chain_temperature[chain] * pp.dt / pp.gamma);
    position[g] = vec4<f32>(wrap3(position[g].xyz + drift * force[g].xyz + noise * xi), position[g].w);
}
