"""Cost aggregations of a trace: by op category, by module hierarchy, per layer, cumulative.

Pure functions returning plain rows; :mod:`vizcnn.render.charts` draws them. Every
aggregation partitions the traced nodes, so its values add up to the trace totals.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any

from vizcnn.graph import Graph, Node, OpKind
from vizcnn.words import Lang, tr
from vizcnn.views.structure import structure
from vizcnn.views.table import layer_rows


class Metric(str, Enum):
    """A per-node quantity to aggregate. MACs and FLOPs are different numbers: see costs.py."""

    MACS = "macs"
    FLOPS = "flops"
    PARAMS = "params"
    ACTIVATION_BYTES = "activation_bytes"

    @property
    def title(self) -> str:
        """Axis/hover title that says exactly what is counted (English)."""
        return self.label(Lang.EN)

    def label(self, lang: Lang | str = Lang.EN) -> str:
        """:attr:`title` in ``lang`` ("en" or "zh")."""
        return tr(lang, f"quantity.{self.value}")

    @property
    def is_bytes(self) -> bool:
        return self is Metric.ACTIVATION_BYTES

    def of(self, node: Node) -> int:
        return int(getattr(node, self.value))


class Category(str, Enum):
    """Op categories of the cost breakdown: the conv flavours the seed notes contrast
    (dense vs grouped vs depthwise vs pointwise), SE blocks as a whole, and the rest."""

    DENSE_CONV = "dense conv"
    GROUPED_CONV = "grouped conv"
    DEPTHWISE_CONV = "depthwise conv"
    POINTWISE_CONV = "pointwise conv (1×1)"
    TRANSPOSED_CONV = "transposed conv"
    LINEAR = "linear / matmul"
    SE = "SE (squeeze-excitation)"
    NORM = "norm"
    ACTIVATION = "activation"
    POOLING = "pooling"
    ELEMENTWISE = "elementwise (add, mul)"
    OTHER = "other (concat, reshape, ...)"

    def label(self, lang: Lang | str = Lang.EN) -> str:
        """The category's name in ``lang`` (the English name is the value)."""
        return tr(lang, f"category.{self.name.lower()}")


_BY_KIND = {
    OpKind.CONV.value: Category.DENSE_CONV,
    OpKind.GROUPED.value: Category.GROUPED_CONV,
    OpKind.DEPTHWISE.value: Category.DEPTHWISE_CONV,
    OpKind.POINTWISE.value: Category.POINTWISE_CONV,
    OpKind.CONV_TRANSPOSE.value: Category.TRANSPOSED_CONV,
    OpKind.LINEAR.value: Category.LINEAR,
    OpKind.MATMUL.value: Category.LINEAR,
    OpKind.NORM.value: Category.NORM,
    OpKind.ACTIVATION.value: Category.ACTIVATION,
    OpKind.POOL.value: Category.POOLING,
    OpKind.ADD.value: Category.ELEMENTWISE,
    OpKind.MUL.value: Category.ELEMENTWISE,
}

ROOT_ID = "(model)"
OWN_OPS = "(own ops)"


def _counted(graph: Graph) -> list[Node]:
    return [n for n in graph.nodes if n.op not in ("input", "output")]


def se_modules(graph: Graph) -> set[str]:
    """Paths of squeeze-and-excitation modules, as :mod:`vizcnn.views.structure` finds them
    on the edges (x → global pool → … → gate, multiplied back onto x)."""
    return set(structure(graph).se)


def categorize(node: Node, se: set[str]) -> Category:
    """The breakdown category of one node (``se`` from :func:`se_modules`)."""
    if any(path in se for path in node.scope):
        return Category.SE
    return _BY_KIND.get(node.kind, Category.OTHER)


def categories(graph: Graph) -> dict[str, Category]:
    """Node id → category for every counted node."""
    se = se_modules(graph)
    return {n.id: categorize(n, se) for n in _counted(graph)}


@dataclass(frozen=True)
class CategoryCost:
    category: Category
    layers: int
    params: int
    macs: int
    flops: int
    activation_bytes: int

    def value(self, metric: Metric) -> int:
        return int(getattr(self, Metric(metric).value))


def by_category(graph: Graph) -> list[CategoryCost]:
    """Totals per op category (categories with no node left out), in :class:`Category` order."""
    cats = categories(graph)
    sums: dict[Category, list[int]] = {}
    for node in _counted(graph):
        row = sums.setdefault(cats[node.id], [0, 0, 0, 0, 0])
        row[0] += 1
        row[1] += node.params
        row[2] += node.macs
        row[3] += node.flops
        row[4] += node.activation_bytes
    return [CategoryCost(c, *sums[c]) for c in Category if c in sums]


@dataclass(frozen=True)
class HierarchyRow:
    """One box of a treemap/sunburst: ids are unique, parents' values sum their children."""

    id: str
    parent: str          # "" for the root
    label: str
    value: int
    type: str            # module class, leaf op type, or "" for grouping rows


def hierarchy_rows(graph: Graph, metric: Metric = Metric.MACS, max_depth: int | None = None,
                   drop_zero: bool = True) -> list[HierarchyRow]:
    """The module hierarchy as rows for Plotly's treemap/sunburst (``branchvalues="total"``).

    Leaves are the traced nodes; below ``max_depth`` module levels they are summed into the
    module at that depth. A module that has both child modules and functional ops of its own
    (the ``add`` of a residual block) gets an "(own ops)" child holding those ops. Rows with
    value 0 are dropped unless ``drop_zero`` is False (a zero parent only has zero children).
    """
    metric = Metric(metric)
    if max_depth is not None and max_depth < 1:
        raise ValueError("max_depth counts module levels below the model and must be >= 1")
    nodes = _counted(graph)
    module_parent: dict[str, str] = {}
    for node in nodes:
        for i, path in enumerate(node.scope[:max_depth] if max_depth else node.scope):
            module_parent.setdefault(path, node.scope[i - 1] if i else ROOT_ID)

    # Leaves: (id, parent, label, type, value); functional ops wait for the own-ops check.
    leaves: dict[str, list[Any]] = {}
    has_child_module: set[str] = set(module_parent.values())
    functional: list[tuple[Node, str]] = []
    for node in nodes:
        if max_depth is not None and len(node.scope) >= max_depth:
            path = node.scope[max_depth - 1]
            leaf = leaves.setdefault(path, [path, module_parent[path], _short(path),
                                            _type(graph, path), 0])
            leaf[4] += metric.of(node)
            continue
        parent = node.scope[-1] if node.scope else ROOT_ID
        if node.module_type:
            has_child_module.add(parent)
            leaf_id = node.id if node.id not in module_parent else f"{node.id} (call)"
            label = f"{node.label}: {node.module_type}" if node.label.isdigit() else node.label
            leaves[leaf_id] = [leaf_id, parent, label, node.module_type, metric.of(node)]
        else:
            functional.append((node, parent))
    for node, parent in functional:
        if parent in has_child_module:
            group = f"{'' if parent == ROOT_ID else parent}/{OWN_OPS}"
            leaves.setdefault(group, [group, parent, OWN_OPS, "", 0])[4] += metric.of(node)
            leaf_parent = group
        else:
            leaf_parent = parent
        leaves[f"{node.id}"] = [node.id, leaf_parent, node.label, node.op, metric.of(node)]

    # Own-ops groups are parents of their ops: don't count them twice.
    totals: dict[str, int] = {}
    groups = {k for k, v in leaves.items() if v[2] == OWN_OPS}
    for key, (_, parent, _, _, value) in leaves.items():
        if key in groups:
            continue
        target = parent
        if target in groups:
            target = leaves[target][1]
        while target != ROOT_ID:
            totals[target] = totals.get(target, 0) + value
            target = module_parent[target]
        totals[ROOT_ID] = totals.get(ROOT_ID, 0) + value

    rows = [HierarchyRow(ROOT_ID, "", graph.model, totals.get(ROOT_ID, 0), graph.model)]
    rows += [HierarchyRow(path, parent, _short(path), totals.get(path, 0), _type(graph, path))
             for path, parent in module_parent.items() if path not in leaves]
    rows += [HierarchyRow(i, p, label, value, type_) for i, p, label, type_, value
             in leaves.values()]
    if drop_zero:
        rows = [r for r in rows if r.value > 0 or r.id == ROOT_ID]
    return rows


def merge_single_children(rows: list[HierarchyRow]) -> list[HierarchyRow]:
    """Fold a box whose only child has children of its own into that child
    ("features.12 › block"), so pass-through wrappers don't use up a level of a treemap.
    Leaves, values and the root are kept; the folded box keeps the outer id."""
    kids: dict[str, list[HierarchyRow]] = {}
    for row in rows:
        kids.setdefault(row.parent, []).append(row)
    out: list[HierarchyRow] = [rows[0]]

    def visit(row: HierarchyRow, parent: str) -> None:
        inner, label = row, row.label
        while len(kids.get(inner.id, [])) == 1 and kids.get(kids[inner.id][0].id):
            inner = kids[inner.id][0]
            label = f"{label} › {inner.label}"
        out.append(HierarchyRow(row.id, parent, label, row.value, row.type))
        for child in kids.get(inner.id, []):
            visit(child, row.id)

    for child in kids.get(rows[0].id, []):
        visit(child, rows[0].id)
    return out


def _short(path: str) -> str:
    """Last path component; numbered children keep their parent's name ("layer3.0")."""
    parts = path.split(".")
    return ".".join(parts[-2:]) if parts[-1].isdigit() and len(parts) > 1 else parts[-1]


def _type(graph: Graph, path: str) -> str:
    info = graph.modules.get(path)
    return info.type if info else ""


def layer_costs(graph: Graph) -> list[dict[str, Any]]:
    """The shape-table rows (:func:`vizcnn.views.table.layer_rows`) plus execution index,
    node label and breakdown category, for per-layer charts."""
    cats = categories(graph)
    nodes = _counted(graph)
    rows = layer_rows(graph)
    return [
        {**row, "index": i, "id": node.id, "label": node.label, "category": cats[node.id]}
        for i, (node, row) in enumerate(zip(nodes, rows))
    ]


@dataclass(frozen=True)
class CumulativePoint:
    index: int        # position in execution order (0 = first counted node)
    id: str
    macs: int
    params: int
    flops: int
    cum_macs: int
    cum_params: int
    cum_flops: int


def cumulative(graph: Graph) -> list[CumulativePoint]:
    """Running totals of MACs, params and FLOPs along execution order (the last point holds
    the trace totals)."""
    points: list[CumulativePoint] = []
    macs = params = flops = 0
    for i, node in enumerate(_counted(graph)):
        macs += node.macs
        params += node.params
        flops += node.flops
        points.append(CumulativePoint(i, node.id, node.macs, node.params, node.flops,
                                      macs, params, flops))
    return points


def total_activation_bytes(graph: Graph) -> int:
    """Bytes of every op output plus the inputs: what a training step keeps for backward,
    roughly (in-place ops and views are counted as new tensors)."""
    return sum(n.activation_bytes for n in graph.nodes if n.op != "output")


def peak_activation_bytes(graph: Graph) -> int:
    """Peak bytes of live tensors in an inference pass that frees each output after its last
    consumer runs (in execution order; in-place ops and views counted as new tensors)."""
    order = {n.id: i for i, n in enumerate(graph.nodes)}
    last_use = {n.id: order[n.id] for n in graph.nodes}
    for edge in graph.edges:
        if edge.src in last_use and edge.dst in order:
            last_use[edge.src] = max(last_use[edge.src], order[edge.dst])
    change = [0] * (len(graph.nodes) + 1)
    for node in graph.nodes:
        change[order[node.id]] += node.activation_bytes
        change[last_use[node.id] + 1] -= node.activation_bytes
    peak = live = 0
    for delta in change:
        live += delta
        peak = max(peak, live)
    return peak
