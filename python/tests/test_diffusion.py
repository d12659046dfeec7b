"""The seeds' diffusion names: the schedule against its closed form, forward noising against
q(x_t | x_0), DDPM with the exact score against the mixture, Boltzmann weights against
log-sum-exp, and `optimize` against exact ground states and the CLI."""

import json
import subprocess

import numpy as np
import pytest

import idf


def test_cosine_schedule_matches_its_definition():
    s = idf.EnergyScheduler("cosine", 1000)
    t = np.arange(1001)
    f = np.cos((t / 1000 + 0.008) / 1.008 * np.pi / 2) ** 2
    betas = np.minimum(1 - f[1:] / f[:-1], 0.999)
    assert s.betas.shape == (1000,) and s.alpha_bars.shape == (1001,) and s.alpha_bars[0] == 1.0
    # 1 − f(t)/f(t−1) carries one rounding of 1 (1.1e-16) whatever the order of operations.
    np.testing.assert_allclose(s.betas, betas, rtol=1e-12, atol=2.3e-16)
    np.testing.assert_allclose(s.alpha_bars, np.concatenate([[1.0], np.cumprod(1 - betas)]), rtol=1e-10, atol=1e-300)
    with pytest.raises(idf.InvalidInputError, match="timesteps"):
        idf.EnergyScheduler("cosine", 0)


def test_forward_diffuse_draws_from_q_xt_given_x0(cpu):
    model = idf.EnergyDiffusionModel("phi4")
    x0 = np.full((4, 1, 64, 64), 1.5, np.float32)
    t = 300
    ab = model.scheduler.alpha_bars[t]
    xt = model.forward_diffuse(x0, t, seed=3, ctx=cpu)
    n = xt.size
    # Mean √ᾱ x0 and variance 1 − ᾱ, within four standard errors of N independent draws.
    assert abs(xt.mean() - np.sqrt(ab) * 1.5) < 4 * np.sqrt((1 - ab) / n)
    assert abs(xt.var() - (1 - ab)) < 4 * (1 - ab) * np.sqrt(2 / n)


def test_ddpm_with_the_exact_score_recovers_the_mixture(cpu):
    gmm = idf.Energy("gmm")
    model = idf.EnergyDiffusionModel(gmm)
    n = 4000
    noise = np.random.default_rng(5).normal(size=(n, 1, 1, 2)).astype(np.float32)
    x0, trace = model.reverse_denoise(noise, "ddpm", seed=6, ctx=cpu, progress=False)
    pts = x0.reshape(n, 2)
    right = pts[:, 0] > 0
    # Weight 0.7 on the component at (2, 1) (std 0.8), 0.3 on (−2, 0) (std 0.5).
    assert abs(right.mean() - 0.7) < 4 * np.sqrt(0.21 / n)
    np.testing.assert_allclose(pts[right].mean(0), [2, 1], atol=4 * 0.8 / np.sqrt(right.sum()) + 0.02)
    np.testing.assert_allclose(pts[~right].mean(0), [-2, 0], atol=4 * 0.5 / np.sqrt((~right).sum()) + 0.02)
    assert trace["energy"].shape == (1, n)
    with pytest.raises(idf.InvalidInputError, match="ddpm"):
        idf.EnergyDiffusionModel("phi4").reverse_denoise(np.zeros((1, 1, 8, 8)), "ddpm", ctx=cpu, progress=False)


def test_boltzmann_weights_match_log_sum_exp(cpu):
    e = np.array([1e4, 1e4 + 1.0, 1e4 + 3.0, 2e4])
    w = idf.boltzmann_weight(e, temperature=2.0, ctx=cpu)
    shifted = -(e - e.min()) / 2.0
    log_z = -e.min() / 2.0 + np.log(np.exp(shifted).sum())
    # The backend works in f32: E/kT = 10⁴ is held to one part in 2²³ (6e-4 here), which bounds
    # the error of ln Z and, through exp, the relative error of each weight.
    tol = e.max() / 2.0 * 2.0**-23
    np.testing.assert_allclose(w.log_z, log_z, rtol=0, atol=tol)
    np.testing.assert_allclose(w.weights, np.exp(-e / 2.0 - log_z), rtol=2 * tol, atol=1e-300)
    assert w.ess == pytest.approx(w.weights.sum() ** 2 / (w.weights**2).sum())
    with pytest.raises(idf.InvalidInputError, match="temperature"):
        idf.boltzmann_weight(e, temperature=0.0, ctx=cpu)


def test_optimize_finds_the_ising_ground_state_and_equals_the_cli(cpu, idf_binary):
    o = idf.optimize("ising", size=[8, 8], replicas=8, steps=400, method="tempering", seed=2, ctx=cpu, progress=False)
    # J = 1, h = 0: every bond satisfied, E/site = −2.
    assert o.report["best_energy_per_site"] == pytest.approx(-2.0)
    assert o.best.shape == (1, 1, 8, 8) and set(np.unique(o.best)) <= {-1.0, 1.0}
    assert len(o.report["ladder"]) == 8
    cli = json.loads(subprocess.run(
        [idf_binary, "optimize", "--model", "ising", "--size", "8", "--replicas", "8", "--steps", "400",
         "--method", "tempering", "--seed", "2", "--backend", "cpu", "--json"],
        check=True, capture_output=True, text=True).stdout)
    for key in ("best_energy", "energy_trace", "ladder", "swap_acceptance"):
        assert o.report[key] == cli[key], key
    with pytest.raises(idf.InvalidInputError, match="method"):
        idf.optimize("ising", method="genetic", ctx=cpu, progress=False)


def test_an_ace_agent_adapts_the_ladder_in_its_rounds(cpu):
    agent = idf.ACEAgent(rounds=12, steps_per_round=40, target_band=(0.25, 0.45))
    o = idf.optimize("ising", size=[8, 8], replicas=6, steps=800, t_start=4.0, temperature=1.0,
                     agent=agent, seed=3, ctx=cpu, progress=False)
    log = o.report["ace_log"]
    assert [d["round"] for d in log] == list(range(12))
    # The coldest rung stays at the target temperature; the frozen ladder is the last round's.
    assert all(d["ladder"][0] == pytest.approx(1.0) for d in log)
    assert o.report["ladder"] == log[-1]["ladder"]
    assert all(len(d["acceptance"]) == 5 for d in log)
    with pytest.raises(idf.InvalidInputError, match="leaves none of the 400 steps"):
        idf.optimize("ising", size=[8, 8], replicas=6, steps=400, agent=agent, ctx=cpu, progress=False)
