#!/usr/bin/env bash
# IDF against JAX and NumPy on the same phi^4 Langevin trajectory, in one invocation.
#   benches/compare_jax.sh            256x256, 1000 steps, release build (the reported figures)
#   benches/compare_jax.sh --quick    32x32, 20 steps, dev build (CI runs this so it cannot rot)
# Runs under $BENCH_PYTHON when that names a Python with JAX and NumPy (make test passes the
# Python package's venv); otherwise installs JAX (CPU) and NumPy into benches/.venv on first use.
set -euo pipefail
cd "$(dirname "$0")/.."
source benches/bench_python.sh
target="${CARGO_TARGET_DIR:-target}"
if [ "${1:-}" = "--quick" ]; then
    # --workspace: the feature set of `make test`'s build, so no dependency is rebuilt.
    cargo build --quiet --workspace --example phi4_trajectory
    "$python" benches/compare_jax.py --idf "$target/debug/examples/phi4_trajectory" \
        --size 32 --steps 20 --repeats 2
else
    cargo build --quiet --release --workspace --example phi4_trajectory
    "$python" benches/compare_jax.py --idf "$target/release/examples/phi4_trajectory" \
        --size 256 --steps 1000 --repeats 7 --numpy-steps 200
fi
