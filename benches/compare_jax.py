"""Side-by-side timing of one φ⁴ Langevin trajectory in IDF, JAX (jit + fori_loop) and NumPy.

The same lattice, steps, kappa, a, b, h, eta and T in each: x <- x - eta*grad E + sqrt(2 eta T) xi,
E = sum kappa/2 |grad phi|^2 + a/2 phi^2 + b/4 phi^4 - h phi on a periodic square lattice.
Run through benches/compare_jax.sh, which prepares the virtual environment and the IDF binary.
Prints each one's median wall time, the ratios, and the peak memory (RSS) of the IDF process.
"""

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time

KAPPA, A, B, H = 1.0, -1.0, 1.0, 0.0


def median_ms(fn, repeats):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1e3)
    return statistics.median(times)


def numpy_trajectory(size, steps, eta, temperature):
    import numpy as np

    rng = np.random.default_rng(1)
    phi = (0.1 * rng.standard_normal((size, size))).astype(np.float32)
    noise = np.float32(np.sqrt(2 * eta * temperature))
    eta = np.float32(eta)

    def run():
        x = phi.copy()
        for _ in range(steps):
            lap = np.roll(x, 1, 0) + np.roll(x, -1, 0) + np.roll(x, 1, 1) + np.roll(x, -1, 1) - 4 * x
            grad = -KAPPA * lap + A * x + B * x * x * x - H
            x = x - eta * grad + noise * rng.standard_normal(x.shape, dtype=np.float32)
        return x

    return run


def jax_trajectory(size, steps, eta, temperature):
    import jax
    import jax.numpy as jnp

    noise = jnp.float32((2 * eta * temperature) ** 0.5)

    def body(_, state):
        x, key = state
        key, sub = jax.random.split(key)
        lap = jnp.roll(x, 1, 0) + jnp.roll(x, -1, 0) + jnp.roll(x, 1, 1) + jnp.roll(x, -1, 1) - 4 * x
        grad = -KAPPA * lap + A * x + B * x * x * x - H
        return x - eta * grad + noise * jax.random.normal(sub, x.shape, dtype=jnp.float32), key

    @jax.jit
    def trajectory(x, key):
        return jax.lax.fori_loop(0, steps, body, (x, key))[0]

    x0 = 0.1 * jax.random.normal(jax.random.PRNGKey(1), (size, size), dtype=jnp.float32)
    key = jax.random.PRNGKey(2)
    trajectory(x0, key).block_until_ready()  # compile outside the timing

    return lambda: trajectory(x0, key).block_until_ready()


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--idf", required=True, help="path of the phi4_trajectory example binary")
    p.add_argument("--size", type=int, default=256)
    p.add_argument("--steps", type=int, default=1000)
    p.add_argument("--repeats", type=int, default=7)
    p.add_argument("--eta", type=float, default=0.02)
    p.add_argument("--temperature", type=float, default=1.0)
    p.add_argument("--numpy-steps", type=int, default=None, help="NumPy is slow: time fewer steps and scale")
    a = p.parse_args()

    cmd = [a.idf, "--size", str(a.size), "--steps", str(a.steps), "--repeats", str(a.repeats),
           "--eta", str(a.eta), "--temperature", str(a.temperature), "--backend", "cpu"]
    idf = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss

    jax_ms = median_ms(jax_trajectory(a.size, a.steps, a.eta, a.temperature), a.repeats)
    np_steps = a.numpy_steps or a.steps
    np_ms = median_ms(numpy_trajectory(a.size, np_steps, a.eta, a.temperature), max(1, a.repeats // 2))
    np_ms *= a.steps / np_steps

    def versus(other_ms):
        ratio = other_ms / idf["median_ms"]
        return f"IDF is {ratio:.2f}x faster" if ratio >= 1 else f"IDF is {1 / ratio:.2f}x slower"

    import jax
    print(f"phi4 Langevin, {a.size}x{a.size}, {a.steps} steps, one chain, CPU ({jax.__version__=})")
    print(f"  IDF (cpu)  median {idf['median_ms']:10.2f} ms   peak RSS {peak_kib / 1024:.1f} MiB")
    print(f"  JAX        median {jax_ms:10.2f} ms   {versus(jax_ms)}")
    scaled = "" if np_steps == a.steps else f" (timed {np_steps} steps, scaled)"
    print(f"  NumPy      median {np_ms:10.2f} ms   {versus(np_ms)}{scaled}")
    print(json.dumps({"idf_ms": idf["median_ms"], "jax_ms": jax_ms, "numpy_ms": np_ms,
                      "jax_over_idf": jax_ms / idf["median_ms"], "numpy_over_idf": np_ms / idf["median_ms"],
                      "idf_peak_rss_mib": peak_kib / 1024, "size": a.size, "steps": a.steps}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
