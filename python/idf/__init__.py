"""IDF, the Industriverse Diffusion Framework, from Python.

Energy-based sampling and diffusion on any GPU (WGSL compute shaders through wgpu: Vulkan,
Metal, DX12, GL) or on the CPU twin, which computes the same numbers to float32 rounding.
Fields are NumPy arrays of float32 with shape ``[chains, C, H, W]`` (C channels of an H × W
periodic lattice per chain); energies are in units of k_B T = 1 at temperature 1.

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
import math
import os
from dataclasses import dataclass, field as _field
from typing import Any, Optional, Union

import numpy as np

# Mesa's device-select layer probes Wayland to order adapters for windowed programs and prints
# errors on headless machines; a library only picks an adapter.
os.environ.setdefault("NODEVICE_SELECT", "1")

from . import _native, errors
from ._native import Context
from .errors import (
    DivergenceError,
    FileAccessError,
    FileFormatError,
    MissingFileError,
    IdfError,
    InvalidInputError,
    NoAdapterError,
    OutOfMemoryError,
    ShaderError,
)

__version__ = _native.__version__

_default: Optional[Context] = None


def _plain(value: Any, key: str) -> Any:
    """``value`` as JSON can carry it: NumPy scalars and arrays as numbers and lists;
    non-finite numbers are refused naming ``key``."""
    if isinstance(value, np.ndarray):
        value = value.tolist()
    elif isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, dict):
        return {k: _plain(v, k) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v, key) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        raise InvalidInputError(f"invalid value for `{key}`: {value} is not a finite number")
    return value


def _json(values: dict) -> str:
    return json.dumps(_plain(values, "value"))


def _count(name: str, value: Any, minimum: int = 0) -> int:
    """``value`` as an integer of at least ``minimum``, or :class:`InvalidInputError` naming
    ``name``."""
    if isinstance(value, np.integer):
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise InvalidInputError(
            f"invalid value for `{name}`: {value!r} is not an integer of at least {minimum}"
        )
    return value


def default_context() -> Context:
    """The context calls use when given none: ``Context()`` (``IDF_BACKEND`` if set, else
    ``"auto"``: the GPU if one is usable, else the CPU), made on first use and kept."""
    global _default
    if _default is None:
        _default = Context()
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
    if a.dtype.kind == "f" and a.dtype.itemsize > 4 and a.size:
        # Wider floats must fit float32 before they are cast (1e300 would become inf).
        big = np.flatnonzero(~(np.abs(a) <= np.finfo(np.float32).max))
        if big.size:
            i = int(big[0])
            raise InvalidInputError(
                f"invalid value for `{name}`: value {a.flat[i]} at flat index {i} is not a "
                "finite float32"
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
        self.params: dict = json.loads(_native.model_params_json(name, _json(params)))

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.params.items())
        return f"idf.Energy({self.name!r}, {args})"

    def energy(self, x: Any, ctx: Optional[Context] = None) -> np.ndarray:
        """E of each chain of the field ``x`` [chains, C, H, W]: float64 ``[chains]``."""
        return _native.energy(ctx or default_context(), self.name, _json(self.params), as_field(x))

    def gradient(self, x: Any, ctx: Optional[Context] = None) -> np.ndarray:
        """∂E/∂x of the field ``x`` [chains, C, H, W]: float32, shaped like ``x``."""
        return _native.energy_gradient(
            ctx or default_context(), self.name, _json(self.params), as_field(x)
        )


def energy_gradient(energy: Union[str, Energy], x: Any, ctx: Optional[Context] = None) -> np.ndarray:
    """∂E/∂x of ``energy`` (an :class:`Energy` or a name) at the field ``x`` [chains, C, H, W]:
    float32, shaped like ``x`` (the seeds' name for :meth:`Energy.gradient`)."""
    return (energy if isinstance(energy, Energy) else Energy(energy)).gradient(x, ctx)


@dataclass
class Samples:
    """What :func:`sample` returns.

    ``field``: the final samples, float32 ``[chains, C, H, W]``. ``trace``: the recorded
    observables, from the first record at step ``burn_in`` on: ``step`` uint64 ``[R]``,
    ``temperature`` float32 ``[R]``, and float64 ``[R, chains]`` arrays ``energy``,
    ``energy_per_site``, ``mean``, ``variance``, ``abs_magnetization``,
    ``chain_temperature`` (and ``acceptance`` for Metropolis-adjusted integrators, NaN at the
    first record; ``delta_h`` for HMC). ``estimates``: ``energy_per_site``, ``mean``,
    ``mean_square``, ``abs_magnetization`` (and ``acceptance``), each the mean over chains and
    records after burn-in with a standard error that accounts for autocorrelation and an
    effective sample size (``{"mean", "stderr", "ess"}``). ``warnings``: what makes the
    numbers doubtful (a run too short for its autocorrelation time…). ``report``: the whole
    object ``idf sample --json`` prints for the same scene; its ``steps`` counts burn-in too.
    """

    field: np.ndarray
    trace: dict
    report: dict
    estimates: dict = _field(init=False)
    warnings: list = _field(init=False)

    def __post_init__(self) -> None:
        self.estimates = self.report["estimates"]
        self.warnings = self.report["warnings"]
        if self.report["integrator"] != "hmc":
            # ΔH is an HMC trajectory's; other integrators record none.
            self.trace.pop("delta_h", None)

    def __repr__(self) -> str:
        r = self.report
        return (
            f"idf.Samples({r['model']}, {r['integrator']}, field {list(self.field.shape)}, "
            f"{r['steps']} steps on {r['backend']}, {len(self.warnings)} warnings)"
        )


def _progress_bar(enabled: bool, what: str, unit: str = "steps"):
    """A tqdm bar (``tqdm.auto``: a widget in Jupyter, text in terminals) as a callback
    ``(done, total)``, with its ``close``; a no-op when ``enabled`` is false."""
    if not enabled:
        return None, lambda: None
    from tqdm.auto import tqdm

    bar = tqdm(total=0, unit=unit, desc=what, leave=False)

    def update(done: int, total: int) -> None:
        if bar.total != total:
            bar.total = total
        bar.update(done - bar.n)

    return update, bar.close


def _scene(model: Union[str, Energy, None], scene: dict):
    """The scene keys, the energy carried as a value (a WGSL file or an :class:`Energy`, as
    ``(name, params JSON)``, else ``None``) and the model's name."""
    keys = {k: _plain(v, k) for k, v in scene.items()}
    if isinstance(model, str) and model.endswith(".wgsl"):
        model = Energy(model)
    if isinstance(model, Energy):
        # Carried as a value: a user's WGSL energy has no registered name.
        energy = (model.name, _json({**model.params, **keys.pop("params", {})}))
        return keys, energy, model.name
    if model is not None:
        keys["model"] = model
    return keys, None, keys.get("model", "phi4")


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

    ``model``: a registered name (``"phi4"``, ``"ising"``, ``"gmm"``, ``"swift_hohenberg"``), a
    user's WGSL energy (``"my_energy.wgsl"``, GPU only) or an :class:`Energy`.
    ``scene``: any scene key, as in scene files, ``idf sample`` flags and ``POST /diffuse``
    bodies: ``size=[H, W]`` (default 64 × 64), ``chains`` (32), ``integrator`` (langevin, the
    default; mala, hmc, anneal for fields; metropolis or anneal for ising; ddpm and ddim for
    gmm only), ``steps`` (1000, after the burn-in), ``burn_in`` (0), ``record_every`` (1),
    ``step_size`` (the model's), ``temperature`` (the model's: ising 2, swift_hohenberg 0,
    others 1; MALA and HMC need T > 0), ``schedule``, ``t_start``, ``seed`` (0),
    ``params={...}`` (numbers, or lists such as gmm's ``weights=[0.3, 0.7]``); unknown keys
    and bad values raise :class:`InvalidInputError` naming the key. At most 65535 chains and
    2²⁸ sites. ``initial``: a starting field of the scene's shape ``[chains, C, H, W]``
    (default: the model's own start; spins must be ±1). ``config``: ``idf.yaml`` *text* (its
    camelCase keys, e.g. ``"Diffusion:\n  batchSize: 16\n"``) whose Diffusion section gives
    defaults. ``ctx``: the backend (default :func:`default_context`). ``progress``: show a
    bar.

    The same scene and seed give the numbers ``idf sample --json`` gives on the same backend
    (the CPU twin and a GPU agree to float32 rounding).
    Raises :class:`DivergenceError` (with ``step`` and ``stable_step_size``) when the field
    becomes NaN or infinite, ``KeyboardInterrupt`` on Ctrl-C.
    """
    keys, energy, name = _scene(model, scene)
    start = None if initial is None else as_field(initial, "initial")
    update, close = _progress_bar(progress, f"sampling {name}")
    try:
        report, field, trace = _native.sample(
            ctx or default_context(), _json(keys), config, start, update, energy
        )
    finally:
        close()
    return Samples(field=field, trace=trace, report=json.loads(report))


class EnergyScheduler:
    """A forward noise schedule over ``timesteps`` T: ``kind`` "cosine" (Nichol & Dhariwal 2021,
    ᾱ(t) = f(t)/f(0), f(t) = cos²(((t/T) + s)/(1 + s) · π/2), s = 0.008, β ≤ 0.999) or "linear"
    (Ho et al. 2020, β from 1e-4 to 0.02).

    ``betas``: float64 ``[T]``, β_t for t = 1..T. ``alpha_bars``: float64 ``[T + 1]``, ᾱ_t for
    t = 0..T (ᾱ_0 = 1). Bad kinds and T outside 1..1000000 raise :class:`InvalidInputError`.
    """

    def __init__(self, kind: str = "cosine", timesteps: int = 1000):
        self.kind = kind
        self.timesteps = _count("timesteps", timesteps, 1)
        self.betas, self.alpha_bars = _native.noise_schedule(kind, timesteps)

    def __repr__(self) -> str:
        return f"idf.EnergyScheduler({self.kind!r}, timesteps={self.timesteps})"


class EnergyDiffusionModel:
    """A diffusion model whose score is an energy's: ``s(x, t) = −∇E_t(x)`` of the noised
    marginal, exact for a Gaussian mixture (``Energy("gmm")``); for field energies the reverse
    process is annealed Langevin (``sample(..., integrator="anneal")``).

    ``energy``: a name or :class:`Energy`; ``scheduler``: an :class:`EnergyScheduler` (default
    cosine over 1000 steps).
    """

    def __init__(
        self, energy: Union[str, Energy], scheduler: Union[str, EnergyScheduler, None] = None
    ):
        self.energy = energy if isinstance(energy, Energy) else Energy(energy)
        if isinstance(scheduler, str):
            scheduler = EnergyScheduler(scheduler)
        self.scheduler = scheduler or EnergyScheduler()

    def _args(self):
        e, s = self.energy, self.scheduler
        return e.name, _json(e.params), s.kind, s.timesteps

    def forward_diffuse(self, x0: Any, t: int, seed: int = 0, ctx: Optional[Context] = None) -> np.ndarray:
        """x_t ~ q(x_t | x_0) = N(√ᾱ_t x_0, (1 − ᾱ_t) I) for every chain of ``x0``
        ``[chains, C, H, W]``: float32, the same shape. ``t`` from 0 to T; keyed by ``seed``."""
        return _native.forward_diffuse(
            ctx or default_context(), *self._args(), as_field(x0, "x0"), _count("t", t), _count("seed", seed)
        )

    def reverse_denoise(
        self,
        x_t: Any,
        method: str = "ddpm",
        steps: Optional[int] = None,
        seed: int = 0,
        ctx: Optional[Context] = None,
        progress: bool = True,
    ):
        """Runs the reverse process from ``x_t`` (pure noise at t = T) with the exact score:
        ``method`` "ddpm" (ancestral, Ho et al. 2020, all T steps) or "ddim" (deterministic,
        Song et al. 2021, ``steps`` of them, default T/10). Returns ``(x0, trace)``: float32 like
        ``x_t``, and the trace dict of the final state (as :class:`Samples`.trace). Energies
        without an exact noised score raise :class:`InvalidInputError`."""
        if steps is not None:
            if method != "ddim":
                raise InvalidInputError(f"invalid value for `steps`: {method} takes all T steps; steps set DDIM's")
            steps = _count("steps", steps, 1)
        update, close = _progress_bar(progress, f"denoising ({method})")
        try:
            return _native.reverse_denoise(
                ctx or default_context(), *self._args(), as_field(x_t, "x_t"), method, steps,
                _count("seed", seed), update,
            )
        finally:
            close()


@dataclass
class BoltzmannWeights:
    """Normalised Boltzmann weights w_i = exp(−E_i/kT)/Z: ``weights`` and ``log_weights`` float64
    ``[N]``, ``log_z`` = ln Σ exp(−E_i/kT), ``ess`` = (Σw)²/Σw² (N for equal weights)."""

    weights: np.ndarray
    log_weights: np.ndarray
    log_z: float
    ess: float


def boltzmann_weight(energies: Any, temperature: float = 1.0, ctx: Optional[Context] = None) -> BoltzmannWeights:
    """The Boltzmann weights of ``energies`` (any 1-D array of N energies, in units of k_B) at
    ``temperature`` (an array of any shape is read flat), computed on the backend with
    log-sum-exp, so that energies of any size give
    finite weights. The backend works in float32: ln Z is good to about max|E|/kT × 2⁻²³. Empty input and non-positive temperatures raise :class:`InvalidInputError`."""
    if energies is None:
        raise InvalidInputError("invalid value for `energies`: None is not an array of energies")
    e = np.asarray(energies, dtype=np.float64).ravel()
    log_w, log_z, ess = _native.boltzmann_weight(ctx or default_context(), e.tolist(), float(temperature))
    return BoltzmannWeights(np.exp(log_w), log_w, log_z, ess)


@dataclass
class ACEAgent:
    """Adaptive temperature control for replica exchange (Vousden, Farr & Mandel 2016, MNRAS
    455, 1919), with the coldest temperature fixed: during burn-in it moves the log spacings of
    the ladder so that neighbouring swap acceptances even out, and the span so that they settle
    in ``target_band``; then the ladder is frozen, so sampling from there on is exact.

    ``rounds`` of ``steps_per_round`` steps make the burn-in, with a swap every
    ``record_every`` steps; the gain is t₀/(ν(t + t₀)) with lag t₀ = ``lag`` and ν = ``nu``.
    ``target_acceptance`` also adapts the width of continuous Metropolis proposals
    (Robbins–Monro). Give it to :func:`optimize` with ``method="tempering"``; each round's
    decision comes back in ``report["ace_log"]``.
    """

    rounds: int = 10
    steps_per_round: int = 50
    record_every: int = 1
    target_band: tuple = (0.2, 0.4)
    lag: float = 10.0
    nu: float = 1.0
    target_acceptance: Optional[float] = None


@dataclass
class Optimum:
    """What :func:`optimize` returns: ``best`` float32 ``[1, C, H, W]`` (spins ±1, a field, or
    ``[1, 1, 1, nodes]`` for graphs) and ``report``, the dict ``idf optimize --json`` prints
    (``best_energy``, ``best_energy_per_site``, ``energy_trace``, ``time_to_best_ms``,
    ``wall_ms``, and per method ``ladder`` and ``swap_acceptance``, ``cut``, ``free_energy``)."""

    best: np.ndarray
    report: dict


def _agent_tuple(agent: ACEAgent) -> tuple:
    lo, hi = agent.target_band
    return (agent.rounds, agent.steps_per_round, agent.record_every, float(lo), float(hi),
            float(agent.lag), float(agent.nu), agent.target_acceptance)


def optimize(
    model: Union[str, Energy, None] = None,
    *,
    graph: Optional[str] = None,
    objective: str = "maxcut",
    size: Optional[list] = None,
    replicas: int = 16,
    steps: int = 2000,
    method: str = "tempering",
    schedule: str = "cosine",
    t_start: float = 3.0,
    temperature: float = 0.05,
    step_size: Optional[float] = None,
    seed: int = 0,
    agent: Optional[ACEAgent] = None,
    ctx: Optional[Context] = None,
    progress: bool = True,
) -> Optimum:
    """Searches for the lowest energy (``idf optimize``): of ``model`` (default Ising) on a
    ``size`` = [H, W] lattice (default 32 × 32), or of the graph in ``graph`` (a Gset file or
    JSON) read as ``objective`` maxcut, ising or qubo.

    ``method``: "tempering" (replica exchange on a ladder from ``temperature`` to ``t_start``
    adapted during burn-in by the ACE agent, Vousden, Farr & Mandel 2016), "anneal" (every
    replica along ``schedule``), "population" (population annealing, with a free-energy
    estimate), or the baselines "baseline-greedy" and "baseline-gd". ``replicas`` chains,
    ``steps`` sweeps. ``agent``: the :class:`ACEAgent` of tempering, whose rounds are the
    burn-in and must leave steps to sample (default: rounds of 50 steps over the first
    quarter of ``steps``).
    """
    if isinstance(model, Energy):
        name, params = model.name, model.params
    else:
        name, params = model or "ising", {}
    if isinstance(size, (int, np.integer)):
        size = [size, size]
    replicas, steps, seed = _count("replicas", replicas, 1), _count("steps", steps, 1), _count("seed", seed)
    update, close = _progress_bar(progress, f"optimizing ({method})")
    try:
        report, best = _native.optimize(
            ctx or default_context(), name, _json(params), None if graph is None else str(graph),
            objective, None if size is None else [_count("size", n, 1) for n in size], replicas, steps,
            method, schedule,
            float(t_start), float(temperature), step_size, seed,
            None if agent is None else _agent_tuple(agent), update,
        )
    finally:
        close()
    return Optimum(best=best, report=json.loads(report))


def optimize_entropy(
    service_graph: Union[dict, str, os.PathLike],
    *,
    telemetry: Optional[list] = None,
    method: str = "tempering",
    chains: int = 16,
    steps: int = 2000,
    t_start: Optional[float] = None,
    temperature: Optional[float] = None,
    seed: int = 0,
    baselines: bool = True,
    exact_time_limit: Optional[float] = 20.0,
    ctx: Optional[Context] = None,
    progress: bool = True,
) -> dict:
    """Places the replicas of a service graph's services on its nodes (``idf optimize
    --service-graph``) and returns the placement policy as a dict.

    ``service_graph``: a dict, or the path of a JSON file, in the format of
    ``docs/service_graph.schema.json`` (nodes with CPU, memory, GPU capacity, zone, idle and
    peak power and price; services with replicas, demands and anti-affinity, zone and affinity
    rules; traffic; the weights of the energy's terms; optionally the ``current`` placement,
    which the search starts from, paying ``weights.migration`` per moved replica).
    ``telemetry``: readings ``{"node", "utilisation", "power_w", "time"}`` that refit each
    node's power curve (least squares) first. ``method``: "tempering", "anneal" or
    "population", with ``chains`` chains for ``steps`` sweeps on the backend, from ``t_start``
    (default: twice the median cost change of a move) to ``temperature`` (default t_start /
    1000), then a zero-temperature quench. ``baselines``: first-fit and best-fit decreasing
    priced by the same energy, and the exact optimum from the CBC integer program for
    instances of at most 40 replicas (``exact_time_limit`` seconds; None skips it).

    The policy: ``assignment`` (service → node of each replica), ``nodes`` (replicas, loads,
    utilisation, power in W), ``costs`` (power, price, traffic, affinity, migration, entropy,
    penalty, total), ``feasible``, ``violations``, ``cannot_meet``, ``entropy_nats``,
    ``moved_replicas``, ``found_by`` (method, backend, seed, time_to_best_ms, wall_ms),
    ``baselines``, ``power_fits``, ``warnings``. Errors name the JSON path of the fault
    (``services[2].replicas``).
    """
    if isinstance(service_graph, dict):
        text = json.dumps(service_graph)
    else:
        with open(service_graph, encoding="utf-8") as f:
            text = f.read()
    chains, steps, seed = _count("chains", chains, 1), _count("steps", steps, 1), _count("seed", seed)
    update, close = _progress_bar(progress, f"placing ({method})", unit="sweeps")
    try:
        policy = _native.optimize_entropy(
            ctx or default_context(), text, None if telemetry is None else json.dumps(telemetry),
            method, chains, steps,
            None if t_start is None else float(t_start),
            None if temperature is None else float(temperature),
            seed, bool(baselines),
            None if exact_time_limit is None else float(exact_time_limit), update,
        )
    finally:
        close()
    return json.loads(policy)


def validate(
    *,
    trajectories: int = 1200,
    seed: int = 1,
    config: Optional[str] = None,
    ctx: Optional[Context] = None,
    progress: bool = True,
) -> dict:
    """Runs IDF's energy-law suite (``idf validate``) and returns its report as a dict.

    ``trajectories`` (at least one per domain) are shared among the domains: heat flow (mass
    conservation), forward noising (the second law), HMC on φ⁴ and on a Gaussian (the
    Hamiltonian's drift within its integrator's order), Langevin relaxation and an Ising quench
    at zero temperature (the energy never rises). ``config``: ``idf.yaml`` text whose Validation
    section sets the tolerances. The report: ``elf`` (fraction of trajectories with every law
    held), ``trajectories``, ``passed``, ``domains`` (each ``name``, ``trajectories``,
    ``passed``, ``elf``, ``laws`` with checked/violated counts, ``first_violation``), the
    tolerances, ``backend``, ``seed``, ``wall_ms``.
    """
    update, close = _progress_bar(progress, "validating", unit="domains")
    try:
        report = _native.validate(
            ctx or default_context(), _count("trajectories", trajectories, 1), _count("seed", seed), config, update
        )
    finally:
        close()
    return json.loads(report)


def render(
    model: Union[str, Energy, None] = None,
    *,
    out: str,
    png_frames: bool = False,
    ctx: Optional[Context] = None,
    progress: bool = True,
    **scene: Any,
) -> dict:
    """Renders one chain of a lattice energy as it evolves (``idf render``): a video with the
    energy and entropy curves under the field.

    ``out``: an ``.mp4`` (H.264) or ``.gif`` path, or with ``png_frames=True`` a folder of
    ``frame_00000.png``… ``model`` and ``scene`` as in :func:`sample`, plus the look keys
    (``frames``, ``steps_per_frame``, ``fps``, ``colormap``, ``range``, ``overlay``,
    ``scale``). Energies without a lattice raise :class:`FileFormatError`. Returns ``path``,
    ``frames``, ``width``, ``height``, ``fps``, ``duration_s``, ``wall_s``,
    ``frames_per_second``, ``elf`` (where an energy law applies), ``laws``, ``violations``,
    ``warnings``. The file is written atomically: a failed render leaves none.
    """
    keys, energy, name = _scene(model, scene)
    update, close = _progress_bar(progress, f"rendering {name}", unit="frames")
    try:
        summary = _native.render(
            ctx or default_context(), _json(keys), str(out), png_frames, update, energy
        )
    finally:
        close()
    return json.loads(summary)


def train_diffusion(
    data: str,
    model: Union[str, Energy] = "phi4",
    *,
    fixed: tuple = (),
    bounds: Optional[dict] = None,
    select: Optional[dict] = None,
    steps: int = 2000,
    batch_size: Optional[int] = None,
    chains: Optional[int] = None,
    sampler_steps: int = 1,
    learning_rate: Optional[float] = None,
    seed: int = 0,
    config: Optional[str] = None,
    ctx: Optional[Context] = None,
    progress: bool = True,
) -> dict:
    """Fits an energy's parameters to a dataset by maximum likelihood (``idf train``).

    ``data``: an Energy Atlas ``.h5`` file (``idf dataset synth``) or a folder of ``.npy`` maps
    with ``conditions.csv``. ``model``: a name or an :class:`Energy`, whose parameters are the
    starting point. ``fixed``: parameters held at their start; ``bounds``: ``{name: (min,
    max)}`` intervals (``None`` for an open end); ``select``: ``{condition: value}`` picking the
    records of one grid point (a fit takes one temperature and one value of each recorded
    parameter). ``batch_size``, ``chains`` and ``learning_rate`` default to ``config``'s
    Diffusion section (32, 32, 1e-4).

    Persistent contrastive divergence (Tieleman 2008) with Adam; the estimate is the Polyak
    average of the second half of the updates. Returns the report: ``params`` (each ``name``,
    ``mean``, ``stderr`` = ``stderr_data`` (Fisher information, N samples) and
    ``stderr_optimizer`` (Monte Carlo error of the average) in quadrature, ``fixed``),
    ``warnings``, ``curve`` (loss and parameters per update), ``loss``, ``steps``, ``samples``,
    ``temperature``, ``wall_ms``, ``backend``. Bad datasets raise :class:`FileFormatError` naming
    the file and the dataset.
    """
    if isinstance(model, Energy):
        name, params = model.name, model.params
    else:
        name, params = model, {}
    if isinstance(fixed, str):
        fixed = (fixed,)
    for key, bound in (bounds or {}).items():
        if not (isinstance(bound, (tuple, list)) and len(bound) == 2):
            raise InvalidInputError(f"invalid value for `bounds`: {key}: give (min, max), None for an open end")
    counts = [_count("steps", steps, 1), None if batch_size is None else _count("batch_size", batch_size, 1),
              None if chains is None else _count("chains", chains, 1), _count("sampler_steps", sampler_steps, 1)]
    end = lambda v: "" if v is None else repr(float(v))  # noqa: E731
    update, close = _progress_bar(progress, f"fitting {name}", unit="updates")
    try:
        report = _native.train(
            ctx or default_context(),
            str(data),
            name,
            _json(params),
            list(fixed),
            [f"{k}={end(lo)}:{end(hi)}" for k, (lo, hi) in (bounds or {}).items()],
            [f"{k}={v}" for k, v in (select or {}).items()],
            *counts,
            learning_rate,
            _count("seed", seed),
            config,
            update,
        )
    finally:
        close()
    return json.loads(report)


__all__ = [
    "Context",
    "Energy",
    "Samples",
    "sample",
    "validate",
    "render",
    "train_diffusion",
    "optimize",
    "optimize_entropy",
    "Optimum",
    "ACEAgent",
    "EnergyScheduler",
    "EnergyDiffusionModel",
    "boltzmann_weight",
    "BoltzmannWeights",
    "energy_gradient",
    "as_field",
    "default_context",
    "errors",
] + errors.__all__
