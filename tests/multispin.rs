//! Multi-spin coding of Ising sweeps (issue 13): 32 spins of one colour per `u32` word, packed
//! before a run of sweeps and unpacked after it. Its sweeps take the plain `metropolis_sweep`'s
//! decisions (the same energy change in the same f32 arithmetic, the same random draws), so the
//! tests ask for the plain path's fields, traces and acceptance counts bit for bit, on each
//! backend; the Onsager checks of `tests/ising.rs` run on it (64² fields pack).

use idf::{Context, EnergyModel, Field, RunTrace, Shape, Simulation, StepRule};

fn ising(j: &str, h: &str) -> EnergyModel {
    EnergyModel::from_params("ising", &[("J".into(), j.into()), ("h".into(), h.into())]).unwrap()
}

/// Steps of each run, and the interval between its records.
const STEPS: u64 = 13;
const EVERY: u64 = 4;

/// Runs [`STEPS`] steps of `rule_of` from `init`, recording every [`EVERY`] steps, with
/// multi-spin coding on or off; returns the final field, the trace and the sweeps taken packed.
fn run(
    ctx: &Context,
    model: &EnergyModel,
    init: &Field,
    setup: &dyn Fn(&mut Simulation),
    multispin: bool,
    rule_of: &dyn Fn(u64) -> StepRule,
) -> (Vec<u32>, RunTrace, u64) {
    let mut sim = Simulation::new(ctx, model, init, 11).unwrap();
    setup(&mut sim);
    sim.set_multispin(multispin);
    let trace = sim
        .advance(STEPS, rule_of, &|k| k % EVERY == 0, &mut |_, _| {})
        .unwrap();
    let field = sim
        .field()
        .unwrap()
        .data()
        .iter()
        .map(|v| v.to_bits())
        .collect();
    (field, trace, sim.multispin_sweeps())
}

fn bits(trace: &RunTrace) -> Vec<u32> {
    trace.raw_values().iter().map(|v| v.to_bits()).collect()
}

/// Packed and plain runs of the same sweeps end in the same field with the same trace.
fn assert_same_as_plain(
    ctx: &Context,
    what: &str,
    model: &EnergyModel,
    init: &Field,
    setup: &dyn Fn(&mut Simulation),
    rule_of: &dyn Fn(u64) -> StepRule,
) {
    let packed = run(ctx, model, init, setup, true, rule_of);
    let plain = run(ctx, model, init, setup, false, rule_of);
    assert_eq!(packed.2, STEPS, "{what}: every sweep should run packed");
    assert_eq!(plain.2, 0, "{what}: multi-spin coding was turned off");
    let flips = plain
        .0
        .iter()
        .zip(init.data())
        .filter(|(a, b)| **a != b.to_bits());
    assert!(flips.count() > 0, "{what}: no spin flipped");
    assert!(packed.0 == plain.0, "{what}: the fields differ");
    assert!(
        bits(&packed.1) == bits(&plain.1),
        "{what}: the traces differ"
    );
}

on_both! {
    fn packed_sweeps_take_the_plain_sweeps_decisions(ctx: &Context) {
        let cases: [(&str, EnergyModel, [usize; 3]); 4] = [
            ("ferromagnet 3 × 64²", ising("1", "0"), [3, 64, 64]),
            ("field h = 0.3, 2 × 6 × 64", ising("1", "0.3"), [2, 6, 64]),
            ("antiferromagnet, h = −0.2, 8 × 128", ising("-0.7", "-0.2"), [1, 8, 128]),
            ("weak coupling 2 × 4 × 192", ising("0.35", "0.05"), [2, 4, 192]),
        ];
        for (what, model, [chains, h, w]) in cases {
            let shape = Shape::new(chains, 1, h, w).unwrap();
            let init = Field::random_spins(shape, 5).unwrap();
            let none = |_: &mut Simulation| {};
            // Metropolis at a temperature that changes every sweep (an annealing schedule).
            let metropolis = |i: u64| StepRule::Metropolis {
                step_size: 1.0,
                temperature: 3.0 - 0.1 * i as f32,
            };
            assert_same_as_plain(ctx, &format!("{what}, Metropolis"), &model, &init, &none, &metropolis);
            let heat_bath = |_| StepRule::HeatBath { temperature: 1.7 };
            assert_same_as_plain(ctx, &format!("{what}, heat bath"), &model, &init, &none, &heat_bath);
            let quench = |_| StepRule::Metropolis { step_size: 1.0, temperature: 0.0 };
            assert_same_as_plain(ctx, &format!("{what}, T = 0"), &model, &init, &none, &quench);
        }
    }
}

on_both! {
    fn packed_sweeps_follow_ladders_and_chain_keys(ctx: &Context) {
        let model = ising("1", "0");
        let shape = Shape::new(4, 1, 4, 64).unwrap();
        let init = Field::random_spins(shape, 9).unwrap();
        let rule = |_| StepRule::Metropolis { step_size: 1.0, temperature: 2.0 };
        let ladder = |sim: &mut Simulation| sim.set_temperatures(&[1.5, 2.0, 2.6, 3.4]).unwrap();
        assert_same_as_plain(ctx, "replica exchange", &model, &init, &ladder, &rule);
        let keys = |sim: &mut Simulation| sim.set_chain_keys(&[(3, 7), (0, 1), (2, 2), (1, 9)]).unwrap();
        assert_same_as_plain(ctx, "chain keys", &model, &init, &keys, &rule);
    }
}

on_both! {
    fn fields_that_do_not_pack_take_the_plain_path(ctx: &Context) {
        let model = ising("1", "0");
        let rule = |_| StepRule::Metropolis { step_size: 1.0, temperature: 2.0 };
        let sweeps = |sim: &mut Simulation| {
            sim.advance(4, &rule, &|_| false, &mut |_, _| {}).unwrap();
            sim.multispin_sweeps()
        };
        // A width that is not a multiple of 64.
        let narrow = Field::random_spins(Shape::new(1, 1, 8, 96).unwrap(), 1).unwrap();
        assert_eq!(sweeps(&mut Simulation::new(ctx, &model, &narrow, 1).unwrap()), 0, "width 96");
        // An odd height: no checkerboard on the torus.
        let odd = Field::random_spins(Shape::new(1, 1, 5, 64).unwrap(), 1).unwrap();
        assert_eq!(sweeps(&mut Simulation::new(ctx, &model, &odd, 1).unwrap()), 0, "height 5");
        // A value that is not ±1, until the field is replaced by spins.
        let shape = Shape::new(1, 1, 8, 64).unwrap();
        let mut values = vec![1.0; shape.len()];
        values[17] = 0.5;
        let mixed = Field::from_vec(shape, values).unwrap();
        let mut sim = Simulation::new(ctx, &model, &mixed, 1).unwrap();
        assert_eq!(sweeps(&mut sim), 0, "a value of 0.5");
        assert_eq!(sim.field().unwrap().data()[17].abs(), 0.5, "the plain sweep keeps |0.5|");
        sim.set_field(&Field::random_spins(shape, 2).unwrap()).unwrap();
        assert_eq!(sweeps(&mut sim), 4, "spins again");
        // A Langevin step leaves ±1 behind.
        sim.advance(1, &|_| StepRule::langevin(0.01, 2.0), &|_| false, &mut |_, _| {}).unwrap();
        assert_eq!(sweeps(&mut sim), 4, "after a Langevin step");
    }
}

/// The packed sweeps on the GPU and on the CPU twin: the same flips from the same random
/// integers, so the same fields and acceptance counts exactly.
#[test]
fn packed_sweeps_agree_between_backends() {
    crate::common::on_gpu(|gpu| {
        let model = ising("1", "0.1");
        // 70 chains of 2 × 64: workgroups of 64 words span many chains (counted globally).
        for (chains, h, w) in [(2, 64, 64), (1, 16, 256), (70, 2, 64)] {
            let shape = Shape::new(chains, 1, h, w).unwrap();
            let init = Field::random_spins(shape, 3).unwrap();
            let rule = |i: u64| StepRule::Metropolis {
                step_size: 1.0,
                temperature: 2.5 - 0.05 * i as f32,
            };
            let none = |_: &mut Simulation| {};
            let cpu = run(&Context::cpu(), &model, &init, &none, true, &rule);
            let gpu = run(gpu, &model, &init, &none, true, &rule);
            assert_eq!(
                (cpu.2, gpu.2),
                (STEPS, STEPS),
                "{chains} × {h} × {w}: not packed"
            );
            assert!(cpu.0 == gpu.0, "{chains} × {h} × {w}: the fields differ");
            for r in 0..cpu.1.records.len() {
                for c in 0..chains {
                    let acc = |t: &RunTrace| t.value(idf::Observable::Acceptance, r, c);
                    assert_eq!(
                        acc(&cpu.1),
                        acc(&gpu.1),
                        "{chains} × {h} × {w}: record {r} chain {c}"
                    );
                }
            }
        }
    });
}
