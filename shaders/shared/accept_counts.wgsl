// Accepted moves of a sweep, counted per chain in status[1 + chain]: per workgroup in workgroup
// memory first, then one global atomic per workgroup and chain. One global atomic per accepted
// move, all on the same address per chain, serialises a large lattice's sweep.
//
// A workgroup counts locally for its first invocation's chain and the chain after it (it spans
// at most two when a chain has at least as many invocations as the workgroup; the counts of any
// further chain go to status directly). Workgroup memory starts zeroed (WGSL).
#import shared/bindings

var<workgroup> accepted_here: array<atomic<u32>, 2>;

// Counts n accepted moves of `chain` in a workgroup whose first invocation is in `first_chain`.
fn count_accepted(chain: u32, first_chain: u32, n: u32) {
    let k = chain - first_chain;
    if (k < 2u) {
        atomicAdd(&accepted_here[k], n);
    } else {
        atomicAdd(&status[1u + chain], n);
    }
}

// Adds the workgroup's counts to their chains (invocations 0 and 1 do), after every invocation
// has counted: call it after a workgroupBarrier in uniform control flow.
fn flush_accepted(lid: u32, first_chain: u32) {
    if (lid < 2u) {
        let n = atomicLoad(&accepted_here[lid]);
        if (n > 0u) {
            atomicAdd(&status[1u + first_chain + lid], n);
        }
    }
}
