"""The traced graph as plain data: nodes are ops, edges are tensors, no reference to the model.

Everything a view needs is here and nothing else: the graph serialises to JSON and back
losslessly, so a trace can be cached, shipped or compared in a test.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from enum import Enum
from typing import Any

from vizcnn.spec import TraceSpec

Shape = tuple[int, ...]


class OpKind(str, Enum):
    """What an op does, coarse enough to colour a diagram and group a cost chart."""

    IO = "io"
    CONV = "conv"                  # dense k×k convolution
    POINTWISE = "pointwise_conv"   # 1×1, ungrouped
    GROUPED = "grouped_conv"       # 1 < groups < channels
    DEPTHWISE = "depthwise_conv"   # groups == input channels
    CONV_TRANSPOSE = "conv_transpose"
    LINEAR = "linear"
    MATMUL = "matmul"
    NORM = "norm"
    ACTIVATION = "activation"
    POOL = "pool"
    ADD = "add"
    MUL = "mul"
    CONCAT = "concat"
    SPLIT = "split"
    RESHAPE = "reshape"
    SHUFFLE = "shuffle"
    DROPOUT = "dropout"
    OTHER = "other"


@dataclass(slots=True)
class Node:
    """One leaf-module call or one functional op (or the graph's input/output)."""

    id: str                      # deterministic: module path or "scope/op", "#k" for repeat calls
    label: str                   # short name for a diagram: "conv2", "add"
    path: str                    # module path of a leaf call; enclosing module path for an op
    module_type: str             # class name of the leaf module ("" for functional ops)
    op: str                      # canonical op of the main computation ("conv", "add", "input")
    kind: str                    # an OpKind value
    scope: tuple[str, ...]       # enclosing module paths, outermost first (root excluded)
    call_index: int = 0
    input_shapes: tuple[Shape, ...] = ()
    output_shapes: tuple[Shape, ...] = ()
    attrs: dict[str, Any] = field(default_factory=dict)
    params: int = 0              # parameters first used by this node (each counted once)
    trainable_params: int = 0
    buffers: int = 0
    shared_params: bool = False  # reuses a module whose parameters an earlier call counted
    macs: int = 0
    flops: int = 0
    activation_bytes: int = 0    # bytes of the node's outputs
    receptive_field: int | None = None
    effective_stride: int | None = None
    uncounted: tuple[str, ...] = ()

    @property
    def depth(self) -> int:
        return len(self.scope)


@dataclass(slots=True)
class Edge:
    """A tensor flowing from one node to another."""

    src: str
    dst: str
    shape: Shape
    dtype: str = "float32"


@dataclass(slots=True)
class ModuleInfo:
    """One module of the hierarchy, with totals over everything traced inside it."""

    path: str
    type: str
    depth: int
    calls: int = 0
    params: int = 0
    input_shapes: tuple[Shape, ...] = ()
    output_shapes: tuple[Shape, ...] = ()


@dataclass
class Graph:
    """The trace result as data. :class:`vizcnn.Trace` adds the convenience API."""

    model: str
    input_shapes: tuple[Shape, ...]
    nodes: list[Node]
    edges: list[Edge]
    modules: dict[str, ModuleInfo]
    params: int
    trainable_params: int
    buffers: int
    macs: int
    flops: int
    uncounted: dict[str, int] = field(default_factory=dict)
    training: bool = False
    device: str = "meta"
    fallback_reason: str | None = None
    key_blocks: tuple[tuple[str, str], ...] = ()
    spec: TraceSpec | None = None   # how the trace was made: model, options, input, mode

    def to_json(self, indent: int | None = None) -> str:
        return json.dumps(asdict(self), indent=indent)

    @classmethod
    def from_json(cls, text: str) -> "Graph":
        return cls.from_dict(json.loads(text))

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Graph":
        data = dict(data)
        data["input_shapes"] = _shapes(data["input_shapes"])
        data["nodes"] = [_node(n) for n in data["nodes"]]
        data["edges"] = [Edge(e["src"], e["dst"], tuple(e["shape"]), e["dtype"])
                         for e in data["edges"]]
        data["modules"] = {
            p: ModuleInfo(**{**m, "input_shapes": _shapes(m["input_shapes"]),
                             "output_shapes": _shapes(m["output_shapes"])})
            for p, m in data["modules"].items()
        }
        data["key_blocks"] = tuple(tuple(k) for k in data.get("key_blocks", ()))
        data["spec"] = TraceSpec.from_dict(data["spec"]) if data.get("spec") else None
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


def _shapes(value: list) -> tuple[Shape, ...]:
    return tuple(tuple(s) for s in value)


def _node(data: dict[str, Any]) -> Node:
    data = dict(data)
    data["scope"] = tuple(data["scope"])
    data["input_shapes"] = _shapes(data["input_shapes"])
    data["output_shapes"] = _shapes(data["output_shapes"])
    data["uncounted"] = tuple(data["uncounted"])
    data["attrs"] = {k: tuple(v) if isinstance(v, list) else v for k, v in data["attrs"].items()}
    return Node(**data)
