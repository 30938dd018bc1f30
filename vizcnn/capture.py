"""Capture: run a model once and record every leaf-module call and functional op.

Module hooks (on the traced model only, removed in ``finally``) give the hierarchy; a
``TorchFunctionMode`` (per thread) sees every torch call in between. Ops with a shape rule are
not dispatched at all: their outputs are fresh empty meta tensors of the right shape, which is
what makes a trace fast. Trace state lives on the :class:`Tracer`, never on tensors or torch
globals, so concurrent traces in different threads do not interfere.
"""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

import torch
from torch import nn
from torch.overrides import TorchFunctionMode

from vizcnn.costs import COSTS
from vizcnn.errors import ShapeError, VizcnnError
from vizcnn.graph import Edge, ModuleInfo, Node, OpKind, Shape
from vizcnn.ops import OPS, OpSpec, bind
from vizcnn.shapes import SHAPE_RULES, NoRule, fmt


class MetaUnsupported(Exception):
    """The model needs real values (``.item()``, ``nonzero``…); retry on the CPU."""


_KIND_OF_OP = {
    "conv_transpose": OpKind.CONV_TRANSPOSE, "linear": OpKind.LINEAR,
    "matmul": OpKind.MATMUL, "addmm": OpKind.MATMUL, "einsum": OpKind.MATMUL,
    "batch_norm": OpKind.NORM, "layer_norm": OpKind.NORM, "group_norm": OpKind.NORM,
    "instance_norm": OpKind.NORM, "local_response_norm": OpKind.NORM,
    "max_pool": OpKind.POOL, "avg_pool": OpKind.POOL, "adaptive_avg_pool": OpKind.POOL,
    "adaptive_max_pool": OpKind.POOL, "mean": OpKind.POOL,
    "add": OpKind.ADD, "sub": OpKind.ADD, "mul": OpKind.MUL, "div": OpKind.MUL,
    "cat": OpKind.CONCAT, "stack": OpKind.CONCAT,
    "chunk": OpKind.SPLIT, "split": OpKind.SPLIT, "getitem": OpKind.SPLIT,
    "view": OpKind.RESHAPE, "flatten": OpKind.RESHAPE, "permute": OpKind.RESHAPE,
    "transpose": OpKind.RESHAPE, "squeeze": OpKind.RESHAPE, "unsqueeze": OpKind.RESHAPE,
    "dropout": OpKind.DROPOUT, "input": OpKind.IO, "output": OpKind.IO,
}
_ACTIVATIONS = {"relu", "relu6", "hardtanh", "leaky_relu", "elu", "gelu", "silu", "mish",
                "hardswish", "hardsigmoid", "sigmoid", "tanh", "softplus", "softmax"}


def op_kind(op: str, attrs: dict[str, Any]) -> OpKind:
    """Classify an op by what it computes (for conv: by kernel size and groups)."""
    if op == "conv":
        groups, cin = attrs.get("groups", 1), attrs.get("in_channels", 0)
        if groups > 1 and groups == cin:
            return OpKind.DEPTHWISE
        if groups > 1:
            return OpKind.GROUPED
        kernel = attrs.get("kernel_size", ())
        return OpKind.POINTWISE if all(k == 1 for k in kernel) else OpKind.CONV
    if op in _ACTIVATIONS:
        return OpKind.ACTIVATION
    return _KIND_OF_OP.get(op, OpKind.OTHER)


def _spatial(value: Any, n: int) -> tuple[int, ...]:
    if isinstance(value, int):
        return (value,) * n
    value = tuple(value) if value is not None else ()
    return value * n if len(value) == 1 else value


def op_attrs(op: str, call: dict[str, Any]) -> dict[str, Any]:
    """The hyper-parameters a person wants to see for one call (kernel, stride, …)."""
    if op in ("conv", "conv_transpose"):
        w = call["weight"]
        n = len(w) - 2
        groups = call.get("groups", 1)
        cin, cout = (w[1] * groups, w[0]) if op == "conv" else (w[0], w[1] * groups)
        padding = call.get("padding", 0)
        return {
            "in_channels": cin, "out_channels": cout, "kernel_size": tuple(w[2:]),
            "stride": _spatial(call.get("stride", 1), n),
            "padding": padding if isinstance(padding, str) else _spatial(padding, n),
            "dilation": _spatial(call.get("dilation", 1), n), "groups": groups,
            "bias": isinstance(call.get("bias"), tuple),
        }
    if op == "linear":
        w = call["weight"]
        return {"in_features": w[-1], "out_features": w[0] if len(w) == 2 else 1,
                "bias": isinstance(call.get("bias"), tuple)}
    if op in ("max_pool", "avg_pool"):
        kernel = call["kernel_size"]
        n = call["spatial_dims"]
        stride = call.get("stride") or kernel
        attrs = {"kernel_size": _spatial(kernel, n), "stride": _spatial(stride, n),
                 "padding": _spatial(call.get("padding", 0), n),
                 "ceil_mode": bool(call.get("ceil_mode", False))}
        if op == "max_pool":
            attrs["dilation"] = _spatial(call.get("dilation", 1), n)
        return attrs
    if op in ("adaptive_avg_pool", "adaptive_max_pool"):
        size = call["output_size"]
        return {"output_size": size if isinstance(size, int) or size is None else tuple(size)}
    if op in ("cat", "stack", "chunk", "split", "softmax"):
        return {k: call[k] for k in ("dim", "chunks") if k in call and isinstance(call[k], int)}
    return {}


_ATTR_OPS = {"conv", "conv_transpose", "linear", "max_pool", "avg_pool", "adaptive_avg_pool",
             "adaptive_max_pool", "cat", "stack", "chunk", "split", "softmax"}


def _window(op: str, attrs: dict[str, Any], in_shape: Shape, out_shape: Shape
            ) -> tuple[int, int, int] | None:
    """(kernel, stride, dilation) along the height axis, for the receptive field."""
    if "kernel_size" in attrs and op != "conv_transpose":
        return attrs["kernel_size"][0], attrs["stride"][0], attrs.get("dilation", (1,))[0]
    if op in ("adaptive_avg_pool", "adaptive_max_pool") and len(in_shape) >= 3:
        size_in, size_out = in_shape[-2 if len(in_shape) > 3 else -1], out_shape[-2 if len(
            out_shape) > 3 else -1]
        return -(-size_in // size_out), max(1, size_in // size_out), 1
    return None


def _tensors(value: Any) -> list[torch.Tensor]:
    """Tensors in an argument structure (tensors, lists/tuples/dicts of them)."""
    if isinstance(value, torch.Tensor):
        return [value]
    found: list[torch.Tensor] = []
    _collect(value, found)
    return found


def _collect(value: Any, found: list[torch.Tensor]) -> None:
    items = value.values() if isinstance(value, dict) else value
    for item in items:
        if isinstance(item, torch.Tensor):
            found.append(item)
        elif isinstance(item, (list, tuple, dict)) and item:
            _collect(item, found)


_DTYPE_NAMES: dict[torch.dtype, str] = {}


def _dtype_name(dtype: torch.dtype) -> str:
    name = _DTYPE_NAMES.get(dtype)
    if name is None:
        name = _DTYPE_NAMES[dtype] = str(dtype).replace("torch.", "")
    return name


def _is_meta_limit(error: BaseException) -> bool:
    return isinstance(error, NotImplementedError) or "meta" in str(error).lower()


class Tracer(TorchFunctionMode):
    """Records one forward pass of ``model``. Use once: ``tracer.run(args, kwargs)``."""

    def __init__(self, model: nn.Module, use_rules: bool = True) -> None:
        super().__init__()
        self.model = model
        self.use_rules = use_rules
        self.nodes: list[Node] = []
        self.edges: list[Edge] = []
        self.modules: dict[str, ModuleInfo] = {}
        self.uncounted: Counter[str] = Counter()
        self._thread = threading.get_ident()
        self._producer: dict[int, str] = {}   # id(tensor) -> node id
        self._keep: list[torch.Tensor] = []   # keeps traced tensors alive so ids stay unique
        self._windows: dict[str, list[tuple[int, int, int]]] = {}
        self._calls: Counter[str] = Counter()
        self._stack: list[str] = []           # enclosing non-leaf module paths
        self._leaf: Node | None = None
        self._leaf_ops: list[str] = []
        self._leaf_depth = 0
        self._counted: set[int] = set()
        self._tensor_uid: dict[int, tuple[int, int, bool, bool]] = {}
        self._paths: dict[int, str] = {}
        self._direct: dict[int, list[tuple[int, int, bool, bool]]] = {}
        self._leaves: set[int] = set()
        self._module_list: list[nn.Module] = []
        # (full name, tensor, is_buffer) of every parameter and buffer, tied ones under each name
        self.tensors: list[tuple[str, torch.Tensor, bool]] = []
        for path, module in model.named_modules(remove_duplicate=False):
            prefix = f"{path}." if path else ""
            self.tensors += [(prefix + n, p, False) for n, p in module._parameters.items()
                             if p is not None]
            self.tensors += [(prefix + n, b, True) for n, b in module._buffers.items()
                             if b is not None]
            self._paths.setdefault(id(module), path)
            if id(module) in self._direct:
                continue
            self._module_list.append(module)
            if path and not module._modules:  # the root is never a leaf: show its ops
                self._leaves.add(id(module))
            own = [(id(p), p.numel(), p.requires_grad, False)
                   for p in module._parameters.values() if p is not None]
            own += [(id(b), b.numel(), False, True)
                    for b in module._buffers.values() if b is not None]
            self._direct[id(module)] = own

    # --- running ----------------------------------------------------------------------------
    def run(self, args: tuple, kwargs: dict, stand_ins: dict[str, torch.Tensor] | None = None
            ) -> Any:
        """Run the model with hooks and this mode active; returns the model's output."""
        for name, tensor, is_buffer in self.tensors:
            used = stand_ins[name] if stand_ins else tensor
            self._tensor_uid[id(used)] = (id(tensor), tensor.numel(), tensor.requires_grad,
                                          is_buffer)
        self._add_inputs(args, kwargs)
        handles = []
        try:
            for module in self._module_list:
                handles.append(module.register_forward_pre_hook(self._pre_hook, with_kwargs=True))
                handles.append(module.register_forward_hook(self._post_hook, with_kwargs=True))
            with torch.no_grad(), self:
                if stand_ins:
                    out = torch.func.functional_call(self.model, stand_ins, args, kwargs,
                                                     tie_weights=True, strict=False)
                else:
                    out = self.model(*args, **kwargs)
        except (MetaUnsupported, VizcnnError):
            raise
        except Exception as error:
            if _is_meta_limit(error):
                raise MetaUnsupported(str(error)) from error
            raise self._error(None, error) from error
        finally:
            for handle in handles:
                handle.remove()
        self._add_output(out)
        return out

    def _add_inputs(self, args: tuple, kwargs: dict) -> None:
        named = [(str(i), a) for i, a in enumerate(args)] + list(kwargs.items())
        tensors = [(k, t) for k, a in named for t in _tensors(a)]
        for key, tensor in tensors:
            node_id = "input" if len(tensors) == 1 else f"input.{key}"
            if node_id in self._calls:
                node_id = f"{node_id}#{self._calls[node_id]}"
            self._calls[node_id] += 1
            node = Node(node_id, node_id, "", "", "input", OpKind.IO.value, (),
                        output_shapes=(tuple(tensor.shape),),
                        activation_bytes=tensor.numel() * tensor.element_size())
            self.nodes.append(node)
            self._set_producer(tensor, node_id)

    def _add_output(self, out: Any) -> None:
        outs = list(_tensors(out))
        node = Node("output", "output", "", "", "output", OpKind.IO.value, (),
                    input_shapes=tuple(tuple(t.shape) for t in outs))
        self._connect(node, outs)
        self.nodes.append(node)

    # --- module hooks -----------------------------------------------------------------------
    def _pre_hook(self, module: nn.Module, args: tuple, kwargs: dict) -> None:
        if threading.get_ident() != self._thread:
            return
        with torch._C.DisableTorchFunction():  # our own shape reads are not the model's ops
            self._enter_module(module, args, kwargs)

    def _enter_module(self, module: nn.Module, args: tuple, kwargs: dict) -> None:
        if self._leaf is not None:   # a module called from inside a leaf belongs to the leaf
            self._leaf_depth += 1
            return
        path = self._paths.get(id(module), "?")
        inputs = _tensors(args)
        if kwargs:
            _collect(kwargs, inputs)
        info = self.modules.get(path)
        if info is None:
            info = self.modules[path] = ModuleInfo(
                path, type(module).__name__, path.count(".") + 1 if path else 0,
                input_shapes=tuple(tuple(t.shape) for t in inputs))
        info.calls += 1
        if id(module) not in self._leaves:
            if path:
                self._stack.append(path)
            return
        self._enter_leaf(module, path, inputs)

    def _post_hook(self, module: nn.Module, args: tuple, kwargs: dict, output: Any) -> None:
        if threading.get_ident() != self._thread:
            return
        with torch._C.DisableTorchFunction():
            self._exit_module(module, output)

    def _exit_module(self, module: nn.Module, output: Any) -> None:
        if self._leaf_depth:
            self._leaf_depth -= 1
            return
        path = self._paths.get(id(module), "?")
        outs = list(_tensors(output))
        info = self.modules[path]
        if not info.output_shapes:
            info.output_shapes = tuple(tuple(t.shape) for t in outs)
        if self._leaf is None:
            if path and self._stack and self._stack[-1] == path:
                self._stack.pop()
            return
        self._exit_leaf(outs)

    def _enter_leaf(self, module: nn.Module, path: str, inputs: list[torch.Tensor]) -> None:
        base = path or type(module).__name__.lower()
        index = self._calls[base]
        self._calls[base] += 1
        node = Node(
            id=f"{base}#{index}" if index else base,
            label=path.rsplit(".", 1)[-1] if path else base,
            path=path, module_type=type(module).__name__, op="identity",
            kind=OpKind.OTHER.value, scope=tuple(self._stack), call_index=index,
            input_shapes=tuple(tuple(t.shape) for t in inputs),
        )
        self._claim(node, self._direct.get(id(module), ()))
        self._connect(node, inputs)
        self.nodes.append(node)
        self._leaf = node
        self._leaf_ops = []

    def _exit_leaf(self, outs: list[torch.Tensor]) -> None:
        node = self._leaf
        assert node is not None
        node.output_shapes = tuple(tuple(t.shape) for t in outs)
        node.activation_bytes = sum(t.numel() * t.element_size() for t in outs)
        ops = self._leaf_ops
        if ops:
            if node.op == "identity":
                node.op = ops[0]
            node.kind = self._leaf_kind(node, ops).value
        for tensor in outs:
            self._set_producer(tensor, node.id)
        self._leaf = None

    @staticmethod
    def _leaf_kind(node: Node, ops: list[str]) -> OpKind:
        """Kind of a leaf from what it computed; a view→transpose→view leaf is a shuffle."""
        movement = {"view", "transpose", "permute", "identity", "flatten"}
        if set(ops) <= movement and ops.count("view") >= 2 and (
                "transpose" in ops or "permute" in ops):
            return OpKind.SHUFFLE
        return op_kind(node.op, node.attrs)

    # --- edges and producers ------------------------------------------------------------------
    def _set_producer(self, tensor: torch.Tensor, node_id: str) -> None:
        self._producer[id(tensor)] = node_id
        self._keep.append(tensor)

    def _connect(self, node: Node, inputs: list[torch.Tensor]) -> None:
        seen: set[int] = set()
        for tensor in inputs:
            src = self._producer.get(id(tensor))
            if src is None or id(tensor) in seen:
                continue
            seen.add(id(tensor))
            self.edges.append(Edge(src, node.id, tuple(tensor.shape), _dtype_name(tensor.dtype)))

    # --- the function mode ------------------------------------------------------------------
    def __torch_function__(self, func: Any, types: Any, args: tuple = (),
                           kwargs: dict | None = None) -> Any:
        kwargs = kwargs or {}
        spec = OPS.get(func)
        if spec is None:
            return self._unknown_op(func, args, kwargs)
        if spec.transparent:
            out = func(*args, **kwargs)
            src = self._producer.get(id(args[0])) if args else None
            if src is not None and isinstance(out, torch.Tensor):
                self._set_producer(out, src)
            return out
        tensors = _tensors(args)
        if kwargs:
            _collect(kwargs, tensors)
        producer = self._producer
        tracked = [t for t in tensors if id(t) in producer]
        if not tracked:
            return func(*args, **kwargs)
        call = bind(spec, args, kwargs)
        out = self._compute(func, spec, args, kwargs, call, tensors)
        outs = _tensors(out)
        out_shapes = tuple(tuple(t.shape) for t in outs)
        formula = COSTS.get(spec.name)
        cost = formula(call, out_shapes) if formula else None
        if cost is None:
            self.uncounted[spec.name] += 1
        attrs = op_attrs(spec.name, call) if spec.name in _ATTR_OPS else {}
        window = _window(spec.name, attrs, call["input"], out_shapes[0]) if (
            attrs and out_shapes and isinstance(call.get("input"), tuple)) else None
        if self._leaf is not None:
            self._add_to_leaf(spec.name, attrs, cost, window, outs)
        else:
            self._add_op_node(spec.name, attrs, cost, window, tracked, outs, tensors)
        return out

    def _compute(self, func: Any, spec: OpSpec, args: tuple, kwargs: dict,
                 call: dict[str, Any], tensors: list[torch.Tensor]) -> Any:
        rule = SHAPE_RULES.get(spec.name) if self.use_rules else None
        try:
            if rule is not None:
                try:
                    shapes = rule(call)
                except NoRule:
                    return func(*args, **kwargs)
                if spec.inplace or call.get("inplace") is True:
                    if isinstance(shapes, tuple) and shapes != call["input"]:
                        raise ShapeError(f"in-place result {fmt(shapes)} cannot be written into "
                                         f"{fmt(call['input'])}")
                    return args[0]
                dtype = tensors[0].dtype
                if shapes and isinstance(shapes[0], tuple):
                    return tuple(torch.empty(s, dtype=dtype, device="meta") for s in shapes)
                return torch.empty(shapes, dtype=dtype, device="meta")
            return func(*args, **kwargs)
        except ShapeError as error:
            if error.path is None:
                raise self._error(spec.name, error, call) from None
            raise
        except (MetaUnsupported, VizcnnError):
            raise
        except Exception as error:
            if _is_meta_limit(error):
                raise MetaUnsupported(str(error)) from error
            raise self._error(spec.name, error, call) from error

    def _unknown_op(self, func: Any, args: tuple, kwargs: dict) -> Any:
        try:
            out = func(*args, **kwargs)
        except Exception as error:
            if _is_meta_limit(error):
                raise MetaUnsupported(str(error)) from error
            raise
        if not isinstance(out, (torch.Tensor, tuple, list)):
            return out
        outs = list(_tensors(out))
        if not outs:
            return out
        tensors = list(_tensors((args, kwargs)))
        tracked = [t for t in tensors if id(t) in self._producer]
        if not tracked:
            return out
        name = getattr(func, "__name__", str(func)).strip("_")
        self.uncounted[name] += 1
        if self._leaf is not None:
            self._add_to_leaf(name, {}, None, None, outs)
        else:
            self._add_op_node(name, {}, None, None, tracked, outs, tensors)
        return out

    def _add_to_leaf(self, op: str, attrs: dict[str, Any], cost: Any,
                     window: tuple[int, int, int] | None, outs: list[torch.Tensor]) -> None:
        node = self._leaf
        assert node is not None
        self._leaf_ops.append(op)
        if attrs and not node.attrs:
            node.attrs = attrs
            node.op = op
        if cost is None:
            node.uncounted = (*node.uncounted, op)
        else:
            node.macs += cost.macs
            node.flops += cost.flops
        if window is not None:
            self._windows.setdefault(node.id, []).append(window)
        for tensor in outs:
            self._set_producer(tensor, node.id)

    def _add_op_node(self, op: str, attrs: dict[str, Any], cost: Any,
                     window: tuple[int, int, int] | None, tracked: list[torch.Tensor],
                     outs: list[torch.Tensor], tensors: list[torch.Tensor]) -> None:
        scope = tuple(self._stack)
        path = scope[-1] if scope else ""
        base = f"{path}/{op}"
        index = self._calls[base]
        self._calls[base] += 1
        node = Node(
            id=f"{base}#{index}" if index else base, label=op, path=path, module_type="",
            op=op, kind=op_kind(op, attrs).value, scope=scope, call_index=index,
            input_shapes=tuple(tuple(t.shape) for t in tracked),
            output_shapes=tuple(tuple(t.shape) for t in outs), attrs=attrs,
            macs=cost.macs if cost else 0, flops=cost.flops if cost else 0,
            activation_bytes=sum(t.numel() * t.element_size() for t in outs),
            uncounted=() if cost else (op,),
        )
        self._count_used_params(node, tensors)
        self._connect(node, tracked)
        self.nodes.append(node)
        if window is not None:
            self._windows[node.id] = [window]
        for tensor in outs:
            self._set_producer(tensor, node.id)

    def _count_used_params(self, node: Node, tensors: list[torch.Tensor]) -> None:
        """Parameters a functional op uses directly (``x + self.pos_embed``)."""
        uid = self._tensor_uid
        self._claim(node, [uid[id(t)] for t in tensors if id(t) in uid])

    def _claim(self, node: Node, tensors: Any) -> None:
        """Count parameters and buffers on ``node`` unless an earlier node already did."""
        for uid, numel, trainable, is_buffer in tensors:
            if uid in self._counted:
                node.shared_params = True
                continue
            self._counted.add(uid)
            if is_buffer:
                node.buffers += numel
            else:
                node.params += numel
                node.trainable_params += numel if trainable else 0

    # --- errors ---------------------------------------------------------------------------
    def _where(self) -> tuple[str, str]:
        if self._leaf is not None:
            return self._leaf.path or self._leaf.id, self._leaf.module_type
        if self._stack:
            path = self._stack[-1]
            return path, self.modules[path].type
        return "(model)", type(self.model).__name__

    def _error(self, op: str | None, error: BaseException, call: dict[str, Any] | None = None
               ) -> VizcnnError:
        path, module_type = self._where()
        shapes = tuple(v for k, v in (call or {}).items()
                       if k == "input" and isinstance(v, tuple))
        if not shapes and self._leaf is not None:
            shapes = self._leaf.input_shapes
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(
            error).__name__
        what = f"{path} ({module_type}{', ' + op if op else ''})"
        got = f" gets a {fmt(shapes[0])} input" if shapes else ""
        return ShapeError(f"{what}{got}: {reason}", path=path, op=op, input_shapes=shapes,
                          reason=reason)
