"""The layer graph as Graphviz DOT text: boxes coloured by op kind, open blocks as frames.

``to_dot(trace, GraphOptions(depth=2))`` collapses the trace (see
:mod:`vizcnn.views.collapse`) and writes DOT that makes the seed's ideas visible: Inception
branches side by side meeting in the concat, residual shortcuts drawn apart from the main
path, the SE squeeze path returning into its multiply, channel shuffle and Ghost concat as
ops of their own, and the model card's key blocks outlined. Layout attributes are chosen by
graph size so that even DenseNet's dense skip connections lay out in well under two seconds
(see ``bench/bench_render.py``). ``GraphOptions(lang="zh")`` writes the title, legend, costs and
op words in Chinese (see :mod:`vizcnn.words.figures`) with a CJK font in the font list.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from enum import Enum
from typing import Iterable

from vizcnn.errors import VizcnnError
from vizcnn.graph import Graph, Node, Shape
from vizcnn.words import Lang, as_lang, fmt_shape, has_words, human, tr
from vizcnn.views.collapse import Arrow, Box, BoxKind, CollapsedGraph, collapse
from vizcnn.views.structure import structure


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
        lang: language of the words in the drawing ("en" or "zh"); names from the code
            (module paths, class names) stay as they are.
    """

    depth: int | None = 2
    expand: tuple[str, ...] = ()
    fold_repeats: bool = True
    direction: Direction = Direction.TB
    highlight_key_blocks: bool = True
    show_shapes: bool = True
    legend: bool = True
    lang: Lang = Lang.EN

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
        object.__setattr__(self, "lang", as_lang(self.lang))


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

# Legend rows: the op kinds sharing a colour; the row's text is the label "legend.<first kind>".
_LEGEND: tuple[tuple[str, ...], ...] = (
    ("conv", "conv_transpose"),
    ("pointwise_conv",),
    ("depthwise_conv",),
    ("grouped_conv",),
    ("norm",),
    ("activation",),
    ("pool",),
    ("linear", "matmul"),
    ("add", "mul", "concat", "split"),
    ("reshape", "shuffle"),
    ("io",),
    ("dropout", "other"),
    ("block",),
)

KEY_COLOUR = "#d62728"        # outline of the model card's key blocks
SHORTCUT_COLOUR = "#1f5fa8"   # residual shortcuts (identity and downsample paths)
EDGE_COLOUR = "#555555"
FONT = "Helvetica,Arial,sans-serif"
# Chinese needs a CJK font: Debian's fonts-noto-cjk for PNG/PDF, the reader's own for SVG.
FONT_CJK = "Helvetica,Arial,Noto Sans CJK SC,PingFang SC,Microsoft YaHei,sans-serif"
FONTS: dict[Lang, str] = {Lang.EN: FONT, Lang.ZH: FONT_CJK}


@dataclass(frozen=True)
class LegendItem:
    """One legend entry: a human label, its fill colour and the op kinds it covers."""

    label: str
    colour: str
    kinds: tuple[str, ...] = field(default=())


def legend_items(kinds: Iterable[str] | None = None, lang: Lang | str = Lang.EN
                 ) -> list[LegendItem]:
    """Legend entries in ``lang``, limited to those covering ``kinds`` when given (e.g. the
    kinds in a graph)."""
    wanted = None if kinds is None else set(kinds)
    return [LegendItem(tr(lang, f"legend.{members[0]}"), KIND_COLOURS[members[0]], members)
            for members in _LEGEND if wanted is None or wanted.intersection(members)]


# --- text ------------------------------------------------------------------------------------
def shape_text(shape: Shape) -> str:
    """A tensor shape without its batch dimension: ``256×28×28``; ``1000`` for a vector."""
    return fmt_shape(shape, batch=False)


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
            return fmt_shape(value)
    return str(value)


def _window(attrs: dict, lang: Lang = Lang.EN) -> str:
    """' 3×3 s2' from kernel/stride/dilation attributes (stride and dilation only if > 1)."""
    kernel = attrs.get("kernel_size")
    text = ""
    if kernel is not None:
        k = _pair(kernel)
        text = f" {k}×{k}" if "×" not in k else f" {k}"
    stride = attrs.get("stride")
    if stride is not None and _pair(stride) != "1":
        text += tr(lang, "op.stride", stride=_pair(stride))
    dilation = attrs.get("dilation")
    if dilation is not None and _pair(dilation) != "1":
        text += tr(lang, "op.dilation", dilation=_pair(dilation))
    return text


_CONV_WORDS = {"conv": "op.conv", "pointwise_conv": "op.conv",
               "depthwise_conv": "op.depthwise_conv", "grouped_conv": "op.grouped_conv",
               "conv_transpose": "op.conv_transpose"}


def op_summary(box: Box, lang: Lang | str = Lang.EN) -> str:
    """The op of a node box with its key attributes: ``conv 3×3 s2``, ``linear 2048 to 1000``
    (``卷积 3×3 步长2``, ``全连接 2048→1000`` in Chinese)."""
    attrs, kind, lang = box.attrs, box.op_kind, as_lang(lang)
    if kind in _CONV_WORDS:
        text = tr(lang, _CONV_WORDS[kind]) + _window(attrs, lang)
        if kind == "grouped_conv":
            text += tr(lang, "op.groups", groups=attrs.get("groups"))
        return text
    if kind == "linear" and "in_features" in attrs:
        return tr(lang, "op.linear", inputs=attrs["in_features"],
                  outputs=attrs["out_features"])
    if kind == "pool" and "kernel_size" in attrs:   # a windowed (max or average) pool
        return tr(lang, f"op.{box.op}") + _window(attrs, lang)
    if box.op.startswith("adaptive_") and "output_size" in attrs:
        size = _pair(attrs["output_size"])
        size = size if "×" in size else f"{size}×{size}"
        pool = box.op[9:]
        pool = tr(lang, f"op.{pool}") if has_words(f"op.{pool}") else pool.replace("_", " ")
        return tr(lang, "op.adaptive", pool=pool, size=size)
    if kind == "shuffle":
        return tr(lang, "op.channel_shuffle")
    if kind == "norm":
        return tr(lang, f"op.{box.op}") if has_words(f"op.{box.op}") else box.type or box.op
    if box.type and box.type != box.op:
        return box.type
    return box.op


# --- layout ----------------------------------------------------------------------------------
def box_ranks(cg: CollapsedGraph) -> dict[str, int]:
    """Longest-path layering of the boxes over the arrows: what ``dot``'s ranking approximates,
    used to predict the layout work and to find the fan-outs worth bundling."""
    order = {b.id: i for i, b in enumerate(cg.boxes)}
    incoming: dict[str, list[str]] = {}
    for arrow in cg.arrows:
        if order[arrow.src] < order[arrow.dst]:   # a rare back arrow (interleaved modules)
            incoming.setdefault(arrow.dst, []).append(arrow.src)
    ranks: dict[str, int] = {}
    for box in cg.boxes:
        ranks[box.id] = max((ranks[s] + 1 for s in incoming.get(box.id, ())), default=0)
    return ranks


def layout_attrs(virtual_nodes: int) -> dict[str, str]:
    """Graph attributes that keep ``dot`` fast, scaled by the predicted layout work.

    ``dot`` spends nearly all its time on big graphs in crossing minimisation and
    network-simplex placement of the virtual nodes that long edges create: a DenseNet-121
    fully expanded, one edge per arrow with real labels, takes over 120 s with default
    attributes. The bus drawing of dense fan-outs and external labels (see ``_Writer``) take
    it to ~3,000 virtual nodes and ~0.3 s; past that, limiting the placement iterations
    (``nslimit``, ``nslimit1``), the simplex search size and the crossing passes costs little
    on chains with skips (the same graph with real labels, ~6,400 virtual nodes: 3.6 s with
    defaults, 1.1 s limited). Small graphs keep the defaults and their finer placement.
    Measured with ``bench/bench_render.py``.
    """
    if virtual_nodes <= 1500:
        return {}
    if virtual_nodes <= 6000:
        return {"nslimit": "4", "nslimit1": "4", "searchsize": "30"}
    return {"nslimit": "1", "nslimit1": "1", "searchsize": "10", "mclimit": "0.5",
            "remincross": "false"}


LABEL_LIMIT = 6000   # predicted virtual nodes above which shapes become external labels
BUS_MIN_RANKS = 3    # a tensor read at this many different ranks is drawn as a bus
SHAPE_CHANGES_ONLY = 150   # boxes above which only shape-changing arrows carry a label
LEGEND_ID = "vizcnn:legend"   # node id of the legend, unlike any module path


@dataclass
class _Line:
    """One DOT edge to write."""

    src: str
    dst: str
    attrs: dict[str, str]
    label: str = ""


# --- the DOT writer --------------------------------------------------------------------------
class _Writer:
    """Builds the DOT text for one collapsed graph."""

    def __init__(self, graph: Graph, cg: CollapsedGraph, options: GraphOptions) -> None:
        self.graph, self.cg, self.options = graph, cg, options
        self.lang = options.lang
        self.nodes: dict[str, Node] = {n.id: n for n in graph.nodes}
        self.boxes: dict[str, Box] = {b.id: b for b in cg.boxes}
        found = structure(graph)
        self.marks: dict[str, list[str]] = {}
        if options.highlight_key_blocks:
            self.marks = {place: [tr(self.lang, f"idea.{idea}") for idea in ideas]
                          for place, ideas in found.marks.items()}
        self.ranks = box_ranks(cg)
        self.shortcut_nodes = found.shortcut_nodes
        self.shortcuts = self._shortcut_modules()
        self.identity = {b.merge: b.identity_source for b in found.residual
                         if b.identity_source and self.nodes[b.merge].op == "add"}
        self.junctions: dict[str | None, list[str]] = {}   # cluster -> bus junction ids
        self.lines: list[str] = []

    # labels
    @staticmethod
    def _place(box: Box) -> str:
        """Where a box's key-block mark is looked up: its module, or its (leaf) node."""
        return box.members[0] if box.kind is BoxKind.NODE else box.modules[0]

    def _key_line(self, place: str) -> str:
        ideas = self.marks.get(place)
        if not ideas:
            return ""
        return (f'<br/><font color="{KEY_COLOUR}" point-size="10"><b>★ '
                f'{_h(" · ".join(ideas))}</b></font>')

    def _cost_line(self, params: int, macs: int, repeat: int = 1) -> str:
        if repeat > 1:
            text = tr(self.lang, "graph.cost_repeat", repeat=repeat,
                      params=human(params / repeat), macs=human(macs / repeat))
        else:
            text = tr(self.lang, "graph.cost", params=human(params), macs=human(macs))
        return f'<br/><font point-size="9" color="#333333">{_h(text)}</font>'

    def _box_label(self, box: Box) -> str:
        if box.kind is BoxKind.NODE:
            summary = op_summary(box, self.lang)
            text = f"<b>{_h(box.name)}</b>"
            if summary and summary != box.name:
                text += f'<br/><font point-size="10">{_h(summary)}</font>'
            return text + self._key_line(self._place(box))
        title = f"<b>{_h(box.name)}</b>"
        if box.repeat > 1:
            title += f' <font color="{KEY_COLOUR}"><b>×{box.repeat}</b></font>'
        text = f"{title}<br/>{_h(box.type)}"
        if box.output_shapes:
            out = tr(self.lang, "graph.out",
                     shapes=", ".join(shape_text(s) for s in box.output_shapes))
            text += f'<br/><font point-size="10">{_h(out)}</font>'
        text += self._cost_line(box.params, box.macs, box.repeat)
        return text + self._key_line(self._place(box))

    def _tooltip(self, box: Box) -> str:
        ins = ", ".join(shape_text(s) for s in box.input_shapes)
        outs = ", ".join(shape_text(s) for s in box.output_shapes)
        head = box.id if box.kind is not BoxKind.FOLD else ", ".join(box.modules)
        return tr(self.lang, "graph.tooltip", head=head, type=box.type, ins=ins, outs=outs,
                  params=f"{box.params:,}", macs=f"{box.macs:,}", flops=f"{box.flops:,}")

    # roles of arrows
    def _shortcut_modules(self) -> set[str]:
        """Modules that lie wholly on a projection or pooled shortcut (ResNet's
        ``downsample``), as :mod:`vizcnn.views.structure` found them on the edges. DarkNet's
        ``stage.downsample`` is a strided conv *on* the main path and is not one."""
        inside: dict[str, int] = {}
        short: dict[str, int] = {}
        for node in self.graph.nodes:
            for path in {*node.scope, node.path} - {""}:
                inside[path] = inside.get(path, 0) + 1
                if node.id in self.shortcut_nodes:
                    short[path] = short.get(path, 0) + 1
        return {p for p, n in short.items() if n == inside[p]}

    def _is_shortcut_box(self, box: Box) -> bool:
        return all(m in self.shortcut_nodes for m in box.members)

    def _arrow_role(self, arrow: Arrow) -> str:
        """'identity' (a residual identity shortcut into its add), 'shortcut' (into, along or
        out of a projection or pooled shortcut) or '' (the main path)."""
        src, dst = self.boxes[arrow.src], self.boxes[arrow.dst]
        if self._is_shortcut_box(src) or self._is_shortcut_box(dst):
            return "shortcut"
        if dst.kind is BoxKind.NODE and self.identity.get(dst.members[0]) in src.members:
            return "identity"
        return ""

    # nodes and clusters
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
        if self._place(box) in self.marks:
            attrs["color"] = _quote(KEY_COLOUR)
            attrs["penwidth"] = "3"
        body = ", ".join(f"{k}={v}" for k, v in attrs.items())
        return f"{indent}{_quote(box.id)} [{body}];"

    def _cluster_label(self, path: str) -> str:
        cluster = self.cg.clusters[path]
        text = f"<b>{_h(path)}</b>"
        if cluster.type and cluster.type not in ("Sequential", "ModuleList", "ModuleDict"):
            text += f" · {_h(cluster.type)}"
        text += self._cost_line(cluster.params, cluster.macs) + self._key_line(path)
        left = '<br align="left"/>'
        return f"<{text.replace('<br/>', left)}{left}>"

    def _emit_cluster(self, path: str | None, children: dict[str | None, list],
                      indent: str) -> None:
        for junction in self.junctions.get(path, ()):
            self.lines.append(f'{indent}{_quote(junction)} [shape=point, width=0.06, '
                              f'height=0.06, style=filled, fillcolor="{EDGE_COLOUR}", '
                              f'color="{EDGE_COLOUR}", label=""];')
        for _, item in children.get(path, []):
            if isinstance(item, Box):
                self.lines.append(self._node_line(item, indent))
                continue
            cluster = self.cg.clusters[item]
            shortcut = item in self.shortcuts
            key = item in self.marks
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

    def _children(self) -> dict[str | None, list]:
        """What each cluster holds (boxes and sub-clusters), in execution order, so that
        ``dot``'s initial order, and so the left-to-right order of branches, follows the
        model's code."""
        cg = self.cg
        position = {n.id: i for i, n in enumerate(self.graph.nodes)}
        children: dict[str | None, list] = {}
        first: dict[str, int] = {}
        for box in cg.boxes:
            at = position[box.members[0]]
            children.setdefault(box.cluster, []).append((at, box))
            for path in cg.cluster_chain(box.cluster):
                first[path] = min(first.get(path, at), at)
        for path, cluster in cg.clusters.items():
            if path in first:
                children.setdefault(cluster.parent, []).append((first[path], path))
        for items in children.values():
            items.sort(key=lambda item: item[0])
        return children

    # edges
    def _common_cluster(self, a: str | None, b: str | None) -> str | None:
        outer = set(self.cg.cluster_chain(b))
        for path in self.cg.cluster_chain(a):
            if path in outer:
                return path
        return None

    def _shape_label(self, arrow: Arrow) -> str:
        """The shapes an arrow carries. Big graphs label only where the shape changes (a
        norm or activation passes its input's shape on), which halves the clutter."""
        if not self.options.show_shapes:
            return ""
        src = self.boxes[arrow.src]
        if (len(self.boxes) > SHAPE_CHANGES_ONLY and src.kind is BoxKind.NODE
                and len(src.input_shapes) == 1 and src.input_shapes == src.output_shapes):
            return ""
        return ", ".join(shape_text(s) for s in arrow.shapes)

    def _lines(self) -> list[_Line]:
        """The DOT edges: one per arrow, except that a tensor read at many different ranks
        (DenseNet's concatenations) runs down one bus that taps into each reader. That is
        how the dense connectivity reads best, and it turns the O(n²) long edges ``dot``
        must place into O(n)."""
        lines: list[_Line] = []
        fan: dict[str, list[Arrow]] = {}
        self.junctions = {}
        identity = tr(self.lang, "graph.identity")
        for arrow in self.cg.arrows:
            role = self._arrow_role(arrow)
            if role:
                text = self._shape_label(arrow)
                if role == "identity":
                    text = f"{identity} {text}".strip()
                attrs = {"style": "dashed", "color": _quote(SHORTCUT_COLOUR),
                         "penwidth": "1.6", "fontcolor": _quote(SHORTCUT_COLOUR),
                         "weight": "0"}
                if role == "identity" and self.options.direction is Direction.TB:
                    attrs.update(tailport="e", headport="e")   # bypass the path at the side
                lines.append(_Line(arrow.src, arrow.dst, attrs, text))
                continue
            fan.setdefault(arrow.src, []).append(arrow)
        for src, arrows in fan.items():
            by_rank: dict[int, list[Arrow]] = {}
            for arrow in arrows:
                by_rank.setdefault(self.ranks[arrow.dst], []).append(arrow)
            if len(by_rank) < BUS_MIN_RANKS:
                lines += [_Line(a.src, a.dst, {}, self._shape_label(a)) for a in arrows]
                continue
            previous, text = src, self._shape_label(arrows[0])
            src_cluster = self.boxes[src].cluster
            for k, rank in enumerate(sorted(by_rank)):
                taps = by_rank[rank]
                junction = f"{src}::bus{k}"
                cluster = src_cluster
                for arrow in taps:
                    cluster = self._common_cluster(cluster, self.boxes[arrow.dst].cluster)
                self.junctions.setdefault(cluster, []).append(junction)
                lines.append(_Line(previous, junction, {"dir": "none"},
                                   text if k == 0 else ""))
                lines += [_Line(junction, a.dst, {}) for a in taps]
                previous = junction
        return lines

    def _virtual_nodes(self, lines: list[_Line]) -> int:
        """Predicted virtual nodes ``dot`` creates for these edges (a junction sits one rank
        above its first reader)."""
        ranks = dict(self.ranks)
        for line in lines:
            if line.src not in self.boxes and line.dst in self.boxes:   # junction -> reader
                ranks[line.src] = min(ranks.get(line.src, ranks[line.dst]), ranks[line.dst] - 1)
        total = 0
        for line in lines:
            if line.src in ranks and line.dst in ranks:
                total += max(0, abs(ranks[line.dst] - ranks[line.src]) - 1)
        return total

    def _legend(self, shortcuts: bool) -> None:
        kinds = {b.op_kind for b in self.cg.boxes}
        rows = "".join(
            f'<tr><td bgcolor="{item.colour}" width="18" border="1"> </td>'
            f'<td align="left">{_h(item.label)}</td></tr>'
            for item in legend_items(kinds, self.lang))
        if shortcuts:
            rows += (f'<tr><td><font color="{SHORTCUT_COLOUR}"><b>- - -</b></font></td>'
                     f'<td align="left">{_h(tr(self.lang, "graph.residual_shortcut"))}'
                     '</td></tr>')
        keyed = [self._place(b) for b in self.cg.boxes] + list(self.cg.clusters)
        if any(place in self.marks for place in keyed):
            rows += (f'<tr><td><font color="{KEY_COLOUR}"><b>★</b></font></td>'
                     f'<td align="left">{_h(tr(self.lang, "graph.key_block"))}</td></tr>')
        self.lines += [
            f'  subgraph {_quote("cluster_" + LEGEND_ID)} {{',
            (f'    label=<<b>{_h(tr(self.lang, "graph.legend"))}</b>>; style="rounded"; '
             'color="#999999"; fontsize=11;'),
            f'    {_quote(LEGEND_ID)} [shape=plaintext, style="", margin=0, fontsize=10, label=<'
            '<table border="0" cellspacing="2" cellpadding="2">'
            f'{rows}</table>>];',
            "  }",
        ]

    def write(self) -> str:
        graph, options = self.graph, self.options
        edges = self._lines()
        virtual = self._virtual_nodes(edges)
        labelled = any(e.label for e in edges)
        if labelled and virtual * 2 <= LABEL_LIMIT:
            label_key = "label"      # labels double the ranks, so only when cheap
            virtual *= 2
        else:
            label_key = "xlabel"     # placed after layout: free for the layout
        font = _quote(FONTS[self.lang])
        attrs = {
            "rankdir": options.direction.value, "newrank": "true", "fontname": font,
            "fontsize": "12", "nodesep": "0.25", "ranksep": "0.32", "labelloc": "t",
            "label": _quote(tr(self.lang, "graph.title", model=graph.model,
                               params=human(graph.params), macs=human(graph.macs))),
            **layout_attrs(virtual),
        }
        self.lines = [
            f"digraph {_quote(graph.model)} {{",
            "  graph [" + ", ".join(f"{k}={v}" for k, v in attrs.items()) + "];",
            f'  node [shape=box, style="rounded,filled", fontname={font}, fontsize=11, '
            f'height=0.3, margin="0.08,0.04", color="#444444", penwidth=1];',
            f'  edge [fontname={font}, fontsize=9, color="{EDGE_COLOUR}", '
            f'fontcolor="#333333", arrowsize=0.6];',
        ]
        self._emit_cluster(None, self._children(), "  ")
        for edge in edges:
            attrs = dict(edge.attrs)
            if edge.label:
                attrs[label_key] = _quote(edge.label)
            body = ", ".join(f"{k}={v}" for k, v in attrs.items())
            self.lines.append(f"  {_quote(edge.src)} -> {_quote(edge.dst)}"
                              + (f" [{body}];" if body else ";"))
        if options.legend:
            self._legend(any(e.attrs.get("style") == "dashed" for e in edges))
        self.lines.append("}")
        return "\n".join(self.lines) + "\n"


def to_dot(trace: Graph, options: GraphOptions | None = None) -> str:
    """Graphviz DOT text of the layer graph of ``trace`` as ``options`` ask."""
    options = options or GraphOptions()
    cg = collapse(trace, options.depth, options.expand, options.fold_repeats)
    return _Writer(trace, cg, options).write()


def collapsed(trace: Graph, options: GraphOptions) -> CollapsedGraph:
    """The collapsed graph ``to_dot`` draws for these options (for tests and other views)."""
    return collapse(trace, options.depth, options.expand, options.fold_repeats)


__all__ = [
    "Direction", "FONTS", "GraphOptions", "KIND_COLOURS", "LegendItem", "box_ranks", "collapsed",
    "human", "layout_attrs", "legend_items", "op_summary", "shape_text", "to_dot",
]
