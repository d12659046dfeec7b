//! Values between IDF's wgpu buffers and burn's tensors on the same device (feature
//! `neural-gpu`): copied by the device on IDF's queue, which burn's wgpu runtime shares, never
//! through the host.
//!
//! Burn 0.22 cannot wrap an existing buffer as a tensor, but cubecl hands out the buffer behind
//! one (`ComputeClient::get_resource`, the buffer and the tensor's offset in it). Into the
//! network: a new tensor is made and its slice of buffer overwritten by a copy; out of it: the
//! output tensor's slice is copied into IDF's buffer. Before either copy, burn's pending work is
//! submitted (`flush`), so that the one queue runs it first.

use burn::prelude::*;
use burn::tensor::DType;
use burn_cubecl::tensor::CubeTensor;
use burn_cubecl::Cube;
use cubecl::wgpu::{AutoCompiler, WgpuServer};

use crate::error::{IdfError, Result};
use crate::gpu::GpuContext;

/// The compute server of burn's wgpu devices.
type Server = WgpuServer<AutoCompiler>;

fn failed(what: &str, why: impl std::fmt::Debug) -> IdfError {
    IdfError::Gpu(format!("{what}: {why:?}"))
}

/// The cubecl tensor behind `tensor`. Errors: a tensor not on a wgpu device of burn's, or on an
/// autodiff device.
fn cube_tensor(tensor: Tensor<2>) -> Result<CubeTensor> {
    tensor
        .try_into_primitive::<Cube>()
        .map_err(|e| failed("the network's tensor is not on burn's wgpu device", e))
}

/// Copies `values` f32 between `tensor`'s slice of its buffer and the start of `buffer` (from
/// the tensor when `out`), after burn's pending work, on `gpu`'s queue.
fn copy(
    gpu: &GpuContext,
    tensor: &CubeTensor,
    values: usize,
    buffer: &wgpu::Buffer,
    out: bool,
) -> Result<()> {
    let bytes = values as u64 * 4;
    let resource = tensor
        .client
        .get_resource::<Server>(tensor.handle.clone())
        .map_err(|e| failed("burn's tensor buffer", e))?;
    tensor
        .client
        .flush()
        .map_err(|e| failed("burn's pending work", e))?;
    let slice = resource.resource();
    // The tensor's slice, not the whole buffer burn's pool gave it, bounds the copy.
    if slice.size < bytes {
        return Err(IdfError::Gpu(format!(
            "a copy of {bytes} bytes from or into burn's tensor of {} bytes",
            slice.size
        )));
    }
    let (tensor, ours) = ((&slice.buffer, slice.offset), (buffer, 0));
    if out {
        gpu.copy_buffer(tensor, ours, bytes)?;
    } else {
        gpu.copy_buffer(ours, tensor, bytes)?;
    }
    Ok(())
}

/// A `rows × cols` f32 tensor on `device` (burn's wgpu device on `gpu`) holding the first
/// `rows · cols` values of `buffer`. Errors: `device` is not burn's wgpu device on `gpu`.
pub(crate) fn tensor_from_buffer(
    gpu: &GpuContext,
    buffer: &wgpu::Buffer,
    [rows, cols]: [usize; 2],
    device: &Device,
) -> Result<Tensor<2>> {
    // Zeros rather than an empty tensor, whose memory cubecl allocates lazily: `get_resource`
    // refuses an unallocated handle.
    let tensor = cube_tensor(Tensor::<2>::zeros([rows, cols], device))?;
    copy(gpu, &tensor, rows * cols, buffer, false)?;
    Ok(Tensor::from_primitive::<Cube>(tensor))
}

/// Copies the values of the f32 tensor `tensor` (row-major) to the start of `buffer`. Errors:
/// a tensor not on burn's wgpu device on `gpu`, not f32 or not contiguous.
pub(crate) fn copy_into_buffer(
    gpu: &GpuContext,
    tensor: Tensor<2>,
    buffer: &wgpu::Buffer,
) -> Result<()> {
    let values = tensor.shape().num_elements();
    let tensor = cube_tensor(tensor)?;
    if tensor.dtype != DType::F32 || !tensor.is_contiguous() {
        return Err(IdfError::Gpu(format!(
            "the network's output is {:?}{}: expected contiguous f32",
            tensor.dtype,
            if tensor.is_contiguous() {
                ""
            } else {
                ", not contiguous"
            }
        )));
    }
    copy(gpu, &tensor, values, buffer, true)
}
