"""ResNet-50 trace vs a plain meta forward, counted in CPU instructions (issue 10's 8× target).

Wall times on this shared 2-core machine swing with the load (a meta forward took 36 ms on a
quiet machine and 70 ms beside a test run), and the ratio with them. Valgrind's callgrind counts
the instructions each one executes, the same number run after run whatever else the machine
does. Each is run 10 times after 3 warm-ups, counted only while it runs (callgrind_control
turns counting on and off), and divided by 10. Needs Debian's valgrind; about 30 s.

Run: ``python bench/bench_capture_instructions.py``.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RUNS = 10


def _measured(what: str) -> None:
    """Inside valgrind: warm up, then count RUNS calls of ``what``."""
    import torch

    import vizcnn
    sys.path[:0] = [str(ROOT / "bench")]
    from bench_trace import meta_model

    model = meta_model("resnet50")
    x = torch.empty(1, 3, 224, 224, device="meta")

    def meta_forward() -> None:
        with torch.no_grad():
            model(x)

    run = {"trace": lambda: vizcnn.trace(model, (1, 3, 224, 224)),
           "meta_forward": meta_forward}[what]
    for _ in range(3):
        run()
    pid = str(os.getpid())
    subprocess.run(["callgrind_control", "-i", "on", pid], capture_output=True, check=True)
    for _ in range(RUNS):
        run()
    subprocess.run(["callgrind_control", "-i", "off", pid], capture_output=True, check=True)


def _count(what: str) -> float:
    with tempfile.TemporaryDirectory() as out:
        done = subprocess.run(
            ["valgrind", "--tool=callgrind", "--instr-atstart=no",
             f"--callgrind-out-file={out}/callgrind.out", sys.executable, __file__, what],
            capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    found = re.search(r"Collected : (\d+)", done.stderr)
    if done.returncode or not found:
        raise SystemExit(f"callgrind failed for {what}:\n{done.stderr[-2000:]}")
    return int(found.group(1)) / RUNS


def main() -> None:
    if len(sys.argv) > 1:
        _measured(sys.argv[1])
        return
    if not shutil.which("valgrind"):
        raise SystemExit("needs valgrind (Debian: apt-get install -y valgrind)")
    trace, forward = _count("trace"), _count("meta_forward")
    print("ResNet-50 at 1×3×224×224, instructions per call (callgrind; target ≥ 8×)")
    print(f"  trace of a meta nn.Module (stand-in included) {trace / 1e6:7.1f} M")
    print(f"  plain meta forward                            {forward / 1e6:7.1f} M")
    print(f"  ratio {forward / trace:.2f}×")


if __name__ == "__main__":
    main()
