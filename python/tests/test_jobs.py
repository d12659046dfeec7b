"""`validate`, `render` and `train_diffusion` give what their commands give, and refuse what
their commands refuse."""

import json
import subprocess

import numpy as np
import pytest

import idf


def run(binary, *args):
    return subprocess.run([binary, *args], check=True, capture_output=True, text=True)


def test_validate_equals_the_cli(cpu, idf_binary, tmp_path):
    report = idf.validate(trajectories=14, seed=3, ctx=cpu, progress=False)
    out = tmp_path / "elf.json"
    run(idf_binary, "validate", "--trajectories", "14", "--seed", "3", "--backend", "cpu", "--out", str(out))
    cli = json.loads(out.read_text())
    assert report["elf"] == cli["elf"] and report["elf"] == 1.0
    assert [(d["name"], d["trajectories"], d["passed"]) for d in report["domains"]] == [
        (d["name"], d["trajectories"], d["passed"]) for d in cli["domains"]
    ]
    with pytest.raises(idf.InvalidInputError, match="trajectories"):
        idf.validate(trajectories=2, ctx=cpu, progress=False)


def test_render_writes_the_video_it_reports(cpu, tmp_path):
    gif = tmp_path / "phi4.gif"
    summary = idf.render("phi4", out=gif, size=[24, 24], frames=6, steps_per_frame=2, ctx=cpu, progress=False)
    assert summary["path"] == str(gif) and gif.stat().st_size > 0
    assert summary["frames"] == 6 and summary["width"] > 0 and summary["height"] > 0
    frames = tmp_path / "frames"
    idf.render(idf.Energy("ising"), out=frames, png_frames=True, size=[16, 16], frames=3,
               integrator="metropolis", ctx=cpu, progress=False)
    assert sorted(p.name for p in frames.iterdir()) == ["frame_00000.png", "frame_00001.png", "frame_00002.png"]
    with pytest.raises(idf.InvalidInputError, match="`model`: gmm has no lattice"):
        idf.render("gmm", out=tmp_path / "points.gif", ctx=cpu, progress=False)
    assert not (tmp_path / "points.gif").exists()


@pytest.fixture(scope="module")
def ising_data(idf_binary, tmp_path_factory):
    path = tmp_path_factory.mktemp("data") / "ising.h5"
    run(idf_binary, "dataset", "synth", "--model", "ising", "--param", "J=1", "--param", "h=0.1",
        "--temperature", "3", "--size", "8", "--samples", "64", "--chains", "16", "--burn-in", "100",
        "--pilot", "100", "--seed", "2", "--backend", "cpu", "--out", str(path))
    return path


def test_train_diffusion_equals_the_cli(cpu, idf_binary, ising_data, tmp_path):
    report = idf.train_diffusion(ising_data, idf.Energy("ising", J=0.5, h=0.0), steps=60, batch_size=8,
                                 chains=8, learning_rate=0.02, bounds={"J": (0, None)}, seed=4,
                                 ctx=cpu, progress=False)
    cli = json.loads(run(
        idf_binary, "train", "--model", "ising", "--param", "J=0.5", "--param", "h=0", "--data", str(ising_data),
        "--steps", "60", "--batch-size", "8", "--chains", "8", "--learning-rate", "0.02", "--bound", "J=0:",
        "--seed", "4", "--backend", "cpu", "--json", "--out", str(tmp_path / "fit.ckpt"),
        "--metrics", str(tmp_path / "training.json"),
    ).stdout)
    for p in report["params"]:
        assert (p["mean"], p["stderr"]) == (cli["params"][p["name"]]["mean"], cli["params"][p["name"]]["stderr"])
    assert len(report["curve"]) == 60 and report["samples"] == 64 and report["temperature"] == 3.0


def test_train_diffusion_refuses_what_the_cli_refuses(cpu, ising_data, tmp_path):
    with pytest.raises(idf.FileFormatError, match="not a spin"):
        fields = tmp_path / "fields"
        fields.mkdir()
        np.save(fields / "0.npy", np.full((1, 8, 8), 0.5, np.float32))
        (fields / "conditions.csv").write_text("temperature\n1\n")
        idf.train_diffusion(fields, "ising", steps=2, ctx=cpu, progress=False)
    with pytest.raises(idf.InvalidInputError, match="has no condition `T`"):
        idf.train_diffusion(ising_data, "ising", select={"T": 3}, steps=2, ctx=cpu, progress=False)
    with pytest.raises(FileNotFoundError, match="missing.h5"):
        idf.train_diffusion(tmp_path / "missing.h5", "ising", steps=2, ctx=cpu, progress=False)


def test_a_fit_that_cannot_follow_the_data_says_so(cpu, ising_data, tmp_path):
    with pytest.raises(idf.InvalidInputError, match="`steps`"):
        idf.train_diffusion(ising_data, "ising", steps=0, ctx=cpu, progress=False)
    # A string is one parameter, not its letters.
    report = idf.train_diffusion(ising_data, idf.Energy("ising", J=0.5), fixed="h", steps=5, batch_size=8,
                                 chains=8, ctx=cpu, progress=False)
    assert [p["fixed"] for p in report["params"]] == [False, True]


SHOP = {
    "nodes": [
        {"name": "a", "zone": "z1", "cpu": 8, "memory_gib": 32, "idle_power_w": 100, "peak_power_w": 200},
        {"name": "b", "zone": "z1", "cpu": 8, "memory_gib": 32, "idle_power_w": 110, "peak_power_w": 210},
    ],
    "services": [{"name": "web", "replicas": 3, "cpu": 1, "memory_gib": 2},
                 {"name": "db", "replicas": 1, "cpu": 2, "memory_gib": 8}],
    "traffic": [{"from": "web", "to": "db", "rate": 5}],
}


def test_optimize_entropy_places_the_services_like_the_cli(cpu, idf_binary, tmp_path):
    policy = idf.optimize_entropy(SHOP, chains=8, steps=200, ctx=cpu, progress=False)
    # Everything fits on node a, the cheaper one at idle: one idle power instead of two.
    assert policy["feasible"] and policy["assignment"] == {"web": ["a", "a", "a"], "db": ["a"]}
    assert [b["method"] for b in policy["baselines"]] == ["first-fit-decreasing", "best-fit-decreasing", "exact"]
    assert policy["baselines"][2]["cost"] == pytest.approx(policy["costs"]["total"])
    path = tmp_path / "shop.json"
    path.write_text(json.dumps(SHOP))
    out = tmp_path / "policy.json"
    run(idf_binary, "optimize", "--service-graph", str(path), "--replicas", "8", "--steps", "200",
        "--backend", "cpu", "--out", str(out))
    assert json.loads(out.read_text())["assignment"] == policy["assignment"]
    # Node a measured drawing more: the load moves to b.
    telemetry = [{"node": "a", "utilisation": u, "power_w": 150 + 100 * u} for u in (0.1, 0.4, 0.7)]
    moved = idf.optimize_entropy(str(path), telemetry=telemetry, chains=8, steps=200, ctx=cpu, progress=False)
    assert moved["assignment"] == {"web": ["b", "b", "b"], "db": ["b"]}
    assert moved["power_fits"][0]["idle_power_w"][1] == pytest.approx(150)


def test_optimize_entropy_names_the_json_path_of_bad_input(cpu):
    bad = json.loads(json.dumps(SHOP))
    bad["services"][1]["replicas"] = 0
    with pytest.raises(idf.InvalidInputError, match=r"services\[1\]\.replicas"):
        idf.optimize_entropy(bad, ctx=cpu, progress=False)
    with pytest.raises(idf.InvalidInputError, match=r"telemetry\[0\]\.node"):
        idf.optimize_entropy(SHOP, telemetry=[{"node": "zz", "utilisation": 0.1, "power_w": 1}], ctx=cpu, progress=False)
    with pytest.raises(idf.InvalidInputError, match="method"):
        idf.optimize_entropy(SHOP, method="baseline-gd", ctx=cpu, progress=False)
