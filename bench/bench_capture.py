"""Capture speed (issue 10): four ratios, each measured in this one run against its baseline.

1. Every model of the test suite (the zoo at its paper's size and the real-world stand-ins of
   ``tests/realworld_models.py``): ``vizcnn.trace`` against one CPU forward on 1 thread.
   Target: no trace slower than the forward (ratio forward/trace ≥ 1).
2. ``vizcnn summary resnet50`` wall time against ``python -c "import torch"`` (target ≤ 1.3×).
3. The first ``trace("resnet50")`` in a fresh process (target < 50 ms).
4. A full ResNet-50 trace against a plain meta forward (target ≥ 8×).

Best-of-N wall times, no thresholds asserted (these machines are noisy; the ratios are what to
compare). Run: ``python bench/bench_capture.py [--repeat N]``.
"""

from __future__ import annotations

import argparse
import copy
import os
import subprocess
import sys
import time
from pathlib import Path

import torch

import vizcnn

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "bench")]

from bench_trace import best_ms, meta_model  # noqa: E402


def _models() -> dict[str, dict[str, tuple[torch.nn.Module, tuple, dict]]]:
    from realworld_models import CASES

    zoo = {}
    for name in vizcnn.list_models():
        card = vizcnn.model_card(name)
        x = torch.randn(1, card.in_channels, card.input_size, card.input_size)
        zoo[name] = (vizcnn.build(name).eval(), (x,), {})
    return {"zoo models": zoo,
            "the real-world stand-ins of tests/realworld_models.py":
                {name: make() for name, make in CASES.items()}}


def trace_vs_cpu_forward(repeat: int) -> None:
    print("1. trace vs one CPU forward on 1 thread (ratio = forward / trace; ≥ 1 is the target)")
    for group, models in _models().items():
        print(f"  {group}:")
        worst = ("", float("inf"))
        for name, (model, args, kwargs) in models.items():
            twin = copy.deepcopy(model)
            forwards = max(3, repeat // 3)
            # fresh inputs for each forward (a model may change its input), copied before timing
            fresh = [copy.deepcopy((args, kwargs)) for _ in range(forwards)]

            def forward() -> None:
                run_args, run_kwargs = fresh.pop()
                with torch.no_grad():
                    twin(*run_args, **run_kwargs)

            trace_ms = best_ms(lambda: vizcnn.trace(model, inputs=args, kwargs=kwargs), repeat)
            forward_ms = best_ms(forward, forwards)
            ratio = forward_ms / trace_ms
            worst = min(worst, (name, ratio), key=lambda w: w[1])
            on_cpu = vizcnn.trace(model, inputs=args, kwargs=kwargs).device == "cpu"
            print(f"    {name:22s} trace {trace_ms:7.2f} ms   CPU forward {forward_ms:8.2f} ms"
                  f"   ratio {ratio:6.1f}×" + ("   (needs real values: the trace runs the "
                                               "model on the CPU)" if on_cpu else ""))
        print(f"    lowest ratio: {worst[0]} {worst[1]:.2f}×")


def _wall(command: list[str], repeat: int) -> float:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True, env=env, cwd=ROOT)
        best = min(best, time.perf_counter() - start)
    return best * 1000


def summary_vs_import_torch(repeat: int) -> None:
    python = sys.executable
    torch_ms = _wall([python, "-c", "import torch"], repeat)
    summary_ms = _wall([python, "-m", "vizcnn.cli", "summary", "resnet50"], repeat)
    print("2. `vizcnn summary resnet50` vs `python -c 'import torch'` (best of "
          f"{repeat}; target ≤ 1.3×)")
    print(f"  import torch {torch_ms:7.0f} ms   vizcnn summary resnet50 {summary_ms:7.0f} ms"
          f"   ratio {summary_ms / torch_ms:5.2f}×")


_FIRST_TRACE = """
import time
from vizcnn import trace   # imports torch and the zoo: not part of the trace
start = time.perf_counter()
trace("resnet50", (1, 3, 224, 224))
print((time.perf_counter() - start) * 1000)
"""


def first_trace_in_a_fresh_process(repeat: int) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    times = [float(subprocess.run([sys.executable, "-c", _FIRST_TRACE], check=True, env=env,
                                  capture_output=True, text=True).stdout)
             for _ in range(repeat)]
    print(f"3. first trace('resnet50') in a fresh process (target < 50 ms): best "
          f"{min(times):.1f} ms, median {sorted(times)[len(times) // 2]:.1f} ms of {repeat}")


def resnet50_vs_meta_forward(repeat: int) -> None:
    model = meta_model("resnet50")
    x = torch.empty(1, 3, 224, 224, device="meta")

    def plain_meta_forward() -> None:
        with torch.no_grad():
            model(x)

    trace_ms = best_ms(lambda: vizcnn.trace(model, (1, 3, 224, 224)), repeat)
    zoo_ms = best_ms(lambda: vizcnn.trace("resnet50", (1, 3, 224, 224)), repeat)
    meta_ms = best_ms(plain_meta_forward, repeat)
    print("4. ResNet-50 at 1×3×224×224: full trace vs a plain meta forward (target ≥ 8×)")
    print(f"  trace of a meta nn.Module (stand-in included) {trace_ms:6.1f} ms   ratio "
          f"{meta_ms / trace_ms:5.1f}×")
    print(f"  trace('resnet50') (a stand-in of the kept build) {zoo_ms:4.1f} ms   ratio "
          f"{meta_ms / zoo_ms:5.1f}×")
    print(f"  plain meta forward                             {meta_ms:6.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=10)
    args = parser.parse_args()
    torch.set_num_threads(1)
    resnet50_vs_meta_forward(args.repeat)
    first_trace_in_a_fresh_process(max(3, args.repeat // 2))
    summary_vs_import_torch(max(3, args.repeat // 3))
    trace_vs_cpu_forward(args.repeat)


if __name__ == "__main__":
    main()
