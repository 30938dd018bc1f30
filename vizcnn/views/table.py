"""The shape table: one row per layer, or per module when collapsed to a depth."""

from __future__ import annotations

from typing import Any

from vizcnn.graph import Graph, Node
from vizcnn.words import fmt_shape

COLUMNS = [
    "path", "type", "kind", "depth", "input_shape", "output_shape", "kernel", "stride",
    "padding", "groups", "params", "macs", "flops", "activation_bytes", "receptive_field",
    "effective_stride",
]


def _shape(shapes: tuple) -> str:
    return ", ".join(fmt_shape(s) for s in shapes)


def _hw(value: Any) -> str:
    if value is None or value == ():
        return ""
    if isinstance(value, str):
        return value
    return fmt_shape(value)


def _node_row(node: Node) -> dict[str, Any]:
    attrs = node.attrs
    return {
        "path": node.id,
        "type": node.module_type or node.op,
        "kind": node.kind,
        "depth": node.depth + (1 if node.module_type else 0),
        "input_shape": _shape(node.input_shapes),
        "output_shape": _shape(node.output_shapes),
        "kernel": _hw(attrs.get("kernel_size")),
        "stride": _hw(attrs.get("stride")),
        "padding": _hw(attrs.get("padding")),
        "groups": attrs.get("groups", ""),
        "params": node.params,
        "macs": node.macs,
        "flops": node.flops,
        "activation_bytes": node.activation_bytes,
        "receptive_field": node.receptive_field,
        "effective_stride": node.effective_stride,
    }


def group_key(node: Node, depth: int) -> str | None:
    """The module at ``depth`` that contains ``node``, or None if the node is that shallow."""
    return node.scope[depth - 1] if depth >= 1 and len(node.scope) >= depth else None


def layer_rows(graph: Graph, depth: int | None = None) -> list[dict[str, Any]]:
    """Rows for every traced node (inputs and outputs excluded), collapsed below ``depth``."""
    rows: list[dict[str, Any]] = []
    groups: dict[str, dict[str, Any]] = {}
    for node in graph.nodes:
        if node.op in ("input", "output"):
            continue
        key = group_key(node, depth) if depth is not None else None
        if key is None:
            rows.append(_node_row(node))
            continue
        row = groups.get(key)
        if row is None:
            info = graph.modules.get(key)
            row = groups[key] = {
                "path": key, "type": info.type if info else "", "kind": "block",
                "depth": depth, "input_shape": _shape(info.input_shapes) if info else "",
                "output_shape": _shape(info.output_shapes) if info else "",
                "kernel": "", "stride": "", "padding": "", "groups": "",
                "params": 0, "macs": 0, "flops": 0, "activation_bytes": 0,
                "receptive_field": None, "effective_stride": None,
            }
            rows.append(row)
        for field in ("params", "macs", "flops", "activation_bytes"):
            row[field] += getattr(node, field)
        if node.receptive_field is not None:
            row["receptive_field"] = node.receptive_field
            row["effective_stride"] = node.effective_stride
    return rows


def layer_table(graph: Graph, depth: int | None = None):
    """The rows as a pandas DataFrame (imported lazily: the core does not need pandas)."""
    import pandas as pd

    return pd.DataFrame(layer_rows(graph, depth), columns=COLUMNS)
