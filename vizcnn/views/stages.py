"""Stages: the main path of a CNN grouped by spatial resolution (112 → 56 → 28 → 14 → 7).

Papers describe CNNs stage by stage ("conv2_x, 56×56, [1×1, 64; 3×3, 64; 1×1, 256] × 3"), so
the cost charts and the paper-style table group the trace the same way.

How nodes are grouped:

1. The module tree is cut into *units*: a module is kept whole when its children change
   resolution at most once (a ResNet ``layer2`` or a stride-2 inverted residual block), and
   split into its children otherwise (a flat ``features`` Sequential, or the root). Functional
   ops and leaf-module calls are units of their own.
2. Consecutive units with the same output resolution form one stage, so a stride-2 block
   opens the stage it downsamples into (the max-pool of ResNet sits in conv2_x, as in the
   paper).
3. The trailing units without spatial extent — global pooling, flatten, dropout, linear —
   form the "head". Units without spatial output in the middle (an auxiliary classifier)
   stay with the stage they branch from.

A stage is named after the one module that holds its compute when there is exactly one
(``layer1`` .. ``layer4``), otherwise "stem" for a first stage that already downsampled and
"H×W" for the rest.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from vizcnn.graph import Graph, Node, OpKind, Shape
from vizcnn.words import fmt_shape

HEAD = "head"
STEM = "stem"

# Generic torch containers: listed through to their children in the block × N column.
_CONTAINERS = frozenset({"Sequential", "ModuleList", "ModuleDict"})
_COMPUTE_KINDS = frozenset({
    OpKind.CONV.value, OpKind.POINTWISE.value, OpKind.GROUPED.value, OpKind.DEPTHWISE.value,
    OpKind.CONV_TRANSPOSE.value, OpKind.LINEAR.value, OpKind.MATMUL.value,
})
# Leaf layers worth a line in a paper-style table (norms and activations ride along).
_LISTED_KINDS = _COMPUTE_KINDS | {OpKind.POOL.value}
# Ops that open a head: flatten/dropout, and global (adaptive) pooling, tested by op below.
_HEAD_KINDS = frozenset({OpKind.RESHAPE.value, OpKind.DROPOUT.value})


@dataclass(frozen=True)
class BlockRun:
    """``count`` consecutive blocks of one class (or identical leaf layers) inside a stage."""

    type: str         # module class ("Bottleneck") or leaf type ("Conv2d", "max_pool")
    count: int
    detail: str = ""  # for leaf layers: "3×3 conv, 64, stride 2"; empty for blocks

    @property
    def text(self) -> str:
        name = self.detail or self.type
        return name if self.count == 1 else f"{name} × {self.count}"


@dataclass(frozen=True)
class Stage:
    """One stage of the main path, with its totals."""

    index: int
    name: str                         # "stem", "layer1", "56×56", "head"
    resolution: tuple[int, ...] | None  # spatial size of the stage output; None for the head
    channels: int | None              # channels (or features, for the head) of the output
    node_ids: tuple[str, ...]
    params: int
    macs: int
    flops: int
    activation_bytes: int
    blocks: tuple[BlockRun, ...]
    modules: tuple[str, ...] = ()     # paths of the whole modules grouped into this stage

    @property
    def is_head(self) -> bool:
        return self.name == HEAD

    @property
    def size_label(self) -> str:
        """"56×56"; a head reports its feature count ("1000-d")."""
        if self.resolution is None:
            return f"{self.channels}-d" if self.channels is not None else "—"
        return fmt_shape(self.resolution)


@dataclass
class _Unit:
    key: str                  # module path, or node id for a single node
    module: str | None        # module path when the unit is a whole module
    nodes: list[Node]


def _spatial(shape: Shape | None) -> tuple[int, ...] | None:
    return tuple(shape[2:]) if shape is not None and len(shape) >= 3 else None


def _no_extent(res: tuple[int, ...] | None) -> bool:
    return res is None or all(s == 1 for s in res)


def _first(shapes: tuple[Shape, ...]) -> Shape | None:
    return shapes[0] if shapes else None


def _output(graph: Graph, unit: _Unit) -> Shape | None:
    info = graph.modules.get(unit.module) if unit.module else None
    if info is not None and info.output_shapes:
        return info.output_shapes[0]
    return _first(unit.nodes[-1].output_shapes)


def _input(graph: Graph, unit: _Unit) -> Shape | None:
    info = graph.modules.get(unit.module) if unit.module else None
    if info is not None and info.input_shapes:
        return info.input_shapes[0]
    return _first(unit.nodes[0].input_shapes)


def _children(nodes: list[Node], depth: int) -> list[_Unit]:
    """Split the nodes of a module at ``depth`` into its child modules and direct nodes."""
    units: dict[str, _Unit] = {}
    for node in nodes:
        if len(node.scope) > depth:
            key, module = node.scope[depth], node.scope[depth]
        else:
            key, module = f"\0{node.id}", None
        unit = units.get(key)
        if unit is None:
            unit = units[key] = _Unit(module or node.id, module, [])
        unit.nodes.append(node)
    return list(units.values())


def _changes(graph: Graph, units: list[_Unit]) -> int:
    """How often the output resolution changes along ``units`` (ignoring 1×1 excursions
    such as the squeeze of an SE module)."""
    resolutions = [r for r in (_spatial(_output(graph, u)) for u in units) if not _no_extent(r)]
    return sum(1 for a, b in zip(resolutions, resolutions[1:]) if a != b)


def _units(graph: Graph, nodes: list[Node], depth: int) -> list[_Unit]:
    result: list[_Unit] = []
    for unit in _children(nodes, depth):
        if unit.module is not None:
            inner = _children(unit.nodes, depth + 1)
            if _changes(graph, inner) > 1:
                result.extend(_units(graph, unit.nodes, depth + 1))
                continue
        result.append(unit)
    return result


def _head_start(graph: Graph, units: list[_Unit]) -> int:
    """Index of the first head unit (``len(units)`` when there is no head)."""
    start = len(units)
    while start > 0 and _no_extent(_spatial(_output(graph, units[start - 1]))):
        start -= 1
    for i in range(start, len(units)):
        unit = units[i]
        out = _output(graph, unit)
        opens_head = (
            (out is not None and len(out) < 3)
            or _no_extent(_spatial(_input(graph, unit)))
            or unit.nodes[0].kind in _HEAD_KINDS
            or unit.nodes[0].op.startswith("adaptive")
        )
        if opens_head:
            return i
    return len(units)


def _dims(value: Any) -> tuple[int, ...]:
    if isinstance(value, (tuple, list)):
        return tuple(value)
    return (value,) if isinstance(value, int) else ()


def _leaf_detail(node: Node) -> str:
    """Paper-style text for a leaf layer: "7×7 conv, 64, stride 2", "3×3 max pool, stride 2"."""
    attrs = node.attrs
    kernel, stride = _dims(attrs.get("kernel_size")), _dims(attrs.get("stride"))
    k = fmt_shape(kernel)
    s = ""
    if any(v > 1 for v in stride):
        s = f", stride {stride[0]}" if len(set(stride)) == 1 else (
            ", stride " + fmt_shape(stride))
    if node.kind in _COMPUTE_KINDS - {OpKind.LINEAR.value, OpKind.MATMUL.value}:
        groups = attrs.get("groups", 1)
        what = {
            OpKind.DEPTHWISE.value: "dw conv",
            OpKind.GROUPED.value: f"conv (groups {groups})",
            OpKind.CONV_TRANSPOSE.value: "transposed conv",
        }.get(node.kind, "conv")
        return f"{k} {what}, {attrs.get('out_channels', '')}{s}"
    if node.kind == OpKind.LINEAR.value:
        return f"fc, {attrs.get('out_features', '')}"
    if node.kind == OpKind.POOL.value:
        kind = "max pool" if "max" in node.op else "avg pool"
        out = _spatial(_first(node.output_shapes))
        if "adaptive" in node.op and out is not None:
            if all(v == 1 for v in out):
                return f"global {kind}"
            return f"adaptive {kind} to " + fmt_shape(out)
        return f"{k} {kind}{s}" if k else kind
    return node.module_type or node.op


def _block_units(graph: Graph, units: list[_Unit]) -> list[tuple[str, str]]:
    """(type, detail) for each block of a stage, looking through generic containers."""
    items: list[tuple[str, str]] = []
    for unit in units:
        info = graph.modules.get(unit.module) if unit.module else None
        if info is not None and info.type in _CONTAINERS:
            items.extend(_block_units(graph, _children(unit.nodes, info.depth)))
        elif info is not None:
            items.append((info.type, ""))
        else:
            node = unit.nodes[0]
            if node.kind in _LISTED_KINDS:
                items.append((node.module_type or node.op, _leaf_detail(node)))
    return items


def _runs(items: list[tuple[str, str]]) -> tuple[BlockRun, ...]:
    runs: list[BlockRun] = []
    for type_, detail in items:
        if runs and (runs[-1].type, runs[-1].detail) == (type_, detail):
            runs[-1] = BlockRun(type_, runs[-1].count + 1, detail)
        else:
            runs.append(BlockRun(type_, 1, detail))
    return tuple(runs)


def _has_compute(unit: _Unit) -> bool:
    return any(n.kind in _COMPUTE_KINDS for n in unit.nodes)


def _name(units: list[_Unit], index: int, resolution: tuple[int, ...] | None,
          input_res: tuple[int, ...] | None) -> str:
    owners = [u for u in units if _has_compute(u)]
    if len(owners) == 1 and owners[0].module is not None:
        return owners[0].module
    label = fmt_shape(resolution) if resolution is not None else "—"
    if index == 0 and input_res is not None and resolution is not None and resolution != input_res:
        return STEM
    return label


def _stage(graph: Graph, index: int, name: str, units: list[_Unit],
           resolution: tuple[int, ...] | None) -> Stage:
    nodes = [n for u in units for n in u.nodes]
    out = _output(graph, units[-1])
    channels = (out[1] if len(out) >= 3 else out[-1]) if out else None
    return Stage(
        index=index,
        name=name,
        resolution=resolution,
        channels=channels,
        node_ids=tuple(n.id for n in nodes),
        params=sum(n.params for n in nodes),
        macs=sum(n.macs for n in nodes),
        flops=sum(n.flops for n in nodes),
        activation_bytes=sum(n.activation_bytes for n in nodes),
        blocks=_runs(_block_units(graph, units)),
        modules=tuple(u.module for u in units if u.module is not None),
    )


def stages(graph: Graph) -> list[Stage]:
    """Group every traced node (inputs/outputs aside) into stages along the main path.

    Every node lands in exactly one stage, so stage totals add up to the trace totals.
    """
    nodes = [n for n in graph.nodes if n.op not in ("input", "output")]
    if not nodes:
        return []
    units = _units(graph, nodes, 0)
    head_at = _head_start(graph, units)
    body, head = units[:head_at], units[head_at:]

    groups: list[tuple[tuple[int, ...] | None, list[_Unit]]] = []
    pending: list[_Unit] = []  # units without spatial output before any spatial one
    for unit in body:
        res = _spatial(_output(graph, unit))
        if res is None:
            (groups[-1][1] if groups else pending).append(unit)
        elif groups and groups[-1][0] == res:
            groups[-1][1].append(unit)
        else:
            groups.append((res, pending + [unit]))
            pending = []
    head = pending + head

    input_res = _spatial(graph.input_shapes[0]) if graph.input_shapes else None
    result: list[Stage] = []
    seen: dict[str, int] = {}
    for i, (res, group) in enumerate(groups):
        name = _name(group, i, res, input_res)
        seen[name] = seen.get(name, 0) + 1
        if seen[name] > 1:
            name = f"{name} ({seen[name]})"
        result.append(_stage(graph, i, name, group, res))
    if head:
        result.append(_stage(graph, len(groups), HEAD, head, None))
    return result


def stage_of(graph: Graph) -> dict[str, str]:
    """Node id → stage name, for colouring layers by stage."""
    return {node_id: s.name for s in stages(graph) for node_id in s.node_ids}


def stage_rows(graph: Graph) -> list[dict[str, Any]]:
    """Plain rows (one per stage) for a table or a DataFrame."""
    return [
        {
            "stage": s.name, "output_size": s.size_label, "channels": s.channels,
            "blocks": "; ".join(b.text for b in s.blocks), "layers": len(s.node_ids),
            "params": s.params, "macs": s.macs, "flops": s.flops,
            "activation_bytes": s.activation_bytes,
        }
        for s in stages(graph)
    ]
