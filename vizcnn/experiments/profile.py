"""Measured latency, opt-in and bounded: one real CPU run of the traced architecture with
random weights, per-layer times next to MACs.

FLOPs are not speed (ShuffleNet V2's lesson); this measures. The model is built again from the
trace's spec on the CPU with random weights (a live module handed to ``trace`` is never run),
put in eval mode and run under ``torch.inference_mode``: one warm-up, then up to ``repeats``
timed runs while the time limit lasts. Leaf-module times come from forward pre/post hooks on
that CPU copy; time spent in functional ops between modules (residual adds, reshapes) is the
"(between modules)" row, so the rows add up to the whole forward. Medians over the repeats;
the thread count is stated. A size limit refuses models too big to run here. Denormal floats
are flushed to zero during the run (random weights make activations drift into them, and
they are slow on CPUs); the thread count and the flag are restored afterwards. Zoo models get
seeded uniform random weights (see :func:`_random_weights`); a factory keeps its own init.
"""

from __future__ import annotations

import statistics
import time
from collections import defaultdict
from dataclasses import dataclass
from typing import Sequence

import torch
from torch import nn

from vizcnn.errors import VizcnnError
from vizcnn.graph import Graph
from vizcnn.spec import ModelSource, TraceSpec

BETWEEN = "(between modules)"
DEFAULT_MAX_MACS = 30_000_000_000      # per forward: ~vgg16 at batch 2
DEFAULT_MAX_PARAMS = 200_000_000


@dataclass(frozen=True)
class LayerTime:
    """Median wall time of one traced node (a leaf-module call) over the timed runs."""

    node_id: str
    module_type: str
    kind: str
    macs: int
    median_s: float


@dataclass(frozen=True)
class Profile:
    model: str
    input_shape: tuple[int, ...]
    threads: int
    runs: int                   # timed runs done (after one warm-up)
    truncated: bool             # the time limit stopped the repeats early
    cold: bool                  # the warm-up alone used the time: it is the one measurement
    median_s: float             # whole forward
    macs: int
    layers: tuple[LayerTime, ...]

    @property
    def gmacs_per_s(self) -> float:
        return self.macs / self.median_s / 1e9 if self.median_s else 0.0


def cpu_model(spec: TraceSpec, seed: int = 0) -> nn.Module:
    """The traced architecture on the CPU with random weights (seeded)."""
    if spec.model.source is ModelSource.MODULE:
        raise VizcnnError(f"{spec.model.name} was traced from a live module: profiling builds "
                          f"the model again (a zoo name or a factory), so that the user's "
                          f"module is never run")
    from vizcnn.api import build_spec
    from vizcnn.zoo import build

    torch.manual_seed(seed)
    if spec.model.source is ModelSource.ZOO:
        with torch.device("meta"):
            model = build(spec.model.name, num_classes=spec.model.num_classes or 1000,
                          **dict(spec.model.options))
        model = _random_weights(model.to_empty(device="cpu"))
    else:
        model = build_spec(spec.model)    # imports the user's factory again
    if any(p.is_meta for p in model.parameters()):
        raise VizcnnError(f"{spec.model.name} builds on the meta device: profiling needs "
                          f"real weights")
    return model.eval()


def _random_weights(model: nn.Module) -> nn.Module:
    """Uniform weights in ±1/√fan-in (the scale of torch's default init) and reset BatchNorm
    statistics: about 2× faster to draw than the zoo builders' own init for VGG-16's 138 M
    parameters (2.4-2.8 s against 4.4-5.4 s on this loaded machine), which keeps the
    profile within its time limit. Other buffers (the zoo has none) are zeroed."""
    with torch.no_grad():
        for p in model.parameters():
            fan_in = p[0].numel() if p.dim() > 1 else p.numel()
            p.uniform_(-max(1, fan_in) ** -0.5, max(1, fan_in) ** -0.5)
        for module in model.modules():
            if isinstance(module, nn.modules.batchnorm._NormBase) and module.track_running_stats:
                module.reset_running_stats()
            else:
                for b in module._buffers.values():
                    if b is not None:
                        b.zero_()
    return model


def _dtype(spec: TraceSpec) -> torch.dtype:
    dtype = getattr(torch, spec.dtype, None)
    if not isinstance(dtype, torch.dtype):
        raise VizcnnError(f"cannot profile dtype {spec.dtype!r}")
    return dtype


def profile(trace: Graph, repeats: int = 5, time_limit: float = 5.0,
            threads: int | None = 1, max_macs: int = DEFAULT_MAX_MACS,
            max_params: int = DEFAULT_MAX_PARAMS) -> Profile:
    """Time the traced model on this CPU; see the module docstring for what is measured.

    ``time_limit`` bounds the whole call, building the model and the warm-up included: no
    run starts that would end past it (judged by the last run's length); when the warm-up
    alone reaches it, the warm-up is the one (cold) measurement. Building the model and a
    single forward cannot be interrupted. ``threads`` defaults to 1: on a shared machine, several OpenMP
    threads contend with other work and are 10-30× slower and erratic (measured here: 15 ms
    with 1 thread, 190-510 ms with 2 for shufflenet_v2_x1_0 under load); ``None`` keeps
    torch's setting."""
    if trace.spec is None:
        raise VizcnnError("this trace records no spec: trace a zoo name or a factory")
    if isinstance(repeats, bool) or not isinstance(repeats, int) or repeats < 1:
        raise VizcnnError(f"repeats must be a positive integer, got {repeats!r}")
    if not time_limit > 0:
        raise VizcnnError(f"the time limit must be positive, got {time_limit!r}")
    if trace.macs > max_macs or trace.params > max_params:
        raise VizcnnError(
            f"{trace.model} at {'×'.join(map(str, trace.spec.input_shape))} is too big to "
            f"profile here ({trace.macs / 1e9:.3g} GMACs, {trace.params / 1e6:.3g} M params; "
            f"limits {max_macs / 1e9:.3g} GMACs, {max_params / 1e6:.3g} M params)")
    began = time.perf_counter()
    model = cpu_model(trace.spec)
    x = torch.randn(trace.spec.input_shape, dtype=_dtype(trace.spec))
    if x.dtype != torch.float32:
        model = model.to(x.dtype)
    previous = torch.get_num_threads()
    if threads is not None:
        if threads < 1:
            raise VizcnnError(f"threads must be at least 1, got {threads!r}")
        torch.set_num_threads(threads)
    torch.set_flush_denormal(True)   # random weights drift into denormals, which are slow
    try:
        return _run(trace, model, x, repeats, time_limit - (time.perf_counter() - began))
    finally:
        torch.set_flush_denormal(False)
        torch.set_num_threads(previous)


def _run(trace: Graph, model: nn.Module, x: torch.Tensor, repeats: int,
         time_limit: float) -> Profile:
    leaves = {id(m): name for name, m in model.named_modules() if name and not m._modules}
    calls: dict[str, int] = defaultdict(int)
    starts: dict[int, float] = {}
    times: dict[str, list[float]] = defaultdict(list)

    def pre(module: nn.Module, args: object) -> None:
        starts[id(module)] = time.perf_counter()

    def post(module: nn.Module, args: object, out: object) -> None:
        elapsed = time.perf_counter() - starts.pop(id(module))
        path = leaves[id(module)]
        index = calls[path]
        calls[path] += 1
        times[f"{path}#{index}" if index else path].append(elapsed)

    handles = []
    totals: list[float] = []
    cold = False
    began = time.perf_counter()
    try:
        for module in model.modules():
            if id(module) in leaves:
                handles.append(module.register_forward_pre_hook(pre))
                handles.append(module.register_forward_hook(post))
        with torch.inference_mode():
            model(x)                       # warm-up, not measured unless it used the time
            if time.perf_counter() - began >= time_limit:
                cold = True
                totals.append(time.perf_counter() - began)
            else:
                times.clear()
            while len(totals) < repeats and not cold:
                calls.clear()
                t0 = time.perf_counter()
                model(x)
                totals.append(time.perf_counter() - t0)
                if time.perf_counter() - began + totals[-1] > time_limit:
                    break               # another run of this length would pass the limit
    except RuntimeError as error:
        raise VizcnnError(f"the CPU run of {trace.model} failed: "
                          f"{str(error).splitlines()[0]}") from None
    finally:
        for handle in handles:
            handle.remove()
    nodes = {n.id: n for n in trace.nodes}
    layers = [LayerTime(node_id, nodes[node_id].module_type if node_id in nodes else "",
                        nodes[node_id].kind if node_id in nodes else "",
                        nodes[node_id].macs if node_id in nodes else 0,
                        statistics.median(samples))
              for node_id, samples in times.items() if samples]
    median = statistics.median(totals)
    leaf_macs = sum(layer.macs for layer in layers)
    layers.append(LayerTime(BETWEEN, "", "", trace.macs - leaf_macs,
                            max(0.0, median - sum(layer.median_s for layer in layers))))
    return Profile(trace.model, tuple(x.shape), torch.get_num_threads(), len(totals),
                   len(totals) < repeats, cold, median, trace.macs, tuple(layers))


def profile_rows(result: Profile) -> list[dict[str, object]]:
    """One row per layer: MACs, median ms, share of the forward, GMAC/s."""
    return [{"layer": layer.node_id, "type": layer.module_type, "kind": layer.kind,
             "macs": layer.macs, "median_ms": round(layer.median_s * 1e3, 4),
             "time_share_percent": round(100 * layer.median_s / result.median_s, 2)
             if result.median_s else 0.0,
             "gmacs_per_s": round(layer.macs / layer.median_s / 1e9, 3)
             if layer.median_s else 0.0}
            for layer in result.layers]


def zoo_latency(names: Sequence[str], input_size: tuple[int, ...] = (1, 3, 224, 224),
                repeats: int = 3, time_limit: float = 5.0, threads: int | None = 1
                ) -> list[Profile]:
    """Profile several zoo models at one input (each bounded by ``time_limit``)."""
    from vizcnn.api import trace

    return [profile(trace(name, input_size), repeats, time_limit, threads) for name in names]


def zoo_rows(results: Sequence[Profile]) -> list[dict[str, object]]:
    return [{"model": r.model, "macs": r.macs, "median_ms": round(r.median_s * 1e3, 3),
             "gmacs_per_s": round(r.gmacs_per_s, 2), "runs": r.runs, "cold": r.cold,
             "threads": r.threads}
            for r in results]
