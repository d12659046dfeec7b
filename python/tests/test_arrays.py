"""Fields in and out: shapes and dtypes as documented, conversions of other dtypes and
layouts, refusals naming the argument, and energies and gradients against φ⁴'s closed form."""

import numpy as np
import pytest

import idf

KAPPA, A, B, H = 0.7, -0.4, 0.9, 0.3


def phi4_energy(x):
    """E = Σ (κ/2)|∇φ|² + (a/2)φ² + (b/4)φ⁴ − hφ per chain, forward differences, periodic."""
    dx = np.roll(x, -1, axis=-1) - x
    dy = np.roll(x, -1, axis=-2) - x
    e = KAPPA / 2 * (dx**2 + dy**2) + A / 2 * x**2 + B / 4 * x**4 - H * x
    return e.reshape(x.shape[0], -1).sum(axis=1, dtype=np.float64)


def phi4_gradient(x):
    neighbours = sum(np.roll(x, s, axis=ax) for s in (1, -1) for ax in (-1, -2))
    return KAPPA * (4 * x - neighbours) + A * x + B * x**3 - H


@pytest.fixture
def phi4():
    return idf.Energy("phi4", kappa=KAPPA, a=A, b=B, h=H)


@pytest.fixture
def field():
    return np.random.default_rng(0).normal(size=(3, 1, 8, 10)).astype(np.float32)


def test_energy_and_gradient_match_the_closed_form(cpu, phi4, field):
    e = phi4.energy(field, cpu)
    assert e.dtype == np.float64 and e.shape == (3,)
    np.testing.assert_allclose(e, phi4_energy(field.astype(np.float64)), rtol=1e-5)
    g = idf.energy_gradient(phi4, field, cpu)
    assert g.dtype == np.float32 and g.shape == field.shape
    np.testing.assert_allclose(g, phi4_gradient(field.astype(np.float64)), rtol=1e-4, atol=1e-5)


def test_other_dtypes_and_layouts_are_converted(cpu, phi4, field):
    expected = phi4.energy(field, cpu)
    # float64, a transposed (non-contiguous) view, a Fortran-ordered copy: the same numbers.
    np.testing.assert_allclose(phi4.energy(field.astype(np.float64), cpu), expected, rtol=1e-6)
    swapped = np.ascontiguousarray(field.transpose(0, 1, 3, 2)).transpose(0, 1, 3, 2)
    assert not swapped.flags.c_contiguous
    np.testing.assert_array_equal(phi4.energy(swapped, cpu), expected)
    np.testing.assert_array_equal(phi4.energy(np.asfortranarray(field), cpu), expected)
    # A 2-D array is one chain of one channel.
    np.testing.assert_array_equal(phi4.energy(field[1, 0], cpu), expected[1:2])


@pytest.mark.parametrize(
    "bad, needle",
    [
        (np.zeros((2, 8, 8), np.float32), "3-D array (2, 8, 8); a field is 4-D"),
        (np.zeros((1, 1, 4, 4), np.complex64), "dtype complex64 is not real numbers"),
        (np.array([[["a"]]]), "is not real numbers"),
        (np.full((1, 1, 4, 4), np.nan, np.float32), "is not finite"),
    ],
)
def test_bad_arrays_are_refused_naming_the_argument(cpu, phi4, bad, needle):
    with pytest.raises(idf.InvalidInputError, match="`x`") as e:
        phi4.energy(bad, cpu)
    assert needle in str(e.value)
    assert isinstance(e.value, ValueError)


def test_a_field_goes_in_and_comes_out_unchanged(cpu):
    # Under a flat energy at T = 0 a Langevin step moves nothing: the samples are the start.
    x = np.random.default_rng(1).normal(size=(2, 1, 6, 5)).astype(np.float32)
    flat = idf.Energy("phi4", kappa=0, a=0, b=0, h=0)
    s = idf.sample(flat, size=[6, 5], chains=2, steps=3, temperature=0, initial=x, ctx=cpu, progress=False)
    assert s.field.dtype == np.float32 and s.field.shape == (2, 1, 6, 5)
    np.testing.assert_array_equal(s.field, x)


def test_an_initial_field_of_another_shape_is_refused(cpu):
    with pytest.raises(idf.InvalidInputError, match="initial"):
        idf.sample("phi4", size=[8, 8], chains=2, steps=2, initial=np.zeros((2, 1, 8, 9)), ctx=cpu, progress=False)
