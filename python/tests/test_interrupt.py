"""Ctrl-C during a long run: `KeyboardInterrupt` within a second, and the context still works."""

import signal
import subprocess
import sys
import time

import pytest

SCRIPT = r"""
import sys, time
import idf
ctx = idf.Context("cpu")
print("ready", flush=True)
start = time.monotonic()
try:
    if sys.argv[1] == "sample":
        idf.sample("phi4", size=[128, 128], chains=8, steps=10_000_000, record_every=10_000, ctx=ctx, progress=False)
    else:
        # Few progress reports: the watcher, not the job's own reports, must catch the signal.
        idf.optimize("ising", size=[64, 64], replicas=16, steps=10**5, ctx=ctx, progress=False)
    print("finished", flush=True)
except KeyboardInterrupt:
    print(f"interrupted {time.monotonic() - start:.3f}", flush=True)
    s = idf.sample("phi4", size=[8, 8], chains=2, steps=10, ctx=ctx, progress=False)
    print(f"usable {s.field.shape}", flush=True)
"""


@pytest.mark.parametrize("job", ["sample", "optimize"])
def test_ctrl_c_raises_keyboard_interrupt_within_a_second_and_the_context_stays_usable(job):
    proc = subprocess.Popen([sys.executable, "-c", SCRIPT, job], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "ready"
    time.sleep(1.5)
    sent = time.monotonic()
    proc.send_signal(signal.SIGINT)
    line = proc.stdout.readline().split()
    latency = time.monotonic() - sent
    out, _ = proc.communicate(timeout=60)
    assert line[0] == "interrupted", (line, out)
    assert latency < 1.0, latency
    assert "usable (2, 1, 8, 8)" in out, out
