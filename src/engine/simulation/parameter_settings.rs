//! Energies of a simulation's field under several parameter settings of its energy, submitted
//! together and read back once: what central differences in θ need (`jobs::train`).

use super::Simulation;
use crate::engine::energies::EnergyModel;
use crate::engine::step_rule::StepRule;
use crate::engine::trace::{Observable, RunTrace, TraceRecord};
use crate::error::{IdfError, Result};
use crate::kernels::initial_status;

impl Simulation {
    /// The total energy of each chain's current field under each of `models`: parameter values
    /// of this simulation's energy (same module, same parameters), as central differences in θ
    /// need. Each evaluation is submitted with its parameters and reduced into its own trace
    /// record, and all are read back at once: one wait for the device instead of one per model.
    /// The simulation keeps its own model. Returns `[models][chains]`.
    ///
    /// Errors: a model of another energy, or one unbounded below.
    pub fn energies_under(&mut self, models: &[EnergyModel]) -> Result<Vec<Vec<f64>>> {
        let own = self.model.packed_params();
        for m in models {
            if m.module() != self.model.module() || m.packed_params().len() != own.len() {
                return Err(IdfError::invalid(
                    "models",
                    format!(
                        "`{}` is not a parameter setting of this simulation's energy `{}`",
                        m.name(),
                        self.model.name()
                    ),
                ));
            }
            m.check_bounded_below()?;
        }
        self.exec.ensure_trace(models.len())?;
        self.exec.write_status(&initial_status(self.shape.chains));
        let saved = self.histogram.take();
        let rule = StepRule::langevin(0.0, 0.0);
        let mut dispatches = Vec::new();
        let mut submitted = Ok(());
        for (record, m) in models.iter().enumerate() {
            self.exec.write_energy_params(&m.packed_params());
            dispatches.clear();
            self.push_record(&rule, record as u32, false, &mut dispatches);
            submitted = self.exec.execute(&dispatches);
            if submitted.is_err() {
                break;
            }
        }
        self.histogram = saved;
        self.exec.write_energy_params(&own);
        submitted?;
        let records = models
            .iter()
            .map(|_| TraceRecord {
                step: self.step,
                temperature: rule.temperature(),
                proposals: 0.0,
            })
            .collect();
        let values = self.exec.read_trace(models.len())?;
        let trace = RunTrace::from_parts(
            self.shape.chains,
            self.shape.sites_per_chain(),
            records,
            values,
        )?;
        Ok((0..models.len())
            .map(|r| {
                (0..self.shape.chains)
                    .map(|c| trace.value(Observable::Energy, r, c).unwrap_or(f64::NAN))
                    .collect()
            })
            .collect())
    }
}
