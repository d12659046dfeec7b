"""`idf.sample` gives the numbers `idf sample --json` gives, its trace has the documented
shapes, and errors are the classes the docs name."""

import json
import subprocess

import numpy as np
import pytest

import idf


def test_sample_equals_the_cli(cpu, idf_binary):
    args = dict(size=[16, 12], chains=4, steps=300, burn_in=50, seed=7, integrator="mala")
    s = idf.sample("phi4", ctx=cpu, progress=False, params={"kappa": 0.4}, **args)
    cli = json.loads(
        subprocess.run(
            [idf_binary, "sample", "--model", "phi4", "--param", "kappa=0.4", "--shape", "16x12",
             "--chains", "4", "--steps", "300", "--burn-in", "50", "--seed", "7",
             "--integrator", "mala", "--backend", "cpu", "--json"],
            check=True, capture_output=True, text=True,
        ).stdout
    )
    for key in ("estimates", "final", "warnings", "params", "shape", "steps", "step_size"):
        assert s.report[key] == cli[key], key
    assert s.estimates == cli["estimates"]


def test_trace_shapes_and_dtypes(cpu):
    s = idf.sample("phi4", size=[8, 8], chains=3, steps=40, record_every=10, integrator="mala",
                   ctx=cpu, progress=False)
    t = s.trace
    assert t["step"].dtype == np.uint64 and list(t["step"]) == [0, 10, 20, 30, 40]
    assert t["temperature"].dtype == np.float32 and t["temperature"].shape == (5,)
    for key in ("energy", "energy_per_site", "mean", "variance", "acceptance"):
        assert t[key].dtype == np.float64 and t[key].shape == (5, 3), key
    # The last record is the final field.
    np.testing.assert_allclose(t["mean"][-1], s.field.reshape(3, -1).mean(axis=1), rtol=1e-4, atol=1e-6)


def test_an_energy_object_and_its_parameters(cpu):
    e = idf.Energy("ising", J=0.8)
    assert e.params == {"J": 0.8, "h": 0.0}
    s = idf.sample(e, size=[8, 8], chains=2, steps=20, integrator="metropolis", ctx=cpu, progress=False)
    assert s.report["params"]["J"] == pytest.approx(0.8)
    assert set(np.unique(s.field)) <= {-1.0, 1.0}


def test_bad_input_is_a_value_error_naming_the_key(cpu):
    with pytest.raises(idf.InvalidInputError, match="stepz"):
        idf.sample("phi4", stepz=3, ctx=cpu, progress=False)
    with pytest.raises(idf.InvalidInputError, match="known models"):
        idf.Energy("phi5")
    with pytest.raises(idf.InvalidInputError, match="has no parameter `q`"):
        idf.Energy("phi4", q=1)
    with pytest.raises(idf.InvalidInputError, match="backend"):
        idf.Context("tpu")


def test_divergence_names_the_step_and_a_stable_step_size(cpu):
    with pytest.raises(idf.DivergenceError) as e:
        idf.sample("phi4", size=[8, 8], chains=2, steps=200, step_size=5.0, ctx=cpu, progress=False)
    err = e.value
    assert isinstance(err, ArithmeticError) and isinstance(err, idf.IdfError)
    assert err.step >= 1 and err.step_size == 5.0 and 0 < err.stable_step_size < 5.0
    # The message gives it as Rust writes it (6.667e-2).
    mantissa, exponent = f"{err.stable_step_size:.3e}".split("e")
    assert f"{mantissa}e{int(exponent)}" in str(err), str(err)


def test_a_shader_error_carries_line_and_column(cpu, tmp_path):
    broken = tmp_path / "broken.wgsl"
    broken.write_text("fn site_energy(i: u32) -> f32 {\n    return src[i] * ;\n}\n")
    with pytest.raises(idf.ShaderError) as e:
        idf.sample(str(broken), ctx=cpu, progress=False)
    assert ":2:" in str(e.value), str(e.value)
