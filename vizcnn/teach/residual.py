"""Residual blocks read off the graph: identity or projection shortcut, and channel profile.

The seed: a residual block outputs F(x) + x, so with F = 0 it is an identity mapping
(恒等映射). Which input of the block's add is the shortcut, and whether it is the block input
itself or passes through a learned projection, is decided from the traced edges, not from
attribute names. The profile is the channel count along the main branch: ResNet's bottleneck
narrows then widens (an hourglass, 沙漏); MobileNetV2's inverted residual widens then narrows
(a spindle, 纺锤).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from enum import Enum

from vizcnn.graph import Graph, Node

RESIDUAL_IDEAS: tuple[str, ...] = ("residual", "bottleneck", "inverted_residual")
_LEARNED_KINDS = {"conv", "pointwise_conv", "grouped_conv", "depthwise_conv", "conv_transpose",
                  "linear", "matmul", "norm"}


class Shortcut(str, Enum):
    """What the block adds back to its residual branch."""

    IDENTITY = "identity"       # the block input itself
    PROJECTION = "projection"   # the input through a learned layer (strided 1×1 conv + BN)
    NONE = "none"               # no add: the block changes shape and has no shortcut


class Profile(str, Enum):
    """The shape of the channel counts along the main branch."""

    HOURGLASS = "hourglass"     # narrower inside than at the ends (ResNet bottleneck)
    SPINDLE = "spindle"         # wider inside (MobileNetV2 inverted residual)
    FLAT = "flat"               # never wider or narrower than the ends (ResNet basic block)


@dataclass(frozen=True)
class ResidualBlock:
    """One residual block: its shortcut and the channel profile of its main branch."""

    path: str
    module_type: str
    shortcut: Shortcut
    projection: tuple[str, ...]          # node ids of the shortcut's learned layers
    steps: tuple[tuple[str, int], ...]   # ("in", C_in), then (layer, channels) along the branch
    profile: Profile

    @property
    def in_channels(self) -> int:
        return self.steps[0][1]

    @property
    def out_channels(self) -> int:
        return self.steps[-1][1]


def block_types(graph: Graph) -> set[str]:
    """Class names of the residual blocks of a zoo model (from its model card's key blocks)."""
    return {cls for idea, cls in graph.key_blocks if idea in RESIDUAL_IDEAS}


def residual_paths(graph: Graph, types: set[str] | None = None) -> list[str]:
    types = block_types(graph) if types is None else types
    return [p for p, m in graph.modules.items() if m.type in types and m.calls > 0]


def classify(steps: tuple[tuple[str, int], ...] | list[tuple[str, int]]) -> Profile:
    """Spindle if an inner step is wider than both ends, hourglass if every inner step is
    narrower than the wider end, flat otherwise."""
    if len(steps) < 3:
        return Profile.FLAT
    ends = max(steps[0][1], steps[-1][1])
    inner = max(c for _, c in steps[1:-1])
    if inner > ends:
        return Profile.SPINDLE
    if inner < ends:
        return Profile.HOURGLASS
    return Profile.FLAT


def residual_block(graph: Graph, path: str) -> ResidualBlock:
    """Shortcut kind and channel profile of the block at ``path``."""
    nodes = [n for n in graph.nodes if path in n.scope or n.path == path]
    inside = {n.id for n in nodes}
    by_id = {n.id: n for n in nodes}
    sources: dict[str, list[str]] = defaultdict(list)
    for edge in graph.edges:
        if edge.dst in inside:
            sources[edge.dst].append(edge.src if edge.src in inside else "")

    adds = [n for n in nodes if n.op == "add" and n.path == path]
    shortcut, projection = Shortcut.NONE, ()
    target = nodes[-1].id
    if adds:
        add = adds[-1]
        srcs = sources[add.id]
        inner = [s for s in srcs if s]
        if len(inner) < len(srcs):          # one operand comes straight from outside
            shortcut = Shortcut.IDENTITY
            target = inner[0] if inner else add.id
        else:
            a, b = (_ancestors(s, sources) for s in srcs[:2])
            main, short = (srcs[0], b) if len(a) >= len(b) else (srcs[1], a)
            learned = tuple(i for i in sorted(short, key=list(by_id).index)
                            if by_id[i].kind in _LEARNED_KINDS)
            shortcut = Shortcut.PROJECTION if learned else Shortcut.IDENTITY
            projection = tuple(i for i in learned if by_id[i].op == "conv")
            target = main
    steps = _profile(graph, path, nodes, sources, target)
    return ResidualBlock(path, graph.modules[path].type, shortcut, projection, steps,
                         classify(steps))


def residual_blocks(graph: Graph, types: set[str] | None = None) -> list[ResidualBlock]:
    """:func:`residual_block` for every residual block of ``graph`` (zoo key blocks by
    default, or the module class names in ``types``)."""
    return [residual_block(graph, p) for p in residual_paths(graph, types)]


def _ancestors(node_id: str, sources: dict[str, list[str]]) -> set[str]:
    seen: set[str] = set()
    stack = [node_id]
    while stack:
        current = stack.pop()
        if current in seen or not current:
            continue
        seen.add(current)
        stack.extend(sources.get(current, ()))
    return seen


def _profile(graph: Graph, path: str, nodes: list[Node], sources: dict[str, list[str]],
             target: str) -> tuple[tuple[str, int], ...]:
    """Channels along the spine: convs and concats that every path from the block input to
    ``target`` goes through. A conv followed on the spine by a concat is part of that concat
    (a Ghost module's intrinsic half), so the concat's width stands for it."""
    order = [n.id for n in nodes]
    # paths from the block input (""), and paths to the target, counted in a DAG
    into: dict[str, int] = {}
    for nid in order:
        into[nid] = sum(1 if s == "" else into.get(s, 0) for s in sources.get(nid, ()))
    out_of: dict[str, int] = defaultdict(int)
    out_of[target] = 1
    consumers: dict[str, list[str]] = defaultdict(list)
    for nid in order:
        for s in sources.get(nid, ()):
            if s:
                consumers[s].append(nid)
    for nid in reversed(order):
        if nid != target:
            out_of[nid] = sum(out_of[c] for c in consumers[nid])
    total = into.get(target, 0)
    spine = [n for n in nodes if total and into[n.id] * out_of[n.id] == total
             and n.op in ("conv", "cat") and n.output_shapes]
    kept = [n for i, n in enumerate(spine)
            if not (n.op == "conv" and i + 1 < len(spine) and spine[i + 1].op == "cat")]
    info = graph.modules[path]
    prefix = path + "."
    steps = [("in", info.input_shapes[0][1])]
    for n in kept:
        label = n.id[len(prefix):] if n.id.startswith(prefix) else n.id[len(path):].lstrip("/")
        steps.append((label or n.id, n.output_shapes[0][1]))
    return tuple(steps)


__all__ = ["Profile", "RESIDUAL_IDEAS", "ResidualBlock", "Shortcut", "block_types", "classify",
           "residual_block", "residual_blocks", "residual_paths"]
