"""Memory traffic and arithmetic intensity per layer, and where a device's roofline puts them.

ShuffleNet V2's lesson is that FLOPs are not speed: a layer that moves many bytes per FLOP is
limited by memory bandwidth, not by arithmetic. This view counts, for every traced node, the
bytes an unfused inference kernel must move at the trace's dtype:

* **read** = its input tensors + its weights (the module's parameters and buffers, read again
  on every call of a reused module);
* **written** = its output tensors;
* **views are free**: view/reshape/flatten/squeeze/permute/transpose/split/chunk/slicing,
  identity and inference dropout move no bytes; a channel shuffle (which must be made
  contiguous) and ``cat`` copy their inputs.

Arithmetic intensity = vizcnn FLOPs (2 × MACs + elementwise, see ``costs.py``) per byte moved.
On a roofline with peak ``P`` FLOP/s and bandwidth ``B`` byte/s a layer is **memory-bound**
when its intensity is below the ridge point ``P / B``; its best-case time is
``max(FLOPs / P, bytes / B)``. This is a model of unfused kernels (no cache reuse between
layers, no operator fusion), stated as such wherever it is shown.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from typing import Any, Mapping

from vizcnn.errors import VizcnnError
from vizcnn.graph import Graph, Node, OpKind

DTYPE_BYTES: dict[str, int] = {
    "float64": 8, "float32": 4, "float16": 2, "bfloat16": 2, "int8": 1, "uint8": 1,
    "float8_e4m3fn": 1, "float8_e5m2": 1,
}
_FREE_OPS = {"view", "flatten", "squeeze", "unsqueeze", "permute", "transpose", "chunk",
             "split", "getitem", "identity", "dropout"}


@dataclass(frozen=True)
class Device:
    """A roofline: peak arithmetic rate and memory bandwidth (editable; presets below)."""

    name: str
    peak_flops: float        # FLOP/s
    bandwidth: float         # byte/s
    note: str = ""

    def __post_init__(self) -> None:
        if not (self.peak_flops > 0 and self.bandwidth > 0):
            raise VizcnnError(f"device {self.name!r}: peak FLOP/s and bandwidth must be "
                              f"positive, got {self.peak_flops!r} and {self.bandwidth!r}")

    @property
    def ridge(self) -> float:
        """FLOPs per byte above which a layer is compute-bound."""
        return self.peak_flops / self.bandwidth


# Vendor peak figures (FP32, no tensor cores / matrix units; theoretical, not measured).
DEVICE_PRESETS: dict[str, Device] = {d.name: d for d in (
    Device("NVIDIA A100 40GB", 19.5e12, 1555e9, "FP32 (no tensor cores), HBM2e; NVIDIA datasheet"),
    Device("NVIDIA T4", 8.1e12, 320e9, "FP32, GDDR6; NVIDIA datasheet"),
    Device("NVIDIA RTX 4090", 82.6e12, 1008e9, "FP32, GDDR6X; NVIDIA spec page"),
    Device("Apple M1 (GPU)", 2.6e12, 68.25e9, "FP32 GPU, LPDDR4X-4266; Apple"),
    Device("Raspberry Pi 4", 48e9, 12.8e9,
           "4 × Cortex-A72 at 1.5 GHz, 8 FP32 FLOP/cycle (NEON FMA); LPDDR4-3200 32-bit"),
)}


@dataclass(frozen=True)
class LayerTraffic:
    """One node's bytes and intensity (bytes at ``bytes_per_element``)."""

    node_id: str
    path: str
    kind: str
    module_type: str
    flops: int
    macs: int
    input_bytes: int
    weight_bytes: int
    output_bytes: int

    @property
    def read_bytes(self) -> int:
        return self.input_bytes + self.weight_bytes

    @property
    def bytes(self) -> int:
        return self.read_bytes + self.output_bytes

    @property
    def intensity(self) -> float:
        """FLOPs per byte moved (0 for a layer that moves nothing)."""
        return self.flops / self.bytes if self.bytes else 0.0


def bytes_per_element(graph: Graph, dtype: str | None = None) -> int:
    """Element size of ``dtype`` (default: the dtype the graph was traced with)."""
    name = dtype or (graph.spec.dtype if graph.spec is not None else None) or (
        graph.edges[0].dtype if graph.edges else "float32")
    name = name.replace("torch.", "")
    if name not in DTYPE_BYTES:
        raise VizcnnError(f"unknown dtype {name!r}; known: {', '.join(DTYPE_BYTES)}")
    return DTYPE_BYTES[name]


def _numel(shape: tuple[int, ...]) -> int:
    return math.prod(shape)


def _moves_nothing(node: Node) -> bool:
    return node.op in _FREE_OPS and node.kind != OpKind.SHUFFLE.value


def layer_traffic(graph: Graph, dtype: str | None = None) -> list[LayerTraffic]:
    """Bytes read and written and FLOPs per byte for every traced node (inputs/outputs
    excluded), at ``dtype`` (default: the trace's)."""
    size = bytes_per_element(graph, dtype)
    weights: dict[str, int] = {}
    for node in graph.nodes:    # a module's parameters and buffers, for every call of it
        if node.module_type and node.path not in weights:
            weights[node.path] = node.params + node.buffers
    rows = []
    for node in graph.nodes:
        if node.op in ("input", "output"):
            continue
        if _moves_nothing(node):
            inputs = weight = outputs = 0
        else:
            inputs = sum(_numel(s) for s in node.input_shapes)
            weight = weights.get(node.path, 0) if node.module_type else node.params + node.buffers
            outputs = sum(_numel(s) for s in node.output_shapes)
        rows.append(LayerTraffic(node.id, node.path, node.kind, node.module_type, node.flops,
                                 node.macs, inputs * size, weight * size, outputs * size))
    return rows


@dataclass(frozen=True)
class RooflinePoint:
    layer: LayerTraffic
    attainable: float        # FLOP/s the roofline allows at this intensity
    time: float              # best-case seconds: max(FLOPs / peak, bytes / bandwidth)
    memory_bound: bool


def roofline(rows: list[LayerTraffic], device: Device) -> list[RooflinePoint]:
    """Where each layer sits on ``device``'s roofline (layers that move nothing are left out)."""
    points = []
    for row in rows:
        if not row.bytes:
            continue
        attainable = min(device.peak_flops, row.intensity * device.bandwidth)
        time = max(row.flops / device.peak_flops, row.bytes / device.bandwidth)
        points.append(RooflinePoint(row, attainable, time, row.intensity < device.ridge))
    return points


def block_of(node_path: str, scope: tuple[str, ...], depth: int) -> str:
    """The module at ``depth`` holding a node (the node's own path when it is shallower)."""
    return scope[depth - 1] if depth >= 1 and len(scope) >= depth else (node_path or "(model)")


def totals(rows: list[LayerTraffic], key_of: Mapping[str, str]) -> list[dict[str, Any]]:
    """Bytes and FLOPs summed per group (``key_of``: node id → block or stage name), in
    first-seen order, with each group's intensity."""
    sums: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0])
    for row in rows:
        cell = sums[key_of.get(row.node_id, row.path or row.node_id)]
        cell[0] += row.flops
        cell[1] += row.input_bytes
        cell[2] += row.weight_bytes
        cell[3] += row.output_bytes
        cell[4] += 1
    return [{"group": key, "layers": n, "flops": f, "input_bytes": i, "weight_bytes": w,
             "output_bytes": o, "bytes": i + w + o,
             "flops_per_byte": round(f / (i + w + o), 3) if i + w + o else 0.0}
            for key, (f, i, w, o, n) in sums.items()]


def block_totals(graph: Graph, rows: list[LayerTraffic], depth: int = 1) -> list[dict[str, Any]]:
    """:func:`totals` per module at ``depth`` (``layer1``, ``features.3``...)."""
    by_id = {n.id: n for n in graph.nodes}
    return totals(rows, {r.node_id: block_of(by_id[r.node_id].path, by_id[r.node_id].scope, depth)
                         for r in rows})


def traffic_rows(rows: list[LayerTraffic], device: Device | None = None) -> list[dict[str, Any]]:
    """Plain rows for a table: one per layer, with the roofline verdict when a device is given."""
    points = {p.layer.node_id: p for p in roofline(rows, device)} if device else {}
    out = []
    for row in rows:
        item: dict[str, Any] = {
            "layer": row.node_id, "kind": row.kind, "type": row.module_type, "macs": row.macs,
            "flops": row.flops, "input_bytes": row.input_bytes,
            "weight_bytes": row.weight_bytes, "output_bytes": row.output_bytes,
            "bytes": row.bytes, "flops_per_byte": round(row.intensity, 3)}
        if device is not None:
            point = points.get(row.node_id)
            item["bound"] = "" if point is None else (
                "memory" if point.memory_bound else "compute")
            item["best_time_us"] = round(point.time * 1e6, 3) if point else 0.0
        out.append(item)
    return out


def memory_bound_share(points: list[RooflinePoint]) -> dict[str, float]:
    """Share of FLOPs and of best-case time in memory-bound layers."""
    flops = sum(p.layer.flops for p in points)
    time = sum(p.time for p in points)
    mem_flops = sum(p.layer.flops for p in points if p.memory_bound)
    mem_time = sum(p.time for p in points if p.memory_bound)
    return {"flops": mem_flops / flops if flops else 0.0, "time": mem_time / time if time else 0.0}
