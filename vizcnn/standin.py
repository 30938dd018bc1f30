"""A structural stand-in for the user's model: what a trace runs instead of the model itself.

The stand-in has the model's classes, attributes and hierarchy, but its own module objects,
its own attribute dicts and containers, and its own parameters, buffers and tensor attributes
(meta tensors for a meta trace; for a CPU run the real parameter values, shared read-only, and
copies of buffers and tensor attributes). Whatever a forward does to it (flags, caches in
plain attributes, hooks, parameters swapped) stays on the stand-in, so the user's model, and
a forward of it running in another thread, never see a trace.

TorchScript modules cannot be copied this way or hooked: each becomes an :class:`Opaque`
leaf around a deep copy, traced as one node with its parameters and shapes.
"""

from __future__ import annotations

import copy
import dataclasses
import types
from collections import OrderedDict
from typing import Any, Callable

import torch
from torch import nn

TensorMap = Callable[[torch.Tensor, bool], torch.Tensor]   # (tensor, is_parameter) -> copy

_HOOKS = ("_forward_hooks", "_forward_pre_hooks", "_backward_hooks", "_backward_pre_hooks")
_HOOK_FLAGS = ("_forward_hooks_with_kwargs", "_forward_pre_hooks_with_kwargs",
               "_forward_hooks_always_called")


def _part_of_the_model(hook: Any, module: nn.Module) -> bool:
    """Hooks that compute the model (weight norm, spectral norm, pruning masks, a lazy
    module's shape inference) stay on the stand-in; the user's observers (a hook appending
    to the user's list) do not: they would run on the user's objects."""
    if isinstance(hook, types.MethodType) and hook.__self__ is module:
        return True
    from torch.nn.utils.prune import BasePruningMethod
    from torch.nn.utils.spectral_norm import SpectralNorm
    from torch.nn.utils.weight_norm import WeightNorm

    return isinstance(hook, (WeightNorm, SpectralNorm, BasePruningMethod))


class Opaque(nn.Module):
    """A module vizcnn cannot look inside (TorchScript): runs a private copy of it.

    The copy is kept outside ``_modules`` so no hook is ever put on it; its parameters and
    buffers are reported through :meth:`tensors`. TorchScript modules cannot move to meta, so
    in a meta trace (``on_meta``) the copy runs on CPU zeros of the inputs' shapes, and its
    outputs come back as meta tensors of the shapes it produced.
    """

    def __init__(self, inner: nn.Module, why: str, on_meta: bool) -> None:
        super().__init__()
        self.__dict__["inner"] = inner
        self.why = why
        self.on_meta = on_meta
        self.macs = 0
        self.inner_type = type(inner).__name__
        if hasattr(inner, "original_name"):
            self.inner_type = str(inner.original_name)

    def tensors(self) -> list[tuple[str, torch.Tensor, bool]]:
        inner = self.__dict__["inner"]
        return [(n, p, False) for n, p in inner.named_parameters()] + [
            (n, b, True) for n, b in inner.named_buffers()]

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        """Run the copy; its conv/linear/matmul MACs, which no function mode can see inside
        TorchScript, are read at the dispatcher by PyTorch's own ``FlopCounterMode``."""
        from torch.utils.flop_counter import FlopCounterMode

        inner = self.__dict__["inner"]
        with torch._C.DisableTorchFunction(), FlopCounterMode(display=False) as counter:
            if not self.on_meta:
                out = inner(*args, **kwargs)
            else:
                zeros = _Copier(lambda t, p: torch.zeros(t.shape, dtype=t.dtype))
                out = map_tensors(inner(*zeros.value(args), **zeros.value(kwargs)),
                                  lambda t: meta_tensor(t, False))
        self.macs = counter.get_total_flops() // 2
        return out


def meta_tensor(tensor: torch.Tensor, is_parameter: bool) -> torch.Tensor:
    """An empty meta tensor of the same shape, dtype and strides (no data copied)."""
    if isinstance(tensor, nn.parameter.UninitializedTensorMixin):
        return type(tensor)(requires_grad=tensor.requires_grad, device="meta",
                            dtype=tensor.dtype)
    meta = torch.empty_strided(tensor.shape, tensor.stride(), dtype=tensor.dtype,
                               device=_META)
    if is_parameter:   # what nn.Parameter(meta, requires_grad) does, without its checks
        return torch.Tensor._make_subclass(nn.Parameter, meta, tensor.requires_grad)
    return meta


_META = torch.device("meta")


class MetaTwins:
    """:func:`meta_tensor` for the stand-in a trace runs, cheaper: the tensors of one shape,
    strides and dtype are aliases of one private meta tensor (a meta tensor holds no data; each
    alias is its own Python object with its own sizes and flags, and nothing is shared with the
    user's tensors). For a run under ``no_grad`` that looks at no storage: aliases share a
    version counter, which autograd would check, and a storage, which the training-memory
    pass tells tensors apart by (it uses :func:`meta_tensor`)."""

    def __init__(self) -> None:
        self.bases: dict[tuple, torch.Tensor] = {}

    def __call__(self, tensor: torch.Tensor, is_parameter: bool) -> torch.Tensor:
        if isinstance(tensor, nn.parameter.UninitializedTensorMixin):
            return meta_tensor(tensor, is_parameter)
        key = (tensor.shape, tensor.stride(), tensor.dtype)
        base = self.bases.get(key)
        if base is None:
            base = self.bases[key] = torch.empty_strided(tensor.shape, tensor.stride(),
                                                         dtype=tensor.dtype, device=_META)
        if is_parameter:
            return torch.Tensor._make_subclass(nn.Parameter, base, tensor.requires_grad)
        return base.detach()


def cpu_tensor(tensor: torch.Tensor, is_parameter: bool) -> torch.Tensor:
    """Real values for a CPU run: parameters shared (the run is under ``no_grad`` and only
    reads them), buffers and plain tensors copied (BatchNorm statistics, caches may change);
    meta tensors (a model built on meta) become zeros."""
    if isinstance(tensor, nn.parameter.UninitializedTensorMixin):
        return type(tensor)(requires_grad=tensor.requires_grad, dtype=tensor.dtype)
    if tensor.is_meta:
        value = torch.zeros(tensor.shape, dtype=tensor.dtype)
    elif is_parameter:
        value = tensor.detach()
    else:
        value = tensor.detach().clone()
    if is_parameter:
        return nn.Parameter(value, requires_grad=tensor.requires_grad)
    return value


class _Copier:
    """One stand-in's memo: a module or tensor reached twice (shared, tied) is copied once."""

    def __init__(self, tensor_map: TensorMap) -> None:
        self.tensor_map = tensor_map
        self.memo: dict[int, Any] = {}

    def tensor(self, tensor: torch.Tensor, is_parameter: bool) -> torch.Tensor:
        done = self.memo.get(id(tensor))
        if done is None:
            done = self.memo[id(tensor)] = self.tensor_map(tensor, is_parameter)
        return done

    def module(self, module: nn.Module) -> nn.Module:
        done = self.memo.get(id(module))
        if done is not None:
            return done
        if isinstance(module, torch.jit.ScriptModule):
            return self._opaque(module)
        new = object.__new__(type(module))
        self.memo[id(module)] = new
        state = module.__dict__.copy()   # atoms (numbers, strings, flags) stay as they are
        for key, value in state.items():
            kind = type(value)
            if kind in _ATOMS or (kind is tuple and _ATOMS.issuperset(map(type, value))):
                continue
            if not value and kind in _CONTAINERS:
                state[key] = kind()   # its own empty hook dict, set or list
            elif key == "_parameters" or key == "_buffers":   # loops: cheaper than comprehensions
                is_parameter = key == "_parameters"
                tensors = state[key] = {}
                for name, tensor in value.items():
                    tensors[name] = None if tensor is None else self.tensor(tensor, is_parameter)
            elif key == "_modules":
                modules = state[key] = {}
                for name, child in value.items():
                    modules[name] = None if child is None else self.module(child)
            elif key in _HOOKS:
                kept = type(value)()
                for handle, hook in value.items():
                    if _part_of_the_model(hook, module):
                        kept[handle] = (types.MethodType(hook.__func__, new) if isinstance(
                            hook, types.MethodType) else hook)
                state[key] = kept
            elif key in _HOOK_FLAGS:
                state[key] = copy.copy(value) if value else type(value)()
            elif isinstance(value, types.MethodType) and value.__self__ is module:
                state[key] = types.MethodType(value.__func__, new)   # a patched forward
            else:
                state[key] = self.value(value)
        object.__setattr__(new, "__dict__", state)   # not nn.Module's __setattr__: no checks
        return new

    def _opaque(self, module: nn.Module) -> nn.Module:
        inner = copy.deepcopy(module)
        wrapper = Opaque(inner, "TorchScript module: its ops are not visible, traced as one "
                                "node with its parameters and shapes",
                         on_meta=self.tensor_map is meta_tensor)
        wrapper.train(module.training)
        self.memo[id(module)] = wrapper
        return wrapper

    def value(self, value: Any, depth: int = 0) -> Any:
        """Plain attributes: tensors mapped, modules copied, containers rebuilt; other
        objects (numbers, strings, functions, configs) shared."""
        kind = type(value)
        if kind in _ATOMS:
            return value
        if isinstance(value, torch.Tensor):
            return self.tensor(value, isinstance(value, nn.Parameter))
        if isinstance(value, nn.Module):
            return self.module(value)
        if depth > 8:
            return value
        if kind is tuple:
            items = tuple(self.value(v, depth + 1) for v in value)
            return value if all(a is b for a, b in zip(items, value)) else items
        if isinstance(value, list):
            return [self.value(v, depth + 1) for v in value]
        if isinstance(value, tuple):
            items = [self.value(v, depth + 1) for v in value]
            return type(value)(*items) if hasattr(value, "_fields") else type(value)(items)
        if isinstance(value, dict):
            if not value and kind in (dict, OrderedDict):
                return kind()
            new = copy.copy(value)
            for k, v in value.items():
                new[k] = self.value(v, depth + 1)
            return new
        if isinstance(value, set):
            return set(value)
        if dataclasses.is_dataclass(value) and not isinstance(value, type) and any(
                isinstance(getattr(value, f.name, None), torch.Tensor)
                for f in dataclasses.fields(value)):
            return dataclasses.replace(value, **{
                f.name: self.value(getattr(value, f.name), depth + 1)
                for f in dataclasses.fields(value) if f.init})
        return value


_ATOMS = frozenset({int, float, bool, str, bytes, type(None), torch.dtype, torch.device,
                    types.FunctionType, types.BuiltinFunctionType})
_CONTAINERS = frozenset({dict, OrderedDict, list, set})


def map_tensors(value: Any, fn: Callable[[torch.Tensor], torch.Tensor]) -> Any:
    """``value`` (any structure: tuples, named too, lists, dicts, dataclasses, nested) with
    every tensor replaced by ``fn(tensor)``; a tensor found twice is mapped once."""
    return _Copier(lambda tensor, is_parameter: fn(tensor)).value(value)


def stand_in(model: nn.Module, tensor_map: TensorMap) -> nn.Module:
    """A structural copy of ``model`` whose tensors are ``tensor_map``'s copies."""
    return _Copier(tensor_map).module(model)
