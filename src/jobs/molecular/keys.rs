//! The keys of a molecular run as a request or a scene gives them ([`MolecularKeys`]: the
//! `molecular` key of a `POST /diffuse` body, of a scene file for `idf render`), with
//! `idf molecular`'s defaults; and [`MolecularScene`], a scene file that renders a run to video.

use std::path::Path;

use serde::Deserialize;

use super::{MolecularSpec, MolecularStart};
use crate::error::{IdfError, Result};
use crate::jobs::render::encode::Output;
use crate::jobs::render::particles::ParticleLook;
use crate::jobs::scene::load_capsule_scene;

/// A Lennard-Jones run (the keys of `idf molecular`; defaults as there). An unknown or mistyped
/// key is named as `molecular.KEY`; a value out of range is named by its key.
#[derive(Clone, Debug, Default, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct MolecularKeys {
    /// Particles per system (default 4000).
    pub particles: Option<usize>,
    /// Number density of a bulk fluid in a periodic cube (default 0.8442).
    pub density: Option<f64>,
    /// A cluster in free space instead (default false).
    pub cluster: Option<bool>,
    /// Independent systems (default 1); the rungs of the ladder under replica exchange.
    pub chains: Option<usize>,
    /// verlet, baoab, overdamped or hmc (default baoab).
    pub integrator: Option<String>,
    /// Leapfrog steps per HMC trajectory (default 10).
    pub leapfrog_steps: Option<u32>,
    /// Langevin friction γ (default 1).
    pub gamma: Option<f32>,
    /// Time step (default 0.005).
    pub dt: Option<f32>,
    /// Temperature (default 0.72); the coldest rung under replica exchange.
    pub temperature: Option<f32>,
    /// Anneal linearly from this temperature (default: constant).
    pub t_start: Option<f32>,
    /// Replica exchange: the hottest rung of a geometric ladder from `temperature`, one rung per
    /// chain (default: none).
    pub t_max: Option<f32>,
    /// Steps between replica-exchange swap attempts (default 100).
    pub exchange_every: Option<u64>,
    /// Steps (default 1000).
    pub steps: Option<u64>,
    /// Steps between records (default 10).
    pub record_every: Option<u64>,
    /// Records left out of the estimates (default 0).
    pub burn_in_records: Option<usize>,
    /// Fractions of species 0, 1, … (default one species).
    pub species_fractions: Option<Vec<f64>>,
    /// Species pairs' ε and σ (others mix by Lorentz–Berthelot).
    pub pairs: Option<Vec<PairSpec>>,
    /// Cutoff r_c (default 2.5).
    pub cutoff: Option<f32>,
    /// plain, shifted or tail (default plain).
    pub truncation: Option<String>,
    /// Verlet skin (default 0.3).
    pub skin: Option<f32>,
    /// Seed (default 0).
    pub seed: Option<u32>,
    /// Quench every system with FIRE at the end (default false).
    pub minimise: Option<bool>,
}

/// One species pair's Lennard-Jones parameters.
#[derive(Clone, Debug, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PairSpec {
    /// First species.
    pub a: usize,
    /// Second species.
    pub b: usize,
    /// Well depth ε.
    pub epsilon: f32,
    /// Size σ.
    pub sigma: f32,
}

impl MolecularKeys {
    /// The job they ask for (writing no files).
    pub fn spec(&self) -> Result<MolecularSpec> {
        let d = MolecularSpec::default();
        let start = match (self.cluster.unwrap_or(false), self.density) {
            (true, Some(_)) => {
                return Err(IdfError::invalid(
                    "molecular.density",
                    "a cluster is in free space: give cluster or density, not both",
                ))
            }
            (true, None) => MolecularStart::Cluster,
            (false, density) => MolecularStart::Fluid {
                density: density.unwrap_or(0.8442),
            },
        };
        Ok(MolecularSpec {
            particles: self.particles.unwrap_or(d.particles),
            chains: self.chains.unwrap_or(d.chains),
            start,
            integrator: self.integrator.clone().unwrap_or(d.integrator),
            gamma: self.gamma.unwrap_or(d.gamma),
            leapfrog_steps: self.leapfrog_steps.unwrap_or(d.leapfrog_steps),
            dt: self.dt.unwrap_or(d.dt),
            temperature: self.temperature.unwrap_or(d.temperature),
            t_start: self.t_start,
            t_max: self.t_max,
            exchange_every: self.exchange_every.unwrap_or(d.exchange_every),
            steps: self.steps.unwrap_or(d.steps),
            record_every: self.record_every.unwrap_or(d.record_every),
            burn_in_records: self.burn_in_records.unwrap_or(0),
            species_fractions: self
                .species_fractions
                .clone()
                .unwrap_or(d.species_fractions),
            pairs: self
                .pairs
                .iter()
                .flatten()
                .map(|p| (p.a, p.b, p.epsilon, p.sigma))
                .collect(),
            cutoff: self.cutoff.unwrap_or(d.cutoff),
            truncation: match &self.truncation {
                Some(t) => t.parse()?,
                None => d.truncation,
            },
            skin: self.skin.unwrap_or(d.skin),
            seed: self.seed.unwrap_or(0),
            minimise: self.minimise.unwrap_or(false),
            ..d
        })
    }
}

/// A scene file that renders a molecular run (`idf render FILE.yaml`): a top-level `molecular`
/// key with [`MolecularKeys`], and optionally the video's `fps` (default 30) and `size` (the
/// picture's width and height in pixels, default 512). The video draws system 0 (the coldest
/// rung under replica exchange), a frame per record.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MolecularScene {
    /// The run.
    pub molecular: MolecularKeys,
    /// Frames per second.
    pub fps: Option<u32>,
    /// The picture's width and height in pixels.
    pub size: Option<usize>,
}

impl MolecularScene {
    /// The molecular scene in `path`, or `None` when the YAML file has no top-level `molecular`
    /// key. Errors name the file and the key.
    pub fn load(path: &Path) -> Result<Option<Self>> {
        load_capsule_scene(path, "molecular")
    }

    /// The run that renders it to `output`, with `frames` (at least 2: the start and a record
    /// every ⌈steps / (frames − 1)⌉ steps and at the last, which is `frames` exactly when
    /// frames − 1 divides the steps, and a few fewer otherwise), `size` (pixels), `fps` and
    /// `seed` overriding the file's. A quench (`minimise`) adds its structure as a last frame.
    pub fn spec(
        &self,
        output: Output,
        frames: Option<u64>,
        size: Option<usize>,
        fps: Option<u32>,
        seed: Option<u32>,
    ) -> Result<MolecularSpec> {
        let mut spec = self.molecular.spec()?;
        if let Some(f) = frames {
            if f < 2 {
                return Err(IdfError::invalid("frames", "need at least 2 frames"));
            }
            spec.record_every = spec.steps.div_ceil(f - 1).max(1);
        }
        if let Some(seed) = seed {
            spec.seed = seed;
        }
        let d = ParticleLook::default();
        spec.look = ParticleLook {
            size: size.or(self.size).unwrap_or(d.size),
            fps: fps.or(self.fps).unwrap_or(d.fps),
            ..d
        };
        spec.video = Some(output);
        Ok(spec)
    }
}
