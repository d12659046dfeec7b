"""Shared fixtures: a CPU context (the numbers the CLI's `--backend cpu` gives) and the `idf`
binary of this checkout, for comparisons with the command line."""

import os
import pathlib
import shutil

import pytest

import idf

ROOT = pathlib.Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def cpu():
    return idf.Context("cpu")


@pytest.fixture(scope="session")
def idf_binary():
    """The CLI built from this checkout (`cargo build`), or IDF_BINARY."""
    path = os.environ.get("IDF_BINARY") or str(ROOT / "target" / "debug" / "idf")
    if not os.path.exists(path):
        found = shutil.which("idf")
        if found is None:
            pytest.fail(f"no idf binary at {path}: run `cargo build` first or set IDF_BINARY")
        path = found
    return path
