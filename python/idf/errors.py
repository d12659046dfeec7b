"""IDF's exceptions. Every error IDF raises is an :class:`IdfError`; each kind also subclasses
the built-in exception a Python user would catch for it (``ValueError`` for bad input,
``MemoryError`` for out-of-memory…). Messages are the library's own, naming the parameter."""


class IdfError(Exception):
    """Any error from IDF."""


class InvalidInputError(IdfError, ValueError):
    """A parameter, shape, model or integrator that cannot be used; the message names it."""


class FileFormatError(IdfError, ValueError):
    """A dataset, configuration or scene file that breaks its format; the message names the file
    and the dataset or key."""


class FileAccessError(IdfError, OSError):
    """A file that could not be read or written; the message names it and the system's reason."""


class MissingFileError(FileAccessError, FileNotFoundError):
    """A file or folder that does not exist; the message names it."""


class DivergenceError(IdfError, ArithmeticError):
    """The run diverged: the field, or a recorded state's energy, became NaN or infinite.

    Attributes: ``step`` (the first step whose field or energy was not finite), ``step_size`` (the one
    that diverged) and ``stable_step_size`` (a smaller one to try)."""

    step: int
    step_size: float
    stable_step_size: float


class NoAdapterError(IdfError, RuntimeError):
    """No usable GPU adapter (``Context("gpu")`` on a machine without one, or a device the
    adapter refused); the message says why. ``Context("auto")`` falls back to the CPU instead."""


class ShaderError(IdfError, ValueError):
    """A WGSL module failed to parse or validate; the message carries naga's line and column."""


class OutOfMemoryError(IdfError, MemoryError):
    """A buffer sized from the input could not be allocated; the message names it and its size."""


__all__ = [
    "IdfError",
    "InvalidInputError",
    "FileFormatError",
    "FileAccessError",
    "MissingFileError",
    "DivergenceError",
    "NoAdapterError",
    "ShaderError",
    "OutOfMemoryError",
]
