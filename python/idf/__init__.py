"""IDF, the Industriverse Diffusion Framework, from Python.

Energy-based sampling and diffusion on any GPU (WGSL compute shaders through wgpu: Vulkan,
Metal, DX12, GL) or on the CPU twin, which computes the same numbers. Fields are NumPy arrays
of float32 with shape ``[chains, C, H, W]`` (C channels of an H × W periodic lattice per
chain); energies are in units of k_B T = 1 at temperature 1.

    >>> import idf
    >>> ctx = idf.Context("cpu")
    >>> s = idf.sample("phi4", size=[16, 16], chains=4, steps=200, seed=1, ctx=ctx, progress=False)
    >>> s.field.shape, s.field.dtype
    ((4, 1, 16, 16), dtype('float32'))

Errors are :mod:`idf.errors` exceptions with the library's messages. Long calls release the
GIL, show a progress bar (tqdm: a widget in Jupyter, a bar in terminals) and stop on Ctrl-C
with ``KeyboardInterrupt``, leaving the context usable.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field as _field
from typing import Any, Optional, Union

import numpy as np

from . import _native, errors
from ._native import Context
from .errors import (
    CancelledError,
    DivergenceError,
    FileFormatError,
    IdfError,
    InvalidInputError,
    NoAdapterError,
    OutOfMemoryError,
    ShaderError,
)

__version__ = _native.__version__

_default: Optional[Context] = None


def default_context() -> Context:
    """The context calls use when given none: ``Context("auto")`` (the GPU if one is usable,
    else the CPU), made on first use and kept."""
    global _default
    if _default is None:
        _default = Context("auto")
    return _default


def as_field(x: Any, name: str = "x") -> np.ndarray:
    """``x`` as IDF takes a field: float32, C-contiguous, ``[chains, C, H, W]``.

    A 2-D array ``[H, W]`` is one chain of one channel. Other real dtypes (float64, integers,
    booleans) are converted to float32 and non-contiguous arrays are copied; complex, object or
    string arrays and other ranks raise :class:`InvalidInputError` naming ``name``."""
    a = np.asarray(x)
    if a.dtype.kind not in "fiub":
        raise InvalidInputError(
            f"invalid value for `{name}`: dtype {a.dtype} is not real numbers (use float32)"
        )
    if a.ndim == 2:
        a = a[None, None]
    elif a.ndim != 4:
        raise InvalidInputError(
            f"invalid value for `{name}`: a {a.ndim}-D array {a.shape}; a field is 4-D "
            "[chains, C, H, W] (or 2-D [H, W] for one chain of one channel)"
        )
    return np.ascontiguousarray(a, dtype=np.float32)


class Energy:
    """A registered energy by name with keyword parameters, e.g. ``Energy("phi4", kappa=0.5)``,
    or a user's WGSL energy by path (``Energy("my_energy.wgsl", a=0.3)``, its ``@param``s;
    broken WGSL raises :class:`ShaderError` with naga's line and column).

    Unknown names and parameters raise :class:`InvalidInputError` listing the known ones. The
    energy of a field is in units of k_B (so that p(x) ∝ exp(−E(x)/T)).
    """

    def __init__(self, name: str, **params: Union[float, str]):
        self.name = name
        #: Every parameter of the model with its value (the defaults where not given).
        self.params: dict = json.loads(_native.model_params_json(name, json.dumps(params)))

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.params.items())
        return f"idf.Energy({self.name!r}, {args})"

    def energy(self, x: Any, ctx: Optional[Context] = None) -> np.ndarray:
        """E of each chain of the field ``x`` [chains, C, H, W]: float64 ``[chains]``."""
        return _native.energy(ctx or default_context(), self.name, json.dumps(self.params), as_field(x))

    def gradient(self, x: Any, ctx: Optional[Context] = None) -> np.ndarray:
        """∂E/∂x of the field ``x`` [chains, C, H, W]: float32, shaped like ``x``."""
        return _native.energy_gradient(
            ctx or default_context(), self.name, json.dumps(self.params), as_field(x)
        )


def energy_gradient(energy: Energy, x: Any, ctx: Optional[Context] = None) -> np.ndarray:
    """∂E/∂x of ``energy`` at the field ``x`` [chains, C, H, W]: float32, shaped like ``x``
    (the seeds' name for :meth:`Energy.gradient`)."""
    return energy.gradient(x, ctx)


@dataclass
class Samples:
    """What :func:`sample` returns.

    ``field``: the final samples, float32 ``[chains, C, H, W]``. ``trace``: the recorded
    observables: ``step`` uint64 ``[R]``, ``temperature`` float32 ``[R]``, and float64
    ``[R, chains]`` arrays ``energy``, ``energy_per_site``, ``mean``, ``variance``,
    ``abs_magnetization``, ``chain_temperature`` (and ``acceptance``, ``delta_h`` where the
    integrator has them). ``estimates``: each observable's mean over chains and records after
    burn-in with a standard error that accounts for autocorrelation and an effective sample
    size (``{"mean", "stderr", "ess"}``). ``warnings``: what makes the numbers doubtful.
    ``report``: the whole object ``idf sample --json`` prints for the same scene.
    """

    field: np.ndarray
    trace: dict
    report: dict
    estimates: dict = _field(init=False)
    warnings: list = _field(init=False)

    def __post_init__(self) -> None:
        self.estimates = self.report["estimates"]
        self.warnings = self.report["warnings"]

    def __repr__(self) -> str:
        r = self.report
        return (
            f"idf.Samples({r['model']}, {r['integrator']}, field {list(self.field.shape)}, "
            f"{r['steps']} steps on {r['backend']}, {len(self.warnings)} warnings)"
        )


def _progress_bar(enabled: bool, what: str):
    """A tqdm bar (``tqdm.auto``: a widget in Jupyter, text in terminals) as a callback
    ``(done, total)``, with its ``close``; a no-op when ``enabled`` is false."""
    if not enabled:
        return None, lambda: None
    from tqdm.auto import tqdm

    bar = tqdm(total=0, unit="steps", desc=what, leave=False)

    def update(done: int, total: int) -> None:
        if bar.total != total:
            bar.total = total
        bar.update(done - bar.n)

    return update, bar.close


def sample(
    model: Union[str, Energy, None] = None,
    *,
    ctx: Optional[Context] = None,
    initial: Any = None,
    config: Optional[str] = None,
    progress: bool = True,
    **scene: Any,
) -> Samples:
    """Samples an energy: the scene ``idf sample`` runs, as keyword arguments.

    ``model``: a registered name (``"phi4"``, ``"ising"``, ``"gmm"``…), a user's WGSL energy
    (``"my_energy.wgsl"``, GPU only) or an :class:`Energy`.
    ``scene``: any scene key, as in scene files, ``idf sample`` flags and ``POST /diffuse``
    bodies: ``size=[H, W]``, ``chains``, ``integrator`` (langevin, mala, metropolis, hmc, ddpm,
    ddim, anneal), ``steps``, ``burn_in``, ``record_every``, ``step_size``, ``temperature``,
    ``schedule``, ``seed``, ``params={...}``… (``docs`` of ``idf::Scene``); unknown keys raise
    :class:`InvalidInputError` naming the key. ``initial``: a starting field of the scene's
    shape ``[chains, C, H, W]`` (default: the model's own start). ``config``: ``idf.yaml`` text
    whose Diffusion section gives defaults. ``ctx``: the backend (default
    :func:`default_context`). ``progress``: show a bar.

    The same scene and seed give the numbers ``idf sample --json`` gives on the same backend.
    Raises :class:`DivergenceError` (with ``step`` and ``stable_step_size``) when the field
    becomes NaN or infinite, ``KeyboardInterrupt`` on Ctrl-C.
    """
    keys = dict(scene)
    energy = None
    if isinstance(model, str) and model.endswith(".wgsl"):
        model = Energy(model)
    if isinstance(model, Energy):
        # Carried as a value: a user's WGSL energy has no registered name.
        energy = (model.name, json.dumps({**model.params, **keys.pop("params", {})}))
    elif model is not None:
        keys["model"] = model
    start = None if initial is None else as_field(initial, "initial")
    name = energy[0] if energy else keys.get("model", "phi4")
    update, close = _progress_bar(progress, f"sampling {name}")
    try:
        report, field, trace = _native.sample(
            ctx or default_context(), json.dumps(keys), config, start, update, energy
        )
    finally:
        close()
    return Samples(field=field, trace=trace, report=json.loads(report))


__all__ = [
    "Context",
    "Energy",
    "Samples",
    "sample",
    "energy_gradient",
    "as_field",
    "default_context",
    "errors",
    "IdfError",
    "InvalidInputError",
    "FileFormatError",
    "DivergenceError",
    "NoAdapterError",
    "ShaderError",
    "OutOfMemoryError",
    "CancelledError",
]
