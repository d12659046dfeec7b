//! The library's error type: every failure a user can cause or meet, each with a clear message.

use std::path::PathBuf;

/// Result alias for IDF operations.
pub type Result<T, E = IdfError> = std::result::Result<T, E>;

/// Everything that can go wrong in IDF.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IdfError {
    /// No usable GPU adapter was found; the message says why.
    #[error("no GPU adapter: {0}")]
    NoAdapter(String),
    /// The adapter refused to create a device.
    #[error("the GPU adapter refused a device: {0}")]
    DeviceRequest(String),
    /// A WGSL module failed to parse or validate; the message carries naga's line and column.
    #[error("shader `{name}` is invalid:\n{message}")]
    Shader {
        /// The composed module's name.
        name: String,
        /// naga's diagnostic, with line and column.
        message: String,
    },
    /// The GPU reported an error while running a kernel.
    #[error("GPU error: {0}")]
    Gpu(String),
    /// The model name is not one IDF knows.
    #[error("unknown model `{model}`; known models: {known}")]
    UnknownModel {
        /// The name given.
        model: String,
        /// The registered models built by name.
        known: String,
    },
    /// The model has no parameter of that name.
    #[error("model `{model}` has no parameter `{param}`; its parameters are: {known}")]
    UnknownParam {
        /// The model.
        model: String,
        /// The unknown parameter.
        param: String,
        /// The parameters it does have.
        known: String,
    },
    /// A parameter has a value that cannot be used.
    #[error("invalid value for `{name}`: {reason}")]
    InvalidParam {
        /// The parameter or option.
        name: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A field shape cannot be used.
    #[error("invalid shape: {0}")]
    InvalidShape(String),
    /// The integrator does not apply to the model.
    #[error("integrator `{integrator}` does not apply to model `{model}`: {reason}")]
    Unsupported {
        /// The integrator.
        integrator: String,
        /// The model.
        model: String,
        /// Why, and what to use instead.
        reason: String,
    },
    /// The model has no implementation on the chosen backend.
    #[error("model `{model}` does not run on the {backend} backend: {reason}")]
    BackendUnsupported {
        /// The model.
        model: String,
        /// The backend.
        backend: String,
        /// Why, and what to use instead.
        reason: String,
    },
    /// The field, or the energy of a recorded state, became NaN or infinite.
    #[error(
        "the run diverged at step {step}: the field or its energy became NaN or infinite with step size {step_size}; \
         try a step size of {suggested:.3e} or smaller{}",
        if *within_bound {
            " (the step size was already inside this model's stability bound, so the parameters \
             or the starting field may be what diverges)"
        } else {
            ", inside this model's stability bound"
        }
    )]
    Diverged {
        /// The first step whose output (or its recorded energy) was not finite.
        step: u64,
        /// The step size that diverged.
        step_size: f32,
        /// A smaller step size to try: the model's stable step size where the one that diverged
        /// was above it, else half the one that diverged. Never larger than `step_size`.
        suggested: f32,
        /// Whether the step size that diverged was already inside the stability bound.
        within_bound: bool,
    },
    /// A buffer sized from the input could not be allocated: the machine (or the process's
    /// limit, `ulimit -v`) has less memory left than the request needs.
    #[error(
        "out of memory: the {what} needs {:.2} GiB, more than this process can allocate now; \
         use a smaller size or fewer chains",
        *bytes as f64 / (1u64 << 30) as f64
    )]
    OutOfMemory {
        /// The buffer (`field`, `trace`, `GPU field A`…).
        what: String,
        /// Its size in bytes.
        bytes: u64,
    },
    /// The run was asked to stop (a cancelled or timed-out request).
    #[error("the run was cancelled at step {step}")]
    Cancelled {
        /// Steps done when it stopped.
        step: u64,
    },
    /// A dataset file breaks the Energy Atlas format (`docs/energy_atlas.md`).
    #[error("{path}: dataset `{dataset}`: {message}")]
    Dataset {
        /// The file (or directory).
        path: PathBuf,
        /// The dataset (`maps`, `conditions`, a `.npy` file's name…).
        dataset: String,
        /// What is wrong.
        message: String,
    },
    /// A configuration or scene file is invalid.
    #[error("{path}: {message}")]
    Config {
        /// The file.
        path: PathBuf,
        /// What is wrong, naming the key.
        message: String,
    },
    /// Encoding or decoding a video or image failed.
    #[error("{path}: {message}")]
    Encode {
        /// The file.
        path: PathBuf,
        /// What the encoder said.
        message: String,
    },
    /// Reading or writing a file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
}

impl IdfError {
    /// An [`IdfError::InvalidParam`].
    pub fn invalid(name: impl Into<String>, reason: impl Into<String>) -> Self {
        IdfError::InvalidParam {
            name: name.into(),
            reason: reason.into(),
        }
    }

    /// An [`IdfError::Io`] for `path`.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        IdfError::Io {
            path: path.into(),
            source,
        }
    }
}
