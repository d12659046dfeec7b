//! Fields: f32 tensors of shape `[chains, channels, height, width]`, row-major, periodic.
//! Particle-like models (the Gaussian mixture) keep one point per chain in the same layout.

use serde::Serialize;

use crate::cpu::shared::rng::{gaussian, rng_draw, STREAM_INIT};
use crate::error::{IdfError, Result};
use crate::memory;

/// The most sites a field may hold (1 GiB of f32).
pub const MAX_SITES: usize = 1 << 28;
/// The most chains one dispatch handles (one workgroup per chain in reductions).
pub const MAX_CHAINS: usize = 65_535;

/// The shape of a field.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Shape {
    /// Independent chains, advanced in one dispatch.
    pub chains: usize,
    /// Channels per chain.
    pub channels: usize,
    /// Lattice height.
    pub height: usize,
    /// Lattice width.
    pub width: usize,
}

impl Shape {
    /// A shape, checked: no zero dimension, at most [`MAX_CHAINS`] chains and [`MAX_SITES`] sites.
    pub fn new(chains: usize, channels: usize, height: usize, width: usize) -> Result<Self> {
        let dims = [
            ("chains", chains),
            ("channels", channels),
            ("height", height),
            ("width", width),
        ];
        if let Some((name, _)) = dims.iter().find(|(_, v)| *v == 0) {
            return Err(IdfError::InvalidShape(format!("{name} must be at least 1")));
        }
        if chains > MAX_CHAINS {
            return Err(IdfError::InvalidShape(format!(
                "{chains} chains is over the limit of {MAX_CHAINS}"
            )));
        }
        let sites = dims
            .iter()
            .try_fold(1usize, |acc, (_, v)| acc.checked_mul(*v))
            .filter(|s| *s <= MAX_SITES)
            .ok_or_else(|| {
                IdfError::InvalidShape(format!(
                    "[{chains}, {channels}, {height}, {width}] is over the limit of {MAX_SITES} sites"
                ))
            })?;
        debug_assert!(sites <= MAX_SITES);
        Ok(Shape {
            chains,
            channels,
            height,
            width,
        })
    }

    /// Values per chain.
    pub fn sites_per_chain(&self) -> usize {
        self.channels * self.height * self.width
    }

    /// Values in the whole field.
    pub fn len(&self) -> usize {
        self.chains * self.sites_per_chain()
    }

    /// Whether the field is empty (never, for a checked shape).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// `[chains, channels, height, width]`.
    pub fn dims(&self) -> [usize; 4] {
        [self.chains, self.channels, self.height, self.width]
    }
}

/// A field on the host.
#[derive(Clone, Debug, PartialEq)]
pub struct Field {
    shape: Shape,
    data: Vec<f32>,
}

impl Field {
    /// All zeros; an error if the memory for it cannot be allocated.
    pub fn zeros(shape: Shape) -> Result<Self> {
        Ok(Field {
            shape,
            data: memory::filled(shape.len(), 0.0, "field")?,
        })
    }

    /// Wraps data, checking its length.
    pub fn from_vec(shape: Shape, data: Vec<f32>) -> Result<Self> {
        if data.len() != shape.len() {
            return Err(IdfError::InvalidShape(format!(
                "{} values do not fill a field of shape {:?} ({} values)",
                data.len(),
                shape.dims(),
                shape.len()
            )));
        }
        Ok(Field { shape, data })
    }

    /// Independent N(0, std²) values from the counter-based generator (the same on every backend);
    /// an error if the memory for them cannot be allocated.
    pub fn random_normal(shape: Shape, seed: u32, std: f32) -> Result<Self> {
        Self::generate(shape, seed, |r| std * gaussian(r))
    }

    /// Independent ±1 spins with equal probability, from the top bit of a hashed word (the low
    /// bits of a multiplicative hash are correlated between neighbouring counters); an error if
    /// the memory for them cannot be allocated.
    pub fn random_spins(shape: Shape, seed: u32) -> Result<Self> {
        Self::generate(shape, seed, |r| if r[0] >> 31 == 0 { 1.0 } else { -1.0 })
    }

    fn generate(shape: Shape, seed: u32, f: impl Fn([u32; 4]) -> f32) -> Result<Self> {
        let n = shape.sites_per_chain();
        let values = (0..shape.len()).map(|i| {
            f(rng_draw(
                (i % n) as u32,
                (i / n) as u32,
                u32::MAX,
                seed,
                STREAM_INIT,
            ))
        });
        Ok(Field {
            shape,
            data: memory::collected(shape.len(), values, "field")?,
        })
    }

    /// The shape.
    pub fn shape(&self) -> Shape {
        self.shape
    }

    /// All values, chain after chain.
    pub fn data(&self) -> &[f32] {
        &self.data
    }

    /// All values, mutable.
    pub fn data_mut(&mut self) -> &mut [f32] {
        &mut self.data
    }

    /// The values of one chain.
    pub fn chain(&self, chain: usize) -> &[f32] {
        let n = self.shape.sites_per_chain();
        &self.data[chain * n..(chain + 1) * n]
    }

    /// Chain `chain` as a field of one chain.
    pub fn chain_field(&self, chain: usize) -> Field {
        Field {
            shape: Shape {
                chains: 1,
                ..self.shape
            },
            data: self.chain(chain).to_vec(),
        }
    }

    /// Chains `chains` as a field of their own.
    pub fn chain_range(&self, chains: std::ops::Range<usize>) -> Field {
        let n = self.shape.sites_per_chain();
        Field {
            shape: Shape {
                chains: chains.len(),
                ..self.shape
            },
            data: self.data[chains.start * n..chains.end * n].to_vec(),
        }
    }

    /// The chains of `fields`, one after another, as one field; the fields must share their
    /// channels and lattice, and the chains in all must not pass [`MAX_CHAINS`] or the sites
    /// [`MAX_SITES`].
    pub fn concat_chains(fields: &[Field]) -> Result<Field> {
        let first = fields
            .first()
            .ok_or_else(|| IdfError::InvalidShape("no fields to join".into()))?
            .shape;
        let chains = fields.iter().map(|f| f.shape.chains).sum();
        let shape = Shape::new(chains, first.channels, first.height, first.width)?;
        if let Some(f) = fields
            .iter()
            .find(|f| f.shape.dims()[1..] != first.dims()[1..])
        {
            return Err(IdfError::InvalidShape(format!(
                "a field of shape {:?} cannot join one of shape {:?}",
                f.shape.dims(),
                first.dims()
            )));
        }
        let mut data = memory::reserved(shape.len(), "field")?;
        for f in fields {
            data.extend_from_slice(&f.data);
        }
        Ok(Field { shape, data })
    }

    /// Gives the values back.
    pub fn into_vec(self) -> Vec<f32> {
        self.data
    }

    /// Whether every value is finite.
    pub fn is_finite(&self) -> bool {
        self.data.iter().all(|v| v.is_finite())
    }
}
