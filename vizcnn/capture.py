"""Capture: run a model once and record every leaf-module call and functional op.

The tracer runs a structural stand-in of the model (:mod:`vizcnn.standin`), never the model
itself. Every module of the stand-in reports its calls through a wrapper on its ``forward``
(the stand-in is private, so nothing is ever left on the user's modules); a
``TorchFunctionMode`` (per thread) sees every torch call in between. Ops with a shape rule
are not dispatched at all: their outputs are fresh empty meta tensors of the right shape and
dtype, which is what makes a trace fast. Every op that makes a tensor is recorded, counted
or listed as uncounted. Trace state lives on the :class:`Tracer`, never on tensors or torch
globals, so concurrent traces in different threads do not interfere.
"""

from __future__ import annotations

import dataclasses
import math
from collections import Counter
from typing import Any, NamedTuple

import torch
from torch import nn
from torch.overrides import TorchFunctionMode

from vizcnn import op_facts
from vizcnn.costs import Cost
from vizcnn.errors import ShapeError, VizcnnError
from vizcnn.graph import Edge, ModuleInfo, Node, OpKind
from vizcnn.op_facts import OpFacts
from vizcnn.ops import FACTORIES, OP_DEFS, OPS, RUN, UNCOUNTED, OpSpec, bind
from vizcnn.shapes import NoRule, fmt
from vizcnn.standin import Opaque
from vizcnn.stock_layers import STOCK_CALLS


class _Done(NamedTuple):
    """One declared call made: its output, its tensors, and what it computed."""

    out: Any
    outs: list[torch.Tensor]        # the output's tensors
    tensors: list[torch.Tensor]     # the arguments' tensors
    tracked: list[torch.Tensor]     # those of them some node produced
    call: dict[str, Any] | None     # the bound call, if it was needed
    cost: Cost | None
    attrs: dict[str, Any]
    window: tuple[int, int, int] | None
    kind: str | None                # the OpKind value, where the facts were memoized


_NOT_OURS = ("", None, False)   # a tensor that is no parameter or buffer of the model
_NEW = tuple.__new__   # makes a _Done without NamedTuple's __new__, a Python function


class MetaUnsupported(Exception):
    """The model needs real values (``.item()``, ``nonzero``…); retry on the CPU."""


def op_kind(op: str, attrs: dict[str, Any]) -> OpKind:
    """The kind of a registered op (for conv: by kernel size and groups); OTHER if unknown."""
    known = OP_DEFS.get(op)
    return known.kind_of(attrs) if known is not None else OpKind.OTHER


def tensors_in(value: Any, depth: int = 0) -> list[torch.Tensor]:
    """Tensors anywhere in a module's arguments or output: tensors, lists, tuples (named too),
    dicts, dataclasses, nested; everything else (None, numbers, strings) holds none."""
    kind = type(value)
    if kind is torch.Tensor or kind is nn.Parameter:
        return [value]
    if kind is tuple and len(value) == 1 and type(value[0]) is torch.Tensor:
        return [value[0]]   # a module's arguments: one tensor (the common call)
    if isinstance(value, torch.Tensor):
        return [value]
    if depth > 12 or value is None or isinstance(value, (str, bytes, int, float, bool)):
        return []
    if isinstance(value, (list, tuple)):
        items: Any = value
    elif isinstance(value, dict):
        items = value.values()
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        items = [getattr(value, f.name, None) for f in dataclasses.fields(value)]
    else:
        return []
    found: list[torch.Tensor] = []
    for item in items:
        if isinstance(item, torch.Tensor):
            found.append(item)
        elif item is not None and not isinstance(item, (int, float, bool, str)):
            found += tensors_in(item, depth + 1)
    return found


_DTYPE_NAMES: dict[torch.dtype, str] = {}


def _dtype_name(dtype: torch.dtype) -> str:
    name = _DTYPE_NAMES.get(dtype)
    if name is None:
        name = _DTYPE_NAMES[dtype] = str(dtype).replace("torch.", "")
    return name


def _is_meta_limit(error: BaseException) -> bool:
    return isinstance(error, NotImplementedError) or "meta" in str(error).lower()


def _func_name(func: Any) -> str:
    """A readable name for a torch callable, also for attribute reads (``x.T``)."""
    owner = getattr(func, "__self__", None)
    if type(func).__name__ == "method-wrapper" and hasattr(owner, "__name__"):
        return str(owner.__name__)
    return getattr(func, "__name__", str(func)).strip("_")


_OTHER = OpKind.OTHER.value
_MOVEMENT = frozenset({"view", "transpose", "permute", "identity", "flatten"})
_TRANSPOSING_ATTRS = {"T": "transpose", "mT": "transpose", "H": "transpose", "mH": "transpose"}


def every_module(model: nn.Module) -> list[tuple[str, nn.Module]]:
    """``model.named_modules(remove_duplicate=False)`` in the same order (a shared module
    under each of its names), without one nested generator per level of depth."""
    found: list[tuple[str, nn.Module]] = []
    todo = [("", model)]
    while todo:
        path, module = todo.pop()
        found.append((path, module))
        children = module._modules
        if children:
            prefix = f"{path}." if path else ""
            for name, child in reversed(children.items()):
                if child is not None:
                    todo.append((prefix + name, child))
    return found


class Tracer(TorchFunctionMode):
    """Records one forward pass of ``model`` (a stand-in the tracer may change freely: it wraps
    each module's ``forward``). Use once: ``tracer.run(args, kwargs)``. ``meta``: the run is on
    the meta device, so tensors made without a device argument are made on meta too."""

    def __init__(self, model: nn.Module, use_rules: bool = True, meta: bool = True) -> None:
        super().__init__()
        self.model = model
        self.use_rules = use_rules
        self.meta = meta
        self.nodes: list[Node] = []
        self.edges: list[Edge] = []
        self.modules: dict[str, ModuleInfo] = {}
        self.uncounted: Counter[str] = Counter()
        self._producer: dict[int, str] = {}   # id(tensor) -> node id
        self._keep: list[torch.Tensor] = []   # keeps traced tensors alive so ids stay unique
        self._windows: dict[str, list[tuple[int, int, int]]] = {}
        self._calls: Counter[str] = Counter()
        self._scope: tuple[str, ...] = ()     # enclosing non-leaf module paths
        self._leaf: Node | None = None
        self._leaf_ops: list[str] = []
        self._leaf_main = False               # the leaf's op was taken from its own input
        self._leaf_depth = 0
        self._counted: set[int] = set()
        # each parameter and buffer once, by id, under its first name (sizes are read when
        # first used: a lazy module's parameters get theirs in its first call)
        self.unique: dict[int, tuple[str, torch.Tensor, bool]] = {}
        self._paths: dict[int, str] = {}
        self._direct: dict[int, list[tuple[torch.Tensor, bool]]] = {}
        self._leaves: set[int] = set()
        self._module_list: list[nn.Module] = []
        for path, module in every_module(model):
            own: list[tuple[torch.Tensor, bool]] = []
            params, buffers = module._parameters, module._buffers
            opaque = isinstance(module, Opaque)
            if params or buffers or opaque:   # loops, not comprehensions: most lists are short
                prefix = f"{path}." if path else ""
                named = [(params.items(), False), (buffers.items(), True)]
                if opaque:
                    named += [([(n, t)], is_buffer) for n, t, is_buffer in module.tensors()]
                for items, is_buffer in named:
                    for name, tensor in items:
                        if tensor is not None:
                            own.append((tensor, is_buffer))
                            if id(tensor) not in self.unique:
                                self.unique[id(tensor)] = (prefix + name, tensor, is_buffer)
            self._paths.setdefault(id(module), path)
            if id(module) in self._direct:
                continue
            self._module_list.append(module)
            # the root is never a leaf (show its ops), unless nothing inside it can be seen
            if (path and not module._modules) or opaque:
                self._leaves.add(id(module))
            self._direct[id(module)] = own

    # --- running ----------------------------------------------------------------------------
    def run(self, args: tuple, kwargs: dict) -> Any:
        """Run the model with this mode active; returns the model's output."""
        self._add_inputs(args, kwargs)
        patched = [(module, module.__dict__.get("forward")) for module in self._module_list]
        for module in self._module_list:
            self._wrap(module)
        try:
            with torch.no_grad(), self:
                out = self.model(*args, **kwargs)
        except (MetaUnsupported, VizcnnError):
            raise
        except Exception as error:
            if _is_meta_limit(error):
                raise MetaUnsupported(str(error)) from error
            raise self._error(None, error) from error
        finally:
            # unwrap: a wrapper and its module refer to each other, and such cycles would keep
            # the whole stand-in alive until a garbage collection (≈⅓ of a trace's time)
            for module, forward in patched:
                if forward is None:
                    del module.__dict__["forward"]
                else:
                    module.__dict__["forward"] = forward
        self._add_output(out)
        return out

    def _wrap(self, module: nn.Module) -> None:
        """Report every call of ``module`` (a stand-in's, never the user's). A stock layer's
        one op is recorded without running its ``forward`` (:mod:`vizcnn.stock_layers`)."""
        forward = module.forward
        enter, leave, stock_leaf = self._enter_module, self._exit_module, self._stock_leaf
        path = self._paths[id(module)]
        stock = STOCK_CALLS.get(type(module)) if (
            self.use_rules and id(module) in self._leaves
            and "forward" not in module.__dict__) else None

        def traced_forward(*args: Any, **kwargs: Any) -> Any:
            with torch._C.DisableTorchFunction():  # our own shape reads are not the model's
                if stock is not None and len(args) == 1 and not kwargs and (
                        type(args[0]) is torch.Tensor and self._leaf is None):
                    call = stock(module, args[0])
                    if call is not None:
                        return stock_leaf(module, path, call)
                enter(module, path, args, kwargs)
            out = forward(*args, **kwargs)
            with torch._C.DisableTorchFunction():
                leave(module, path, out)
            return out

        module.__dict__["forward"] = traced_forward

    def _add_inputs(self, args: tuple, kwargs: dict) -> None:
        named = [(str(i), a) for i, a in enumerate(args)] + list(kwargs.items())
        tensors = [(k, t) for k, a in named for t in tensors_in(a)]
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
        outs = tensors_in(out)
        node = Node("output", "output", "", "", "output", OpKind.IO.value, (),
                    input_shapes=tuple(tuple(t.shape) for t in outs))
        self._connect(node, outs)
        self.nodes.append(node)

    # --- module calls -----------------------------------------------------------------------
    def _enter_module(self, module: nn.Module, path: str, args: tuple, kwargs: dict) -> None:
        if self._leaf is not None:   # a module called from inside a leaf belongs to the leaf
            self._leaf_depth += 1
            return
        inputs = tensors_in(args)
        if kwargs:
            inputs += tensors_in(kwargs)
        shapes = tuple([tuple(t.shape) for t in inputs])
        self._module_called(module, path, shapes)
        if id(module) not in self._leaves:
            if path:
                self._scope = (*self._scope, path)
            return
        self._enter_leaf(module, path, inputs, shapes)

    def _module_called(self, module: nn.Module, path: str, shapes: tuple[tuple[int, ...], ...]
                       ) -> ModuleInfo:
        info = self.modules.get(path)
        if info is None:
            info = self.modules[path] = ModuleInfo(
                path, type(module).__name__, path.count(".") + 1 if path else 0,
                input_shapes=shapes)
        info.calls += 1
        return info

    def _stock_leaf(self, module: nn.Module, path: str, call: tuple[Any, tuple, dict]) -> Any:
        """A stock layer's call on one tensor: what entering it, its one op and leaving it
        record, in one step (``_enter_module``, ``_op``, ``_exit_module`` for any module)."""
        func, args, kwargs = call
        x = args[0]
        shapes = (tuple(x.shape),)
        info = self._module_called(module, path, shapes)
        self._enter_leaf(module, path, [x], shapes)
        spec = OPS[func]
        done = self._call(func, spec, args, kwargs)
        node = self._leaf
        assert node is not None
        op = spec.op.name
        cost = self._bookkeeping(done.cost, done.tracked, done.tensors)
        if cost is None:
            self.uncounted[op] += 1
            node.uncounted = (*node.uncounted, op)
        else:
            node.macs, node.flops = cost.macs, cost.flops
        node.op, node.attrs = op, done.attrs
        node.kind = done.kind or spec.op.kind_of(done.attrs).value
        if done.window is not None and done.tracked:
            self._windows[node.id] = [done.window]
        out_shapes = tuple([tuple(t.shape) for t in done.outs])
        if not info.output_shapes:
            info.output_shapes = out_shapes
        self._exit_leaf(done.outs, out_shapes)   # no op list: it keeps the node's op and kind
        return done.out

    def _exit_module(self, module: nn.Module, path: str, output: Any) -> None:
        if self._leaf_depth:
            self._leaf_depth -= 1
            return
        outs = tensors_in(output)
        shapes = tuple([tuple(t.shape) for t in outs])
        info = self.modules[path]
        if not info.output_shapes:
            info.output_shapes = shapes
        if self._leaf is None:
            if path and self._scope and self._scope[-1] == path:
                self._scope = self._scope[:-1]
            return
        if isinstance(module, Opaque):   # MACs counted by PyTorch inside the copy
            self._leaf.macs += module.macs
            self._leaf.flops += 2 * module.macs
        self._exit_leaf(outs, shapes)

    def _enter_leaf(self, module: nn.Module, path: str, inputs: list[torch.Tensor],
                    shapes: tuple[tuple[int, ...], ...]) -> None:
        opaque = isinstance(module, Opaque)
        module_type = module.inner_type if opaque else type(module).__name__
        base = path or module_type.lower()
        index = self._calls[base]
        self._calls[base] = index + 1
        node = Node(
            id=f"{base}#{index}" if index else base,
            label=path.rpartition(".")[2] if path else base,
            path=path, module_type=module_type,
            op="torchscript" if opaque else "identity",
            kind=_OTHER, scope=self._scope, call_index=index, input_shapes=shapes,
        )
        if opaque:
            node.attrs = {"note": module.why + "; MACs of its conv, linear and matmul ops "
                                               "are PyTorch's FlopCounterMode's, elementwise "
                                               "work is not counted"}
            node.uncounted = ("torchscript",)
            self.uncounted["torchscript"] += 1
        self._claim(node, self._direct.get(id(module), ()))
        self._connect(node, inputs, shapes)
        self.nodes.append(node)
        self._leaf = node
        self._leaf_ops = []
        self._leaf_main = False

    def _exit_leaf(self, outs: list[torch.Tensor], shapes: tuple[tuple[int, ...], ...]
                   ) -> None:
        node = self._leaf
        assert node is not None
        node.output_shapes = shapes
        node.activation_bytes = sum([t.numel() * t.element_size() for t in outs])
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
        if len(ops) > 2 and _MOVEMENT.issuperset(ops) and ops.count("view") >= 2 and (
                "transpose" in ops or "permute" in ops):
            return OpKind.SHUFFLE
        return op_kind(node.op, node.attrs)

    # --- edges and producers ------------------------------------------------------------------
    def _set_producer(self, tensor: torch.Tensor, node_id: str) -> None:
        self._producer[id(tensor)] = node_id
        self._keep.append(tensor)

    def _connect(self, node: Node, inputs: list[torch.Tensor],
                 shapes: tuple[tuple[int, ...], ...] | None = None) -> None:
        """An edge from the producer of each distinct input (``shapes``: theirs, if known)."""
        producer = self._producer
        if len(inputs) == 1:   # the common case: one input, nothing to deduplicate
            src = producer.get(id(inputs[0]))
            if src is not None:
                dtype = inputs[0].dtype
                self.edges.append(Edge(src, node.id, shapes[0] if shapes else
                                       tuple(inputs[0].shape),
                                       _DTYPE_NAMES.get(dtype) or _dtype_name(dtype)))
            return
        seen: set[int] = set()
        for tensor in inputs:
            src = producer.get(id(tensor))
            if src is None or id(tensor) in seen:
                continue
            seen.add(id(tensor))
            self.edges.append(Edge(src, node.id, tuple(tensor.shape), _dtype_name(tensor.dtype)))

    # --- the function mode ------------------------------------------------------------------
    def __torch_function__(self, func: Any, types: Any, args: tuple = (),
                           kwargs: dict | None = None) -> Any:
        return self._op(func, args, kwargs or {})

    def _op(self, func: Any, args: tuple, kwargs: dict) -> Any:
        """Record one torch call and return its result (for a ruled op: fresh meta tensors)."""
        spec = OPS.get(func)
        if spec is None:
            return self._unknown_op(func, args, kwargs)
        op = spec.op
        if op.transparent:
            out = func(*args, **kwargs)
            src = self._producer.get(id(args[0])) if args else None
            if src is not None and isinstance(out, torch.Tensor):
                self._set_producer(out, src)
            return out
        if self.meta and func in FACTORIES and "device" not in kwargs:
            kwargs = {**kwargs, "device": "meta"}
        done = self._call(func, spec, args, kwargs)
        if not done.outs:
            return done.out
        if op.parts and self._leaf is None:
            self._add_parts(spec, done.attrs, done.call or bind(spec, args, kwargs), args,
                            kwargs, done.tracked, done.outs)
        else:
            self._record(op.name, done.attrs, done.cost, done.window, done.tracked, done.outs,
                         done.tensors)
        return done.out

    def _call(self, func: Any, spec: OpSpec, args: tuple, kwargs: dict) -> _Done:
        """Make one declared call (a ruled one: fresh meta tensors) and read its facts."""
        op = spec.op
        call: dict[str, Any] | None = None
        facts: OpFacts | None = None
        key, tensors, facts = op_facts.read_call(func, args, kwargs)
        ruled = self.use_rules and op.shape is not RUN and bool(tensors)
        if not ruled:
            key, facts = None, None
        if facts is not None:   # a call seen before: its facts are known
            out = args[0] if facts.inplace else _empty(facts.shapes, facts.dtype,
                                                       tensors[0].device)
        else:
            call = bind(spec, args, kwargs)
            out, facts = self._compute(func, spec, args, kwargs, call, tensors, key, ruled)
        producer = self._producer
        tracked = []   # a loop: a comprehension is a function call of its own in Python 3.11
        for tensor in tensors:
            if id(tensor) in producer:
                tracked.append(tensor)
        if facts is not None:
            outs = [out] if type(out) is torch.Tensor else tensors_in(out)
            return _NEW(_Done, (out, outs, tensors, tracked, call, facts.cost,
                                dict(facts.attrs), facts.window, facts.kind))
        outs = tensors_in(out)   # the op ran: its facts from what it returned
        if not outs:
            return _NEW(_Done, (out, outs, tensors, tracked, call, None, {}, None, None))
        assert call is not None
        out_shapes = tuple(tuple(t.shape) for t in outs)
        cost = None if op.cost is UNCOUNTED else op.cost(call, out_shapes)  # type: ignore
        attrs = op.attrs(call)
        window = op.window(attrs, call["input"], out_shapes[0]) if (
            op.window is not None and isinstance(call.get("input"), tuple)) else None
        return _NEW(_Done, (out, outs, tensors, tracked, call, cost, attrs, window, None))

    def _add_parts(self, spec: OpSpec, attrs: dict[str, Any], call: dict[str, Any],
                   args: tuple, kwargs: dict, tracked: list[torch.Tensor],
                   outs: list[torch.Tensor]) -> None:
        """An op drawn as a chain of steps (attention: ``in_proj`` → ``attention`` →
        ``out_proj``), each with its share of the cost and the parameters it uses."""
        op = spec.op
        named = dict(zip(spec.argnames, args)) | kwargs
        out_shapes = tuple(tuple(t.shape) for t in outs)
        costs = op.part_costs(call, out_shapes)  # type: ignore[misc]
        scope = self._scope
        path = scope[-1] if scope else ""
        base = f"{path}/{op.name}"
        index = self._calls[base]
        self._calls[base] += 1
        dtype = _dtype_name(outs[0].dtype)
        element = outs[0].element_size()
        previous: Node | None = None
        for i, part in enumerate(op.parts):
            last = i == len(op.parts) - 1
            shapes = out_shapes if last else (out_shapes[0],)
            node = Node(
                id=f"{base}.{part.name}" + (f"#{index}" if index else ""),
                label=part.name, path=path, module_type="", op=f"{op.name}.{part.name}",
                kind=part.kind.value, scope=scope, call_index=index,
                input_shapes=tuple(tuple(t.shape) for t in tracked) if previous is None
                else previous.output_shapes[:1],
                output_shapes=shapes, attrs=attrs if i == 0 else {},
                macs=costs[part.name].macs, flops=costs[part.name].flops,
                activation_bytes=sum(math.prod(s) for s in shapes) * element)
            self._count_used_params(node, [t for name in part.uses
                                           if isinstance(t := named.get(name), torch.Tensor)])
            if previous is None:
                self._connect(node, tracked)
            else:
                self.edges.append(Edge(previous.id, node.id, previous.output_shapes[0], dtype))
            self.nodes.append(node)
            previous = node
        for tensor in outs:
            self._set_producer(tensor, previous.id)  # type: ignore[union-attr]

    def _compute(self, func: Any, spec: OpSpec, args: tuple, kwargs: dict,
                 call: dict[str, Any], tensors: list[torch.Tensor], key: tuple | None,
                 ruled: bool) -> tuple[Any, OpFacts | None]:
        """The call's output: for a ruled call fresh meta tensors, with its facts (memoized,
        :mod:`vizcnn.op_facts`); otherwise the op runs, and its facts are ``None``."""
        try:
            if ruled:
                try:
                    known = op_facts.facts(spec, call, tensors, args, key)
                except NoRule:
                    return func(*args, **kwargs), None
                if known.inplace:
                    return args[0], known
                return _empty(known.shapes, known.dtype, tensors[0].device), known
            return func(*args, **kwargs), None
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
        outs = tensors_in(out)
        if not outs:
            return out
        tensors = tensors_in((args, kwargs))
        name = _func_name(func)
        if name == "data":   # x.data stands for x
            src = self._producer.get(id(args[0])) if args else None
            if src is not None:
                self._set_producer(outs[0], src)
            return out
        tracked = [t for t in tensors if id(t) in self._producer]
        if name in _TRANSPOSING_ATTRS:
            self._record("transpose", {}, Cost(), None, tracked, outs, tensors)
            return out
        self._record(name, {}, None, None, tracked, outs, tensors)
        return out

    def _record(self, op: str, attrs: dict[str, Any], cost: Cost | None,
                window: tuple[int, int, int] | None, tracked: list[torch.Tensor],
                outs: list[torch.Tensor], tensors: list[torch.Tensor]) -> None:
        cost = self._bookkeeping(cost, tracked, tensors)
        if cost is None:
            self.uncounted[op] += 1
        if self._leaf is not None:
            self._add_to_leaf(op, attrs, cost, window, outs, bool(tracked))
        else:
            self._add_op_node(op, attrs, cost, window, tracked, outs, tensors)

    def _bookkeeping(self, cost: Cost | None, tracked: list[torch.Tensor],
                     tensors: list[torch.Tensor]) -> Cost | None:
        """No arithmetic for bookkeeping on buffers (``num_batches_tracked += 1``)."""
        if not tracked and tensors and all(
                self.unique.get(id(t), _NOT_OURS)[2] for t in tensors):
            return Cost()
        return cost

    def _add_to_leaf(self, op: str, attrs: dict[str, Any], cost: Cost | None,
                     window: tuple[int, int, int] | None, outs: list[torch.Tensor],
                     on_input: bool) -> None:
        node = self._leaf
        assert node is not None
        if on_input or not self._leaf_main:
            # the leaf is named by what it does to its input, not by bookkeeping on its own
            # buffers (BatchNorm's num_batches_tracked += 1) or tensors it makes (LSTM states)
            if on_input and not self._leaf_main:
                self._leaf_main = True
                self._leaf_ops = []
                node.op = "identity"
                node.attrs = {}
            self._leaf_ops.append(op)
            if attrs and not node.attrs:
                node.attrs = attrs
                node.op = op
        if cost is None:
            node.uncounted = (*node.uncounted, op)
        else:
            node.macs += cost.macs
            node.flops += cost.flops
        if window is not None and on_input:
            self._windows.setdefault(node.id, []).append(window)
        for tensor in outs:
            self._set_producer(tensor, node.id)

    def _add_op_node(self, op: str, attrs: dict[str, Any], cost: Cost | None,
                     window: tuple[int, int, int] | None, tracked: list[torch.Tensor],
                     outs: list[torch.Tensor], tensors: list[torch.Tensor]) -> None:
        scope = self._scope
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
        unique = self.unique
        self._claim(node, [unique[id(t)][1:] for t in tensors if id(t) in unique])

    def _claim(self, node: Node, tensors: Any) -> None:
        """Count parameters and buffers on ``node`` unless an earlier node already did."""
        for tensor, is_buffer in tensors:
            if id(tensor) in self._counted:
                node.shared_params = True
                continue
            self._counted.add(id(tensor))
            numel = tensor.numel()
            if is_buffer:
                node.buffers += numel
            else:
                node.params += numel
                node.trainable_params += numel if tensor.requires_grad else 0

    # --- errors ---------------------------------------------------------------------------
    def _where(self) -> tuple[str, str]:
        if self._leaf is not None:
            return self._leaf.path or self._leaf.id, self._leaf.module_type
        if self._scope:
            path = self._scope[-1]
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
        got = f" gets a {fmt(shapes[0])} input" if shapes and shapes[0] else ""
        return ShapeError(f"{what}{got}: {reason}", path=path, op=op, input_shapes=shapes,
                          reason=reason)


def _empty(shapes: Any, dtype: torch.dtype, device: torch.device) -> Any:
    """Fresh tensors of the rule's shapes (a tuple of shapes, ``None`` for a missing output)."""
    if shapes and not isinstance(shapes[0], int):
        return tuple(None if s is None else torch.empty(s, dtype=dtype, device=device)
                     for s in shapes)
    if shapes:   # sizes one by one: faster than one tuple
        return torch.empty(*shapes, dtype=dtype, device=device)
    return torch.empty((), dtype=dtype, device=device)
