"""What users pass that is not quite what the docs say: NumPy scalars and arrays are taken,
and everything IDF cannot use is refused as `InvalidInputError` naming the argument, before
anything runs (found by trying the package as a new user)."""

import numpy as np
import pytest

import idf


def test_numpy_scalars_and_arrays_are_taken(cpu):
    s = idf.sample("phi4", size=np.array([8, 6]), chains=np.int64(2), steps=np.int32(5),
                   step_size=np.float32(0.01), ctx=cpu, progress=False)
    assert s.field.shape == (2, 1, 8, 6)
    assert idf.Energy("phi4", kappa=np.float32(0.25)).params["kappa"] == 0.25
    gmm = idf.Energy("gmm", weights=np.array([0.2, 0.8]))
    assert gmm.params["weights"] == [0.2, 0.8]
    # Lists in a scene's parameters, as an Energy takes them.
    s = idf.sample("gmm", params={"weights": [0.2, 0.8]}, chains=4, steps=5, ctx=cpu, progress=False)
    assert s.report["params"]["weights"] == pytest.approx([0.2, 0.8])


@pytest.mark.parametrize(
    "call, needle",
    [
        (lambda c: idf.sample("phi4", step_size=float("nan"), ctx=c, progress=False), "`step_size`: nan"),
        (lambda c: idf.sample("phi4", temperature=float("inf"), ctx=c, progress=False), "`temperature`: inf"),
        (lambda c: idf.Energy("phi4", kappa=float("nan")), "`kappa`: nan"),
        (lambda c: idf.sample("phi4", size=[8, 8], steps=2**64 - 1, ctx=c, progress=False), "record"),
        (lambda c: idf.sample("ising", size=[8, 8], chains=2, integrator="metropolis",
                              initial=np.zeros((2, 1, 8, 8)), ctx=c, progress=False), "takes spins ±1"),
        (lambda c: idf.optimize("ising", replicas=-1, ctx=c, progress=False), "`replicas`"),
        (lambda c: idf.validate(trajectories=-1, ctx=c, progress=False), "`trajectories`"),
        (lambda c: idf.EnergyScheduler("cosine", -5), "`timesteps`"),
        (lambda c: idf.EnergyDiffusionModel("gmm").reverse_denoise(np.zeros((2, 1, 1, 2)), "ddpm", steps=3, ctx=c),
         "`steps`"),
        (lambda c: idf.EnergyDiffusionModel("gmm").reverse_denoise(np.zeros((2, 1, 1, 2)), "ddim", steps=0, ctx=c),
         "`steps`"),
        (lambda c: idf.boltzmann_weight(None, ctx=c), "`energies`"),
        (lambda c: idf.Energy("phi4").energy(np.full((1, 1, 2, 2), 1e300), c), "1e+300 at flat index 0"),
        (lambda c: idf.optimize("ising", size=[8, 8], agent=idf.ACEAgent(target_band=(0.6, 0.2)), ctx=c,
                                progress=False), "`agent.target_band`"),
        (lambda c: idf.optimize("ising", size=[8, 8], agent=idf.ACEAgent(nu=0.0), ctx=c, progress=False),
         "`agent.nu`"),
        (lambda c: idf.optimize("ising", size=[8, 8], method="anneal", agent=idf.ACEAgent(), ctx=c,
                                progress=False), "adapts a tempering ladder"),
        (lambda c: idf.render("gmm", out="/tmp/never.gif", ctx=c, progress=False), "`model`: gmm has no lattice"),
    ],
)
def test_bad_input_is_refused_naming_it(cpu, call, needle):
    with pytest.raises(idf.InvalidInputError) as e:
        call(cpu)
    assert needle in str(e.value), str(e.value)


def test_the_default_agent_fits_the_default_search(cpu):
    o = idf.optimize("ising", size=[8, 8], agent=idf.ACEAgent(), ctx=cpu, progress=False)
    assert len(o.report["ace_log"]) == idf.ACEAgent().rounds


def test_conveniences(cpu):
    x = np.random.default_rng(0).normal(size=(1, 1, 6, 6)).astype(np.float32)
    np.testing.assert_array_equal(idf.energy_gradient("phi4", x, cpu), idf.Energy("phi4").gradient(x, cpu))
    model = idf.EnergyDiffusionModel("gmm", scheduler="linear")
    assert model.scheduler.kind == "linear"
    o = idf.optimize("ising", size=6, replicas=2, steps=20, method="anneal", ctx=cpu, progress=False)
    assert o.best.shape == (1, 1, 6, 6)
    s = idf.sample("phi4", size=[6, 6], chains=2, steps=5, ctx=cpu, progress=False)
    assert "delta_h" not in s.trace, "ΔH is HMC's"


def test_a_run_that_records_nothing_says_so(cpu):
    s = idf.sample("phi4", size=[8, 8], chains=2, steps=5, record_every=100, ctx=cpu, progress=False)
    assert s.estimates == {}
    assert any("nothing is estimated" in w for w in s.warnings), s.warnings
