"""Squeeze-and-Excitation: the shape walk through one SE block, and what SE costs.

The seed notes walk an SE block's tensor shapes line by line — (b, c, h, w) → (b, c, 1, 1)
→ (b, c) → (b, c/r) → (b, c) → (b, c, 1, 1) → (b, c, h, w) — to show that SE keeps the shape
(通道注意力 that fits anywhere). Here the walk is read from a trace for the user's input, and
the cost of SE is measured on the model traced with and without its SE blocks (rebuilt from
the trace's spec by :func:`vizcnn.experiments.lessons.se_variant`, and handed in).
"""

from __future__ import annotations

from dataclasses import dataclass

from vizcnn.errors import VizcnnError
from vizcnn.graph import Graph
from vizcnn.views.structure import structure


@dataclass(frozen=True)
class SEStep:
    """One op of the SE block and the shape it produces, also written in the seed's letters."""

    node_id: str
    label: str                       # the op's path inside the block, e.g. "excitation.0"
    op: str
    shape: tuple[int, ...]
    symbols: tuple[str, ...]         # e.g. ("b", "c/r")


@dataclass(frozen=True)
class SEWalk:
    """The shapes through one SE block, from its input to its (same-shaped) output."""

    path: str
    module_type: str
    input_shape: tuple[int, ...]
    hidden: int                      # width of the bottleneck between the two FCs
    steps: tuple[SEStep, ...]

    @property
    def channels(self) -> int:
        return self.input_shape[1]

    @property
    def reduction(self) -> float:
        """r = c / hidden (16 in SENet)."""
        return self.channels / self.hidden

    @property
    def shapes(self) -> tuple[tuple[int, ...], ...]:
        """The input shape, then each new shape along the walk (repeats dropped): the seed's
        seven shapes for the classic SE block."""
        shapes = [self.input_shape]
        for step in self.steps:
            if step.shape != shapes[-1]:
                shapes.append(step.shape)
        return tuple(shapes)

    @property
    def input_symbols(self) -> tuple[str, ...]:
        return _symbols(self.input_shape, self.input_shape, self.hidden)

    @property
    def keeps_shape(self) -> bool:
        return bool(self.steps) and self.steps[-1].shape == self.input_shape


@dataclass(frozen=True)
class Change:
    """With SE − without, absolute and in percent of the model without SE."""

    absolute: int
    percent: float | None


@dataclass(frozen=True)
class SECost:
    """A model's totals with and without SE (the two traces' own totals)."""

    model: str
    input_size: tuple[int, ...]
    with_se: Graph
    without_se: Graph
    blocks: int                      # SE blocks in the model with SE
    how: str                         # "option" (se=True) or "removed" (SE → identity)

    @property
    def params_delta(self) -> Change:
        return _change(self.without_se.params, self.with_se.params)

    @property
    def macs_delta(self) -> Change:
        return _change(self.without_se.macs, self.with_se.macs)


def _change(base: int, changed: int) -> Change:
    return Change(changed - base, (changed - base) / base * 100 if base else None)


def se_cost(with_se: Graph, without_se: Graph, how: str) -> SECost:
    """The cost of SE from the model traced with and without it."""
    return SECost(with_se.model, tuple(with_se.input_shapes[0]), with_se, without_se,
                  len(se_paths(with_se)), str(getattr(how, "value", how)))


def se_paths(graph: Graph) -> list[str]:
    """Modules holding a squeeze-and-excitation path (pool → … → gate → multiply), found on
    the graph's edges, in execution order."""
    return list(structure(graph).se)


def _symbols(shape: tuple[int, ...], x: tuple[int, ...], hidden: int) -> tuple[str, ...]:
    """Name each dimension as the seed does: b, c (or c/r), h, w; other sizes as numbers."""
    spatial = {1: ("l",), 2: ("h", "w"), 3: ("d", "h", "w")}.get(len(x) - 2, ())
    names = ["b"]
    for i, d in enumerate(shape[1:], start=1):
        if i == 1:
            names.append("c" if d == x[1] else "c/r" if d == hidden else str(d))
        elif i - 2 < len(spatial) and i < len(x) and d == x[i]:
            names.append(spatial[i - 2])
        else:
            names.append(str(d))
    return tuple(names)


def se_walk(graph: Graph, path: str | None = None) -> SEWalk:
    """The shape walk through the SE block at ``path`` (default: the first one)."""
    paths = se_paths(graph)
    if not paths:
        raise VizcnnError(f"{graph.model} has no SE blocks")
    path = paths[0] if path is None else path
    info = graph.modules.get(path)
    if info is None or not info.input_shapes:
        raise VizcnnError(f"no traced SE block {path!r} in {graph.model}")
    x = info.input_shapes[0]
    nodes = [n for n in graph.nodes if (path in n.scope or n.path == path) and n.output_shapes]
    widths = [n.output_shapes[0][1] for n in nodes if len(n.output_shapes[0]) > 1]
    hidden = min(widths) if widths else x[1]
    steps = tuple(SEStep(n.id, _relative(n.id, path), n.op, n.output_shapes[0],
                         _symbols(n.output_shapes[0], x, hidden)) for n in nodes)
    return SEWalk(path, info.type, x, hidden, steps)


def _relative(node_id: str, path: str) -> str:
    """``layer1.0.se.excitation.0`` → ``excitation.0``; ``layer1.0.se/view`` → ``view``."""
    for sep in (".", "/"):
        if node_id.startswith(path + sep):
            return node_id[len(path) + 1:]
    return node_id


__all__ = ["Change", "SECost", "SEStep", "SEWalk", "se_cost", "se_paths", "se_walk"]
