"""Will it fit? The memory of one training step: parameters, gradients, optimizer state and
the activations autograd saves for backward.

The saved activations are **measured**, not estimated from output sizes: a meta stand-in of
the traced model is built from the trace's spec (never the user's module), put in train mode
and run forward with grad enabled on the ``meta`` device under
``torch.autograd.graph.saved_tensors_hooks``; every tensor autograd packs is recorded once per
storage (an in-place ReLU and the conv after it save one tensor, not two), parameters and
buffers are left out (they are counted apart), and each is booked to the innermost module
running when it was saved. Nothing is allocated and nothing is computed: the meta ops whose
PyTorch kernels are slow Python decompositions are answered from shape rules
(``meta_kernels.ShapeKernels``), below autograd, so autograd saves the same tensors.

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
from contextlib import nullcontext
from dataclasses import dataclass
from enum import Enum
from functools import lru_cache

import torch
from torch import nn

from vizcnn import standin
from vizcnn.errors import VizcnnError
from vizcnn.experiments.meta_kernels import ShapeKernels
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
    from vizcnn.api import build_spec, shared_zoo_build

    if spec.model.source is ModelSource.ZOO:   # a private copy of the build the trace kept
        return standin.stand_in(shared_zoo_build(spec.model, True), standin.meta_tensor)
    with torch.device("meta"), ShapeKernels():     # weight init on meta fills nothing
        model = build_spec(spec.model)
    if all(t.is_meta for t in (*model.parameters(), *model.buffers())):
        return model
    return model.to("meta")


def _storage(tensor: torch.Tensor) -> int:
    return tensor.untyped_storage()._cdata


class SavedMeter:
    """Measures what autograd saves during a train-mode forward of a meta ``model``, booked to
    the innermost module running. The module hooks, names and parameter counts are set up
    once, so a cached stand-in is measured again without walking and hooking it each time;
    ``close`` removes the hooks."""

    def __init__(self, model: nn.Module) -> None:
        model.train()
        self.model = model
        self.names = {id(m): (name or "(model)", type(m).__name__)
                      for name, m in model.named_modules()}
        params = list(model.parameters())
        trainable = [p for p in params if p.requires_grad]
        self.params = sum(p.numel() for p in params)
        self.trainable_params = sum(p.numel() for p in trainable)
        self.trainable_tensors = len(trainable)
        self.buffer_bytes = sum(b.numel() * 4 if b.is_floating_point()   # float32, as in the
                                else b.numel() * b.element_size()        # fp32 model
                                for b in model.buffers())
        self._own = {_storage(t) for t in (*params, *model.buffers())}
        self._stack: list[int] = []
        self._handles = []
        for module in model.modules():
            self._handles.append(module.register_forward_pre_hook(self._enter))
            self._handles.append(module.register_forward_hook(self._leave))

    def _enter(self, module: nn.Module, args: object) -> None:
        self._stack.append(id(module))

    def _leave(self, module: nn.Module, args: object, out: object) -> None:
        self._stack.pop()

    def close(self) -> None:
        for handle in self._handles:
            handle.remove()
        self._handles.clear()

    def measure(self, input_shape: tuple[int, ...], dtype: torch.dtype,
                shape_kernels: bool = True) -> tuple[list[SavedByLayer], int]:
        """One forward (grad on) under saved-tensor hooks: (bytes per innermost module, bytes
        of parameters saved, e.g. half weight copies). ``shape_kernels`` answers the slow meta
        ops from shape rules (``meta_kernels``): the same saved tensors, measured the same
        way; off, every op runs PyTorch's own meta kernel."""
        stack, own, root = self._stack, self._own, id(self.model)
        stack.clear()                       # a failed pass may have left modules on it
        seen: set[int] = set()
        per: dict[int, list[int]] = {}
        weight_copies = 0

        def pack(tensor: torch.Tensor) -> torch.Tensor:
            nonlocal weight_copies
            storage = tensor.untyped_storage()
            key = storage._cdata
            if key not in seen:
                seen.add(key)
                if key in own:
                    if isinstance(tensor, nn.Parameter) and tensor.dtype != torch.float32:
                        weight_copies += storage.nbytes()
                else:
                    cell = per.setdefault(stack[-1] if stack else root, [0, 0])
                    cell[0] += storage.nbytes()
                    cell[1] += 1
            return tensor

        try:
            x = torch.empty(input_shape, dtype=dtype, device="meta")
            with torch.enable_grad(), torch.autograd.graph.saved_tensors_hooks(
                    pack, lambda t: t), ShapeKernels() if shape_kernels else nullcontext():
                self.model(x)
        except RuntimeError as error:
            raise VizcnnError(f"the training-memory pass failed at batch {input_shape[0]}: "
                              f"{str(error).splitlines()[0]}") from None
        layers = [SavedByLayer(*self.names[k], b, n) for k, (b, n) in per.items()]
        return layers, weight_copies


@lru_cache(maxsize=8)
def _cached_stand_in(model: ModelSpec, dtype: torch.dtype) -> tuple[SavedMeter, threading.Lock]:
    """One hooked meta stand-in per (zoo model spec, dtype), reused: building a model costs
    about as much as a trace. The lock lets one pass at a time run it (app sessions are
    threads)."""
    module = stand_in(TraceSpec(model, (), True))
    if dtype != torch.float32:
        module = module.to(dtype)
    return SavedMeter(module), threading.Lock()


def training_memory(trace: Graph, batch: int | None = None, precision: Precision | str =
                    Precision.FP32, optimizer: Optimizer | str = Optimizer.ADAM,
                    shape_kernels: bool = True) -> TrainingMemory:
    """Training-step memory of the traced model at ``batch`` (default: the traced batch).
    ``shape_kernels=False`` runs every meta op through PyTorch's own kernel (same figures,
    several times slower; the tests compare the two)."""
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
        meter, lock = _cached_stand_in(trace.spec.model, precision.compute_dtype)
    else:   # a factory's file may change between calls: build it afresh (a module raises)
        meter = SavedMeter(stand_in(trace.spec).to(precision.compute_dtype))
        lock = threading.Lock()
    with lock:
        layers, copies = meter.measure(shape, precision.compute_dtype, shape_kernels)
    n_params, n_train = meter.params, meter.trainable_params
    states = optimizer.states_per_param * n_train * 4
    if optimizer in (Optimizer.ADAM, Optimizer.ADAMW):
        states += 4 * meter.trainable_tensors    # one float32 step per parameter tensor
    return TrainingMemory(
        trace.model, shape, batch, precision, optimizer, n_params, n_train,
        param_bytes=n_params * 4, buffer_bytes=meter.buffer_bytes, grad_bytes=n_train * 4,
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


__all__ = ["Optimizer", "Precision", "SavedByLayer", "SavedMeter", "TrainingMemory", "max_batch",
           "memory_rows", "stand_in", "summary_rows", "training_memory"]
