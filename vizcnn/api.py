"""The Python API: ``vizcnn.trace(model, input_size)`` and friends.

A trace runs the model once on the ``meta`` device (no weights copied, no activations
allocated, no arithmetic), falling back to one real CPU run only when the model needs real
values. The user's model is left exactly as it was.
"""

from __future__ import annotations

import threading
import weakref
from collections import defaultdict
from typing import Any, Sequence

import torch
from torch import nn

from vizcnn.capture import MetaUnsupported, Tracer
from vizcnn.errors import ShapeError, VizcnnError
from vizcnn.graph import Graph, Node
from vizcnn.spec import ModelSource, ModelSpec, TraceSpec
from vizcnn.zoo import build, model_card

InputSize = Sequence[int] | Sequence[Sequence[int]]


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


def _check_size(size: Sequence[int]) -> tuple[int, ...]:
    if not isinstance(size, (tuple, list, torch.Size)) or not size:
        raise ShapeError(f"an input size is a sequence of positive integers, got {size!r}")
    for s in size:
        if isinstance(s, bool) or not isinstance(s, int) or s <= 0:
            raise ShapeError(
                f"input size {tuple(size)} is not valid: every dimension must be a positive "
                f"integer, got {s!r}"
            )
    return tuple(size)


def _input_sizes(input_size: InputSize) -> list[tuple[int, ...]]:
    if isinstance(input_size, (tuple, list)) and input_size and all(
            isinstance(s, (tuple, list, torch.Size)) for s in input_size):
        return [_check_size(s) for s in input_size]
    return [_check_size(input_size)]  # type: ignore[arg-type]


def _to_meta(value: Any) -> Any:
    if isinstance(value, torch.Tensor):
        return torch.empty_like(value, device="meta")
    if isinstance(value, (list, tuple)):
        return type(value)(_to_meta(v) for v in value)
    if isinstance(value, dict):
        return {k: _to_meta(v) for k, v in value.items()}
    return value


def _to_cpu_values(value: Any, generator: torch.Generator) -> Any:
    if isinstance(value, torch.Tensor):
        if value.is_floating_point():
            return torch.randn(value.shape, dtype=value.dtype, generator=generator)
        return torch.zeros(value.shape, dtype=value.dtype)
    if isinstance(value, (list, tuple)):
        return type(value)(_to_cpu_values(v, generator) for v in value)
    if isinstance(value, dict):
        return {k: _to_cpu_values(v, generator) for k, v in value.items()}
    return value


def _on_meta(tracer: Tracer) -> bool:
    return all(t.device.type == "meta" for _, t, _ in tracer.tensors)


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
            training = bool(training)  # a zoo model is traced for inference unless asked
        model = build_spec(model_spec)
    elif isinstance(model, nn.Module):
        model_spec = ModelSpec(ModelSource.MODULE, type(model).__name__)
    else:
        raise VizcnnError(f"trace takes an nn.Module, a zoo name or a ModelSpec, "
                          f"got {type(model).__name__}")
    name = model_spec.name if model_spec.source is ModelSource.ZOO else type(model).__name__
    if inputs is None and input_size is None:
        raise VizcnnError("give an input_size such as (1, 3, 224, 224) or inputs")
    if inputs is None:
        args: tuple = tuple(torch.empty(s, dtype=dtype, device="meta")
                            for s in _input_sizes(input_size))  # type: ignore[arg-type]
    else:
        args = tuple(_to_meta(v) for v in inputs)
    kw = {k: _to_meta(v) for k, v in (kwargs or {}).items()}

    with _lock_for(model):
        result = _trace_locked(model, name, args, kw, training, shape_rules, key_blocks)
    result.spec = TraceSpec(model_spec, result.input_shapes, result.training,
                            str(dtype).replace("torch.", ""))
    return result


_LOCKS: "weakref.WeakKeyDictionary[nn.Module, threading.Lock]" = weakref.WeakKeyDictionary()
_LOCKS_GUARD = threading.Lock()


def _lock_for(model: nn.Module) -> threading.Lock:
    """Traces of one model object take turns: ``functional_call`` briefly swaps its
    parameters and the train flag may be set, which another thread must not see."""
    with _LOCKS_GUARD:
        lock = _LOCKS.get(model)
        if lock is None:
            lock = _LOCKS[model] = threading.Lock()
        return lock


def _trace_locked(model: nn.Module, name: str, args: tuple, kw: dict, training: bool | None,
                  shape_rules: bool, key_blocks: tuple) -> Trace:
    was_training = model.training
    if training is not None:
        model.train(training)
    traced_training = model.training
    try:
        try:
            tracer = Tracer(model, use_rules=shape_rules)
            stand_ins = None if _on_meta(tracer) else {
                tensor_name: torch.empty_like(t, device="meta")
                for tensor_name, t, _ in tracer.tensors}
            tracer.run(args, kw, stand_ins)
            device, reason = "meta", None
        except MetaUnsupported as limit:
            tracer, reason = _trace_on_cpu(model, args, kw), str(limit).splitlines()[0]
            device = "cpu"
    finally:
        if training is not None:
            model.train(was_training)
    return _finish(tracer, name, args, kw, device, reason, key_blocks, traced_training)


def _trace_on_cpu(model: nn.Module, args: tuple, kwargs: dict) -> Tracer:
    """One real CPU run for models that need values: real weights when the model has them,
    copies of the buffers so running statistics are not disturbed."""
    generator = torch.Generator().manual_seed(0)
    tracer = Tracer(model, use_rules=False)
    meta = _on_meta(tracer)
    stand_ins: dict[str, torch.Tensor] = {}
    for name, tensor, is_buffer in tracer.tensors:
        if meta:
            stand_ins[name] = torch.zeros(tensor.shape, dtype=tensor.dtype)
        else:
            stand_ins[name] = tensor.clone() if is_buffer else tensor
    try:
        tracer.run(_to_cpu_values(args, generator), _to_cpu_values(kwargs, generator), stand_ins)
    except MetaUnsupported as error:
        raise VizcnnError(f"{type(model).__name__} could not be traced: {error}") from None
    return tracer


def _finish(tracer: Tracer, name: str, args: tuple, kwargs: dict, device: str,
            reason: str | None, key_blocks: tuple, training: bool) -> Trace:
    _receptive_fields(tracer)
    unique: dict[int, tuple[str, torch.Tensor, bool]] = {}
    for entry in tracer.tensors:
        unique.setdefault(id(entry[1]), entry)
    params = [t for _, t, is_buffer in unique.values() if not is_buffer]
    subtree_params: dict[str, int] = defaultdict(int)
    for full_name, tensor, is_buffer in unique.values():
        if is_buffer:
            continue
        parts = full_name.split(".")[:-1]
        subtree_params[""] += tensor.numel()
        for i in range(1, len(parts) + 1):
            subtree_params[".".join(parts[:i])] += tensor.numel()
    for path, info in tracer.modules.items():
        info.params = subtree_params.get(path, 0)
    nodes = tracer.nodes
    return Trace(
        model=name,
        input_shapes=tuple(tuple(t.shape) for t in (*args, *kwargs.values())
                           if isinstance(t, torch.Tensor)),
        nodes=nodes,
        edges=tracer.edges,
        modules=tracer.modules,
        params=sum(p.numel() for p in params),
        trainable_params=sum(p.numel() for p in params if p.requires_grad),
        buffers=sum(t.numel() for _, t, is_buffer in unique.values() if is_buffer),
        macs=sum(n.macs for n in nodes),
        flops=sum(n.flops for n in nodes),
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
    by_id = {n.id: n for n in tracer.nodes}
    for node in tracer.nodes:
        out_rank = len(node.output_shapes[0]) if node.output_shapes else 0
        if node.op == "input":
            if out_rank >= 3:
                node.receptive_field, node.effective_stride = 1, 1
            continue
        spatial = [by_id[s] for s in sources[node.id] if by_id[s].receptive_field is not None]
        if not spatial or out_rank < 3:
            continue
        rf = max(s.receptive_field for s in spatial)  # type: ignore[type-var]
        jump = max(s.effective_stride for s in spatial)  # type: ignore[type-var]
        for kernel, stride, dilation in tracer._windows.get(node.id, ()):
            rf += (kernel - 1) * dilation * jump
            jump *= stride
        node.receptive_field, node.effective_stride = rf, jump


__all__ = ["Trace", "build_spec", "trace", "zoo_spec"]
