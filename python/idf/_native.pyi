"""Type stubs of IDF's native module (python/src/lib.rs). Use the `idf` package's wrappers."""

from typing import Callable, Optional

import numpy as np
import numpy.typing as npt

__version__: str

class Context:
    """A backend to run on: ``Context("auto" | "gpu" | "cpu")``.

    ``"gpu"`` raises :class:`idf.NoAdapterError` where no adapter is usable; ``"auto"`` falls
    back to the CPU and says why in :attr:`fallback_reason`. ``Context()`` takes the
    environment's ``IDF_BACKEND`` (``auto``, ``gpu`` or ``cpu``; another value raises
    :class:`idf.InvalidInputError` naming it), else ``"auto"``, as the ``idf`` command does."""

    def __init__(self, backend: Optional[str] = None) -> None: ...
    @property
    def backend(self) -> str:
        """``"cpu"`` or ``"gpu"``."""
    @property
    def adapter(self) -> str:
        """The adapter's name."""
    @property
    def fallback_reason(self) -> Optional[str]:
        """Why ``"auto"`` fell back to the CPU, if it did."""

def sample(
    ctx: Context,
    scene_json: str,
    config_yaml: Optional[str] = None,
    initial: Optional[npt.NDArray[np.float32]] = None,
    progress: Optional[Callable[[int, int], None]] = None,
    energy: Optional[tuple[str, str]] = None,
) -> tuple[str, npt.NDArray[np.float32], dict[str, np.ndarray]]:
    """Runs a scene: ``(report JSON, field [chains, C, H, W] float32, trace dict)``."""

def model_params_json(name: str, params_json: str) -> str:
    """The model's parameters with ``params_json`` applied, as JSON."""

def energy(
    ctx: Context, name: str, params_json: str, field: npt.NDArray[np.float32]
) -> npt.NDArray[np.float64]:
    """E per chain of a C-contiguous float32 field [chains, C, H, W]: float64 [chains]."""

def energy_gradient(
    ctx: Context, name: str, params_json: str, field: npt.NDArray[np.float32]
) -> npt.NDArray[np.float32]:
    """∂E/∂x of a C-contiguous float32 field [chains, C, H, W], shaped like it."""

def validate(
    ctx: Context,
    trajectories: int,
    seed: int,
    config_yaml: Optional[str] = None,
    progress: Optional[Callable[[int, int], None]] = None,
) -> str:
    """The energy-law suite's report as JSON (what ``idf validate`` writes)."""

def render(
    ctx: Context,
    scene_json: str,
    out: str,
    png_frames: bool = False,
    progress: Optional[Callable[[int, int], None]] = None,
    energy: Optional[tuple[str, str]] = None,
) -> str:
    """Renders a scene to ``out``; a JSON summary of the video."""

def train(
    ctx: Context,
    data: str,
    name: str,
    params_json: str,
    fixed: list[str],
    bounds: list[str],
    select: list[str],
    steps: int,
    batch_size: Optional[int] = None,
    chains: Optional[int] = None,
    sampler_steps: int = 1,
    learning_rate: Optional[float] = None,
    seed: int = 0,
    config_yaml: Optional[str] = None,
    progress: Optional[Callable[[int, int], None]] = None,
) -> str:
    """Fits a model to a dataset; the report as JSON (what ``idf train --json`` reports)."""

def optimize(
    ctx: Context,
    name: str,
    params_json: str,
    graph: Optional[str],
    objective: str,
    size: Optional[list[int]],
    replicas: int,
    steps: int,
    method: str,
    schedule: str,
    t_start: float,
    t_end: float,
    step_size: Optional[float],
    seed: int,
    agent: Optional[tuple[int, int, int, float, float, float, float, Optional[float]]] = None,
    progress: Optional[Callable[[int, int], None]] = None,
) -> tuple[str, npt.NDArray[np.float32]]:
    """The search's report as JSON (what ``idf optimize --json`` prints) and the best state."""

def optimize_entropy(
    ctx: Context,
    graph_json: str,
    telemetry_json: Optional[str],
    method: str,
    chains: int,
    steps: int,
    t_start: Optional[float],
    t_end: Optional[float],
    seed: int,
    baselines: bool,
    exact_time_limit: Optional[float],
    progress: Optional[Callable[[int, int], None]] = None,
) -> str:
    """The placement policy as JSON (what ``idf optimize --service-graph --json`` prints)."""

def noise_schedule(kind: str, timesteps: int) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """(β_t for t = 1..T, ᾱ_t for t = 0..T)."""

def forward_diffuse(
    ctx: Context, name: str, params_json: str, kind: str, timesteps: int,
    x0: npt.NDArray[np.float32], t: int, seed: int,
) -> npt.NDArray[np.float32]:
    """x_t ~ q(x_t | x_0) for every chain."""

def reverse_denoise(
    ctx: Context, name: str, params_json: str, kind: str, timesteps: int,
    x_t: npt.NDArray[np.float32], method: str, steps: Optional[int], seed: int,
    progress: Optional[Callable[[int, int], None]] = None,
) -> tuple[npt.NDArray[np.float32], dict[str, np.ndarray]]:
    """(x_0, trace) from the reverse process with the exact score."""

def boltzmann_weight(
    ctx: Context, energies: list[float], kt: float
) -> tuple[npt.NDArray[np.float64], float, float]:
    """(log weights, ln Z, effective sample size)."""
