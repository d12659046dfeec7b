//! The burn device the denoisers train and sample on, chosen for the process from an IDF
//! [`Context`] ([`use_context`]) or left to burn ([`device`]).
//!
//! - On the CPU context: burn's pure-Rust CPU backend (flex).
//! - On a GPU context, built with the feature `neural-gpu`: burn's wgpu backend on IDF's own
//!   wgpu device and queue (a `WgpuSetup` registered with burn once per IDF device), so the
//!   network and IDF's kernels share one device, one memory budget and one submission queue
//!   instead of opening a second device on the same adapter. Burn 0.22 has no public way to
//!   wrap an existing buffer as a tensor, so a field still passes between IDF's buffers and
//!   burn's tensors through the host.
//! - On a GPU context without `neural-gpu`: the CPU backend, as before (the jobs report the
//!   device they used, [`device_name`]).
//!
//! Without a call to [`use_context`], the device is burn's default: flex, or with `neural-gpu`
//! the first GPU burn finds itself (`BURN_DEVICE=flex` keeps the CPU).

use std::sync::Mutex;

use burn::prelude::Device;

use crate::context::Context;
use crate::error::Result;

/// The device [`use_context`] chose for the process, if any.
static CHOSEN: Mutex<Option<Device>> = Mutex::new(None);

/// The device the denoisers use: the one [`use_context`] chose, else burn's default.
pub fn device() -> Device {
    CHOSEN
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone()
        .unwrap_or_default()
}

/// The device the denoisers use, as burn names it (`Device<Flex(Cpu)>`, …).
pub fn device_name() -> String {
    format!("{:?}", device())
}

/// Runs the process's denoisers on `ctx`'s device (see the module's doc) and returns it.
/// Errors: burn refuses IDF's wgpu device (`neural-gpu` only).
pub fn use_context(ctx: &Context) -> Result<Device> {
    let device = match ctx.gpu_context() {
        #[cfg(feature = "neural-gpu")]
        Some(gpu) => shared_wgpu::device_of(gpu)?,
        _ => Device::flex(),
    };
    *CHOSEN.lock().unwrap_or_else(|e| e.into_inner()) = Some(device.clone());
    Ok(device)
}

#[cfg(feature = "neural-gpu")]
mod shared_wgpu {
    //! IDF's wgpu device registered with burn's wgpu runtime, once per device.

    use std::sync::{Arc, Mutex, Weak};

    use burn::prelude::Device;
    use burn::tensor::wgpu::WgpuSetup;

    use crate::error::{IdfError, Result};
    use crate::gpu::GpuContext;

    /// The burn device of each IDF device registered so far (burn cannot tell that a setup is
    /// registered twice, so IDF remembers).
    static REGISTERED: Mutex<Vec<(Weak<GpuContext>, Device)>> = Mutex::new(Vec::new());

    /// The burn device on `gpu`'s wgpu device and queue.
    pub(super) fn device_of(gpu: &Arc<GpuContext>) -> Result<Device> {
        let mut registered = REGISTERED.lock().unwrap_or_else(|e| e.into_inner());
        registered.retain(|(ctx, _)| ctx.strong_count() > 0);
        if let Some((_, device)) = registered
            .iter()
            .find(|(ctx, _)| std::ptr::eq(ctx.as_ptr(), Arc::as_ptr(gpu)))
        {
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
        registered.push((Arc::downgrade(gpu), device.clone()));
        Ok(device)
    }
}
