//! Replica exchange (parallel tempering; Swendsen & Wang, Phys. Rev. Lett. 57, 2607 (1986);
//! Hukushima & Nemoto, J. Phys. Soc. Jpn. 65, 1604 (1996)) of particle systems: each chain is a
//! rung of a temperature ladder, thermostatted at its own temperature, and every
//! `exchange_every` steps neighbouring rungs swap temperatures with probability
//! min(1, exp((1/T_i − 1/T_j)(U_i − U_j))). The swap rule and its bookkeeping (attempts,
//! acceptances, round trips) are the lattice tempering's (`cpu::replica_swap` over the ladder
//! layout of `engine::tempering`); a chain that changes rung has its velocities rescaled by
//! √(T_new / T_old) (Sugita & Okamoto, Chem. Phys. Lett. 314, 141 (1999)), so the swap leaves
//! the joint canonical distribution of positions and momenta invariant.

use super::dynamics::{ParticleIntegrator, ParticleSimulation};
use super::observables::{MdRecord, MdTrace};
use crate::cpu::replica_swap;
use crate::engine::tempering::{new_ladder, LadderState};
use crate::error::{IdfError, Result};
use crate::kernels::{StepParams, OBSERVABLES, OBS_ENERGY};

/// A temperature ladder and how often its rungs try to swap.
#[derive(Clone, Debug, PartialEq)]
pub struct ReplicaExchange {
    /// One temperature per chain, coldest first (chain k starts on rung k).
    pub temperatures: Vec<f32>,
    /// Steps between swap attempts (alternately the even and the odd pairs of rungs).
    pub exchange_every: u64,
}

impl ReplicaExchange {
    /// A geometric ladder of `rungs` temperatures from `t_min` to `t_max` (equal acceptance
    /// between neighbours where the heat capacity is constant). Errors name `t_max`,
    /// `temperature` or `exchange_every`.
    pub fn geometric(t_min: f32, t_max: f32, rungs: usize, exchange_every: u64) -> Result<Self> {
        if !(t_min.is_finite() && t_min > 0.0) {
            return Err(IdfError::invalid(
                "temperature",
                format!("{t_min}: replica exchange needs a positive coldest temperature"),
            ));
        }
        if !(t_max.is_finite() && t_max > t_min) {
            return Err(IdfError::invalid(
                "t_max",
                format!("{t_max} must be finite and above the coldest temperature {t_min}"),
            ));
        }
        if rungs < 2 {
            return Err(IdfError::invalid(
                "chains",
                format!("{rungs}: replica exchange needs at least 2 chains (rungs)"),
            ));
        }
        if exchange_every == 0 {
            return Err(IdfError::invalid("exchange_every", "expected at least 1"));
        }
        let ratio = (t_max as f64 / t_min as f64).powf(1.0 / (rungs - 1) as f64);
        Ok(ReplicaExchange {
            temperatures: (0..rungs)
                .map(|k| (t_min as f64 * ratio.powi(k as i32)) as f32)
                .collect(),
            exchange_every,
        })
    }
}

/// What is called at every record: the simulation, the steps taken, and the chain on the
/// coldest rung.
pub type OnRecord<'a> = &'a mut dyn FnMut(&mut ParticleSimulation, u64, usize) -> Result<()>;

/// Runs `steps` steps of `integrator` (a thermostatted one: BAOAB, overdamped or HMC) with the
/// chains on the ladder of `rex`, recording every `record_every` steps, the last step and the
/// start, and calling `on_record` at each. The trace is by rung: its chain `k` is whichever
/// chain held rung `k` (the k-th coldest temperature) at the record, and a record's target
/// temperature is the coldest rung's. Returns the trace and the ladder as it ended (acceptance
/// per pair, round trips). Leaves every chain at its last rung's temperature.
#[allow(clippy::too_many_arguments)]
pub fn run_replica_exchange(
    sim: &mut ParticleSimulation,
    rex: &ReplicaExchange,
    integrator: ParticleIntegrator,
    dt: f32,
    steps: u64,
    record_every: u64,
    on_record: OnRecord<'_>,
) -> Result<(MdTrace, LadderState)> {
    let chains = sim.params().chains as usize;
    if matches!(integrator, ParticleIntegrator::VelocityVerlet) {
        return Err(IdfError::invalid(
            "integrator",
            "replica exchange needs a thermostat: baoab, overdamped or hmc, not verlet",
        ));
    }
    if record_every == 0 {
        return Err(IdfError::invalid("record_every", "expected at least 1"));
    }
    if rex.temperatures.windows(2).any(|w| w[0] >= w[1]) {
        return Err(IdfError::invalid(
            "temperatures",
            "a ladder's temperatures rise from the coldest rung, each above the last",
        ));
    }
    let mut ladder = new_ladder(&rex.temperatures, chains)?;
    if rex.exchange_every == 0 {
        return Err(IdfError::invalid("exchange_every", "expected at least 1"));
    }
    sim.set_temperature_scale(&rex.temperatures)?;
    let mut trace = MdTrace::new(chains);
    trace.push(by_rung(
        sim.observe(0, rex.temperatures[0], integrator)?,
        &ladder,
        chains,
    ));
    on_record(sim, 0, ladder[chains] as usize)?;
    let mut exchanges = 0u64;
    for i in 0..steps {
        sim.advance(integrator, dt, 1.0)?;
        if (i + 1) % rex.exchange_every == 0 {
            let before: Vec<f32> = temperatures(&ladder, chains);
            let params = StepParams {
                chains: chains as u32,
                parity: (exchanges % 2) as u32,
                record: 0,
                step: exchanges as u32,
                seed: sim.params().seed,
                ..StepParams::default()
            };
            let mut energies = vec![0.0f32; chains * OBSERVABLES];
            for (c, u) in sim.potential_energies()?.into_iter().enumerate() {
                energies[c * OBSERVABLES + OBS_ENERGY] = u as f32;
            }
            replica_swap::run(&params, &energies, &mut ladder);
            let after = temperatures(&ladder, chains);
            if after != before {
                let factors: Vec<f32> = before
                    .iter()
                    .zip(&after)
                    .map(|(old, new)| (new / old).sqrt())
                    .collect();
                sim.scale_velocities(&factors)?;
                sim.set_temperature_scale(&after)?;
            }
            exchanges += 1;
        }
        if (i + 1) % record_every == 0 || i + 1 == steps {
            let coldest = f32::from_bits(ladder[ladder[chains] as usize]);
            let record = sim.observe(i + 1, coldest, integrator)?;
            trace.push(by_rung(record, &ladder, chains));
            on_record(sim, i + 1, ladder[chains] as usize)?;
        }
    }
    Ok((trace, LadderState::decode(&ladder, chains)))
}

/// Each chain's temperature in a ladder buffer.
fn temperatures(ladder: &[u32], chains: usize) -> Vec<f32> {
    ladder[..chains]
        .iter()
        .map(|&b| f32::from_bits(b))
        .collect()
}

/// `record` with its per-chain values reordered by rung, coldest first.
fn by_rung(record: MdRecord, ladder: &[u32], chains: usize) -> MdRecord {
    let order: Vec<usize> = ladder[chains..2 * chains]
        .iter()
        .map(|&c| c as usize)
        .collect();
    let pick = |v: &Vec<f64>| order.iter().map(|&c| v[c]).collect();
    MdRecord {
        potential: pick(&record.potential),
        kinetic: pick(&record.kinetic),
        total: pick(&record.total),
        temperature: pick(&record.temperature),
        pressure: pick(&record.pressure),
        ..record
    }
}
