"""The layer graph as Graphviz DOT text: boxes coloured by op kind, open blocks as frames.

``to_dot(trace, GraphOptions(depth=2))`` collapses the trace (see
:mod:`vizcnn.views.collapse`) and writes DOT that makes the seed's ideas visible: Inception
branches side by side meeting in the concat, residual shortcuts drawn apart from the main
path, the SE squeeze path returning into its multiply, channel shuffle and Ghost concat as
ops of their own, and the model card's key blocks outlined. Layout attributes are chosen by
graph size so that even DenseNet's dense skip connections lay out in well under two seconds
(see ``bench/bench_render.py``). The drawing is made in two steps: :func:`view_model` computes
everything that needs vizcnn's knowledge once per trace and view options (plain JSON), and
:func:`vizcnn.render.emit.emit` writes DOT from it for any set of open blocks — in Python here,
and in JavaScript in the interactive viewer. ``GraphOptions(lang="zh")`` writes the title,
legend, costs and op words in Chinese (see :mod:`vizcnn.words.figures`) with a CJK font in the font list.
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass, field
from enum import Enum
from typing import Iterable

from vizcnn.errors import VizcnnError
from vizcnn.graph import Graph, ModuleInfo, Shape
from vizcnn.words import Lang, as_lang, fmt_shape, has_words, human, tr
from vizcnn.render.emit import emit
from vizcnn.render.emit import quote as _quote
from vizcnn.views.collapse import (
    Box, BoxKind, CollapsedGraph, node_box, collapse, open_modules,
)
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
        expand: module paths opened one level whatever the depth (their children are
            boxes), as a click opens a block in the viewer.
        expand_all: module paths opened with everything inside them.
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
    expand_all: tuple[str, ...] = ()
    fold_repeats: bool = True
    direction: Direction = Direction.TB
    highlight_key_blocks: bool = True
    show_shapes: bool = True
    legend: bool = True
    lang: Lang = Lang.EN

    def __post_init__(self) -> None:
        for name in ("expand", "expand_all"):
            value = getattr(self, name)
            object.__setattr__(self, name, (value,) if isinstance(value, str) else tuple(value))
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
# Graphviz in WASM has no fonts: it sizes text with built-in metrics that it picks by the font
# name, and a list ("Helvetica,Arial,…") gets Times's, ~10 % narrower than what the browser
# draws. The viewer lays out with one name it knows and draws with fonts of the same widths
# (Helvetica, Arial, Liberation Sans; viewer.css).
LAYOUT_FONT = "Helvetica"


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
# Layout tiers handed to the emitters: (most predicted virtual nodes, graph attributes).
_TIERS = (1500, 6000, 10 ** 12)

# Placeholders of a fold's texts, filled in by the emitter (which knows the run).
FOLD_NAME, FOLD_REPEAT = "⟦name⟧", "⟦repeat⟧"
FOLD_HEAD, FOLD_PARAMS, FOLD_MACS, FOLD_FLOPS = "⟦head⟧", "⟦params⟧", "⟦macs⟧", "⟦flops⟧"


# --- the view model --------------------------------------------------------------------------
class _Labels:
    """Every text and attribute of the drawing that needs vizcnn's knowledge (words, marks,
    colours), computed once per trace and view options."""

    def __init__(self, graph: Graph, options: GraphOptions) -> None:
        self.graph, self.options, self.lang = graph, options, options.lang
        found = structure(graph)
        self.marks: dict[str, list[str]] = {}
        if options.highlight_key_blocks:
            self.marks = {place: [tr(self.lang, f"idea.{idea}") for idea in ideas]
                          for place, ideas in found.marks.items()}
        self.shortcut_nodes = found.shortcut_nodes
        self.shortcuts = self._shortcut_modules()
        nodes = {n.id: n for n in graph.nodes}
        self.identity = {b.merge: b.identity_source for b in found.residual
                         if b.identity_source and nodes[b.merge].op == "add"}

    def _key_line(self, place: str) -> str:
        ideas = self.marks.get(place)
        if not ideas:
            return ""
        return (f'<br/><font color="{KEY_COLOUR}" point-size="10"><b>★ '
                f'{_h(" · ".join(ideas))}</b></font>')

    def _cost_line(self, params: int, macs: int, repeat: str = "") -> str:
        if repeat:
            text = tr(self.lang, "graph.cost_repeat", repeat=repeat,
                      params=human(params), macs=human(macs))
        else:
            text = tr(self.lang, "graph.cost", params=human(params), macs=human(macs))
        return f'<br/><font point-size="9" color="#333333">{_h(text)}</font>'

    def node_label(self, box: Box) -> str:
        summary = op_summary(box, self.lang)
        text = f"<b>{_h(box.name)}</b>"
        if summary and summary != box.name:
            text += f'<br/><font point-size="10">{_h(summary)}</font>'
        return text + self._key_line(box.id)

    def block_label(self, box: Box, fold: bool) -> str:
        """A closed block's label; with ``fold`` the label of a run starting with it, the
        name and count left as placeholders (each block of a fold costs the same)."""
        title = f"<b>{FOLD_NAME if fold else _h(box.name)}</b>"
        if fold:
            title += f' <font color="{KEY_COLOUR}"><b>×{FOLD_REPEAT}</b></font>'
        text = f"{title}<br/>{_h(box.type)}"
        if box.output_shapes:
            out = tr(self.lang, "graph.out",
                     shapes=", ".join(shape_text(s) for s in box.output_shapes))
            text += f'<br/><font point-size="10">{_h(out)}</font>'
        text += self._cost_line(box.params, box.macs, FOLD_REPEAT if fold else "")
        return text + self._key_line(box.id)

    def tooltip(self, box: Box, fold: bool = False) -> str:
        ins = ", ".join(shape_text(s) for s in box.input_shapes)
        outs = ", ".join(shape_text(s) for s in box.output_shapes)
        if fold:
            return tr(self.lang, "graph.tooltip", head=FOLD_HEAD, type=box.type, ins=ins,
                      outs=outs, params=FOLD_PARAMS, macs=FOLD_MACS, flops=FOLD_FLOPS)
        return tr(self.lang, "graph.tooltip", head=box.id, type=box.type, ins=ins, outs=outs,
                  params=f"{box.params:,}", macs=f"{box.macs:,}", flops=f"{box.flops:,}")

    def body(self, box: Box, fold: bool = False) -> str:
        """The attributes of a box's DOT node line."""
        node = box.kind is BoxKind.NODE
        label = self.node_label(box) if node else self.block_label(box, fold)
        attrs = {
            "label": f"<{label}>",
            "fillcolor": _quote(KIND_COLOURS.get(box.op_kind, "#ffffff")),
            "tooltip": _quote(self.tooltip(box, fold)),
        }
        if not node:
            attrs["style"] = '"rounded,filled,bold"'
            attrs["margin"] = '"0.12,0.06"'
        if fold:
            attrs["peripheries"] = "2"
        if box.op_kind == "io":
            attrs["shape"] = "oval"
        if box.id in self.marks:
            attrs["color"] = _quote(KEY_COLOUR)
            attrs["penwidth"] = "3"
        return ", ".join(f"{k}={v}" for k, v in attrs.items())

    def cluster_header(self, path: str, info: ModuleInfo | None, macs: int) -> str:
        """The attributes of an open module's frame."""
        kind = info.type if info else ""
        text = f"<b>{_h(path)}</b>"
        if kind and kind not in ("Sequential", "ModuleList", "ModuleDict"):
            text += f" · {_h(kind)}"
        text += self._cost_line(info.params if info else 0, macs) + self._key_line(path)
        left = '<br align="left"/>'
        label = f"<{text.replace('<br/>', left)}{left}>"
        key, shortcut = path in self.marks, path in self.shortcuts
        colour = KEY_COLOUR if key else SHORTCUT_COLOUR if shortcut else "#7f8c9a"
        style = "dashed,rounded" if shortcut else "rounded"
        return (f"label={label}; style={_quote(style)}; color={_quote(colour)}; "
                f"penwidth={'2.5' if key else '1.2'}; fontsize=11; labeljust=l;")

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

    def legend(self) -> dict:
        rows = [[list(item.kinds),
                 f'<tr><td bgcolor="{item.colour}" width="18" border="1"> </td>'
                 f'<td align="left">{_h(item.label)}</td></tr>']
                for item in legend_items(None, self.lang)]
        return {
            "rows": rows,
            "shortcut_row": (
                f'<tr><td><font color="{SHORTCUT_COLOUR}"><b>- - -</b></font></td>'
                f'<td align="left">{_h(tr(self.lang, "graph.residual_shortcut"))}</td></tr>'),
            "key_row": (f'<tr><td><font color="{KEY_COLOUR}"><b>★</b></font></td>'
                        f'<td align="left">{_h(tr(self.lang, "graph.key_block"))}</td></tr>'),
            "head": [
                f'  subgraph {_quote("cluster_" + LEGEND_ID)} {{',
                (f'    label=<<b>{_h(tr(self.lang, "graph.legend"))}</b>>; style="rounded"; '
                 'color="#999999"; fontsize=11;'),
            ],
            "open": (f'    {_quote(LEGEND_ID)} [shape=plaintext, style="", margin=0, '
                     'fontsize=10, label=<<table border="0" cellspacing="2" cellpadding="2">'),
            "close": "</table>>];",
        }


def _module_box(graph: Graph, path: str, parent: str | None, macs: int, flops: int) -> Box:
    info = graph.modules.get(path)
    return Box(id=path, kind=BoxKind.BLOCK, name=path, type=info.type if info else "", op="",
               op_kind="block", cluster=parent, members=(), modules=(path,),
               input_shapes=info.input_shapes if info else (),
               output_shapes=info.output_shapes if info else (),
               params=info.params if info else 0, macs=macs, flops=flops)


def view_model(trace: Graph, options: GraphOptions | None = None,
               font: str | None = None) -> dict:
    """Everything the DOT emitters need to draw ``trace`` with any set of open blocks, as
    plain JSON-able data, computed once per trace and view options (the depth, the open
    blocks and folding are the emitter's arguments, see :mod:`vizcnn.render.emit`).
    ``font`` replaces the language's font list (the browser viewer's :data:`LAYOUT_FONT`).

    Every module that can be closed has its box line and frame header written here, every
    leaf node its line, every tensor edge its shape text and every box the flags the arrow
    roles need (on a shortcut, the identity it merges), so that the emitter, written in
    Python and in JavaScript alike, only maps, folds, merges and writes.
    """
    options = options or GraphOptions()
    labels = _Labels(trace, options)
    index = {n.id: i for i, n in enumerate(trace.nodes)}
    shape_ids: dict[Shape, int] = {}
    for edge in trace.edges:
        shape_ids.setdefault(edge.shape, len(shape_ids))
    totals: dict[str, list[int]] = {}
    parents: dict[str, str | None] = {}
    on_shortcut: dict[str, bool] = {}
    for node in trace.nodes:
        for level, path in enumerate(node.scope):
            parents.setdefault(path, node.scope[level - 1] if level else None)
            total = totals.setdefault(path, [0, 0])
            total[0] += node.macs
            total[1] += node.flops
            on_shortcut[path] = on_shortcut.get(path, True) and node.id in labels.shortcut_nodes
    nodes = []
    for node in trace.nodes:
        box = node_box(node, node.scope[-1] if node.scope else None)
        source = labels.identity.get(node.id)
        nodes.append({
            "id": node.id, "scope": list(node.scope), "kind": node.kind,
            "body": labels.body(box),
            "passes": len(node.input_shapes) == 1 and node.input_shapes == node.output_shapes,
            "shortcut": node.id in labels.shortcut_nodes,
            "identity": index[source] if source is not None else -1,
            "marked": node.id in labels.marks,
        })
    modules = {}
    for path, parent in parents.items():
        macs, flops = totals[path]
        box = _module_box(trace, path, parent, macs, flops)
        modules[path] = {
            "parent": parent, "body": labels.body(box), "fold": labels.body(box, fold=True),
            "frame": labels.cluster_header(path, trace.modules.get(path), macs),
            "sig": json.dumps([box.type, box.input_shapes, box.output_shapes, box.params,
                               box.macs]),
            "shortcut": on_shortcut[path], "marked": path in labels.marks,
            "params": box.params, "macs": macs, "flops": flops,
        }
    font = _quote(font or FONTS[options.lang])
    tb = options.direction is Direction.TB
    return {
        "format": 1,
        "header": f"digraph {_quote(trace.model)} {{",
        "graph_attrs": [
            ["rankdir", options.direction.value], ["newrank", "true"], ["fontname", font],
            ["fontsize", "12"], ["nodesep", "0.25"], ["ranksep", "0.32"], ["labelloc", "t"],
            ["label", _quote(tr(options.lang, "graph.title", model=trace.model,
                                params=human(trace.params), macs=human(trace.macs)))]],
        "defaults": [
            f'  node [shape=box, style="rounded,filled", fontname={font}, fontsize=11, '
            f'height=0.3, margin="0.08,0.04", color="#444444", penwidth=1];',
            f'  edge [fontname={font}, fontsize=9, color="{EDGE_COLOUR}", '
            f'fontcolor="#333333", arrowsize=0.6];'],
        "nodes": nodes,
        "modules": modules,
        "edges": [[index[e.src], index[e.dst], shape_ids[e.shape]] for e in trace.edges],
        "shapes": [shape_text(s) for s in shape_ids],
        "show_shapes": options.show_shapes,
        "identity_word": tr(options.lang, "graph.identity"),
        "shortcut_attrs": [["style", "dashed"], ["color", _quote(SHORTCUT_COLOUR)],
                           ["penwidth", "1.6"], ["fontcolor", _quote(SHORTCUT_COLOUR)],
                           ["weight", "0"]],
        "identity_ports": [["tailport", "e"], ["headport", "e"]] if tb else [],
        "junction": (f'[shape=point, width=0.06, height=0.06, style=filled, '
                     f'fillcolor="{EDGE_COLOUR}", color="{EDGE_COLOUR}", label=""];'),
        "limits": {"label": LABEL_LIMIT, "bus_ranks": BUS_MIN_RANKS,
                   "shape_changes_only": SHAPE_CHANGES_ONLY},
        "tiers": [[most, [[k, v] for k, v in layout_attrs(most).items()]] for most in _TIERS],
        "legend": labels.legend() if options.legend else None,
    }


def to_dot(trace: Graph, options: GraphOptions | None = None) -> str:
    """Graphviz DOT text of the layer graph of ``trace`` as ``options`` ask."""
    options = options or GraphOptions()
    opened = open_modules(trace, options.depth, options.expand, options.expand_all)
    return emit(view_model(trace, options), opened, options.fold_repeats)


def collapsed(trace: Graph, options: GraphOptions) -> CollapsedGraph:
    """The collapsed graph ``to_dot`` draws for these options (for tests and other views)."""
    return collapse(trace, options.depth, options.expand, options.fold_repeats,
                    options.expand_all)


__all__ = [
    "Direction", "FONTS", "GraphOptions", "KIND_COLOURS", "LAYOUT_FONT", "LegendItem",
    "collapsed", "human", "layout_attrs", "legend_items", "op_summary", "shape_text", "to_dot",
    "view_model",
]
