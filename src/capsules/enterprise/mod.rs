//! The enterprise capsule: what placing services on machines needs besides the placement
//! energy (`engine::energies::placement`) and the search (`jobs::placement`): the baseline EIL
//! optimizers (bin packing), the exact optimum of small instances (an ILP solved by CBC), EIL
//! telemetry that refits the nodes' power curves, and generated instances for benchmarks.

pub mod baselines;
pub mod exact;
pub mod instances;
pub mod telemetry;
