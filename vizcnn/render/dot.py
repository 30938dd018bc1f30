"""The layer graph as Graphviz DOT text: boxes coloured by op kind, open blocks as frames.

``to_dot(trace, GraphOptions(depth=2))`` collapses the trace (see
:mod:`vizcnn.views.collapse`) and writes DOT that makes the seed's ideas visible: Inception
branches side by side meeting in the concat, residual shortcuts drawn apart from the main
path, the SE squeeze path returning into its multiply, channel shuffle and Ghost concat as
ops of their own, and the model card's key blocks outlined. Layout attributes are chosen by
graph size so that even DenseNet's dense skip connections lay out in well under two seconds
(see ``bench/bench_render.py``).
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from enum import Enum
from typing import Iterable, Sequence

from vizcnn.errors import VizcnnError
from vizcnn.graph import Graph, Node, Shape
from vizcnn.views.collapse import Arrow, Box, BoxKind, CollapsedGraph, collapse


class Direction(str, Enum):
    """Which way the data flows on the page."""

    TB = "TB"   # top to bottom
    LR = "LR"   # left to right


@dataclass(frozen=True)
class GraphOptions:
    """View options of the layer graph (trace options stay with :func:`vizcnn.trace`).

    Attributes:
        depth: module nesting drawn open; modules at this depth are single boxes (None: all).
        expand: module paths opened fully whatever the depth.
        fold_repeats: fold runs of identical consecutive blocks into one ×N box.
        direction: top-down or left-right.
        highlight_key_blocks: outline the model card's key blocks and name their idea.
        show_shapes: write tensor shapes (without batch) on the arrows.
        legend: add a legend of the op-kind colours.
    """

    depth: int | None = 2
    expand: tuple[str, ...] = ()
    fold_repeats: bool = True
    direction: Direction = Direction.TB
    highlight_key_blocks: bool = True
    show_shapes: bool = True
    legend: bool = True

    def __post_init__(self) -> None:
        if isinstance(self.expand, str):
            object.__setattr__(self, "expand", (self.expand,))
        object.__setattr__(self, "expand", tuple(self.expand))
        try:
            object.__setattr__(self, "direction", Direction(self.direction))
        except ValueError:
            raise VizcnnError(
                f"direction must be one of {[d.value for d in Direction]}, "
                f"got {self.direction!r}") from None


# --- colours ---------------------------------------------------------------------------------
# ColorBrewer Set3-like pastels: distinct from each other, dark text stays readable on all.
KIND_COLOURS: dict[str, str] = {
    "conv": "#80b1d3",
    "conv_transpose": "#80b1d3",
    "pointwise_conv": "#c6dbef",
    "depthwise_conv": "#8dd3c7",
    "grouped_conv": "#c9a0dc",
    "norm": "#ffffb3",
    "activation": "#fdb462",
    "pool": "#b3de69",
    "linear": "#fccde5",
    "matmul": "#fccde5",
    "add": "#fb8072",
    "mul": "#fb8072",
    "concat": "#fb8072",
    "split": "#fb8072",
    "reshape": "#d4cbe8",
    "shuffle": "#d4cbe8",
    "io": "#d9d9d9",
    "dropout": "#ffffff",
    "other": "#ffffff",
    "block": "#eef2f7",
}

_LEGEND: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("dense conv", ("conv", "conv_transpose")),
    ("pointwise 1×1 conv", ("pointwise_conv",)),
    ("depthwise conv", ("depthwise_conv",)),
    ("grouped conv", ("grouped_conv",)),
    ("normalisation", ("norm",)),
    ("activation", ("activation",)),
    ("pooling", ("pool",)),
    ("linear / matmul", ("linear", "matmul")),
    ("add / mul / concat / split", ("add", "mul", "concat", "split")),
    ("reshape / channel shuffle", ("reshape", "shuffle")),
    ("input / output", ("io",)),
    ("dropout / other", ("dropout", "other")),
    ("collapsed block", ("block",)),
)

KEY_COLOUR = "#d62728"        # outline of the model card's key blocks
SHORTCUT_COLOUR = "#1f5fa8"   # residual shortcuts (identity and downsample paths)
EDGE_COLOUR = "#555555"
FONT = "Helvetica,Arial,sans-serif"
SHORTCUT_NAMES = frozenset({"downsample", "shortcut", "skip", "identity"})


@dataclass(frozen=True)
class LegendItem:
    """One legend entry: a human label, its fill colour and the op kinds it covers."""

    label: str
    colour: str
    kinds: tuple[str, ...] = field(default=())


def legend_items(kinds: Iterable[str] | None = None) -> list[LegendItem]:
    """Legend entries, limited to those covering ``kinds`` when given (e.g. kinds in a graph)."""
    wanted = None if kinds is None else set(kinds)
    return [LegendItem(label, KIND_COLOURS[members[0]], members) for label, members in _LEGEND
            if wanted is None or wanted.intersection(members)]


# --- text ------------------------------------------------------------------------------------
def human(value: float) -> str:
    """Three significant digits with a unit: 1.2M, 4.09G, 960."""
    for unit, scale in (("T", 1e12), ("G", 1e9), ("M", 1e6), ("K", 1e3)):
        if abs(value) >= scale:
            return f"{value / scale:.3g}{unit}"
    return f"{value:.3g}" if isinstance(value, float) else str(value)


def shape_text(shape: Shape) -> str:
    """A tensor shape without its batch dimension: ``256×28×28``; ``1000`` for a vector."""
    dims = shape[1:] if len(shape) > 1 else shape
    return "×".join(str(d) for d in dims) or "scalar"


def _quote(text: str) -> str:
    """A DOT double-quoted string (ids, plain attributes)."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _h(text: str) -> str:
    """Text for an HTML-like label."""
    return html.escape(text, quote=False)


def _pair(value: object) -> str:
    if isinstance(value, (tuple, list)):
        if len(set(value)) == 1:
            value = value[0]
        else:
            return "×".join(str(v) for v in value)
    return str(value)


def _window(attrs: dict) -> str:
    """' 3×3 s2' from kernel/stride/dilation attributes (stride and dilation only if > 1)."""
    kernel = attrs.get("kernel_size")
    text = ""
    if kernel is not None:
        k = _pair(kernel)
        text = f" {k}×{k}" if "×" not in k else f" {k}"
    stride = attrs.get("stride")
    if stride is not None and _pair(stride) != "1":
        text += f" s{_pair(stride)}"
    dilation = attrs.get("dilation")
    if dilation is not None and _pair(dilation) != "1":
        text += f" d{_pair(dilation)}"
    return text


def op_summary(box: Box) -> str:
    """The op of a node box with its key attributes: ``conv 3×3 s2``, ``linear 2048→1000``."""
    attrs, kind = box.attrs, box.op_kind
    if kind in ("conv", "pointwise_conv", "depthwise_conv", "grouped_conv", "conv_transpose"):
        name = {"conv": "conv", "pointwise_conv": "conv", "depthwise_conv": "dw conv",
                "grouped_conv": "group conv", "conv_transpose": "deconv"}[kind]
        text = name + _window(attrs)
        if kind == "grouped_conv":
            text += f" g{attrs.get('groups')}"
        return text
    if kind == "linear" and "in_features" in attrs:
        return f"linear {attrs['in_features']} to {attrs['out_features']}"
    if box.op in ("max_pool", "avg_pool"):
        return box.op.replace("_", " ") + _window(attrs)
    if box.op.startswith("adaptive_") and "output_size" in attrs:
        size = _pair(attrs["output_size"])
        size = size if "×" in size else f"{size}×{size}"
        return f"adaptive {box.op[9:].replace('_', ' ')} to {size}"
    if kind == "shuffle":
        return "channel shuffle"
    if kind == "norm":
        return {"batch_norm": "batch norm", "layer_norm": "layer norm",
                "group_norm": "group norm"}.get(box.op, box.type or box.op)
    if box.type and box.type != box.op:
        return box.type
    return box.op


# --- layout attributes -----------------------------------------------------------------------
def layout_attrs(boxes: int, arrows: int, long_arrows: int) -> dict[str, str]:
    """Graph attributes that keep ``dot`` fast, scaled by graph size.

    ``dot`` spends nearly all its time on large graphs in network-simplex x-placement of the
    virtual nodes that long edges create (DenseNet-121 fully expanded: ≈99 s with defaults).
    Limiting those iterations (``nslimit``/``nslimit1``), the crossing-minimisation passes
    (``mclimit``, ``remincross``) and the simplex search size costs little on graphs this
    shaped (chains with skips) and brings that case under a second; small graphs keep the
    defaults and their slightly better placement. Measured in ``bench/bench_render.py``.
    """
    attrs: dict[str, str] = {}
    work = arrows + long_arrows
    if work > 150:
        attrs.update(nslimit="2", nslimit1="2", mclimit="0.5", remincross="false",
                     searchsize="20")
    if work > 600:
        attrs.update(nslimit="0.5", nslimit1="0.5", mclimit="0.2", searchsize="10")
    return attrs


# --- the DOT writer --------------------------------------------------------------------------
class _Writer:
    """Builds the DOT text for one collapsed graph."""

    def __init__(self, graph: Graph, cg: CollapsedGraph, options: GraphOptions) -> None:
        self.graph, self.cg, self.options = graph, cg, options
        self.nodes: dict[str, Node] = {n.id: n for n in graph.nodes}
        self.boxes: dict[str, Box] = {b.id: b for b in cg.boxes}
        self.ideas: dict[str, list[str]] = {}
        if options.highlight_key_blocks:
            for idea, cls in graph.key_blocks:
                self.ideas.setdefault(cls, []).append(idea.replace("_", " "))
        self.lines: list[str] = []

    # labels
    def _key_line(self, module_type: str) -> str:
        ideas = self.ideas.get(module_type)
        if not ideas:
            return ""
        return f'<br/><font color="{KEY_COLOUR}" point-size="10"><b>★ {_h(" · ".join(ideas))}</b></font>'

    def _cost_line(self, params: int, macs: int, repeat: int = 1) -> str:
        parts = []
        if repeat > 1:
            parts.append(f"{repeat} × ({human(params / repeat)} params · "
                         f"{human(macs / repeat)} MACs)")
        else:
            parts.append(f"{human(params)} params · {human(macs)} MACs")
        return f'<br/><font point-size="9" color="#333333">{_h(parts[0])}</font>'

    def _box_label(self, box: Box) -> str:
        if box.kind is BoxKind.NODE:
            summary = op_summary(box)
            text = f"<b>{_h(box.name)}</b>"
            if summary and summary != box.name:
                text += f'<br/><font point-size="10">{_h(summary)}</font>'
            return text + self._key_line(box.type)
        title = f"<b>{_h(box.name)}</b>"
        if box.repeat > 1:
            title += f' <font color="{KEY_COLOUR}"><b>×{box.repeat}</b></font>'
        text = f"{title}<br/>{_h(box.type)}"
        if box.output_shapes:
            out = ", ".join(shape_text(s) for s in box.output_shapes)
            text += f'<br/><font point-size="10">out {_h(out)}</font>'
        text += self._cost_line(box.params, box.macs, box.repeat)
        return text + self._key_line(box.type)

    def _tooltip(self, box: Box) -> str:
        ins = ", ".join(shape_text(s) for s in box.input_shapes)
        outs = ", ".join(shape_text(s) for s in box.output_shapes)
        head = box.id if box.kind is not BoxKind.FOLD else ", ".join(box.modules)
        return (f"{head} ({box.type})\nin: {ins}\nout: {outs}\n"
                f"params: {box.params:,}  MACs: {box.macs:,}  FLOPs: {box.flops:,}")

    # pieces
    def _is_shortcut_path(self, box: Box) -> bool:
        if box.kind is BoxKind.NODE:
            node = self.nodes[box.members[0]]
            parts = node.path.split(".") if node.path else []
        else:
            parts = box.modules[0].split(".")
        return any(p in SHORTCUT_NAMES for p in parts)

    def _arrow_role(self, arrow: Arrow) -> str:
        """'identity', 'shortcut' or '' (main path)."""
        src, dst = self.boxes[arrow.src], self.boxes[arrow.dst]
        if self._is_shortcut_path(src) or self._is_shortcut_path(dst):
            return "shortcut"
        if (dst.kind is BoxKind.NODE and dst.op == "add" and dst.cluster is not None
                and dst.cluster not in self.cg.cluster_chain(src.cluster)):
            return "identity"
        return ""

    def _node_line(self, box: Box, indent: str) -> str:
        attrs = {
            "label": f"<{self._box_label(box)}>",
            "fillcolor": _quote(KIND_COLOURS.get(box.op_kind, "#ffffff")),
            "tooltip": _quote(self._tooltip(box)),
        }
        if box.kind is not BoxKind.NODE:
            attrs["style"] = '"rounded,filled,bold"'
            attrs["margin"] = '"0.12,0.06"'
        if box.kind is BoxKind.FOLD:
            attrs["peripheries"] = "2"
        if box.op_kind == "io":
            attrs["shape"] = "oval"
        if box.type in self.ideas:
            attrs["color"] = _quote(KEY_COLOUR)
            attrs["penwidth"] = "3"
        body = ", ".join(f"{k}={v}" for k, v in attrs.items())
        return f"{indent}{_quote(box.id)} [{body}];"

    def _cluster_label(self, path: str) -> str:
        cluster = self.cg.clusters[path]
        text = f"<b>{_h(path)}</b>"
        if cluster.type and cluster.type not in ("Sequential", "ModuleList", "ModuleDict"):
            text += f" · {_h(cluster.type)}"
        text += self._cost_line(cluster.params, cluster.macs)
        return f"<{text}{self._key_line(cluster.type)}>"

    def _emit_cluster(self, path: str | None, children: dict[str | None, list],
                      indent: str) -> None:
        for _, item in children.get(path, []):
            if isinstance(item, Box):
                self.lines.append(self._node_line(item, indent))
                continue
            cluster = self.cg.clusters[item]
            shortcut = item.rsplit(".", 1)[-1] in SHORTCUT_NAMES
            key = cluster.type in self.ideas
            colour = KEY_COLOUR if key else SHORTCUT_COLOUR if shortcut else "#7f8c9a"
            style = "dashed,rounded" if shortcut else "rounded"
            self.lines.append(f"{indent}subgraph {_quote('cluster_' + item)} {{")
            inner = indent + "  "
            self.lines.append(
                f"{inner}label={self._cluster_label(item)}; style={_quote(style)}; "
                f"color={_quote(colour)}; penwidth={'2.5' if key else '1.2'}; "
                f"fontsize=11; labeljust=l;")
            self._emit_cluster(item, children, inner)
            self.lines.append(f"{indent}}}")

    def _edge_line(self, arrow: Arrow, labelled: bool) -> str:
        role = self._arrow_role(arrow)
        attrs: dict[str, str] = {}
        text = ""
        if self.options.show_shapes and labelled:
            text = ", ".join(shape_text(s) for s in arrow.shapes)
        if role:
            attrs.update(style="dashed", color=_quote(SHORTCUT_COLOUR), penwidth="1.6",
                         fontcolor=_quote(SHORTCUT_COLOUR), weight="0")
            if role == "identity":
                text = f"identity {text}".strip()
        if text:
            attrs["label"] = _quote(text)
        body = ", ".join(f"{k}={v}" for k, v in attrs.items())
        return f"  {_quote(arrow.src)} -> {_quote(arrow.dst)}" + (f" [{body}];" if body else ";")

    def _legend(self) -> None:
        kinds = {b.op_kind for b in self.cg.boxes}
        rows = "".join(
            f'<tr><td bgcolor="{item.colour}" width="18" border="1"> </td>'
            f'<td align="left">{_h(item.label)}</td></tr>'
            for item in legend_items(kinds))
        extra = ""
        if any(self._arrow_role(a) for a in self.cg.arrows):
            extra += (f'<tr><td><font color="{SHORTCUT_COLOUR}"><b>- - →</b></font></td>'
                      f'<td align="left">residual shortcut</td></tr>')
        if self.ideas and any(b.type in self.ideas for b in self.cg.boxes) or any(
                c.type in self.ideas for c in self.cg.clusters.values()):
            extra += (f'<tr><td><font color="{KEY_COLOUR}"><b>★</b></font></td>'
                      f'<td align="left">key block (model card)</td></tr>')
        self.lines += [
            '  subgraph "cluster_legend" {',
            '    label=<<b>legend</b>>; style="rounded"; color="#999999"; fontsize=11;',
            '    "legend" [shape=plaintext, style="", margin=0, fontsize=10, label=<'
            '<table border="0" cellspacing="2" cellpadding="2">'
            f'{rows}{extra}</table>>];',
            "  }",
        ]

    def write(self) -> str:
        graph, cg, options = self.graph, self.cg, self.options
        long_arrows = _long_arrows(cg)
        attrs = {
            "rankdir": options.direction.value, "newrank": "true", "fontname": _quote(FONT),
            "fontsize": "12", "nodesep": "0.25", "ranksep": "0.32", "labelloc": "t",
            "label": _quote(f"{graph.model} · {human(graph.params)} params · "
                            f"{human(graph.macs)} MACs (multiply-accumulates)"),
            **layout_attrs(len(cg.boxes), len(cg.arrows), long_arrows),
        }
        self.lines = [
            f"digraph {_quote(graph.model)} {{",
            "  graph [" + ", ".join(f"{k}={v}" for k, v in attrs.items()) + "];",
            f'  node [shape=box, style="rounded,filled", fontname={_quote(FONT)}, fontsize=11, '
            f'height=0.3, margin="0.08,0.04", color="#444444", penwidth=1];',
            f'  edge [fontname={_quote(FONT)}, fontsize=9, color="{EDGE_COLOUR}", '
            f'fontcolor="#333333", arrowsize=0.6];',
        ]
        children: dict[str | None, list] = {}
        position = {n.id: i for i, n in enumerate(graph.nodes)}
        for box in cg.boxes:
            children.setdefault(box.cluster, []).append((position[box.members[0]], box))
        first: dict[str, int] = {}
        for box in cg.boxes:
            for path in cg.cluster_chain(box.cluster):
                first[path] = min(first.get(path, position[box.members[0]]),
                                  position[box.members[0]])
        for path, cluster in cg.clusters.items():
            if path in first:
                children.setdefault(cluster.parent, []).append((first[path], path))
        for items in children.values():
            items.sort(key=lambda item: item[0])
        self._emit_cluster(None, children, "  ")
        labelled = _labelled_arrows(cg)
        for i, arrow in enumerate(cg.arrows):
            self.lines.append(self._edge_line(arrow, i in labelled))
        if options.legend:
            self._legend()
        self.lines.append("}")
        return "\n".join(self.lines) + "\n"


def _long_arrows(cg: CollapsedGraph) -> int:
    """Arrows that skip ahead more than a few boxes in execution order (dense skips)."""
    order = {b.id: i for i, b in enumerate(cg.boxes)}
    return sum(1 for a in cg.arrows if abs(order[a.dst] - order[a.src]) > 4)


def _labelled_arrows(cg: CollapsedGraph) -> set[int]:
    """Indices of arrows that get a shape label: every arrow, except that a tensor read by
    many consumers (DenseNet's concatenations) is labelled once, on its first arrow."""
    fan_out: dict[str, int] = {}
    for arrow in cg.arrows:
        fan_out[arrow.src] = fan_out.get(arrow.src, 0) + 1
    seen: set[str] = set()
    labelled: set[int] = set()
    for i, arrow in enumerate(cg.arrows):
        if fan_out[arrow.src] <= 4 or arrow.src not in seen:
            labelled.add(i)
        seen.add(arrow.src)
    return labelled


def to_dot(trace: Graph, options: GraphOptions | None = None) -> str:
    """Graphviz DOT text of the layer graph of ``trace`` as ``options`` ask."""
    options = options or GraphOptions()
    cg = collapse(trace, options.depth, options.expand, options.fold_repeats)
    return _Writer(trace, cg, options).write()


def collapsed(trace: Graph, options: GraphOptions) -> CollapsedGraph:
    """The collapsed graph ``to_dot`` draws for these options (for tests and other views)."""
    return collapse(trace, options.depth, options.expand, options.fold_repeats)


__all__ = [
    "Direction", "GraphOptions", "KIND_COLOURS", "LegendItem", "collapsed", "human",
    "layout_attrs", "legend_items", "op_summary", "shape_text", "to_dot",
]
