"""The Python API: ``vizcnn.trace(model, input_size)`` and friends.

A trace runs a structural stand-in of the model once on the ``meta`` device (no weights
copied, no activations allocated, no arithmetic), falling back to one real CPU run of another
stand-in, with the caller's input values, only when the model needs real values. The user's
model is never run, changed or locked: a forward of it in another thread is unaffected.
"""

from __future__ import annotations

import gc
import math
import operator
from collections import defaultdict
from contextlib import contextmanager
from functools import lru_cache
from typing import Any, Iterator, Sequence

import torch
from torch import nn

from vizcnn.capture import MetaUnsupported, Tracer, tensors_in
from vizcnn.errors import ShapeError, VizcnnError
from vizcnn.graph import Graph, Node
from vizcnn.spec import ModelSource, ModelSpec, TraceSpec
from vizcnn.standin import MetaTwins, cpu_tensor, map_tensors, stand_in
from vizcnn.zoo import build, model_card

InputSize = Sequence[int] | Sequence[Sequence[int]]

# What is imported by now (torch alone is about a million objects) lives as long as the process.
# Freezing it spares every later garbage collection from scanning it: otherwise the first trace
# in a fresh process pays a full collection of torch's import-time heap (≈0.2 s, four times the
# trace itself). Objects are still freed by reference counting as usual.
gc.freeze()


class Trace(Graph):
    """A traced model: the graph plus conveniences for scripts and notebooks."""

    def node(self, node_id: str) -> Node:
        for node in self.nodes:
            if node.id == node_id:
                return node
        raise KeyError(node_id)

    def table(self, depth: int | None = None):  # -> pandas.DataFrame
        """One row per layer (or per module at ``depth``); see :mod:`vizcnn.views.table`."""
        from vizcnn.views.table import layer_table

        return layer_table(self, depth)

    def _repr_html_(self) -> str:
        """Jupyter shows a trace as the interactive graph viewer (the static SVG where
        scripts are blocked); see :func:`vizcnn.render.interactive.notebook_html`."""
        from vizcnn.render.interactive import notebook_html

        return notebook_html(self)


_MAX_BYTES = 2 ** 63 - 1   # what a tensor's storage size can hold


def _check_size(size: Sequence[int], dtype: torch.dtype = torch.float32) -> tuple[int, ...]:
    """A shape of positive integers (any integer type: numpy ints, 0-d integer tensors)."""
    if isinstance(size, torch.Tensor) and size.dim() == 1:
        size = size.tolist()
    if not isinstance(size, (tuple, list, torch.Size)) or not size:
        raise ShapeError(f"an input size is a sequence of positive integers, got {size!r}")
    dims = []
    for s in size:
        try:
            if isinstance(s, bool) or (isinstance(s, torch.Tensor) and (
                    s.dim() or s.is_floating_point() or s.dtype == torch.bool)):
                raise TypeError
            value = operator.index(s)
        except TypeError:
            value = 0
        if value <= 0:
            raise ShapeError(
                f"input size {tuple(size)} is not valid: every dimension must be a positive "
                f"integer, got {s!r}"
            )
        dims.append(value)
    nbytes = math.prod(dims) * torch.empty((), dtype=dtype, device="meta").element_size()
    if nbytes > _MAX_BYTES:
        raise ShapeError(f"input size {tuple(dims)} is too large: {math.prod(dims):,} elements "
                         f"of {str(dtype).replace('torch.', '')} overflow a tensor's storage")
    return tuple(dims)


def _input_sizes(input_size: InputSize, dtype: torch.dtype) -> list[tuple[int, ...]]:
    if isinstance(input_size, (tuple, list)) and input_size and all(
            isinstance(s, (tuple, list, torch.Size)) for s in input_size):
        return [_check_size(s, dtype) for s in input_size]
    return [_check_size(input_size, dtype)]  # type: ignore[arg-type]


def _to_meta(value: Any) -> Any:
    return map_tensors(value, lambda t: torch.empty_strided(
        t.shape, t.stride(), dtype=t.dtype, device="meta"))


def _to_cpu_values(value: Any, generator: torch.Generator) -> Any:
    """The caller's own values (copied: the model may write into its inputs); random normal
    floats and zeros only where there are none (an input given by its size, a meta tensor)."""
    def real(t: torch.Tensor) -> torch.Tensor:
        if not t.is_meta:
            return t.detach().clone()
        if t.is_floating_point():
            return torch.randn(t.shape, dtype=t.dtype, generator=generator)
        return torch.zeros(t.shape, dtype=t.dtype)

    return map_tensors(value, real)


def zoo_spec(name: str, num_classes: int = 1000, **options: Any) -> ModelSpec:
    """The spec of a zoo model: every builder option, the defaults filled in, so
    ``shufflenet_v1`` and ``shufflenet_v1, groups=3`` are one model. Unknown options raise."""
    card = model_card(name)
    allowed = {opt.name: opt.default for opt in card.options}
    unknown = set(options) - set(allowed)
    if unknown:
        raise VizcnnError(f"{name} has no option {', '.join(sorted(unknown))}; "
                          f"its options are: {', '.join(sorted(allowed)) or 'none'}")
    _check_classes(num_classes)
    return ModelSpec(ModelSource.ZOO, name, tuple(sorted({**allowed, **options}.items())),
                     num_classes)


def _check_classes(num_classes: Any) -> None:
    if isinstance(num_classes, bool) or not isinstance(num_classes, int) or num_classes <= 0:
        raise VizcnnError(f"num_classes must be a positive integer, got {num_classes!r}")


def build_spec(spec: ModelSpec) -> nn.Module:
    """Build the model a spec names: a zoo model on meta, a user factory by importing it
    (that runs the user's code: front ends offer it only when the operator opted in)."""
    if spec.source is ModelSource.ZOO:
        with torch.device("meta"):
            return build(spec.name, num_classes=spec.num_classes or 1000, **dict(spec.options))
    if spec.source is ModelSource.FACTORY:
        from vizcnn.loader import load_factory

        return load_factory(spec.name)
    raise VizcnnError(f"{spec.name} was traced from a live module: it cannot be built again "
                      f"from its spec; trace the module itself")


@lru_cache(maxsize=32)
def shared_zoo_build(spec: ModelSpec, training: bool = False) -> nn.Module:
    """One meta build per zoo spec and mode, kept: building costs more than a trace itself
    (ResNet-50 ≈12 ms against a 1.2 ms stand-in), and setting every module's flag on each
    trace's stand-in (``Module.train``, ≈0.2 ms) would too. Every thread shares it, so it is
    never run or changed: whatever runs a zoo model runs a stand-in of it
    (``standin.stand_in``), like any user's."""
    return build_spec(spec).train(training)


def trace(
    model: nn.Module | str | ModelSpec,
    input_size: InputSize | None = None,
    *,
    inputs: Sequence[Any] | None = None,
    kwargs: dict[str, Any] | None = None,
    training: bool | None = None,
    dtype: torch.dtype = torch.float32,
    shape_rules: bool = True,
    num_classes: int = 1000,
    **options: Any,
) -> Trace:
    """Trace ``model`` once and return its graph with shapes, parameters and costs.

    Args:
        model: an ``nn.Module`` (on any device, or built under ``torch.device("meta")``), a
            zoo name such as ``"resnet50"`` (built on meta with ``num_classes`` and ``options``)
            or a :class:`~vizcnn.spec.ModelSpec` (what ``Trace.spec.model`` records).
        input_size: one shape such as ``(1, 3, 224, 224)``, or a list of shapes for several
            positional inputs. Alternatively pass ``inputs`` (tensors or other values).
        kwargs: keyword inputs of the forward call.
        training: run in train (``True``) or eval (``False``) mode; ``None`` keeps the
            model's own flag (zoo names default to eval). The flag is restored afterwards.
        shape_rules: infer common ops' shapes without dispatching them (fast). ``False`` runs
            every op for real on meta; tests use it to prove the rules right.
    """
    if isinstance(model, str):
        model = zoo_spec(model, num_classes, **options)
    elif options:
        raise VizcnnError(f"options {sorted(options)} only apply to zoo names")
    key_blocks: tuple[tuple[str, str], ...] = ()
    if isinstance(model, ModelSpec):
        model_spec = model
        if model_spec.source is ModelSource.ZOO:
            key_blocks = model_card(model_spec.name).key_blocks
            # traced for inference unless asked; the kept build already has the mode's flags
            model = shared_zoo_build(model_spec, bool(training))
            training = None
        else:
            model = build_spec(model_spec)
    elif isinstance(model, nn.Module):
        model_spec = ModelSpec(ModelSource.MODULE, type(model).__name__)
    else:
        raise VizcnnError(f"trace takes an nn.Module, a zoo name or a ModelSpec, "
                          f"got {type(model).__name__}")
    name = model_spec.name if model_spec.source is ModelSource.ZOO else type(model).__name__
    if inputs is None and input_size is None:
        raise VizcnnError("give an input_size such as (1, 3, 224, 224) or inputs")
    if inputs is None:   # sizes only: a CPU run, if one is needed, draws values
        values: tuple = tuple(torch.empty(s, dtype=dtype, device="meta")
                              for s in _input_sizes(input_size, dtype))  # type: ignore[arg-type]
    else:
        values = tuple(inputs)
    owned = model_spec.source is ModelSource.FACTORY   # built here: nobody else holds it
    with _cyclic_gc_paused():
        result = _trace_stand_in(model, name, values, dict(kwargs or {}), training,
                                 shape_rules, key_blocks, owned)
    result.spec = TraceSpec(model_spec, result.input_shapes, result.training,
                            str(dtype).replace("torch.", ""))
    return result


@contextmanager
def _cyclic_gc_paused() -> Iterator[None]:
    """A trace makes thousands of short-lived containers, freed by reference counting; the
    cyclic collector's passes they would set off during it (≈4 % of a ResNet-50 trace) find
    next to nothing, so they wait until it is done. Restored as found: a caller who disabled
    the collector keeps it disabled."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _trace_stand_in(model: nn.Module, name: str, values: tuple, kwargs: dict,
                  training: bool | None, shape_rules: bool, key_blocks: tuple, owned: bool
                  ) -> Trace:
    """Trace a meta stand-in of ``model``; on a meta limit, a CPU stand-in with real values.
    (No lock: nothing here touches ``model``, so traces and forwards of it run side by side.)"""
    args, kw = _to_meta(values), _to_meta(kwargs)
    on_meta = owned and all(t.is_meta for t in _own_tensors(model))
    model_m = model if on_meta else stand_in(model, MetaTwins())
    if training is not None:
        model_m.train(training)
    traced_training = model_m.training
    try:
        tracer = Tracer(model_m, use_rules=shape_rules, meta=True)
        tracer.run(args, kw)
        device, reason = "meta", None
    except MetaUnsupported as limit:
        tracer = _trace_on_cpu(model, values, kwargs, training)
        device, reason = "cpu", str(limit).splitlines()[0]
    return _finish(tracer, name, args, kw, device, reason, key_blocks, traced_training)


def _own_tensors(model: nn.Module) -> list[torch.Tensor]:
    return [*model.parameters(), *model.buffers()]


def _trace_on_cpu(model: nn.Module, values: tuple, kwargs: dict, training: bool | None
                  ) -> Tracer:
    """One real CPU run, of a stand-in holding the model's real parameter values (zeros for
    a meta model) and copies of its buffers, on the caller's input values."""
    generator = torch.Generator().manual_seed(0)
    model_c = stand_in(model, cpu_tensor)
    if training is not None:
        model_c.train(training)
    tracer = Tracer(model_c, use_rules=False, meta=False)
    try:
        tracer.run(_to_cpu_values(values, generator), _to_cpu_values(kwargs, generator))
    except MetaUnsupported as error:
        raise VizcnnError(f"{type(model).__name__} could not be traced: {error}") from None
    return tracer


def _finish(tracer: Tracer, name: str, args: tuple, kwargs: dict, device: str,
            reason: str | None, key_blocks: tuple, training: bool) -> Trace:
    _receptive_fields(tracer)
    params = trainable = buffers = 0
    own: dict[str, int] = defaultdict(int)   # parameters by the path of their module
    for full_name, tensor, is_buffer in tracer.unique.values():
        numel = tensor.numel()
        if is_buffer:
            buffers += numel
            continue
        params += numel
        trainable += numel if tensor.requires_grad else 0
        own[full_name.rpartition(".")[0]] += numel
    subtree_params: dict[str, int] = defaultdict(int)
    for path, numel in own.items():
        subtree_params[""] += numel
        while path:
            subtree_params[path] += numel
            path = path.rpartition(".")[0]
    for path, info in tracer.modules.items():
        info.params = subtree_params.get(path, 0)
    nodes = tracer.nodes
    return Trace(
        model=name,
        input_shapes=tuple(tuple(t.shape) for t in tensors_in((args, kwargs))),
        nodes=nodes,
        edges=tracer.edges,
        modules=tracer.modules,
        params=params,
        trainable_params=trainable,
        buffers=buffers,
        macs=sum([n.macs for n in nodes]),
        flops=sum([n.flops for n in nodes]),
        uncounted=dict(tracer.uncounted),
        training=training,
        device=device,
        fallback_reason=reason,
        key_blocks=key_blocks,
    )


def _receptive_fields(tracer: Tracer) -> None:
    """Receptive field and effective stride (in input pixels, along the height axis) of every
    node on a spatial path: r_out = r_in + (k−1)·d·j_in, j_out = j_in·s."""
    sources: dict[str, list[str]] = defaultdict(list)
    for edge in tracer.edges:
        sources[edge.dst].append(edge.src)
    spatial: dict[str, tuple[int, int]] = {}   # node id -> (receptive field, stride)
    windows = tracer._windows
    for node in tracer.nodes:
        shapes = node.output_shapes
        if not shapes or len(shapes[0]) < 3:
            continue
        if node.op == "input":
            node.receptive_field, node.effective_stride = 1, 1
            spatial[node.id] = (1, 1)
            continue
        rf = jump = 0   # the largest over the node's spatial inputs (a loop: most have one)
        for source in sources[node.id]:
            if source in spatial:
                r, j = spatial[source]
                rf, jump = max(rf, r), max(jump, j)
        if not rf:
            continue
        for kernel, stride, dilation in windows.get(node.id, ()):
            rf += (kernel - 1) * dilation * jump
            jump *= stride
        node.receptive_field, node.effective_stride = rf, jump
        spatial[node.id] = (rf, jump)


__all__ = ["Trace", "build_spec", "trace", "zoo_spec"]
