"""Backends from Python: the GPU computes what the CPU twin computes, a machine without an
adapter raises `NoAdapterError` for "gpu" and falls back for "auto", and CI must have one."""

import os
import subprocess
import sys

import numpy as np
import pytest

import idf


@pytest.fixture(scope="module")
def gpu():
    try:
        return idf.Context("gpu")
    except idf.NoAdapterError as e:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI must have a GPU adapter (lavapipe): {e}")
        pytest.skip(f"no GPU adapter here: {e}")


def test_gpu_and_cpu_agree(cpu, gpu):
    assert gpu.backend == "gpu"
    x = np.random.default_rng(2).normal(size=(4, 1, 16, 16)).astype(np.float32)
    energy = idf.Energy("phi4", kappa=0.6, b=0.8)
    np.testing.assert_allclose(energy.energy(x, gpu), energy.energy(x, cpu), rtol=1e-5)
    np.testing.assert_allclose(energy.gradient(x, gpu), energy.gradient(x, cpu), rtol=1e-5, atol=1e-5)
    # Metropolis on spins: the same counter-based random numbers on both backends.
    runs = [
        idf.sample("ising", size=[8, 8], chains=2, steps=50, integrator="metropolis", seed=4, ctx=c, progress=False)
        for c in (cpu, gpu)
    ]
    np.testing.assert_array_equal(runs[0].field, runs[1].field)


def test_no_adapter_raises_for_gpu_and_falls_back_for_auto():
    script = (
        "import idf\n"
        "auto = idf.Context('auto')\n"
        "assert auto.backend == 'cpu' and 'no GPU adapter' in auto.fallback_reason, auto\n"
        "try:\n"
        "    idf.Context('gpu')\n"
        "except idf.NoAdapterError as e:\n"
        "    assert isinstance(e, RuntimeError) and 'mesa-vulkan-drivers' in str(e)\n"
        "    print('raised')\n"
    )
    # The Vulkan loader finds no driver, and wgpu is kept to Vulkan.
    env = dict(os.environ, VK_ICD_FILENAMES="/nonexistent", VK_DRIVER_FILES="/nonexistent", WGPU_BACKEND="vulkan")
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.strip() == "raised", out.stderr


def test_a_context_without_a_backend_takes_idf_backend():
    script = (
        "import idf\n"
        "try:\n"
        "    print(idf.Context().backend)\n"
        "except idf.InvalidInputError as e:\n"
        "    print('raised:', e)\n"
    )
    def run(value):
        env = dict(os.environ, IDF_BACKEND=value)
        out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True)
        assert out.returncode == 0, out.stderr
        return out.stdout.strip()

    assert run("cpu") == "cpu"
    refused = run("tpu")
    assert refused.startswith("raised:") and "IDF_BACKEND" in refused and "tpu" in refused, refused


def test_out_of_memory_is_a_memory_error_and_the_process_goes_on():
    # Under a 3 GiB address-space limit, a 16384² field (1 GiB per buffer) cannot be allocated.
    script = (
        "import resource\n"
        "resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30))\n"
        "import idf\n"
        "ctx = idf.Context('cpu')\n"
        "try:\n"
        "    idf.sample('phi4', size=[16384, 16384], chains=1, steps=1, ctx=ctx, progress=False)\n"
        "except idf.OutOfMemoryError as e:\n"
        "    assert isinstance(e, MemoryError) and 'GiB' in str(e), e\n"
        "    print('raised')\n"
        "print(idf.sample('phi4', size=[8, 8], chains=1, steps=1, ctx=ctx, progress=False).field.shape)\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.split("\n")[:2] == ["raised", "(1, 1, 8, 8)"], out.stderr
