//! Spectral machinery on periodic grids, on either backend: the 2-D FFT (radix-2 Stockham
//! passes on the GPU with a CPU twin), and [`SpectralGrid`], a batch of `chains` grids of
//! `height × width` (powers of two) with the buffers a pseudo-spectral integrator needs
//! (`kernels/spectral.rs`). The Hasegawa–Wakatani integrator (`engine/plasma/`) builds on it.

use crate::context::Context;
use crate::error::{IdfError, Result};
use crate::kernels::spectral::{
    SpectralBuffer, SpectralKernel, SpectralParams, SPECTRAL_FLIP, SPECTRAL_INVERSE,
};
use crate::spectral_executor::SpectralExecutor;

/// Which complex array holds a spectrum.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Spectrum {
    /// `spec_a`.
    A,
    /// `spec_b`.
    B,
}

/// `chains` periodic grids of `height × width` on a backend.
pub struct SpectralGrid {
    exec: SpectralExecutor,
    /// Grids side by side.
    pub chains: usize,
    /// Rows.
    pub height: usize,
    /// Columns.
    pub width: usize,
}

impl SpectralGrid {
    /// Zeroed buffers on `ctx`'s backend. Errors: a side that is not a power of two of at
    /// least 2, named `size`; no chains.
    pub fn new(ctx: &Context, chains: usize, height: usize, width: usize) -> Result<Self> {
        for n in [height, width] {
            if n < 2 || !n.is_power_of_two() {
                return Err(IdfError::invalid(
                    "size",
                    format!(
                        "{height}x{width}: the FFT needs sides that are powers of two (at least 2)"
                    ),
                ));
            }
        }
        if chains == 0 {
            return Err(IdfError::invalid("chains", "must be at least 1"));
        }
        let sites = height
            .checked_mul(width)
            .and_then(|plane| plane.checked_mul(chains))
            .filter(|s| *s <= crate::engine::field::MAX_SITES)
            .ok_or_else(|| {
                IdfError::invalid(
                    "size",
                    format!("{chains} grids of {height}x{width} are over the site limit"),
                )
            })?;
        debug_assert!(sites > 0);
        Ok(SpectralGrid {
            exec: SpectralExecutor::new(ctx, chains, height, width)?,
            chains,
            height,
            width,
        })
    }

    /// The parameters every kernel of this grid starts from.
    pub fn params(&self) -> SpectralParams {
        SpectralParams {
            chains: self.chains as u32,
            height: self.height as u32,
            width: self.width as u32,
            ..SpectralParams::default()
        }
    }

    /// The passes of a 2-D FFT of the spectrum in `from` (rows, then columns); returns where
    /// the result lands.
    pub fn fft_passes(
        &self,
        from: Spectrum,
        inverse: bool,
        out: &mut Vec<(SpectralKernel, SpectralParams)>,
    ) -> Spectrum {
        let mut at = from;
        for (axis, len) in [(0u32, self.width), (1, self.height)] {
            let mut span = 1;
            while span < len {
                let flags = if inverse { SPECTRAL_INVERSE } else { 0 }
                    | if at == Spectrum::B { SPECTRAL_FLIP } else { 0 };
                out.push((
                    SpectralKernel::FftPass,
                    SpectralParams {
                        axis,
                        span: span as u32,
                        flags,
                        ..self.params()
                    },
                ));
                at = if at == Spectrum::A {
                    Spectrum::B
                } else {
                    Spectrum::A
                };
                span *= 2;
            }
        }
        at
    }

    /// Overwrites buffer `b`.
    pub(crate) fn write(&mut self, b: SpectralBuffer, data: &[f32]) {
        self.exec.write(b, data);
    }

    /// Buffer `b`.
    pub(crate) fn read(&mut self, b: SpectralBuffer) -> Result<Vec<f32>> {
        self.exec.read(b)
    }

    /// Runs the kernels in order.
    pub(crate) fn run(&mut self, kernels: &[(SpectralKernel, SpectralParams)]) -> Result<()> {
        self.exec.run(kernels)
    }

    /// The 2-D DFT of every chain's complex grid `data` (`[chains][height][width]`), or its
    /// inverse without the 1/(height·width).
    pub fn fft(&mut self, data: &[[f32; 2]], inverse: bool) -> Result<Vec<[f32; 2]>> {
        let len = self.chains * self.height * self.width;
        if data.len() != len {
            return Err(IdfError::invalid(
                "data",
                format!("{} values for {len} sites", data.len()),
            ));
        }
        self.exec
            .write(SpectralBuffer::SpecA, bytemuck::cast_slice(data));
        let mut passes = Vec::new();
        let at = self.fft_passes(Spectrum::A, inverse, &mut passes);
        self.exec.run(&passes)?;
        let out = self.exec.read(match at {
            Spectrum::A => SpectralBuffer::SpecA,
            Spectrum::B => SpectralBuffer::SpecB,
        })?;
        Ok(bytemuck::cast_slice(&out).to_vec())
    }
}
