// The lattice kernels' random numbers: shared/pcg's draws under each chain's key (the ladder
// buffer's, when several runs share a dispatch). Keep in sync with src/cpu/shared/rng.rs.
#import shared/bindings
#import shared/pcg

// The draw of a site of a chain at a step, under the chain's key (see chain_rng_key).
fn chain_draw(site: u32, chain: u32, step: u32, stream: u32) -> vec4<u32> {
    let key = chain_rng_key(chain);
    return rng_draw(site, key.x, step, key.y, stream);
}

