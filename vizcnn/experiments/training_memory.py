"""Will it fit? The memory of one training step: parameters, gradients, optimizer state and
the activations autograd saves for backward.

The saved activations are **measured**, not estimated from output sizes: a meta stand-in of
the traced model is built from the trace's spec (never the user's module), put in train mode
and run forward with grad enabled on the ``meta`` device under
``torch.autograd.graph.saved_tensors_hooks``; every tensor autograd packs is recorded once per
storage (an in-place ReLU and the conv after it save one tensor, not two), parameters and
buffers are left out (they are counted apart), and each is booked to the innermost module
running when it was saved. Nothing is allocated and nothing is computed.

Precision:

* ``fp32``: parameters, gradients, optimizer state and activations in float32.
* ``fp16_mixed`` / ``bf16_mixed`` (autocast-style mixed precision): float32 master
  parameters, gradients and optimizer state; the forward runs in half precision, so
  activations are saved at 2 bytes, and the half-precision weight copies that conv/linear
  save for backward are counted as ``weight_copy_bytes``. (On meta the forward runs the model
  cast to half, which is how autocast runs conv and linear; autocast keeps a few ops such as
  softmax in float32, which this counts at 2 bytes.)

Optimizer state per trainable parameter: SGD 0, SGD with momentum 1 buffer, Adam/AdamW 2
(``exp_avg``, ``exp_avg_sq``) plus one float32 ``step`` per parameter tensor.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from enum import Enum
from functools import lru_cache

import torch
from torch import nn

from vizcnn.errors import VizcnnError
from vizcnn.graph import Graph
from vizcnn.spec import ModelSource, ModelSpec, TraceSpec


class Precision(str, Enum):
    FP32 = "fp32"
    FP16_MIXED = "fp16_mixed"
    BF16_MIXED = "bf16_mixed"

    @property
    def compute_dtype(self) -> torch.dtype:
        return {Precision.FP32: torch.float32, Precision.FP16_MIXED: torch.float16,
                Precision.BF16_MIXED: torch.bfloat16}[self]


class Optimizer(str, Enum):
    SGD = "sgd"
    SGD_MOMENTUM = "sgd_momentum"
    ADAM = "adam"
    ADAMW = "adamw"

    @property
    def states_per_param(self) -> int:
        return {Optimizer.SGD: 0, Optimizer.SGD_MOMENTUM: 1, Optimizer.ADAM: 2,
                Optimizer.ADAMW: 2}[self]


@dataclass(frozen=True)
class SavedByLayer:
    """Bytes autograd saved while one module (innermost) was running."""

    path: str
    module_type: str
    bytes: int
    tensors: int


@dataclass(frozen=True)
class TrainingMemory:
    """One training step's memory for ``batch`` samples (bytes unless said otherwise)."""

    model: str
    input_shape: tuple[int, ...]
    batch: int
    precision: Precision
    optimizer: Optimizer
    params: int                 # parameter count (all), trainable below
    trainable_params: int
    param_bytes: int
    buffer_bytes: int
    grad_bytes: int
    optimizer_bytes: int
    weight_copy_bytes: int      # half-precision weight copies saved for backward (mixed only)
    activation_bytes: int       # activations autograd saved for backward, measured
    layers: tuple[SavedByLayer, ...]

    @property
    def total_bytes(self) -> int:
        return (self.param_bytes + self.buffer_bytes + self.grad_bytes + self.optimizer_bytes
                + self.weight_copy_bytes + self.activation_bytes)

    def parts(self) -> dict[str, int]:
        return {"parameters": self.param_bytes, "buffers": self.buffer_bytes,
                "gradients": self.grad_bytes, "optimizer state": self.optimizer_bytes,
                "half weight copies": self.weight_copy_bytes,
                "saved activations": self.activation_bytes}


def stand_in(spec: TraceSpec) -> nn.Module:
    """A meta model built from the spec (a zoo model, or the user's factory imported again);
    a live module handed to ``trace`` cannot be rebuilt, and is never touched."""
    if spec.model.source is ModelSource.MODULE:
        raise VizcnnError(f"{spec.model.name} was traced from a live module: training memory "
                          f"needs a model vizcnn can build again (a zoo name or a factory "
                          f"path:function), so that the user's module is never run")
    from vizcnn.api import build_spec

    with torch.device("meta"):
        model = build_spec(spec.model)
    return model.to("meta")


@lru_cache(maxsize=8)
def _cached_stand_in(model: ModelSpec, dtype: torch.dtype) -> tuple[nn.Module, threading.Lock]:
    """One meta stand-in per (zoo model spec, dtype), reused: building a model costs about as
    much as a trace. The lock lets one pass at a time hook it (app sessions are threads)."""
    module = stand_in(TraceSpec(model, (), True))
    if dtype != torch.float32:
        module = module.to(dtype)
    return module, threading.Lock()


def _storage(tensor: torch.Tensor) -> int:
    return tensor.untyped_storage()._cdata


def _paths(model: nn.Module) -> dict[int, tuple[str, str]]:
    return {id(m): (name, type(m).__name__) for name, m in model.named_modules()}


def measure_saved(model: nn.Module, input_shape: tuple[int, ...], dtype: torch.dtype
                  ) -> tuple[list[SavedByLayer], int]:
    """Run one forward of a meta ``model`` (train mode, grad on) and record what autograd
    saves: (bytes per innermost module, bytes of parameters saved, e.g. half weight copies)."""
    model.train()
    own = {_storage(t) for t in (*model.parameters(), *model.buffers())}
    names = _paths(model)
    stack: list[int] = []
    seen: set[int] = set()
    per: dict[int, list[int]] = {}
    weight_copies = 0

    def pre(module: nn.Module, args: object) -> None:
        stack.append(id(module))

    def post(module: nn.Module, args: object, out: object) -> None:
        stack.pop()

    def pack(tensor: torch.Tensor) -> torch.Tensor:
        nonlocal weight_copies
        key = _storage(tensor)
        if key not in seen:
            seen.add(key)
            size = tensor.untyped_storage().nbytes()
            if key in own:
                if isinstance(tensor, nn.Parameter) and tensor.dtype != torch.float32:
                    weight_copies += size
            else:
                cell = per.setdefault(stack[-1] if stack else id(model), [0, 0])
                cell[0] += size
                cell[1] += 1
        return tensor

    handles = []
    try:
        for module in model.modules():
            handles.append(module.register_forward_pre_hook(pre))
            handles.append(module.register_forward_hook(post))
        x = torch.empty(input_shape, dtype=dtype, device="meta")
        with torch.enable_grad(), torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
            model(x)
    except RuntimeError as error:
        raise VizcnnError(f"the training-memory pass failed at batch {input_shape[0]}: "
                          f"{str(error).splitlines()[0]}") from None
    finally:
        for handle in handles:
            handle.remove()
    layers = [SavedByLayer(names[k][0] or "(model)", names[k][1], b, n)
              for k, (b, n) in per.items()]
    return layers, weight_copies


def training_memory(trace: Graph, batch: int | None = None, precision: Precision | str =
                    Precision.FP32, optimizer: Optimizer | str = Optimizer.ADAM
                    ) -> TrainingMemory:
    """Training-step memory of the traced model at ``batch`` (default: the traced batch)."""
    if trace.spec is None:
        raise VizcnnError("this trace records no spec: trace a zoo name or a factory")
    precision, optimizer = Precision(precision), Optimizer(optimizer)
    shape = trace.spec.input_shape
    if batch is None:
        batch = shape[0]
    if isinstance(batch, bool) or not isinstance(batch, int) or batch <= 0:
        raise VizcnnError(f"batch must be a positive integer, got {batch!r}")
    shape = (batch, *shape[1:])
    if trace.spec.model.source is ModelSource.ZOO:
        model, lock = _cached_stand_in(trace.spec.model, precision.compute_dtype)
    else:   # a factory's file may change between calls: build it afresh (a module raises)
        model, lock = stand_in(trace.spec).to(precision.compute_dtype), threading.Lock()
    params = list(model.parameters())
    trainable = [p for p in params if p.requires_grad]
    n_params = sum(p.numel() for p in params)
    n_train = sum(p.numel() for p in trainable)
    buffer_bytes = sum(b.numel() * 4 if b.is_floating_point() else b.numel() * b.element_size()
                       for b in model.buffers())   # float32 buffers, as in the fp32 model
    with lock:
        layers, copies = measure_saved(model, shape, precision.compute_dtype)
    states = optimizer.states_per_param * n_train * 4
    if optimizer in (Optimizer.ADAM, Optimizer.ADAMW):
        states += 4 * len(trainable)    # one float32 step per parameter tensor
    return TrainingMemory(
        trace.model, shape, batch, precision, optimizer, n_params, n_train,
        param_bytes=n_params * 4, buffer_bytes=buffer_bytes, grad_bytes=n_train * 4,
        optimizer_bytes=states, weight_copy_bytes=copies,
        activation_bytes=sum(layer.bytes for layer in layers), layers=tuple(layers))


def max_batch(trace: Graph, budget_bytes: int, precision: Precision | str = Precision.FP32,
              optimizer: Optimizer | str = Optimizer.ADAM, limit: int = 1 << 16) -> int:
    """The largest batch whose training step fits in ``budget_bytes`` (0 if none does).

    Saved activations grow linearly with the batch, so two meta passes (batch 1 and 2) give
    the line; the candidate is then measured (and, should it not fit, the largest batch that
    does is searched below it)."""
    if not budget_bytes > 0:
        raise VizcnnError(f"the memory budget must be positive, got {budget_bytes!r}")
    one = training_memory(trace, 1, precision, optimizer)
    if one.total_bytes > budget_bytes:
        return 0
    two = training_memory(trace, 2, precision, optimizer)
    per_sample = two.total_bytes - one.total_bytes
    if per_sample <= 0:
        return limit
    guess = min(limit, 1 + math.floor((budget_bytes - one.total_bytes) / per_sample))

    def fits(batch: int) -> bool:
        return training_memory(trace, batch, precision, optimizer).total_bytes <= budget_bytes

    if fits(guess):
        return guess
    low, high = 1, guess - 1          # batch 1 fits, the guess does not: search between
    while low < high:
        mid = (low + high + 1) // 2
        low, high = (mid, high) if fits(mid) else (low, mid - 1)
    return low


def memory_rows(memory: TrainingMemory) -> list[dict[str, object]]:
    """One row per layer that saved activations (bytes), largest first."""
    return [{"layer": layer.path, "type": layer.module_type, "saved_bytes": layer.bytes,
             "saved_tensors": layer.tensors}
            for layer in sorted(memory.layers, key=lambda s: -s.bytes)]


def summary_rows(memory: TrainingMemory) -> list[dict[str, object]]:
    """One row per part of the training step's memory, with the total."""
    rows = [{"part": name, "bytes": value} for name, value in memory.parts().items()]
    rows.append({"part": "total", "bytes": memory.total_bytes})
    return rows


__all__ = ["Optimizer", "Precision", "SavedByLayer", "TrainingMemory", "max_batch",
           "measure_saved", "memory_rows", "stand_in", "summary_rows", "training_memory"]
