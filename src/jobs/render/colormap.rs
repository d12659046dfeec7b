//! Colouring a simulation's field on its backend: the `colormap` kernel on the GPU (no field
//! copy, only pixels come back) or its CPU twin, over a [`ColorRange`] of a [`Colormap`].

use crate::context::Context;
use crate::engine::simulation::Simulation;
use crate::error::{IdfError, Result};
use crate::kernels::colormap::{ColorRange, Colormap};

/// Colours plane `plane` (chain × channel) of the simulation's current field on its backend into
/// packed RGBA8 pixels (`r` in the low byte), and returns the range used.
pub fn colorize(
    ctx: &Context,
    sim: &mut Simulation,
    plane: usize,
    map: Colormap,
    range: ColorRange,
) -> Result<(Vec<u32>, (f32, f32))> {
    let shape = sim.shape();
    let (w, h) = (shape.width, shape.height);
    if plane >= shape.chains * shape.channels {
        return Err(IdfError::invalid(
            "plane",
            format!("{plane} is past the field's planes"),
        ));
    }
    let (lo, hi) = match range {
        ColorRange::Fixed(lo, hi) => (lo, hi),
        ColorRange::PerFrame | ColorRange::Symmetric => {
            let stats = sim.chain_stats(None)?;
            let chain = plane / shape.channels;
            let (lo, hi) = (stats[chain].min as f32, stats[chain].max as f32);
            if range == ColorRange::Symmetric {
                let m = lo.abs().max(hi.abs());
                (-m, m)
            } else {
                (lo, hi)
            }
        }
    };
    let (lo, hi) = if hi > lo {
        (lo, hi)
    } else {
        (lo - 0.5, lo + 0.5)
    };
    let offset = plane * w * h;
    let pixels = match (ctx.gpu_context(), sim.gpu_buffer()) {
        (Some(gpu), Some(buffer)) => {
            gpu.colorize(buffer, offset as u32, w as u32, h as u32, lo, hi, map)?
        }
        _ => {
            let field = sim.field()?;
            let mut pixels = vec![0u32; w * h];
            crate::cpu::colormap::run(
                &field.data()[offset..offset + w * h],
                lo,
                hi,
                map.table(),
                &mut pixels,
            );
            pixels
        }
    };
    Ok((pixels, (lo, hi)))
}
