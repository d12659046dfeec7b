"""Both notebooks execute headless from top to bottom (nbclient, the engine of `jupyter
execute`): a cell that raises fails the test, naming the notebook and the cell.

The tutorial runs on the CPU twin (``IDF_BACKEND=cpu``, which its ``Context()`` takes): CI's only
adapter is lavapipe, which runs the WGSL on the same two cores at a fraction of the twin's speed
(100 s against 15 s for the tutorial). The GPU path from Python is checked in test_backends, and
IDF_vs_JAX still asks for ``"auto"`` and checks the GPU's statistics against JAX's."""

import pathlib

import nbclient
import nbformat
import pytest

NOTEBOOKS = pathlib.Path(__file__).resolve().parents[2] / "notebooks"


@pytest.mark.parametrize("name", ["EnergyDiffusion_101.ipynb", "IDF_vs_JAX.ipynb"])
def test_notebook_executes(name, monkeypatch):
    monkeypatch.setenv("IDF_BACKEND", "cpu")  # the kernel inherits the environment
    notebook = nbformat.read(NOTEBOOKS / name, as_version=4)
    client = nbclient.NotebookClient(
        notebook, timeout=900, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOKS)}}
    )
    client.execute()
    # Every code cell ran, and the tutorial's figures and video are in its outputs.
    code = [c for c in notebook.cells if c.cell_type == "code"]
    assert all(c.get("execution_count") for c in code), name
    kinds = {k for c in code for o in c.outputs for k in o.get("data", {})}
    assert "image/png" in kinds or name != "EnergyDiffusion_101.ipynb", kinds
    assert "text/html" in kinds or name != "EnergyDiffusion_101.ipynb", kinds
