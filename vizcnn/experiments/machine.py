"""This machine as a roofline device: peak FLOP/s and memory bandwidth, measured by a short,
bounded micro-benchmark (a square fp32 matmul and a large tensor copy), threads stated.

The figures are what PyTorch reaches here, not vendor peaks: the matmul is ``torch.mm`` on
``n × n`` fp32 matrices (2·n³ FLOPs), the bandwidth is ``dst.copy_(src)`` of a tensor much
larger than the caches (bytes read + bytes written). Each measurement takes the best of as
many repeats as fit in its share of ``time_limit``.
"""

from __future__ import annotations

import time

import torch

from vizcnn.errors import VizcnnError
from vizcnn.views.traffic import Device


def _best(run, budget: float) -> float:
    """Fastest of repeated ``run()`` calls within ``budget`` seconds, the warm-up call
    included (at least two calls: the first warms up)."""
    start = time.perf_counter()
    run()
    best = float("inf")
    while True:
        t0 = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - t0)
        if time.perf_counter() - start >= budget:
            return best


def measure_machine(time_limit: float = 0.5, matmul_size: int = 512,
                    copy_megabytes: int = 64) -> Device:
    """Measure this machine in about ``time_limit`` seconds (half matmul, half copy)."""
    if not time_limit > 0 or matmul_size <= 0 or copy_megabytes <= 0:
        raise VizcnnError("time_limit, matmul_size and copy_megabytes must be positive")
    n = matmul_size
    a = torch.randn(n, n)
    b = torch.randn(n, n)
    out = torch.empty(n, n)
    with torch.no_grad():
        mm = _best(lambda: torch.mm(a, b, out=out), time_limit / 2)
        elements = copy_megabytes * 2 ** 20 // 4
        src = torch.ones(elements)
        dst = torch.empty(elements)
        copy = _best(lambda: dst.copy_(src), time_limit / 2)
    threads = torch.get_num_threads()
    return Device(f"this machine ({threads} thread{'s' if threads != 1 else ''}, measured)",
                  2 * n ** 3 / mm, 2 * src.numel() * 4 / copy,
                  f"torch.mm {n}×{n} fp32 and a {copy_megabytes} MB copy, best of repeats, "
                  f"torch {torch.__version__}, {threads} threads")
