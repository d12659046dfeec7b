//! Particle systems: `[chains, particles, 3]` positions and velocities in a periodic box or free
//! space, Lennard-Jones interactions through cell and Verlet lists, the integrators (velocity
//! Verlet, Langevin BAOAB, overdamped Langevin, HMC), replica exchange over a temperature
//! ladder, FIRE minimisation, and the observables of a run. The kernels are `cpu/particles/` (and their WGSL twins); the molecular capsule builds on
//! this.

pub mod dynamics;
pub mod fire;
pub mod observables;
pub mod replica_exchange;
pub mod system;

pub use dynamics::{ParticleIntegrator, ParticleRun, ParticleSimulation};
pub use fire::{minimise, Fire, Minimised};
pub use observables::{radial_distribution, MdRecord, MdTrace};
pub use replica_exchange::{run_replica_exchange, ReplicaExchange};
pub use system::{LennardJones, PairParams, ParticleBox, ParticleState, Truncation};
