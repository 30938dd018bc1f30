"""Collapse, expand and fold a traced graph into what a diagram shows.

A 300-layer network is unreadable node by node, so the diagram shows modules down to a chosen
depth as single boxes, opens chosen blocks all the way, and folds runs of identical blocks
(ResNet-50's ``layer3.1`` … ``layer3.5``) into one box marked ×N. Everything here is plain
data computed from the graph; :mod:`vizcnn.render.dot` turns it into Graphviz text.

Depth counts nesting of *called* modules (the node's ``scope``), like the layer table: at
depth 1 every top-level module is one box, at depth 2 the top-level modules are open and
their children are boxes. ``depth=None`` opens everything. Opening a block (``expand``) opens
it one level, as a click in the viewer does; ``expand_all`` opens everything inside.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Sequence

from vizcnn.errors import VizcnnError
from vizcnn.graph import Graph, Node, Shape


class BoxKind(str, Enum):
    """What a box stands for."""

    NODE = "node"     # one traced op or leaf-module call
    BLOCK = "block"   # a module collapsed into one box
    FOLD = "fold"     # a run of identical consecutive sibling blocks, shown once as ×N


@dataclass
class Box:
    """One box of the diagram."""

    id: str                       # node id, module path, or "first..last" for a fold
    kind: BoxKind
    name: str                     # what to call it: node label, module path, "layer3.1–5"
    type: str                     # module class (blocks, leaf modules) or op (functional ops)
    op: str                       # canonical op of a node box; "" for blocks and folds
    op_kind: str                  # OpKind value of a node box; "block" for blocks and folds
    cluster: str | None           # open module that holds the box; None at the top level
    members: tuple[str, ...]      # node ids inside, in execution order
    modules: tuple[str, ...] = ()  # collapsed module paths (one for a block, N for a fold)
    input_shapes: tuple[Shape, ...] = ()
    output_shapes: tuple[Shape, ...] = ()
    params: int = 0               # total over the box (all N blocks of a fold)
    macs: int = 0
    flops: int = 0
    attrs: dict[str, Any] = field(default_factory=dict)
    repeat: int = 1               # N of a fold


@dataclass
class Cluster:
    """An open module: drawn as a frame around the boxes (and clusters) inside it."""

    path: str
    type: str
    parent: str | None            # enclosing open module; None at the top level
    level: int                    # 1 for top-level modules
    params: int = 0
    macs: int = 0
    flops: int = 0
    input_shapes: tuple[Shape, ...] = ()
    output_shapes: tuple[Shape, ...] = ()


@dataclass
class Arrow:
    """Tensors flowing from one visible box to another (parallel tensor edges merged)."""

    src: str
    dst: str
    shapes: tuple[Shape, ...]     # distinct shapes carried, in trace order
    count: int = 1                # tensor edges merged into this arrow


@dataclass
class CollapsedGraph:
    """What a diagram shows: boxes inside nested clusters, joined by arrows."""

    boxes: list[Box]
    clusters: dict[str, Cluster]  # outer clusters before inner ones
    arrows: list[Arrow]
    box_of: dict[str, str]        # node id -> id of the box that shows it

    def box(self, box_id: str) -> Box:
        for box in self.boxes:
            if box.id == box_id:
                return box
        raise KeyError(box_id)

    def cluster_chain(self, cluster: str | None) -> list[str]:
        """``cluster`` and its open ancestors, innermost first."""
        chain: list[str] = []
        while cluster is not None:
            chain.append(cluster)
            cluster = self.clusters[cluster].parent
        return chain


def _check_paths(graph: Graph, paths: Sequence[str], known: set[str]) -> list[str]:
    """The paths that open something; a leaf module is already a single box (skipped), an
    unknown path is an error naming it."""
    kept = []
    for path in paths:
        if path in known:
            kept.append(path)
        elif path not in graph.modules:
            raise VizcnnError(
                f"cannot expand {path!r}: no module with that path was traced in "
                f"{graph.model}")
    return kept


def open_modules(graph: Graph, depth: int | None = 2, expand: Sequence[str] = (),
                 expand_all: Sequence[str] = ()) -> list[str]:
    """The module paths drawn open (as frames), in execution order.

    ``depth`` opens every module above that nesting (``None``: all of them); each path of
    ``expand`` opens with its ancestors, ONE level: its children are shown as boxes, the way a
    click opens a block in the viewer; each path of ``expand_all`` opens with everything
    inside it.
    """
    if depth is not None and (isinstance(depth, bool) or not isinstance(depth, int)
                              or depth < 0):
        raise VizcnnError(f"depth must be a non-negative integer or None, got {depth!r}")
    known = {p for n in graph.nodes for p in n.scope}
    one = set(_check_paths(graph, expand, known))
    whole = set(_check_paths(graph, expand_all, known))
    opened: set[str] = set()
    for node in graph.nodes:
        scope = node.scope
        if depth is None:
            opened.update(scope)
            continue
        opened.update(scope[:max(depth, 1) - 1])
        for level, path in enumerate(scope, start=1):
            if path in whole:
                opened.update(scope)
            elif path in one:
                opened.update(scope[:level])
    order = {p: i for i, p in enumerate(dict.fromkeys(p for n in graph.nodes for p in n.scope))}
    return sorted(opened, key=order.__getitem__)


def depth_and_expand(graph: Graph, opened: Sequence[str], depth: int | None
                     ) -> tuple[int | None, list[str]]:
    """The (depth, expand) that :func:`open_modules` turns back into the open set ``opened``
    (what a viewer's clicks made): ``depth`` is kept while everything it opens is still open,
    otherwise depth 1 (nothing opened by depth) with every open module listed."""
    wanted = set(opened)
    by_depth = open_modules(graph, depth)
    if set(by_depth) <= wanted:
        return depth, [p for p in open_modules(graph, None) if p in wanted - set(by_depth)]
    return 1, [p for p in open_modules(graph, None) if p in wanted]


def _holder(node: Node, opened: set[str] | None) -> tuple[str | None, str | None]:
    """(closed module that swallows the node or None, innermost open module or None)."""
    cluster = None
    for path in node.scope:
        if opened is not None and path not in opened:
            return path, cluster
        cluster = path
    return None, cluster


def node_box(node: Node, cluster: str | None) -> Box:
    return Box(
        id=node.id, kind=BoxKind.NODE, name=node.label or node.op,
        type=node.module_type or node.op, op=node.op, op_kind=node.kind, cluster=cluster,
        members=(node.id,), input_shapes=node.input_shapes, output_shapes=node.output_shapes,
        params=node.params, macs=node.macs, flops=node.flops, attrs=dict(node.attrs))


def collapse(graph: Graph, depth: int | None = None, expand: Sequence[str] = (),
             fold_repeats: bool = True, expand_all: Sequence[str] = ()) -> CollapsedGraph:
    """Group the graph's nodes into the boxes, clusters and arrows a diagram shows.

    Args:
        graph: a trace (or any :class:`vizcnn.Graph`).
        depth: module nesting shown open; modules at this depth become boxes. ``None`` opens
            everything; 0 is the same as 1 (the model itself is never a single box).
        expand: module paths to open one level beyond ``depth`` (their ancestors open too).
        fold_repeats: fold runs of identical consecutive sibling blocks into one ×N box.
        expand_all: module paths to open with everything inside them.
    """
    opened: set[str] | None = set(open_modules(graph, depth, expand, expand_all))

    boxes: dict[str, Box] = {}
    clusters: dict[str, Cluster] = {}
    box_of: dict[str, str] = {}
    for node in graph.nodes:
        closed, cluster = _holder(node, opened)
        for level, path in enumerate(node.scope, start=1):
            if path == closed:
                break
            if path not in clusters:
                info = graph.modules.get(path)
                clusters[path] = Cluster(
                    path=path, type=info.type if info else "",
                    parent=node.scope[level - 2] if level > 1 else None, level=level,
                    params=info.params if info else 0,
                    input_shapes=info.input_shapes if info else (),
                    output_shapes=info.output_shapes if info else ())
            clusters[path].macs += node.macs
            clusters[path].flops += node.flops
        if closed is None:
            box = boxes[node.id] = node_box(node, cluster)
        else:
            box = boxes.get(closed)  # type: ignore[assignment]
            if box is None:
                info = graph.modules.get(closed)
                box = boxes[closed] = Box(
                    id=closed, kind=BoxKind.BLOCK, name=closed, type=info.type if info else "",
                    op="", op_kind="block", cluster=cluster, members=(), modules=(closed,),
                    input_shapes=info.input_shapes if info else (),
                    output_shapes=info.output_shapes if info else (),
                    params=info.params if info else 0)
            box.members += (node.id,)
            box.macs += node.macs
            box.flops += node.flops
        box_of[node.id] = box.id

    ordered = list(boxes.values())
    if fold_repeats:
        ordered = _fold(ordered, clusters, graph, box_of)
    return CollapsedGraph(ordered, clusters, _arrows(graph, box_of), box_of)


def _signature(box: Box) -> tuple:
    return (box.type, box.input_shapes, box.output_shapes, box.params, box.macs)


def _fold(boxes: list[Box], clusters: dict[str, Cluster], graph: Graph,
          box_of: dict[str, str]) -> list[Box]:
    """Replace runs of identical, chained, consecutive sibling blocks by one ×N box."""
    # Siblings in execution order: boxes and open sub-modules share one sequence per parent,
    # so an open block between two closed ones breaks a run.
    position = {n.id: i for i, n in enumerate(graph.nodes)}
    first_node: dict[str, int] = {}
    for node in graph.nodes:
        for path in node.scope:
            if path in clusters:
                first_node.setdefault(path, position[node.id])
    items: dict[str | None, list[tuple[int, str, Box | None]]] = {}
    for box in boxes:
        items.setdefault(box.cluster, []).append((position[box.members[0]], box.id, box))
    for path, cluster in clusters.items():
        items.setdefault(cluster.parent, []).append((first_node[path], path, None))

    feeds = {(box_of[e.src], box_of[e.dst]) for e in graph.edges}
    replaced: dict[str, Box] = {}
    dropped: set[str] = set()
    for siblings in items.values():
        siblings.sort(key=lambda item: item[0])
        run: list[Box] = []
        for _, _, box in [*siblings, (0, "", None)]:
            if (box is not None and box.kind is BoxKind.BLOCK and run
                    and _signature(box) == _signature(run[-1])
                    and (run[-1].id, box.id) in feeds):
                run.append(box)
                continue
            if len(run) > 1:
                fold = _fold_box(run)
                replaced[run[0].id] = fold
                dropped.update(b.id for b in run[1:])
                for member in fold.members:
                    box_of[member] = fold.id
            run = [box] if box is not None and box.kind is BoxKind.BLOCK else []
    return [replaced.get(b.id, b) for b in boxes if b.id not in dropped]


def fold_name(first: str, last: str) -> str:
    """``layer3.1–5`` for numbered siblings, ``a … b`` otherwise."""
    head, _, a = first.rpartition(".")
    head_b, _, b = last.rpartition(".")
    if head == head_b and a.isdigit() and b.isdigit():
        return f"{first}–{b}"
    return f"{first} … {last}"


def _fold_box(run: list[Box]) -> Box:
    first, last = run[0], run[-1]
    return Box(
        id=f"{first.id}..{last.id}", kind=BoxKind.FOLD, name=fold_name(first.id, last.id),
        type=first.type, op="", op_kind="block", cluster=first.cluster,
        members=tuple(m for b in run for m in b.members),
        modules=tuple(p for b in run for p in b.modules),
        input_shapes=first.input_shapes, output_shapes=last.output_shapes,
        params=sum(b.params for b in run), macs=sum(b.macs for b in run),
        flops=sum(b.flops for b in run), repeat=len(run))


def _arrows(graph: Graph, box_of: dict[str, str]) -> list[Arrow]:
    arrows: dict[tuple[str, str], Arrow] = {}
    for edge in graph.edges:
        src, dst = box_of[edge.src], box_of[edge.dst]
        if src == dst:
            continue
        arrow = arrows.get((src, dst))
        if arrow is None:
            arrows[(src, dst)] = Arrow(src, dst, (edge.shape,))
            continue
        arrow.count += 1
        if edge.shape not in arrow.shapes:
            arrow.shapes += (edge.shape,)
    return list(arrows.values())


__all__ = ["Arrow", "Box", "BoxKind", "Cluster", "CollapsedGraph", "collapse", "depth_and_expand",
           "open_modules"]
