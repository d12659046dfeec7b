"""The GPU table of issue 13 in one run: IDF's phi^4 Langevin trajectory (plain kernel, fused
kernel, and the planner's choice) beside JAX, NumPy and, where CuPy finds a CUDA device, the
hand-written CUDA kernel of langevin_gpu_ref.py (launch per step, and one CUDA graph); then Ising
checkerboard Metropolis in flips/ns from the difference of two sweep counts.

Same model and update everywhere: x <- x - eta*grad E + sqrt(2 eta T) xi, E = sum kappa/2
|grad phi|^2 + a/2 phi^2 + b/4 phi^4 with kappa=1, a=-1, b=1, eta=0.02, T=1, periodic, float32.
Each time is the median of --repeats warm runs of the whole trajectory, result on the host.
JAX runs on whatever device it finds (the CPU here; CUDA on a GPU machine with jax[cuda]).
NumPy always runs on the CPU and, being slow, times --numpy-steps steps, scaled to --steps.

Run through benches/gpu_table.sh, which builds the two IDF example binaries. Prints one JSON
line per measurement, then a Markdown table with each IDF time as a ratio of JAX's.
"""

import argparse
import json
import subprocess
import sys
import time

import langevin_gpu_ref as ref

ETA, T = ref.ETA, ref.T


def numpy_ms(size, chains, steps, repeats):
    import numpy as np

    rng = np.random.default_rng(1)
    x0 = (0.1 * rng.standard_normal((chains, size, size))).astype(np.float32)
    noise = np.float32(ref.NOISE)

    def run():
        x = x0.copy()
        for _ in range(steps):
            lap = np.roll(x, 1, -2) + np.roll(x, -1, -2) + np.roll(x, 1, -1) + np.roll(x, -1, -1) - 4 * x
            grad = -ref.KAPPA * lap + ref.A * x + ref.B * x * x * x
            x = x - np.float32(ETA) * grad + noise * rng.standard_normal(x.shape, dtype=np.float32)
        return x

    return ref.med(run, repeats)


def idf_json(binary, args):
    out = subprocess.run([binary, *args], check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--phi4", required=True, help="path of the phi4_trajectory example binary")
    p.add_argument("--ising", required=True, help="path of the ising_sweeps example binary")
    p.add_argument("--backend", default="gpu", help="IDF's backend: gpu, cpu or auto")
    p.add_argument("--rows", default="256x1,256x32,1024x1,4096x1", help="SIZExCHAINS,...")
    p.add_argument("--steps", type=int, default=1000)
    p.add_argument("--repeats", type=int, default=7)
    p.add_argument("--numpy-steps", type=int, default=20)
    p.add_argument("--ising-sizes", default="4096,16384")
    p.add_argument("--ising-sweeps", default="20,220")
    a = p.parse_args()

    rows = [tuple(int(v) for v in r.split("x")) for r in a.rows.split(",")]
    results = {}

    def record(impl, size, chains, **fields):
        line = {"impl": impl, "size": size, "chains": chains, "steps": a.steps, **fields}
        print(json.dumps(line), flush=True)
        results[(impl, size, chains)] = line

    for size, chains in rows:
        common = ["--backend", a.backend, "--size", str(size), "--chains", str(chains),
                  "--steps", str(a.steps), "--repeats", str(a.repeats)]
        for impl, extra in [("idf-plain", ["--fusion", "1"]), ("idf-fused8", ["--fusion", "8"]),
                            ("idf-planned", [])]:
            out = idf_json(a.phi4, common + extra)
            plan = out.get("fusion") or {}
            record(impl, size, chains, median_ms=out["median_ms"], adapter=out["adapter"],
                   fused_steps=plan.get("fused_steps", 1))
        for impl, fn in [
            ("jax-threefry", lambda: ref.jax_ref(size, chains, a.steps, a.repeats, "threefry2x32")),
            ("jax-rbg", lambda: ref.jax_ref(size, chains, a.steps, a.repeats, "rbg")),
            ("cuda-launches", lambda: ref.cuda_ref(size, chains, a.steps, a.repeats, False)),
            ("cuda-graph", lambda: ref.cuda_ref(size, chains, a.steps, a.repeats, True)),
            ("numpy", lambda: numpy_ms(size, chains, a.numpy_steps, max(1, a.repeats // 2))
             * a.steps / a.numpy_steps),
        ]:
            try:
                record(impl, size, chains, median_ms=fn())
            except ImportError as e:  # CuPy (or JAX) is not installed here: not a failure
                print(json.dumps({"impl": impl, "skipped": str(e)}), flush=True)
            except Exception as e:  # a reference that fails must not cost the others
                print(json.dumps({"impl": impl, "size": size, "chains": chains, "error": repr(e)[:300]}),
                      flush=True)

    ising = []
    for size in (int(s) for s in a.ising_sizes.split(",")):
        for multispin in ("off", "on"):
            out = idf_json(a.ising, ["--backend", a.backend, "--size", str(size), "--multispin", multispin,
                                     "--sweeps", a.ising_sweeps, "--repeats", str(max(3, a.repeats // 2))])
            print(json.dumps({"impl": "idf-ising", **out}), flush=True)
            ising.append(out)

    try:
        import jax
        on = f"JAX {jax.__version__} on " + ", ".join(str(d) for d in jax.devices())
    except ImportError:
        on = "no JAX"
    print(f"\nphi4 Langevin, {a.steps} steps, median of {a.repeats} (ms); {on}")
    cols = ["idf-plain", "idf-fused8", "idf-planned", "jax-threefry", "jax-rbg", "cuda-launches", "cuda-graph",
            "numpy"]
    print("| lattice x chains | " + " | ".join(cols) + " | planned / JAX |")
    print("|---" * (len(cols) + 2) + "|")
    for size, chains in rows:
        def cell(impl):
            r = results.get((impl, size, chains))
            if r is None:
                return "-"
            text = f"{r['median_ms']:.2f}"
            return text + (f" (k={r['fused_steps']})" if impl == "idf-planned" else "")
        jax_best = min((results[(j, size, chains)]["median_ms"] for j in ("jax-threefry", "jax-rbg")
                        if (j, size, chains) in results), default=None)
        planned = results[("idf-planned", size, chains)]["median_ms"]
        ratio = f"{planned / jax_best:.2f}x" if jax_best else "-"
        print(f"| {size}^2 x {chains} | " + " | ".join(cell(c) for c in cols) + f" | {ratio} |")
    for out in ising:
        n1, n2 = out["sweeps"]
        coding = "multi-spin coding" if out["multispin"] else "one f32 per spin"
        print(f"Ising checkerboard, {out['size']}^2, {coding}: {out['flips_per_ns']:.3f} flips/ns "
              f"(difference of {n2} and {n1} sweeps, {out['adapter']})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
