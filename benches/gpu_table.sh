#!/usr/bin/env bash
# The GPU table of issue 13 (`../shared/gpu/README.md`) in one run: IDF plain, fused and planned,
# JAX, NumPy and (with CuPy on a CUDA device) the CUDA references, then Ising flips/ns.
#   benches/gpu_table.sh           the table's rows, 1000 steps, release build
#   benches/gpu_table.sh --quick   small rows, few steps, dev build (CI runs it so it cannot rot)
# On a GPU machine without Rust, point IDF_PHI4 and IDF_ISING at prebuilt binaries of the
# examples phi4_trajectory and ising_sweeps (see ../shared/gpu/README.md) and run
#   python3 benches/gpu_table.py --phi4 "$IDF_PHI4" --ising "$IDF_ISING"
# Runs under $BENCH_PYTHON when that names a Python with JAX and NumPy; otherwise installs JAX
# (CPU) and NumPy into benches/.venv on first use.
set -euo pipefail
cd "$(dirname "$0")/.."
source benches/bench_python.sh
target="${CARGO_TARGET_DIR:-target}"
if [ "${1:-}" = "--quick" ]; then
    shift
    # --workspace: the feature set of `make test`'s build, so no dependency is rebuilt.
    cargo build --quiet --workspace --example phi4_trajectory --example ising_sweeps
    bin="$target/debug/examples"
    args=(--rows 16x1,16x4 --steps 16 --repeats 2 --numpy-steps 4 --ising-sizes 64 --ising-sweeps 2,6)
else
    cargo build --quiet --release --workspace --example phi4_trajectory --example ising_sweeps
    bin="$target/release/examples"
    args=()
fi
# Later arguments go to gpu_table.py (e.g. --backend cpu, --rows 256x1).
PYTHONPATH=benches "$python" benches/gpu_table.py --phi4 "$bin/phi4_trajectory" \
    --ising "$bin/ising_sweeps" "${args[@]}" "$@"
