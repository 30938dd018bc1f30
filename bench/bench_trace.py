"""How fast is a trace? vizcnn.trace against torchinfo.summary and a plain meta forward.

Prints best-of-N wall times measured in this one run and their ratios (no thresholds: these
machines are noisy; the ratios are what to compare). Run: ``python bench/bench_trace.py``.
"""

from __future__ import annotations

import argparse
import time
from typing import Callable

import torch
import torchinfo

import vizcnn


def best_ms(work: Callable[[], object], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - start)
    return best * 1000


def meta_model(name: str) -> torch.nn.Module:
    with torch.device("meta"):
        return vizcnn.build(name).eval()


def compare_resnet50(repeat: int) -> None:
    model = meta_model("resnet50")
    cpu_model = vizcnn.build("resnet50").eval()
    x = torch.empty(1, 3, 224, 224, device="meta")

    def plain_meta_forward() -> None:
        with torch.no_grad():
            model(x)

    trace_ms = best_ms(lambda: vizcnn.trace(model, (1, 3, 224, 224)), repeat)
    meta_ms = best_ms(plain_meta_forward, repeat)
    info_meta_ms = best_ms(lambda: torchinfo.summary(model, (1, 3, 224, 224), verbose=0,
                                                     device="meta"), max(3, repeat // 3))
    info_cpu_ms = best_ms(lambda: torchinfo.summary(cpu_model, (1, 3, 224, 224), verbose=0),
                          max(3, repeat // 3))
    print("ResNet-50 at 1×3×224×224 (best of N, one run)")
    print(f"  vizcnn.trace (graph, shapes, params, MACs, FLOPs)  {trace_ms:7.1f} ms")
    print(f"  plain meta forward                                 {meta_ms:7.1f} ms"
          f"   ratio {meta_ms / trace_ms:5.1f}×")
    print(f"  torchinfo.summary, CPU model (its default)         {info_cpu_ms:7.1f} ms"
          f"   ratio {info_cpu_ms / trace_ms:5.1f}×")
    print(f"  torchinfo.summary, meta model                      {info_meta_ms:7.1f} ms"
          f"   ratio {info_meta_ms / trace_ms:5.1f}×")


def every_zoo_model(repeat: int) -> None:
    print("\nEvery zoo model at its paper's input size: trace vs plain meta forward")
    worst = ("", 0.0)
    for name in vizcnn.list_models():
        card = vizcnn.model_card(name)
        size = (1, card.in_channels, card.input_size, card.input_size)
        model = meta_model(name)
        x = torch.empty(size, device="meta")

        def forward() -> None:
            with torch.no_grad():
                model(x)

        trace_ms = best_ms(lambda: vizcnn.trace(model, size), repeat)
        meta_ms = best_ms(forward, max(3, repeat // 3))
        worst = max(worst, (name, trace_ms), key=lambda w: w[1])
        print(f"  {name:22s} trace {trace_ms:6.1f} ms   meta forward {meta_ms:6.1f} ms"
              f"   ratio {meta_ms / trace_ms:5.1f}×")
    print(f"  slowest trace: {worst[0]} {worst[1]:.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    torch.set_num_threads(1)
    compare_resnet50(args.repeat)
    every_zoo_model(args.repeat)


if __name__ == "__main__":
    main()
