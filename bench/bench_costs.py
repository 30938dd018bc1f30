"""How much do the views beyond MACs cost? Reconciliation + memory traffic + the
training-memory pass against the trace time of resnet50 (issue 13 asks for at most 2×), and
the training-memory pass of five models with and without the shape kernels, and
the wall time of a latency profile of every zoo model at 224 (asked: under 5 s each).

Prints best-of-N wall times measured in this one run and their ratios; no thresholds (the
machine is shared and noisy). Run: ``python bench/bench_costs.py [--repeat N]``.
"""

from __future__ import annotations

import argparse
import time

from bench_trace import best_ms   # the same best-of-N timer as the trace benchmark

import vizcnn
from vizcnn.experiments.profile import DEFAULT_TIME_LIMIT, profile
from vizcnn.experiments.training_memory import _cached_stand_in, training_memory
from vizcnn.views.conventions import reconcile
from vizcnn.views.traffic import DEVICE_PRESETS, layer_traffic, roofline

ZOO_PASS = ["resnet50", "mobilenet_v3_large", "shufflenet_v2_x1_0", "googlenet", "ghostnet"]
ZOO_224 = ["alexnet", "vgg16", "googlenet", "resnet18", "resnet50", "resnet152",
           "mobilenet_v2", "mobilenet_v3_large", "shufflenet_v2_x1_0"]


def views_against_trace(repeat: int) -> None:
    trace = vizcnn.trace("resnet50", (1, 3, 224, 224))
    t_trace = best_ms(lambda: vizcnn.trace("resnet50", (1, 3, 224, 224)), repeat)
    t_conv = best_ms(lambda: reconcile(trace), repeat)
    t_traffic = best_ms(lambda: roofline(layer_traffic(trace), DEVICE_PRESETS["NVIDIA T4"]),
                        repeat)
    def cold_pass() -> None:
        _cached_stand_in.cache_clear()
        training_memory(trace, 1)

    t_cold = best_ms(cold_pass, repeat)
    t_train = best_ms(lambda: training_memory(trace, 1), repeat)
    t_plain = best_ms(lambda: training_memory(trace, 1, shape_kernels=False), repeat)
    added = t_conv + t_traffic + t_train
    added_cold = t_conv + t_traffic + t_cold
    print(f"resnet50 1×3×224×224, best of {repeat}")
    print(f"  trace                      {t_trace:8.1f} ms")
    print(f"  reconciliation (7 tools)   {t_conv:8.1f} ms")
    print(f"  memory traffic + roofline  {t_traffic:8.1f} ms")
    print(f"  training-memory pass       {t_train:8.1f} ms  (stand-in cached)")
    print(f"  training-memory, 1st call  {t_cold:8.1f} ms  (builds the meta stand-in)")
    print(f"  same pass, plain meta ops  {t_plain:8.1f} ms  (shape_kernels=False: "
          f"{t_plain / t_train:.1f}× the pass)")
    print(f"  added / trace              {added / t_trace:8.2f} ×  (issue 13: at most 2×)")
    print(f"  added / trace, 1st call    {added_cold / t_trace:8.2f} ×")


def training_pass_zoo(repeat: int) -> None:
    print(f"training-memory pass at 1×3×224×224 (stand-in cached), best of {repeat}: "
          f"with the shape kernels, and plain")
    for name in ZOO_PASS:
        trace = vizcnn.trace(name, (1, 3, 224, 224))
        fast = best_ms(lambda: training_memory(trace, 1), repeat)
        plain = best_ms(lambda: training_memory(trace, 1, shape_kernels=False), repeat)
        print(f"  {name:<20} {fast:7.1f} ms   plain {plain:7.1f} ms   ({plain / fast:4.1f}×)")


def profile_zoo() -> None:
    print(f"latency profile at 1×3×224×224 (repeats=5, time_limit={DEFAULT_TIME_LIMIT} s, "
          f"1 thread), wall time including the build (issue 13: under 5 s)")
    for name in ZOO_224:
        trace = vizcnn.trace(name, (1, 3, 224, 224))
        start = time.perf_counter()
        result = profile(trace)
        wall = time.perf_counter() - start
        print(f"  {name:<20} wall {wall:5.2f} s   forward {result.median_s * 1e3:8.1f} ms "
              f"(median of {result.runs}{', cold' if result.cold else ''})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--no-profile", action="store_true", help="skip the latency part")
    args = parser.parse_args()
    views_against_trace(args.repeat)
    training_pass_zoo(args.repeat)
    if not args.no_profile:
        profile_zoo()


if __name__ == "__main__":
    main()
