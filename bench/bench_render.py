"""Layout + render time (DOT → SVG with Graphviz's ``dot``) of the largest layer graphs.

For each graph, fully expanded (``depth=None``), three DOT texts are timed in one run:

* ``vizcnn``: what ``to_dot`` writes (dense fan-outs drawn as buses, size-scaled layout
  attributes, external labels when real ones would double the layout work);
* ``bus only``: the same with ``dot``'s default layout attributes and real edge labels;
* ``naive``: one DOT edge per arrow, real edge labels, default attributes: what ``dot`` gets
  without any of the measures, bounded at ``--baseline-timeout`` seconds.

Times are wall-clock seconds of ``render(..., "svg")`` (best of ``--repeat``) with the CPU
seconds of ``dot`` beside them; the machine may be shared, so the CPU column is the steadier
one. Run from the repository root::

    python bench/bench_render.py [--baseline-timeout 120] [--repeat 3]
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

import vizcnn  # noqa: E402
import vizcnn.render.dot as dot_module  # noqa: E402
from densenet_like import densenet121_like  # noqa: E402
from vizcnn.render import GraphOptions, render, to_dot  # noqa: E402

SIZE = (1, 3, 224, 224)
CASES: list[tuple[str, Callable[[], object]]] = [
    ("resnet152", lambda: "resnet152"),
    ("densenet121-like", densenet121_like),
    ("googlenet", lambda: "googlenet"),
    ("mobilenet_v3_large", lambda: "mobilenet_v3_large"),
]


@contextmanager
def measures_off(bus: bool) -> Iterator[None]:
    """Write DOT without the speed measures (keeping the bus when ``bus``)."""
    saved = (dot_module.BUS_MIN_RANKS, dot_module.LABEL_LIMIT, dot_module.layout_attrs)
    if not bus:
        dot_module.BUS_MIN_RANKS = 10**9
    dot_module.LABEL_LIMIT = 10**12
    dot_module.layout_attrs = lambda virtual_nodes: {}
    try:
        yield
    finally:
        dot_module.BUS_MIN_RANKS, dot_module.LABEL_LIMIT, dot_module.layout_attrs = saved


def timed_render(text: str, repeat: int, timeout: float) -> tuple[float, float] | None:
    """(best wall seconds, CPU seconds of that run) or None when ``dot`` hit the timeout."""
    best: tuple[float, float] | None = None
    for _ in range(repeat):
        cpu0 = resource.getrusage(resource.RUSAGE_CHILDREN).ru_utime
        start = time.perf_counter()
        try:
            render(text, "svg", timeout=timeout)
        except vizcnn.VizcnnError:
            return None
        wall = time.perf_counter() - start
        cpu = resource.getrusage(resource.RUSAGE_CHILDREN).ru_utime - cpu0
        if best is None or wall < best[0]:
            best = (wall, cpu)
    return best


def fmt(result: tuple[float, float] | None, bound: float) -> str:
    return f"> {bound:.0f} s" if result is None else f"{result[0]:6.2f} s ({result[1]:.2f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--baseline-timeout", type=float, default=120.0)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    options = GraphOptions(depth=None)
    print(f"{'graph':20s} {'boxes':>5s} {'arrows':>6s} {'to_dot':>7s}   {'vizcnn':>16s}   "
          f"{'bus only':>16s}   {'naive':>16s}   naive/vizcnn")
    for name, model in CASES:
        trace = vizcnn.trace(model(), SIZE)
        cg = dot_module.collapsed(trace, options)
        start = time.perf_counter()
        text = to_dot(trace, options)
        write = time.perf_counter() - start
        ours = timed_render(text, args.repeat, 20.0)
        with measures_off(bus=True):
            bus_only = timed_render(to_dot(trace, options), 1, args.baseline_timeout)
        with measures_off(bus=False):
            naive = timed_render(to_dot(trace, options), 1, args.baseline_timeout)
        if ours is None:
            ratio = "vizcnn timed out"
        elif naive is None:
            ratio = f"> {args.baseline_timeout / ours[0]:.0f}×"
        else:
            ratio = f"{naive[0] / ours[0]:.1f}×"
        print(f"{name:20s} {len(cg.boxes):5d} {len(cg.arrows):6d} {write:6.2f}s   "
              f"{fmt(ours, 20.0):>16s}   {fmt(bus_only, args.baseline_timeout):>16s}   "
              f"{fmt(naive, args.baseline_timeout):>16s}   {ratio}", flush=True)
    print("times: wall seconds of DOT → SVG (CPU seconds of dot in brackets)")


if __name__ == "__main__":
    main()
