//! `idf.yaml`: the project configuration. Unknown keys are errors that name the key.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::engine::diffusion::NoiseSchedule;
use crate::engine::validation::ValidationConfig;
use crate::error::{IdfError, Result};

/// The whole `idf.yaml`.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Deployment (the Energy Intelligence Layer).
    #[serde(rename = "EIL")]
    pub eil: EilConfig,
    /// Diffusion defaults.
    #[serde(rename = "Diffusion")]
    pub diffusion: DiffusionConfig,
    /// Energy-law validation tolerances.
    #[serde(rename = "Validation")]
    pub validation: ValidationConfig,
    /// The HTTP service's limits (`idf serve`).
    #[serde(rename = "Serve")]
    pub serve: ServeConfig,
}

/// The `Serve` section: the limits that protect `idf serve` (its flags override them).
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default, rename_all = "camelCase")]
pub struct ServeConfig {
    /// Requests that may wait for or hold the device at once; more get 503.
    pub queue: usize,
    /// Longest a request may take, in seconds; past it the answer is 504 and the job stops.
    pub timeout_s: u64,
    /// Most sites (chains × values per chain) in one request.
    pub max_sites: usize,
    /// Most site evaluations (sites × steps × each step's evaluations × the energy's cost per
    /// site) in one request.
    pub max_work: u64,
    /// Largest request body, in bytes.
    pub max_body_bytes: usize,
    /// Run `/diffuse` requests that wait for the device and share their energy, lattice and
    /// run configuration as one multi-chain run (each gets the answer it gets alone); `false`
    /// runs every request alone.
    pub batch: bool,
    /// MiB of GPU buffers kept from finished requests for the next ones of the same sizes
    /// (0: none), so that a busy service stops allocating device memory per request.
    pub gpu_buffer_pool_mib: u64,
}

impl Default for ServeConfig {
    fn default() -> Self {
        ServeConfig {
            queue: 8,
            timeout_s: 60,
            max_sites: 1 << 22,
            max_work: 4_000_000_000,
            max_body_bytes: 8 << 20,
            batch: true,
            gpu_buffer_pool_mib: 256,
        }
    }
}

/// The `EIL` section: where and how the service is deployed.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default, rename_all = "camelCase")]
pub struct EilConfig {
    /// Kubernetes cluster name.
    pub cluster: String,
    /// Kubernetes namespace.
    pub namespace: String,
    /// Service account the pods run as.
    pub service_account: String,
    /// GPUs requested per pod.
    pub gpu: u32,
    /// Latency budget of one request, in milliseconds.
    pub max_latency_ms: u64,
}

impl Default for EilConfig {
    fn default() -> Self {
        EilConfig {
            cluster: "local".into(),
            namespace: "idf".into(),
            service_account: "idf".into(),
            gpu: 1,
            max_latency_ms: 1000,
        }
    }
}

/// The `Diffusion` section.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default, rename_all = "camelCase")]
pub struct DiffusionConfig {
    /// Learning rate of trained scores and of gradient-descent optimisation.
    pub learning_rate: f64,
    /// `cosine` or `linear`.
    pub noise_schedule: String,
    /// Diffusion timesteps T.
    pub timesteps: usize,
    /// Default number of chains, and the minibatch of `idf train`.
    pub batch_size: usize,
    /// Hidden width of a learned denoiser (`idf train --denoiser`).
    pub denoiser_width: usize,
    /// Hidden layers of a learned denoiser.
    pub denoiser_depth: usize,
    /// The network of a learned denoiser: `mlp` (any data) or `unet` (maps, periodic).
    pub denoiser_network: String,
    /// The U-Net's channels at full resolution.
    pub denoiser_channels: usize,
}

impl Default for DiffusionConfig {
    fn default() -> Self {
        DiffusionConfig {
            learning_rate: 1e-4,
            noise_schedule: "cosine".into(),
            timesteps: 1000,
            batch_size: 32,
            denoiser_width: 128,
            denoiser_depth: 2,
            denoiser_network: "mlp".into(),
            denoiser_channels: 32,
        }
    }
}

/// The commented `idf.yaml` that `idf init` writes; it parses to [`Config::default`].
pub const TEMPLATE: &str = r#"# IDF configuration. Unknown keys are errors.
EIL:                      # deployment (Energy Intelligence Layer)
  cluster: local          # Kubernetes cluster name
  namespace: idf          # namespace the service runs in
  serviceAccount: idf     # service account of its pods
  gpu: 1                  # GPUs requested per pod
  maxLatencyMs: 1000      # latency budget of one request (ms)
Diffusion:
  learningRate: 1.0e-4    # learning rate of trained scores and gradient-descent optimisation
  noiseSchedule: cosine   # cosine (Nichol & Dhariwal 2021) or linear (Ho et al. 2020)
  timesteps: 1000         # diffusion timesteps T
  batchSize: 32           # default number of chains, and the minibatch of idf train
  denoiserWidth: 128      # hidden width of a learned denoiser (idf train --denoiser), 1 to 4096
  denoiserDepth: 2        # hidden layers of a learned denoiser, 1 to 16
  denoiserNetwork: mlp    # mlp (flattened points) or unet (maps, periodic padding)
  denoiserChannels: 32    # the U-Net's channels at full resolution, 1 to 512
Validation:
  energyTolerance: 0.01   # largest relative drift of a conserved quantity
  entropyDriftMax: -0.001 # most negative entropy change per step where the second law applies
Serve:                    # limits of `idf serve` (its flags override them)
  queue: 8                # requests that may wait for or hold the device; more get 503
  timeoutS: 60            # longest a request may take (s); then 504
  maxSites: 4194304       # most sites in one request
  maxWork: 4000000000     # most site evaluations (sites x steps x evaluations x cost) in one request
  maxBodyBytes: 8388608   # largest request body
  batch: true             # run waiting /diffuse requests with one run configuration as one run
  gpuBufferPoolMib: 256   # GPU buffers kept from finished requests for the next ones (MiB; 0: none)
"#;

impl Config {
    /// Parses YAML text; `origin` names the file in errors.
    pub fn parse(text: &str, origin: &Path) -> Result<Self> {
        let err = |message: String| IdfError::Config {
            path: origin.to_path_buf(),
            message,
        };
        let config: Config = if text.trim().is_empty() {
            Config::default()
        } else {
            serde_yaml::from_str(text).map_err(|e| err(e.to_string()))?
        };
        config.validate().map_err(err)?;
        Ok(config)
    }

    /// Reads and parses a file.
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| IdfError::io(path, e))?;
        Self::parse(&text, path)
    }

    /// The noise schedule family named by `Diffusion.noiseSchedule`.
    pub fn noise_schedule(&self) -> NoiseSchedule {
        self.diffusion
            .noise_schedule
            .parse()
            .expect("checked by validate")
    }

    fn validate(&self) -> std::result::Result<(), String> {
        let d = &self.diffusion;
        if !(d.learning_rate.is_finite() && d.learning_rate > 0.0) {
            return Err(format!(
                "Diffusion.learningRate: expected a positive number, got {}",
                d.learning_rate
            ));
        }
        if d.noise_schedule.parse::<NoiseSchedule>().is_err() {
            return Err(format!(
                "Diffusion.noiseSchedule: expected cosine or linear, got `{}`",
                d.noise_schedule
            ));
        }
        let most = crate::engine::diffusion::MAX_TIMESTEPS;
        if d.timesteps == 0 || d.timesteps > most {
            return Err(format!(
                "Diffusion.timesteps: expected 1 to {most}, got {}",
                d.timesteps
            ));
        }
        if d.batch_size == 0 {
            return Err("Diffusion.batchSize: expected at least 1".into());
        }
        if !["mlp", "unet"].contains(&d.denoiser_network.as_str()) {
            return Err(format!(
                "Diffusion.denoiserNetwork: expected mlp or unet, got `{}`",
                d.denoiser_network
            ));
        }
        for (key, value, most) in [
            ("denoiserWidth", d.denoiser_width, 4096),
            ("denoiserDepth", d.denoiser_depth, 16),
            ("denoiserChannels", d.denoiser_channels, 512),
        ] {
            if value == 0 || value > most {
                return Err(format!(
                    "Diffusion.{key}: expected 1 to {most}, got {value}"
                ));
            }
        }
        let s = &self.serve;
        for (key, value) in [
            ("queue", s.queue as u64),
            ("timeoutS", s.timeout_s),
            ("maxSites", s.max_sites as u64),
            ("maxWork", s.max_work),
            ("maxBodyBytes", s.max_body_bytes as u64),
        ] {
            if value == 0 {
                return Err(format!("Serve.{key}: expected at least 1"));
            }
        }
        let v = &self.validation;
        if !(v.energy_tolerance.is_finite() && v.energy_tolerance > 0.0) {
            return Err(format!(
                "Validation.energyTolerance: expected a positive number, got {}",
                v.energy_tolerance
            ));
        }
        if !(v.entropy_drift_max.is_finite() && v.entropy_drift_max <= 0.0) {
            return Err(format!(
                "Validation.entropyDriftMax: expected a number ≤ 0, got {}",
                v.entropy_drift_max
            ));
        }
        Ok(())
    }
}
