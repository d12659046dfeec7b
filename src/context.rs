//! [`Context`]: where IDF computes, a GPU through wgpu or the CPU twin.
//!
//! `Context::new()` takes a GPU adapter when one exists and otherwise the CPU, and says which;
//! `IDF_BACKEND=auto|gpu|cpu` overrides the choice. `Context::from_wgpu` adopts a device that a
//! caller (a VR or art tool, the viewer) already owns, so fields live in its buffers.

use std::fmt;
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use crate::error::{IdfError, Result};
use crate::gpu::GpuContext;

/// The backend a [`Context`] computes on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// The CPU twin of every kernel.
    Cpu,
    /// WGSL kernels through wgpu.
    Gpu,
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Backend::Cpu => "cpu",
            Backend::Gpu => "gpu",
        })
    }
}

/// A requested backend: `auto` takes a GPU when there is one.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum BackendChoice {
    /// A GPU if one is found, else the CPU.
    #[default]
    Auto,
    /// A GPU, or an error saying why there is none.
    Gpu,
    /// The CPU.
    Cpu,
}

impl FromStr for BackendChoice {
    type Err = IdfError;
    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "auto" | "" => Ok(BackendChoice::Auto),
            "gpu" => Ok(BackendChoice::Gpu),
            "cpu" => Ok(BackendChoice::Cpu),
            other => Err(IdfError::invalid(
                "backend",
                format!("`{other}` is not a backend; use auto, gpu or cpu"),
            )),
        }
    }
}

/// A request to stop: runs on a context that carries it stop at their next segment (about a
/// thousand dispatches) with [`IdfError::Cancelled`]. Cheap to clone: clones share the flag.
#[derive(Clone, Debug, Default)]
pub struct Cancel {
    flag: Arc<AtomicBool>,
    /// A run shared by several requests stops when every one of them has.
    all_of: Arc<[Cancel]>,
}

impl Cancel {
    /// A flag not yet raised.
    pub fn new() -> Self {
        Cancel::default()
    }

    /// A flag raised once every one of `flags` is (or by [`cancel`](Self::cancel)): the stop
    /// of a run that serves several requests.
    pub fn all_of(flags: Vec<Cancel>) -> Self {
        Cancel {
            flag: Arc::default(),
            all_of: flags.into(),
        }
    }

    /// Asks every run that carries this flag to stop.
    pub fn cancel(&self) {
        self.flag.store(true, Ordering::Relaxed);
    }

    /// Whether a stop was asked for.
    pub fn is_cancelled(&self) -> bool {
        self.flag.load(Ordering::Relaxed)
            || (!self.all_of.is_empty() && self.all_of.iter().all(Cancel::is_cancelled))
    }
}

/// Where IDF computes. Cheap to clone: clones share the GPU device.
#[derive(Clone)]
pub struct Context {
    gpu: Option<Arc<GpuContext>>,
    fallback_reason: Option<String>,
    cancel: Option<Cancel>,
}

impl fmt::Debug for Context {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.describe())
    }
}

impl Context {
    /// A GPU when one exists, otherwise the CPU; `IDF_BACKEND=auto|gpu|cpu` overrides.
    pub fn new() -> Result<Self> {
        let choice = match std::env::var("IDF_BACKEND") {
            Ok(v) => v.parse().map_err(|_| {
                IdfError::invalid(
                    "IDF_BACKEND",
                    format!("`{v}` is not a backend; use auto, gpu or cpu"),
                )
            })?,
            Err(_) => BackendChoice::Auto,
        };
        Self::with_backend(choice)
    }

    /// The context for an explicit choice.
    pub fn with_backend(choice: BackendChoice) -> Result<Self> {
        match choice {
            BackendChoice::Cpu => Ok(Self::cpu()),
            BackendChoice::Gpu => Self::gpu(),
            BackendChoice::Auto => match Self::gpu() {
                Ok(ctx) => Ok(ctx),
                Err(e) => Ok(Context {
                    gpu: None,
                    fallback_reason: Some(e.to_string()),
                    cancel: None,
                }),
            },
        }
    }

    /// The best GPU adapter wgpu finds, or an error naming why there is none.
    pub fn gpu() -> Result<Self> {
        Ok(Self::on_gpu(Arc::new(GpuContext::request()?)))
    }

    /// The CPU twin.
    pub fn cpu() -> Self {
        Context {
            gpu: None,
            fallback_reason: None,
            cancel: None,
        }
    }

    /// Adopts a caller's wgpu device and queue: IDF's buffers and pipelines are created on it, and
    /// [`crate::Simulation::gpu_buffer`] hands the field's buffer back for drawing.
    pub fn from_wgpu(adapter: &wgpu::Adapter, device: wgpu::Device, queue: wgpu::Queue) -> Self {
        Self::on_gpu(Arc::new(GpuContext::adopt(
            adapter.get_info(),
            device,
            queue,
        )))
    }

    /// A context on an existing IDF GPU context (its device, queue and pipelines).
    pub(crate) fn on_gpu(gpu: Arc<GpuContext>) -> Context {
        Context {
            gpu: Some(gpu),
            fallback_reason: None,
            cancel: None,
        }
    }

    /// The backend this context computes on.
    pub fn backend(&self) -> Backend {
        if self.gpu.is_some() {
            Backend::Gpu
        } else {
            Backend::Cpu
        }
    }

    /// The GPU adapter's description, when on a GPU.
    pub fn adapter_info(&self) -> Option<&wgpu::AdapterInfo> {
        self.gpu.as_deref().map(|g| &g.info)
    }

    /// A one-line name of the adapter: `llvmpipe (LLVM 15.0.6) [Vulkan, Cpu]` or `cpu (N threads)`.
    pub fn adapter_name(&self) -> String {
        match self.adapter_info() {
            Some(info) => format!("{} [{:?}, {:?}]", info.name, info.backend, info.device_type),
            None => format!("cpu ({} threads)", rayon::current_num_threads()),
        }
    }

    /// Why `auto` fell back to the CPU, if it did.
    pub fn fallback_reason(&self) -> Option<&str> {
        self.fallback_reason.as_deref()
    }

    /// A sentence saying which backend is used and why.
    pub fn describe(&self) -> String {
        match (&self.gpu, &self.fallback_reason) {
            (Some(_), _) => format!("gpu: {}", self.adapter_name()),
            (None, Some(reason)) => format!("cpu (no GPU: {reason})"),
            (None, None) => "cpu".to_string(),
        }
    }

    /// The same context, with runs started on it stopping when `cancel` is raised.
    pub fn with_cancel(&self, cancel: Cancel) -> Context {
        Context {
            cancel: Some(cancel),
            ..self.clone()
        }
    }

    /// The stop flag runs on this context check, if it has one.
    pub fn cancel_flag(&self) -> Option<&Cancel> {
        self.cancel.as_ref()
    }

    /// Keeps up to `bytes` of the GPU buffers that finished simulations release, for the next
    /// simulations of the same sizes (a server's requests); 0 turns it off, the default. Reused
    /// buffers are cleared first, so results do not change. Nothing on the CPU backend, where an
    /// allocation costs little next to a run.
    pub fn keep_gpu_buffers(&self, bytes: u64) {
        if let Some(gpu) = &self.gpu {
            gpu.buffers.set_capacity(bytes);
        }
    }

    /// What the GPU buffer pool holds and has reused (`None` on the CPU backend).
    pub fn gpu_buffer_pool(&self) -> Option<crate::gpu::buffer_pool::BufferPoolStats> {
        self.gpu.as_ref().map(|g| g.buffers.stats())
    }

    /// The GPU device with IDF's pipelines, for drawing from its buffers (`None` on the CPU).
    pub fn gpu_context(&self) -> Option<&Arc<GpuContext>> {
        self.gpu.as_ref()
    }
}
