//! What a particle run records: per chain the potential, kinetic and total energy, the kinetic
//! temperature and the virial pressure (with the long-range corrections of a tail-corrected
//! cutoff), and at the end the radial distribution function g(r).

use serde::Serialize;

use super::system::{LennardJones, ParticleBox};
use crate::kernels::particles::ParticleParams;

/// One record of every chain.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MdRecord {
    /// Steps taken.
    pub step: u64,
    /// The thermostat's temperature at the step.
    pub target_temperature: f32,
    /// Per chain: potential energy per particle.
    pub potential: Vec<f64>,
    /// Per chain: kinetic energy per particle.
    pub kinetic: Vec<f64>,
    /// Per chain: total energy per particle.
    pub total: Vec<f64>,
    /// Per chain: kinetic temperature `2 K / (k_B · dof)`.
    pub temperature: Vec<f64>,
    /// Per chain: pressure `(2K + Σ r·f) / (3V)` plus the tail correction (NaN in free space).
    pub pressure: Vec<f64>,
}

impl MdRecord {
    /// The record of the buffers' state.
    #[allow(clippy::too_many_arguments)]
    pub fn of(
        step: u64,
        target_temperature: f32,
        lj: &LennardJones,
        domain: ParticleBox,
        params: &ParticleParams,
        fractions: &[f64],
        velocity: &[[f32; 4]],
        force: &[[f32; 4]],
        virial: &[f32],
        dof: usize,
    ) -> Self {
        let n = params.n as usize;
        let volume = domain.volume();
        let density = n as f64 / volume;
        let (u_tail, p_tail) = lj.tail_corrections(density, fractions);
        let mut record = MdRecord {
            step,
            target_temperature,
            potential: Vec::new(),
            kinetic: Vec::new(),
            total: Vec::new(),
            temperature: Vec::new(),
            pressure: Vec::new(),
        };
        for c in 0..params.chains as usize {
            let range = c * n..(c + 1) * n;
            let u: f64 = force[range.clone()].iter().map(|f| f[3] as f64).sum();
            let twice_k: f64 = velocity[range.clone()]
                .iter()
                .map(|v| (v[0] as f64).powi(2) + (v[1] as f64).powi(2) + (v[2] as f64).powi(2))
                .sum::<f64>()
                * params.mass.max(1e-30) as f64;
            let w: f64 = virial[range].iter().map(|&x| x as f64).sum();
            let potential = u / n as f64 + u_tail;
            let kinetic = 0.5 * twice_k / n as f64;
            record.potential.push(potential);
            record.kinetic.push(kinetic);
            record.total.push(potential + kinetic);
            record.temperature.push(twice_k / dof as f64);
            record.pressure.push(if volume.is_finite() {
                (twice_k + w) / (3.0 * volume) + p_tail
            } else {
                f64::NAN
            });
        }
        record
    }
}

/// The records of a run.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct MdTrace {
    /// Chains.
    pub chains: usize,
    /// Records in order.
    pub records: Vec<MdRecord>,
}

impl MdTrace {
    /// An empty trace of `chains` chains.
    pub fn new(chains: usize) -> Self {
        MdTrace {
            chains,
            records: Vec::new(),
        }
    }

    /// Appends a record.
    pub fn push(&mut self, record: MdRecord) {
        self.records.push(record);
    }

    /// Per chain, the series of `value` over records `from..`.
    pub fn series(&self, from: usize, value: impl Fn(&MdRecord) -> &Vec<f64>) -> Vec<Vec<f64>> {
        (0..self.chains)
            .map(|c| {
                self.records[from.min(self.records.len())..]
                    .iter()
                    .map(|r| value(r)[c])
                    .collect()
            })
            .collect()
    }
}

/// The radial distribution function of a periodic configuration, averaged over chains: `bins`
/// shells out to `r_max` (at most half the shortest box edge); returns shell centres and g(r).
pub fn radial_distribution(
    params: &ParticleParams,
    position: &[[f32; 4]],
    r_max: f64,
    bins: usize,
) -> (Vec<f64>, Vec<f64>) {
    let n = params.n as usize;
    let half = params.box_len.iter().fold(f32::INFINITY, |a, &b| a.min(b)) as f64 / 2.0;
    let r_max = r_max.min(half);
    let dr = r_max / bins as f64;
    let mut counts = vec![0u64; bins];
    for c in 0..params.chains as usize {
        let chain = &position[c * n..(c + 1) * n];
        for i in 0..n {
            for j in i + 1..n {
                let d = params.separation(chain[i], chain[j]);
                let r = ((d[0] * d[0] + d[1] * d[1] + d[2] * d[2]) as f64).sqrt();
                if r < r_max {
                    counts[(r / dr) as usize] += 2;
                }
            }
        }
    }
    let volume: f64 = params.box_len.iter().map(|&l| l as f64).product();
    let density = n as f64 / volume;
    let centres = (0..bins).map(|b| (b as f64 + 0.5) * dr).collect();
    let g = counts
        .iter()
        .enumerate()
        .map(|(b, &k)| {
            let (r0, r1) = (b as f64 * dr, (b + 1) as f64 * dr);
            let shell = 4.0 / 3.0 * std::f64::consts::PI * (r1.powi(3) - r0.powi(3));
            k as f64 / (params.chains as f64 * n as f64 * density * shell)
        })
        .collect();
    (centres, g)
}
