//! The burn device the denoisers train and sample on, chosen for the process from an IDF
//! [`Context`] ([`use_context`]) or left to burn ([`device`]).
//!
//! - On the CPU context: burn's pure-Rust CPU backend (flex).
//! - On a GPU context, built with the feature `neural-gpu`: burn's wgpu backend on IDF's own
//!   wgpu device and queue (a `WgpuSetup` registered with burn once per IDF device), so the
//!   network and IDF's kernels share one device, one memory budget and one submission queue
//!   instead of opening a second device on the same adapter. Sampling then keeps its values on
//!   the GPU ([`fields_stay_on_gpu`]): they pass between IDF's buffers and burn's tensors by
//!   copies on the device (`device_fields`), and each reverse step is IDF's kernel
//!   `denoiser_reverse_step`; only the samples are read back.
//! - On a GPU context without `neural-gpu`: the CPU backend, as before (the jobs report the
//!   device they used, [`device_name`]).
//!
//! Without a call to [`use_context`], the device is the CPU's (flex) in every build: burn's own
//! default would be, with `neural-gpu`, a second device of its own on the first GPU it finds.

use std::sync::{Arc, Mutex};

use burn::prelude::Device;

use crate::context::Context;
use crate::error::Result;
use crate::gpu::GpuContext;

/// The device [`use_context`] chose for the process, if any.
static CHOSEN: Mutex<Option<Device>> = Mutex::new(None);

/// The device the denoisers use: the one [`use_context`] chose, else the CPU's (flex).
pub fn device() -> Device {
    CHOSEN
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone()
        .unwrap_or_else(Device::flex)
}

/// The device the denoisers use, as burn names it (`Device<Flex(Cpu)>`, …).
pub fn device_name() -> String {
    format!("{:?}", device())
}

/// Whether `device` is IDF's own GPU device (built with `neural-gpu`: [`device_for`] a GPU
/// context), where a denoiser's sampling keeps its values on the GPU from the starting noise to
/// the samples (with energy guidance too, unless its gradient is a host function).
pub fn fields_stay_on_gpu(device: &Device) -> bool {
    gpu_of(device).is_some()
}

/// The IDF GPU context whose wgpu device `device` is, if burn runs on one (`neural-gpu`).
pub(crate) fn gpu_of(device: &Device) -> Option<Arc<GpuContext>> {
    #[cfg(feature = "neural-gpu")]
    {
        shared_wgpu::context_of(device)
    }
    #[cfg(not(feature = "neural-gpu"))]
    {
        let _ = device;
        None
    }
}

/// The burn device for `ctx` (see the module's doc), without choosing it for the process.
/// Errors: burn refuses IDF's wgpu device (`neural-gpu` only).
pub fn device_for(ctx: &Context) -> Result<Device> {
    Ok(match ctx.gpu_context() {
        #[cfg(feature = "neural-gpu")]
        Some(gpu) => shared_wgpu::device_of(gpu)?,
        _ => Device::flex(),
    })
}

/// Runs the process's denoisers on `ctx`'s device ([`device_for`]) and returns it.
/// Errors: burn refuses IDF's wgpu device (`neural-gpu` only).
pub fn use_context(ctx: &Context) -> Result<Device> {
    let device = device_for(ctx)?;
    *CHOSEN.lock().unwrap_or_else(|e| e.into_inner()) = Some(device.clone());
    Ok(device)
}

#[cfg(feature = "neural-gpu")]
mod shared_wgpu {
    //! IDF's wgpu device registered with burn's wgpu runtime, once per device.

    use std::sync::{Arc, Mutex};

    use burn::prelude::Device;
    use burn::tensor::wgpu::WgpuSetup;

    use crate::error::{IdfError, Result};
    use crate::gpu::GpuContext;

    /// The burn device of each IDF device registered so far (burn cannot tell that a setup is
    /// registered twice, so IDF remembers). Burn's runtime keeps a registered device for the
    /// process, so its IDF context is kept too: a draw on the device needs IDF's kernels there
    /// after the caller's context is gone.
    static REGISTERED: Mutex<Vec<(Arc<GpuContext>, Device)>> = Mutex::new(Vec::new());

    /// The IDF context whose device `device` was registered on.
    pub(super) fn context_of(device: &Device) -> Option<Arc<GpuContext>> {
        let registered = REGISTERED.lock().unwrap_or_else(|e| e.into_inner());
        registered
            .iter()
            .find(|(_, d)| d == device)
            .map(|(ctx, _)| ctx.clone())
    }

    /// The burn device on `gpu`'s wgpu device and queue.
    pub(super) fn device_of(gpu: &Arc<GpuContext>) -> Result<Device> {
        let mut registered = REGISTERED.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((_, device)) = registered.iter().find(|(ctx, _)| Arc::ptr_eq(ctx, gpu)) {
            return Ok(device.clone());
        }
        let refused = |why: String| IdfError::invalid("backend", why);
        let (instance, adapter) = gpu.instance_and_adapter().ok_or_else(|| {
            refused(
                "this GPU context adopted a device without its wgpu instance: burn's wgpu \
                 backend cannot share it"
                    .into(),
            )
        })?;
        let setup = WgpuSetup {
            instance,
            adapter,
            device: gpu.device.clone(),
            queue: gpu.queue.clone(),
            backend: gpu.info.backend,
        };
        let device = Device::wgpu_options()
            .setup(setup)
            .init()
            .map_err(|e| refused(format!("burn's wgpu backend refused IDF's device: {e}")))?;
        registered.push((gpu.clone(), device.clone()));
        Ok(device)
    }
}
