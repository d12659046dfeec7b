# Sourced by the benchmark scripts: sets $python to $BENCH_PYTHON when that names a Python with
# JAX and NumPy (make test passes the Python package's venv), else to benches/.venv's, installing
# JAX (CPU) and NumPy there on first use.
venv=benches/.venv
python="${BENCH_PYTHON:-$venv/bin/python}"
if ! "$python" -c "import jax, numpy" 2>/dev/null; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet "jax[cpu]" numpy
    python="$venv/bin/python"
fi
