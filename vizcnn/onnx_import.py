"""ONNX files as vizcnn traces: read the protobuf, never run it.

An ``.onnx`` file is a graph of named ops with the weights' shapes in it, so everything vizcnn
shows can be computed from the file alone: shapes by ONNX shape inference (symbolic input
dimensions filled from the user's input shape), parameters from the initializers, costs from
vizcnn's own formulas. Nothing is executed and external-data files (``model.onnx.data``) are
never opened: only the ``.onnx`` is read, with ``load_external_data=False``.

The module hierarchy comes from what PyTorch's exporters write: the current exporter's node
metadata (``pkg.torch.onnx.name_scopes`` with ``pkg.torch.onnx.class_hierarchy``) or the older
exporter's node names (``/layer1/layer1.0/conv1/Conv``). The nodes then look like a traced
model's: one node per leaf-module call (``path`` = its module path, ``module_type`` its
class), one node per functional op between modules (``id`` = ``"scope/op"``). A file with
neither gives a flat graph.

Conventions beyond vizcnn's own (stated here and in the README):

* ops that only compute shapes (``Shape`` and what is computed from it or from constants
  alone) are not nodes; ``Cast``/``CastLike``/``Identity`` are transparent, as ``.to()`` is in
  a trace;
* params are the floating-point initializers, each once, except single numbers feeding
  arithmetic (the 3 and 6 of a hard-swish); BatchNorm running statistics are buffers;
* ``Identity`` of an initializer (the old exporter's de-duplication of equal tensors) counts
  as a tensor of its own;
* ONNX does not say which tensors are trainable: trainable params = params.

This module is pure: :func:`vizcnn.model_files.load_onnx` adds the file checks and runs it in
a child process with a time and memory bound.
"""

from __future__ import annotations

import ast
import heapq
import math
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Sequence

import onnx
from onnx import helper, numpy_helper, shape_inference

from vizcnn.api import Trace, _receptive_fields
from vizcnn.capture import Tracer, op_kind
from vizcnn.costs import Cost
from vizcnn.errors import ShapeError, VizcnnError
from vizcnn.graph import Edge, ModuleInfo, Node, OpKind, Shape
from vizcnn.ops import OP_DEFS, Marker
from vizcnn.spec import ModelSource, ModelSpec, TraceSpec

NAME_SCOPES = "pkg.torch.onnx.name_scopes"
CLASS_HIERARCHY = "pkg.torch.onnx.class_hierarchy"
REWRITE_RULES = "pkg.onnxscript.rewriter.rule_name"
BN_FOLDED = "batchnorm_folded_into_conv"
BN_FOLDED_RULE = "FuseBatchNormIntoConv"  # the current exporter's rewrite rule

_DTYPES = {1: ("float32", 4), 2: ("uint8", 1), 3: ("int8", 1), 5: ("int16", 2),
           6: ("int32", 4), 7: ("int64", 8), 9: ("bool", 1), 10: ("float16", 2),
           11: ("float64", 8), 16: ("bfloat16", 2)}
_FLOAT_TYPES = {1, 10, 11, 16}
_TRANSPARENT = {"Cast", "CastLike", "Identity"}
_SHAPE_OPS = {"Shape", "Size"}
_TYPE_ONLY_INPUTS = {"CastLike": 1}  # an input that gives only a dtype, not data
# Leaf-class names for files whose node names give the module path but not its class.
_CLASS_OF_OP = {
    "Conv": "Conv{n}d", "ConvTranspose": "ConvTranspose{n}d", "BatchNormalization":
    "BatchNorm{n}d", "InstanceNormalization": "InstanceNorm{n}d", "MaxPool": "MaxPool{n}d",
    "AveragePool": "AvgPool{n}d", "GlobalAveragePool": "AdaptiveAvgPool{n}d",
    "GlobalMaxPool": "AdaptiveMaxPool{n}d", "Gemm": "Linear", "MatMul": "Linear",
    "Relu": "ReLU", "Clip": "ReLU6", "LeakyRelu": "LeakyReLU", "Sigmoid": "Sigmoid",
    "Tanh": "Tanh", "HardSwish": "Hardswish", "HardSigmoid": "Hardsigmoid", "Gelu": "GELU",
    "Elu": "ELU", "Softmax": "Softmax", "Dropout": "Dropout", "Flatten": "Flatten",
    "LayerNormalization": "LayerNorm", "GroupNormalization": "GroupNorm",
    "LRN": "LocalResponseNorm", "Mish": "Mish", "Softplus": "Softplus",
}


# The one place this module reads vizcnn's op declarations (vizcnn/ops.py): cost formulas,
# attributes and receptive-field windows of the op an ONNX node was read as.
def _cost(op: str, call: dict[str, Any], outputs: tuple[Shape, ...]) -> Cost | None:
    """The op's cost by vizcnn's formula (``None``: no formula, or one that cannot read it)."""
    declared = OP_DEFS.get(op)
    if declared is None or isinstance(declared.cost, Marker):
        return None
    try:
        return declared.cost(call, outputs)
    except (KeyError, IndexError, TypeError, ValueError, ZeroDivisionError):
        return None  # a node whose attributes the formula cannot read: uncounted


def _attrs(op: str, call: dict[str, Any]) -> dict[str, Any]:
    declared = OP_DEFS.get(op)
    return declared.attrs(call) if declared is not None else {}


def _window(op: str, attrs: dict[str, Any], x: Shape, out: Shape
            ) -> tuple[int, int, int] | None:
    declared = OP_DEFS.get(op)
    if declared is None or declared.window is None:
        return None
    return declared.window(attrs, x, out)


# --- reading one ONNX node as a vizcnn op ----------------------------------------------------
@dataclass
class _Op:
    """One ONNX node on the data path, read as a vizcnn op."""

    index: int
    onnx_op: str
    op: str                           # vizcnn's canonical op name ("conv", "linear", ...)
    call: dict[str, Any]              # named argument shapes and hyper-parameters
    data_inputs: list[str]            # value names of activations
    const_inputs: list[str]           # value names of weights and constants
    outputs: list[str]
    scope: list[str]                  # module paths, outermost first
    classes: list[str]                # class names along ``scope`` ("" when unknown)
    folded_bn: bool = False
    attrs: dict[str, Any] = field(default_factory=dict)
    cost: Cost | None = None
    shapes_known: bool = True       # False: shape inference left a shape open

    @property
    def uncounted_as(self) -> str:
        return self.op if self.shapes_known else f"{self.op} (shape unknown)"


def _attributes(node: onnx.NodeProto) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for attribute in node.attribute:
        value = helper.get_attribute_value(attribute)
        values[attribute.name] = value.decode() if isinstance(value, bytes) else value
    return values


def _ints(value: Any, n: int, default: int) -> tuple[int, ...]:
    return tuple(int(v) for v in value) if value else (default,) * n


def _conv_call(ins: list[Shape | None], a: dict[str, Any]) -> dict[str, Any]:
    x, w = ins[0], ins[1]
    n = len(w) - 2
    pads = _ints(a.get("pads"), 2 * n, 0)
    padding: Any = pads[:n] if pads[:n] == pads[n:] else pads
    if str(a.get("auto_pad", "NOTSET")).startswith("SAME"):
        padding = "same"
    return {"input": x, "weight": w, "bias": ins[2] if len(ins) > 2 else None,
            "stride": _ints(a.get("strides"), n, 1), "padding": padding,
            "dilation": _ints(a.get("dilations"), n, 1), "groups": int(a.get("group", 1))}


def _pool_call(ins: list[Shape | None], a: dict[str, Any]) -> dict[str, Any]:
    kernel = tuple(a["kernel_shape"])
    n = len(kernel)
    pads = _ints(a.get("pads"), 2 * n, 0)
    return {"input": ins[0], "kernel_size": kernel, "stride": _ints(a.get("strides"), n, 1),
            "padding": pads[:n], "dilation": _ints(a.get("dilations"), n, 1),
            "ceil_mode": bool(a.get("ceil_mode", 0)), "spatial_dims": n}


def _gemm(ins: list[Shape | None], a: dict[str, Any], weight_is_const: bool
          ) -> tuple[str, dict[str, Any]]:
    x, b = ins[0], ins[1]
    x = tuple(reversed(x)) if a.get("transA") else x
    bias = ins[2] if len(ins) > 2 else None
    if weight_is_const:  # a linear layer: weight as (out, in)
        weight = b if a.get("transB") else tuple(reversed(b))
        return "linear", {"input": x, "weight": weight, "bias": bias}
    b = tuple(reversed(b)) if a.get("transB") else b
    if bias is not None:
        return "addmm", {"input": bias, "mat1": x, "mat2": b}
    return "matmul", {"input": x, "other": b}


def _matmul(ins: list[Shape | None], weight_is_const: bool) -> tuple[str, dict[str, Any]]:
    if weight_is_const and len(ins[1]) == 2:
        return "linear", {"input": ins[0], "weight": (ins[1][1], ins[1][0]), "bias": None}
    return "matmul", {"input": ins[0], "other": ins[1]}


_SIMPLE = {
    "BatchNormalization": "batch_norm", "InstanceNormalization": "instance_norm",
    "LayerNormalization": "layer_norm", "GroupNormalization": "group_norm",
    "Relu": "relu", "LeakyRelu": "leaky_relu", "Clip": "hardtanh", "Elu": "elu",
    "Gelu": "gelu", "Sigmoid": "sigmoid", "Tanh": "tanh", "Softplus": "softplus",
    "HardSwish": "hardswish", "HardSigmoid": "hardsigmoid", "Mish": "mish",
    "Add": "add", "Sub": "sub", "Mul": "mul", "Div": "div",
    "ReduceMean": "mean", "ReduceSum": "sum", "Slice": "getitem", "Gather": "getitem",
    "Reshape": "view", "Flatten": "flatten", "Transpose": "permute", "Squeeze": "squeeze",
    "Unsqueeze": "unsqueeze", "Pad": "pad", "Dropout": "dropout",
}
_AXIS_OPS = {"Concat": "cat", "Split": "split", "Softmax": "softmax", "LogSoftmax": "softmax"}


def _read_op(onnx_op: str, ins: list[Shape | None], a: dict[str, Any],
             const: list[bool]) -> tuple[str, dict[str, Any]]:
    """vizcnn's op name and call for one ONNX node (its own name when vizcnn has none)."""
    if onnx_op in ("Conv", "ConvTranspose"):
        call = _conv_call(ins, a)
        if onnx_op == "ConvTranspose":
            call["output_padding"] = _ints(a.get("output_padding"), len(ins[1]) - 2, 0)
            return "conv_transpose", call
        return "conv", call
    if onnx_op == "Gemm":
        return _gemm(ins, a, const[1])
    if onnx_op == "MatMul":
        return _matmul(ins, const[1])
    if onnx_op in ("MaxPool", "AveragePool"):
        return ("max_pool" if onnx_op == "MaxPool" else "avg_pool"), _pool_call(ins, a)
    if onnx_op in ("GlobalAveragePool", "GlobalMaxPool"):
        op = "adaptive_avg_pool" if onnx_op == "GlobalAveragePool" else "adaptive_max_pool"
        return op, {"input": ins[0], "output_size": 1}
    if onnx_op == "ReduceMean" and _global_mean(ins[0], a):
        return "adaptive_avg_pool", {"input": ins[0], "output_size": 1}
    if onnx_op == "LRN":
        return "local_response_norm", {"input": ins[0], "size": int(a["size"])}
    if onnx_op in _AXIS_OPS:
        return _AXIS_OPS[onnx_op], {"input": ins[0], "tensors": list(ins),
                                    "dim": int(a.get("axis", 0 if onnx_op != "Softmax" else -1))}
    if onnx_op in ("Resize", "Upsample"):
        mode = str(a.get("mode", "nearest"))
        return "interpolate", {"input": ins[0], "mode": {"linear": "bilinear",
                                                          "cubic": "bicubic"}.get(mode, mode)}
    if onnx_op == "Einsum":
        return "einsum", {"equation": a["equation"], "operands": tuple(ins)}
    if onnx_op in _SIMPLE:
        return _SIMPLE[onnx_op], {"input": ins[0], "other": ins[1] if len(ins) > 1 else None}
    return onnx_op, {"input": ins[0] if ins else None}


def _global_mean(x: Shape | None, a: dict[str, Any]) -> bool:
    """A mean over every spatial axis that keeps them as 1s is global average pooling."""
    axes = a.get("axes")
    if x is None or len(x) < 3 or not axes or not a.get("keepdims", 1):
        return False
    return sorted(int(v) % len(x) for v in axes) == list(range(2, len(x)))


def _attention_cost(ins: list[Shape | None], outputs: tuple[Shape, ...]) -> Cost | None:
    """ONNX ``Attention`` (Q, K, V of rank 4): Q·Kᵀ and softmax(…)·V as two matmuls plus the
    softmax, each under vizcnn's own formula."""
    if len(ins) < 3 or any(s is None or len(s) != 4 for s in ins[:3]):
        return None
    q, k, v = ins[:3]
    scores = (q[0], q[1], q[2], k[2])
    parts = [_cost("matmul", {"input": q, "other": k}, (scores,)),
             _cost("softmax", {"input": scores}, (scores,)),
             _cost("matmul", {"input": scores, "other": v}, outputs[:1])]
    if any(p is None for p in parts):
        return None
    return Cost(sum(p.macs for p in parts), sum(p.flops for p in parts))


# --- where a node sits in the module hierarchy ----------------------------------------------
def _parse_list(text: str | None) -> list[str]:
    if not text:
        return []
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return []
    return [str(v) for v in value] if isinstance(value, (list, tuple)) else []


def _full_paths(names: list[str]) -> list[str]:
    """Scope names to module paths. Exporters name a scope by its attribute (``conv1``), its
    full path (``layer1.0.bn1``) or its parent's attribute and its own (``downsample.0``): a
    name's leading parts that repeat the enclosing path's trailing parts are that path."""
    paths: list[str] = []
    for name in names:
        prev = paths[-1].split(".") if paths else []
        parts = name.split(".")
        overlap = max((k for k in range(1, min(len(prev) + 1, len(parts)))
                       if prev[len(prev) - k:] == parts[:k]), default=0)
        paths.append(".".join(prev + parts[overlap:]))
    return paths


def _scope_of(node: onnx.NodeProto) -> tuple[list[str], list[str]]:
    """(module paths, class names) of the modules enclosing ``node``, outermost first."""
    meta = {p.key: p.value for p in node.metadata_props}
    scopes = _parse_list(meta.get(NAME_SCOPES))
    if scopes:  # ['', 'layer1', ..., 'conv1', '<aten op>']: the root and the op are not modules
        classes = _parse_list(meta.get(CLASS_HIERARCHY))
        classes = [c.rsplit(".", 1)[-1] for c in classes[1:len(scopes) - 1]]
        paths = _full_paths(scopes[1:-1])
        return paths, (classes + [""] * len(paths))[:len(paths)]
    if node.name.startswith("/"):  # '/layer1/layer1.0/conv1/Conv': the last part is the op
        paths = _full_paths([p for p in node.name.split("/")[1:-1] if p])
        return paths, [""] * len(paths)
    return [], []


def _root_class(model: onnx.ModelProto) -> str:
    for node in model.graph.node:
        meta = {p.key: p.value for p in node.metadata_props}
        classes = _parse_list(meta.get(CLASS_HIERARCHY))
        if classes:
            return classes[0].rsplit(".", 1)[-1]
    return model.graph.name or "Graph"


# --- the importer --------------------------------------------------------------------------
def _static(value: onnx.ValueInfoProto) -> Shape | None:
    tensor = value.type.tensor_type
    if not tensor.HasField("shape"):
        return None
    dims = tensor.shape.dim
    if not all(d.HasField("dim_value") and d.dim_value >= 0 for d in dims):
        return None
    return tuple(int(d.dim_value) for d in dims)


def _fill_inputs(model: onnx.ModelProto, inputs: list[onnx.ValueInfoProto],
                 sizes: list[Shape] | None) -> list[Shape]:
    """Fix the graph inputs' shapes: the file's static dims, the user's sizes for the rest."""
    if sizes is not None and len(sizes) != len(inputs):
        raise ShapeError(f"the file has {len(inputs)} input(s) "
                         f"({', '.join(i.name for i in inputs)}); got {len(sizes)} shape(s)")
    shapes: list[Shape] = []
    for i, value in enumerate(inputs):
        dims = value.type.tensor_type.shape.dim
        text = "×".join(str(d.dim_value) if d.HasField("dim_value") else (d.dim_param or "?")
                        for d in dims)
        if sizes is None:
            shape = _static(value)
            if shape is None:
                raise ShapeError(f"input {value.name!r} has symbolic dims {text}: give an "
                                 f"input shape such as 1x3x224x224")
        else:
            shape = tuple(sizes[i])
            if dims and len(dims) != len(shape):
                raise ShapeError(f"input {value.name!r} has rank {len(dims)} ({text}); "
                                 f"got {'×'.join(map(str, shape))}")
            for d, s in zip(dims, shape):
                if d.HasField("dim_value") and d.dim_value > 0 and d.dim_value != s:
                    raise ShapeError(f"input {value.name!r} is fixed to {text} in the file; "
                                     f"got {'×'.join(map(str, shape))}")
        del value.type.tensor_type.shape.dim[:]
        for s in shape:
            value.type.tensor_type.shape.dim.add().dim_value = s
        shapes.append(shape)
    return shapes


def _small_ints(tensor: onnx.TensorProto) -> list[int] | None:
    """The values of a small inline integer tensor (never external data: that is not read)."""
    if tensor.data_type not in (6, 7) or tensor.data_location == onnx.TensorProto.EXTERNAL:
        return None
    if math.prod(tensor.dims) > 16:
        return None
    return [int(v) for v in numpy_helper.to_array(tensor).reshape(-1)]


def _topological(nodes: Sequence[onnx.NodeProto], known: set[str]) -> list[onnx.NodeProto]:
    """The nodes in an order where every input is made before it is used: the file's own
    order when it is one (ONNX requires it), else the nearest such order."""
    made_by = {o: i for i, n in enumerate(nodes) for o in n.output if o}
    needs: list[set[int]] = []
    for node in nodes:
        missing = [i for i in node.input if i and i not in known and i not in made_by]
        if missing:
            raise VizcnnError(f"the graph uses values nothing produces: {', '.join(missing[:5])}")
        needs.append({made_by[i] for i in node.input if i and i not in known and i in made_by})
    users: dict[int, list[int]] = defaultdict(list)
    for index, wanted in enumerate(needs):
        for producer in wanted:
            users[producer].append(index)
    waiting = [len(w) for w in needs]
    ready = [i for i, w in enumerate(waiting) if w == 0]
    heapq.heapify(ready)
    ordered: list[onnx.NodeProto] = []
    while ready:
        index = heapq.heappop(ready)
        ordered.append(nodes[index])
        for user in users[index]:
            waiting[user] -= 1
            if waiting[user] == 0:
                heapq.heappush(ready, user)
    if len(ordered) < len(nodes):
        raise VizcnnError("the graph has a cycle: ONNX graphs must be acyclic")
    return ordered


class _Importer:
    """Turns one ONNX ModelProto into the nodes, edges and modules of a Trace."""

    def __init__(self, model: onnx.ModelProto) -> None:
        self.model = model
        graph = model.graph
        self.initializers = {t.name: t for t in graph.initializer}
        self.inputs = [i for i in graph.input if i.name not in self.initializers]
        self.shapes: dict[str, Shape] = {}
        self.dtypes: dict[str, int] = {}
        self.ops: list[_Op] = []
        self.values: dict[str, list[int]] = {   # small integer constants (axes, sizes)
            t.name: v for t in graph.initializer if (v := _small_ints(t)) is not None}

    # --- shapes ---------------------------------------------------------------------------
    def infer(self, sizes: list[Shape] | None) -> list[Shape]:
        if not self.inputs:
            raise VizcnnError("the graph has no inputs")
        input_shapes = _fill_inputs(self.model, self.inputs, sizes)
        try:
            inferred = shape_inference.infer_shapes(self.model, check_type=False,
                                                    strict_mode=False, data_prop=True)
        except Exception as error:  # onnx raises its own exception types for bad graphs
            if "bad_alloc" in str(error):
                raise MemoryError(str(error)) from None
            raise VizcnnError(f"ONNX shape inference failed: {str(error).splitlines()[0]}"
                              ) from None
        graph = inferred.graph
        for value in (*graph.input, *graph.value_info, *graph.output):
            shape = _static(value)
            if shape is not None:
                self.shapes[value.name] = shape
            self.dtypes[value.name] = value.type.tensor_type.elem_type
        for tensor in graph.initializer:
            self.shapes[tensor.name] = tuple(int(d) for d in tensor.dims)
            self.dtypes[tensor.name] = tensor.data_type
        return input_shapes

    # --- the data path -----------------------------------------------------------------------
    def read(self) -> None:
        graph = self.model.graph
        data = {i.name for i in self.inputs}
        alias: dict[str, str] = {}                 # transparent op output -> its input
        self.sources: dict[str, set[str]] = defaultdict(set)   # constant value -> initializers
        for name in self.initializers:
            self.sources[name].add(name)
        known = set(self.initializers) | data
        for index, node in enumerate(_topological(graph.node, known)):
            ins = [alias.get(i, i) for i in node.input]
            if node.op_type in _TRANSPARENT and ins and ins[0] in data:
                alias.update({o: ins[0] for o in node.output})
                continue
            skip = _TYPE_ONLY_INPUTS.get(node.op_type)
            if node.op_type in _SHAPE_OPS or not any(
                    i in data for k, i in enumerate(ins) if k != skip):
                self._constant(node, ins)
                continue
            data.update(node.output)
            self.ops.append(self._op(index, node, ins, data))
        self.outputs = [alias.get(o.name, o.name) for o in graph.output]

    def _constant(self, node: onnx.NodeProto, ins: list[str]) -> None:
        """A node computing from constants only: its outputs carry their initializers along;
        an ``Identity`` copy of an initializer counts as a tensor of its own."""
        if node.op_type == "Identity" and ins and ins[0] in self.initializers:
            for out in node.output:
                self.sources[out] = {out}
                self.shapes.setdefault(out, self.shapes[ins[0]])
                self.dtypes[out] = self.dtypes.get(ins[0], 1)
            return
        if node.op_type == "Constant":
            value = _attributes(node).get("value_ints", _attributes(node).get("value"))
            if isinstance(value, onnx.TensorProto):
                value = _small_ints(value)
            if isinstance(value, list):
                self.values[node.output[0]] = [int(v) for v in value]
        carried = set().union(*(self.sources.get(i, set()) for i in ins if i))
        for out in node.output:
            self.sources[out] = carried

    def _op(self, index: int, node: onnx.NodeProto, ins: list[str], data: set[str]) -> _Op:
        a = _attributes(node)
        shapes = [self.shapes.get(i) if i else None for i in ins]
        const = [bool(i) and i not in data for i in ins]
        outputs = [o for o in node.output if o]
        out_shapes = tuple(self.shapes[o] for o in outputs if o in self.shapes)
        scope, classes = _scope_of(node)
        folded = any(BN_FOLDED_RULE in p.value for p in node.metadata_props
                     if p.key == REWRITE_RULES)
        op, call, cost, attrs = node.op_type, {}, None, {}
        known = len(out_shapes) == len(outputs) and all(
            s is not None for s, c in zip(shapes, ins) if c)
        if node.op_type == "ReduceMean" and len(ins) > 1:
            a.setdefault("axes", self.values.get(ins[1]))
        if known:
            try:
                op, call = _read_op(node.op_type, shapes, a, const)
            except (KeyError, IndexError, TypeError, ValueError):
                op, call = node.op_type, {}
            if node.op_type == "Attention" and node.domain in ("", "ai.onnx"):
                op, cost = "attention", _attention_cost(shapes, out_shapes)
            elif call:
                cost = _cost(op, call, out_shapes)
            if call:
                attrs = _attrs(op, call)
        if folded and node.op_type == "Conv":
            scope, classes = self._conv_scope(ins, scope, classes)
        return _Op(index, node.op_type, op, call, [i for i in ins if i in data],
                   [i for i in ins if i and i not in data], outputs, scope, classes,
                   folded_bn=folded and node.op_type == "Conv", attrs=attrs, cost=cost,
                   shapes_known=known)

    def _conv_scope(self, ins: list[str], scope: list[str], classes: list[str]
                    ) -> tuple[list[str], list[str]]:
        """A conv the exporter merged with its BatchNorm carries the BatchNorm's scope: place
        it at the module its weight is named after (``layer1.0.conv1.weight``) instead."""
        weight = ins[1] if len(ins) > 1 else ""
        if not weight.endswith(".weight") or not scope:
            return scope, classes
        path = weight[: -len(".weight")]
        parent = scope[:-1]
        if parent and not path.startswith(parent[-1] + "."):
            return scope, classes
        return parent + [path], classes[:-1] + [""]

    # --- nodes ----------------------------------------------------------------------------
    def nodes(self, input_shapes: list[Shape]) -> tuple[
            list[Node], list[Edge], dict[str, ModuleInfo], dict[str, list[tuple[int, int, int]]]]:
        """The trace's nodes (inputs, one per leaf call or op, output), edges, modules, and
        the (kernel, stride, dilation) windows of each node for the receptive field."""
        self._split_calls()
        self._adopt_orphans()
        leaves = self._leaves()
        nodes: list[Node] = []
        producer: dict[str, str] = {}
        edges: list[Edge] = []
        windows: dict[str, list[tuple[int, int, int]]] = {}
        calls: Counter[str] = Counter()
        counted: set[str] = set()
        for i, value in enumerate(self.inputs):
            node_id = "input" if len(self.inputs) == 1 else f"input.{value.name}"
            shape = input_shapes[i]
            nodes.append(Node(node_id, node_id, "", "", "input", OpKind.IO.value, (),
                              output_shapes=(shape,),
                              activation_bytes=math.prod(shape) * self._size(value.name)))
            producer[value.name] = node_id
        for group in self._groups(leaves):
            node = self._node(group, leaves, calls)
            made = {o for op in group for o in op.outputs}
            seen: set[str] = set()
            for op in group:
                for value in op.data_inputs:
                    if value in made or value in seen or value not in producer:
                        continue
                    seen.add(value)
                    node.input_shapes = (*node.input_shapes, self.shapes.get(value, ()))
                    edges.append(Edge(producer[value], node.id, self.shapes.get(value, ()),
                                      self._dtype(value)))
                self._claim(node, op, counted)
                if op.cost is None:
                    node.uncounted = (*node.uncounted, op.uncounted_as)
                else:
                    node.macs += op.cost.macs
                    node.flops += op.cost.flops
                first_in = self.shapes.get(op.data_inputs[0]) if op.data_inputs else None
                out = self.shapes.get(op.outputs[0]) if op.outputs else None
                if op.attrs and first_in and out:
                    window = _window(op.op, op.attrs, first_in, out)
                    if window is not None:
                        windows.setdefault(node.id, []).append(window)
            outs = self._outputs(group)
            node.output_shapes = tuple(self.shapes.get(o, ()) for o in outs)
            node.activation_bytes = sum(math.prod(self.shapes[o]) * self._size(o)
                                        for o in outs if o in self.shapes)
            for value in made:
                producer[value] = node.id
            nodes.append(node)
        out_node = Node("output", "output", "", "", "output", OpKind.IO.value, (),
                        input_shapes=tuple(self.shapes.get(o, ()) for o in self.outputs))
        for value in dict.fromkeys(self.outputs):
            if value in producer:
                edges.append(Edge(producer[value], "output", self.shapes.get(value, ()),
                                  self._dtype(value)))
        nodes.append(out_node)
        return nodes, edges, self._modules(nodes, edges, input_shapes), windows

    def _adopt_orphans(self) -> None:
        """Ops an optimiser made without metadata (a merged ``Split``) sit in the module
        that uses their outputs: the common enclosing module of their consumers."""
        if not any(op.scope for op in self.ops):
            return
        leaves = self._leaves()
        consumers: dict[str, list[_Op]] = defaultdict(list)
        for op in self.ops:
            for value in op.data_inputs:
                consumers[value].append(op)
        by_path = {p: c for o in self.ops for p, c in zip(o.scope, o.classes)}
        for op in reversed(self.ops):
            if op.scope:
                continue
            chains = [c.scope[:-1] if c.scope and c.scope[-1] in leaves else c.scope
                      for v in op.outputs for c in consumers.get(v, ())]
            if not chains:
                continue
            common: list[str] = []
            for level in zip(*chains):
                if len(set(level)) > 1:
                    break
                common.append(level[0])
            op.scope, op.classes = common, [by_path.get(p, "") for p in common]

    def _split_calls(self) -> None:
        """The old exporter names a module's second call ``relu_1``: map it back to ``relu``
        when that module exists, as a trace calls it ``relu#1``."""
        paths = {p for op in self.ops for p in op.scope}
        for op in self.ops:
            for path in list(op.scope):
                match = re.fullmatch(r"(.+)_(\d+)", path)
                if match and match.group(1) in paths:
                    base = match.group(1)
                    op.scope = [base if p == path else (base + p[len(path):] if p.startswith(
                        path + ".") else p) for p in op.scope]

    def _leaves(self) -> set[str]:
        """Module paths that hold ops but no other module: each call is one node."""
        inner = {op.scope[-1] for op in self.ops if op.scope}
        parents = {p for op in self.ops for p in op.scope[:-1]}
        return inner - parents

    def _groups(self, leaves: set[str]) -> list[list[_Op]]:
        """Consecutive ops of one leaf-module call form one group; other ops stand alone."""
        groups: list[list[_Op]] = []
        for op in self.ops:
            leaf = op.scope[-1] if op.scope and op.scope[-1] in leaves else None
            if leaf is not None and groups and groups[-1][0].scope and groups[-1][0].scope[
                    -1] == leaf:
                groups[-1].append(op)
            else:
                groups.append([op])
        return groups

    def _node(self, group: list[_Op], leaves: set[str], calls: Counter[str]) -> Node:
        first = group[0]
        leaf = first.scope[-1] if first.scope and first.scope[-1] in leaves else None
        main = next((op for op in group if op.attrs), first)
        if leaf is not None:
            base, label, scope = leaf, leaf.rsplit(".", 1)[-1], tuple(first.scope[:-1])
            module_type = first.classes[-1] or self._class_of(main)
        else:
            path = first.scope[-1] if first.scope else ""
            base, label, scope, module_type = f"{path}/{first.op}", first.op, tuple(
                first.scope), ""
        index = calls[base]
        calls[base] += 1
        node = Node(id=f"{base}#{index}" if index else base, label=label,
                    path=leaf if leaf is not None else (scope[-1] if scope else ""),
                    module_type=module_type, op=main.op, kind=OpKind.OTHER.value, scope=scope,
                    call_index=index, attrs=dict(main.attrs))
        if leaf is not None:
            node.kind = Tracer._leaf_kind(node, [op.op for op in group]).value
        elif node.op == "attention":  # its MACs are two matmuls
            node.kind = OpKind.MATMUL.value
        else:
            node.kind = op_kind(node.op, node.attrs).value
        return node

    def _class_of(self, op: _Op) -> str:
        template = _CLASS_OF_OP.get(op.onnx_op, op.onnx_op)
        first = op.call.get("input") if op.call else None
        n = max(1, len(first) - 2) if isinstance(first, tuple) else 2
        return template.format(n=n)

    def _outputs(self, group: list[_Op]) -> list[str]:
        """Values of the group used outside it (or as graph outputs), in order."""
        inside = {id(op) for op in group}
        used_outside = {v for op in self.ops if id(op) not in inside for v in op.data_inputs}
        used_outside |= set(self.outputs)
        outs = [o for op in group for o in op.outputs if o in used_outside]
        return outs or group[-1].outputs[:1]

    def _claim(self, node: Node, op: _Op, counted: set[str]) -> None:
        """Count the initializers behind ``op``'s constant inputs on ``node``, each once."""
        buffer_slots = set()
        if op.onnx_op == "BatchNormalization" and len(op.const_inputs) >= 4:
            buffer_slots = set(op.const_inputs[-2:])
        for value in op.const_inputs:
            for name in sorted(self.sources.get(value, ())):
                if not self._is_param(name, op):
                    continue
                if name in counted:
                    node.shared_params = True
                    continue
                counted.add(name)
                numel = math.prod(self.shapes.get(name, ()))
                if value in buffer_slots or name in buffer_slots:
                    node.buffers += numel
                else:
                    node.params += numel
                    node.trainable_params += numel

    def _is_param(self, name: str, op: _Op) -> bool:
        if self.dtypes.get(name) not in _FLOAT_TYPES:
            return False
        if math.prod(self.shapes.get(name, ())) > 1:
            return True
        return op.op not in ("add", "sub", "mul", "div", "hardtanh", "pow", "Pow")

    def _dtype(self, value: str) -> str:
        return _DTYPES.get(self.dtypes.get(value, 1), ("float32", 4))[0]

    def _size(self, value: str) -> int:
        return _DTYPES.get(self.dtypes.get(value, 1), ("float32", 4))[1]

    # --- modules --------------------------------------------------------------------------
    def _modules(self, nodes: list[Node], edges: list[Edge], input_shapes: list[Shape]
                 ) -> dict[str, ModuleInfo]:
        classes: dict[str, str] = {}
        for op in self.ops:
            for path, cls in zip(op.scope, op.classes):
                if cls or path not in classes:
                    classes[path] = cls
        by_id = {n.id: n for n in nodes}
        order = {n.id: i for i, n in enumerate(nodes)}
        modules: dict[str, ModuleInfo] = {"": ModuleInfo(
            "", _root_class(self.model), 0, 1, sum(n.params for n in nodes),
            tuple(input_shapes), tuple(self.shapes.get(o, ()) for o in self.outputs))}
        members: dict[str, list[Node]] = defaultdict(list)
        for node in nodes:
            chain = list(node.scope) + ([node.path] if node.module_type else [])
            for path in chain:
                members[path].append(node)
        for path in sorted(members, key=lambda p: order[members[p][0].id]):
            inside = {n.id for n in members[path]}
            runs = sum(1 for n in members[path]
                       if order[n.id] == 0 or nodes[order[n.id] - 1].id not in inside)
            entering = list(dict.fromkeys(e.shape for e in edges
                                          if e.dst in inside and e.src not in inside))
            leaving = [e.shape for e in edges if e.src in inside and e.dst not in inside]
            cls = classes.get(path) or (by_id[members[path][0].id].module_type
                                        if members[path][0].path == path else "Module")
            modules[path] = ModuleInfo(path, cls, path.count(".") + 1, runs,
                                       sum(n.params for n in members[path]),
                                       tuple(entering), tuple(dict.fromkeys(leaving)))
        return modules

    def folded(self) -> int:
        """Convolutions the exporter merged a BatchNorm into: said by the current exporter's
        rewrite metadata, or (old exporter) weights named by the exporter, not the model."""
        explicit = sum(1 for op in self.ops if op.folded_bn)
        if explicit:
            return explicit
        if any(op.onnx_op == "BatchNormalization" for op in self.ops):
            return 0
        convs = [op for op in self.ops if op.onnx_op == "Conv" and op.const_inputs]
        named = [op for op in convs if not op.const_inputs[0].startswith("onnx::")]
        exporter_made = [op for op in convs if op.const_inputs[0].startswith("onnx::")
                         and len(op.const_inputs) > 1]
        return len(exporter_made) if named or self._has_named_params() else 0

    def _has_named_params(self) -> bool:
        return any(not n.startswith("onnx::") and "." in n for n in self.initializers)


def onnx_to_trace(model: onnx.ModelProto, name: str, input_size: Sequence[Any] | None = None,
                  digest: str = "") -> Trace:
    """A :class:`~vizcnn.Trace` of an ONNX graph (already loaded, without external data).

    ``input_size``: one shape or a list of shapes (one per graph input); it fills the
    symbolic dims and must agree with the static ones.
    """
    if not model.graph.node:
        raise VizcnnError(f"{name}: the ONNX graph has no nodes")
    sizes: list[Shape] | None = None
    if input_size is not None:
        if input_size and all(isinstance(s, (tuple, list)) for s in input_size):
            sizes = [tuple(int(d) for d in s) for s in input_size]
        else:
            sizes = [tuple(int(d) for d in input_size)]
        if any(not s or min(s) <= 0 for s in sizes):
            raise ShapeError(f"input size {input_size!r}: every dimension must be a positive "
                             f"integer")
    importer = _Importer(model)
    input_shapes = importer.infer(sizes)
    importer.read()
    nodes, edges, modules, windows = importer.nodes(input_shapes)
    _receptive_fields(SimpleNamespace(nodes=nodes, edges=edges, _windows=windows))
    uncounted = Counter(u for n in nodes for u in n.uncounted)
    folded = importer.folded()
    producer = " ".join(p for p in (model.producer_name, model.producer_version) if p)
    options: list[tuple[str, Any]] = [("sha256", digest)] if digest else []
    if folded:
        options.append((BN_FOLDED, folded))
    if producer:
        options.append(("producer", producer))
    trace = Trace(
        model=name, input_shapes=tuple(input_shapes), nodes=nodes, edges=edges,
        modules=modules, params=sum(n.params for n in nodes),
        trainable_params=sum(n.trainable_params for n in nodes),
        buffers=sum(n.buffers for n in nodes), macs=sum(n.macs for n in nodes),
        flops=sum(n.flops for n in nodes), uncounted=dict(uncounted), training=False,
        device="onnx",
    )
    trace.spec = TraceSpec(ModelSpec(ModelSource.ONNX, name, tuple(sorted(options))),
                           tuple(input_shapes), False, "float32")
    return trace


def read_onnx(path: str | Path, input_size: Sequence[Any] | None = None, digest: str = "",
              name: str | None = None) -> Trace:
    """Parse ``path`` in this process (no sandbox: :func:`vizcnn.load_onnx` adds it).
    ``name`` is what the trace is called (an upload's own file name); default the path's."""
    path = Path(path)
    name = name or path.name
    try:
        model = onnx.load(str(path), load_external_data=False)
    except Exception as error:  # protobuf's DecodeError and onnx's own errors
        raise VizcnnError(f"{name} is not a readable ONNX file: "
                          f"{str(error).splitlines()[0] if str(error) else type(error).__name__}"
                          ) from None
    if not model.graph.node and not model.graph.input:
        raise VizcnnError(f"{name} holds no ONNX graph (empty or not an ONNX model)")
    _drop_weight_values(model)
    return onnx_to_trace(model, name, input_size, digest)


def _drop_weight_values(model: onnx.ModelProto) -> None:
    """Forget the weights' values (their shapes stay): nothing here needs them, and shape
    inference then copies kilobytes instead of the whole file. Small integer tensors (axes,
    target shapes) are kept: shape inference reads them."""
    for tensor in model.graph.initializer:
        if _small_ints(tensor) is None:
            for name in ("raw_data", "float_data", "double_data", "int32_data", "int64_data"):
                tensor.ClearField(name)


def folded_batchnorms(trace: Trace) -> int:
    """How many convolutions of an ONNX trace have a BatchNorm folded into them."""
    return int(trace.spec.model.option(BN_FOLDED, 0)) if trace.spec else 0


__all__ = ["BN_FOLDED", "folded_batchnorms", "onnx_to_trace", "read_onnx"]
